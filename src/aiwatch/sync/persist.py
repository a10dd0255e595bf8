"""The sync engine's database writes, on top of ``aiwatch.store.repositories``.

Adds the few sync-specific rules the generic repositories do not know: message rows are merged (see
``aiwatch.sync.merge``), rows first seen in the log feed never overwrite /conversations data, files named by
messages are created as pending without resetting a fetched file, and stream health notes. Every function
takes the caller's session and never commits (a page's rows and its cursor commit together).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from aiwatch.store import models
from aiwatch.store import repositories as repo
from aiwatch.sync.merge import merge_message

_MESSAGE_FIELDS = (
    "message_id",
    "conversation_id",
    "parent_id",
    "role",
    "tool_name",
    "content_type",
    "text",
    "created_at",
    "gpt_id",
    "project_id",
    "model",
    "source",
    "annotations",
)
_CHUNK = 500

upsert_users = repo.upsert_users
upsert_conversations = repo.upsert_conversations
upsert_agents = repo.upsert_agents
upsert_agent_configs = repo.upsert_agent_configs
upsert_memories = repo.upsert_memories
insert_log_events = repo.insert_log_events


# --- cursors and status ----------------------------------------------------------------------------------


def load_cursor(session: Session, integration_id: int, stream: str) -> dict[str, Any]:
    return dict(repo.get_cursor(session, integration_id, stream) or {})


def save_cursor(
    session: Session, integration_id: int, stream: str, cursor: dict[str, Any], *, items: int
) -> None:
    repo.set_cursor(session, integration_id, stream, cursor, items_added=items)


def record_stream_success(
    session: Session, integration_id: int, stream: str, *, note: str | None = None
) -> None:
    repo.mark_stream_success(session, integration_id, stream)
    if note:  # e.g. "log feed unavailable …": a healthy pass that still has something to say
        repo.mark_stream_error(session, integration_id, stream, note)


def record_stream_error(session: Session, integration_id: int, stream: str, message: str) -> None:
    repo.mark_stream_error(session, integration_id, stream, message)


def set_integration_status(session: Session, integration_id: int, status: str, message: str | None) -> None:
    session.execute(
        update(models.Integration)
        .where(models.Integration.id == integration_id)
        .values(status=status, status_message=message, updated_at=datetime.now(UTC))
    )


# --- users, conversations, messages, files ---------------------------------------------------------------


def user_ids(session: Session, integration_id: int, *, after: str | None) -> list[str]:
    query = select(models.WorkspaceUser.user_id).where(models.WorkspaceUser.integration_id == integration_id)
    if after:
        query = query.where(models.WorkspaceUser.user_id > after)
    return list(session.scalars(query.order_by(models.WorkspaceUser.user_id)))


def ensure_conversations(session: Session, integration_id: int, rows: list[dict[str, Any]]) -> None:
    """Conversations first seen in the log feed: created if missing, never overwriting /conversations data."""
    wanted = [row["conversation_id"] for row in rows]
    existing: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        existing.update(
            session.scalars(
                select(models.Conversation.conversation_id).where(
                    models.Conversation.integration_id == integration_id,
                    models.Conversation.conversation_id.in_(wanted[start : start + _CHUNK]),
                )
            )
        )
    repo.upsert_conversations(
        session, integration_id, [row for row in rows if row["conversation_id"] not in existing]
    )


def merge_messages(session: Session, integration_id: int, rows: list[dict[str, Any]]) -> int:
    """Merge incoming message rows with stored ones (see aiwatch.sync.merge); returns rows written."""
    stored = repo.get_messages(session, integration_id, (row["message_id"] for row in rows))
    merged: dict[str, dict[str, Any]] = {}
    for row in rows:
        current = merged.get(row["message_id"]) or stored.get(row["message_id"])
        result = merge_message(current, row)
        if result is not None:
            merged[row["message_id"]] = {field: result.get(field) for field in _MESSAGE_FIELDS}
    repo.upsert_messages(session, integration_id, merged.values())
    return len(merged)


def add_referenced_files(
    session: Session, integration_id: int, files: list[dict[str, Any]], links: list[dict[str, Any]]
) -> None:
    """Files named by messages or agent configs: new ones are created (pending, or expired when the listing
    says so); a stored file only moves from pending to expired, never back (a fetched file stays fetched)."""
    keys = [(row["kind"], row["file_id"]) for row in files]
    states: dict[tuple[str, str], str] = {}
    for start in range(0, len(keys), _CHUNK):
        for kind, file_id, state in session.execute(
            select(models.StoredFile.kind, models.StoredFile.file_id, models.StoredFile.state).where(
                models.StoredFile.integration_id == integration_id,
                tuple_(models.StoredFile.kind, models.StoredFile.file_id).in_(keys[start : start + _CHUNK]),
            )
        ):
            states[(kind, file_id)] = state
    expired = models.FileState.EXPIRED.value
    writes = []
    for row in files:
        state = row.get("state") or models.FileState.PENDING.value
        stored_state = states.get((row["kind"], row["file_id"]))
        if stored_state is None:
            writes.append({**row, "state": state, **_expired_note(state)})
        elif stored_state == models.FileState.PENDING.value and state == expired:
            writes.append(
                {"kind": row["kind"], "file_id": row["file_id"], "state": expired, **_expired_note(state)}
            )
    repo.upsert_files(session, integration_id, writes)
    repo.link_message_files(session, integration_id, links)


def _expired_note(state: str) -> dict[str, Any]:
    if state != models.FileState.EXPIRED.value:
        return {}
    return {"extraction_error": "content expired (the listing gave no download URL; uploads are kept ~24 h)"}


def pending_files(
    session: Session, integration_id: int, *, after_row_id: int, limit: int
) -> list[dict[str, Any]]:
    query = (
        select(models.StoredFile)
        .where(
            models.StoredFile.integration_id == integration_id,
            models.StoredFile.state == models.FileState.PENDING.value,
            models.StoredFile.id > after_row_id,
        )
        .order_by(models.StoredFile.id)
        .limit(limit)
    )
    return [
        {
            "row_id": file.id,
            "kind": file.kind,
            "file_id": file.file_id,
            "owner_user_id": file.owner_user_id,
            "conversation_id": file.conversation_id,
            "name": file.name,
        }
        for file in session.scalars(query)
    ]


def update_file(
    session: Session, integration_id: int, kind: str, file_id: str, values: dict[str, Any]
) -> None:
    repo.upsert_files(session, integration_id, [{"kind": kind, "file_id": file_id, **values}])


# --- agents -----------------------------------------------------------------------------------------------


def replace_agent_shared_users(
    session: Session, integration_id: int, agent_id: str, users: list[dict[str, Any]]
) -> None:
    rows = [
        {
            "user_id": user.get("id") or user.get("user_id"),
            "email": user.get("email"),
            "name": user.get("name"),
            "raw": user,
        }
        for user in users
        if user.get("id") or user.get("user_id")
    ]
    repo.replace_agent_shared_users(session, integration_id, agent_id, rows)


def mark_agents_deleted(
    session: Session, integration_id: int, kind: str, seen: set[str], at: datetime
) -> None:
    repo.mark_agents_deleted(session, integration_id, kind, seen, when=at)


# --- memories, canvases, raw objects ----------------------------------------------------------------------


def mark_memories_deleted(session: Session, integration_id: int, seen: set[tuple[str, str, str]]) -> None:
    """After a complete listing: entries not in ``seen`` (user, context, entry) were deleted."""
    listed: dict[str, set[tuple[str, str]]] = {}
    for user_id, context_id, entry_id in seen:
        listed.setdefault(user_id, set()).add((context_id, entry_id))
    stored_users = session.scalars(
        select(models.Memory.user_id)
        .where(models.Memory.integration_id == integration_id, models.Memory.deleted.is_(False))
        .distinct()
    )
    for user_id in list(stored_users):
        repo.mark_memories_deleted(session, integration_id, user_id, listed.get(user_id, set()))


def upsert_canvases(
    session: Session, integration_id: int, canvases: list[dict[str, Any]], versions: list[dict[str, Any]]
) -> None:
    last_versions: dict[str, int] = {}
    for version in versions:
        last_versions[version["canvas_id"]] = max(
            last_versions.get(version["canvas_id"], 0), version["version"]
        )
    repo.upsert_canvases(
        session,
        integration_id,
        [
            {**canvas, "last_version": last_versions.get(canvas["canvas_id"]), "deleted_at": None}
            for canvas in canvases
        ],
    )
    repo.upsert_canvas_versions(
        session,
        integration_id,
        [
            {
                "canvas_id": version["canvas_id"],
                "version": version["version"],
                "name": version.get("name"),
                "content": version.get("content"),
                "comments": version.get("comments"),
                "version_updated_at": version.get("updated_at"),
            }
            for version in versions
        ],
    )


def mark_canvases_deleted(
    session: Session, integration_id: int, user_id: str, listed: set[str], at: datetime
) -> None:
    """After a complete listing of one user's canvases: the ones not listed were deleted."""
    session.execute(
        update(models.Canvas)
        .where(
            models.Canvas.integration_id == integration_id,
            models.Canvas.user_id == user_id,
            models.Canvas.deleted_at.is_(None),
            models.Canvas.canvas_id.not_in(listed),
        )
        .values(deleted_at=at, updated_at=datetime.now(UTC))
    )


