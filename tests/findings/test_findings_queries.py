"""Console read side: filters, sort, pagination, text search, finding detail with conversation context."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from findings_helpers import alert

from aiwatch.findings.queries import FindingFilter, finding_detail, list_alerts, list_findings
from aiwatch.findings.service import record_alerts
from aiwatch.pipeline.items import log_event_text_fields
from aiwatch.pipeline.runner import run_pipeline

DAY = datetime(2026, 11, 1, tzinfo=UTC)


def seed(store) -> None:
    iid = store.integration_id
    with store.sessions.begin() as session:
        record_alerts(
            session,
            [
                alert(
                    iid,
                    item_id=f"m{i}",
                    subject_id=f"user-{i}",
                    value_hash=f"h{i}",
                    severity=["low", "critical", "medium"][i % 3],
                    observed_at=DAY + timedelta(days=i),
                )
                for i in range(6)
            ]
            + [alert(iid, item_id="e1", rule="pii.email", evidence="b***@corp.example", value_hash="e")],
        )


def test_filters_sort_and_pagination(store):
    seed(store)
    with store.sessions() as session:
        rows, total = list_findings(session, FindingFilter(limit=4))
        assert total == 7 and len(rows) == 4
        rest, _ = list_findings(session, FindingFilter(limit=4, offset=4))
        assert len({r.id for r in rows} | {r.id for r in rest}) == 7
        by_severity, _ = list_findings(session, FindingFilter(sort="severity", limit=10))
        assert by_severity[0].severity == "critical" and by_severity[-1].severity == "low"
        critical, n = list_findings(session, FindingFilter(severity=["critical"]))
        assert n == 2 and {f.severity for f in critical} == {"critical"}
        searched, n = list_findings(session, FindingFilter(text="corp.example"))
        assert n == 1 and searched[0].rule == "pii.email"
        _, n = list_findings(session, FindingFilter(since=DAY + timedelta(days=4), rule="secret.*"))
        assert n == 2
        assert list_findings(session, FindingFilter(policy="pii"))[1] == 1
        assert list_findings(session, FindingFilter(subject_id="user-3"))[1] == 1
        with pytest.raises(ValueError, match="cannot sort"):
            list_findings(session, FindingFilter(sort="evidence"))
        with pytest.raises(ValueError, match="limit"):
            list_findings(session, FindingFilter(limit=0))


def test_detail_shows_the_message_and_its_neighbours(store):
    for index, (role, text) in enumerate(
        [
            ("user", "hello"),
            ("assistant", "hi, how can I help"),
            ("user", "use key AKIAZ3MHALJQ4RX7WQ2P for the deploy"),
            ("assistant", "please rotate that key"),
            ("user", "ok"),
            ("assistant", "done"),
        ]
    ):
        store.message(text, message_id=f"m{index}", role=role, created_at=DAY + timedelta(minutes=index))
    run_pipeline(store.sessions, store.settings, include_posture=False)
    with store.sessions() as session:
        (finding,), _ = list_findings(session, FindingFilter(rule="secret.aws_access_key_id"))
        detail = finding_detail(session, finding.id, neighbours=1)
        assert finding_detail(session, 999_999) is None
        assert list_alerts(session, finding_id=finding.id, suppressed=False)
    assert detail["user"]["id"] == "user-alice"
    (context,) = detail["context"]
    assert [m["message_id"] for m in context["messages"]] == ["m1", "m2", "m3"]
    assert [m["is_alerted"] for m in context["messages"]] == [False, True, False]
    assert "AKIAZ3MHALJQ4RX7WQ2P" not in str(detail)  # evidence only masked


def test_empty_and_system_messages_are_marked_scanned_without_alerts(store):
    store.message("", message_id="empty")
    store.message("You are a helpful assistant. AKIAZ3MHALJQ4RX7WQ2P", message_id="sys", role="system")
    first = run_pipeline(store.sessions, store.settings, include_posture=False)
    assert first.scanned == {"message": 2} and first.recorded.created == 0
    assert run_pipeline(store.sessions, store.settings, include_posture=False).items == 0


def test_log_eventlog_event_text_fields_skip_metadata_and_survive_bad_json():
    raw = json.dumps(
        {
            "id": "e1",
            "actor": {"user_email": "a@b.c"},
            "action_data": {"note": "text", "invitee_email": "x@y.z"},
        }
    )
    assert log_event_text_fields(raw) == [("action_data.note", "text")]
    assert log_event_text_fields("not json {") == [("raw", "not json {")]
    assert log_event_text_fields("") == []


def test_huge_message_is_scanned_with_exact_offsets(store):
    secret = "AKIAZ3MHALJQ4RX7WQ2P"
    text = ("lorem ipsum dolor sit amet " * 8000) + f"key {secret} " + ("é " * 1000)
    store.message(text, message_id="huge")
    run_pipeline(store.sessions, store.settings, include_posture=False)
    with store.sessions() as session:
        (found,) = [a for a in list_alerts(session) if a.rule == "secret.aws_access_key_id"]
    assert text[found.start : found.end] == secret
