"""End to end: the emulator's planted agent and activity risks come out of the synced store."""

from __future__ import annotations

import pytest

from aiwatch.activity.service import evaluate_activity
from aiwatch.crypto import load_secret_box
from aiwatch.posture.service import evaluate_integration


def agent_of(location: dict) -> str:
    return location.get("gpt_id") or location.get("project_id")


def test_planted_agent_and_activity_risks_are_found(synced_workspace) -> None:
    ws = synced_workspace
    labels = [lbl for lbl in ws.emulator.labels if lbl.rule.startswith(("agent.", "activity."))]
    planted_agent_rules = {lbl.rule for lbl in labels if lbl.rule.startswith("agent.")}
    assert {"agent.public_sharing", "agent.external_action"} <= planted_agent_rules  # the seed plants them
    assert len({lbl.rule for lbl in labels if lbl.rule.startswith("activity.")}) == 4
    with ws.sessions.begin() as session:
        postures = evaluate_integration(session, ws.integration_id)
        activity = evaluate_activity(session, ws.integration_id, box=load_secret_box(ws.settings))
    hits = {(p.agent_id, h.rule, h.config_id, h.file_id) for p in postures for h in p.hits}
    missing = []
    for label in labels:
        loc = label.location
        if label.rule.startswith("agent."):
            found = any(
                agent == agent_of(loc)
                and rule == label.rule
                and (loc.get("config_id") is None or config == loc["config_id"])
                and (loc.get("file_id") is None or file_id == loc["file_id"])
                for agent, rule, config, file_id in hits
            )
        else:
            found = any(h.rule == label.rule and h.event_id == loc["event_id"] for h in activity)
        if not found:
            missing.append((label.rule, loc))
    assert missing == []
    # aiwatch's own key reads the log feed all the time: only the planted foreign key is reported.
    keys = {h.details["redacted_id"] for h in activity if h.rule == "activity.compliance_key_use"}
    assert keys == {lbl.value for lbl in labels if lbl.rule == "activity.compliance_key_use"}
    # Re-evaluating is stable (idempotent input for the alert store).
    with ws.sessions.begin() as session:
        again = evaluate_integration(session, ws.integration_id)
    assert {(p.agent_id, h.rule, h.item_key) for p in again for h in p.hits} == {
        (p.agent_id, h.rule, h.item_key) for p in postures for h in p.hits
    }


@pytest.mark.parametrize("synced_workspace", [{"clean": True, "seed": 6}], indirect=True)
def test_clean_workspace_has_no_planted_kinds(synced_workspace) -> None:
    ws = synced_workspace
    with ws.sessions.begin() as session:
        postures = evaluate_integration(session, ws.integration_id)
        activity = evaluate_activity(session, ws.integration_id, box=load_secret_box(ws.settings))
    rules = {h.rule for p in postures for h in p.hits}
    assert not rules & {
        "agent.public_sharing",
        "agent.external_action",
        "agent.unauthenticated_action",
        "agent.sensitive_instructions",
        "agent.sensitive_knowledge",
    }
    assert activity == []
