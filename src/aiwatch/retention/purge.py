"""Purge old content while keeping what findings need: findings, masked evidence and hashes stay.

Cleared: message bodies (``messages.text`` and the message value inside stored CONVERSATION_MESSAGE log
lines), extracted file text, memory content, canvas version content and comments. Rows stay (with their
``content_hash``), so the pipeline does not see them as new and findings keep pointing at them.
Idempotent: a second purge with the same cut-off finds nothing left to clear.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from aiwatch.store.models import CanvasVersion, LogEvent, Memory, Message, StoredFile

_PAGE = 1000


@dataclass
class PurgeReport:
    cutoff: datetime
    dry_run: bool
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def cutoff_for(days: int, now: datetime | None = None) -> datetime:
    if days < 0:
        raise ValueError("the retention period must be 0 days or more")
    return (now or datetime.now(UTC)) - timedelta(days=days)


# (label, model, content columns to clear, the column that dates the content)
_COLUMN_TARGETS = (
    ("message bodies", Message, ("text",), Message.created_at),
    ("file texts", StoredFile, ("extracted_text",), StoredFile.created_at),
    ("memory entries", Memory, ("content",), Memory.entry_updated_at),
    ("canvas versions", CanvasVersion, ("content", "comments"), CanvasVersion.version_updated_at),
)


def purge(session: Session, cutoff: datetime, *, dry_run: bool = False) -> PurgeReport:
    """Clear content dated before ``cutoff`` (caller's transaction); counts what is or would be cleared."""
    report = PurgeReport(cutoff, dry_run)
    for label, model, columns, dated_by in _COLUMN_TARGETS:
        has_content = [getattr(model, c).is_not(None) for c in columns]
        condition = [dated_by.is_not(None), dated_by < cutoff]
        where = [*condition, or_(*has_content)]
        count = session.scalar(select(func.count()).select_from(model).where(*where)) or 0
        if count and not dry_run:
            session.execute(
                update(model)
                .where(*where)
                .values({c: None for c in columns})
                .execution_options(synchronize_session=False)
            )
        report.counts[label] = int(count)
    report.counts["logged message bodies"] = _purge_logged_messages(session, cutoff, dry_run)
    return report


def _purge_logged_messages(session: Session, cutoff: datetime, dry_run: bool) -> int:
    """CONVERSATION_MESSAGE lines keep the message text: drop it from the stored JSON, keep the rest."""
    cleared = 0
    last_id = 0
    while True:
        rows = session.execute(
            select(LogEvent.id, LogEvent.raw)
            .where(
                LogEvent.event_type == "CONVERSATION_MESSAGE",
                LogEvent.timestamp.is_not(None),
                LogEvent.timestamp < cutoff,
                LogEvent.id > last_id,
            )
            .order_by(LogEvent.id)
            .limit(_PAGE)
        ).all()
        if not rows:
            return cleared
        for row_id, raw in rows:
            last_id = row_id
            stripped = strip_message_body(raw)
            if stripped is None:
                continue
            cleared += 1
            if not dry_run:
                session.execute(update(LogEvent).where(LogEvent.id == row_id).values(raw=stripped))


def strip_message_body(raw: str) -> str | None:
    """The log line without its message content value; None when there is nothing to strip."""
    try:
        payload = json.loads(raw)
    except (ValueError, TypeError):
        return None
    message = payload.get("message") if isinstance(payload, dict) else None
    content = message.get("content") if isinstance(message, dict) else None
    if not isinstance(content, dict) or content.get("value") is None:
        return None
    content["value"] = None
    content["purged"] = True
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
