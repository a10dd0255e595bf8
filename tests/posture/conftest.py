"""An emulator workspace synced into a fresh database, for posture and activity end-to-end tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import Settings
from aiwatch.integrations.service import IntegrationService
from aiwatch.sources.chatgpt.retry import RetryPolicy
from aiwatch.store.db import dispose_engines, init_db, make_session_factory
from aiwatch.sync.runner import client_factory, sync_integration


@dataclass
class SyncedWorkspace:
    settings: Settings
    sessions: sessionmaker[Session]
    service: IntegrationService
    integration_id: int
    emulator: Any  # the running EmulatorServer (ground truth: .workspace, .labels)

    def resync(self) -> None:
        _sync(self.service, self.sessions, "ws")


def _sync(service: IntegrationService, sessions: sessionmaker[Session], name: str) -> None:
    make = client_factory(
        rate_limit_scale=None,
        retry_policy=RetryPolicy(max_retries=10, base_delay=0.01, max_delay=0.1, max_retry_after=0.2),
        timeout=10.0,
    )
    sync_integration(service, sessions, service.get(name), client_factory=make)


@pytest.fixture
def synced_workspace(settings: Settings, request: pytest.FixtureRequest) -> Iterator[SyncedWorkspace]:
    """Parametrize indirectly with EmulatorConfig overrides (default: a small risky workspace)."""
    from aiwatch.emulator.server import EmulatorConfig, EmulatorServer

    config: dict[str, Any] = {
        "seed": 5,
        "users": 10,
        "days": 2,
        "conversations_per_user": 1,
        "rate_limit_scale": 0,
    }
    config.update(getattr(request, "param", {}))
    sessions = make_session_factory(init_db(settings))
    service = IntegrationService(settings, sessions)
    with EmulatorServer(EmulatorConfig(**config)) as emu:
        info, _ = service.add(
            name="ws",
            workspace_id=emu.workspace_id,
            chatgpt_org_id=emu.chatgpt_org_id,
            platform_org_id=emu.platform_org_id,
            api_key=emu.api_key,
            base_url=emu.base_url,
        )
        _sync(service, sessions, "ws")
        yield SyncedWorkspace(settings, sessions, service, info.id, emu)
    dispose_engines()
