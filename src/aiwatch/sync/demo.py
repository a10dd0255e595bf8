"""``aiwatch demo``: the emulator on loopback, an integration "demo" pointing at it, Test Credentials, sync.

Everything is real: real HTTP on 127.0.0.1, the encrypted key in the configured database (embedded SQLite by
default), the same sync engine as ``aiwatch sync``. The emulator's rate limits are scaled so the demo is
quick; the client is scaled the same way so it stays polite.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from aiwatch.config import Settings
from aiwatch.integrations.service import IntegrationNotFound, IntegrationService
from aiwatch.sync.loop import SyncLoop
from aiwatch.sync.runner import client_factory

DEMO_NAME = "demo"
DEMO_RATE_LIMIT_SCALE = 50.0  # 2,500 list requests/min: a small workspace syncs in seconds
DEMO_DAYS = 7
DEMO_CONVERSATIONS_PER_USER = 6


def run_demo(
    settings: Settings,
    *,
    once: bool,
    port: int,
    users: int,
    seed: int,
    interval: float,
    console: Console | None = None,
    console_port: int | None = None,
    open_browser: bool = False,
) -> bool:
    """Run the demo; returns True when credentials checked out and the last sync had no errors."""
    from aiwatch.emulator.server import EmulatorConfig, EmulatorServer

    console = console or Console()
    config = EmulatorConfig(
        seed=seed,
        users=users,
        days=DEMO_DAYS,
        conversations_per_user=DEMO_CONVERSATIONS_PER_USER,
        rate_limit_scale=DEMO_RATE_LIMIT_SCALE,
        live=not once,
        port=port,
    )
    loop = SyncLoop(
        settings, client_factory=client_factory(rate_limit_scale=DEMO_RATE_LIMIT_SCALE), console=console
    )
    with EmulatorServer(config) as emulator:
        console.print(f"[bold]Emulator[/bold] {emulator.base_url}  workspace {emulator.workspace_id}")
        save_demo_integration(loop.service, emulator)
        checks_ok = print_credential_checks(console, emulator)
        if not checks_ok:
            console.print("[red]Test Credentials failed; not syncing.[/red]")
            return False
        ok = loop.run(name=DEMO_NAME, once=True, interval=interval)
        print_where(console, settings, loop)
        if once:
            return ok
        web = None
        if console_port is not None:  # the web console beside the live sync (aiwatch.web)
            from aiwatch.web.server import start_demo_console

            web, url, password = start_demo_console(settings, port=console_port, open_browser=open_browser)
            console.print(f"[bold]Web console[/bold] {url}  sign in as [bold]demo[/bold] / {password}")
        console.print(f"Live: new activity keeps arriving; syncing every {interval:g} s. Ctrl-C to stop.")
        try:
            return loop.run(name=DEMO_NAME, once=False, interval=interval)
        finally:
            if web is not None:
                web.stop()


def save_demo_integration(service: IntegrationService, emulator: Any) -> None:
    """Create or update the integration "demo" (key stored encrypted) for this emulator.

    The emulator listens on a new port each run: the base URL and key are updated. A different workspace
    (other seed) replaces the old demo data, so counts always describe this emulator.
    """
    try:
        existing = service.get(DEMO_NAME)
    except IntegrationNotFound:
        existing = None
    if existing is not None and (existing.workspace_id != emulator.workspace_id or existing.removed_at):
        service.remove(DEMO_NAME, purge=True)
        existing = None
    if existing is None:
        service.add(
            name=DEMO_NAME,
            workspace_id=emulator.workspace_id,
            chatgpt_org_id=emulator.chatgpt_org_id,
            platform_org_id=emulator.platform_org_id,
            api_key=emulator.api_key,
            base_url=emulator.base_url,
            key_name="aiwatch demo",
            created_by="aiwatch demo",
        )
        return
    if existing.paused:
        service.resume(DEMO_NAME)
    service.update(DEMO_NAME, base_url=emulator.base_url)
    service.rotate_key(DEMO_NAME, emulator.api_key)


def print_credential_checks(console: Console, emulator: Any) -> bool:
    from aiwatch.sources.chatgpt.checks import run_credential_checks

    report = run_credential_checks(
        emulator.base_url,
        emulator.api_key,
        emulator.workspace_id,
        emulator.chatgpt_org_id,
        emulator.platform_org_id,
        key_name="aiwatch demo",
    )
    table = Table(title="Test Credentials", title_justify="left")
    table.add_column("check")
    table.add_column("result")
    table.add_column("explanation", overflow="fold")
    for result in report.results:
        table.add_row(result.title, str(result.status), result.explanation)
    console.print(table)
    return report.ok


def print_where(console: Console, settings: Settings, loop: SyncLoop) -> None:
    from aiwatch.store.db import redacted_url
    from aiwatch.sync import persist

    target = loop.service.get(DEMO_NAME)
    with loop.sessions() as session:
        counts = persist.counts(session, target.id)
    table = Table(title="Stored for integration 'demo'", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in counts.items():
        table.add_row(name, str(count))
    console.print(table)
    console.print(f"Data: {redacted_url(settings.resolved_database_url)} (data dir {settings.data_dir})")
