"""Canvases per user, with every version. Checkpointed per user (users in ID order)."""

from __future__ import annotations

from typing import Any

from aiwatch.sync import persist
from aiwatch.sync.context import SyncContext
from aiwatch.sync.streams.base import Stream, from_iso, page_parts, raw


class CanvasesStream(Stream):
    name = "canvases"

    def run(self, ctx: SyncContext) -> int:
        from aiwatch.sources.chatgpt import errors

        cursor = ctx.load_cursor(self.name)
        if cursor.get("user_after") is None and not ctx.refresh_due(cursor):
            return 0
        with ctx.sessions() as session:
            user_ids = persist.user_ids(session, ctx.integration_id, after=cursor.get("user_after"))
        total = 0
        for position, user_id in enumerate(user_ids):
            try:
                canvases, versions = self._user_canvases(ctx, user_id)
            except errors.ObjectNotFound:
                canvases, versions = [], []  # user removed meanwhile
            last = position == len(user_ids) - 1
            next_cursor = {"user_after": user_id, "completed_at": cursor.get("completed_at")}
            if last:
                next_cursor = {"user_after": None, "completed_at": ctx.clock().timestamp()}
            with ctx.page(self.name, next_cursor, items=len(versions)) as session:
                persist.upsert_canvases(session, ctx.integration_id, canvases, versions)
                # The user's listing was complete: canvases no longer listed were deleted.
                persist.mark_canvases_deleted(
                    session, ctx.integration_id, user_id, {c["canvas_id"] for c in canvases}, ctx.clock()
                )
            total += len(versions)
        return total

    def _user_canvases(self, ctx: SyncContext, user_id: str) -> tuple[list[dict], list[dict]]:
        from aiwatch.sources.chatgpt import errors

        canvases: list[dict[str, Any]] = []
        versions: list[dict[str, Any]] = []
        after = None
        while True:
            items, has_more, last_id = page_parts(
                ctx.client.list_canvases(user_id, after=after, limit=ctx.options.canvas_page_size)
            )
            for item in items:
                textdoc_id = item.get("id") or item.get("textdoc_id")
                if not textdoc_id:
                    continue
                try:
                    content = _canvas_content(ctx, user_id, textdoc_id)
                except errors.ObjectNotFound:
                    continue  # deleted between listing and fetch
                canvases.append(
                    {
                        "canvas_id": textdoc_id,
                        "user_id": user_id,
                        "textdoc_type": content.get("textdoc_type"),
                        "raw": item,
                    }
                )
                versions.extend(version_rows(textdoc_id, content.get("versions", [])))
            if not (has_more and last_id) or last_id == after:
                return canvases, versions
            after = last_id


def _canvas_content(ctx: SyncContext, user_id: str, textdoc_id: str) -> dict[str, Any]:
    """The canvas with every version (versions come in pages; next page: ``after=last_version``)."""
    versions: list[dict[str, Any]] = []
    after: int | None = None
    textdoc_type = None
    while True:
        content = raw(
            ctx.client.get_canvas(user_id, textdoc_id, after=after, limit=ctx.options.canvas_page_size)
        )
        textdoc_type = textdoc_type or content.get("textdoc_type")
        envelope = content.get("version_contents")
        envelope = envelope if isinstance(envelope, dict) else {}
        versions.extend(v for v in envelope.get("data") or [] if isinstance(v, dict))
        last_version = envelope.get("last_version")
        if not envelope.get("has_more") or not isinstance(last_version, int) or last_version == after:
            break
        after = last_version
    return {"textdoc_type": textdoc_type, "versions": versions}


def version_rows(canvas_id: str, versions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for version in versions:
        number = version.get("version")
        if not isinstance(number, int):
            continue
        rows[number] = {
            "canvas_id": canvas_id,
            "version": number,
            "name": version.get("name"),
            "content": version.get("content"),
            "updated_at": from_iso(version.get("updated_at")),
            "comments": version.get("comments") or [],
        }
    return list(rows.values())
