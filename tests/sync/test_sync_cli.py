"""`aiwatch sync` and `aiwatch demo` as users run them."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from typer.testing import CliRunner

from aiwatch.cli import app
from aiwatch.config import Settings
from aiwatch.store import models

AIWATCH = Path(sys.executable).parent / "aiwatch"


def test_sync_without_integrations_says_how_to_add_one(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["sync", "--once"])
    assert result.exit_code == 0
    assert "aiwatch integrations add" in result.output


def test_sync_of_an_unknown_integration_exits_2_with_a_message(settings: Settings) -> None:
    result = CliRunner().invoke(app, ["sync", "nope", "--once"])
    assert result.exit_code == 2
    assert "nope" in result.output and "Traceback" not in result.output


def test_sync_once_prints_a_summary_and_exit_code_reflects_errors(harness: Any) -> None:
    with harness.emulator(seed=51, users=2) as emu:
        harness.connect(emu)
        harness.connect(emu, name="broken", api_key="sk-proj-" + "z" * 48)
        result = CliRunner().invoke(app, ["sync", "--once", "--rate-limit-scale", "0"])
        assert result.exit_code == 1, result.output
        assert "Sync of 'ws': connected" in result.output
        assert "Sync of 'broken': error" in result.output
        assert "key rejected" in result.output
        assert "z" * 10 not in result.output


def test_paused_integration_is_not_synced(harness: Any) -> None:
    with harness.emulator(seed=52, users=2) as emu:
        harness.connect(emu)
        harness.service.pause("ws")
        assert "paused" in CliRunner().invoke(app, ["sync", "ws", "--once"]).output
        result = CliRunner().invoke(app, ["sync", "--once"])
        assert "No active integration" in result.output


def test_ctrl_c_stops_the_sync_loop_cleanly_between_pages(harness: Any) -> None:
    with harness.emulator(seed=53, users=6, faults=("slow",), fault_rate=1.0, slow_seconds=0.05) as emu:
        info = harness.connect(emu)
        process = subprocess.Popen(
            [str(AIWATCH), "sync", "ws", "--interval", "3600", "--rate-limit-scale", "0"],
            env={**os.environ, "NO_COLOR": "1"},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 120
        while True:
            with harness.sessions() as session:
                count = session.scalar(
                    select(func.count())
                    .select_from(models.Message)
                    .where(models.Message.integration_id == info.id)
                )
            if count or process.poll() is not None or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
        assert "Stopping after the current page" in output
        assert "Traceback" not in output
        assert "resumes from the saved cursors" in output


def test_demo_once_connects_checks_and_syncs(settings: Settings) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--once", "--users", "3", "--seed", "5", "--emulator-port", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "Test Credentials" in result.output
    assert "Sync of 'demo': connected" in result.output
    assert "messages" in result.output and str(settings.data_dir) in result.output
    # A second demo run on a chosen port reuses the integration (same workspace) and syncs incrementally.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    again = CliRunner().invoke(
        app, ["demo", "--once", "--users", "3", "--seed", "5", "--emulator-port", str(port)]
    )
    assert again.exit_code == 0, again.output
    assert f"127.0.0.1:{port}/v1" in again.output


def test_the_loop_survives_a_database_outage_but_once_reports_it(settings: Settings) -> None:
    from io import StringIO

    import pytest
    from rich.console import Console
    from sqlalchemy.exc import OperationalError

    from aiwatch.config import ConfigError
    from aiwatch.sync.loop import SyncLoop

    output = StringIO()
    loop = SyncLoop(settings, console=Console(file=output, width=120))
    calls: list[int] = []

    def flaky_pass(name: str | None = None, *, compact: bool = False) -> list[Any]:
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        loop.stop.set()
        return []

    loop.run_pass = flaky_pass  # type: ignore[method-assign]
    assert loop.run(name=None, once=False, interval=1.0) is True
    assert len(calls) == 2 and "The database failed (OperationalError); retrying" in output.getvalue()

    calls.clear()
    loop.stop.clear()
    with pytest.raises(ConfigError, match="database failed"):
        loop.run(name=None, once=True, interval=1.0)
