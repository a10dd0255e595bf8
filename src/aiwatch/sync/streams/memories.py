"""Memories of every user (contexts and entries). A complete listing marks vanished entries deleted."""

from __future__ import annotations

from typing import Any

from aiwatch.sync import persist
from aiwatch.sync.context import SyncContext
from aiwatch.sync.streams.base import Stream, first_or_next_page, from_unix, page_parts


class MemoriesStream(Stream):
    name = "memories"

    def run(self, ctx: SyncContext) -> int:
        cursor = ctx.load_cursor(self.name)
        after = cursor.get("after")
        if after is None and not ctx.refresh_due(cursor):
            return 0
        complete_listing = after is None
        seen: set[tuple[str, str, str]] = set()
        total = 0
        while True:
            page, after = first_or_next_page(
                ctx,
                lambda after: ctx.client.list_memories(after=after, limit=ctx.options.list_page_size),
                after,
            )
            items, has_more, last_id = page_parts(page)
            rows = memory_rows(items)
            seen.update((row["user_id"], row["context_id"], row["entry_id"]) for row in rows)
            next_cursor = {"after": last_id, "completed_at": cursor.get("completed_at")}
            if not (has_more and last_id):
                next_cursor = {"after": None, "completed_at": ctx.clock().timestamp()}
            with ctx.page(self.name, next_cursor, items=len(rows)) as session:
                persist.upsert_memories(session, ctx.integration_id, rows)
                if not (has_more and last_id) and complete_listing:
                    persist.mark_memories_deleted(session, ctx.integration_id, seen)
            total += len(rows)
            if not (has_more and last_id):
                return total
            after = last_id


def memory_rows(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for memory in items:
        user_id = memory.get("id")
        if not user_id:
            continue
        for context in memory.get("memory_contexts") or []:
            if not isinstance(context, dict) or not context.get("id"):
                continue
            entries = context.get("memory_entries") or []
            if isinstance(entries, dict):  # tolerate a list envelope
                entries = entries.get("data") or []
            for entry in entries:
                if not isinstance(entry, dict) or not entry.get("id"):
                    continue
                rows[entry["id"]] = {
                    "user_id": user_id,
                    "context_id": context.get("id"),
                    "entry_id": entry["id"],
                    "content": entry.get("content"),
                    "updated_at": from_unix(entry.get("updated_at")),
                    "deleted": False,
                }
    return list(rows.values())
