"""Helpers of the explorer tests (imported by module name): a seeder that adds rows directly."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from aiwatch.findings.models import Alert, Finding
from aiwatch.store import models as m

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@dataclass
class Seed:
    sessions: sessionmaker[Session]
    integration_id: int
    _n: int = 0

    def _next(self) -> int:
        self._n += 1
        return self._n

    def alert(self, rule: str, at: datetime, *, suppressed_by: str | None = None, **extra: Any) -> int:
        n = self._next()
        with self.sessions.begin() as session:
            row = Alert(
                integration_id=self.integration_id,
                rule=rule,
                item_kind=extra.pop("item_kind", "message"),
                item_id=extra.pop("item_id", f"msg-{n}"),
                subject_kind=extra.pop("subject_kind", "user"),
                subject_id=extra.pop("subject_id", "user-alice"),
                start=n,
                end=n + 4,
                evidence=extra.pop("evidence", "AK…WQ2P"),
                score=0.9,
                severity=extra.pop("severity", "high"),
                observed_at=at,
                suppressed_by=suppressed_by,
                **extra,
            )
            session.add(row)
            session.flush()
            return row.id

    def finding(self, rule: str = "secret.aws_access_key_id", at: datetime = NOW) -> int:
        with self.sessions.begin() as session:
            row = Finding(
                integration_id=self.integration_id,
                rule=rule,
                policy="access_data",
                group="Data Exposure",
                subject_kind="user",
                subject_id="user-alice",
                severity="high",
                alert_count=1,
                first_seen=at,
                last_seen=at,
                evidence_samples=["AK…WQ2P"],
                value_hashes=[],
            )
            session.add(row)
            session.flush()
            return row.id

    def conversation(
        self,
        conversation_id: str,
        *,
        title: str | None = None,
        user_id: str = "user-alice",
        at: datetime = NOW,
    ) -> int:
        with self.sessions.begin() as session:
            row = m.Conversation(
                integration_id=self.integration_id,
                conversation_id=conversation_id,
                user_id=user_id,
                user_email=f"{user_id.removeprefix('user-')}@corp.example",
                title=title,
                created_at=at,
            )
            session.add(row)
            session.flush()
            return row.id

    def message(
        self,
        conversation_id: str,
        text: str | None,
        *,
        message_id: str | None = None,
        role: str = "user",
        at: datetime = NOW,
        gpt_id: str | None = None,
        purged: bool = False,
    ) -> str:
        message_id = message_id or f"msg-{self._next()}"
        digest = hashlib.sha256((text or "gone").encode()).hexdigest() if text or purged else None
        with self.sessions.begin() as session:
            session.add(
                m.Message(
                    integration_id=self.integration_id,
                    message_id=message_id,
                    conversation_id=conversation_id,
                    role=role,
                    text=None if purged else text,
                    created_at=at,
                    gpt_id=gpt_id,
                    source="conversations",
                    content_hash=digest,
                )
            )
        return message_id
