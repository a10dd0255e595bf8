"""The risk formula: breakdown adds up, ordering follows severity, recency, volume and triage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aiwatch.domain import Severity
from aiwatch.risk.formula import FindingFacts, compute

NOW = datetime(2026, 11, 24, tzinfo=UTC)


def facts(
    n: int = 1,
    rule: str = "pii.email",
    severity: Severity = Severity.HIGH,
    status: str = "open",
    resolution: str | None = None,
    alerts: int = 1,
    days_ago: float = 0,
) -> FindingFacts:
    return FindingFacts(n, rule, severity, status, resolution, alerts, NOW - timedelta(days=days_ago))


def total(score) -> float:
    return sum(term["contribution"] for term in score.breakdown)


def test_no_findings_scores_zero() -> None:
    score = compute([], NOW)
    assert score.score == 0 and score.breakdown == []


def test_breakdown_adds_up_to_the_score() -> None:
    score = compute([facts(1, alerts=4), facts(2, "secret.jwt", Severity.CRITICAL, days_ago=3)], NOW)
    assert 0 < score.score < 100
    assert total(score) == pytest.approx(score.score)
    assert {t["term"] for t in score.breakdown} == {"exposure", "volume", "breadth"}
    assert score.breakdown[0]["top_findings"][0]["finding_id"] == 2  # the critical one weighs most


def test_ordering_makes_sense() -> None:
    def s(*items: FindingFacts) -> float:
        return compute(items, NOW).score

    assert (
        s(facts(severity=Severity.CRITICAL))
        > s(facts(severity=Severity.HIGH))
        > s(facts(severity=Severity.LOW))
    )
    assert s(facts(days_ago=0)) > s(facts(days_ago=30))  # recency decay
    assert s(facts(alerts=50)) > s(facts(alerts=1))  # volume …
    per_alert_late = (s(facts(alerts=100)) - s(facts(alerts=50))) / 50
    assert per_alert_late < s(facts(alerts=2)) - s(facts(alerts=1))  # … with diminishing returns
    assert s(facts(1), facts(2, "secret.jwt")) > s(facts(1), facts(2, "pii.email"))  # distinct rules
    assert s(facts(status="open")) > s(facts(status="resolved", resolution="true_positive"))
    assert s(facts(status="resolved", resolution="false_positive")) == 0  # false positives do not count


@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(Severity)),
            st.sampled_from(["open", "true_positive", "benign", "false_positive"]),
            st.integers(min_value=0, max_value=10_000),
            st.floats(min_value=0, max_value=3650),
            st.sampled_from(["pii.email", "secret.jwt", "agent.public_sharing"]),
        ),
        max_size=40,
    )
)
def test_score_is_bounded_and_explained(rows) -> None:
    items = [
        facts(
            n, rule, sev, "open" if st_ == "open" else "resolved", None if st_ == "open" else st_, alerts, age
        )
        for n, (sev, st_, alerts, age, rule) in enumerate(rows)
    ]
    score = compute(items, NOW)
    assert 0 <= score.score <= 100
    assert total(score) == pytest.approx(score.score, abs=1e-6)
