"""Compliance Logs Platform helpers: principal paths, cursor formatting, JSON Lines parsing, event dedupe.

Log files are immutable JSON Lines; delivery is at least once (the same event can appear in several files
and the
boundary file of a listing can come back), so consumers dedupe by ``event_id``.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from aiwatch.sources.chatgpt.jsontext import loads_clean
from aiwatch.sources.chatgpt.schema import LogEvent, parse_iso_datetime, parse_log_event

logger = logging.getLogger(__name__)


def log_principal_kind(principal_id: str) -> str:
    """``organizations`` for ``org-…`` IDs, else ``workspaces``."""
    return "organizations" if principal_id.startswith("org-") else "workspaces"


def log_principal_path(principal_id: str) -> str:
    """The logs collection path of a principal, e.g. ``/compliance/workspaces/<uuid>/logs``."""
    return f"/compliance/{log_principal_kind(principal_id)}/{principal_id}/logs"


def format_log_time(moment: datetime | str) -> str:
    """An ISO-8601 timestamp with timezone as the logs API requires (naive datetimes are taken as UTC).

    Strings (e.g. a saved ``last_end_time``) are passed through unchanged after checking they parse.
    """
    if isinstance(moment, str):
        if parse_iso_datetime(moment) is None:
            raise ValueError(f"not an ISO-8601 timestamp: {moment!r}")
        return moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_jsonl_events(lines: Iterable[bytes | str], *, source: str = "log file") -> Iterator[LogEvent]:
    """Typed events from JSON Lines. A bad line is logged with its line number and skipped, never fatal."""
    for number, line in enumerate(lines, start=1):
        if isinstance(line, str):
            line = line.encode("utf-8", "surrogatepass")
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            logger.warning("%s line %d is not valid UTF-8; skipped", source, number)
            continue
        line = line.strip()
        if not line:
            continue
        try:
            decoded = loads_clean(line)
        except ValueError:
            logger.warning("%s line %d is not valid JSON; skipped", source, number)
            continue
        if not isinstance(decoded, dict):
            logger.warning("%s line %d is not a JSON object; skipped", source, number)
            continue
        yield parse_log_event(decoded)


def event_key(event: LogEvent) -> str:
    """The dedupe key of an event: its ``event_id``, or a hash of its canonical JSON when it has none."""
    if event.event_id:
        return event.event_id
    canonical = json.dumps(event.raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def dedupe_events(events: Iterable[LogEvent], seen: set[str] | None = None) -> Iterator[LogEvent]:
    """Each event once (first occurrence wins). Pass ``seen`` to dedupe across several files."""
    keys = seen if seen is not None else set()
    for event in events:
        key = event_key(event)
        if key in keys:
            continue
        keys.add(key)
        yield event
