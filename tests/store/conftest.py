"""A migrated database (SQLite and PostgreSQL) with one integration row, for repository tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.store.db import create_db_engine, make_session_factory, upgrade
from aiwatch.store.models import Integration


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


def _add_integration(sessions: sessionmaker[Session], name: str) -> int:
    with sessions.begin() as session:
        integration = Integration(
            name=name,
            base_url="http://127.0.0.1:1/v1",
            workspace_id="00000000-0000-4000-8000-000000000000",
            chatgpt_org_id="org-aaaaaaaaaaaaaaaaaaaaaaaa",
            platform_org_id="org-bbbbbbbbbbbbbbbbbbbbbbbb",
            key_ciphertext="not-a-real-token",
            key_last4="abcd",
        )
        session.add(integration)
        session.flush()
        return integration.id


@pytest.fixture
def add_integration(sessions: sessionmaker[Session]) -> Callable[[str], int]:
    """Adds an integration row by name and returns its id."""
    return lambda name: _add_integration(sessions, name)


@pytest.fixture
def integration_id(add_integration: Callable[[str], int]) -> int:
    return add_integration("acme")
