"""Dashboard numbers, masked conversation context and reveal of the clear value (service level)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from findings_helpers import alert
from sqlalchemy import select

from aiwatch.detection.masking import hmac_hasher
from aiwatch.findings.dashboard import dashboard_stats, parse_frame, recent_severe, rule_info
from aiwatch.findings.models import Alert, Finding
from aiwatch.findings.queries import (
    FindingFilter,
    _segments,
    filter_choices,
    finding_detail,
    list_findings,
    masked_context,
    resolve_subject,
    reveal_value,
    subject_labels,
)
from aiwatch.findings.service import record_alerts as record
from aiwatch.findings.service import resolve
from aiwatch.store import models as m

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SECRET = "AKIAIOSFODNN7EXAMPLE"
PROMPT = f"deploy with key {SECRET} please"
HASH = hmac_hasher()


def seed(store) -> None:
    """Findings at known ages: 2 h, 3 d, 20 d and 60 d old; one of the 3-day-old ones is resolved."""
    iid = store.integration_id
    store.message("hi, can you help with a deploy?", message_id="m0", created_at=NOW - timedelta(hours=3))
    store.message(PROMPT, message_id="m1", created_at=NOW - timedelta(hours=2))
    store.message(
        "sure, rotate it first", message_id="m2", role="assistant", created_at=NOW - timedelta(hours=1)
    )
    start = PROMPT.index(SECRET)
    with store.sessions.begin() as session:
        session.add(m.WorkspaceUser(integration_id=iid, user_id="user-alice", email="alice@corp.example"))
        session.add(m.Agent(integration_id=iid, agent_id="g-1", kind="gpt", name="Deploy Helper"))
        record(
            session,
            [
                alert(
                    iid,
                    item_id="m1",
                    start=start,
                    end=start + len(SECRET),
                    value_hash=HASH(SECRET),
                    severity="critical",
                    observed_at=NOW - timedelta(hours=2),
                ),
                alert(
                    iid,
                    item_id="m1",
                    rule="pii.email",
                    start=0,
                    end=6,
                    evidence="d***y",
                    value_hash="e1",
                    severity="medium",
                    observed_at=NOW - timedelta(hours=2),
                ),
                alert(
                    iid,
                    item_id="x1",
                    rule="pii.phone",
                    subject_id="user-bob",
                    value_hash="p1",
                    severity="high",
                    observed_at=NOW - timedelta(days=3),
                ),
                alert(
                    iid,
                    item_id="x2",
                    rule="pii.iban",
                    subject_id="user-bob",
                    value_hash="i1",
                    severity="low",
                    observed_at=NOW - timedelta(days=3),
                ),
                alert(
                    iid,
                    item_id="c1",
                    rule="agent.public_sharing",
                    item_kind="agent_config",
                    subject_kind="agent",
                    subject_id="g-1",
                    agent_id="g-1",
                    start=0,
                    end=0,
                    evidence="anyone-with-link",
                    value_hash=None,
                    observed_at=NOW - timedelta(days=20),
                ),
                alert(
                    iid,
                    item_id="x3",
                    rule="secret.github_token",
                    subject_id="user-carol",
                    value_hash="g1",
                    observed_at=NOW - timedelta(days=60),
                ),
            ],
        )
    with store.sessions.begin() as session:
        iban = session.scalar(select(Finding.id).where(Finding.rule == "pii.iban"))
        resolve(session, [iban], "false-positive", reason="test data", by="analyst")


def test_frames_count_active_findings(store):
    seed(store)
    with store.sessions() as session:
        day = dashboard_stats(session, "24h", now=NOW)
        assert (day.active, day.open, day.new) == (2, 2, 2)
        assert day.open_by_severity == {"critical": 1, "high": 0, "medium": 1, "low": 0}
        assert day.critical_high_open == 1 and day.resolved_pct == 0.0 and day.bucket == "hour"
        assert sum(count for _, count in day.over_time) == 2 and len(day.over_time) in (24, 25)
        week = dashboard_stats(session, "7d", now=NOW)
        assert (week.active, week.open, week.resolved, week.resolved_pct) == (4, 3, 1, 25.0)
        assert week.resolutions == {"false_positive": 1}
        assert week.bucket == "day" and len(week.over_time) == 8
        assert [count for _, count in week.over_time][-4] == 2  # both 3-day-old findings on one day
        everything = dashboard_stats(session, "all", now=NOW)
        assert everything.active == 6 and everything.new == 6 and everything.since is None
        assert sum(count for _, count in everything.over_time) == 6
        assert dashboard_stats(session, "90d", now=NOW).as_json()["open"] == 5


def test_long_spans_are_drawn_per_week(store):
    iid = store.integration_id
    with store.sessions.begin() as session:
        record(session, [alert(iid, item_id="old", value_hash="o", observed_at=NOW - timedelta(days=400))])
    with store.sessions() as session:
        stats = dashboard_stats(session, "all", now=NOW)
    assert stats.bucket == "week" and 55 <= len(stats.over_time) <= 60
    assert sum(count for _, count in stats.over_time) == 1


def test_frame_names_and_recent_severe(store):
    seed(store)
    assert parse_frame(None) == "7d" and parse_frame("30D") == "30d"
    with pytest.raises(ValueError, match="24h, 7d"):
        parse_frame("week")
    with store.sessions() as session:
        severe = recent_severe(session, "7d", now=NOW)
        assert [(f.rule, f.severity) for f in severe] == [
            ("secret.aws_access_key_id", "critical"),
            ("pii.phone", "high"),
        ]


def test_rule_info_from_catalog_and_producers(store):
    with store.sessions() as session:
        aws = rule_info(session, "secret.aws_access_key_id")
        assert aws["name"] == "AWS access key ID" and aws["security_context"]
        assert rule_info(session, "agent.public_sharing")["name"] == "Agent shared publicly"
        assert rule_info(session, "made.up") == {"name": "made.up", "meaning": "", "security_context": ""}


def test_labels_choices_and_subject_lookup(store):
    seed(store)
    with store.sessions() as session:
        rows, _ = list_findings(session, FindingFilter(limit=50))
        labels = subject_labels(session, rows)
        by_rule = {f.rule: labels[f.id] for f in rows}
        assert by_rule["secret.aws_access_key_id"]["subject"] == "alice@corp.example"
        assert by_rule["agent.public_sharing"] == {"subject": "Deploy Helper", "agent": "Deploy Helper"}
        assert by_rule["pii.phone"]["subject"] == "user-bob"  # no synced user: the id
        choices = filter_choices(session)
        assert choices["group"] == sorted(set(choices["group"])) and "pii.phone" in choices["rule"]
        assert resolve_subject(session, "ALICE@corp.example") == "user-alice"
        assert resolve_subject(session, "user-bob") == "user-bob"
        sorted_rows, _ = list_findings(session, FindingFilter(sort="subject_id", descending=False))
        assert sorted_rows[0].subject_id == "g-1"


def test_context_masks_every_detection_and_highlights_the_match(store):
    seed(store)
    with store.sessions() as session:
        fid = session.scalar(select(Finding.id).where(Finding.rule == "secret.aws_access_key_id"))
        detail = finding_detail(session, fid)
        masked_context(session, fid, detail)
    [ctx] = detail["context"]
    roles = [msg["role"] for msg in ctx["messages"]]
    assert roles == ["user", "user", "assistant"]
    alerted = next(msg for msg in ctx["messages"] if msg["is_alerted"])
    kinds = [part["kind"] for part in alerted["segments"]]
    assert kinds == ["masked", "text", "match", "text"]
    shown = "".join(part["text"] for part in alerted["segments"])
    assert SECRET not in shown and "AK…WQ2P" in shown and "please" in shown
    assert "deploy" not in shown  # the other detection (pii.email on 0..6) is masked too


def test_segments_window_and_overlaps():
    text = "x" * 1000 + "SECRET" + "y" * 10
    parts = _segments(text, [(1000, 1006, "S…T", True)], (1000, 1006))
    assert parts[0] == {"kind": "gap", "text": "…"} and parts[2] == {"kind": "match", "text": "S…T"}
    assert len(parts[1]["text"]) == 160
    # A wider detection around the match: the match stays visible, none of the wider one is left in clear.
    block = "a KEY=AK12 and PASS=hunter2 end"
    parts = _segments(block, [(2, 27, "env block", False), (6, 10, "A…2", True)], (6, 10))
    assert [p["kind"] for p in parts] == ["text", "masked", "match", "masked", "text"]
    assert "hunter2" not in "".join(p["text"] for p in parts)


def test_reveal_reads_the_span_and_refuses_when_it_cannot(store):
    seed(store)
    with store.sessions.begin() as session:
        aws = session.scalar(select(Alert).where(Alert.rule == "secret.aws_access_key_id"))
        assert reveal_value(session, aws, HASH).value == SECRET
        sharing = session.scalar(select(Alert).where(Alert.rule == "agent.public_sharing"))
        assert reveal_value(session, sharing).value is None
        assert "no text span" in (reveal_value(session, sharing).reason or "")
        phone = session.scalar(select(Alert).where(Alert.rule == "pii.phone"))
        assert "gone" in (reveal_value(session, phone).reason or "")  # the item x1 was never stored
        message = session.scalar(select(m.Message).where(m.Message.message_id == "m1"))
        message.text = PROMPT.replace(SECRET, "AKIAXXXXXXXXXXXXXXXX")
        session.flush()
        changed = reveal_value(session, aws, HASH)
        assert changed.value is None and "changed" in (changed.reason or "")
        message.text = None
        session.flush()
        assert "gone" in (reveal_value(session, aws, HASH).reason or "")
