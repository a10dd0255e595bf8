"""Helpers of the sync tests: an emulator on loopback, an integration pointing at it, a sync runner."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import Settings
from aiwatch.integrations.service import IntegrationInfo, IntegrationService
from aiwatch.sources.chatgpt.retry import RetryPolicy
from aiwatch.sync.context import WORKSPACE_LOG_TYPES, SyncOptions
from aiwatch.sync.engine import SyncSummary
from aiwatch.sync.runner import client_factory, sync_integration

# Fast retries: the emulator's faults are frequent and the machine is small.
FAST_RETRIES = RetryPolicy(max_retries=10, base_delay=0.01, max_delay=0.1, max_retry_after=0.2)
SYNCED_EVENT_TYPES = (*WORKSPACE_LOG_TYPES, "WORKSPACE_ANALYTICS_LOG")
TEST_OPTIONS = SyncOptions(extra_log_types=("WORKSPACE_ANALYTICS_LOG",))


def emulator(**overrides: Any) -> AbstractContextManager[Any]:
    from aiwatch.emulator.server import EmulatorConfig, EmulatorServer

    config: dict[str, Any] = {
        "seed": 11,
        "users": 6,
        "days": 3,
        "conversations_per_user": 3,
        "rate_limit_scale": 0,
    }
    config.update(overrides)
    return EmulatorServer(EmulatorConfig(**config))


@dataclass
class SyncHarness:
    settings: Settings
    sessions: sessionmaker[Session]
    service: IntegrationService

    def connect(
        self, emu: Any, name: str = "ws", *, api_key: str | None = None, workspace_id: str | None = None
    ) -> IntegrationInfo:
        info, _ = self.service.add(
            name=name,
            workspace_id=workspace_id or emu.workspace_id,
            chatgpt_org_id=emu.chatgpt_org_id,
            platform_org_id=emu.platform_org_id,
            api_key=api_key or emu.api_key,
            base_url=emu.base_url,
        )
        return info

    def sync(
        self,
        name: str = "ws",
        *,
        options: SyncOptions = TEST_OPTIONS,
        stop: threading.Event | None = None,
        client_wrapper: Callable[[Any], Any] | None = None,
    ) -> SyncSummary:
        make = client_factory(rate_limit_scale=None, retry_policy=FAST_RETRIES, timeout=10.0)

        def factory(info: IntegrationInfo, key: str) -> Any:
            client = make(info, key)
            return client_wrapper(client) if client_wrapper else client

        return sync_integration(
            self.service,
            self.sessions,
            self.service.get(name),
            options=options,
            stop=stop,
            client_factory=factory,
        )

    def integration(self, name: str = "ws") -> IntegrationInfo:
        return self.service.get(name)
