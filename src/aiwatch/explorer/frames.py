"""Time frames (24h / 7d / 30d / 90d) and a day bucket that groups in SQL on SQLite and PostgreSQL alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

FRAMES: dict[str, timedelta] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}
DEFAULT_FRAME = "7d"


class FrameError(ValueError):
    """An unknown time frame name."""


@dataclass(frozen=True)
class Frame:
    """``[since, until)`` and the frame of the same length just before it (for trends)."""

    name: str
    since: datetime
    until: datetime

    @classmethod
    def parse(cls, name: str | None, now: datetime | None = None) -> Frame:
        key = name or DEFAULT_FRAME
        if key not in FRAMES:
            raise FrameError(f"unknown time frame {key!r}; use one of {', '.join(FRAMES)}")
        until = (now or datetime.now(UTC)).astimezone(UTC)
        return cls(key, until - FRAMES[key], until)

    @property
    def previous(self) -> Frame:
        return Frame(self.name, self.since - FRAMES[self.name], self.since)

    def days(self) -> list[str]:
        """Every UTC day the frame touches, oldest first, as ``YYYY-MM-DD`` (the bucket labels)."""
        first: date = self.since.date()
        last: date = (self.until - timedelta(microseconds=1)).date()
        return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def day_bucket(session: Session, column: Any) -> Any:
    """SQL expression: the UTC day of a timestamp column as ``YYYY-MM-DD`` text.

    SQLite stores UTCDateTime values as naive UTC text ``YYYY-MM-DD HH:MM:SS.ffffff``, whose first ten
    characters are the day (several times faster than strftime); PostgreSQL stores timestamptz, converted to
    UTC first so the server's time zone cannot move a row to another day."""
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.substr(column, 1, 10)


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` as a plain substring: ``\\``, ``%`` and ``_`` are escaped (use
    ``escape="\\\\"``)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
