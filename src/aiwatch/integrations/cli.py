"""``aiwatch integrations …`` (connect and manage workspaces) and, registered from here, ``aiwatch db …``.

The API key is read from a file or standard input, never from the command line (argv is visible to every
user of the machine and lands in shell history). Bad input ends with exit code 2 and a one-line message.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from aiwatch.store.cli import register as register_db

if TYPE_CHECKING:
    from aiwatch.integrations.service import IntegrationInfo, IntegrationService

integrations_app = typer.Typer(help="Connect and manage AI platform integrations.", no_args_is_help=True)
add_app = typer.Typer(help="Connect a new integration.", no_args_is_help=True)
integrations_app.add_typer(add_app, name="add")

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1
_MAX_KEY_FILE_BYTES = 16 * 1024

KeyFileOption = Annotated[
    str,
    typer.Option(
        "--key-file",
        help="File holding the API key, or - to read it from standard input (never pass the key itself).",
    ),
]
NameArgument = Annotated[str, typer.Argument(help="Integration name (see `aiwatch integrations list`).")]


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def _user_errors() -> Iterator[None]:
    """Turn expected failures into a message and an exit code instead of a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from aiwatch.config import ConfigError, get_settings
    from aiwatch.integrations.service import IntegrationError
    from aiwatch.store.cli import database_error_message

    try:
        yield
    except (IntegrationError, ConfigError) as exc:
        raise _fail(str(exc)) from None
    except SQLAlchemyError as exc:
        raise _fail(database_error_message(get_settings().resolved_database_url, exc), EXIT_FAILED) from None


def _service() -> IntegrationService:
    from aiwatch.config import get_settings
    from aiwatch.integrations.service import IntegrationService

    return IntegrationService.open(get_settings())


def read_key(source: str) -> str:
    """The key from a file path or ``-`` (stdin). Raises IntegrationError with a readable reason."""
    from aiwatch.integrations.service import IntegrationError

    if source == "-":
        data = sys.stdin.read(_MAX_KEY_FILE_BYTES + 1)
    else:
        path = Path(source).expanduser()
        try:
            if path.stat().st_size > _MAX_KEY_FILE_BYTES:
                raise IntegrationError(f"{path} is too large to be a key file")
            data = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise IntegrationError(f"key file {path} does not exist") from None
        except IsADirectoryError:
            raise IntegrationError(f"key file {path} is a directory") from None
        except PermissionError:
            raise IntegrationError(f"key file {path} cannot be read (permission denied)") from None
        except UnicodeDecodeError:
            raise IntegrationError(f"key file {path} is not text; it should hold only the key") from None
    if len(data) > _MAX_KEY_FILE_BYTES:
        raise IntegrationError("the key input is too large to be a key")
    if not data.strip():
        raise IntegrationError("no key found: the key file or standard input is empty")
    return data


def _print_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        typer.echo(f"Warning: {warning}", err=True)


@add_app.command("chatgpt")
def add_chatgpt(
    name: Annotated[str, typer.Option("--name", help="A short name for this workspace, e.g. acme.")],
    workspace_id: Annotated[str, typer.Option("--workspace-id", help="Workspace ID (a UUID).")],
    chatgpt_org_id: Annotated[str, typer.Option("--chatgpt-org-id", help="Organization ID (ChatGPT), org-…")],
    platform_org_id: Annotated[
        str, typer.Option("--platform-org-id", help="Organization ID (Platform), org-…")
    ],
    key_file: KeyFileOption,
    base_url: Annotated[str | None, typer.Option("--base-url", help="API base URL.")] = None,
    key_name: Annotated[str | None, typer.Option("--key-name", help="The key's name (for support).")] = None,
    created_by: Annotated[str | None, typer.Option("--created-by", help="Who created the key.")] = None,
) -> None:
    """Connect a ChatGPT Enterprise workspace through the Compliance API (the key is stored encrypted)."""
    from aiwatch.integrations.service import DEFAULT_CHATGPT_BASE_URL

    with _user_errors():
        api_key = read_key(key_file)
        info, warnings = _service().add(
            name=name,
            workspace_id=workspace_id,
            chatgpt_org_id=chatgpt_org_id,
            platform_org_id=platform_org_id,
            api_key=api_key,
            base_url=base_url or DEFAULT_CHATGPT_BASE_URL,
            key_name=key_name,
            created_by=created_by,
        )
        del api_key
    _print_warnings(warnings)
    typer.echo(f"Added integration {info.name!r} (key {info.key_hint}, stored encrypted).")
    typer.echo(f"Next: aiwatch integrations test {info.name}")


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value is not None else "never"


def _status_text(info: IntegrationInfo) -> str:
    styles = {"connected": "green", "error": "red", "paused": "yellow", "not_connected": "dim"}
    label = "removed (data kept)" if info.removed_at else info.status.replace("_", " ")
    return f"[{styles.get(info.status, 'white')}]{label}[/]"


