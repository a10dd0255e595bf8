"""Posture and activity hits become findings; re-runs add nothing; risk scores follow; purge keeps them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from aiwatch.activity.service import record_activity
from aiwatch.crypto import load_secret_box
from aiwatch.findings.models import Alert, Finding
from aiwatch.posture.service import record_posture
from aiwatch.retention.purge import cutoff_for, purge
from aiwatch.risk.service import recompute_scores, top_risky


def test_hits_become_findings_once_and_feed_risk_scores(synced_workspace) -> None:
    ws = synced_workspace
    box = load_secret_box(ws.settings)
    with ws.sessions.begin() as session:
        posture = record_posture(session, ws.integration_id)
        activity = record_activity(session, ws.integration_id, box=box)
    assert posture.created > 0 and activity.created >= 4
    with ws.sessions() as session:
        findings = session.scalars(select(Finding).where(Finding.integration_id == ws.integration_id)).all()
        keys = {(f.subject_kind, f.subject_id, f.rule) for f in findings}
    for label in ws.emulator.labels:
        loc = label.location
        if label.rule.startswith("agent."):
            assert ("agent", loc.get("gpt_id") or loc.get("project_id"), label.rule) in keys, label
        elif label.rule.startswith("activity.") and label.user_id and label.rule != "activity.app_linked":
            assert ("user", label.user_id, label.rule) in keys, label
        elif label.rule == "activity.app_linked":
            assert any(k[2] == "activity.app_linked" and k[1] == label.user_id for k in keys), label
        elif label.rule == "activity.compliance_key_use":
            assert ("user", f"api-key:{label.value}", label.rule) in keys
    agent_findings = [f for f in findings if f.rule.startswith("agent.")]
    assert {f.group for f in agent_findings} and all(f.subject_kind == "agent" for f in agent_findings)
    # Evidence never carries a planted clear value: sensitive_* evidence is the engine's masked form.
    planted = [lbl.value for lbl in ws.emulator.labels if lbl.rule.startswith("agent.sensitive_")]
    samples = " ".join(str(f.evidence_samples) for f in agent_findings)
    assert planted and not [value for value in planted if len(value) > 6 and value in samples]
    # Re-running creates nothing new.
    with ws.sessions.begin() as session:
        again_posture = record_posture(session, ws.integration_id)
        again_activity = record_activity(session, ws.integration_id, box=box)
    assert again_posture.created == 0 and again_activity.created == 0
    assert again_posture.duplicates == posture.created + posture.suppressed
    with ws.sessions.begin() as session:
        scored = recompute_scores(session, ws.integration_id)
    assert scored > 0
    with ws.sessions() as session:
        agents = top_risky(session, "agent", integration_id=ws.integration_id)
        users = top_risky(session, "user", integration_id=ws.integration_id)
    assert agents and users
    assert [a.score for a in agents] == sorted((a.score for a in agents), reverse=True)
    for view in agents + users:
        assert sum(t["contribution"] for t in view.breakdown) == pytest.approx(view.score, abs=1e-3)
    # Retention: purging every body leaves findings and their masked evidence untouched.
    with ws.sessions() as session:
        before = session.execute(select(Finding.id, Finding.evidence_samples, Finding.value_hashes)).all()
        alerts_before = session.scalar(select(func.count()).select_from(Alert))
    with ws.sessions.begin() as session:
        report = purge(session, cutoff_for(0))
    assert report.counts["message bodies"] > 0
    with ws.sessions() as session:
        assert (
            session.execute(select(Finding.id, Finding.evidence_samples, Finding.value_hashes)).all()
            == before
        )
        assert session.scalar(select(func.count()).select_from(Alert)) == alerts_before
