"""``aiwatch purge [--older-than DAYS] [--dry-run]``: clear old content; keep findings, evidence, hashes."""

from __future__ import annotations

import typer


def purge_command(
    older_than: int | None = typer.Option(
        None,
        "--older-than",
        min=0,
        help="Purge content older than this many days (default: AIWATCH_RETENTION_DAYS).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be purged."),
) -> None:
    """Purge message bodies, file text, memory and canvas content older than the retention period."""
    from sqlalchemy.exc import SQLAlchemyError

    from aiwatch.config import ConfigError, get_settings
    from aiwatch.retention.purge import cutoff_for, purge
    from aiwatch.store.cli import database_error_message
    from aiwatch.store.db import init_db, make_session_factory, transaction

    try:
        settings = get_settings()
    except ConfigError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    days = older_than if older_than is not None else settings.retention_days
    if days is None:
        typer.echo(
            "Error: no retention period: pass --older-than DAYS or set AIWATCH_RETENTION_DAYS", err=True
        )
        raise typer.Exit(2)
    try:
        engine = init_db(settings)
        with transaction(make_session_factory(engine)) as session:
            report = purge(session, cutoff_for(days), dry_run=dry_run)
    except ConfigError as exc:
        typer.echo(f"Error: {exc}", err=True)
        raise typer.Exit(2) from None
    except SQLAlchemyError as exc:
        typer.echo(f"Error: {database_error_message(settings.resolved_database_url, exc)}", err=True)
        raise typer.Exit(1) from None
    verb = "Would purge" if dry_run else "Purged"
    typer.echo(
        f"{verb} content older than {days} days (before {report.cutoff.isoformat(timespec='seconds')}):"
    )
    for label, count in report.counts.items():
        typer.echo(f"  {label}: {count}")
    typer.echo(f"  total: {report.total}")
    typer.echo("Findings, masked evidence and hashes are kept.")


def register(app: typer.Typer) -> None:
    """Add ``aiwatch purge`` to the root app."""
    app.command("purge")(purge_command)
