"""record_alerts: grouping into findings, duplicates, suppression, policy overrides; triage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from findings_helpers import alert
from sqlalchemy import func, select

from aiwatch.findings.manage import PolicyError, add_exclusion, add_ignore, set_policy
from aiwatch.findings.models import Alert, Finding
from aiwatch.findings.service import FindingError, record_alerts, reopen, resolve

DAY = datetime(2026, 11, 1, tzinfo=UTC)


def findings(store):
    with store.sessions() as session:
        return list(session.scalars(select(Finding).order_by(Finding.id)))


def record(store, *alerts):
    with store.sessions.begin() as session:
        return record_alerts(session, alerts)


def test_same_value_twice_joins_one_open_finding_even_weeks_apart(db_store):
    first = record(db_store, alert(db_store.integration_id))
    again = record(
        db_store,
        alert(
            db_store.integration_id,
            item_id="msg-2",
            observed_at=DAY + timedelta(days=30),
            severity="critical",
        ),
    )
    assert first.created == again.created == 1
    (finding,) = findings(db_store)
    assert finding.alert_count == 2
    assert finding.severity == "critical"  # the highest seen
    assert finding.last_seen == DAY + timedelta(days=30)
    assert finding.value_hashes == ["hash-1"]


def test_other_values_group_by_seven_day_window(store):
    iid = store.integration_id
    record(store, alert(iid), alert(iid, item_id="m2", value_hash="h2", observed_at=DAY + timedelta(days=3)))
    record(store, alert(iid, item_id="m3", value_hash="h3", observed_at=DAY + timedelta(days=10)))
    counts = [f.alert_count for f in findings(store)]
    assert counts == [2, 1]


def test_subjects_and_rules_get_their_own_findings(store):
    iid = store.integration_id
    record(
        store,
        alert(iid),
        alert(iid, item_id="m2", subject_id="user-bob"),
        alert(iid, item_id="m3", rule="pii.email", value_hash="e"),
    )
    assert sorted((f.subject_id, f.rule) for f in findings(store)) == [
        ("user-alice", "pii.email"),
        ("user-alice", "secret.aws_access_key_id"),
        ("user-bob", "secret.aws_access_key_id"),
    ]
    assert {f.policy for f in findings(store)} == {"access_data", "pii"}


def test_recording_the_same_alert_again_is_a_duplicate(store):
    iid = store.integration_id
    record(store, alert(iid), alert(iid))
    result = record(store, alert(iid))
    assert (result.created, result.duplicates) == (0, 1)
    with store.sessions() as session:
        assert session.scalar(select(func.count(Alert.id))) == 1
    assert findings(store)[0].alert_count == 1


def test_resolved_finding_is_not_reused(store):
    iid = store.integration_id
    record(store, alert(iid))
    with store.sessions.begin() as session:
        resolve(session, [findings(store)[0].id], "true-positive", reason="rotated", by="sec")
    record(store, alert(iid, item_id="m2"))
    assert [(f.status, f.alert_count) for f in findings(store)] == [("resolved", 1), ("open", 1)]


def test_exclusions_by_keyword_regex_and_value_hash(store):
    iid = store.integration_id
    with store.sessions.begin() as session:
        add_exclusion(session, "keyword", "sandbox", hasher=str.upper)
        add_exclusion(
            session, "regex", r"^AKIA0000", hasher=str.upper, scope_kind="rule", scope_id="secret.*"
        )
        add_exclusion(session, "value", "known-value", hasher=lambda v: f"hashed:{v}")
    result = record(
        store,
        alert(iid, item_id="a", matched_text="AKIAREAL", context_text="our SANDBOX key AKIAREAL"),
        alert(iid, item_id="b", matched_text="AKIA0000XYZ"),
        alert(iid, item_id="c", value_hash="hashed:known-value"),
        alert(iid, item_id="d", matched_text="AKIAREAL2", value_hash="other"),
    )
    assert (result.created, result.suppressed) == (1, 3)
    with store.sessions() as session:
        reasons = dict(session.execute(select(Alert.item_id, Alert.suppressed_by)).all())
    assert reasons["a"].startswith("exclusion:") and reasons["b"].startswith("exclusion:")
    assert reasons["c"].startswith("exclusion:") and reasons["d"] is None


def test_exclusion_scoped_to_another_policy_does_not_apply(store):
    with store.sessions.begin() as session:
        add_exclusion(session, "keyword", "sandbox", hasher=str, scope_kind="policy", scope_id="pii")
    result = record(store, alert(store.integration_id, context_text="sandbox"))
    assert result.created == 1


def test_ignore_rules_on_agent_and_everywhere(store):
    iid = store.integration_id
    with store.sessions.begin() as session:
        add_ignore(session, "secret.*", "agent", "g-support")
        add_ignore(session, "pii.email", "everywhere")
    result = record(
        store,
        alert(iid, item_id="a", agent_id="g-support"),
        alert(iid, item_id="b", agent_id="g-other"),
        alert(iid, item_id="c", rule="pii.email"),
    )
    assert (result.created, result.suppressed) == (1, 2)


def test_disabled_rule_severity_override_and_scope(store):
    iid = store.integration_id
    with store.sessions.begin() as session:
        set_policy(session, "rule", "pii.email", status="disabled")
        set_policy(session, "policy", "access_data", severity="low")
        set_policy(session, "rule", "pii.phone", scope={"agents": ["g-hr"]})
    result = record(
        store,
        alert(iid, item_id="a", rule="pii.email"),
        alert(iid, item_id="b"),
        alert(iid, item_id="c", rule="pii.phone", agent_id="g-hr"),
        alert(iid, item_id="d", rule="pii.phone", agent_id="g-other"),
    )
    assert (result.created, result.suppressed) == (2, 2)
    severities = {f.rule: f.severity for f in findings(store)}
    assert severities == {"secret.aws_access_key_id": "low", "pii.phone": "high"}


def test_policy_changes_are_validated(store):
    with store.sessions.begin() as session:
        with pytest.raises(PolicyError, match="unknown rule"):
            set_policy(session, "rule", "secret.nope", status="disabled")
        with pytest.raises(PolicyError, match="enabled or disabled"):
            set_policy(session, "rule", "pii.email", status="off")
        with pytest.raises(PolicyError):
            set_policy(session, "rule", "pii.email", severity="urgent")
        with pytest.raises(PolicyError, match="regular expression"):
            add_exclusion(session, "regex", "(unclosed", hasher=str)
        with pytest.raises(PolicyError, match="non-empty"):
            add_exclusion(session, "keyword", "  ", hasher=str)
        with pytest.raises(PolicyError, match="needs its id"):
            add_ignore(session, "pii.*", "agent")


def test_bulk_triage_and_reopen(store):
    iid = store.integration_id
    record(store, alert(iid), alert(iid, item_id="m2", subject_id="user-bob"))
    ids = [f.id for f in findings(store)]
    with store.sessions.begin() as session:
        resolve(session, ids, "false-positive", reason="test keys", by="analyst")
    assert {(f.status, f.resolution, f.resolved_by) for f in findings(store)} == {
        ("resolved", "false_positive", "analyst")
    }
    with store.sessions.begin() as session:
        reopen(session, ids[0])
    assert findings(store)[0].status == "open" and findings(store)[0].resolution is None


@pytest.mark.parametrize(
    ("ids", "resolution", "reason", "message"),
    [
        ([999], "benign", "x", "no finding with id 999"),
        ([1], "maybe", "x", "unknown resolution"),
        ([1], "policy-changed", "x", "set by aiwatch"),
        ([1], "benign", "  ", "give a reason"),
        ([], "benign", "x", "no finding ids"),
    ],
)
def test_triage_errors(store, ids, resolution, reason, message):
    record(store, alert(store.integration_id))
    with store.sessions.begin() as session, pytest.raises(FindingError, match=message):
        resolve(session, ids, resolution, reason=reason)
    assert findings(store)[0].status == "open"


@pytest.mark.parametrize(
    "bad",
    [
        {"item_kind": "email"},
        {"subject_kind": "group"},
        {"severity": "urgent"},
        {"start": 5, "end": 2},
        {"subject_id": ""},
    ],
)
def test_alert_input_rejects_bad_values(bad):
    with pytest.raises(ValueError):
        alert(1, **bad)
