"""Integration actions shared by the JSON API and the pages: each does the change and writes the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from aiwatch.integrations.service import IntegrationInfo, IntegrationNotFound, IntegrationService
from aiwatch.sources.chatgpt.checks import CheckReport, run_credential_checks
from aiwatch.store.models import IntegrationStatus
from aiwatch.web.accounts import Principal
from aiwatch.web.audit import AuditLog
from aiwatch.web.backfill import BackfillManager

DEFAULT_INTEGRATION_NAME = "chatgpt-enterprise"


@dataclass(frozen=True)
class ConnectionFields:
    """What the Connect page and ``POST /api/integrations`` take."""

    api_key: str
    workspace_id: str
    chatgpt_org_id: str
    platform_org_id: str
    base_url: str
    key_name: str | None = None
    created_by: str | None = None
    name: str = DEFAULT_INTEGRATION_NAME

    def __repr__(self) -> str:  # never show the key
        return f"ConnectionFields(name={self.name!r}, workspace_id={self.workspace_id!r})"


class Operations:
    def __init__(self, request: Request, principal: Principal) -> None:
        state = request.app.state
        self.service: IntegrationService = state.integrations
        self.audit: AuditLog = state.audit
        self.backfills: BackfillManager = state.backfills
        self.principal = principal
        self.source_ip = request.client.host if request.client else None

    def _record(self, action: str, target: str | None, details: dict[str, Any] | None = None) -> None:
        self.audit.record(self.principal.actor, action, target, details, self.source_ip)

    def check_fields(self, fields: ConnectionFields) -> CheckReport:
        """Test Credentials before anything is saved (the key only passes through)."""
        return run_credential_checks(
            fields.base_url,
            fields.api_key,
            fields.workspace_id,
            fields.chatgpt_org_id,
            fields.platform_org_id,
            fields.key_name,
            fields.created_by,
        )

    def connect(self, fields: ConnectionFields) -> tuple[IntegrationInfo, list[str]]:
        """Save and Connect: store the key encrypted, then start the first back-fill in the background.

        A workspace disconnected earlier with its data kept is reconnected (synced data and cursors stay)."""
        if self._removed_with_data_kept(fields.name):
            self.service.rotate_key(fields.name, fields.api_key, key_name=fields.key_name)  # restores it
            info = self.service.update(
                fields.name,
                base_url=fields.base_url,
                workspace_id=fields.workspace_id,
                chatgpt_org_id=fields.chatgpt_org_id,
                platform_org_id=fields.platform_org_id,
            )
            self._record("integration.reconnect", info.name, {"key_last4": info.key_last4})
            self.backfills.start(info.name)
            return info, []
        info, warnings = self.service.add(
            name=fields.name,
            workspace_id=fields.workspace_id,
            chatgpt_org_id=fields.chatgpt_org_id,
            platform_org_id=fields.platform_org_id,
            api_key=fields.api_key,
            base_url=fields.base_url,
            key_name=fields.key_name,
            created_by=fields.created_by,
        )
        self._record(
            "integration.add",
            info.name,
            {"workspace_id": info.workspace_id, "key_last4": info.key_last4, "base_url": info.base_url},
        )
        self.backfills.start(info.name)
        return info, warnings

    def _removed_with_data_kept(self, name: str) -> bool:
        try:
            return self.service.get(name).removed_at is not None
        except IntegrationNotFound:
            return False

    def retest(self, name: str) -> tuple[IntegrationInfo, CheckReport]:
        """Test the stored credentials and record the outcome as the integration's status."""
        info = self.service.get(name)
        api_key = self.service.get_api_key(info)
        report = run_credential_checks(
            info.base_url,
            api_key,
            info.workspace_id,
            info.chatgpt_org_id,
            info.platform_org_id,
            info.key_name,
            info.created_by,
        )
        del api_key
        first = report.failed[0] if report.failed else None
        reason = f"{first.title}: {first.explanation}" if first else "a required check did not pass"
        if info.paused:  # testing does not resume a paused integration
            outcome = "passed" if report.ok else f"failed ({reason})"
            info = self.service.set_status(name, IntegrationStatus.PAUSED, f"paused; last test {outcome}")
        elif report.ok:
            info = self.service.set_status(name, IntegrationStatus.CONNECTED, "credentials verified")
        else:
            info = self.service.set_status(name, IntegrationStatus.ERROR, reason)
        self._record("integration.test", name, {"ok": report.ok})
        return info, report

    def update(self, name: str, **changes: str | None) -> IntegrationInfo:
        info = self.service.update(name, **changes)
        self._record("integration.update", info.name, {k: v for k, v in changes.items() if v is not None})
        return info

    def pause(self, name: str) -> IntegrationInfo:
        info = self.service.pause(name)
        self._record("integration.pause", name)
        return info

    def resume(self, name: str) -> IntegrationInfo:
        info = self.service.resume(name)
        self._record("integration.resume", name)
        self.backfills.start(info.name)
        return info

    def rotate_key(self, name: str, api_key: str, key_name: str | None) -> tuple[IntegrationInfo, list[str]]:
        info, warnings = self.service.rotate_key(name, api_key, key_name=key_name)
        self._record("integration.rotate_key", name, {"key_last4": info.key_last4})
        return info, warnings

    def remove(self, name: str, purge: bool) -> dict[str, int]:
        deleted = self.service.remove(name, purge=purge)
        self._record("integration.remove", name, {"purge": purge, "rows_deleted": sum(deleted.values())})
        return deleted

    def sync_now(self, name: str) -> None:
        info = self.service.get(name)
        self.backfills.start(info.name)
        self._record("integration.sync", name)
