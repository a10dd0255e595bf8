"""API paths known only by name (codex tasks and environments, automations, recordings): stored raw.

A 404 means the workspace (or this API version) does not offer the path: the stream is unavailable, which
is not an error.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from typing import Any

from aiwatch.sync import persist
from aiwatch.sync.context import SyncContext
from aiwatch.sync.streams.base import Stream, StreamUnsupported, page_parts

PageFetcher = Callable[[SyncContext, str | None, str | None], Any]  # (ctx, user_id, after) -> page


class LaterPathStream(Stream):
    def __init__(self, name: str, fetch: PageFetcher, *, per_user: bool = False) -> None:
        self.name = name
        self._fetch = fetch
        self._per_user = per_user

    def run(self, ctx: SyncContext) -> int:
        from aiwatch.sources.chatgpt import errors

        cursor = ctx.load_cursor(self.name)
        if cursor.get("user_after") is None and not ctx.refresh_due(cursor):
            return 0
        kept = {"completed_at": cursor.get("completed_at")}
        unsupported = f"{self.name} is not offered by this API (HTTP 404)"
        total = 0
        try:
            if not self._per_user:
                total = self._sync_list(ctx, None, kept)
            else:
                with ctx.sessions() as session:
                    user_ids = persist.user_ids(session, ctx.integration_id, after=cursor.get("user_after"))
                # Pages of a user are saved with the previous user as the checkpoint, so a crash inside a
                # user's listing redoes that user ("" = from the first user, but mid-pass).
                done = cursor.get("user_after") or ""
                for user_id in user_ids:
                    with suppress(errors.ObjectNotFound):  # that user is gone
                        total += self._sync_list(ctx, user_id, {**kept, "user_after": done})
                    done = user_id
        except errors.WorkspaceNotFound:
            raise
        except errors.NotFound as exc:  # the path itself is unknown here
            raise StreamUnsupported(unsupported) from exc
        ctx.advance_cursor(self.name, {"user_after": None, "completed_at": ctx.clock().timestamp()})
        return total

    def _sync_list(self, ctx: SyncContext, user_id: str | None, page_cursor: dict[str, Any]) -> int:
        after: str | None = None
        total = 0
        while True:
            items, has_more, last_id = page_parts(self._fetch(ctx, user_id, after))
            rows = [
                {"object_id": _object_id(item, user_id), "raw": item}
                for item in items
                if _object_id(item, user_id)
            ]
            with ctx.page(self.name, page_cursor, items=len(rows)) as session:
                persist.upsert_raw_objects(session, ctx.integration_id, self.name, rows)
            total += len(rows)
            if not (has_more and last_id) or last_id == after:
                return total
            after = last_id


def _object_id(item: dict[str, Any], user_id: str | None) -> str | None:
    object_id = item.get("id")
    if not isinstance(object_id, str) or not object_id:
        return None
    return f"{user_id}/{object_id}" if user_id else object_id
