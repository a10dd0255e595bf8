"""``aiwatch serve`` and ``aiwatch users …``."""

from __future__ import annotations

from typing import Annotated

import typer

users_app = typer.Typer(help="Console accounts (roles: viewer, analyst, admin).", no_args_is_help=True)


def _accounts():  # type: ignore[no-untyped-def]
    from aiwatch.config import get_settings
    from aiwatch.store.db import init_db, make_session_factory
    from aiwatch.web.accounts import AccountService

    return AccountService(make_session_factory(init_db(get_settings())))


def _audit(action: str, target: str, details: dict[str, str] | None = None) -> None:
    """Account changes made on the command line are audited like the console's (actor: the OS user)."""
    import getpass

    from aiwatch.config import get_settings
    from aiwatch.store.db import init_db, make_session_factory
    from aiwatch.web.audit import AuditLog

    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    AuditLog(make_session_factory(init_db(get_settings()))).record(f"cli:{user}", action, target, details)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(2)


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on")] = 8000,
    proxy_headers: Annotated[
        bool, typer.Option(help="Trust X-Forwarded-* from a TLS proxy (cookies become Secure over https)")
    ] = False,
) -> None:
    """Serve the web console (first run: creates the admin account and prints its password once)."""
    import uvicorn

    from aiwatch.config import ConfigError, get_settings
    from aiwatch.web.app import create_app

    try:
        app = create_app(get_settings())
    except ConfigError as exc:
        raise _fail(str(exc)) from exc
    password = app.state.accounts.ensure_first_admin()
    if password is not None:
        typer.echo("First run: created the account 'admin' with this password (shown only once):")
        typer.echo(f"  {password}")
    typer.echo(f"aiwatch console on http://{host}:{port}/")
    uvicorn.run(app, host=host, port=port, proxy_headers=proxy_headers, log_level="warning")


@users_app.command("create")
def users_create(
    username: str,
    role: Annotated[str, typer.Option(help="viewer, analyst or admin")] = "viewer",
) -> None:
    """Create an account; its generated password is printed once."""
    from aiwatch.web.accounts import AccountError, Role, generate_password

    password = generate_password()
    try:
        user = _accounts().create_user(username, password, Role.parse(role))
    except AccountError as exc:
        raise _fail(str(exc)) from exc
    _audit("user.create", user.username, {"role": user.role.label})
    typer.echo(f"Created {username} ({role}). Password (shown once): {password}")


@users_app.command("list")
def users_list() -> None:
    """List accounts."""
    for user in _accounts().list_users():
        state = "disabled" if user.disabled else "active"
        typer.echo(f"{user.username}\t{user.role.label}\t{state}")


@users_app.command("set-role")
def users_set_role(username: str, role: str) -> None:
    """Change an account's role."""
    from aiwatch.web.accounts import AccountError, Role

    try:
        user = _accounts().set_role(username, Role.parse(role))
    except AccountError as exc:
        raise _fail(str(exc)) from exc
    _audit("user.set_role", user.username, {"role": user.role.label})
    typer.echo(f"{user.username} is now {user.role.label}")


@users_app.command("reset-password")
def users_reset_password(username: str) -> None:
    """Set a new generated password (printed once) and sign the account out everywhere."""
    from aiwatch.web.accounts import AccountError

    try:
        password = _accounts().reset_password(username)
    except AccountError as exc:
        raise _fail(str(exc)) from exc
    _audit("user.reset_password", username.strip())
    typer.echo(f"New password for {username} (shown once): {password}")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
