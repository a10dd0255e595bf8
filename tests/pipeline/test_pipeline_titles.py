"""Conversation titles are scanned content: a secret or email in a title is a finding, an unchanged title is
never scanned again, a renamed (or newly titled) one is, and the finding page shows the title masked."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from pipeline_helpers import Store
from sqlalchemy import select

from aiwatch.findings.models import Alert, Finding
from aiwatch.findings.queries import finding_detail, masked_context, reveal_value
from aiwatch.pipeline.rescan import count_items, run_rescan
from aiwatch.pipeline.runner import run_pipeline
from aiwatch.store import models as m
from aiwatch.store.repositories import upsert_conversations

AWS_KEY = "AKIAZ3MHALJQ4RX7QWER"
EMAIL = "jane.doe@acme-corp.io"
SECRET_TITLE = f"Deploy with {AWS_KEY} for {EMAIL}"


def _store_conversation(store: Store, title: str | None, conversation_id: str = "conv-t1") -> None:
    with store.sessions.begin() as session:
        upsert_conversations(
            session,
            store.integration_id,
            [
                {
                    "conversation_id": conversation_id,
                    "user_id": "user-alice",
                    "title": title,
                    "created_at": datetime(2026, 11, 2, tzinfo=UTC),
                    "last_active_at": datetime(2026, 11, 3, tzinfo=UTC),
                    "raw": {"id": conversation_id, "title": title, "gpt_id": "g-helper"},
                }
            ],
        )


def _scan(store: Store) -> int:
    result = run_pipeline(store.sessions, store.settings, kinds=("conversation",), include_posture=False)
    return result.scanned.get("conversation", 0)


def _title_alerts(store: Store) -> list[Alert]:
    with store.sessions() as session:
        return list(
            session.scalars(select(Alert).where(Alert.item_kind == "conversation").order_by(Alert.start))
        )


def test_a_secret_and_an_email_in_a_title_become_findings(db_store: Store) -> None:
    _store_conversation(db_store, SECRET_TITLE)
    with db_store.sessions() as session:
        stored = session.scalar(select(m.Conversation.content_hash))
    assert stored == hashlib.sha256(SECRET_TITLE.encode()).hexdigest()

    assert _scan(db_store) == 1
    alerts = _title_alerts(db_store)
    rules = {alert.rule for alert in alerts}
    assert "secret.aws_access_key_id" in rules
    assert any(rule.startswith("pii.email") for rule in rules), rules
    for alert in alerts:
        assert (alert.item_id, alert.field) == ("conv-t1", "title")
        assert alert.subject_kind == "user" and alert.subject_id == "user-alice"
        assert alert.agent_id == "g-helper"
        assert AWS_KEY not in (alert.evidence or "") and EMAIL not in (alert.evidence or "")
    aws = next(a for a in alerts if a.rule == "secret.aws_access_key_id")
    assert SECRET_TITLE[aws.start : aws.end] == AWS_KEY

    with db_store.sessions() as session:
        finding = session.scalar(select(Finding).where(Finding.id == aws.finding_id))
        assert finding is not None and finding.subject_id == "user-alice"
        # The finding page: its conversation header is the title, every detected value masked.
        detail = finding_detail(session, finding.id)
        assert detail is not None
        masked_context(session, finding.id, detail)
        [context] = detail["context"]
        assert context["conversation_id"] == "conv-t1" and context["messages"] == []
        shown = "".join(part["text"] for part in context["title_segments"])
        assert shown.startswith("Deploy with ")
        assert AWS_KEY not in shown and EMAIL not in shown
        assert [p["kind"] for p in context["title_segments"]].count("match") == 1
        # The audited reveal reads the clear value back from the stored title.
        assert reveal_value(session, session.get(Alert, aws.id)).value == AWS_KEY


def test_an_unchanged_title_is_not_rescanned_a_renamed_one_is(db_store: Store) -> None:
    _store_conversation(db_store, "Quarterly planning")
    assert _scan(db_store) == 1
    assert _title_alerts(db_store) == []

    _store_conversation(db_store, "Quarterly planning")  # the next sync delivers the same title
    assert _scan(db_store) == 0

    _store_conversation(db_store, SECRET_TITLE)  # the user renamed it
    assert _scan(db_store) == 1
    assert {a.rule for a in _title_alerts(db_store)} >= {"secret.aws_access_key_id"}
    assert _scan(db_store) == 0


def test_a_title_arriving_after_the_first_scan_is_scanned(db_store: Store) -> None:
    """Conversations first seen in the log feed have no title yet: a NULL hash must not hide the later one."""
    _store_conversation(db_store, None)
    assert _scan(db_store) == 0  # nothing to scan yet
    with db_store.sessions() as session:
        assert count_items(session) == 0  # nor anything for a rescan to walk
    _store_conversation(db_store, SECRET_TITLE)
    assert _scan(db_store) == 1
    assert _title_alerts(db_store)


def test_a_rescan_walks_conversation_titles(db_store: Store) -> None:
    """A forced rescan counts and rescans titles too (alerts already recorded are not duplicated)."""
    _store_conversation(db_store, SECRET_TITLE)
    assert _scan(db_store) == 1
    before = len(_title_alerts(db_store))
    with db_store.sessions() as session:
        assert count_items(session) == 1
    job, result = run_rescan(db_store.sessions, db_store.settings, rules_glob="secret.*")
    assert job.status == "done" and job.done == 1
    assert result.scanned.get("conversation") == 1
    assert len(_title_alerts(db_store)) == before
