"""A migrated database with content of two ages, for purge tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from retention_seed import seed_into
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.store.db import create_db_engine, make_session_factory, upgrade

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def retention_engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def seeded_sessions(retention_engine: Engine) -> sessionmaker[Session]:
    sessions = make_session_factory(retention_engine)
    seed_into(sessions, NOW)
    return sessions


@pytest.fixture
def retention_now() -> datetime:
    """The 'now' the seeded content is dated against (old: 120 days before, recent: 5 days before)."""
    return NOW
