"""The Compliance Logs Platform: one stream (and one cursor) per event type.

Files come in ascending ``end_time``; the next request uses ``after=last_end_time``; an empty page keeps the
cursor; the boundary file may come back and is skipped because processed log files are recorded; delivery
is at least once, so events are deduplicated by ``event_id``. The first back-fill starts at the ~30-day
retention edge. Unknown event types are stored verbatim and otherwise ignored. CONVERSATION_MESSAGE events
also become message rows (text + model name), merged by message ID with what /conversations delivers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from aiwatch.sync import persist
from aiwatch.sync.context import SyncContext
from aiwatch.sync.merge import LOG_FEED
from aiwatch.sync.streams.base import Stream, StreamIncomplete, from_iso, from_unix, iso, raw

CONVERSATION_MESSAGE = "CONVERSATION_MESSAGE"


class LogFeedUnavailable(Exception):
    """The log feed answered 403/404/422 for this event type; the message says what the admin must do."""

    def __init__(self, message: str, *, status: int | None) -> None:
        super().__init__(message)
        self.status = status


class LogStream(Stream):
    def __init__(self, event_type: str, principal_id: str) -> None:
        self.event_type = event_type
        self.principal_id = principal_id
        self.name = f"logs:{event_type}"

    def run(self, ctx: SyncContext) -> int:
        from aiwatch.sources.chatgpt import errors

        try:
            return self._run(ctx)
        except (errors.AccessDenied, errors.NotFound) as exc:
            # /conversations still delivers the messages (see aiwatch.sync.merge): not an integration error.
            raise LogFeedUnavailable(_admin_message(exc), status=getattr(exc, "status", None)) from exc

    def _run(self, ctx: SyncContext) -> int:
        from aiwatch.sources.chatgpt import errors

        cursor = ctx.load_cursor(self.name)
        after = cursor.get("after") or iso(ctx.clock() - ctx.options.log_retention)
        total = 0
        while True:
            ctx.check_stop()
            listing = ctx.client.list_log_files(
                self.principal_id, self.event_type, after=after, limit=ctx.options.log_page_size
            )
            files, has_more, last_end_time = _listing_parts(listing)
            if not files:
                return total  # empty page: last_end_time is null, keep the cursor
            progressed = False
            for log_file in files:
                file_id = log_file.get("id")
                if not file_id:
                    continue
                with ctx.sessions() as session:
                    if persist.log_file_processed(session, ctx.integration_id, file_id):
                        continue  # the boundary file, returned again
                progressed = True
                try:
                    downloaded = ctx.client.download_log_file(
                        self.principal_id, file_id, expected_sha256=log_file.get("file_sha256")
                    )
                except errors.WorkspaceNotFound:
                    raise
                except errors.NotFound:
                    continue  # the listing just named it: it aged out of retention meanwhile
                events = [raw(event) for event in downloaded]
                rows = event_rows(events, self.event_type, file_id)
                file_cursor = {"after": log_file.get("end_time") or after}
                with ctx.page(self.name, file_cursor, items=len(rows)) as session:
                    persist.insert_log_events(session, ctx.integration_id, rows)
                    if self.event_type == CONVERSATION_MESSAGE:
                        conversations, messages = conversation_message_rows(events)
                        persist.ensure_conversations(session, ctx.integration_id, conversations)
                        persist.merge_messages(session, ctx.integration_id, messages)
                    persist.mark_log_file_processed(
                        session, ctx.integration_id, self.event_type, log_file, events=len(events)
                    )
                total += len(rows)
            next_after = last_end_time or files[-1].get("end_time")
            if has_more and next_after == after and not progressed:
                raise StreamIncomplete(f"the {self.event_type} listing says has_more but does not advance")
            if next_after:
                ctx.advance_cursor(self.name, {"after": next_after})
                after = next_after
            if not has_more:
                return total


def _listing_parts(listing: Any) -> tuple[list[dict[str, Any]], bool, str | None]:
    if isinstance(listing, tuple):
        data, has_more, last_end_time = listing
    elif isinstance(listing, Mapping):
        data, has_more, last_end_time = (
            listing.get("data") or [],
            listing.get("has_more"),
            listing.get("last_end_time"),
        )
    else:
        data = getattr(listing, "data", None) or []
        has_more = getattr(listing, "has_more", False)
        last_end_time = getattr(listing, "last_end_time", None)
    files = [raw(item) for item in data]
    for item in files:
        if not isinstance(item.get("end_time"), str) and item.get("end_time") is not None:
            item["end_time"] = iso(item["end_time"])
    if last_end_time is not None and not isinstance(last_end_time, str):
        last_end_time = iso(last_end_time)
    return files, bool(has_more), last_end_time


def event_rows(events: list[dict[str, Any]], event_type: str, log_file_id: str) -> list[dict[str, Any]]:
    """Log events → rows, deduplicated by event_id (events without one get a content-derived ID)."""
    rows: dict[str, dict[str, Any]] = {}
    for event in events:
        event_id = event.get("event_id")
        if not isinstance(event_id, str) or not event_id:
            canonical = json.dumps(event, sort_keys=True, ensure_ascii=True, default=str)
            event_id = "sha256:" + hashlib.sha256(canonical.encode("ascii")).hexdigest()
        rows[event_id] = {
            "event_id": event_id,
            "event_type": event.get("type") or event_type,
            "timestamp": from_iso(event.get("timestamp")),
            "actor": event.get("actor") if isinstance(event.get("actor"), dict) else None,
            "raw": event,
            "log_file_id": log_file_id,
        }
    return list(rows.values())


def conversation_message_rows(
    events: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """CONVERSATION_MESSAGE events → (minimal conversation rows, message rows from the log feed)."""
    conversations: dict[str, dict[str, Any]] = {}
    messages: dict[str, dict[str, Any]] = {}
    for event in events:
        if event.get("type") not in (None, CONVERSATION_MESSAGE):
            continue
        message = event.get("message")
        conversation = event.get("conversation")
        if not isinstance(message, dict) or not isinstance(conversation, dict):
            continue
        message_id, conversation_id = message.get("id"), conversation.get("id")
        if not message_id or not conversation_id:
            continue
        actor = event.get("actor") if isinstance(event.get("actor"), dict) else {}
        conversations.setdefault(
            conversation_id,
            {
                "conversation_id": conversation_id,
                "user_id": actor.get("user_id"),
                "user_email": actor.get("user_email"),
                "title": conversation.get("title"),
                "created_at": _moment(conversation.get("created_at")),
                "last_active_at": None,
                "removed_by_admin": False,
                "raw": conversation,
            },
        )
        author = message.get("author") if isinstance(message.get("author"), dict) else {}
        content = message.get("content") if isinstance(message.get("content"), dict) else {}
        value = content.get("value")
        messages[message_id] = {
            "message_id": message_id,
            "conversation_id": conversation_id,
            "parent_id": event.get("previous_message_id"),
            "role": author.get("type"),
            "tool_name": None,
            "content_type": content.get("type"),
            "text": value if isinstance(value, str) else None,
            "created_at": _moment(message.get("created_at")),
            "gpt_id": event.get("gpt_id") if isinstance(event.get("gpt_id"), str) else None,
            "project_id": event.get("project_id") if isinstance(event.get("project_id"), str) else None,
            "model": author.get("model") if isinstance(author.get("model"), str) else None,
            "source": LOG_FEED,
            "annotations": _annotations(content),
        }
    return list(conversations.values()), list(messages.values())


def _moment(value: Any) -> Any:
    if isinstance(value, str):
        return from_iso(value)
    return from_unix(value)


def _annotations(content: dict[str, Any]) -> list[Any] | None:
    annotations = content.get("annotations")
    return annotations if isinstance(annotations, list) and annotations else None


def _admin_message(exc: Exception) -> str:
    action = getattr(exc, "admin_action", None)
    return f"log feed unavailable: {action or exc}"
