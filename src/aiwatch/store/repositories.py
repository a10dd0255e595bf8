"""Bulk writes and the few reads the sync needs, portable across SQLite and PostgreSQL.

Every write is an ``INSERT … ON CONFLICT (natural key) DO UPDATE`` sent as one executemany per batch (no
per-row round trips). The update only fires when a value actually differs, so ``updated_at`` means "content
changed" and re-syncing an unchanged page writes nothing. Functions take the caller's ``Session`` and never
commit: the sync commits a page's rows and its cursor advance in one transaction.

Row dicts use column names. On update, keys a row omits keep their stored value; ``None`` overwrites.
``integration_id``, ``updated_at`` and ``content_hash`` are filled in here (the hash is recomputed whenever a
row carries one of its content fields, so write a row's content fields together). Strings are cleaned
(``clean_text``) so invalid Unicode or NUL never fails a page, and the content hash is computed from the
stored (cleaned) content.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ColumnElement, Table, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from aiwatch.store.models import (
    SYNCED_MODELS,
    Agent,
    AgentConfig,
    AgentSharedUser,
    Base,
    Canvas,
    CanvasVersion,
    Conversation,
    LogEvent,
    LogFile,
    Memory,
    Message,
    MessageFile,
    RawObject,
    StoredFile,
    SyncCursor,
    WorkspaceUser,
    utc_now,
)
from aiwatch.store.types import canonical_json, clean_text, clean_value

BATCH_SIZE = 1000
_IN_CLAUSE_CHUNK = 500

Row = Mapping[str, Any]


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class _Spec:
    key: tuple[str, ...]
    # The scannable content: one field hashes its text (a JSON value as canonical JSON); several fields
    # hash the canonical JSON of all of them.
    hashed: tuple[str, ...] = ()
    insert_only: bool = False  # immutable rows (log events): first write wins

    def content_hash(self, row: dict[str, Any]) -> str | None:
        if len(self.hashed) == 1:
            value = row.get(self.hashed[0])
            if value is None:
                return None
            return sha256_text(value if isinstance(value, str) else canonical_json(value))
        return sha256_text(canonical_json({name: row.get(name) for name in self.hashed}))


_SPECS: dict[type[Base], _Spec] = {
    WorkspaceUser: _Spec(("integration_id", "user_id")),
    Agent: _Spec(("integration_id", "agent_id")),
    AgentConfig: _Spec(
        ("integration_id", "agent_id", "config_id"), ("name", "description", "instructions", "tools", "files")
    ),
    AgentSharedUser: _Spec(("integration_id", "agent_id", "user_id")),
    # The title is scanned (a summary of the first prompt, or what the user renamed it to).
    Conversation: _Spec(("integration_id", "conversation_id"), ("title",)),
    # Same hash as aiwatch.sync.merge.content_hash: SHA-256 of the message text.
    Message: _Spec(("integration_id", "message_id"), ("text",)),
    StoredFile: _Spec(("integration_id", "kind", "file_id"), ("extracted_text",)),
    MessageFile: _Spec(("integration_id", "message_id", "file_id")),
    Memory: _Spec(("integration_id", "user_id", "context_id", "entry_id"), ("content",)),
    Canvas: _Spec(("integration_id", "canvas_id")),
    CanvasVersion: _Spec(("integration_id", "canvas_id", "version"), ("name", "content", "comments")),
    LogFile: _Spec(("integration_id", "log_file_id")),
    LogEvent: _Spec(("integration_id", "event_id"), ("raw",), insert_only=True),
    RawObject: _Spec(("integration_id", "stream", "object_id"), ("raw",)),
}

# Bookkeeping columns: written on change, never a reason for a change.
_BOOKKEEPING = frozenset({"updated_at", "processed_at"})


def _dialect_insert(session: Session, table: Table) -> Any:
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"unsupported database dialect {name!r}")


def _clean_row(table: Table, row: Row, integration_id: int) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    for name, value in row.items():
        column = table.columns.get(name)
        if column is None or name == "id":
            raise ValueError(f"{table.name} has no writable column {name!r}")
        if isinstance(value, str):
            value = clean_text(value)
        elif value is not None and isinstance(column.type, JSON):
            value = clean_value(value)
        cleaned[name] = value
    cleaned["integration_id"] = integration_id
    return cleaned


def _batches(items: Sequence[dict[str, Any]], size: int) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def bulk_upsert(
    session: Session,
    model: type[Base],
    integration_id: int,
    rows: Iterable[Row],
    *,
    batch_size: int = BATCH_SIZE,
) -> int:
    """Insert or update ``rows`` of ``model`` by natural key; returns how many distinct rows were sent.

    Duplicate keys inside ``rows`` collapse to the last one (PostgreSQL refuses to update a row twice in one
    statement, and the API delivers duplicates).
    """
    spec = _SPECS[model]
    table: Table = model.__table__  # type: ignore[assignment]
    now = utc_now()
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        cleaned = _clean_row(table, row, integration_id)
        missing = [name for name in spec.key if cleaned.get(name) is None]
        if missing:
            raise ValueError(f"{table.name} row lacks its key {', '.join(missing)}")
        # Rows that carry any scannable field get a fresh hash, so write those fields together.
        if any(name in cleaned for name in spec.hashed):
            cleaned["content_hash"] = spec.content_hash(cleaned)
        if "updated_at" in table.columns:
            cleaned["updated_at"] = now
        by_key[tuple(cleaned[name] for name in spec.key)] = cleaned
    # One statement per distinct set of columns (executemany needs the same keys in every row).
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for cleaned in by_key.values():
        by_columns.setdefault(tuple(sorted(cleaned)), []).append(cleaned)
    for columns, group in by_columns.items():
        statement = _upsert_statement(session, table, spec, columns)
        for batch in _batches(group, batch_size):
            session.execute(statement, list(batch))
    return len(by_key)


def _upsert_statement(session: Session, table: Table, spec: _Spec, columns: tuple[str, ...]) -> Any:
    insert = _dialect_insert(session, table)
    if spec.insert_only:
        return insert.on_conflict_do_nothing(index_elements=list(spec.key))
    updated = [name for name in columns if name not in spec.key]
    compared = [name for name in updated if name not in _BOOKKEEPING]
    if not compared:
        return insert.on_conflict_do_nothing(index_elements=list(spec.key))
    excluded = insert.excluded
    changed: list[ColumnElement[bool]] = [table.c[name].is_distinct_from(excluded[name]) for name in compared]
    return insert.on_conflict_do_update(
        index_elements=list(spec.key),
        set_={name: excluded[name] for name in updated},
        where=or_(*changed),
    )


# --- one named writer per table --------------------------------------------------------------------------


def upsert_users(session: Session, integration_id: int, rows: Iterable[Row]) -> int:
    return bulk_upsert(session, WorkspaceUser, integration_id, rows)


def upsert_agents(session: Session, integration_id: int, rows: Iterable[Row]) -> int:
    return bulk_upsert(session, Agent, integration_id, rows)


def upsert_agent_configs(session: Session, integration_id: int, rows: Iterable[Row]) -> int:
    return bulk_upsert(session, AgentConfig, integration_id, rows)


def upsert_conversations(session: Session, integration_id: int, rows: Iterable[Row]) -> int:
    return bulk_upsert(session, Conversation, integration_id, rows)


def upsert_messages(session: Session, integration_id: int, rows: Iterable[Row]) -> int:
    return bulk_upsert(session, Message, integration_id, rows)


def upsert_files(session: Session, integration_id: int, rows: Iterable[Row]) -> int:
    return bulk_upsert(session, StoredFile, integration_id, rows)


def link_message_files(session: Session, integration_id: int, rows: Iterable[Row]) -> int:
    """Rows with ``message_id``, ``file_id`` and optionally ``name``."""
    return bulk_upsert(session, MessageFile, integration_id, rows)


def upsert_memories(session: Session, integration_id: int, rows: Iterable[Row]) -> int:
    return bulk_upsert(session, Memory, integration_id, rows)


def upsert_canvases(session: Session, integration_id: int, rows: Iterable[Row]) -> int:
    return bulk_upsert(session, Canvas, integration_id, rows)


def upsert_canvas_versions(session: Session, integration_id: int, rows: Iterable[Row]) -> int:
    return bulk_upsert(session, CanvasVersion, integration_id, rows)


def record_log_files(session: Session, integration_id: int, rows: Iterable[Row]) -> int:
    """Mark log files processed (``log_file_id``, ``event_type``, ``end_time``, ``sha256`` …)."""
    return bulk_upsert(session, LogFile, integration_id, rows)


def insert_log_events(session: Session, integration_id: int, events: Iterable[Row]) -> int:
    """Store log events; an ``event_id`` already stored is skipped (delivery is at least once).

    ``raw`` should be the event's JSON line exactly as downloaded; a dict is serialised. ``event_type``
    defaults to the event's ``type``.
    """
    rows = []
    for event in events:
        row = dict(event)
        raw = row.get("raw")
        if isinstance(raw, Mapping):
            row["raw"] = json.dumps(raw, ensure_ascii=False)
            row.setdefault("event_type", raw.get("type"))
        if not isinstance(row.get("raw"), str):
            raise ValueError("a log event needs its raw JSON (a string or an object)")
        rows.append(row)
    return bulk_upsert(session, LogEvent, integration_id, rows)


def upsert_raw_objects(session: Session, integration_id: int, rows: Iterable[Row]) -> int:
    """Rows with ``stream`` (e.g. "codex_tasks"), ``object_id`` and ``raw``."""
    return bulk_upsert(session, RawObject, integration_id, rows)


def replace_agent_shared_users(
    session: Session, integration_id: int, agent_id: str, rows: Iterable[Row]
) -> int:
    """Make the stored shared users of one agent exactly ``rows`` (users no longer listed are removed)."""
    listed = [{**row, "agent_id": agent_id} for row in rows]
    keep = {clean_text(str(row["user_id"])) for row in listed if row.get("user_id") is not None}
    stale = delete(AgentSharedUser).where(
        AgentSharedUser.integration_id == integration_id, AgentSharedUser.agent_id == agent_id
    )
    if keep:
        stale = stale.where(AgentSharedUser.user_id.not_in(keep))
    session.execute(stale)
    return bulk_upsert(session, AgentSharedUser, integration_id, listed)


def mark_agents_deleted(
    session: Session,
    integration_id: int,
    kind: str,
    listed_agent_ids: Iterable[str],
    *,
    when: datetime | None = None,
) -> int:
    """After a complete listing of ``kind`` agents: mark the ones not listed deleted. Returns how many."""
    listed = set(listed_agent_ids)
    existing = session.scalars(
        select(Agent.agent_id).where(
            Agent.integration_id == integration_id, Agent.kind == kind, Agent.deleted_at.is_(None)
        )
    ).all()
    gone = [agent_id for agent_id in existing if agent_id not in listed]
    moment = when or utc_now()
    for chunk in _chunks(gone):
        session.execute(
            update(Agent)
            .where(Agent.integration_id == integration_id, Agent.agent_id.in_(chunk))
            .values(deleted_at=moment, updated_at=moment)
        )
    return len(gone)


def mark_memories_deleted(
    session: Session, integration_id: int, user_id: str, listed: Iterable[tuple[str, str]]
) -> int:
    """After a complete listing of one user's memories, flag entries not in ``listed`` (context, entry)."""
    keep = set(listed)
    stored = session.execute(
        select(Memory.context_id, Memory.entry_id).where(
            Memory.integration_id == integration_id, Memory.user_id == user_id, Memory.deleted.is_(False)
        )
    ).all()
    gone = [(context_id, entry_id) for context_id, entry_id in stored if (context_id, entry_id) not in keep]
    return bulk_upsert(
        session,
        Memory,
        integration_id,
        ({"user_id": user_id, "context_id": c, "entry_id": e, "deleted": True} for c, e in gone),
    )


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), _IN_CLAUSE_CHUNK):
        yield values[start : start + _IN_CLAUSE_CHUNK]


