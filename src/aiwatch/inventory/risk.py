"""A risk score explained: the stored breakdown plus each counted finding's share of it.

The stored breakdown (``aiwatch.risk``) has three terms: exposure, volume and breadth. To show *why* a subject
scores what it does, each finding's exposure points are recomputed with the same formula at the time the
score was computed (severity weight × recency decay × status factor, scaled by score / raw), and summed per
rule. Findings changed after that time make the explanation ``stale`` until the next pipeline run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aiwatch.domain import Severity
from aiwatch.findings.models import Finding
from aiwatch.risk.formula import (
    BREADTH_WEIGHT,
    HALF_LIFE_DAYS,
    SATURATION,
    SEVERITY_WEIGHT,
    STATUS_FACTOR,
    VOLUME_WEIGHT,
    decay,
    status_factor,
)
from aiwatch.risk.formula import FindingFacts as _Facts
from aiwatch.risk.models import RiskScoreRow

TERM_LABELS = {"exposure": "Exposure", "volume": "Volume (alerts)", "breadth": "Breadth (rules)"}


@dataclass(frozen=True)
class RiskTerm:
    term: str
    label: str
    contribution: float
    detail: str


@dataclass(frozen=True)
class FindingPoints:
    finding_id: int
    rule: str
    severity: str
    status: str
    resolution: str | None
    alert_count: int
    last_seen: datetime
    severity_weight: float
    age_days: float
    decay: float
    status_factor: float
    points: float  # share of the score, in score points


@dataclass(frozen=True)
class RulePoints:
    rule: str
    findings: int
    alerts: int
    severity: str  # highest severity among the rule's counted findings
    points: float


@dataclass
class RiskExplanation:
    score: float
    raw: float
    computed_at: datetime
    finding_count: int
    terms: list[RiskTerm]
    rules: list[RulePoints] = field(default_factory=list)
    findings: list[FindingPoints] = field(default_factory=list)
    stale: bool = False  # findings changed after the score was computed

    def to_json(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "raw": self.raw,
            "computed_at": self.computed_at.isoformat(),
            "finding_count": self.finding_count,
            "stale": self.stale,
            "terms": [t.__dict__ for t in self.terms],
            "rules": [r.__dict__ for r in self.rules],
            "findings": [{**f.__dict__, "last_seen": f.last_seen.isoformat()} for f in self.findings],
            "formula": formula_constants(),
        }


def formula_constants() -> dict[str, Any]:
    """The weights the explanation uses, so a reader can redo the arithmetic."""
    return {
        "severity_weight": {str(s): w for s, w in SEVERITY_WEIGHT.items()},
        "status_factor": dict(STATUS_FACTOR),
        "half_life_days": HALF_LIFE_DAYS,
        "volume_weight": VOLUME_WEIGHT,
        "breadth_weight": BREADTH_WEIGHT,
        "saturation": SATURATION,
    }


def explain(session: Session, integration_id: int, kind: str, subject_id: str) -> RiskExplanation | None:
    """The stored score of one user or agent with its explanation; None when the subject has no score."""
    row = session.scalars(
        select(RiskScoreRow).where(
            RiskScoreRow.integration_id == integration_id,
            RiskScoreRow.subject_kind == kind,
            RiskScoreRow.subject_id == subject_id,
        )
    ).first()
    if row is None:
        return None
    terms = [
        RiskTerm(
            str(part.get("term")),
            TERM_LABELS.get(str(part.get("term")), str(part.get("term"))),
            float(part.get("contribution") or 0.0),
            str(part.get("detail") or ""),
        )
        for part in row.breakdown or []
        if isinstance(part, dict)
    ]
    share = row.score / row.raw if row.raw else 0.0
    findings = session.scalars(
        select(Finding).where(
            Finding.integration_id == integration_id,
            Finding.subject_kind == kind,
            Finding.subject_id == subject_id,
        )
    ).all()
    points: list[FindingPoints] = []
    stale = False
    for finding in findings:
        if finding.updated_at and finding.updated_at > row.computed_at:
            stale = True
        facts = _Facts(
            finding.id,
            finding.rule,
            Severity(finding.severity),
            finding.status,
            finding.resolution,
            finding.alert_count or 1,
            finding.last_seen,
        )
        factor = status_factor(facts)
        if factor <= 0:
            continue  # false positives do not count (as in the formula)
        weight = SEVERITY_WEIGHT[Severity(finding.severity)]
        recency = decay(finding.last_seen, row.computed_at)
        age = max(0.0, (row.computed_at - finding.last_seen).total_seconds() / 86400.0)
        points.append(
            FindingPoints(
                finding.id,
                finding.rule,
                finding.severity,
                finding.status,
                finding.resolution,
                finding.alert_count,
                finding.last_seen,
                weight,
                round(age, 2),
                round(recency, 4),
                factor,
                round(weight * recency * factor * share, 2),
            )
        )
    points.sort(key=lambda p: (-p.points, p.finding_id))
    return RiskExplanation(
        score=row.score,
        raw=row.raw,
        computed_at=row.computed_at,
        finding_count=row.finding_count,
        terms=terms,
        rules=_per_rule(points),
        findings=points,
        stale=stale,
    )


def _per_rule(points: list[FindingPoints]) -> list[RulePoints]:
    by_rule: dict[str, list[FindingPoints]] = {}
    for p in points:
        by_rule.setdefault(p.rule, []).append(p)
    out = [
        RulePoints(
            rule,
            len(items),
            sum(p.alert_count for p in items),
            max((p.severity for p in items), key=lambda s: Severity(s).rank),
            round(sum(p.points for p in items), 2),
        )
        for rule, items in by_rule.items()
    ]
    return sorted(out, key=lambda r: (-r.points, r.rule))
