"""Database writes of the sync engine: idempotent bulk upserts keyed by the API's own IDs.

Every function takes the caller's session and never commits: a stream writes a page's rows and its cursor
advance in one transaction (see ``SyncContext.page``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from aiwatch.store import models
from aiwatch.store.types import canonical_json, clean_value
from aiwatch.sync.merge import merge_message

CHUNK = 500
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
    "content_hash",
)


def _now() -> datetime:
    return datetime.now(UTC)


def _hash(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else canonical_json(value)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _insert(session: Session, model: type[models.Base]) -> Any:
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def _upsert(
    session: Session,
    model: type[models.Base],
    rows: Sequence[dict[str, Any]],
    keys: Sequence[str],
    *,
    update_columns: Iterable[str] | None = None,
) -> None:
    """INSERT … ON CONFLICT (keys) DO UPDATE (or DO NOTHING when no columns are to be updated)."""
    if not rows:
        return
    rows = [clean_value(row) for row in rows]
    columns = list(rows[0].keys())
    statement = _insert(session, model)
    to_update = [c for c in (update_columns if update_columns is not None else columns) if c not in keys]
    if to_update:
        set_ = {column: statement.excluded[column] for column in to_update}
        set_["updated_at"] = statement.excluded["updated_at"]
        statement = statement.on_conflict_do_update(index_elements=list(keys), set_=set_)
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(keys))
    now = _now()
    for start in range(0, len(rows), CHUNK):
        chunk = [
            {**{c: row.get(c) for c in columns}, "updated_at": now} for row in rows[start : start + CHUNK]
        ]
        session.execute(statement, chunk)


def _with_integration(integration_id: int, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"integration_id": integration_id, **row} for row in rows]


# --- cursors and status ----------------------------------------------------------------------------------


def load_cursor(session: Session, integration_id: int, stream: str) -> dict[str, Any]:
    cursor = session.scalar(
        select(models.SyncCursor.cursor).where(
            models.SyncCursor.integration_id == integration_id, models.SyncCursor.stream == stream
        )
    )
    return dict(cursor or {})


def save_cursor(
    session: Session, integration_id: int, stream: str, cursor: dict[str, Any], *, items: int
) -> None:
    statement = _insert(session, models.SyncCursor)
    statement = statement.on_conflict_do_update(
        index_elements=["integration_id", "stream"],
        set_={
            "cursor": statement.excluded.cursor,
            "items_synced": models.SyncCursor.items_synced + statement.excluded.items_synced,
            "updated_at": statement.excluded.updated_at,
        },
    )
    session.execute(
        statement,
        [
            {
                "integration_id": integration_id,
                "stream": stream,
                "cursor": cursor,
                "items_synced": items,
                "updated_at": _now(),
            }
        ],
    )


def record_stream_success(
    session: Session, integration_id: int, stream: str, at: datetime, *, note: str | None = None
) -> None:
    _ensure_cursor_row(session, integration_id, stream)
    session.execute(
        update(models.SyncCursor)
        .where(models.SyncCursor.integration_id == integration_id, models.SyncCursor.stream == stream)
        .values(last_success_at=at, last_error=note, last_error_at=at if note else None, updated_at=_now())
    )


def record_stream_error(
    session: Session, integration_id: int, stream: str, message: str, at: datetime
) -> None:
    _ensure_cursor_row(session, integration_id, stream)
    session.execute(
        update(models.SyncCursor)
        .where(models.SyncCursor.integration_id == integration_id, models.SyncCursor.stream == stream)
        .values(last_error=message, last_error_at=at, updated_at=_now())
    )


def _ensure_cursor_row(session: Session, integration_id: int, stream: str) -> None:
    statement = _insert(session, models.SyncCursor).on_conflict_do_nothing(
        index_elements=["integration_id", "stream"]
    )
    session.execute(
        statement,
        [
            {
                "integration_id": integration_id,
                "stream": stream,
                "cursor": {},
                "items_synced": 0,
                "updated_at": _now(),
            }
        ],
    )


def set_integration_status(session: Session, integration_id: int, status: str, message: str | None) -> None:
    session.execute(
        update(models.Integration)
        .where(models.Integration.id == integration_id)
        .values(status=status, status_message=message, updated_at=_now())
    )


# --- users, conversations, messages, files ---------------------------------------------------------------


def upsert_users(session: Session, integration_id: int, rows: list[dict[str, Any]]) -> None:
    _upsert(
        session, models.WorkspaceUser, _with_integration(integration_id, rows), ["integration_id", "user_id"]
    )


def user_ids(session: Session, integration_id: int, *, after: str | None) -> list[str]:
    query = select(models.WorkspaceUser.user_id).where(models.WorkspaceUser.integration_id == integration_id)
    if after:
        query = query.where(models.WorkspaceUser.user_id > after)
    return list(session.scalars(query.order_by(models.WorkspaceUser.user_id)))


def upsert_conversations(session: Session, integration_id: int, rows: list[dict[str, Any]]) -> None:
    _upsert(
        session,
        models.Conversation,
        _with_integration(integration_id, rows),
        ["integration_id", "conversation_id"],
    )


def ensure_conversations(session: Session, integration_id: int, rows: list[dict[str, Any]]) -> None:
    """Conversations first seen in the log feed: created if missing, never overwriting /conversations data."""
    _upsert(
        session,
        models.Conversation,
        _with_integration(integration_id, rows),
        ["integration_id", "conversation_id"],
        update_columns=(),
    )


def merge_messages(session: Session, integration_id: int, rows: list[dict[str, Any]]) -> int:
    """Merge incoming message rows with stored ones (see aiwatch.sync.merge); returns rows written."""
    written = 0
    for start in range(0, len(rows), CHUNK):
        chunk = [clean_value(row) for row in rows[start : start + CHUNK]]
        stored = {
            message.message_id: {field: getattr(message, field) for field in _MESSAGE_FIELDS}
            for message in session.scalars(
                select(models.Message).where(
                    models.Message.integration_id == integration_id,
                    models.Message.message_id.in_([row["message_id"] for row in chunk]),
                )
            )
        }
        merged = []
        for row in chunk:
            result = merge_message(stored.get(row["message_id"]), row)
            if result is not None:
                merged.append({field: result.get(field) for field in _MESSAGE_FIELDS})
                stored[row["message_id"]] = result
        _upsert(
            session,
            models.Message,
            _with_integration(integration_id, merged),
            ["integration_id", "message_id"],
        )
        written += len(merged)
    return written


def add_referenced_files(
    session: Session, integration_id: int, files: list[dict[str, Any]], links: list[dict[str, Any]]
) -> None:
    """Files named by messages or agent configs: created as pending, never resetting a fetched one."""
    file_rows = [{**row, "state": models.FileState.PENDING.value} for row in files]
    _upsert(
        session,
        models.StoredFile,
        _with_integration(integration_id, file_rows),
        ["integration_id", "kind", "file_id"],
        update_columns=(),
    )
    _upsert(
        session,
        models.MessageFile,
        _with_integration(integration_id, links),
        ["integration_id", "message_id", "file_id"],
        update_columns=(),
    )


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
    values = clean_value(values)
    if "extracted_text" in values:
        values["content_hash"] = _hash(values["extracted_text"])
    session.execute(
        update(models.StoredFile)
        .where(
            models.StoredFile.integration_id == integration_id,
            models.StoredFile.kind == kind,
            models.StoredFile.file_id == file_id,
        )
        .values(**values, updated_at=_now())
    )


# --- agents -----------------------------------------------------------------------------------------------


def upsert_agents(session: Session, integration_id: int, rows: list[dict[str, Any]]) -> None:
    _upsert(session, models.Agent, _with_integration(integration_id, rows), ["integration_id", "agent_id"])


def upsert_agent_configs(session: Session, integration_id: int, rows: list[dict[str, Any]]) -> None:
    hashed = [
        {
            **row,
            "content_hash": _hash(
                [
                    row.get("name"),
                    row.get("description"),
                    row.get("instructions"),
                    row.get("tools"),
                    row.get("files"),
                ]
            ),
        }
        for row in rows
        if row.get("config_id")
    ]
    _upsert(
        session,
        models.AgentConfig,
        _with_integration(integration_id, hashed),
        ["integration_id", "agent_id", "config_id"],
    )


def replace_agent_shared_users(
    session: Session, integration_id: int, agent_id: str, users: list[dict[str, Any]]
) -> None:
    rows = [
        {
            "agent_id": agent_id,
            "user_id": user.get("id") or user.get("user_id"),
            "email": user.get("email"),
            "name": user.get("name"),
            "raw": user,
        }
        for user in users
        if user.get("id") or user.get("user_id")
    ]
    keep = {row["user_id"] for row in rows}
    stored = session.scalars(
        select(models.AgentSharedUser).where(
            models.AgentSharedUser.integration_id == integration_id,
            models.AgentSharedUser.agent_id == agent_id,
        )
    )
    for shared in stored:
        if shared.user_id not in keep:
            session.delete(shared)
    session.flush()
    _upsert(
        session,
        models.AgentSharedUser,
        _with_integration(integration_id, rows),
        ["integration_id", "agent_id", "user_id"],
    )


def mark_agents_deleted(
    session: Session, integration_id: int, kind: str, seen: set[str], at: datetime
) -> None:
    """Agents of ``kind`` missing from a complete listing were deleted."""
    stored = session.scalars(
        select(models.Agent.agent_id).where(
            models.Agent.integration_id == integration_id,
            models.Agent.kind == kind,
            models.Agent.deleted_at.is_(None),
        )
    )
    gone = [agent_id for agent_id in stored if agent_id not in seen]
    for start in range(0, len(gone), CHUNK):
        session.execute(
            update(models.Agent)
            .where(
                models.Agent.integration_id == integration_id,
                models.Agent.agent_id.in_(gone[start : start + CHUNK]),
            )
            .values(deleted_at=at, updated_at=_now())
        )


# --- memories, canvases, raw objects ----------------------------------------------------------------------


def upsert_memories(session: Session, integration_id: int, rows: list[dict[str, Any]]) -> None:
    hashed = [{**row, "content_hash": _hash(row.get("content"))} for row in rows]
    _upsert(
        session,
        models.Memory,
        _with_integration(integration_id, hashed),
        ["integration_id", "user_id", "context_id", "entry_id"],
    )


def mark_memories_deleted(session: Session, integration_id: int, seen: set[tuple[str, str, str]]) -> None:
    stored = session.execute(
        select(
            models.Memory.id, models.Memory.user_id, models.Memory.context_id, models.Memory.entry_id
        ).where(models.Memory.integration_id == integration_id, models.Memory.deleted.is_(False))
    )
    gone = [row.id for row in stored if (row.user_id, row.context_id, row.entry_id) not in seen]
    for start in range(0, len(gone), CHUNK):
        session.execute(
            update(models.Memory)
            .where(models.Memory.id.in_(gone[start : start + CHUNK]))
            .values(deleted=True, updated_at=_now())
        )


def upsert_canvases(
    session: Session, integration_id: int, canvases: list[dict[str, Any]], versions: list[dict[str, Any]]
) -> None:
    last_versions: dict[str, int] = {}
    for version in versions:
        last_versions[version["canvas_id"]] = max(
            last_versions.get(version["canvas_id"], 0), version["version"]
        )
    canvas_rows = [
        {**canvas, "last_version": last_versions.get(canvas["canvas_id"]), "deleted_at": None}
        for canvas in canvases
    ]
    _upsert(
        session,
        models.Canvas,
        _with_integration(integration_id, canvas_rows),
        ["integration_id", "canvas_id"],
    )
    version_rows = [
        {
            "canvas_id": version["canvas_id"],
            "version": version["version"],
            "name": version.get("name"),
            "content": version.get("content"),
            "comments": version.get("comments"),
            "version_updated_at": version.get("updated_at"),
            "content_hash": _hash(version.get("content")),
        }
        for version in versions
    ]
    _upsert(
        session,
        models.CanvasVersion,
        _with_integration(integration_id, version_rows),
        ["integration_id", "canvas_id", "version"],
    )


def upsert_raw_objects(
    session: Session, integration_id: int, stream: str, rows: list[dict[str, Any]]
) -> None:
    hashed = [
        {
            "stream": stream,
            "object_id": row["object_id"],
            "raw": row["raw"],
            "content_hash": _hash(row["raw"]),
        }
        for row in rows
    ]
    _upsert(
        session,
        models.RawObject,
        _with_integration(integration_id, hashed),
        ["integration_id", "stream", "object_id"],
    )


# --- log feed ---------------------------------------------------------------------------------------------


def log_file_processed(session: Session, integration_id: int, log_file_id: str) -> bool:
    found = session.scalar(
        select(func.count())
        .select_from(models.LogFile)
        .where(models.LogFile.integration_id == integration_id, models.LogFile.log_file_id == log_file_id)
    )
    return bool(found)


def mark_log_file_processed(
    session: Session,
    integration_id: int,
    event_type: str,
    log_file: dict[str, Any],
    *,
    events: int | None = None,
) -> None:
    row = {
        "integration_id": integration_id,
        "log_file_id": log_file["id"],
        "event_type": event_type,
        "end_time": log_file.get("end_time"),
        "file_name": log_file.get("file_name"),
        "file_size": log_file.get("file_size") if isinstance(log_file.get("file_size"), int) else None,
        "sha256": log_file.get("file_sha256"),
        "events_count": events,
        "processed_at": _now(),
    }
    statement = _insert(session, models.LogFile).on_conflict_do_nothing(
        index_elements=["integration_id", "log_file_id"]
    )
    session.execute(statement, [clean_value(row)])


def insert_log_events(session: Session, integration_id: int, rows: list[dict[str, Any]]) -> None:
    """Events are immutable: the first copy of an event_id wins, later deliveries are dropped."""
    prepared = []
    for row in rows:
        text = json.dumps(row["raw"], ensure_ascii=False, default=str)
        prepared.append({**row, "raw": text, "content_hash": _hash(text)})
    _upsert(
        session,
        models.LogEvent,
        _with_integration(integration_id, prepared),
        ["integration_id", "event_id"],
        update_columns=(),
    )


# --- summaries --------------------------------------------------------------------------------------------

COUNTED = {
    "users": models.WorkspaceUser,
    "conversations": models.Conversation,
    "messages": models.Message,
    "files": models.StoredFile,
    "agents": models.Agent,
    "agent_configs": models.AgentConfig,
    "memories": models.Memory,
    "canvases": models.Canvas,
    "canvas_versions": models.CanvasVersion,
    "log_files": models.LogFile,
    "log_events": models.LogEvent,
    "raw_objects": models.RawObject,
}


def counts(session: Session, integration_id: int) -> dict[str, int]:
    """Rows stored per table for one integration."""
    return {
        name: int(
            session.scalar(
                select(func.count()).select_from(model).where(model.integration_id == integration_id)
            )
            or 0
        )
        for name, model in COUNTED.items()
    }
