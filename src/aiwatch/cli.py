"""The ``aiwatch`` command. Each domain registers its own commands; heavy imports stay inside commands."""

from __future__ import annotations

import typer

from aiwatch import __version__
from aiwatch.detection.cli import register as register_detection
from aiwatch.emulator.cli import register as register_emulator
from aiwatch.findings.cli import register as register_findings
from aiwatch.integrations.cli import register as register_integrations
from aiwatch.pipeline.cli import register as register_worker
from aiwatch.posture.cli import register as register_posture
from aiwatch.retention.cli import register as register_retention
from aiwatch.risk.cli import register as register_risk
from aiwatch.sync.cli import register as register_sync
from aiwatch.web.cli import register as register_web

app = typer.Typer(
    name="aiwatch",
    help="Self-hosted security monitoring for ChatGPT Enterprise (Compliance API).",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals may hold keys
)

admin_app = typer.Typer(help="Administration helpers.", no_args_is_help=True)
app.add_typer(admin_app, name="admin")


@admin_app.command("generate-key")
def generate_key() -> None:
    """Print a new Fernet key for AIWATCH_SECRET_KEY (production mode needs one)."""
    from aiwatch.crypto import generate_key as new_key

    typer.echo(new_key())


@app.command()
def version() -> None:
    """Print the aiwatch version."""
    typer.echo(__version__)


register_emulator(app)
register_integrations(app)
register_detection(app)
register_sync(app)
register_web(app)
register_retention(app)
register_posture(app)
register_risk(app)
register_findings(app)
register_worker(app)
