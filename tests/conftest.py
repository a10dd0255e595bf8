"""Fixtures shared by every test package. Domain-specific fixtures live in each tests/<domain>/conftest.py."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiwatch.config import Settings, get_settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Process settings pointing at a fresh data directory (SQLite default, generated dev key)."""
    for name in ("AIWATCH_DATABASE_URL", "AIWATCH_SECRET_KEY", "AIWATCH_CONFIG_FILE", "AIWATCH_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AIWATCH_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


# --- PostgreSQL: a throw-away cluster per test session (per xdist worker) -----------------------------------

POSTGRES_REQUIRED = os.environ.get("AIWATCH_TEST_REQUIRE_POSTGRES") == "1"


def _postgres_bin_dir() -> Path | None:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True
    )
    for bin_dir in candidates:
        if (bin_dir / "initdb").is_file() and (bin_dir / "pg_ctl").is_file():
            return bin_dir
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    """initdb + pg_ctl in a temp dir on a free loopback port; as the ``postgres`` user when run as root."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="aiwatch-pg-"))
        self.data_dir = self.root / "data"
        self.port = 0
        self._as_user: list[str] = []
        if os.geteuid() == 0:  # initdb refuses to run as root
            self._as_user = ["runuser", "-u", "postgres", "--"]
            pw = pwd.getpwnam("postgres")
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
        self.root.chmod(0o700)

    def _run(self, *args: str) -> None:
        result = subprocess.run(
            [*self._as_user, *args], capture_output=True, text=True, timeout=120, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): {result.stderr or result.stdout}")

    def start(self) -> None:
        self._run(
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )
        for _attempt in range(5):  # the port may be taken between choosing and binding it
            self.port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
            )
            try:
                self._run(
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-o",
                    options,
                    "-l",
                    str(self.root / "server.log"),
                    "-w",
                    "-t",
                    "60",
                    "start",
                )
                return
            except RuntimeError:
                continue
        raise RuntimeError("PostgreSQL did not start: " + (self.root / "server.log").read_text()[-2000:])

    def stop(self) -> None:
        if self.data_dir.exists():
            subprocess.run(
                [
                    *self._as_user,
                    str(self.bin_dir / "pg_ctl"),
                    "-D",
                    str(self.data_dir),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """A running PostgreSQL server for this test process; skipped when the server binaries are missing."""
    bin_dir = _postgres_bin_dir()
    if bin_dir is None:
        message = "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
        if POSTGRES_REQUIRED:
            pytest.fail(message + " (AIWATCH_TEST_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    cluster: PostgresCluster | None = None
    try:
        cluster = PostgresCluster(bin_dir)
        cluster.start()
    except (RuntimeError, OSError, KeyError, subprocess.TimeoutExpired) as exc:
        if cluster is not None:
            cluster.stop()
        if POSTGRES_REQUIRED:
            pytest.fail(f"cannot start PostgreSQL: {exc}")
        pytest.skip(f"cannot start PostgreSQL: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: PostgresCluster) -> Iterator[str]:
    """URL of a fresh, empty database (dropped afterwards) on the session's PostgreSQL server."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(postgres_cluster.url().replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_cluster.url(name)
    from aiwatch.store.db import dispose_engines

    dispose_engines()
    with psycopg.connect(postgres_cluster.url().replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh empty database URL, once on SQLite and once on PostgreSQL (tests run on both)."""
    if request.param == "postgres":
        yield request.getfixturevalue("postgres_url")
        return
    yield f"sqlite:///{tmp_path / 'test.db'}"
    from aiwatch.store.db import dispose_engines

    dispose_engines()


@pytest.fixture
def db_settings(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings with a fresh data directory whose database is ``db_url`` (SQLite and PostgreSQL)."""
    for name in ("AIWATCH_SECRET_KEY", "AIWATCH_CONFIG_FILE", "AIWATCH_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AIWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("AIWATCH_DATABASE_URL", db_url)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
