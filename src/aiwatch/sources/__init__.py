"""Sources: clients for the AI platforms aiwatch watches (ChatGPT Enterprise Compliance API first)."""
