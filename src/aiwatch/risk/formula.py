"""The risk-score formula (documented in docs/risk-score.md). Pure: findings in, score and breakdown out.

raw   = exposure + volume + breadth
        exposure = Σ weight(severity) · decay(age) · status_factor            (each finding)
        volume   = VOLUME_WEIGHT · ln(1 + Σ alert_count · decay(age) · status_factor)
        breadth  = BREADTH_WEIGHT · (distinct rules counted − 1)
score = 100 · (1 − e^(−raw / SATURATION))     bounded 0..100, diminishing returns
Each term's contribution is its share of the score (term · score / raw), so the contributions add up to it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiwatch.domain import Severity

SEVERITY_WEIGHT = {Severity.CRITICAL: 40.0, Severity.HIGH: 20.0, Severity.MEDIUM: 8.0, Severity.LOW: 3.0}
HALF_LIFE_DAYS = 14.0
VOLUME_WEIGHT = 6.0
BREADTH_WEIGHT = 5.0
SATURATION = 60.0
# Open findings count fully; confirmed ones half (they happened but are handled); benign a little;
# false positives not at all.
STATUS_FACTOR = {"open": 1.0, "true_positive": 0.5, "benign": 0.2, "false_positive": 0.0}
TOP_FINDINGS = 5


@dataclass(frozen=True)
class FindingFacts:
    finding_id: int
    rule: str
    severity: Severity
    status: str  # "open" or "resolved"
    resolution: str | None  # true_positive | benign | false_positive when resolved
    alert_count: int
    last_seen: datetime


@dataclass(frozen=True)
class RiskScore:
    score: float
    raw: float
    breakdown: list[dict[str, Any]] = field(default_factory=list)  # each term: name, contribution, detail
    counted_findings: int = 0


def status_factor(facts: FindingFacts) -> float:
    if facts.status == "open":
        return STATUS_FACTOR["open"]
    return STATUS_FACTOR.get((facts.resolution or "").replace("-", "_"), STATUS_FACTOR["true_positive"])


def decay(last_seen: datetime, now: datetime) -> float:
    age_days = max(0.0, (now - last_seen).total_seconds() / 86400.0)
    return 0.5 ** (age_days / HALF_LIFE_DAYS)


def compute(findings: Iterable[FindingFacts], now: datetime) -> RiskScore:
    exposure = 0.0
    decayed_alerts = 0.0
    rules: set[str] = set()
    per_finding: list[tuple[float, FindingFacts]] = []
    counted = 0
    for facts in findings:
        factor = status_factor(facts)
        if factor <= 0:
            continue
        counted += 1
        weight = decay(facts.last_seen, now) * factor
        part = SEVERITY_WEIGHT[Severity(facts.severity)] * weight
        exposure += part
        decayed_alerts += max(1, facts.alert_count) * weight
        rules.add(facts.rule)
        per_finding.append((part, facts))
    volume = VOLUME_WEIGHT * math.log1p(decayed_alerts)
    breadth = BREADTH_WEIGHT * max(0, len(rules) - 1)
    raw = exposure + volume + breadth
    if raw <= 0:
        return RiskScore(0.0, 0.0, [], counted)
    score = 100.0 * (1.0 - math.exp(-raw / SATURATION))
    share = score / raw
    top = sorted(per_finding, key=lambda p: (-p[0], p[1].finding_id))[:TOP_FINDINGS]
    breakdown = [
        {
            "term": "exposure",
            "contribution": exposure * share,
            "detail": "severity weight x recency decay x status, summed over findings",
            "top_findings": [
                {"finding_id": f.finding_id, "rule": f.rule, "severity": str(f.severity), "points": p * share}
                for p, f in top
            ],
        },
        {
            "term": "volume",
            "contribution": volume * share,
            "detail": f"ln(1 + {decayed_alerts:.1f} recency-weighted alerts)",
        },
        {
            "term": "breadth",
            "contribution": breadth * share,
            "detail": f"{len(rules)} distinct rules",
            "rules": sorted(rules),
        },
    ]
    return RiskScore(score, raw, breakdown, counted)
