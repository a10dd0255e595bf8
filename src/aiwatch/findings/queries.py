"""Read side for the console and CLI: filtered, sorted, paginated findings and alerts; finding detail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from aiwatch.domain import Severity
from aiwatch.findings.models import Alert, Finding
from aiwatch.store import models as m

SORTABLE = {"last_seen", "first_seen", "severity", "alert_count", "id"}
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


def _apply(query: Select[Any], f: FindingFilter) -> Select[Any]:
    if f.status:
        query = query.where(Finding.status == f.status)
    if f.severity:
        query = query.where(Finding.severity.in_(f.severity))
    if f.rule:
        query = query.where(
            Finding.rule.like(f.rule.replace("*", "%")) if "*" in f.rule else Finding.rule == f.rule
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
        like = f"%{f.text.lower()}%"
        query = query.where(
            or_(
                func.lower(Finding.rule).like(like),
                func.lower(Finding.subject_id).like(like),
                Finding.id.in_(select(Alert.finding_id).where(func.lower(Alert.evidence).like(like))),
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
