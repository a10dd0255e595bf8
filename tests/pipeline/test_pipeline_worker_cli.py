"""``aiwatch rescan --background`` queues, ``aiwatch worker --once`` runs, ``aiwatch rescan --status`` shows
progress; the foreground ``aiwatch rescan`` keeps working and refuses a job another worker holds."""

from __future__ import annotations

import re

from pipeline_helpers import add_messages
from typer.testing import CliRunner

from aiwatch.cli import app
from aiwatch.pipeline.rescan import claim


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args))


def test_background_rescan_status_and_worker(sqlite_store) -> None:
    add_messages(sqlite_store, 3)
    assert "No rescans yet" in invoke("rescan", "--status").output
    queued = invoke("rescan", "--all", "--background")
    assert queued.exit_code == 0, queued.output
    job_id = int(re.search(r"Rescan (\d+) queued", queued.output).group(1))
    assert "already queued" in invoke("rescan", "--all", "--background").output
    status = invoke("rescan", "--status", str(job_id))
    assert status.exit_code == 0 and "pending" in status.output and "0/3" in status.output
    worked = invoke("worker", "--once")
    assert worked.exit_code == 0 and f"rescan {job_id}: done" in worked.output
    done = invoke("rescan", "--status")
    assert "done" in done.output and "3/3 (100.0%)" in done.output
    bad = invoke("rescan", "--rule", "nope.*", "--background")
    assert bad.exit_code == 2 and "no rule matches" in bad.output
    assert invoke("rescan", "--status", "99").exit_code == 1
    assert invoke("rescan", "7").exit_code == 2  # a job id only goes with --status


def test_foreground_rescan_refuses_a_job_held_by_a_live_worker(sqlite_store) -> None:
    add_messages(sqlite_store, 2)
    assert invoke("rescan", "--rule", "pii.*", "--background").exit_code == 0
    assert claim(sqlite_store.sessions, "worker:elsewhere") is not None
    busy = invoke("rescan", "--rule", "pii.*")
    assert busy.exit_code == 1 and "worker:elsewhere" in busy.output
    fresh = invoke("rescan", "--all")
    assert fresh.exit_code == 0 and "done: 2 items" in fresh.output


def test_the_worker_process_runs_queued_jobs_and_stops_on_sigterm(sqlite_store, tmp_path) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from sqlalchemy import select

    from aiwatch.findings.models import RescanJob

    add_messages(sqlite_store, 4)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWATCH_")}
    env.update({"AIWATCH_DATA_DIR": str(sqlite_store.settings.data_dir), "NO_COLOR": "1"})
    executable = Path(sys.executable).with_name("aiwatch")
    process = subprocess.Popen(
        [str(executable), "worker", "--poll", "0.2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        first_line = process.stdout.readline()
        assert "worker worker:" in first_line and "started" in first_line
        assert invoke("rescan", "--all", "--background").exit_code == 0
        deadline = time.monotonic() + 60
        while True:
            with sqlite_store.sessions() as session:
                status = session.scalar(select(RescanJob.status))
            if status == "done" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert status == "done"
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "rescan 1: done" in output and "SIGTERM: stopping" in output and "stopped" in output
