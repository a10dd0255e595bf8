"""`aiwatch demo --once` syncs the emulator workspace and runs the pipeline: findings are listed after."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from aiwatch.cli import app


def test_demo_produces_findings(settings) -> None:
    result = CliRunner().invoke(
        app, ["demo", "--once", "--users", "3", "--seed", "5", "--emulator-port", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "Findings pipeline:" in result.output
    listed = CliRunner().invoke(app, ["findings", "list", "--format", "json", "--limit", "1000"])
    assert listed.exit_code == 0, listed.output
    findings = json.loads(listed.output)
    assert findings
    groups = {f["group"] for f in findings}
    assert "Data Exposure" in groups
    assert all(f["status"] == "open" and f["alert_count"] >= 1 for f in findings)
    # A second run finds nothing new: every item was already scanned.
    again = CliRunner().invoke(app, ["pipeline", "run"])
    assert again.exit_code == 0 and "Scanned 0 items: 0 new alerts" in again.output
