"""Stores risk scores per user and agent, and lists the riskiest; the console reads these."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from aiwatch.domain import Severity
from aiwatch.risk.formula import FindingFacts, compute
from aiwatch.risk.models import RiskScoreRow

SUBJECT_KINDS = ("user", "agent")


@dataclass(frozen=True)
class Subject:
    kind: str  # "user" | "agent"
    subject_id: str
    label: str | None = None


@dataclass(frozen=True)
class RiskView:
    kind: str
    subject_id: str
    label: str | None
    score: float
    finding_count: int
    breakdown: list[dict[str, Any]]
    computed_at: datetime


def store_scores(
    session: Session,
    integration_id: int,
    findings_by_subject: Mapping[Subject, Iterable[FindingFacts]],
    *,
    now: datetime | None = None,
) -> int:
    """Replace the integration's scores with ones computed from ``findings_by_subject``; returns the count.

    Subjects whose findings were all false positives (or resolved away) get no row: they are not risky.
    """
    now = now or datetime.now(UTC)
    session.execute(delete(RiskScoreRow).where(RiskScoreRow.integration_id == integration_id))
    stored = 0
    for subject, findings in findings_by_subject.items():
        if subject.kind not in SUBJECT_KINDS:
            raise ValueError(f"unknown risk subject kind {subject.kind!r} (expected user or agent)")
        result = compute(findings, now)
        if result.score <= 0:
            continue
        session.add(
            RiskScoreRow(
                integration_id=integration_id,
                subject_kind=subject.kind,
                subject_id=subject.subject_id,
                subject_label=subject.label,
                score=round(result.score, 4),
                raw=round(result.raw, 4),
                finding_count=result.counted_findings,
                breakdown=result.breakdown,
                computed_at=now,
            )
        )
        stored += 1
    session.flush()
    return stored


def _view(row: RiskScoreRow) -> RiskView:
    return RiskView(
        row.subject_kind,
        row.subject_id,
        row.subject_label,
        row.score,
        row.finding_count,
        row.breakdown,
        row.computed_at,
    )


def top_risky(
    session: Session, kind: str, *, limit: int = 10, integration_id: int | None = None
) -> list[RiskView]:
    """The highest scores of one subject kind, highest first (ties by subject id)."""
    if kind not in SUBJECT_KINDS:
        raise ValueError(f"unknown risk subject kind {kind!r} (expected user or agent)")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    query = select(RiskScoreRow).where(RiskScoreRow.subject_kind == kind)
    if integration_id is not None:
        query = query.where(RiskScoreRow.integration_id == integration_id)
    rows = session.scalars(query.order_by(RiskScoreRow.score.desc(), RiskScoreRow.subject_id).limit(limit))
    return [_view(r) for r in rows]


def score_of(session: Session, integration_id: int, kind: str, subject_id: str) -> RiskView | None:
    row = session.scalars(
        select(RiskScoreRow).where(
            RiskScoreRow.integration_id == integration_id,
            RiskScoreRow.subject_kind == kind,
            RiskScoreRow.subject_id == subject_id,
        )
    ).first()
    return _view(row) if row else None


def recompute_scores(session: Session, integration_id: int, *, now: datetime | None = None) -> int:
    """Recompute every user's and agent's score of an integration from its findings (after each run)."""
    from aiwatch.findings.models import Finding
    from aiwatch.store.models import Agent, WorkspaceUser

    rows = session.execute(
        select(
            Finding.id,
            Finding.subject_kind,
            Finding.subject_id,
            Finding.rule,
            Finding.severity,
            Finding.status,
            Finding.resolution,
            Finding.alert_count,
            Finding.last_seen,
        ).where(Finding.integration_id == integration_id, Finding.subject_kind.in_(SUBJECT_KINDS))
    ).all()
    emails = dict(
        session.execute(
            select(WorkspaceUser.user_id, WorkspaceUser.email).where(
                WorkspaceUser.integration_id == integration_id
            )
        ).all()
    )
    names = dict(
        session.execute(
            select(Agent.agent_id, Agent.name).where(Agent.integration_id == integration_id)
        ).all()
    )
    by_subject: dict[Subject, list[FindingFacts]] = {}
    for fid, kind, subject_id, rule, severity, status, resolution, alert_count, last_seen in rows:
        label = emails.get(subject_id) if kind == "user" else names.get(subject_id)
        by_subject.setdefault(Subject(kind, subject_id, label), []).append(
            FindingFacts(fid, rule, Severity(severity), status, resolution, alert_count or 1, last_seen)
        )
    return store_scores(session, integration_id, by_subject, now=now)
