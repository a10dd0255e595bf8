"""Alert counts per policy, rule and day; suppression reasons; trend; the filtered alert list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from explorer_helpers import NOW, Seed

from aiwatch.explorer.alerts import AlertFilter, alert_stats, list_alerts, rule_activity, suppression_reason
from aiwatch.explorer.frames import Frame, FrameError, like_pattern

AWS = "secret.aws_access_key_id"
EMAIL = "pii.email"


def _seed(seed: Seed) -> None:
    today, yesterday = NOW - timedelta(hours=1), NOW - timedelta(days=1, hours=1)
    for _ in range(3):
        seed.alert(AWS, today)
    seed.alert(AWS, yesterday)
    seed.alert(AWS, today, suppressed_by="exclusion:3")
    seed.alert(AWS, yesterday, suppressed_by="test_value")
    seed.alert(EMAIL, yesterday, subject_id="user-bob")
    seed.alert(EMAIL, today, suppressed_by="out_of_scope")
    seed.alert(EMAIL, today, suppressed_by="ignore:2")
    seed.alert("agent.public_sharing", today, subject_kind="agent", subject_id="g-1", item_kind="agent")
    # The previous 7 days: 2 AWS alerts (one suppressed, not counted in the trend), and one older still.
    seed.alert(AWS, NOW - timedelta(days=8))
    seed.alert(AWS, NOW - timedelta(days=9), suppressed_by="ignore:1")
    seed.alert(EMAIL, NOW - timedelta(days=20))


def test_counts_per_policy_rule_and_day(seed: Seed) -> None:
    _seed(seed)
    frame = Frame.parse("7d", now=NOW)
    with seed.sessions() as session:
        stats = alert_stats(session, frame)
    assert stats.days[-1] == NOW.date().isoformat() and len(stats.days) == 8
    assert stats.totals.alerts == 6 and stats.totals.suppressed == 4 and stats.totals.previous == 1
    assert dict(stats.totals.reasons) == {"exclusion": 1, "test_value": 1, "scope": 1, "ignore": 1}
    by_policy = {p.id: p for p in stats.policies}
    assert set(by_policy) == {"access_data", "pii", "agent_posture"}
    access = by_policy["access_data"]
    assert stats.policies[0] is access  # most alerts first
    assert (access.alerts, access.suppressed, access.previous) == (4, 2, 1)
    assert access.name == "Exposed Access Data" and access.group == "Data Exposure"
    rule = access.rules[0]
    assert rule.info is not None and rule.info.id == AWS and rule.info.name == "AWS access key ID"
    day, before = NOW.date().isoformat(), (NOW - timedelta(days=1)).date().isoformat()
    assert rule.per_day[day] == 3 and rule.per_day[before] == 1
    assert rule.trend.delta == 3 and rule.trend.percent == 300
    pii = by_policy["pii"]
    assert (pii.alerts, pii.suppressed, pii.previous) == (1, 2, 0) and pii.trend.percent is None
    assert by_policy["agent_posture"].rules[0].info.name == "Public sharing"
    assert stats.per_day()[-1] == (day, 4) and stats.per_day()[-2] == (before, 2)
    stacked = dict(stats.stacked())
    assert stacked["Exposed Access Data"][-2:] == [1, 3]
    data = stats.as_dict()
    assert data["totals"]["trend"] == {"current": 6, "previous": 1, "delta": 5, "percent": 500}
    assert data["policies"][0]["rules"][0]["suppressed_by"] == {"exclusion": 1, "test_value": 1}


def test_frames_bound_the_counts(seed: Seed) -> None:
    _seed(seed)
    with seed.sessions() as session:
        day = alert_stats(session, Frame.parse("24h", now=NOW))
        month = alert_stats(session, Frame.parse("30d", now=NOW))
    assert day.totals.alerts == 4 and day.totals.previous == 2
    assert month.totals.alerts == 8 and len(month.days) == 31
    with pytest.raises(FrameError, match="24h, 7d, 30d, 90d"):
        Frame.parse("1y")


def test_alert_list_filters_and_pages(seed: Seed) -> None:
    _seed(seed)
    with seed.sessions() as session:
        rows, total = list_alerts(session, AlertFilter(limit=5))
        assert total == 13 and len(rows) == 5
        assert rows[0]["observed_at"] >= rows[-1]["observed_at"]
        rest, _ = list_alerts(session, AlertFilter(limit=5, offset=10))
        assert len(rest) == 3
        assert list_alerts(session, AlertFilter(rule=EMAIL))[1] == 4
        assert list_alerts(session, AlertFilter(rule="secret.*"))[1] == 8
        assert list_alerts(session, AlertFilter(rule="secret_aws*"))[1] == 0  # "_" is no wildcard
        assert list_alerts(session, AlertFilter(policy="pii"))[1] == 4
        assert list_alerts(session, AlertFilter(group="Data Exposure"))[1] == 12
        assert list_alerts(session, AlertFilter(policy="nothing"))[1] == 0
        assert list_alerts(session, AlertFilter(subject="user-bob"))[1] == 1
        suppressed, n = list_alerts(session, AlertFilter(suppressed=True, limit=50))
        assert n == 5 and {r["suppression_reason"] for r in suppressed} == {
            "exclusion",
            "test_value",
            "scope",
            "ignore",
        }
        assert list_alerts(session, AlertFilter(suppressed=False))[1] == 8
        window = AlertFilter(since=NOW - timedelta(days=2), until=NOW - timedelta(hours=12))
        assert list_alerts(session, window)[1] == 3
        row = list_alerts(session, AlertFilter(rule="agent.public_sharing"))[0][0]
        assert row["policy"] == "agent_posture" and row["subject"] == {"kind": "agent", "id": "g-1"}
        with pytest.raises(ValueError, match="limit"):
            list_alerts(session, AlertFilter(limit=0))


def test_rule_activity(seed: Seed) -> None:
    _seed(seed)
    frame = Frame.parse("7d", now=NOW)
    with seed.sessions() as session:
        activity = rule_activity(session, AWS, frame)
        assert activity is not None
        assert (
            activity.counts.alerts == 4 and activity.counts.suppressed == 2 and activity.counts.previous == 1
        )
        assert activity.per_day()[-1] == (NOW.date().isoformat(), 3)
        quiet = rule_activity(session, "financial.iban", frame)  # in the catalog, never alerted
        assert quiet is not None and quiet.counts.alerts == 0
        assert rule_activity(session, "no.such_rule", frame) is None


def test_suppression_reasons_and_like_escaping() -> None:
    assert suppression_reason("exclusion:12") == "exclusion"
    assert suppression_reason("out_of_scope") == "scope"
    assert suppression_reason("scope") == "scope"
    assert suppression_reason("test_value") == "test_value"
    assert suppression_reason(None) is None
    assert like_pattern("50%_off\\") == "%50\\%\\_off\\\\%"