@integrations_app.command("list")
def list_command(
    all_: Annotated[bool, typer.Option("--all", help="Include removed integrations.")] = False,
) -> None:
    """Show every integration: status, workspace, key (last 4 only) and last successful sync."""
    from rich.console import Console
    from rich.table import Table

    with _user_errors():
        infos = _service().list_integrations(include_removed=all_)
    console = Console()
    if not infos:
        console.print("No integrations yet. Add one with: aiwatch integrations add chatgpt --help")
        return
    table = Table(title="Integrations")
    for column in ("Name", "Kind", "Status", "Workspace", "Key", "Last sync", "Message"):
        table.add_column(column, overflow="fold")
    for info in infos:
        table.add_row(
            info.name,
            info.kind,
            _status_text(info),
            info.workspace_id,
            info.key_hint,
            _when(info.last_sync_at),
            info.status_message or "",
        )
    console.print(table)


@integrations_app.command("test")
def test_command(name: NameArgument) -> None:
    """Run the Test Credentials checks against the live API; exit code 0 only if the required ones pass."""
    from rich.console import Console
    from rich.panel import Panel
    from rich.table import Table

    from aiwatch.integrations.service import IntegrationStatus
    from aiwatch.sources.chatgpt.checks import CheckStatus, run_credential_checks

    with _user_errors():
        service = _service()
        info = service.get(name)
        api_key = service.get_api_key(info)
        report = run_credential_checks(
            info.base_url,
            api_key,
            info.workspace_id,
            info.chatgpt_org_id,
            info.platform_org_id,
            info.key_name,
            info.created_by,
        )
        del api_key
        first = report.failed[0] if report.failed else None
        reason = f"{first.title}: {first.explanation}" if first else "a required check did not pass"
        if info.paused:  # testing does not resume a paused integration
            outcome = "passed" if report.ok else f"failed ({reason})"
            service.set_status(info.name, IntegrationStatus.PAUSED, f"paused; last credential test {outcome}")
        elif report.ok:
            service.set_status(info.name, IntegrationStatus.CONNECTED, "credentials verified")
        else:
            service.set_status(info.name, IntegrationStatus.ERROR, reason)

    styles = {
        CheckStatus.PASS: "[green]PASS[/]",
        CheckStatus.FAIL: "[red]FAIL[/]",
        CheckStatus.WARN: "[yellow]WARN[/]",
        CheckStatus.SKIP: "[dim]SKIP[/]",
    }
    console = Console(width=max(Console().width, 120))
    table = Table(title=f"Test Credentials: {info.name} (key {info.key_hint})", show_lines=True)
    table.add_column("Check", overflow="fold")
    table.add_column("Result")
    table.add_column("Explanation", overflow="fold", ratio=3)
    table.add_column("Fix", overflow="fold", ratio=2)
    for result in report.results:
        title = result.title if result.required else f"{result.title} (optional)"
        table.add_row(
            title, styles.get(result.status, str(result.status)), result.explanation, result.fix or ""
        )
    console.print(table)
    if report.support_email:
        console.print(Panel(report.support_email, title="Email to send to OpenAI support", expand=False))
    state = "stays Paused" if info.paused else ("is Connected" if report.ok else "is marked Error")
    if report.ok:
        console.print(f"[green]All required checks passed.[/] {info.name!r} {state}.")
        return
    console.print(f"[red]Required checks failed.[/] {info.name!r} {state}; apply the fixes above.")
    raise typer.Exit(EXIT_FAILED)


def _simple_action(
    action: Callable[[IntegrationService, str], IntegrationInfo], name: str, done: str
) -> None:
    with _user_errors():
        info = action(_service(), name)
    typer.echo(f"{done} {info.name!r} (status: {info.status.replace('_', ' ')}).")


@integrations_app.command("pause")
def pause_command(name: NameArgument) -> None:
    """Stop syncing an integration (data and progress are kept)."""
    _simple_action(lambda service, n: service.pause(n), name, "Paused")


@integrations_app.command("resume")
def resume_command(name: NameArgument) -> None:
    """Resume syncing a paused integration."""
    _simple_action(lambda service, n: service.resume(n), name, "Resumed")


@integrations_app.command("rotate-key")
def rotate_key_command(
    name: NameArgument,
    key_file: KeyFileOption,
    key_name: Annotated[str | None, typer.Option("--key-name", help="The new key's name.")] = None,
) -> None:
    """Replace the stored API key (the old one is overwritten; revoke it at OpenAI afterwards)."""
    with _user_errors():
        api_key = read_key(key_file)
        info, warnings = _service().rotate_key(name, api_key, key_name=key_name)
        del api_key
    _print_warnings(warnings)
    typer.echo(
        f"Replaced the key of {info.name!r} (now {info.key_hint}). Next: aiwatch integrations test {name}"
    )


@integrations_app.command("remove")
def remove_command(
    name: NameArgument,
    purge: Annotated[bool, typer.Option("--purge", help="Also delete everything synced from it.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Disconnect an integration: its key is erased; synced data is kept unless --purge."""
    with _user_errors():
        service = _service()
        info = service.get(name)
        if purge and not yes:
            typer.confirm(
                f"Delete integration {info.name!r} and ALL data synced from it? This cannot be undone",
                abort=True,
            )
        deleted = service.remove(info.name, purge=purge)
    if purge:
        total = sum(count for table, count in deleted.items() if table != "integrations")
        typer.echo(f"Removed {info.name!r} and purged {total} synced rows.")
    else:
        typer.echo(f"Removed {info.name!r}: key erased, syncing stopped, synced data kept.")


def register(app: typer.Typer) -> None:
    """Add ``aiwatch integrations`` and ``aiwatch db`` to the root app."""
    app.add_typer(integrations_app, name="integrations")
    register_db(app)
