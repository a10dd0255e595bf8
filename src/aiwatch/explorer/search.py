"""Explorer search: messages whose text or conversation title contains a substring, with filters, and one
conversation with its messages, files, agents and findings.

The search is a portable, parameterised ``LIKE`` (case-insensitive, ``%`` / ``_`` / ``\\`` in the query are
literal) bounded by the filters and by ``SEARCH_ROW_LIMIT`` matches: a substring search, not a full-text
index. Message bodies may have been purged by retention: such a message has a ``content_hash`` (it had text)
but no text any more, and says so instead of showing a body.

Detected values stay masked here too (snippets, conversation text and conversation titles show each alert's
masked evidence in place of its span): the clear value is only ever shown by the audited reveal on the
finding. The search itself still matches the stored (clear) title and text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session

from aiwatch.explorer.frames import like_pattern
from aiwatch.findings.models import Alert, Finding
from aiwatch.store import models as m

SEARCH_ROW_LIMIT = 5000  # matches counted and paged at most; narrow the filters to see older ones
SNIPPET_CHARS = 80  # shown on each side of the match
MAX_QUERY_CHARS = 200
AUTHOR_ROLES = ("user", "assistant", "tool", "system")
PURGED = "purged by retention"


class SearchError(ValueError):
    """A search request that cannot run (query too long, unknown author role, bad page)."""


@dataclass
class MessageQuery:
    text: str | None = None  # substring of the message text or the conversation title
    user: str | None = None  # user id or email of the conversation's owner
    agent: str | None = None  # GPT or project id the message was sent to
    role: str | None = None  # author role
    since: datetime | None = None
    until: datetime | None = None
    has_findings: bool | None = None
    limit: int = 25
    offset: int = 0


@dataclass(frozen=True)
class Snippet:
    """Text around the first match, in three parts so a template escapes each and marks ``match``."""

    before: str
    match: str
    after: str
    where: str  # text | title | none (no query, or the match is only in the title)

    def as_dict(self) -> dict[str, str]:
        return {"before": self.before, "match": self.match, "after": self.after, "where": self.where}


@dataclass
class MessageHit:
    id: int
    message_id: str
    role: str | None
    created_at: datetime | None
    conversation: dict[str, Any] | None  # {"id", "conversation_id", "title"}
    user_id: str | None
    user_email: str | None
    agent_id: str | None
    purged: bool
    snippet: Snippet
    finding_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "message_id": self.message_id,
            "role": self.role,
            "created_at": self.created_at.isoformat() if self.created_at else None,
            "conversation": self.conversation,
            "user": {"id": self.user_id, "email": self.user_email},
            "agent_id": self.agent_id,
            "purged": self.purged,
            "snippet": self.snippet.as_dict(),
            "finding_ids": self.finding_ids,
        }


@dataclass
class SearchPage:
    items: list[MessageHit]
    total: int
    capped: bool  # more than SEARCH_ROW_LIMIT matched; total is the limit


def is_purged(message: m.Message) -> bool:
    """Retention cleared the text but kept the hash of what was there (see aiwatch.retention.purge)."""
    return message.text is None and message.content_hash is not None


Span = tuple[int, int, str]  # start, end (in the message text) and the masked evidence shown instead


def detected_spans(
    session: Session, keys: list[tuple[int, str]], kind: str = "message", field: str | None = None
) -> dict[tuple[int, str], list[Span]]:
    """Where detections sit in each item's text (messages, or with ``kind="conversation", field="title"``
    conversation titles), with their masked evidence: every alert with a span, suppressed ones too (an
    excluded value is still a value)."""
    if not keys:
        return {}
    query = select(Alert.integration_id, Alert.item_id, Alert.start, Alert.end, Alert.evidence).where(
        Alert.item_kind == kind,
        Alert.item_id.in_({item for _, item in keys}),
        Alert.integration_id.in_({integration for integration, _ in keys}),
        Alert.end > Alert.start,
    )
    if field is not None:
        query = query.where(Alert.field == field)
    rows = session.execute(query).all()
    found: dict[tuple[int, str], list[Span]] = {}
    for integration, item, start, end, evidence in rows:
        found.setdefault((integration, item), []).append((int(start), int(end), evidence or "•••"))
    return found


def _disjoint(spans: list[Span], length: int) -> list[Span]:
    """Sorted spans inside the text; overlapping detections merge under the first one's mask."""
    kept: list[Span] = []
    for start, end, evidence in sorted(spans, key=lambda s: (s[0], -s[1])):
        if end > length:
            continue  # the text changed since the detection: this span no longer points at the value
        if kept and start < kept[-1][1]:
            kept[-1] = (kept[-1][0], max(kept[-1][1], end), kept[-1][2])
            continue
        kept.append((start, end, evidence))
    return kept


