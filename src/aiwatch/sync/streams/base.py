"""The stream contract and small helpers shared by every stream."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from aiwatch.sync.context import SyncContext


class StreamUnsupported(Exception):
    """The API does not offer this stream for this workspace (404 on a later path): not an error."""


class StreamIncomplete(Exception):
    """Part of the stream could not be synced after retries; it resumes next pass (message says what)."""


class Stream(ABC):
    """One API stream with its own cursor row. ``run`` returns the number of items stored."""

    name: str

    @abstractmethod
    def run(self, ctx: SyncContext) -> int: ...


def first_or_next_page(
    ctx: SyncContext, fetch: Callable[[str | None], Any], after: str | None
) -> tuple[Any, str | None]:
    """``fetch(after)``; when the API no longer knows a saved ``after`` (404: the object it names was deleted
    while the sync was stopped) but the workspace exists, the listing restarts from its first page."""
    from aiwatch.sources.chatgpt import errors

    try:
        return fetch(after), after
    except errors.NotFound:
        if after is None:
            raise
        ctx.client.list_users(limit=1)  # raises WorkspaceNotFound when it really is the workspace
        return fetch(None), None


def raw(obj: Any) -> dict[str, Any]:
    """The API object as a plain JSON dict, whatever shape the client hands back."""
    if isinstance(obj, Mapping):
        return dict(obj)
    value = getattr(obj, "raw", None)  # the client's models keep the JSON exactly as the API sent it
    if isinstance(value, Mapping):
        return dict(value)
    dump = getattr(obj, "model_dump", None)
    if dump is not None:
        return dump(mode="json", by_alias=True, exclude_unset=False)
    raise TypeError(f"cannot read {type(obj).__name__} as a JSON object")


def page_parts(page: Any) -> tuple[list[dict[str, Any]], bool, str | None]:
    """(items, has_more, last_id) of a list page (model or dict)."""
    if isinstance(page, Mapping):
        data, has_more, last_id = page.get("data") or [], bool(page.get("has_more")), page.get("last_id")
    else:
        data = list(getattr(page, "data", None) or [])
        has_more = bool(getattr(page, "has_more", False))
        last_id = getattr(page, "last_id", None)
    items = [raw(item) for item in data]
    if last_id is None and items:
        last_id = items[-1].get("id")
    return items, has_more, last_id


def nested_list(value: Any) -> list[dict[str, Any]]:
    """Items of a nested list envelope (``{"object":"list","data":[…]}``), a bare list, or nothing."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return [raw(item) for item in value.get("data") or []]
    if isinstance(value, list):
        return [raw(item) for item in value]
    return nested_list(raw(value))


def from_unix(value: Any) -> datetime | None:
    """API Unix seconds (float with microseconds) → aware UTC datetime."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return datetime.fromtimestamp(float(value), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def from_iso(value: Any) -> datetime | None:
    """ISO-8601 text (``Z`` or offset, seconds or microseconds) → aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
