"""The audit log: who did which administrative action, when, on what. Details never hold secrets."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.web.models import AuditEvent

# Keys whose values must never reach the log, whatever a caller passes.
_SECRET_KEYS = {"api_key", "key", "password", "token", "secret"}


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]
    source_ip: str | None


class AuditLog:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions

    def record(
        self,
        actor: str,
        action: str,
        target: str | None = None,
        details: dict[str, Any] | None = None,
        source_ip: str | None = None,
    ) -> None:
        clean = {k: v for k, v in (details or {}).items() if k.lower() not in _SECRET_KEYS}
        with self._sessions.begin() as session:
            session.add(
                AuditEvent(
                    actor=actor,
                    action=action,
                    target=target,
                    details=json.dumps(clean, default=str, sort_keys=True) if clean else None,
                    source_ip=source_ip,
                )
            )

    def page(self, *, limit: int = 50, offset: int = 0) -> tuple[list[AuditEntry], int]:
        """Newest first, and the total count."""
        with self._sessions() as session:
            total = int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)
            rows = session.scalars(
                select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit).offset(offset)
            )
            return [
                AuditEntry(
                    row.id,
                    row.at,
                    row.actor,
                    row.action,
                    row.target,
                    json.loads(row.details) if row.details else {},
                    row.source_ip,
                )
                for row in rows
            ], total
