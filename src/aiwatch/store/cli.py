"""``aiwatch db upgrade|current``: schema migrations of the configured database."""

from __future__ import annotations

import typer

db_app = typer.Typer(help="Database schema: upgrade it, show its revision.", no_args_is_help=True)


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


@db_app.command("upgrade")
def upgrade_command() -> None:
    """Create the database or upgrade it to the newest schema (safe to run again)."""
    from sqlalchemy.exc import SQLAlchemyError

    from aiwatch.config import ConfigError, get_settings
    from aiwatch.store.db import current_revision, init_db, redacted_url

    try:
        settings = get_settings()
        engine = init_db(settings)
        revision = current_revision(engine)
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    except SQLAlchemyError as exc:
        raise _fail(database_error_message(settings.resolved_database_url, exc), 1) from None
    typer.echo(f"Database {redacted_url(settings.resolved_database_url)} is at revision {revision}.")


@db_app.command("current")
def current_command() -> None:
    """Show the database's schema revision and the newest one this version ships."""
    from sqlalchemy.exc import SQLAlchemyError

    from aiwatch.config import ConfigError, get_settings
    from aiwatch.store.db import current_revision, get_engine, head_revision, redacted_url

    try:
        settings = get_settings()
        revision = current_revision(get_engine(settings))
    except ConfigError as exc:
        raise _fail(str(exc), 2) from None
    except SQLAlchemyError as exc:
        raise _fail(database_error_message(settings.resolved_database_url, exc), 1) from None
    head = head_revision()
    typer.echo(f"Database: {redacted_url(settings.resolved_database_url)}")
    typer.echo(f"Current revision: {revision or 'none (not initialised)'}")
    typer.echo(f"Newest revision:  {head}")
    if revision != head:
        typer.echo("Run `aiwatch db upgrade` to bring the schema up to date.")


def database_error_message(url: str, exc: Exception) -> str:
    """A database failure explained without the URL's password or the driver's full message."""
    from aiwatch.store.db import redacted_url

    cause = type(getattr(exc, "orig", None) or exc).__name__
    return (
        f"cannot use the database at {redacted_url(url)} ({cause}); check AIWATCH_DATABASE_URL, that the "
        "server is running and that the user may connect"
    )


def register(app: typer.Typer) -> None:
    """Add ``aiwatch db`` to the root app."""
    app.add_typer(db_app, name="db")