def _widen(start: int, end: int, spans: list[Span]) -> tuple[int, int]:
    """``[start, end)`` grown so that it cuts no detection in half (spans are disjoint)."""
    for s, e, _ in spans:
        if s < end and e > start:
            start, end = min(start, s), max(end, e)
    return start, end


def mask_text(text: str, spans: list[Span], start: int = 0, end: int | None = None) -> str:
    """``text[start:end]`` with every detection inside it replaced by its masked evidence."""
    end = len(text) if end is None else end
    out, position = [], start
    for s, e, evidence in spans:
        if s >= start and e <= end:
            out += [text[position:s], evidence]
            position = e
    out.append(text[position:end])
    return "".join(out)


def title_spans(session: Session, keys: list[tuple[int, str]]) -> dict[tuple[int, str], list[Span]]:
    """Detections in conversation titles, per (integration, conversation id)."""
    return detected_spans(session, keys, kind="conversation", field="title")


def masked_title(title: str | None, spans: list[Span] | None) -> str | None:
    """The title with every detected value replaced by its masked evidence."""
    if not title:
        return title
    return mask_text(title, _disjoint(spans or [], len(title)))


def snippet(
    text: str | None,
    query: str | None,
    title: str | None = None,
    width: int = SNIPPET_CHARS,
    spans: list[Span] | None = None,
) -> Snippet:
    """The text around the first case-insensitive occurrence of ``query`` (or the text's start), with the
    detected values in ``spans`` masked (a match inside a detection shows its mask)."""
    body = text or ""
    kept = _disjoint(spans or [], len(body))
    if query:
        found = re.search(re.escape(query), body, re.IGNORECASE)
        if found:
            start, end = _widen(*found.span(), kept)
            lead = _widen(max(0, start - width), start, kept)[0]
            tail = _widen(end, min(len(body), end + width), kept)[1]
            return Snippet(
                ("…" if lead else "") + mask_text(body, kept, lead, start),
                mask_text(body, kept, start, end),
                mask_text(body, kept, end, tail) + ("…" if tail < len(body) else ""),
                "text",
            )
        if title and re.search(re.escape(query), title, re.IGNORECASE):
            return Snippet(_clip(mask_text(body, kept), 2 * width), "", "", "title")
    return Snippet(_clip(mask_text(body, kept), 2 * width), "", "", "none")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width] + "…"


def _agent_of(message: Any) -> Any:
    return func.coalesce(message.gpt_id, message.project_id)


def _search_query(q: MessageQuery) -> Select[Any]:
    conversation = and_(
        m.Conversation.integration_id == m.Message.integration_id,
        m.Conversation.conversation_id == m.Message.conversation_id,
    )
    query = select(m.Message, m.Conversation).outerjoin(m.Conversation, conversation)
    if q.text:
        pattern = like_pattern(q.text)
        query = query.where(
            or_(
                m.Message.text.ilike(pattern, escape="\\"),
                m.Conversation.title.ilike(pattern, escape="\\"),
            )
        )
    if q.user:
        # Through the user's conversations: the messages' (integration, conversation) index does the rest.
        owned = select(m.Conversation.conversation_id).where(
            or_(m.Conversation.user_id == q.user, m.Conversation.user_email == q.user)
        )
        query = query.where(
            m.Message.conversation_id.in_(owned),
            or_(m.Conversation.user_id == q.user, m.Conversation.user_email == q.user),
        )
    if q.agent:
        query = query.where(or_(m.Message.gpt_id == q.agent, m.Message.project_id == q.agent))
    if q.role:
        query = query.where(m.Message.role == q.role)
    if q.since:
        query = query.where(m.Message.created_at >= q.since)
    if q.until:
        query = query.where(m.Message.created_at < q.until)
    if q.has_findings is not None:
        flagged = exists().where(
            Alert.integration_id == m.Message.integration_id,
            Alert.item_kind == "message",
            Alert.item_id == m.Message.message_id,
            Alert.finding_id.is_not(None),
        )
        query = query.where(flagged if q.has_findings else ~flagged)
    return query


