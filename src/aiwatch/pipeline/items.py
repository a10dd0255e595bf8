"""Where scannable text lives in the store: one ``ItemSource`` per item kind, yielding pending ``ScanItem``s.

An item is pending when it has no scan state, its content hash changed, or it was scanned with another
detection fingerprint (rules, sensitivities or engine version changed). Messages are one row per message ID,
so a conversation that re-appears never produces a second scan of the same message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from aiwatch.detection.types import Where
from aiwatch.findings.models import ScanState
from aiwatch.store import models as m

MESSAGE_PLACES = {"user": Where.PROMPT, "assistant": Where.RESPONSE, "tool": Where.TOOL_OUTPUT}
# ChatGPT's own tools (the Compliance API's known tool names). Any other tool that wrote a message is an app
# or connector: its output is content produced through that app, and its alerts carry it as ``app_id``.
BUILTIN_TOOLS = frozenset({"python", "browser", "dalle", "myfiles_browser"})
# Where log events name the app or connector involved: APP_LOG has it at the top, APP_AUTH_LOG in action_data.
APP_KEYS = ("app", "connector")
AGENT_CONFIG_FIELDS = ("instructions", "description")
# Message events of the log feed are merged into messages (scanned there); only other events are scanned here.
LOG_EVENT_SKIPPED_TYPES = ("CONVERSATION_MESSAGE",)
# Structural metadata (who, from where, when) is not content: the audit trail's emails and IPs are no risk.
LOG_EVENT_SKIPPED_KEYS = {
    "id",
    "type",
    "event_type",
    "timestamp",
    "created_at",
    "updated_at",
    "user_agent",
    "ip",
}
LOG_EVENT_SKIPPED_SUFFIXES = ("_id", "_email", "email", "_ip", "_at")
LOG_EVENT_SKIPPED_SUBTREES = {"actor", "request_metadata"}


@dataclass(frozen=True)
class ScanItem:
    kind: str  # the AlertInput item_kind
    row_id: int
    content_hash: str | None
    item_id: str
    subject_kind: str
    subject_id: str
    texts: tuple[tuple[str, str, Where], ...]  # (field, text, where)
    observed_at: datetime
    agent_id: str | None = None
    app_id: str | None = None
    context: dict[str, Any] | None = None


def _pending(model: Any, kind: str, integration_id: int, fingerprint: str, after: int) -> Any:
    state = ScanState
    # NULL-safe: an item scanned while it had no content (a file before its text was extracted, an untitled
    # conversation) must count as changed once content arrives; a plain != against NULL is never true.
    changed = state.content_hash.is_distinct_from(model.content_hash)
    return (
        select(model)
        .outerjoin(
            state,
            and_(
                state.integration_id == model.integration_id,
                state.item_kind == kind,
                state.item_row_id == model.id,
            ),
        )
        .where(
            model.integration_id == integration_id,
            model.id > after,
            or_(
                state.id.is_(None),
                changed,
                state.fingerprint != fingerprint,
            ),
        )
        .order_by(model.id)
    )


def _when(value: datetime | None) -> datetime:
    return value or datetime.now(UTC)


def messages(
    session: Session, integration_id: int, fingerprint: str, after: int, limit: int
) -> list[ScanItem]:
    rows = session.scalars(
        _pending(m.Message, "message", integration_id, fingerprint, after).limit(limit)
    ).all()
    owners = dict(
        session.execute(
            select(m.Conversation.conversation_id, m.Conversation.user_id).where(
                m.Conversation.integration_id == integration_id,
                m.Conversation.conversation_id.in_({r.conversation_id for r in rows if r.conversation_id}),
            )
        ).all()
    )
    items = []
    for row in rows:
        where = MESSAGE_PLACES.get(row.role or "")
        texts = (("text", row.text, where),) if where and row.text else ()
        items.append(
            ScanItem(
                kind="message",
                row_id=row.id,
                content_hash=row.content_hash,
                item_id=row.message_id,
                subject_kind="user",
                subject_id=owners.get(row.conversation_id) or "unknown-user",
                texts=texts,
                observed_at=_when(row.created_at),
                agent_id=row.gpt_id or row.project_id,
                app_id=message_app(row.role, row.tool_name),
                context={"conversation_id": row.conversation_id},
            )
        )
    return items


def conversations(
    session: Session, integration_id: int, fingerprint: str, after: int, limit: int
) -> list[ScanItem]:
    """Conversation titles: ChatGPT writes them from the first prompt and users rename them, so they hold
    whatever the prompt held (scanned as prompt text)."""
    # Untitled conversations are no items (nothing to scan); once a title arrives they are pending.
    query = _pending(m.Conversation, "conversation", integration_id, fingerprint, after).where(
        m.Conversation.title.is_not(None), m.Conversation.title != ""
    )
    items = []
    for row in session.scalars(query.limit(limit)).all():
        raw = row.raw if isinstance(row.raw, dict) else {}
        agent = raw.get("gpt_id") or raw.get("project_id")
        items.append(
            ScanItem(
                kind="conversation",
                row_id=row.id,
                content_hash=row.content_hash,
                item_id=row.conversation_id,
                subject_kind="user",
                subject_id=row.user_id or "unknown-user",
                texts=(("title", row.title, Where.PROMPT),),
                observed_at=_when(row.last_active_at or row.created_at),
                agent_id=str(agent)[:255] if isinstance(agent, str) and agent else None,
                context={"conversation_id": row.conversation_id},
            )
        )
    return items


def files(session: Session, integration_id: int, fingerprint: str, after: int, limit: int) -> list[ScanItem]:
    rows = session.scalars(
        _pending(m.StoredFile, "file", integration_id, fingerprint, after).limit(limit)
    ).all()
    items = []
    for row in rows:
        by_agent = row.kind != m.FileKind.USER.value and row.agent_id is not None
        items.append(
            ScanItem(
                kind="file",
                row_id=row.id,
                content_hash=row.content_hash,
                item_id=row.file_id,
                subject_kind="agent" if by_agent else "user",
                subject_id=(row.agent_id if by_agent else row.owner_user_id) or "unknown-user",
                texts=(("text", row.extracted_text, Where.FILE),) if row.extracted_text else (),
                observed_at=_when(row.created_at),
                agent_id=row.agent_id,
                context={"conversation_id": row.conversation_id, "file_name": row.name},
            )
        )
    return items


def agent_configs(
    session: Session, integration_id: int, fingerprint: str, after: int, limit: int
) -> list[ScanItem]:
    query = _pending(m.AgentConfig, "agent_config", integration_id, fingerprint, after).limit(limit)
    items = []
    for row in session.scalars(query).all():
        texts = tuple(
            (name, getattr(row, name), Where.AGENT_CONFIG)
            for name in AGENT_CONFIG_FIELDS
            if getattr(row, name)
        )
        items.append(
            ScanItem(
                kind="agent_config",
                row_id=row.id,
                content_hash=row.content_hash,
                item_id=row.config_id,
                subject_kind="agent",
                subject_id=row.agent_id,
                texts=texts,
                observed_at=_when(row.created_at),
                agent_id=row.agent_id,
            )
        )
    return items


def memories(
    session: Session, integration_id: int, fingerprint: str, after: int, limit: int
) -> list[ScanItem]:
    query = _pending(m.Memory, "memory", integration_id, fingerprint, after).limit(limit)
    return [
        ScanItem(
            kind="memory",
            row_id=row.id,
            content_hash=row.content_hash,
            item_id=f"{row.context_id}:{row.entry_id}",
            subject_kind="user",
            subject_id=row.user_id,
            texts=(("content", row.content, Where.MEMORY),) if row.content and not row.deleted else (),
            observed_at=_when(row.entry_updated_at),
        )
        for row in session.scalars(query).all()
    ]


def canvas_versions(
    session: Session, integration_id: int, fingerprint: str, after: int, limit: int
) -> list[ScanItem]:
    rows = session.scalars(
        _pending(m.CanvasVersion, "canvas_version", integration_id, fingerprint, after).limit(limit)
    ).all()
    owners = dict(
        session.execute(
            select(m.Canvas.canvas_id, m.Canvas.user_id).where(
                m.Canvas.integration_id == integration_id, m.Canvas.canvas_id.in_({r.canvas_id for r in rows})
            )
        ).all()
    )
    return [
        ScanItem(
            kind="canvas_version",
            row_id=row.id,
            content_hash=row.content_hash,
            item_id=f"{row.canvas_id}:{row.version}",
            subject_kind="user",
            subject_id=owners.get(row.canvas_id) or "unknown-user",
            texts=(("content", row.content, Where.CANVAS),) if row.content else (),
            observed_at=_when(row.version_updated_at),
        )
        for row in rows
    ]


def log_events(
    session: Session, integration_id: int, fingerprint: str, after: int, limit: int
) -> list[ScanItem]:
    query = _pending(m.LogEvent, "log_event", integration_id, fingerprint, after).limit(limit)
    items = []
    for row in session.scalars(query).all():
        data = _json(row.raw)
        texts: tuple[tuple[str, str, Where], ...] = ()
        if row.event_type not in LOG_EVENT_SKIPPED_TYPES:
            texts = tuple((name, text, Where.LOG_EVENT) for name, text in _text_fields(data, row.raw))
        actor = row.actor or {}
        items.append(
            ScanItem(
                kind="log_event",
                row_id=row.id,
                content_hash=row.content_hash,
                item_id=row.event_id,
                subject_kind="user",
                subject_id=str(
                    actor.get("id") or actor.get("user_id") or actor.get("email") or "unknown-user"
                ),
                texts=texts,
                observed_at=_when(row.timestamp),
                app_id=log_event_app(data),
            )
        )
    return items


def message_app(role: str | None, tool_name: str | None) -> str | None:
    """The app or connector a message came from: a tool message written by a tool that is not built in."""
    if role == "tool" and tool_name and tool_name not in BUILTIN_TOOLS:
        return tool_name
    return None


def log_event_app(data: Any) -> str | None:
    """The app or connector a log event is about (``app``/``connector`` objects or ``app_id``/``connector_id``
    strings, at the top of the event or in its ``action_data``); None when it names none."""
    if not isinstance(data, dict):
        return None
    action = data.get("action_data")
    for place in (data, action if isinstance(action, dict) else {}):
        for key in APP_KEYS:
            value = place.get(key)
            if isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"]:
                return str(value["id"])[:255]
            named = place.get(f"{key}_id")
            if isinstance(named, str) and named:
                return named[:255]
    return None


NOT_JSON = object()


def _json(raw: str | None) -> Any:
    try:
        return json.loads(raw) if raw else NOT_JSON
    except (json.JSONDecodeError, TypeError):
        return NOT_JSON


def log_event_text_fields(raw: str) -> list[tuple[str, str]]:
    """Dotted paths and values of the free-text strings of an event's JSON (ids and timestamps skipped)."""
    return _text_fields(_json(raw), raw)


