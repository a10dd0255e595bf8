"""``aiwatch users …`` and ``aiwatch serve`` as real processes."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from web_live import form_login

from aiwatch.config import Settings
from aiwatch.store.db import dispose_engines, init_db, make_session_factory
from aiwatch.web.audit import AuditLog


def _env(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIWATCH_")}
    env.update({"AIWATCH_DATA_DIR": str(data_dir), "NO_COLOR": "1", "COLUMNS": "200"})
    return env


def _aiwatch(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    executable = Path(sys.executable).with_name("aiwatch")
    return subprocess.run(
        [str(executable), *args], capture_output=True, text=True, env=_env(data_dir), timeout=120, check=False
    )


def test_users_commands(tmp_path: Path) -> None:
    created = _aiwatch(tmp_path, "users", "create", "alice", "--role", "analyst")
    assert created.returncode == 0, created.stderr
    assert re.search(r"Password \(shown once\): \S{16,}", created.stdout)
    assert _aiwatch(tmp_path, "users", "create", "alice").returncode == 2
    bad_role = _aiwatch(tmp_path, "users", "create", "bob", "--role", "root")
    assert bad_role.returncode == 2 and "unknown role" in bad_role.stderr
    assert _aiwatch(tmp_path, "users", "set-role", "alice", "admin").returncode == 0
    listing = _aiwatch(tmp_path, "users", "list").stdout
    assert "alice\tadmin\tactive" in listing
    reset = _aiwatch(tmp_path, "users", "reset-password", "alice")
    assert reset.returncode == 0 and "New password for alice" in reset.stdout
    missing = _aiwatch(tmp_path, "users", "reset-password", "nobody")
    assert missing.returncode == 2 and "no account named" in missing.stderr

    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'aiwatch.db'}")
    try:
        entries, _total = AuditLog(make_session_factory(init_db(settings))).page()
    finally:
        dispose_engines()
    assert [entry.action for entry in entries] == ["user.reset_password", "user.set_role", "user.create"]
    assert all(entry.actor.startswith("cli:") and entry.target == "alice" for entry in entries)
    assert reset.stdout.split()[-1] not in str([entry.details for entry in entries])


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_creates_the_first_admin_and_answers(tmp_path: Path) -> None:
    port = _free_port()
    executable = Path(sys.executable).with_name("aiwatch")
    process = subprocess.Popen(
        [str(executable), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(tmp_path),
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        assert "created the account 'admin'" in lines[0]
        password = lines[1].strip()
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz")
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "aiwatch serve did not answer"
                time.sleep(0.1)
        assert health.json()["status"] == "ok"
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            signed_in = form_login(client, "admin", password)
            assert signed_in.status_code == 303
            assert client.get("/api/me").json() == {"username": "admin", "role": "admin"}
    finally:
        process.terminate()
        process.wait(30)
    again = _aiwatch(tmp_path, "users", "list")
    assert again.stdout.count("admin") == 2  # the name and the role: a second admin was never created
