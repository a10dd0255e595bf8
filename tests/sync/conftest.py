"""Fixtures of the sync tests (helpers live in sync_harness.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sync_harness import SyncHarness

from aiwatch.config import Settings
from aiwatch.integrations.service import IntegrationService
from aiwatch.store.db import dispose_engines, init_db, make_session_factory


@pytest.fixture
def harness(settings: Settings) -> Iterator[SyncHarness]:
    sessions = make_session_factory(init_db(settings))
    yield SyncHarness(settings, sessions, IntegrationService(settings, sessions))
    dispose_engines()


@pytest.fixture
def db_harness(db_settings: Settings) -> Iterator[SyncHarness]:
    """Like ``harness`` but parametrized over SQLite and PostgreSQL."""
    sessions = make_session_factory(init_db(db_settings))
    yield SyncHarness(db_settings, sessions, IntegrationService(db_settings, sessions))
    dispose_engines()
