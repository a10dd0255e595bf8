"""``record_alerts`` works per batch: a constant number of lookups whatever the number of alerts, and the same
alerts, suppressions and findings as recording the alerts one at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import event, select

from aiwatch.findings.models import Alert, Finding
from aiwatch.findings.policy import PolicySnapshot
from aiwatch.findings.service import record_alerts
from aiwatch.findings.types import AlertInput
from aiwatch.store.db import dispose_engines

BASE = datetime(2026, 11, 1, tzinfo=UTC)


def _alerts(integration_id: int) -> list[AlertInput]:
    """Alerts over 40 items, 4 users and 3 rules, spread over 20 days (several 7-day windows), with a value
    hash seen twice far apart (it must join the same finding) and an in-batch duplicate."""
    rules = ("secret.aws_access_key_id", "pii.email", "code.source")
    alerts = []
    for index in range(40):
        rule = rules[index % 3]
        alerts.append(
            AlertInput(
                integration_id=integration_id,
                rule=rule,
                item_kind="message",
                item_id=f"m{index}",
                subject_kind="user",
                subject_id=f"user-{index % 4}",
                severity="high" if index % 5 else "critical",
                score=0.9,
                start=index,
                end=index + 5,
                evidence=f"ev-{index % 7}",
                value_hash="same-secret" if index in (0, 36) else f"h{index}",
                observed_at=BASE + timedelta(days=index % 20, hours=index),
                agent_id="g-ignored" if index % 11 == 0 else None,
            )
        )
    alerts.append(alerts[5])  # the same detection twice in one batch
    return alerts


def _ignore_agent(store) -> None:
    from aiwatch.findings.manage import add_ignore

    with store.sessions.begin() as session:
        add_ignore(session, "pii.*", "agent", "g-ignored")


def _shape(store) -> tuple[list[tuple], list[tuple]]:
    with store.sessions() as session:
        alerts = [
            (a.item_id, a.rule, a.suppressed_by, a.finding_id is not None)
            for a in session.scalars(select(Alert).order_by(Alert.id))
        ]
        findings = sorted(
            (
                f.rule,
                f.subject_id,
                f.alert_count,
                f.severity,
                f.first_seen.replace(tzinfo=None),
                f.last_seen.replace(tzinfo=None),
                tuple(f.evidence_samples),
                tuple(f.value_hashes),
            )
            for f in session.scalars(select(Finding))
        )
    return alerts, findings


def test_a_batch_groups_exactly_like_one_alert_at_a_time(settings, tmp_path) -> None:
    from pipeline_helpers import empty_store

    from aiwatch.config import Settings

    one_by_one = empty_store(settings)
    _ignore_agent(one_by_one)
    totals = [0, 0, 0]
    with one_by_one.sessions.begin() as session:
        policy = PolicySnapshot.load(session)
        for alert in _alerts(one_by_one.integration_id):
            result = record_alerts(session, [alert], policy)
            counts = (result.created, result.suppressed, result.duplicates)
            totals = [total + count for total, count in zip(totals, counts, strict=True)]
    expected = _shape(one_by_one)

    other = tmp_path / "batched"
    batched = empty_store(Settings(data_dir=other, database_url=f"sqlite:///{other / 'aiwatch.db'}"))
    _ignore_agent(batched)
    with batched.sessions.begin() as session:
        result = record_alerts(session, _alerts(batched.integration_id))
    dispose_engines()
    assert [result.created, result.suppressed, result.duplicates] == totals
    assert totals[1] > 0 and totals[2] == 1
    assert _shape(batched) == expected
    alerts, findings = expected
    assert len(alerts) == 40
    secret = [f for f in findings if "same-secret" in f[7]]
    # 17 days apart, beyond the 7-day window: the value hash keeps them in one finding.
    assert len(secret) == 1 and secret[0][2] >= 2


def test_recording_again_adds_nothing_and_lookups_do_not_grow_with_the_batch(db_store) -> None:
    alerts = _alerts(db_store.integration_id)
    with db_store.sessions.begin() as session:
        record_alerts(session, alerts[:10])
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = db_store.sessions.kw["bind"]
    event.listen(engine, "before_cursor_execute", count)
    try:
        with db_store.sessions.begin() as session:
            policy = PolicySnapshot.load(session)
            statements.clear()
            result = record_alerts(session, alerts, policy)
            lookups = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
            statements.clear()
            again = record_alerts(session, alerts, policy)
            lookups_again = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # One query for the stored alerts of these items, one for the open findings of these subjects and rules.
    assert len(lookups) == 2, lookups
    assert result.duplicates == 11 and result.created + result.suppressed == 30
    assert again.created == again.suppressed == 0 and again.duplicates == len(alerts)
    assert len(lookups_again) == 1  # everything already stored: no finding lookup at all
    with db_store.sessions() as session:
        assert len(session.scalars(select(Alert.id)).all()) == 40
