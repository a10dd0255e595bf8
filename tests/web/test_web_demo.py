"""``aiwatch demo`` (live) serves the console beside the sync and prints a working login."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from test_web_cli import _env, _free_port
from web_live import form_login


def test_live_demo_serves_the_console(tmp_path: Path) -> None:
    port = _free_port()
    executable = Path(sys.executable).with_name("aiwatch")
    process = subprocess.Popen(
        [str(executable), "demo", "--users", "2", "--interval", "30", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(tmp_path),
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 120
        login = None
        output = []
        while login is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            output.append(line)
            login = re.search(r"Web console (http://\S+)\s+sign in as demo / (\S+)", line)
        assert login is not None, "".join(output)
        url, password = login.groups()
        assert url == f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=url, timeout=30) as client:
            assert form_login(client, "demo", password).status_code == 303
            tiles = client.get("/integrations").text
            assert 'data-integration="demo"' in tiles and ">Connected<" in tiles
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
