"""Read side for the console and CLI: filtered, sorted, paginated findings and alerts; finding detail."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from aiwatch.domain import Severity
from aiwatch.findings.models import Alert, Finding
from aiwatch.store import models as m

SORTABLE = {"last_seen", "first_seen", "severity", "alert_count", "id", "rule", "subject_id"}
SEVERITY_ORDER = [str(s) for s in sorted(Severity, key=lambda s: s.rank)]


@dataclass
class FindingFilter:
    status: str | None = None
    severity: list[str] = field(default_factory=list)
    rule: str | None = None  # exact id or prefix glob "secret.*"
    policy: str | None = None
    group: str | None = None
    subject_kind: str | None = None
    subject_id: str | None = None
    agent_id: str | None = None
    integration_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    text: str | None = None  # searches rule, subject and masked evidence samples
    sort: str = "last_seen"
    descending: bool = True
    limit: int = 50
    offset: int = 0


def _escape_like(text: str) -> str:
    """``text`` with the LIKE metacharacters escaped (use ``escape="\\\\"``)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _apply(query: Select[Any], f: FindingFilter) -> Select[Any]:
    if f.status:
        query = query.where(Finding.status == f.status)
    if f.severity:
        query = query.where(Finding.severity.in_(f.severity))
    if f.rule:
        # "*" is the only wildcard: "%", "_" and a backslash typed into a filter match themselves.
        query = query.where(
            Finding.rule.like(_escape_like(f.rule).replace("*", "%"), escape="\\")
            if "*" in f.rule
            else Finding.rule == f.rule
        )
    for column, value in (
        (Finding.policy, f.policy),
        (Finding.group, f.group),
        (Finding.subject_kind, f.subject_kind),
        (Finding.subject_id, f.subject_id),
        (Finding.agent_id, f.agent_id),
        (Finding.integration_id, f.integration_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if f.since:
        query = query.where(Finding.last_seen >= f.since)
    if f.until:
        query = query.where(Finding.first_seen <= f.until)
    if f.text:
        like = f"%{_escape_like(f.text.lower())}%"  # a plain substring, never a LIKE pattern
        query = query.where(
            or_(
                func.lower(Finding.rule).like(like, escape="\\"),
                func.lower(Finding.subject_id).like(like, escape="\\"),
                Finding.id.in_(
                    select(Alert.finding_id).where(func.lower(Alert.evidence).like(like, escape="\\"))
                ),
            )
        )
    return query


def list_findings(session: Session, f: FindingFilter | None = None) -> tuple[list[Finding], int]:
    """One page of findings and the total count matching the filter."""
    f = f or FindingFilter()
    if f.sort not in SORTABLE:
        raise ValueError(f"cannot sort by {f.sort!r}; use one of {', '.join(sorted(SORTABLE))}")
    if f.limit < 1 or f.limit > 1000 or f.offset < 0:
        raise ValueError("limit must be 1..1000 and offset >= 0")
    total = session.scalar(_apply(select(func.count(Finding.id)), f)) or 0
    if f.sort == "severity":
        from sqlalchemy import case

        key: Any = case({s: i for i, s in enumerate(SEVERITY_ORDER)}, value=Finding.severity)
    else:
        key = getattr(Finding, f.sort)
    order = [key.desc() if f.descending else key.asc(), Finding.id.desc()]
    rows = session.scalars(_apply(select(Finding), f).order_by(*order).limit(f.limit).offset(f.offset)).all()
    return list(rows), total


def list_alerts(
    session: Session,
    *,
    finding_id: int | None = None,
    rule: str | None = None,
    suppressed: bool | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Alert]:
    query = select(Alert)
    if finding_id is not None:
        query = query.where(Alert.finding_id == finding_id)
    if rule:
        query = query.where(Alert.rule == rule)
    if suppressed is not None:
        query = query.where(Alert.suppressed_by.is_not(None) if suppressed else Alert.suppressed_by.is_(None))
    return list(session.scalars(query.order_by(Alert.observed_at, Alert.id).limit(limit).offset(offset)))


def finding_json(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.id,
        "integration_id": finding.integration_id,
        "rule": finding.rule,
        "policy": finding.policy,
        "group": finding.group,
        "severity": finding.severity,
        "status": finding.status,
        "subject": {"kind": finding.subject_kind, "id": finding.subject_id},
        "agent_id": finding.agent_id,
        "alert_count": finding.alert_count,
        "first_seen": finding.first_seen.isoformat(),
        "last_seen": finding.last_seen.isoformat(),
        "evidence_samples": list(finding.evidence_samples or []),
        "resolution": finding.resolution,
        "resolution_reason": finding.resolution_reason,
        "resolved_by": finding.resolved_by,
        "resolved_at": finding.resolved_at.isoformat() if finding.resolved_at else None,
    }


def alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "rule": alert.rule,
        "item": {"kind": alert.item_kind, "id": alert.item_id, "field": alert.field},
        "span": [alert.start, alert.end],
        "evidence": alert.evidence,
        "severity": alert.severity,
        "score": alert.score,
        "observed_at": alert.observed_at.isoformat(),
        "suppressed_by": alert.suppressed_by,
        "finding_id": alert.finding_id,
    }


def finding_detail(session: Session, finding_id: int, *, neighbours: int = 2) -> dict[str, Any] | None:
    """The finding, its alerts, the subject (user or agent) and, for message alerts, the message with its
    neighbours in the conversation (texts are shown only through masked evidence, never verbatim)."""
    finding = session.get(Finding, finding_id)
    if finding is None:
        return None
    alerts = list_alerts(session, finding_id=finding_id, limit=200)
    detail = finding_json(finding)
    detail["alerts"] = [alert_json(a) for a in alerts]
    if finding.subject_kind == "user":
        user = session.scalar(
            select(m.WorkspaceUser).where(
                m.WorkspaceUser.integration_id == finding.integration_id,
                m.WorkspaceUser.user_id == finding.subject_id,
            )
        )
        detail["user"] = {
            "id": finding.subject_id,
            "email": user.email if user else None,
            "name": user.name if user else None,
        }
    agent_id = finding.agent_id or (finding.subject_id if finding.subject_kind == "agent" else None)
    if agent_id:
        agent = session.scalar(
            select(m.Agent).where(
                m.Agent.integration_id == finding.integration_id, m.Agent.agent_id == agent_id
            )
        )
        detail["agent"] = {
            "id": agent_id,
            "name": agent.name if agent else None,
            "kind": agent.kind if agent else None,
        }
    contexts = []
    for alert in alerts:
        if alert.item_kind == "conversation":
            # A detection in the title: the conversation header is the context (no messages to show).
            contexts.append({"alert_id": alert.id, "conversation_id": alert.item_id, "messages": []})
            continue
        if alert.item_kind != "message":
            continue
        message = session.scalar(
            select(m.Message).where(
                m.Message.integration_id == finding.integration_id, m.Message.message_id == alert.item_id
            )
        )
        if message is None or message.conversation_id is None:
            continue
        thread = list(
            session.scalars(
                select(m.Message)
                .where(
                    m.Message.integration_id == finding.integration_id,
                    m.Message.conversation_id == message.conversation_id,
                )
                .order_by(m.Message.created_at, m.Message.id)
            )
        )
        position = next(i for i, row in enumerate(thread) if row.id == message.id)
        window = thread[max(0, position - neighbours) : position + neighbours + 1]
        contexts.append(
            {
                "alert_id": alert.id,
                "conversation_id": message.conversation_id,
                "messages": [
                    {
                        "message_id": row.message_id,
                        "role": row.role,
                        "created_at": row.created_at.isoformat() if row.created_at else None,
                        "is_alerted": row.id == message.id,
                    }
                    for row in window
                ],
            }
        )
    detail["context"] = contexts
    return detail


# --- console helpers: filter choices, display labels, evidence in context, reveal ---------------------------


def filter_choices(session: Session) -> dict[str, list[str]]:
    """The groups, policies and rules that have findings (what the list's filter menus offer)."""
    choices: dict[str, list[str]] = {}
    for name, column in (("group", Finding.group), ("policy", Finding.policy), ("rule", Finding.rule)):
        choices[name] = [v for v in session.scalars(select(column).distinct().order_by(column)) if v]
    return choices


def agents_with_findings(session: Session) -> list[tuple[str, str]]:
    """(agent id, display name) of every agent that findings point at, by name."""
    ids = set(session.scalars(select(Finding.agent_id).where(Finding.agent_id.is_not(None)).distinct()))
    ids |= set(session.scalars(select(Finding.subject_id).where(Finding.subject_kind == "agent").distinct()))
    names = agent_names(session, ids)
    return sorted(((i, names.get(i) or i) for i in ids if i), key=lambda pair: pair[1].lower())


def agent_names(session: Session, agent_ids: set[str]) -> dict[str, str]:
    if not agent_ids:
        return {}
    rows = session.execute(
        select(m.Agent.agent_id, m.Agent.name).where(
            m.Agent.agent_id.in_(agent_ids), m.Agent.name.is_not(None)
        )
    )
    return {agent_id: name for agent_id, name in rows}


def user_emails(session: Session, user_ids: set[str]) -> dict[str, str]:
    if not user_ids:
        return {}
    rows = session.execute(
        select(m.WorkspaceUser.user_id, m.WorkspaceUser.email).where(
            m.WorkspaceUser.user_id.in_(user_ids), m.WorkspaceUser.email.is_not(None)
        )
    )
    return {user_id: email for user_id, email in rows}


def subject_labels(session: Session, findings: list[Finding]) -> dict[int, dict[str, str | None]]:
    """Per finding id: the subject's display label (email / agent name) and the agent's name."""
    users = user_emails(session, {f.subject_id for f in findings if f.subject_kind == "user"})
    agent_ids = {f.subject_id for f in findings if f.subject_kind == "agent"}
    agents = agent_names(session, agent_ids | {f.agent_id for f in findings if f.agent_id})
    labels: dict[int, dict[str, str | None]] = {}
    for f in findings:
        names = users if f.subject_kind == "user" else agents
        labels[f.id] = {
            "subject": names.get(f.subject_id) or f.subject_id,
            "agent": (agents.get(f.agent_id) or f.agent_id) if f.agent_id else None,
        }
    return labels


def resolve_subject(session: Session, value: str) -> str:
    """A subject filter given as an email is turned into the workspace user id (ids pass unchanged)."""
    value = value.strip()
    if "@" not in value:
        return value
    user_id = session.scalar(
        select(m.WorkspaceUser.user_id).where(func.lower(m.WorkspaceUser.email) == value.lower()).limit(1)
    )
    return user_id or value


CONTEXT_AROUND = 160  # characters shown either side of the match in the alerted message
NEIGHBOUR_CHARS = 320  # characters shown of each neighbouring message


def _segments(
    text: str, spans: list[tuple[int, int, str, bool]], focus: tuple[int, int] | None
) -> list[dict[str, str]]:
    """The text cut to a window, with every detected span replaced by its masked evidence.

    ``spans`` are (start, end, masked evidence, is the finding's own alert). Returns parts of kind text /
    match (this finding's evidence) / masked (another detection) / gap (text left out)."""
    if focus is not None:
        low, high = max(0, focus[0] - CONTEXT_AROUND), min(len(text), focus[1] + CONTEXT_AROUND)
    else:
        low, high = 0, min(len(text), NEIGHBOUR_CHARS)
    kept: list[tuple[int, int, str, bool]] = []
    # The finding's own span first, then the others minus what is already masked: a wider detection
    # overlapping it (a whole .env block) neither hides the match nor leaves any of its own text in clear.
    for start, end, evidence, own in sorted(spans, key=lambda span: (not span[3], span[0])):
        pieces = [(start, min(end, len(text)))]
        for k_start, k_end, _, _ in kept:
            pieces = [
                piece
                for a, b in pieces
                for piece in ((a, min(b, k_start)), (max(a, k_end), b))
                if piece[1] > piece[0]
            ]
        kept.extend((a, b, evidence if i == 0 else "•••", own) for i, (a, b) in enumerate(pieces))
    kept.sort()
    changed = True
    while changed:  # never cut a masked span in half: widen the window until none straddles its edges
        changed = False
        for start, end, _, _ in kept:
            if start < low < end or start < high < end:
                low, high, changed = min(low, start), max(high, end), True
    kept = [span for span in kept if span[0] < high and span[1] > low]
    parts: list[dict[str, str]] = []
    if low > 0:
        parts.append({"kind": "gap", "text": "…"})
    position = low
    for start, end, evidence, own in kept:
        if start > position:
            parts.append({"kind": "text", "text": text[position:start]})
        parts.append({"kind": "match" if own else "masked", "text": evidence or "•••"})
        position = end
    if position < high:
        parts.append({"kind": "text", "text": text[position:high]})
    if high < len(text):
        parts.append({"kind": "gap", "text": "…"})
    return parts


def masked_context(session: Session, finding_id: int, detail: dict[str, Any], *, limit: int = 5) -> None:
    """Adds ``segments`` to the messages of ``detail["context"]`` (at most ``limit`` contexts are kept): the
    text around the match, with this finding's match and every other detection in those messages masked."""
    contexts = detail.get("context", [])[:limit]
    detail["context"] = contexts
    integration_id = detail["integration_id"]
    _masked_titles(session, integration_id, contexts)
    message_ids = {msg["message_id"] for ctx in contexts for msg in ctx["messages"]}
    if not message_ids:
        return
    texts = dict(
        session.execute(
            select(m.Message.message_id, m.Message.text).where(
                m.Message.integration_id == integration_id, m.Message.message_id.in_(message_ids)
            )
        ).all()
    )
    spans: dict[str, list[tuple[int, int, str, int]]] = {}
    for alert in session.scalars(
        select(Alert).where(
            Alert.integration_id == integration_id,
            Alert.item_kind == "message",
            Alert.item_id.in_(message_ids),
        )
    ):
        spans.setdefault(alert.item_id, []).append((alert.start, alert.end, alert.evidence, alert.id))
    for ctx in contexts:
        # An empty system message (the agent's configuration) says nothing here.
        ctx["messages"] = [
            msg for msg in ctx["messages"] if msg["role"] != "system" or texts.get(msg["message_id"])
        ]
        for msg in ctx["messages"]:
            text = texts.get(msg["message_id"]) or ""
            own = [
                (s, e, ev, alert_id == ctx["alert_id"])
                for s, e, ev, alert_id in spans.get(msg["message_id"], [])
            ]
            focus = next(((s, e) for s, e, _, mine in own if mine), None) if msg["is_alerted"] else None
            msg["segments"] = _segments(text, own, focus) if text else []
            msg["purged"] = not text


def _masked_titles(session: Session, integration_id: int, contexts: list[dict[str, Any]]) -> None:
    """Adds ``title_segments`` (the conversation's title, every detection in it masked, this alert's one
    marked as the match) and ``conversation_row_id`` (for the explorer link) to each context."""
    ids = {ctx["conversation_id"] for ctx in contexts}
    if not ids:
        return
    rows = {
        conversation_id: (row_id, title)
        for row_id, conversation_id, title in session.execute(
            select(m.Conversation.id, m.Conversation.conversation_id, m.Conversation.title).where(
                m.Conversation.integration_id == integration_id, m.Conversation.conversation_id.in_(ids)
            )
        )
    }
    spans: dict[str, list[tuple[int, int, str, int]]] = {}
    for alert in session.scalars(
        select(Alert).where(
            Alert.integration_id == integration_id,
            Alert.item_kind == "conversation",
            Alert.field == "title",
            Alert.item_id.in_(ids),
            Alert.end > Alert.start,
        )
    ):
        spans.setdefault(alert.item_id, []).append((alert.start, alert.end, alert.evidence, alert.id))
    for ctx in contexts:
        row_id, title = rows.get(ctx["conversation_id"], (None, None))
        ctx["conversation_row_id"] = row_id
        own = [
            (start, end, evidence, alert_id == ctx["alert_id"])
            for start, end, evidence, alert_id in spans.get(ctx["conversation_id"], [])
            if end <= len(title or "")  # a title renamed since: its old spans point nowhere
        ]
        focus = next(((start, end) for start, end, _, mine in own if mine), None)
        ctx["title_segments"] = _segments(title, own, focus) if title else []


@dataclass(frozen=True)
class Revealed:
    """The clear matched value of an alert, or why it cannot be shown."""

    value: str | None
    reason: str | None = None


def _item_text(session: Session, alert: Alert) -> str | None:
    """The stored text an alert was detected in (None when the item or its text is gone)."""
    iid, key = alert.integration_id, alert.item_id
    if alert.item_kind == "message":
        return session.scalar(
            select(m.Message.text).where(m.Message.integration_id == iid, m.Message.message_id == key)
        )
    if alert.item_kind == "conversation" and alert.field == "title":
        return session.scalar(
            select(m.Conversation.title).where(
                m.Conversation.integration_id == iid, m.Conversation.conversation_id == key
            )
        )
    if alert.item_kind == "file":
        return session.scalar(
            select(m.StoredFile.extracted_text).where(
                m.StoredFile.integration_id == iid, m.StoredFile.file_id == key
            )
        )
    if alert.item_kind == "agent_config" and alert.field in ("instructions", "description"):
        column = getattr(m.AgentConfig, alert.field)
        return session.scalar(
            select(column).where(m.AgentConfig.integration_id == iid, m.AgentConfig.config_id == key).limit(1)
        )
    if alert.item_kind == "memory" and ":" in key:
        context_id, entry_id = key.split(":", 1)
        row = session.scalar(
            select(m.Memory).where(
                m.Memory.integration_id == iid,
                m.Memory.context_id == context_id,
                m.Memory.entry_id == entry_id,
            )
        )
        return row.content if row is not None and not row.deleted else None
    if alert.item_kind == "canvas_version" and ":" in key:
        canvas_id, version = key.rsplit(":", 1)
        if not version.isdigit():
            return None
        return session.scalar(
            select(m.CanvasVersion.content).where(
                m.CanvasVersion.integration_id == iid,
                m.CanvasVersion.canvas_id == canvas_id,
                m.CanvasVersion.version == int(version),
            )
        )
    if alert.item_kind == "log_event":
        from aiwatch.pipeline.items import log_event_text_fields

        raw = session.scalar(
            select(m.LogEvent.raw).where(m.LogEvent.integration_id == iid, m.LogEvent.event_id == key)
        )
        return dict(log_event_text_fields(raw)).get(alert.field) if raw else None
    return None


def reveal_value(session: Session, alert: Alert, hasher: Callable[[str], str] | None = None) -> Revealed:
    """The clear value at the alert's span, read from the stored text. With ``hasher`` (the installation's
    keyed hash) the value is checked against the alert's value hash, so a text edited since the detection
    never reveals something else."""
    if alert.end <= alert.start:
        return Revealed(
            None,
            "This alert has no text span (a configuration or activity finding): "
            "its evidence is all there is.",
        )
    text = _item_text(session, alert)
    if not text:
        return Revealed(
            None,
            "The stored text is gone: retention purged it or the item was deleted. "
            "Only the masked evidence remains.",
        )
    value = text[alert.start : alert.end]
    if alert.end > len(text) or (
        hasher is not None and alert.value_hash and hasher(value) != alert.value_hash
    ):
        return Revealed(
            None, "The stored text changed since the detection, so the matched value cannot be shown."
        )
    return Revealed(value)
