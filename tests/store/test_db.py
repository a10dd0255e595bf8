"""Engine set-up, URL handling, value types, and several processes sharing one SQLite database."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from aiwatch.config import ConfigError, Settings
from aiwatch.store.db import (
    create_db_engine,
    current_revision,
    head_revision,
    init_db,
    make_session_factory,
    parse_database_url,
    redacted_url,
    transaction,
)
from aiwatch.store.models import Message
from aiwatch.store.types import clean_text, clean_value, to_utc


def test_sqlite_is_tuned_for_several_processes(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'nested' / 'dir' / 'a.db'}")
    try:
        with engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() >= 10_000
    finally:
        engine.dispose()


def test_init_db_uses_the_settings_database(settings: Settings) -> None:
    engine = init_db(settings)
    assert current_revision(engine) == head_revision() is not None
    assert (settings.data_dir / "aiwatch.db").exists()


def test_postgres_urls_use_psycopg3() -> None:
    assert parse_database_url("postgresql://u:p@h/db").drivername == "postgresql+psycopg"
    assert parse_database_url("postgres://u:p@h/db").drivername == "postgresql+psycopg"
    assert parse_database_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert parse_database_url("sqlite:////tmp/x.db").drivername == "sqlite"


@pytest.mark.parametrize("url", ["not a url", "mysql://u:p@h/db", "://"])
def test_bad_database_urls_are_config_errors(url: str) -> None:
    with pytest.raises(ConfigError):
        parse_database_url(url)


def test_redacted_url_hides_the_password() -> None:
    shown = redacted_url("postgresql://aiwatch:s3cr3t-pw@db.internal:5432/aiwatch")
    assert "s3cr3t-pw" not in shown and "***" in shown and "db.internal" in shown


def test_transaction_commits_or_rolls_back(tmp_path: Path) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 't.db'}")
    try:
        factory = make_session_factory(engine)
        with transaction(factory) as session:
            session.execute(text("CREATE TABLE t (x INTEGER)"))
            session.execute(text("INSERT INTO t VALUES (1)"))
        with pytest.raises(RuntimeError), transaction(factory) as session:
            session.execute(text("INSERT INTO t VALUES (2)"))
            raise RuntimeError("boom")
        with factory() as session:
            assert session.execute(text("SELECT count(*) FROM t")).scalar() == 1
    finally:
        engine.dispose()


_WRITER = textwrap.dedent(
    """
    import sys
    from sqlalchemy import select
    from aiwatch.store.db import create_db_engine, make_session_factory, upgrade
    from aiwatch.store.models import Integration
    from aiwatch.store import repositories as repo

    url, worker = sys.argv[1], sys.argv[2]
    engine = create_db_engine(url)
    upgrade(engine)  # every process migrates at start-up, at the same time
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        integration_id = session.scalar(select(Integration.id).where(Integration.name == "shared"))
    for page in range(15):
        with sessions.begin() as session:
            rows = [
                {"message_id": f"{worker}-{page}-{i}", "text": f"t{i}", "source": "conversations"}
                for i in range(200)
            ]
            repo.upsert_messages(session, integration_id, rows)
            repo.set_cursor(session, integration_id, "conversations", {"page": page}, items_added=200)
    """
)


def test_concurrent_processes_share_one_sqlite_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    engine = create_db_engine(url)
    init_engine_then_add = make_session_factory(engine)
    from aiwatch.store.db import upgrade
    from aiwatch.store.models import Integration

    upgrade(engine)
    with init_engine_then_add.begin() as session:
        session.add(
            Integration(
                name="shared", base_url="x", workspace_id="w", chatgpt_org_id="o", platform_org_id="p",
                key_last4="abcd",
            )
        )  # fmt: skip
    workers = [
        subprocess.Popen([sys.executable, "-c", _WRITER, url, str(n)], stderr=subprocess.PIPE, text=True)
        for n in range(3)
    ]
    errors = [worker.communicate(timeout=120)[1] for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0, 0], errors
    with init_engine_then_add() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 3 * 15 * 200
    engine.dispose()


def test_to_utc_reads_every_api_timestamp_form() -> None:
    moment = datetime(2025, 3, 1, 12, 0, 0, 500_000, tzinfo=UTC)
    assert to_utc(moment.timestamp()) == moment
    assert to_utc(int(moment.timestamp())) == moment.replace(microsecond=0)
    assert to_utc("2025-03-01T12:00:00.500000Z") == moment
    assert to_utc("2025-03-01T12:00:00Z") == moment.replace(microsecond=0)
    assert to_utc("2025-03-01T14:00:00.5+02:00") == moment
    assert to_utc(datetime(2025, 3, 1, 12, 0, 0, 500_000)) == moment  # naive means UTC
    assert to_utc(moment.astimezone(timezone(timedelta(hours=-5)))) == moment
    assert to_utc(None) is None


@pytest.mark.parametrize("value", ["yesterday", "", True, 1e20, float("nan"), [1]])
def test_to_utc_rejects_what_is_not_a_timestamp(value: object) -> None:
    with pytest.raises(ValueError):
        to_utc(value)  # type: ignore[arg-type]


def test_clean_text_and_value() -> None:
    assert clean_text("ok ü 🙂") == "ok ü 🙂"
    assert clean_text("a\x00b\ud83d") == "a\ufffdb\ufffd"
    assert clean_value({"k\x00": ["\udc00", 1, None, {"n": "x"}]}) == {
        "k\ufffd": ["\ufffd", 1, None, {"n": "x"}]
    }
