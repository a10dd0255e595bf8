"""Triaging a finding in Debian's Chromium (Playwright): an analyst filters the list by severity, opens a
finding, reveals its evidence (audited), resolves it as a false positive with a reason, and no longer finds it
among the open findings. Screenshots: findings-dashboard, findings-list, finding-detail."""

from __future__ import annotations

from typing import Any

from browser_kit import require_chromium, shot, sign_in
from sqlalchemy import select
from web_live import Console

from aiwatch.findings.models import Alert, Finding

pytestmark = require_chromium()


def _target(console: Console) -> tuple[int, int, str]:
    """An open finding with an alert whose stored text can be revealed: (finding, alert, severity)."""
    with console.app.state.sessions() as session:
        row = session.execute(
            select(Finding.id, Alert.id, Finding.severity)
            .join(Alert, Alert.finding_id == Finding.id)
            .where(Finding.status == "open", Alert.item_kind == "message", Alert.end > Alert.start)
            .order_by(Finding.severity == "critical", Finding.id)
        ).all()
    assert row, "the emulator plants sensitive data in prompts"
    finding_id, alert_id, severity = row[-1]  # a critical one when there is one
    return finding_id, alert_id, severity


def test_triaging_a_finding(page: Any, populated: Console) -> None:
    finding_id, alert_id, severity = _target(populated)
    sign_in(page, populated, "analyst", landing="/findings")

    page.goto(populated.base_url + "/?frame=all")
    assert page.inner_text("[data-testid=open-by-severity]").startswith("Open findings by severity")
    shot(page, "findings-dashboard")

    page.goto(populated.base_url + "/findings")
    page.check(f"input[name=severity][value={severity}]")
    page.click("form[data-testid=filters] button[type=submit]")
    page.wait_for_url(f"**/findings?severity={severity}*")
    badges = page.locator("[data-testid=findings-table] tbody .badge.sev-" + severity)
    assert badges.count() == page.locator("[data-testid=findings-table] tbody tr").count() > 0
    shot(page, "findings-list")

    page.click(f"tr[data-finding='{finding_id}'] a.rule-link")
    page.wait_for_url(f"**/findings/{finding_id}")
    assert page.inner_text("[data-testid=status]") == "Open"
    page.click(f"[data-testid=reveal-{alert_id}]")
    revealed = page.locator(f"[data-testid=revealed-{alert_id}] code")
    revealed.wait_for()
    value = revealed.inner_text()
    with populated.app.state.sessions() as session:
        evidence = session.get(Alert, alert_id).evidence
    assert value and value != evidence
    entries, _ = populated.app.state.audit.page(limit=50)
    assert any(e.action == "evidence.reveal" and e.details["alert_id"] == alert_id for e in entries)
    shot(page, "finding-detail")

    page.check("input[name=resolution][value=false-positive]")
    page.fill("#reason", "Emulator test value, not a real credential")
    page.click("[data-testid=triage-form] button[type=submit]")
    page.wait_for_url(f"**/findings/{finding_id}?notice=resolved")
    assert page.inner_text("[data-testid=status]") == "Resolved"
    assert "false positive" in page.inner_text("[data-testid=resolution]")
    assert value not in page.content()  # the revealed value was only in that one response

    page.goto(populated.base_url + "/findings")
    page.select_option("select[name=status]", "open")
    page.click("form[data-testid=filters] button[type=submit]")
    page.wait_for_url("**/findings?status=open*")
    assert page.locator(f"tr[data-finding='{finding_id}']").count() == 0
    page.goto(populated.base_url + "/findings?status=resolved")
    assert page.locator(f"tr[data-finding='{finding_id}']").count() == 1