def upsert_raw_objects(
    session: Session, integration_id: int, stream: str, rows: Iterable[dict[str, Any]]
) -> None:
    repo.upsert_raw_objects(
        session,
        integration_id,
        [{"stream": stream, "object_id": row["object_id"], "raw": row["raw"]} for row in rows],
    )


# --- log feed ---------------------------------------------------------------------------------------------


def log_file_processed(session: Session, integration_id: int, log_file_id: str) -> bool:
    return bool(repo.processed_log_file_ids(session, integration_id, [log_file_id]))


def mark_log_file_processed(
    session: Session,
    integration_id: int,
    event_type: str,
    log_file: dict[str, Any],
    *,
    events: int | None = None,
) -> None:
    size = log_file.get("file_size")
    repo.record_log_files(
        session,
        integration_id,
        [
            {
                "log_file_id": log_file["id"],
                "event_type": event_type,
                "end_time": log_file.get("end_time"),
                "file_name": log_file.get("file_name"),
                "file_size": size if isinstance(size, int) else None,
                "sha256": log_file.get("file_sha256"),
                "events_count": events,
            }
        ],
    )


# --- summaries --------------------------------------------------------------------------------------------


def counts(session: Session, integration_id: int) -> dict[str, int]:
    """Rows stored per table for one integration."""
    return repo.counts(session, integration_id)
