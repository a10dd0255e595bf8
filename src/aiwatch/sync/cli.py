"""``aiwatch sync`` and ``aiwatch demo``."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``sync`` and ``demo`` to the root app."""
    app.command("sync")(sync_command)
    app.command("demo")(demo_command)


def sync_command(
    name: Annotated[
        str | None, typer.Argument(help="Integration to sync (default: every active one).")
    ] = None,
    once: Annotated[
        bool, typer.Option("--once", help="One pass, then exit (exit code 1 on errors).")
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", min=1.0, help="Seconds between incremental passes.")
    ] = 300.0,
    rate_limit_scale: Annotated[
        float,
        typer.Option(
            "--rate-limit-scale",
            min=0.0,
            help="Multiply the documented API rate limits (50/min lists, 100/min objects); 0 disables "
            "client-side limiting. Raise it only for the emulator or if OpenAI granted higher limits.",
        ),
    ] = 1.0,
) -> None:
    """Back-fill, then sync incrementally. Ctrl-C stops cleanly between pages (a second Ctrl-C aborts)."""
    from aiwatch.config import ConfigError, get_settings
    from aiwatch.sync.loop import SyncLoop
    from aiwatch.sync.runner import client_factory

    try:
        loop = SyncLoop(
            get_settings(), client_factory=client_factory(rate_limit_scale=rate_limit_scale or None)
        )
        ok = loop.run(name=name, once=once, interval=interval)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except KeyboardInterrupt:
        typer.echo("aborted; the next run resumes from the last committed page", err=True)
        raise typer.Exit(130) from None
    raise typer.Exit(0 if ok else 1)


def demo_command(
    once: Annotated[bool, typer.Option("--once", help="Sync once and exit instead of staying live.")] = False,
    emulator_port: Annotated[
        int, typer.Option("--emulator-port", min=0, max=65535, help="Emulator port (0: any free).")
    ] = 0,
    users: Annotated[int, typer.Option("--users", min=1, help="Users in the demo workspace.")] = 25,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generated workspace.")] = 7,
    interval: Annotated[
        float, typer.Option("--interval", min=1.0, help="Seconds between live passes.")
    ] = 15.0,
    console_port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="Web console port (live mode).")
    ] = 8000,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the web console in a browser.")] = False,
) -> None:
    """Start the Compliance API emulator on loopback, connect an integration "demo" to it and sync."""
    from aiwatch.config import ConfigError, get_settings
    from aiwatch.sync.demo import run_demo

    try:
        ok = run_demo(
            get_settings(),
            once=once,
            port=emulator_port,
            users=users,
            seed=seed,
            interval=interval,
            console_port=console_port,
            open_browser=open_browser,
        )
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except KeyboardInterrupt:
        typer.echo("aborted; the next run resumes from the last committed page", err=True)
        raise typer.Exit(130) from None
    raise typer.Exit(0 if ok else 1)
