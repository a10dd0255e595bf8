"""Crash safety: `aiwatch sync --once` killed with SIGKILL mid-sync, then rerun, ends exactly at the truth."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from aiwatch.store import models
from aiwatch.sync.context import WORKSPACE_LOG_TYPES

AIWATCH = Path(sys.executable).parent / "aiwatch"


def _stored_messages(harness: Any, integration_id: int) -> int:
    with harness.sessions() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(models.Message)
                .where(models.Message.integration_id == integration_id)
            )
            or 0
        )


def _sync_command() -> list[str]:
    return [str(AIWATCH), "sync", "ws", "--once", "--rate-limit-scale", "0"]


@pytest.mark.slow
def test_sigkill_mid_sync_then_rerun_loses_and_duplicates_nothing(harness: Any) -> None:
    # Every request is slowed down a little, so the kill lands while pages are still being committed.
    with harness.emulator(seed=41, users=8, faults=("slow",), fault_rate=1.0, slow_seconds=0.05) as emu:
        info = harness.connect(emu)
        total_messages = sum(len(c.messages) for c in emu.workspace.conversations.values())
        env = {**os.environ, "NO_COLOR": "1"}
        process = subprocess.Popen(
            _sync_command(), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            deadline = time.monotonic() + 120
            while _stored_messages(harness, info.id) == 0:
                assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
                assert time.monotonic() < deadline, "the sync never stored a message"
                time.sleep(0.02)
            process.send_signal(signal.SIGKILL)
        finally:
            process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL
        assert 0 < _stored_messages(harness, info.id) < total_messages

        rerun = subprocess.run(
            _sync_command(), env=env, capture_output=True, text=True, timeout=300, check=False
        )
        assert rerun.returncode == 0, rerun.stdout + rerun.stderr
        assert "connected" in rerun.stdout
        harness.assert_matches(info.id, emu.workspace, WORKSPACE_LOG_TYPES)
        assert harness.duplicates(info.id) == {}
