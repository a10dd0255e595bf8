"""The post-pipeline round (posture, activity, risk) and ``aiwatch risk top`` on a synced workspace."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from aiwatch.cli import app
from aiwatch.findings.models import Finding
from aiwatch.risk.refresh import refresh_after_pipeline


def test_refresh_then_risk_top(synced_workspace) -> None:
    ws = synced_workspace
    runner = CliRunner()
    empty = runner.invoke(app, ["risk", "top"])
    assert empty.exit_code == 0 and "No user has a risk score yet" in empty.output
    with ws.sessions.begin() as session:
        first = refresh_after_pipeline(session, ws.settings, ws.integration_id)
    assert first.posture_alerts > 0 and first.activity_alerts >= 4 and first.risk_scores > 0
    with ws.sessions.begin() as session:
        second = refresh_after_pipeline(session, ws.settings, ws.integration_id)
    assert (second.posture_alerts, second.activity_alerts) == (0, 0)
    assert second.risk_scores == first.risk_scores
    agents = json.loads(runner.invoke(app, ["risk", "top", "--kind", "agent", "--format", "json"]).output)
    assert agents and agents[0]["score"] >= agents[-1]["score"]
    for row in agents:
        assert sum(t["contribution"] for t in row["breakdown"]) == pytest.approx(row["score"], abs=0.01)
    table = runner.invoke(app, ["risk", "top", "--limit", "3", "--recompute"])
    assert table.exit_code == 0 and "exposure" in table.output and len(table.output.splitlines()) <= 3
    assert runner.invoke(app, ["risk", "top", "--kind", "team"]).exit_code == 2
    assert runner.invoke(app, ["risk", "top", "--format", "xml"]).exit_code == 2


@pytest.mark.parametrize("synced_workspace", [{"seed": 5}], indirect=True)
def test_thresholds_come_from_settings(synced_workspace) -> None:
    ws = synced_workspace
    # An impossible burst threshold: the planted 8-failure burst no longer counts.
    strict = ws.settings.model_copy(update={"activity_login_failure_threshold": 50})
    with ws.sessions.begin() as session:
        refresh_after_pipeline(session, strict, ws.integration_id)
        rules = set(session.scalars(select(Finding.rule)).all())
    assert "activity.login_failures" not in rules and "activity.privilege_change" in rules
