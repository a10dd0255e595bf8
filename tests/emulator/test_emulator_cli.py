"""`aiwatch emulator` as a user runs it: a subprocess that prints what to paste and serves until stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

AIWATCH = [str(Path(sys.executable).with_name("aiwatch"))]


def start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [*AIWATCH, "emulator", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )


def read_banner(process: subprocess.Popen[str]) -> dict[str, str]:
    banner: dict[str, str] = {}
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            raise AssertionError(f"emulator exited early: {process.stderr.read() if process.stderr else ''}")
        if line.startswith("Serving until"):
            return banner
        name, _, value = line.partition(":")
        banner[name.strip()] = value.strip()
    raise AssertionError("no banner")


def test_cli_serves_prints_identifiers_and_writes_labels(tmp_path: Path) -> None:
    labels = tmp_path / "out" / "labels.jsonl"
    process = start(
        "--port",
        "0",
        "--users",
        "4",
        "--days",
        "2",
        "--conversations-per-user",
        "3",
        "--seed",
        "9",
        "--labels-out",
        str(labels),
        "--rate-limit-scale",
        "0",
        "--key",
        "sk-comp-clitest0000000000",
    )
    try:
        banner = read_banner(process)
        base_url = banner["Base URL"]
        key = banner["API key"].split()[0]
        assert key == "sk-comp-clitest0000000000"
        assert banner["Organization ID (ChatGPT)"].startswith("org-")
        assert banner["Organization ID (Platform)"].startswith("org-")
        workspace_id = banner["Workspace ID"]
        response = httpx.get(
            f"{base_url}/compliance/workspaces/{workspace_id}/users",
            headers={"Authorization": f"Bearer {key}"},
        )
        assert response.status_code == 200 and len(response.json()["data"]) == 4
        lines = [json.loads(line) for line in labels.read_text().splitlines()]
        assert lines and {"label_id", "rule", "location", "value", "user_id"} <= set(lines[0])
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0


def test_cli_rejects_bad_options() -> None:
    bad_fault = subprocess.run(
        [*AIWATCH, "emulator", "--faults", "meteor"], capture_output=True, text=True, timeout=60
    )
    assert bad_fault.returncode == 2 and "meteor" in bad_fault.stderr
    bad_scope = subprocess.run(
        [*AIWATCH, "emulator", "--scopes", "read,admin"], capture_output=True, text=True, timeout=60
    )
    assert bad_scope.returncode == 2 and "admin" in bad_scope.stderr


def test_cli_port_in_use_is_a_clear_error() -> None:
    first = start("--port", "0", "--users", "2", "--days", "1", "--conversations-per-user", "1")
    try:
        port = read_banner(first)["Base URL"].rsplit(":", 1)[1].split("/")[0]
        second = subprocess.run(
            [*AIWATCH, "emulator", "--port", port, "--users", "2", "--days", "1"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2 and "cannot listen" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=30) == 0
