"""Policy settings, organisation rules, replay and rescan applied by the pipeline to stored messages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from aiwatch.findings.manage import (
    PolicyError,
    add_exclusion,
    add_org_rule,
    replay,
    set_org_rule_status,
    set_policy,
)
from aiwatch.findings.models import Alert, Finding, RescanJob
from aiwatch.pipeline.rescan import run_rescan
from aiwatch.pipeline.runner import run_pipeline, value_hasher

AWS_KEY = "deploy with AKIAZ3MHALJQ4RX7WQ2P please"


def open_rules(store) -> dict[str, int]:
    with store.sessions() as session:
        rows = session.execute(
            select(Finding.rule, Finding.alert_count).where(Finding.status == "open")
        ).all()
    return dict(rows)


def test_sensitivity_high_finds_what_balanced_does_not(store):
    store.message("the password: sunshine", message_id="m1")
    run_pipeline(store.sessions, store.settings, include_posture=False)
    assert "secret.password" not in open_rules(store)
    with store.sessions.begin() as session:
        set_policy(session, "rule", "secret.password", sensitivity="high")
    result = run_pipeline(store.sessions, store.settings, include_posture=False)
    assert result.scanned == {"message": 1}  # the fingerprint changed: stored items are rescanned
    assert "secret.password" in open_rules(store)


def test_same_secret_in_two_messages_is_one_finding(store):
    store.message(AWS_KEY, message_id="m1")
    store.message(f"again: {AWS_KEY}", message_id="m2", conversation_id="conv-2")
    run_pipeline(store.sessions, store.settings, include_posture=False)
    assert open_rules(store)["secret.aws_access_key_id"] == 2


def test_scope_limits_a_rule_to_listed_agents(store):
    store.message(AWS_KEY, message_id="m1", gpt_id="g-allowed")
    store.message(AWS_KEY.replace("Z3", "Y4"), message_id="m2", gpt_id="g-other")
    with store.sessions.begin() as session:
        set_policy(session, "policy", "access_data", scope={"agents": ["g-allowed"]})
    run_pipeline(store.sessions, store.settings, include_posture=False)
    with store.sessions() as session:
        kept = dict(session.execute(select(Alert.item_id, Alert.suppressed_by)).all())
    assert kept == {"m1": None, "m2": "out_of_scope"}


def test_value_exclusion_uses_the_same_hash_as_the_engine(store):
    store.message(AWS_KEY, message_id="m1")
    with store.sessions.begin() as session:
        add_exclusion(session, "value", "AKIAZ3MHALJQ4RX7WQ2P", hasher=value_hasher(store.settings))
    result = run_pipeline(store.sessions, store.settings, include_posture=False)
    assert result.recorded.suppressed >= 1
    assert "secret.aws_access_key_id" not in open_rules(store)


def test_disabling_a_rule_closes_its_open_findings_as_policy_changed(store):
    store.message(AWS_KEY, message_id="m1")
    run_pipeline(store.sessions, store.settings, include_posture=False)
    with store.sessions.begin() as session:
        set_policy(session, "rule", "secret.aws_access_key_id", status="disabled")
    result = run_pipeline(store.sessions, store.settings, include_posture=False)
    assert result.closed_by_policy == 1
    with store.sessions() as session:
        finding = session.scalar(select(Finding).where(Finding.rule == "secret.aws_access_key_id"))
    assert (finding.status, finding.resolution) == ("resolved", "policy_changed")


def test_org_rule_draft_replay_then_enable(store):
    store.message("Project Falcon launch is next week", message_id="m1", user_id="user-alice")
    store.message(
        "falcon numbers for PROJECT FALCON", message_id="m2", user_id="user-bob", conversation_id="c2"
    )
    store.message("nothing here", message_id="m3", user_id="user-bob", conversation_id="c3")
    with store.sessions.begin() as session:
        add_org_rule(session, "falcon", "Project Falcon", "keyword", ["project falcon"], severity="high")
    run_pipeline(store.sessions, store.settings, include_posture=False)
    assert "custom.falcon" not in open_rules(store)  # a draft detects nothing

    with store.sessions() as session:
        report = replay(session, "custom.falcon", value_hasher(store.settings))
    assert report.matches == 2 and report.items_scanned == 3
    assert report.per_subject == {"user:user-alice": 1, "user:user-bob": 1}
    assert all("Falcon" not in s["evidence"] and "FALCON" not in s["evidence"] for s in report.samples)
    with store.sessions() as session:
        assert session.scalar(select(func.count(Alert.id)).where(Alert.rule == "custom.falcon")) == 0

    with store.sessions.begin() as session:
        set_org_rule_status(session, "custom.falcon", "enabled")
    run_pipeline(store.sessions, store.settings, include_posture=False)
    with store.sessions() as session:
        rows = session.execute(
            select(Finding.subject_id, Finding.severity).where(Finding.rule == "custom.falcon")
        )
        assert sorted(rows) == [("user-alice", "high"), ("user-bob", "high")]


def test_org_rule_errors(store):
    with store.sessions.begin() as session:
        with pytest.raises(PolicyError, match="slug"):
            add_org_rule(session, "Bad Slug!", "x", "keyword", ["x"])
        with pytest.raises(PolicyError, match="at least one"):
            add_org_rule(session, "empty", "x", "keyword", ["  "])
        with pytest.raises(PolicyError, match=r"does not compile|regular expression"):
            add_org_rule(session, "broken", "x", "regex", ["(unclosed"])
        add_org_rule(session, "dup", "x", "keyword", ["dup"])
        with pytest.raises(PolicyError, match="already exists"):
            add_org_rule(session, "dup", "x", "keyword", ["dup"])
        with pytest.raises(PolicyError, match="no organisation rule"):
            set_org_rule_status(session, "custom.nope", "enabled")
    with store.sessions() as session, pytest.raises(PolicyError):
        replay(session, "custom.nope", str)


def test_rescan_with_a_rule_glob_is_resumable(store):
    for index in range(3):
        store.message(
            f"secret codename BLUEBIRD item {index}", message_id=f"m{index}", conversation_id=f"c{index}"
        )
    run_pipeline(store.sessions, store.settings, include_posture=False)
    with store.sessions.begin() as session:
        add_org_rule(session, "bluebird", "Bluebird", "keyword", ["bluebird"])
        set_org_rule_status(session, "custom.bluebird", "enabled")

    import aiwatch.pipeline.rescan as rescan_module

    original = rescan_module.BATCH
    rescan_module.BATCH = 1  # one message per batch so the job can stop in the middle
    try:
        job, _ = run_rescan(store.sessions, store.settings, rules_glob="custom.*", max_batches=1)
        assert (job.status, job.done) == ("running", 1)
        resumed, result = run_rescan(store.sessions, store.settings, rules_glob="custom.*")
    finally:
        rescan_module.BATCH = original
    assert resumed.id == job.id and resumed.status == "done" and resumed.done == 3
    assert result.recorded.created == 2
    assert open_rules(store)["custom.bluebird"] == 3
    with store.sessions() as session:
        assert session.scalar(select(func.count(RescanJob.id))) == 1
