"""``aiwatch agents review|diff``: mark an agent version reviewed; show what changed since."""

from __future__ import annotations

import json

import typer

agents_app = typer.Typer(help="Agent posture: review marks and config diffs.", no_args_is_help=True)

INTEGRATION_HELP = "Integration name (default: the only one configured)."


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


def open_integration(name: str | None):
    """(settings, sessions, integration info) for ``name`` or the only integration; exits with a hint."""
    from aiwatch.config import ConfigError, get_settings
    from aiwatch.integrations.service import IntegrationError, IntegrationService
    from aiwatch.store.db import init_db, make_session_factory

    try:
        settings = get_settings()
        sessions = make_session_factory(init_db(settings))
        service = IntegrationService(settings, sessions)
        if name is not None:
            return settings, sessions, service.get(name)
        integrations = service.list_integrations()
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    except IntegrationError as exc:
        raise _fail(str(exc), 1) from None
    if len(integrations) != 1:
        names = ", ".join(i.name for i in integrations) or "none configured"
        raise _fail(f"choose an integration with --integration ({names})", 2)
    return settings, sessions, integrations[0]


@agents_app.command("review")
def review_command(
    agent_id: str = typer.Argument(..., help="GPT or project id (g-…)."),
    config_id: str | None = typer.Option(None, "--config", help="Version to mark (default: the latest)."),
    reviewed_by: str | None = typer.Option(None, "--by", help="Who reviewed it."),
    note: str | None = typer.Option(None, "--note", help="Why it is acceptable."),
    integration: str | None = typer.Option(None, "--integration", help=INTEGRATION_HELP),
) -> None:
    """Mark an agent version (and its current sharing) reviewed; config_changed compares with it."""
    from aiwatch.posture.service import PostureError, mark_reviewed
    from aiwatch.store.db import transaction

    _, sessions, info = open_integration(integration)
    try:
        with transaction(sessions) as session:
            review = mark_reviewed(session, info.id, agent_id, config_id, reviewed_by=reviewed_by, note=note)
    except PostureError as exc:
        raise _fail(str(exc)) from None
    typer.echo(f"Marked {agent_id} version {review.config_id} reviewed.")


@agents_app.command("diff")
def diff_command(
    agent_id: str = typer.Argument(..., help="GPT or project id (g-…)."),
    from_config: str | None = typer.Option(
        None, "--from", help="Default: the last reviewed (or first) version."
    ),
    to_config: str | None = typer.Option(None, "--to", help="Default: the latest version."),
    output: str = typer.Option("text", "--format", help="text or json."),
    integration: str | None = typer.Option(None, "--integration", help=INTEGRATION_HELP),
) -> None:
    """Show tools, action domains, sharing and (masked) instructions changed between two versions."""
    from aiwatch.posture.service import PostureError, get_diff

    if output not in ("text", "json"):
        raise _fail("--format must be text or json", 2)
    _, sessions, info = open_integration(integration)
    try:
        with sessions() as session:
            diff = get_diff(session, info.id, agent_id, from_config, to_config)
    except PostureError as exc:
        raise _fail(str(exc)) from None
    data = diff.to_json()
    if output == "json":
        typer.echo(json.dumps(data, indent=2))
        return
    typer.echo(f"{agent_id}: {data['from_config_id'] or '(none)'} -> {data['to_config_id']}")
    typer.echo("Widens: " + ("yes - " + "; ".join(data["reasons"]) if data["widens"] else "no"))
    for key in (
        "tools_added",
        "tools_removed",
        "domains_added",
        "domains_removed",
        "files_added",
        "files_removed",
    ):
        if data[key]:
            typer.echo(f"{key.replace('_', ' ')}: {', '.join(data[key])}")
    for line in data["instructions_diff"]:
        typer.echo(line)


def register(app: typer.Typer) -> None:
    """Add ``aiwatch agents`` to the root app."""
    app.add_typer(agents_app, name="agents")
