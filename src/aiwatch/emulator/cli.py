"""``aiwatch emulator``: serve a seeded fake ChatGPT Enterprise Compliance API until Ctrl-C."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add this domain's commands to the root app."""
    app.command("emulator")(emulator)


def emulator(
    host: str = typer.Option("127.0.0.1", help="Interface to bind (loopback by default)."),
    port: int = typer.Option(8100, help="TCP port (0: any free port)."),
    seed: int = typer.Option(7, help="Seed of the synthetic workspace: same seed, same data."),
    users: int = typer.Option(50, min=1, help="Number of workspace users."),
    days: int = typer.Option(7, min=1, help="Days of history to generate."),
    conversations_per_user: int = typer.Option(20, min=0, help="Conversations per user."),
    faults: str = typer.Option(
        "",
        help="Comma-separated fault profiles: 429-storm, 5xx-burst, slow, reset, "
        "truncated-json, duplicates, expired-urls.",
    ),
    fault_rate: float = typer.Option(0.1, min=0.0, max=1.0, help="Probability of a fault per request."),
    rate_limit_scale: float = typer.Option(
        1.0, min=0.0, help="Multiply the documented rate limits (0: off)."
    ),
    live: bool = typer.Option(False, help="Keep creating conversations and log events while serving."),
    live_interval: float = typer.Option(5.0, min=0.1, help="Seconds between live activity ticks."),
    key: str = typer.Option("", help="API key to accept (default: derived from the seed)."),
    scopes: str = typer.Option("read,delete", help="Compliance scopes of the key."),
    labels_out: Path | None = typer.Option(
        None, help="Write the planted-risk labels (JSON Lines) to this file."
    ),
    clean: bool = typer.Option(False, help="Plant no risks at all (control workspace for false positives)."),
) -> None:
    """Serve a seeded, faithful fake of the ChatGPT Enterprise Compliance API."""
    import json
    import signal
    import threading

    from aiwatch.emulator.app import KEY_PREFIXES
    from aiwatch.emulator.faults import parse_profiles
    from aiwatch.emulator.server import EmulatorConfig, EmulatorServer

    try:
        profiles = parse_profiles(faults)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--faults") from None
    if key and not key.startswith(KEY_PREFIXES):
        typer.echo(
            f"warning: the key does not start with {', '.join(KEY_PREFIXES)}; serving it anyway", err=True
        )
    scope_set = tuple(s.strip() for s in scopes.split(",") if s.strip())
    unknown = [s for s in scope_set if s not in ("read", "delete")]
    if unknown:
        raise typer.BadParameter(
            f"unknown scope(s) {', '.join(unknown)}; use read and/or delete", param_hint="--scopes"
        )
    config = EmulatorConfig(
        seed=seed,
        users=users,
        days=days,
        conversations_per_user=conversations_per_user,
        faults=profiles,
        fault_rate=fault_rate,
        rate_limit_scale=rate_limit_scale,
        api_key=key or None,
        scopes=scope_set,
        live=live,
        live_interval_seconds=live_interval,
        clean=clean,
        host=host,
        port=port,
    )
    typer.echo("Generating the workspace…", err=True)
    server = EmulatorServer(config)
    if labels_out is not None:
        labels_out.parent.mkdir(parents=True, exist_ok=True)
        with labels_out.open("w", encoding="utf-8") as out:
            for label in server.workspace.labels_json():
                out.write(json.dumps(label, ensure_ascii=False) + "\n")
    try:
        server.start()
    except OSError as exc:
        raise typer.BadParameter(
            f"cannot listen on {host}:{port}: {exc.strerror}", param_hint="--port"
        ) from None
    ws = server.workspace
    typer.echo(f"Base URL:                 {server.base_url}")
    typer.echo(f"Workspace ID:             {server.workspace_id}")
    typer.echo(f"Organization ID (ChatGPT):  {server.chatgpt_org_id}")
    typer.echo(f"Organization ID (Platform): {server.platform_org_id}")
    # The emulator's key is synthetic and exists only to be pasted into aiwatch: printing it is the point.
    typer.echo(f"API key:                  {server.api_key}  (scopes: {','.join(scope_set) or 'none'})")
    typer.echo(
        f"Data: {len(ws.users)} users, {len(ws.conversations)} conversations, {len(ws.gpts)} GPTs, "
        f"{len(ws.projects)} projects, {len(ws.log_files)} log files, {len(ws.labels)} planted risks"
        + (f" (labels in {labels_out})" if labels_out else "")
    )
    if profiles:
        typer.echo(f"Faults: {', '.join(profiles)} at rate {fault_rate}")
    typer.echo("Serving until Ctrl-C.")
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        while not stopped.wait(0.5):  # short waits keep Ctrl-C responsive
            continue
    except KeyboardInterrupt:
        typer.echo("Stopping.")
    finally:
        server.stop()
        typer.echo("Emulator stopped.", err=True)
