"""API paths known only by name (codex tasks and environments, automations, recordings): stored raw.

A 404 means the workspace (or this API version) does not offer the path: the stream is unavailable, which
is not an error.
"""

from __future__ import annotations

from collections.abc import Callable
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

        unsupported = f"{self.name} is not offered by this API (HTTP 404)"
        if not self._per_user:
            try:
                return self._sync_list(ctx, None)
            except errors.NotFound as exc:
                raise StreamUnsupported(unsupported) from exc
        with ctx.sessions() as session:
            user_ids = persist.user_ids(session, ctx.integration_id, after=None)
        total = 0
        for user_id in user_ids:
            try:
                total += self._sync_list(ctx, user_id)
            except errors.ObjectNotFound:
                continue  # that user is gone
            except errors.NotFound as exc:  # the path itself is unknown
                raise StreamUnsupported(unsupported) from exc
        return total

    def _sync_list(self, ctx: SyncContext, user_id: str | None) -> int:
        after: str | None = None
        total = 0
        while True:
            items, has_more, last_id = page_parts(self._fetch(ctx, user_id, after))
            rows = [
                {"object_id": _object_id(item, user_id), "raw": item}
                for item in items
                if _object_id(item, user_id)
            ]
            with ctx.page(self.name, {}, items=len(rows)) as session:
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