# --- reads -------------------------------------------------------------------------------------------------


def get_messages(
    session: Session, integration_id: int, message_ids: Iterable[str]
) -> dict[str, dict[str, Any]]:
    """Stored messages by message ID (column dicts), for merging a new delivery into them."""
    wanted = list(dict.fromkeys(message_ids))
    table: Table = Message.__table__  # type: ignore[assignment]
    found: dict[str, dict[str, Any]] = {}
    for chunk in _chunks(wanted):
        rows = session.execute(
            select(table).where(table.c.integration_id == integration_id, table.c.message_id.in_(chunk))
        ).mappings()
        for row in rows:  # plain column dicts: no ORM identity-map cost on the sync's hot path
            found[row["message_id"]] = dict(row)
    return found


def processed_log_file_ids(session: Session, integration_id: int, log_file_ids: Iterable[str]) -> set[str]:
    """Which of these log files were already processed (the boundary file is re-listed)."""
    wanted = list(dict.fromkeys(log_file_ids))
    done: set[str] = set()
    for chunk in _chunks(wanted):
        done.update(
            session.scalars(
                select(LogFile.log_file_id).where(
                    LogFile.integration_id == integration_id, LogFile.log_file_id.in_(chunk)
                )
            )
        )
    return done


def files_to_fetch(
    session: Session, integration_id: int, *, kind: str | None = None, limit: int = 1000
) -> list[StoredFile]:
    """Files still waiting for their content, oldest first."""
    query = select(StoredFile).where(
        StoredFile.integration_id == integration_id, StoredFile.state == "pending"
    )
    if kind is not None:
        query = query.where(StoredFile.kind == kind)
    return list(session.scalars(query.order_by(StoredFile.id).limit(limit)))


