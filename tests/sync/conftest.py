"""Fixtures of the sync tests: an emulator on loopback, an integration pointing at it, a sync runner, and
comparisons of what a sync stored with the emulator's ground truth. Tests use them through ``harness``."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import Settings
from aiwatch.integrations.service import IntegrationInfo, IntegrationService
from aiwatch.sources.chatgpt import ComplianceClient
from aiwatch.sources.chatgpt.retry import RetryPolicy
from aiwatch.store import models
from aiwatch.store.db import dispose_engines, init_db, make_session_factory
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
    SYNCED_EVENT_TYPES = SYNCED_EVENT_TYPES
    TEST_OPTIONS = TEST_OPTIONS

    @staticmethod
    def emulator(**overrides: Any) -> AbstractContextManager[Any]:
        return emulator(**overrides)

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

    @staticmethod
    def answering(emu: Any, fragment: str, status: int, detail: str) -> Callable[[Any], Any]:
        """A client wrapper whose requests to paths containing ``fragment`` get ``status`` (like a workspace
        where that part of the API is switched off); everything else reaches the emulator."""

        class Intercepting(httpx.BaseTransport):
            def __init__(self) -> None:
                self.inner = httpx.HTTPTransport()

            def handle_request(self, request: httpx.Request) -> httpx.Response:
                if fragment in request.url.path:
                    return httpx.Response(status, json={"detail": detail})
                return self.inner.handle_request(request)

            def close(self) -> None:
                self.inner.close()

        def wrap(client: Any) -> Any:
            client.close()
            return ComplianceClient(
                emu.base_url, emu.api_key, emu.workspace_id, rate_limits=None, transport=Intercepting()
            )

        return wrap

    def integration(self, name: str = "ws") -> IntegrationInfo:
        return self.service.get(name)

    # --- ground truth --------------------------------------------------------------------------------

    def assert_matches(
        self, integration_id: int, workspace: Any, event_types: tuple[str, ...] | None = None
    ) -> None:
        with self.sessions() as session:
            assert_matches(session, integration_id, workspace, event_types or SYNCED_EVENT_TYPES)

    def duplicates(self, integration_id: int) -> dict[str, int]:
        with self.sessions() as session:
            return duplicates(session, integration_id)

    def rows(self, model: type[models.Base], integration_id: int) -> list[Any]:
        with self.sessions() as session:
            return list(session.scalars(select(model).where(model.integration_id == integration_id)))


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


REMOVED_BY_ADMIN = "(Removed by your admin)"


def expected(workspace: Any, event_types: tuple[str, ...]) -> dict[str, Any]:
    """What a complete sync of ``workspace`` must hold."""
    with workspace.lock:
        messages = {}
        for conversation in workspace.conversations.values():
            if conversation.is_temporary:
                # Not listed by /conversations: only the log feed has it (previous_message_id as parent).
                for event in workspace.events.message_events(conversation):
                    _, message, previous = event.message_ref
                    messages[message.id] = (conversation.id, previous, message.role, message.text)
                continue
            for message in conversation.messages:
                text = REMOVED_BY_ADMIN if conversation.deleted else message.text
                messages[message.id] = (conversation.id, message.parent_id, message.role, text)
        agents = {
            agent.id: sorted(config.id for config in agent.configs)
            for store in (workspace.gpts, workspace.projects)
            for agent in store.values()
            if not agent.deleted
        }
        memories = {
            (user_id, context.id, entry.id): entry.content
            for user_id, contexts in workspace.memories.items()
            for context in contexts
            for entry in context.entries
        }
        canvas_versions = {
            (canvas.id, version.version): version.content
            for canvas in workspace.canvases.values()
            if not canvas.deleted
            for version in canvas.versions
        }
        events = {
            event["event_id"] for event_type in event_types for event in workspace.log_events(event_type)
        }
        return {
            "users": set(workspace.users),
            "conversations": set(workspace.conversations),
            "messages": messages,
            "agents": agents,
            "memories": memories,
            "canvas_versions": canvas_versions,
            "log_events": events,
        }


def stored(session: Session, integration_id: int) -> dict[str, Any]:
    def rows(model: type[models.Base]) -> list[Any]:
        return list(session.scalars(select(model).where(model.integration_id == integration_id)))

    configs: dict[str, list[str]] = {}
    for config in rows(models.AgentConfig):
        configs.setdefault(config.agent_id, []).append(config.config_id)
    return {
        "users": {u.user_id for u in rows(models.WorkspaceUser)},
        "conversations": {c.conversation_id for c in rows(models.Conversation)},
        "messages": {
            m.message_id: (m.conversation_id, m.parent_id, m.role, m.text) for m in rows(models.Message)
        },
        "agents": {
            a.agent_id: sorted(configs.get(a.agent_id, []))
            for a in rows(models.Agent)
            if a.deleted_at is None
        },
        "memories": {
            (m.user_id, m.context_id, m.entry_id): m.content for m in rows(models.Memory) if not m.deleted
        },
        "canvas_versions": {
            (v.canvas_id, v.version): v.content
            for v in rows(models.CanvasVersion)
            if v.canvas_id not in {c.canvas_id for c in rows(models.Canvas) if c.deleted_at is not None}
        },
        "log_events": {e.event_id for e in rows(models.LogEvent)},
    }


def assert_matches(
    session: Session, integration_id: int, workspace: Any, event_types: tuple[str, ...]
) -> None:
    want = expected(workspace, event_types)
    have = stored(session, integration_id)
    for key in ("users", "conversations", "agents", "memories", "canvas_versions"):
        assert have[key] == want[key], f"{key} differ"
    missing = want["messages"].keys() - have["messages"].keys()
    extra = have["messages"].keys() - want["messages"].keys()
    assert not missing and not extra, f"messages: {len(missing)} missing, {len(extra)} unexpected"
    wrong = [mid for mid, value in want["messages"].items() if have["messages"][mid] != value]
    assert not wrong, (
        f"{len(wrong)} messages differ, e.g. {want['messages'][wrong[0]]} != {have['messages'][wrong[0]]}"
    )
    assert want["log_events"] <= have["log_events"], (
        f"{len(want['log_events'] - have['log_events'])} events missing"
    )


def duplicates(session: Session, integration_id: int) -> dict[str, int]:
    """Natural keys stored more than once (the unique constraints should make this always empty)."""
    checks = {
        "messages": (models.Message, ("message_id",)),
        "conversations": (models.Conversation, ("conversation_id",)),
        "log_events": (models.LogEvent, ("event_id",)),
        "agent_configs": (models.AgentConfig, ("agent_id", "config_id")),
        "files": (models.StoredFile, ("kind", "file_id")),
    }
    found = {}
    for name, (model, keys) in checks.items():
        counter = Counter(
            tuple(row)
            for row in session.execute(
                select(*[getattr(model, k) for k in keys]).where(model.integration_id == integration_id)
            )
        )
        found[name] = sum(count - 1 for count in counter.values() if count > 1)
    return {name: count for name, count in found.items() if count}
