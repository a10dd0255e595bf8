"""aiwatch: self-hosted security monitoring for ChatGPT Enterprise."""

__version__ = "0.1.0"
