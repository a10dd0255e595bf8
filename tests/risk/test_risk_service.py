"""Stored scores: breakdown kept, top-list order, false positives leave no score, bad input refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import Settings
from aiwatch.domain import Severity
from aiwatch.risk.formula import FindingFacts
from aiwatch.risk.service import Subject, score_of, store_scores, top_risky
from aiwatch.store.db import dispose_engines, init_db, make_session_factory
from aiwatch.store.models import Integration

NOW = datetime(2026, 11, 24, tzinfo=UTC)


@pytest.fixture
def risk_db(settings: Settings) -> Iterator[tuple[sessionmaker[Session], int]]:
    sessions = make_session_factory(init_db(settings))
    with sessions.begin() as session:
        integration = Integration(
            name="acme",
            base_url="http://x",
            workspace_id="w",
            chatgpt_org_id="o",
            platform_org_id="p",
            key_last4="0",
        )
        session.add(integration)
        session.flush()
        iid = integration.id
    yield sessions, iid
    dispose_engines()


def finding(n: int, severity: Severity, status: str = "open", resolution: str | None = None, days: int = 0):
    return FindingFacts(n, f"rule.{n}", severity, status, resolution, 3, NOW - timedelta(days=days))


def test_scores_are_stored_ranked_and_explained(risk_db) -> None:
    sessions, iid = risk_db
    by_subject = {
        Subject("user", "user-a", "a@acme.test"): [finding(1, Severity.CRITICAL), finding(2, Severity.HIGH)],
        Subject("user", "user-b", "b@acme.test"): [finding(3, Severity.MEDIUM, days=20)],
        Subject("user", "user-c"): [finding(4, Severity.CRITICAL, "resolved", "false_positive")],
        Subject("agent", "g-1", "Helper"): [finding(5, Severity.HIGH)],
    }
    with sessions.begin() as session:
        assert store_scores(session, iid, by_subject, now=NOW) == 3
    with sessions() as session:
        users = top_risky(session, "user")
        assert [u.subject_id for u in users] == ["user-a", "user-b"]  # user-c: only a false positive
        assert users[0].label == "a@acme.test" and users[0].finding_count == 2
        assert sum(t["contribution"] for t in users[0].breakdown) == pytest.approx(users[0].score, abs=1e-3)
        assert [a.subject_id for a in top_risky(session, "agent", integration_id=iid)] == ["g-1"]
        assert top_risky(session, "user", limit=1)[0].subject_id == "user-a"
        assert score_of(session, iid, "user", "user-c") is None
    # Recomputing replaces the previous scores (no stale rows).
    with sessions.begin() as session:
        store_scores(session, iid, {Subject("user", "user-b"): [finding(3, Severity.MEDIUM)]}, now=NOW)
    with sessions() as session:
        assert [u.subject_id for u in top_risky(session, "user")] == ["user-b"]


def test_bad_requests_are_refused(risk_db) -> None:
    sessions, iid = risk_db
    with sessions.begin() as session:
        with pytest.raises(ValueError, match="subject kind"):
            store_scores(session, iid, {Subject("team", "t"): [finding(1, Severity.LOW)]})
        with pytest.raises(ValueError, match="subject kind"):
            top_risky(session, "team")
        with pytest.raises(ValueError, match="limit"):
            top_risky(session, "user", limit=0)
