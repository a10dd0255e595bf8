"""Commands of this domain (being built)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the root app."""
    del app
