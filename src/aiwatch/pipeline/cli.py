"""``aiwatch worker``: processes queued rescans until Ctrl-C / SIGTERM."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("worker")(worker_command)


def worker_command(
    once: Annotated[bool, typer.Option("--once", help="run the queued jobs, then exit")] = False,
    poll: Annotated[float, typer.Option(help="seconds between looks at an empty queue", min=0.1)] = 2.0,
    lease: Annotated[
        int, typer.Option(help="seconds without a heartbeat after which another worker takes a job", min=5)
    ] = 120,
) -> None:
    """Run queued rescans (`aiwatch rescan --background`, the console). Ctrl-C or SIGTERM stops it between
    batches and puts the job in hand back in the queue, at its position."""
    import logging
    import signal
    from datetime import timedelta

    from aiwatch.config import get_settings
    from aiwatch.pipeline.worker import RescanWorker
    from aiwatch.store.db import init_db, make_session_factory

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("aiwatch.pipeline").setLevel(logging.INFO)  # claims and outcomes; not the libraries'
    settings = get_settings()
    worker = RescanWorker(
        make_session_factory(init_db(settings)),
        settings,
        lease=timedelta(seconds=lease),
        poll=poll,
        on_job=lambda run: typer.echo(f"rescan {run.job_id}: {run.status} ({run.batches} batches)"),
    )

    def stop(signum: int, frame: object) -> None:
        del frame
        typer.echo(f"{signal.Signals(signum).name}: stopping after the current batch", err=True)
        worker.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    typer.echo(f"worker {worker.name} started")
    if once:
        while not worker.stopping and worker.run_once() is not None:
            continue
    else:
        worker.run_forever()
    typer.echo(f"worker {worker.name} stopped")
