"""Workspace users: listed in full every pass (small), checkpointed page by page."""

from __future__ import annotations

from aiwatch.sync import persist
from aiwatch.sync.context import SyncContext
from aiwatch.sync.streams.base import Stream, first_or_next_page, from_unix, page_parts


class UsersStream(Stream):
    name = "users"

    def run(self, ctx: SyncContext) -> int:
        cursor = ctx.load_cursor(self.name)
        after = cursor.get("after")
        total = 0
        while True:
            page, after = first_or_next_page(
                ctx, lambda after: ctx.client.list_users(after=after, limit=ctx.options.list_page_size), after
            )
            items, has_more, last_id = page_parts(page)
            rows = [
                {
                    "user_id": item["id"],
                    "email": item.get("email"),
                    "name": item.get("name"),
                    "role": item.get("role"),
                    "status": item.get("status"),
                    "created_at": from_unix(item.get("created_at")),
                    "raw": item,
                }
                for item in items
                if item.get("id")
            ]
            next_cursor = {"after": last_id if has_more else None}
            with ctx.page(self.name, next_cursor, items=len(rows)) as session:
                persist.upsert_users(session, ctx.integration_id, rows)
            total += len(rows)
            if not has_more or not last_id:
                return total
            after = last_id
