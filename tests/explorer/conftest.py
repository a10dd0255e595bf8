"""Fixtures of the explorer tests: an empty store with one integration, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from explorer_helpers import Seed

from aiwatch.config import Settings
from aiwatch.store import models as m
from aiwatch.store.db import dispose_engines, init_db, make_session_factory


@pytest.fixture
def seed(db_settings: Settings) -> Iterator[Seed]:
    """An empty database with one integration, on SQLite and PostgreSQL."""
    sessions = make_session_factory(init_db(db_settings))
    with sessions.begin() as session:
        row = m.Integration(
            name="ws",
            base_url="http://127.0.0.1:9",
            workspace_id="ws-1",
            chatgpt_org_id="org-1",
            platform_org_id="org-2",
            key_last4="abcd",
        )
        session.add(row)
        session.flush()
        integration_id = row.id
    yield Seed(sessions, integration_id)
    dispose_engines()
