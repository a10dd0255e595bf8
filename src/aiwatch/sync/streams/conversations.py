"""/conversations: structure of every chat (parent links, tool messages, files), and its text as fallback.

Incremental: each pass lists conversations updated at or after the start of the last complete pass minus a
safety margin (``since_timestamp`` on the first page only); once a day (configurable) a pass lists everything,
to catch changes that do not move a conversation's update time (admin removals). Inside a pass the ``after``
checkpoint is saved with every page, so a crash resumes mid-pass. A conversation re-appears when it changes;
its messages are merged by message ID (see :mod:`aiwatch.sync.merge`): re-appearing never duplicates.
"""

from __future__ import annotations

from typing import Any

from aiwatch.sync import persist
from aiwatch.sync.context import SyncContext
from aiwatch.sync.merge import CONVERSATIONS, REMOVED_BY_ADMIN
from aiwatch.sync.streams.base import Stream, first_or_next_page, from_unix, nested_list, page_parts


class ConversationsStream(Stream):
    name = "conversations"

    def run(self, ctx: SyncContext) -> int:
        cursor = ctx.load_cursor(self.name)
        after = cursor.get("after")
        last_pass = cursor.get("last_pass_started_at")
        last_full_pass = cursor.get("last_full_pass_started_at")
        if after:
            pass_started_at = cursor["pass_started_at"]
            since = cursor.get("since")
        else:
            pass_started_at = ctx.clock().timestamp()
            margin = ctx.options.conversation_safety_margin.total_seconds()
            relist = ctx.options.conversation_full_relist.total_seconds()
            full_due = last_full_pass is None or pass_started_at - last_full_pass >= relist
            since = None if last_pass is None or full_due else int(last_pass - margin)
        carried = {"last_pass_started_at": last_pass, "last_full_pass_started_at": last_full_pass}
        total = 0
        while True:
            page, after = first_or_next_page(
                ctx,
                lambda after: ctx.client.list_conversations(
                    since_timestamp=None if after else since,
                    after=after,
                    limit=ctx.options.conversation_page_size,
                    file_format="url",  # a null download_url marks an expired upload: no request needed
                ),
                after,
            )
            items, has_more, last_id = page_parts(page)
            batch = conversation_rows(items)
            if has_more and last_id:
                next_cursor = {
                    "pass_started_at": pass_started_at,
                    "since": since,
                    "after": last_id,
                    **carried,
                }
            else:
                next_cursor = {**carried, "after": None, "last_pass_started_at": pass_started_at}
                if since is None:
                    next_cursor["last_full_pass_started_at"] = pass_started_at
            count = len(batch.messages)
            with ctx.page(self.name, next_cursor, items=count) as session:
                persist.upsert_conversations(session, ctx.integration_id, batch.conversations)
                persist.merge_messages(session, ctx.integration_id, batch.messages)
                persist.add_referenced_files(session, ctx.integration_id, batch.files, batch.file_links)
            total += count
            if not (has_more and last_id):
                return total
            after = last_id


class ConversationBatch:
    def __init__(self) -> None:
        self.conversations: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []
        self.files: list[dict[str, Any]] = []
        self.file_links: list[dict[str, Any]] = []


def conversation_rows(items: list[dict[str, Any]]) -> ConversationBatch:
    """API conversations (messages inline) → rows. A conversation listed twice in one page keeps the last."""
    batch = ConversationBatch()
    seen_files: set[str] = set()
    for item in items:
        conversation_id = item.get("id")
        if not conversation_id:
            continue
        messages = nested_list(item.get("messages"))
        removed = any(_text(message) == REMOVED_BY_ADMIN for message in messages)
        batch.conversations.append(
            {
                "conversation_id": conversation_id,
                "user_id": item.get("user_id"),
                "user_email": item.get("user_email"),
                "title": item.get("title"),
                "created_at": from_unix(item.get("created_at")),
                "last_active_at": from_unix(item.get("last_active_at")),
                "removed_by_admin": removed,
                "raw": {key: value for key, value in item.items() if key != "messages"},
            }
        )
        for message in messages:
            message_id = message.get("id")
            if not message_id:
                continue
            author = message.get("author") or {}
            content = message.get("content") or {}
            batch.messages.append(
                {
                    "message_id": message_id,
                    "conversation_id": conversation_id,
                    "parent_id": message.get("parent_id"),
                    "role": author.get("role"),
                    "tool_name": author.get("tool_name"),
                    "content_type": content.get("type"),
                    "text": _text(message),
                    "created_at": from_unix(message.get("created_at")),
                    "gpt_id": message.get("gpt_id"),
                    "project_id": message.get("project_id"),
                    "model": None,
                    "source": CONVERSATIONS,
                    "annotations": _annotations(content),
                }
            )
            for file in nested_list(message.get("files")):
                file_id = file.get("id")
                if not file_id:
                    continue
                batch.file_links.append({"message_id": message_id, "file_id": file_id})
                if file_id in seen_files:
                    continue
                seen_files.add(file_id)
                batch.files.append(
                    {
                        "kind": "user",
                        "file_id": file_id,
                        "owner_user_id": file.get("user_id") or item.get("user_id"),
                        "conversation_id": conversation_id,
                        "agent_id": None,
                        "name": file.get("name"),
                        "created_at": from_unix(file.get("created_at"))
                        or from_unix(message.get("created_at")),
                        "size": file.get("size") if isinstance(file.get("size"), int) else None,
                        # With file_format=url the API nulls download_url once the upload expired (~24 h).
                        "state": "expired"
                        if "download_url" in file and not file["download_url"]
                        else "pending",
                    }
                )
    batch.messages = list({row["message_id"]: row for row in batch.messages}.values())
    batch.conversations = list({row["conversation_id"]: row for row in batch.conversations}.values())
    return batch


def _text(message: dict[str, Any]) -> str | None:
    content = message.get("content")
    if not isinstance(content, dict):
        return None
    value = content.get("value")
    if isinstance(value, str):
        return value
    parts = content.get("parts")  # tolerate the older "parts" shape
    if isinstance(parts, list):
        return "\n".join(part for part in parts if isinstance(part, str)) or None
    return None


def _annotations(content: dict[str, Any]) -> list[Any] | None:
    annotations = content.get("annotations")
    return annotations if isinstance(annotations, list) and annotations else None