def counts(session: Session, integration_id: int) -> dict[str, int]:
    """Rows per table for one integration (table name → count)."""
    result: dict[str, int] = {}
    for model in SYNCED_MODELS:
        table: Table = model.__table__  # type: ignore[assignment]
        result[table.name] = (
            session.scalar(
                select(func.count()).select_from(table).where(table.c.integration_id == integration_id)
            )
            or 0
        )
    return result


def purge_integration_data(session: Session, integration_id: int) -> dict[str, int]:
    """Delete everything synced for one integration (the integration row stays). Returns rows per table."""
    deleted: dict[str, int] = {}
    for model in SYNCED_MODELS:
        table: Table = model.__table__  # type: ignore[assignment]
        result = session.execute(delete(table).where(table.c.integration_id == integration_id))
        deleted[table.name] = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return deleted


# --- stream cursors ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StreamState:
    stream: str
    cursor: dict[str, Any] | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    items_synced: int
    updated_at: datetime


def _write_cursor_row(session: Session, integration_id: int, stream: str, values: dict[str, Any]) -> None:
    table: Table = SyncCursor.__table__  # type: ignore[assignment]
    now = utc_now()
    row = {"integration_id": integration_id, "stream": stream, "updated_at": now, "items_synced": 0, **values}
    added = row["items_synced"]
    insert = _dialect_insert(session, table)
    set_: dict[str, Any] = {name: insert.excluded[name] for name in values if name != "items_synced"}
    set_["updated_at"] = now
    if added:
        set_["items_synced"] = table.c.items_synced + added
    session.execute(
        insert.values(**row).on_conflict_do_update(index_elements=["integration_id", "stream"], set_=set_)
    )


