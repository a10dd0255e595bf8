"""Fixtures of the pipeline tests: an emulator workspace on loopback synced into a real database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pipeline_helpers import Store, empty_store
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import Settings
from aiwatch.integrations.service import IntegrationService
from aiwatch.sources.chatgpt.retry import RetryPolicy
from aiwatch.store.db import dispose_engines, init_db, make_session_factory
from aiwatch.sync.runner import client_factory, sync_integration

FAST_RETRIES = RetryPolicy(max_retries=10, base_delay=0.01, max_delay=0.1, max_retry_after=0.2)
SMALL_WORKSPACE = {"seed": 11, "users": 4, "days": 2, "conversations_per_user": 3, "rate_limit_scale": 0}


@dataclass
class Synced:
    settings: Settings
    sessions: sessionmaker[Session]
    service: IntegrationService
    emulator: Any
    integration_id: int


def synced_workspace(settings: Settings, name: str = "ws", **overrides: Any) -> Iterator[Synced]:
    from aiwatch.emulator.server import EmulatorConfig, EmulatorServer

    sessions = make_session_factory(init_db(settings))
    service = IntegrationService(settings, sessions)
    with EmulatorServer(EmulatorConfig(**{**SMALL_WORKSPACE, **overrides})) as emu:
        info, _ = service.add(
            name=name,
            workspace_id=emu.workspace_id,
            chatgpt_org_id=emu.chatgpt_org_id,
            platform_org_id=emu.platform_org_id,
            api_key=emu.api_key,
            base_url=emu.base_url,
        )
        summary = sync_integration(
            service,
            sessions,
            service.get(name),
            client_factory=client_factory(rate_limit_scale=None, retry_policy=FAST_RETRIES, timeout=10.0),
        )
        assert summary.ok, summary
        yield Synced(settings, sessions, service, emu, info.id)
    dispose_engines()


@pytest.fixture
def synced(db_settings: Settings) -> Iterator[Synced]:
    """A synced emulator workspace with planted risks, on SQLite and PostgreSQL."""
    yield from synced_workspace(db_settings)


@pytest.fixture
def clean_synced(settings: Settings) -> Iterator[Synced]:
    """A synced control workspace without planted risks."""
    yield from synced_workspace(settings, clean=True)


@pytest.fixture
def db_store(db_settings: Settings) -> Iterator[Store]:
    """An empty store with one integration, on SQLite and PostgreSQL."""
    yield empty_store(db_settings)
    dispose_engines()


@pytest.fixture
def sqlite_store(settings: Settings) -> Iterator[Store]:
    yield empty_store(settings)
    dispose_engines()
