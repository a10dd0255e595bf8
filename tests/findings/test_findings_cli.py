"""The findings, policies, rescan and pipeline commands (real database in the test's data dir)."""

from __future__ import annotations

import json

from findings_helpers import alert
from typer.testing import CliRunner

from aiwatch.cli import app
from aiwatch.findings.service import record_alerts

FINDING_KEYS = {
    "id",
    "rule",
    "policy",
    "group",
    "severity",
    "status",
    "subject",
    "alert_count",
    "first_seen",
    "last_seen",
}


def seed(store) -> None:
    with store.sessions.begin() as session:
        record_alerts(
            session,
            [
                alert(store.integration_id),
                alert(
                    store.integration_id, item_id="m2", rule="pii.email", severity="medium", value_hash="e"
                ),
            ],
        )


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def test_findings_list_json_shape_and_filters(store):
    seed(store)
    result = invoke("findings", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert len(rows) == 2
    for row in rows:
        assert row.keys() >= FINDING_KEYS
        assert row["subject"] == {"kind": "user", "id": "user-alice"}
        assert row["status"] == "open" and row["alert_count"] == 1
    only = json.loads(invoke("findings", "list", "--format", "json", "--severity", "high").output)
    assert [r["rule"] for r in only] == ["secret.aws_access_key_id"]
    globbed = json.loads(invoke("findings", "list", "--format", "json", "--rule", "pii.*").output)
    assert [r["rule"] for r in globbed] == ["pii.email"]
    assert "Findings (2 of 2)" in invoke("findings", "list").output


def test_resolve_show_and_bulk_resolve(store):
    seed(store)
    result = invoke(
        "findings", "resolve", "1", "--as", "true-positive", "--reason", "key rotated", "--by", "ana"
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(invoke("findings", "show", "1", "--format", "json").output)
    assert (shown["status"], shown["resolution"], shown["resolved_by"]) == (
        "resolved",
        "true_positive",
        "ana",
    )
    assert shown["alerts"][0]["evidence"] == "AK…WQ2P"
    assert invoke("findings", "resolve", "1", "2", "--as", "benign", "--reason", "lab").exit_code == 0
    resolved = json.loads(invoke("findings", "list", "--format", "json", "--status", "resolved").output)
    assert {r["id"] for r in resolved} == {1, 2}


def test_cli_errors_exit_nonzero_with_a_message(store):
    seed(store)
    bad_as = invoke("findings", "resolve", "1", "--as", "maybe", "--reason", "x")
    assert bad_as.exit_code == 2 and "true-positive" in bad_as.output
    missing = invoke("findings", "show", "999")
    assert missing.exit_code == 1 and "no finding" in missing.output
    assert invoke("findings", "list", "--status", "closed").exit_code == 2
    assert invoke("findings", "list", "--severity", "urgent").exit_code == 2
    assert invoke("findings", "list", "--format", "xml").exit_code == 2
    assert invoke("policies", "set", "secret.nope", "--status", "disabled").exit_code == 2
    assert invoke("rescan").exit_code == 2


def test_policy_commands_and_pipeline_run(store):
    store.message("Project Falcon ships; key AKIAZ3MHALJQ4RX7WQ2P", message_id="m1")
    assert invoke("policies", "set", "pii.email", "--severity", "low").exit_code == 0
    assert invoke("policies", "exclude", "sandbox", "--kind", "keyword", "--rule", "pii.*").exit_code == 0
    assert invoke("policies", "ignore", "code.*", "--agent", "g-dev").exit_code == 0
    listed = json.loads(invoke("policies", "list", "--format", "json").output)
    email = next(r for r in listed if r["rule"] == "pii.email")
    assert email["severity"] == "low" and email["status"] == "enabled"
    assert invoke("policies", "rules", "add", "falcon", "--pattern", "project falcon").exit_code == 0
    replayed = json.loads(invoke("policies", "rules", "replay", "custom.falcon", "--format", "json").output)
    assert replayed["matches"] == 1
    assert invoke("policies", "rules", "enable", "custom.falcon").exit_code == 0
    run = invoke("pipeline", "run")
    assert run.exit_code == 0 and "Scanned 1 items" in run.output
    rules = {r["rule"] for r in json.loads(invoke("findings", "list", "--format", "json").output)}
    assert {"custom.falcon", "secret.aws_access_key_id"} <= rules
    rescan = invoke("rescan", "--all")
    assert rescan.exit_code == 0 and "done" in rescan.output
