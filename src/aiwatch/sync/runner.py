"""Run sync passes for stored integrations: build the client from the integration, run, record."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import ConfigError, Settings
from aiwatch.store import models
from aiwatch.sync.context import SyncContext, SyncOptions
from aiwatch.sync.engine import SyncSummary, run_pass
from aiwatch.sync.progress import ProgressReporter, SilentProgress

ClientFactory = Callable[["IntegrationTarget", str], Any]


@dataclass(frozen=True)
class IntegrationTarget:
    """What a sync needs to know about an integration (never the key: it is decrypted on use)."""

    id: int
    name: str
    base_url: str
    workspace_id: str
    platform_org_id: str | None
    key_ciphertext: str | None


def default_client(target: IntegrationTarget, api_key: str) -> Any:
    from aiwatch.sources.chatgpt import ComplianceClient

    return ComplianceClient(target.base_url, api_key, target.workspace_id)


def active_targets(sessions: sessionmaker[Session], name: str | None = None) -> list[IntegrationTarget]:
    """Integrations to sync: the named one, or every one not paused and not removed."""
    with sessions() as session:
        query = select(models.Integration).where(models.Integration.removed_at.is_(None))
        if name is not None:
            query = query.where(models.Integration.name == name)
        else:
            query = query.where(models.Integration.status != models.IntegrationStatus.PAUSED.value)
        integrations = list(session.scalars(query.order_by(models.Integration.name)))
    if name is not None and not integrations:
        raise ConfigError(f"no integration named {name!r}; list them with `aiwatch integrations list`")
    return [
        IntegrationTarget(
            id=row.id,
            name=row.name,
            base_url=row.base_url,
            workspace_id=row.workspace_id,
            platform_org_id=row.platform_org_id,
            key_ciphertext=row.key_ciphertext,
        )
        for row in integrations
    ]


def sync_target(
    settings: Settings,
    sessions: sessionmaker[Session],
    target: IntegrationTarget,
    *,
    options: SyncOptions | None = None,
    progress: ProgressReporter | None = None,
    stop: threading.Event | None = None,
    client_factory: ClientFactory = default_client,
) -> SyncSummary:
    """One pass over every stream of one integration."""
    from aiwatch.crypto import load_secret_box

    if not target.key_ciphertext:
        raise ConfigError(
            f"integration {target.name!r} has no API key; set one with `aiwatch integrations rotate-key`"
        )
    api_key = load_secret_box(settings).decrypt(target.key_ciphertext)
    client = client_factory(target, api_key)
    del api_key
    ctx = SyncContext(
        integration_id=target.id,
        workspace_id=target.workspace_id,
        platform_org_id=target.platform_org_id,
        client=client,
        sessions=sessions,
        options=options or SyncOptions(),
        progress=progress or SilentProgress(),
        stop=stop or threading.Event(),
        clock=lambda: datetime.now(UTC),
    )
    try:
        return run_pass(ctx, target.name)
    finally:
        close = getattr(client, "close", None)
        if close is not None:
            close()