def validate(q: MessageQuery) -> None:
    if q.text is not None and len(q.text) > MAX_QUERY_CHARS:
        raise SearchError(f"the search text is limited to {MAX_QUERY_CHARS} characters")
    if q.role is not None and q.role not in AUTHOR_ROLES:
        raise SearchError(f"unknown author role {q.role!r}; use one of {', '.join(AUTHOR_ROLES)}")
    if q.since and q.until and q.since > q.until:
        raise SearchError("the start date is after the end date")
    if q.limit < 1 or q.limit > 500 or q.offset < 0:
        raise SearchError("limit must be 1..500 and offset >= 0")


def search_messages(session: Session, q: MessageQuery) -> SearchPage:
    """One page of matching messages, newest first, with snippets; at most SEARCH_ROW_LIMIT are counted."""
    validate(q)
    query = _search_query(q)
    bounded = query.with_only_columns(m.Message.id).limit(SEARCH_ROW_LIMIT + 1).subquery()
    total = int(session.scalar(select(func.count()).select_from(bounded)) or 0)
    capped = total > SEARCH_ROW_LIMIT
    total = min(total, SEARCH_ROW_LIMIT)
    if q.offset >= total:
        return SearchPage([], total, capped)
    limit = min(q.limit, total - q.offset)
    rows = session.execute(
        query.order_by(m.Message.created_at.desc(), m.Message.id.desc()).limit(limit).offset(q.offset)
    ).all()
    keys = [(msg.integration_id, msg.message_id) for msg, _ in rows]
    findings = _findings_of(session, keys)
    spans = detected_spans(session, keys)
    titles = title_spans(session, [(conv.integration_id, conv.conversation_id) for _, conv in rows if conv])
    items = []
    for message, conv in rows:
        items.append(
            MessageHit(
                id=message.id,
                message_id=message.message_id,
                role=message.role,
                created_at=message.created_at,
                conversation={
                    "id": conv.id,
                    "conversation_id": conv.conversation_id,
                    "title": masked_title(
                        conv.title, titles.get((conv.integration_id, conv.conversation_id))
                    ),
                }
                if conv is not None
                else None,
                user_id=conv.user_id if conv is not None else None,
                user_email=conv.user_email if conv is not None else None,
                agent_id=message.gpt_id or message.project_id,
                purged=is_purged(message),
                snippet=snippet(
                    message.text,
                    q.text,
                    conv.title if conv is not None else None,
                    spans=spans.get((message.integration_id, message.message_id)),
                ),
                finding_ids=findings.get((message.integration_id, message.message_id), []),
            )
        )
    return SearchPage(items, total, capped)


def _findings_of(
    session: Session, keys: list[tuple[int, str]], kind: str = "message"
) -> dict[tuple[int, str], list[int]]:
    """Finding ids per (integration, item id) of one item kind."""
    if not keys:
        return {}
    rows = session.execute(
        select(Alert.integration_id, Alert.item_id, Alert.finding_id)
        .where(
            Alert.item_kind == kind,
            Alert.item_id.in_({item for _, item in keys}),
            Alert.integration_id.in_({integration for integration, _ in keys}),
            Alert.finding_id.is_not(None),
        )
        .distinct()
    ).all()
    found: dict[tuple[int, str], list[int]] = {}
    for integration, item, finding in rows:
        found.setdefault((integration, item), []).append(int(finding))
    for ids in found.values():
        ids.sort()
    return found


