"""Read side of the Alerts view and the Explorer: alert counts per policy/rule/day, the alert list, message
search, conversation detail and usage statistics. The web layer calls these; it holds no SQL of its own."""
