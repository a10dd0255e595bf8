"""``aiwatch integrations add`` + ``test`` as real processes against the emulated Compliance API over HTTP."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiwatch.emulator.server import EmulatorConfig, EmulatorServer

NO_SCOPE_KEY = "sk-proj-NoComplianceScope0123456789abcdefNOSC"
WRONG_KEY = "sk-proj-WrongKey0123456789abcdefghijklmnWRNG"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(seed=11, users=2, days=1, conversations_per_user=1, extra_keys={NO_SCOPE_KEY: ()})
    with EmulatorServer(config) as server:
        yield server


def _aiwatch(data_dir: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWATCH_")}
    env.update({"AIWATCH_DATA_DIR": str(data_dir), "COLUMNS": "200", "NO_COLOR": "1"})
    executable = Path(sys.executable).with_name("aiwatch")
    return subprocess.run(
        [str(executable), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _add(emulator: EmulatorServer, data_dir: Path, name: str, key: str) -> subprocess.CompletedProcess[str]:
    return _aiwatch(
        data_dir,
        "integrations", "add", "chatgpt", "--name", name,
        "--workspace-id", emulator.workspace_id,
        "--chatgpt-org-id", emulator.chatgpt_org_id,
        "--platform-org-id", emulator.platform_org_id,
        "--base-url", emulator.base_url,
        "--key-name", "compliance-reader",
        "--key-file", "-",
        stdin=key + "\n",
    )  # fmt: skip


def test_add_and_test_with_the_right_key(emulator: EmulatorServer, tmp_path: Path) -> None:
    added = _add(emulator, tmp_path, "emu", emulator.api_key)
    assert added.returncode == 0, added.stderr
    tested = _aiwatch(tmp_path, "integrations", "test", "emu")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "Key accepted" in tested.stdout and "PASS" in tested.stdout
    assert "Connected" in tested.stdout
    assert emulator.api_key not in tested.stdout + tested.stderr + added.stdout + added.stderr
    listed = _aiwatch(tmp_path, "integrations", "list")
    assert "connected" in listed.stdout and emulator.api_key[-4:] in listed.stdout


def test_wrong_key_fails_with_a_readable_table(emulator: EmulatorServer, tmp_path: Path) -> None:
    assert _add(emulator, tmp_path, "emu", WRONG_KEY).returncode == 0
    tested = _aiwatch(tmp_path, "integrations", "test", "emu")
    assert tested.returncode != 0
    key_row = next(line for line in tested.stdout.splitlines() if "Key accepted" in line)
    assert "FAIL" in key_row
    assert "Traceback" not in tested.stderr and WRONG_KEY not in tested.stdout + tested.stderr
    listed = _aiwatch(tmp_path, "integrations", "list")
    assert "error" in listed.stdout


def test_key_without_compliance_scope_offers_the_support_email(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    assert _add(emulator, tmp_path, "emu", NO_SCOPE_KEY).returncode == 0
    tested = _aiwatch(tmp_path, "integrations", "test", "emu")
    assert tested.returncode != 0
    access_row = next(line for line in tested.stdout.splitlines() if "Compliance access granted" in line)
    assert "FAIL" in access_row
    assert "Email to send to OpenAI support" in tested.stdout and "NOSC" in tested.stdout
    assert NO_SCOPE_KEY not in tested.stdout


def test_rotating_to_the_right_key_recovers(emulator: EmulatorServer, tmp_path: Path) -> None:
    assert _add(emulator, tmp_path, "emu", WRONG_KEY).returncode == 0
    assert _aiwatch(tmp_path, "integrations", "test", "emu").returncode != 0
    rotated = _aiwatch(
        tmp_path, "integrations", "rotate-key", "emu", "--key-file", "-", stdin=emulator.api_key
    )
    assert rotated.returncode == 0, rotated.stderr
    assert _aiwatch(tmp_path, "integrations", "test", "emu").returncode == 0