def _text_fields(data: Any, raw: str) -> list[tuple[str, str]]:
    if data is NOT_JSON:  # the line itself is the text
        return [("raw", raw)] if raw else []
    found: list[tuple[str, str]] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, dict):
            for key, child in value.items():
                if not path and key in LOG_EVENT_SKIPPED_SUBTREES:
                    continue
                walk(child, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for index, child in enumerate(value):
                walk(child, f"{path}[{index}]")
        elif isinstance(value, str) and value.strip():
            leaf = path.rsplit(".", 1)[-1].split("[", 1)[0]
            if leaf not in LOG_EVENT_SKIPPED_KEYS and not leaf.endswith(LOG_EVENT_SKIPPED_SUFFIXES):
                found.append((path[:100], value))

    walk(data, "")
    return found


SOURCES = {
    "message": messages,
    "conversation": conversations,
    "file": files,
    "agent_config": agent_configs,
    "memory": memories,
    "canvas_version": canvas_versions,
    "log_event": log_events,
}


def iter_pending(
    session: Session, kind: str, integration_id: int, fingerprint: str, batch: int
) -> Iterator[list[ScanItem]]:
    after = 0
    while True:
        items = SOURCES[kind](session, integration_id, fingerprint, after, batch)
        if not items:
            return
        yield items
        after = items[-1].row_id
