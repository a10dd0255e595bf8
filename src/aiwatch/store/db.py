"""Engine, sessions and schema upgrades for the configured database (embedded SQLite or PostgreSQL).

SQLite is tuned for several processes at once (a CLI sync next to the web server): WAL journal, foreign keys
on, and a busy timeout so a writer waits for another instead of failing. PostgreSQL goes through psycopg 3.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import ConfigError, Settings

SQLITE_BUSY_TIMEOUT_MS = 30_000
_PG_MIGRATION_LOCK = 0x616977617463  # "aiwatc": any constant shared by every aiwatch process

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def parse_database_url(url: str) -> URL:
    """The SQLAlchemy URL for a configured database URL; plain ``postgresql://`` means psycopg 3."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            "AIWATCH_DATABASE_URL is not a database URL (expected sqlite:///PATH or "
            "postgresql://USER:PASSWORD@HOST/DB)"
        ) from exc
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"database backend {parsed.get_backend_name()!r} is not supported; use sqlite or postgresql"
        )
    return parsed


def redacted_url(url: str | URL) -> str:
    """The URL with its password masked, safe for messages and logs."""
    parsed = url if isinstance(url, URL) else parse_database_url(url)
    return parsed.render_as_string(hide_password=True)


def _enable_sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    del connection_record
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA synchronous = NORMAL")  # durable with WAL, much faster than FULL
    finally:
        cursor.close()


def create_db_engine(url: str | URL) -> Engine:
    """A new engine for ``url`` (prefer ``get_engine``, which shares one per URL in the process)."""
    parsed = url if isinstance(url, URL) else parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    # psycopg prepares repeated statements (fast executemany). Plans stay custom: a generic plan made while
    # a table is still small (a first back-fill) would keep sequential scans as the table grows.
    connect_args = {} if "options" in parsed.query else {"options": "-c plan_cache_mode=force_custom_plan"}
    return create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)


def get_engine(settings: Settings) -> Engine:
    """The process-wide engine for the configured database."""
    url = settings.resolved_database_url
    with _engines_lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = create_db_engine(url)
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, and before a fork)."""
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # expire_on_commit=False: objects stay readable after the transaction that loaded them ends.
    return sessionmaker(bind=engine, expire_on_commit=False)


def session_factory(settings: Settings) -> sessionmaker[Session]:
    return make_session_factory(get_engine(settings))


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work commits on success and rolls back on any exception."""
    with factory() as session, session.begin():
        yield session


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("aiwatch.store") / "migrations"))
    config.attributes["connection"] = connection
    return config


@contextmanager
def _migration_connection(engine: Engine) -> Iterator[Any]:
    """A connection holding a lock only one migrating process can have (two may start at once)."""
    database = engine.url.database
    if engine.dialect.name == "sqlite" and database and database != ":memory:":
        with open(f"{database}.migrate-lock", "a") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                with engine.begin() as connection:
                    yield connection
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
        yield connection


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (Alembic ``upgrade``)."""
    from alembic import command

    with _migration_connection(engine) as connection:
        command.upgrade(_alembic_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (Alembic ``downgrade``; "base" drops everything)."""
    from alembic import command

    with _migration_connection(engine) as connection:
        command.downgrade(_alembic_config(connection), revision)


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None when it was never initialised."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    """The newest revision shipped with this version of aiwatch."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def init_db(settings: Settings) -> Engine:
    """Create or upgrade the configured database to the newest schema and return its engine."""
    engine = get_engine(settings)
    upgrade(engine)
    return engine