def conversation_detail(session: Session, conversation_row_id: int) -> dict[str, Any] | None:
    """A conversation (by its row id): messages in order with text (or the purge note), files, the agents
    it used and the findings raised on its messages and files; None when there is no such conversation."""
    conv = session.get(m.Conversation, conversation_row_id)
    if conv is None:
        return None
    integration = conv.integration_id
    messages = list(
        session.scalars(
            select(m.Message)
            .where(m.Message.integration_id == integration, m.Message.conversation_id == conv.conversation_id)
            .order_by(m.Message.created_at, m.Message.id)
        )
    )
    message_ids = [row.message_id for row in messages]
    files = list(
        session.scalars(
            select(m.StoredFile)
            .where(
                m.StoredFile.integration_id == integration,
                m.StoredFile.conversation_id == conv.conversation_id,
            )
            .order_by(m.StoredFile.created_at, m.StoredFile.id)
        )
    )
    attached: dict[str, list[str]] = {}
    if message_ids:
        for link in session.scalars(
            select(m.MessageFile).where(
                m.MessageFile.integration_id == integration, m.MessageFile.message_id.in_(message_ids)
            )
        ):
            attached.setdefault(link.message_id, []).append(link.name or link.file_id)
    message_findings = _findings_of(session, [(integration, i) for i in message_ids])
    spans = detected_spans(session, [(integration, i) for i in message_ids])
    file_findings = _findings_of(session, [(integration, f.file_id) for f in files], kind="file")
    conversation_key = [(integration, conv.conversation_id)]
    title_findings = _findings_of(session, conversation_key, kind="conversation")
    finding_ids = sorted(
        {
            i
            for ids in (*message_findings.values(), *file_findings.values(), *title_findings.values())
            for i in ids
        }
    )
    findings = (
        list(session.scalars(select(Finding).where(Finding.id.in_(finding_ids)).order_by(Finding.id)))
        if finding_ids
        else []
    )
    evidence: dict[str, list[dict[str, Any]]] = {}
    if message_ids:
        for alert in session.scalars(
            select(Alert)
            .where(
                Alert.integration_id == integration,
                Alert.item_kind == "message",
                Alert.item_id.in_(message_ids),
                Alert.finding_id.is_not(None),
            )
            .order_by(Alert.start)
        ):
            evidence.setdefault(alert.item_id, []).append(
                {"rule": alert.rule, "evidence": alert.evidence, "finding_id": alert.finding_id}
            )
    agent_ids = sorted({row.gpt_id or row.project_id for row in messages if row.gpt_id or row.project_id})
    agents = {
        row.agent_id: row
        for row in (
            session.scalars(
                select(m.Agent).where(m.Agent.integration_id == integration, m.Agent.agent_id.in_(agent_ids))
            )
            if agent_ids
            else []
        )
    }
    user = (
        session.scalar(
            select(m.WorkspaceUser).where(
                m.WorkspaceUser.integration_id == integration, m.WorkspaceUser.user_id == conv.user_id
            )
        )
        if conv.user_id
        else None
    )
    return {
        "id": conv.id,
        "conversation_id": conv.conversation_id,
        "integration_id": integration,
        "title": masked_title(conv.title, title_spans(session, conversation_key).get(conversation_key[0])),
        "user": {
            "id": conv.user_id,
            "email": conv.user_email or (user.email if user else None),
            "name": user.name if user else None,
        },
        "created_at": _iso(conv.created_at),
        "last_active_at": _iso(conv.last_active_at),
        "removed_by_admin": conv.removed_by_admin,
        "messages": [
            {
                "id": row.id,
                "message_id": row.message_id,
                "role": row.role,
                "tool_name": row.tool_name,
                "created_at": _iso(row.created_at),
                "text": mask_text(
                    row.text, _disjoint(spans.get((integration, row.message_id), []), len(row.text))
                )
                if row.text
                else row.text,
                "purged": is_purged(row),
                "agent_id": row.gpt_id or row.project_id,
                "files": attached.get(row.message_id, []),
                "finding_ids": message_findings.get((integration, row.message_id), []),
                "evidence": evidence.get(row.message_id, []),
            }
            for row in messages
        ],
        "files": [
            {
                "id": row.id,
                "file_id": row.file_id,
                "name": row.name,
                "kind": row.kind,
                "state": row.state,
                "size": row.size,
                "created_at": _iso(row.created_at),
                "finding_ids": file_findings.get((integration, row.file_id), []),
            }
            for row in files
        ],
        "agents": [
            {
                "id": agent_id,
                "name": agents[agent_id].name if agent_id in agents else None,
                "kind": agents[agent_id].kind if agent_id in agents else None,
            }
            for agent_id in agent_ids
        ],
        "findings": [
            {
                "id": row.id,
                "rule": row.rule,
                "policy": row.policy,
                "severity": row.severity,
                "status": row.status,
                "alert_count": row.alert_count,
            }
            for row in findings
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
