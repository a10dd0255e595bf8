"""Agent posture: rules on each stored configuration version of custom GPTs and projects (``agent.*``)."""
