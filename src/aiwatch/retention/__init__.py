"""Retention: purge message bodies, file text, memory and canvas content older than the configured days."""