def get_cursor(session: Session, integration_id: int, stream: str) -> dict[str, Any] | None:
    """The saved cursor of a stream, or None before its first page."""
    return session.scalar(
        select(SyncCursor.cursor).where(
            SyncCursor.integration_id == integration_id, SyncCursor.stream == stream
        )
    )


def set_cursor(
    session: Session, integration_id: int, stream: str, cursor: dict[str, Any] | None, *, items_added: int = 0
) -> None:
    """Advance a stream's cursor (in the same transaction as the page's rows) and count its items."""
    if items_added < 0:
        raise ValueError("items_added cannot be negative")
    _write_cursor_row(
        session, integration_id, stream, {"cursor": clean_value(cursor), "items_synced": items_added}
    )


def mark_stream_success(session: Session, integration_id: int, stream: str) -> None:
    """A pass of the stream completed: record the time and clear the last error."""
    now = utc_now()
    _write_cursor_row(
        session, integration_id, stream, {"last_success_at": now, "last_error": None, "last_error_at": None}
    )


def mark_stream_error(session: Session, integration_id: int, stream: str, error: str) -> None:
    """The stream stopped on an error (the message must not contain secrets)."""
    _write_cursor_row(
        session, integration_id, stream, {"last_error": clean_text(error), "last_error_at": utc_now()}
    )


def stream_states(session: Session, integration_id: int) -> list[StreamState]:
    """Every stream's cursor and health for one integration, by stream name."""
    rows = session.scalars(
        select(SyncCursor).where(SyncCursor.integration_id == integration_id).order_by(SyncCursor.stream)
    )
    return [
        StreamState(
            stream=row.stream,
            cursor=row.cursor,
            last_success_at=row.last_success_at,
            last_error=row.last_error,
            last_error_at=row.last_error_at,
            items_synced=row.items_synced,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def last_sync_at(session: Session, integration_id: int) -> datetime | None:
    """The newest successful stream pass of an integration."""
    return session.scalar(
        select(func.max(SyncCursor.last_success_at)).where(SyncCursor.integration_id == integration_id)
    )
