"""Run sync passes for stored integrations: build the client from the integration, run, record."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import ConfigError
from aiwatch.integrations.service import (
    IntegrationError,
    IntegrationInfo,
    IntegrationService,
    active_integrations,
)
from aiwatch.sync.context import SyncContext, SyncOptions
from aiwatch.sync.engine import SyncSummary, run_pass
from aiwatch.sync.progress import ProgressReporter, SilentProgress

ClientFactory = Callable[[IntegrationInfo, str], Any]


def client_factory(*, rate_limit_scale: float | None = 1.0, **client_options: Any) -> ClientFactory:
    """A factory of Compliance API clients; ``rate_limit_scale`` None (or 0) turns client limits off,
    2.0 allows twice the documented rates (only sensible against the emulator)."""

    def make(integration: IntegrationInfo, api_key: str) -> Any:
        from aiwatch.sources.chatgpt import ComplianceClient
        from aiwatch.sources.chatgpt.ratelimit import RateLimits

        limits = RateLimits(scale=rate_limit_scale) if rate_limit_scale else None
        return ComplianceClient(
            integration.base_url, api_key, integration.workspace_id, rate_limits=limits, **client_options
        )

    return make


def default_client(integration: IntegrationInfo, api_key: str) -> Any:
    """A client honouring the documented rate limits."""
    return client_factory()(integration, api_key)


def integrations_to_sync(service: IntegrationService, name: str | None = None) -> list[IntegrationInfo]:
    """The named integration, or every one that is neither paused nor removed."""
    if name is None:
        return active_integrations(service.list_integrations())
    try:
        info = service.get(name)
    except IntegrationError as exc:
        raise ConfigError(f"{exc}; list them with `aiwatch integrations list`") from exc
    if info.removed_at is not None:
        raise ConfigError(f"integration {info.name!r} was removed; it is no longer synced")
    if info.paused:
        raise ConfigError(
            f"integration {info.name!r} is paused; resume it with `aiwatch integrations resume`"
        )
    return [info]


def sync_integration(
    service: IntegrationService,
    sessions: sessionmaker[Session],
    integration: IntegrationInfo,
    *,
    options: SyncOptions | None = None,
    progress: ProgressReporter | None = None,
    stop: threading.Event | None = None,
    client_factory: ClientFactory = default_client,
) -> SyncSummary:
    """One pass over every stream of one integration."""
    try:
        api_key = service.get_api_key(integration)
    except IntegrationError as exc:
        raise ConfigError(str(exc)) from exc
    client = client_factory(integration, api_key)
    del api_key
    ctx = SyncContext(
        integration_id=integration.id,
        workspace_id=integration.workspace_id,
        platform_org_id=integration.platform_org_id,
        client=client,
        sessions=sessions,
        options=options or SyncOptions(),
        progress=progress or SilentProgress(),
        stop=stop or threading.Event(),
        clock=lambda: datetime.now(UTC),
    )
    try:
        return run_pass(ctx, integration.name)
    finally:
        close = getattr(client, "close", None)
        if close is not None:
            close()
