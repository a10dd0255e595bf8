"""Emulator workspace → sync → pipeline → findings: every planted risk is found, reruns add nothing, a crash
mid-run resumes to the same findings, a clean workspace yields none of the planted kinds."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from aiwatch.findings.models import Alert, Finding, ScanState
from aiwatch.pipeline.runner import run_pipeline


def _alerts(synced) -> list[Alert]:
    with synced.sessions() as session:
        return list(session.scalars(select(Alert).where(Alert.suppressed_by.is_(None))))


def _finding_shape(synced) -> Counter:
    with synced.sessions() as session:
        rows = session.execute(select(Finding.rule, Finding.subject_id, Finding.alert_count)).all()
    return Counter(tuple(row) for row in rows)


def _label_ids(label) -> set[str]:
    return {str(v) for k, v in label.location.items() if k.endswith("_id") and v}


def _found(label, alerts: list[Alert]) -> bool:
    ids = _label_ids(label)
    return any(
        a.rule == label.rule and (a.item_id in ids or a.subject_id in ids or any(i in a.item_id for i in ids))
        for a in alerts
    )


def _out_of_reach(synced, label) -> bool:
    """Documented misses that are not the pipeline's: a planted file whose content the API no longer serves
    (uploads expire; the store keeps it as ``expired`` with no text), and a planted message the detection
    engine itself does not flag at its place (e.g. a three-line code snippet below the code.source threshold).
    """
    from aiwatch.detection import scan
    from aiwatch.pipeline.items import MESSAGE_PLACES
    from aiwatch.store import models as m

    with synced.sessions() as session:
        if label.location.get("kind") == "file":
            stored = session.scalar(
                select(m.StoredFile).where(m.StoredFile.file_id == label.location["file_id"])
            )
            return stored is not None and stored.extracted_text is None and stored.state == "expired"
        if label.location.get("kind") == "message":
            message = session.scalar(
                select(m.Message).where(m.Message.message_id == label.location["message_id"])
            )
            place = MESSAGE_PLACES.get(message.role or "") if message else None
            return place is not None and not any(
                d.rule == label.rule for d in scan(message.text, where=place)
            )
    return False


def test_every_planted_risk_becomes_a_finding_and_reruns_add_nothing(synced):
    result = run_pipeline(synced.sessions, synced.settings)
    assert result.items > 0 and result.recorded.created > 0
    alerts = _alerts(synced)
    labels = synced.emulator.labels
    assert labels
    missed = [label for label in labels if not _found(label, alerts)]
    unexplained = [(label.rule, label.location) for label in missed if not _out_of_reach(synced, label)]
    assert not unexplained, f"{len(unexplained)} of {len(labels)} planted risks missed: {unexplained[:5]}"
    assert len(missed) < len(labels) // 3
    with synced.sessions() as session:
        finding_rules = set(session.scalars(select(Finding.rule)))
    assert {label.rule for label in labels if label not in missed} <= finding_rules

    # Subjects: knowledge files and configs belong to the agent, everything else to a known user.
    for a in alerts:
        if a.item_kind == "agent_config" or (a.item_kind == "file" and a.agent_id):
            assert a.subject_kind == "agent", (a.rule, a.item_kind)
        elif a.item_kind in ("message", "memory", "canvas_version"):
            assert a.subject_kind == "user" and a.subject_id.startswith("user-"), (a.rule, a.item_kind)

    before = _finding_shape(synced)
    again = run_pipeline(synced.sessions, synced.settings)
    assert again.items == 0 and again.recorded.created == 0
    assert _finding_shape(synced) == before


def test_crash_mid_pipeline_then_rerun_gives_the_same_findings(synced):
    partial = run_pipeline(synced.sessions, synced.settings, max_batches=1, include_posture=False)
    assert partial.items > 0
    with synced.sessions() as session:
        assert session.scalar(select(func.count(ScanState.id))) == partial.items
    run_pipeline(synced.sessions, synced.settings)
    crashed = _finding_shape(synced)
    with synced.sessions() as session:
        keys = session.execute(
            select(Alert.item_kind, Alert.item_id, Alert.rule, Alert.field, Alert.start, Alert.end)
        ).all()
    assert len(keys) == len(set(keys))

    # Same workspace, fresh pipeline state: the findings match the crashed-then-resumed run.
    with synced.sessions.begin() as session:
        for model in (Alert, Finding, ScanState):
            session.query(model).delete()
    run_pipeline(synced.sessions, synced.settings)
    assert _finding_shape(synced) == crashed


def test_changed_item_is_rescanned_and_unchanged_items_are_not(synced):
    from aiwatch.store import models as m

    run_pipeline(synced.sessions, synced.settings)
    with synced.sessions.begin() as session:
        memory = session.scalars(select(m.Memory).order_by(m.Memory.id)).first()
        memory.content = "Remember my AWS key AKIAZ3MHALJQ4RX7WQ2P for the deploy script"
        memory.content_hash = "changed"
        user_id = memory.user_id
    result = run_pipeline(synced.sessions, synced.settings)
    assert result.scanned == {"memory": 1}
    with synced.sessions() as session:
        finding = session.scalar(
            select(Finding).where(Finding.rule == "secret.aws_access_key_id", Finding.subject_id == user_id)
        )
    assert finding is not None and finding.subject_kind == "user"


def test_clean_workspace_has_none_of_the_planted_kinds(clean_synced):
    from pipeline_helpers import planted_rules

    from aiwatch.emulator.server import EmulatorConfig, EmulatorServer

    run_pipeline(clean_synced.sessions, clean_synced.settings)
    with clean_synced.sessions() as session:
        rules = set(session.scalars(select(Finding.rule)))
    with EmulatorServer(EmulatorConfig(seed=11, users=4, days=2, conversations_per_user=3)) as risky:
        planted = planted_rules(risky.labels)
    assert not rules & planted, f"control workspace produced {sorted(rules & planted)}"
