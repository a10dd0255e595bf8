"""Column types that behave the same on SQLite and PostgreSQL, and value cleaning both databases accept."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# JSONB on PostgreSQL: it has an equality operator, which the change-detecting upserts compare with.
# Python None is SQL NULL (not the JSON literal null), so "IS NULL" finds missing values.
JSONValue = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

_REPLACEMENT = "\ufffd"


def to_utc(value: datetime | float | int | str | None) -> datetime | None:
    """A timezone-aware UTC datetime from a datetime, Unix seconds (the API's floats) or an ISO-8601 string.

    Naive datetimes are taken as UTC. Raises ValueError for a string that is not ISO-8601.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, bool):
        raise ValueError("a boolean is not a timestamp")
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError) as exc:
            raise ValueError(f"timestamp {value!r} is out of range") from exc
    if isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        return to_utc(datetime.fromisoformat(text))
    raise ValueError(f"cannot read a timestamp from {type(value).__name__}")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every database (SQLite keeps no zone: it is re-attached on read).

    Accepts what ``to_utc`` accepts, so API timestamps (Unix floats, ISO strings) can be stored as they come.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        moment = to_utc(value)
        if moment is not None and dialect.name == "sqlite":
            return moment.replace(tzinfo=None)
        return moment

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        return to_utc(value)


def clean_text(value: str) -> str:
    """Text both databases store: lone surrogates (invalid Unicode) and NUL become U+FFFD.

    PostgreSQL rejects NUL in text and neither driver can encode a lone surrogate; replacing them keeps the
    rest of the text scannable instead of failing the whole page.
    """
    if "\x00" in value:
        value = value.replace("\x00", _REPLACEMENT)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        value = "".join(_REPLACEMENT if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in value)
    return value


def clean_value(value: Any) -> Any:
    """``clean_text`` applied to every string inside a JSON-like value (keys included)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(str(k)): clean_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_value(v) for v in value]
    return value


def canonical_json(value: Any) -> str:
    """Deterministic JSON text of a value (sorted keys), for hashing."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
