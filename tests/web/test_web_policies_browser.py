"""Editing a policy in Chromium: an admin changes one rule's severity and disables another, and the change
survives a reload; an organisation rule is previewed over stored history; a viewer sees no edit control.

Screenshots: policies, policy-edit, org-rule-replay (docs/images/web-policies*.png are copies)."""

from __future__ import annotations

from typing import Any

from browser_kit import require_chromium, shot, sign_in
from web_live import Console

pytestmark = require_chromium()


def _row(page: Any, rule_id: str) -> Any:
    return page.locator(f"tr[data-rule='{rule_id}']")


def _edit_rule(page: Any, rule_id: str, **choices: str) -> None:
    with page.expect_response(f"**/policies/rule/{rule_id}/edit"):
        page.click(f"[data-testid='edit-{rule_id}']")
    form = page.locator("[data-testid=rule-form]")
    for field, value in choices.items():
        form.locator(f"select[name={field}]").select_option(value)
    with page.expect_response(f"**/policies/rule/{rule_id}"):
        form.locator("[data-testid=save-rule]").click()
    page.wait_for_selector("#policy-pii [role=status]")


def test_admin_edits_rules_and_the_change_persists(page: Any, populated: Console) -> None:
    sign_in(page, populated, "admin", landing="/policies")
    assert not _row(page, "pii.email").locator("[data-testid=severity]").inner_text().startswith("critical")
    before = _row(page, "pii.phone").locator("[data-testid=status]").inner_text()
    assert before.startswith("enabled")
    shot(page, "policies")

    _edit_rule(page, "pii.email", severity="critical")
    assert "saved" in page.inner_text("#policy-pii [role=status]")
    _edit_rule(page, "pii.phone", status="disabled")

    page.reload()
    assert _row(page, "pii.email").locator("[data-testid=severity]").inner_text().startswith("critical")
    assert _row(page, "pii.phone").locator("[data-testid=status]").inner_text().startswith("disabled")

    # A user group, then a whole policy scoped to it (the policy edit form holds every scope kind).
    page.goto(populated.base_url + "/policies/groups")
    page.fill("[data-testid=group-form] input[name=name]", "Finance")
    page.fill("[data-testid=group-form] textarea[name=members]", "*@finance.example.com\ncfo@example.com")
    page.click("[data-testid=group-form] button[type=submit]")
    page.wait_for_selector("[data-testid=user-groups]")
    page.goto(populated.base_url + "/policies?q=financial")
    with page.expect_response("**/policies/policy/financial/edit"):
        page.click("[data-testid=edit-policy-financial]")
    form = page.locator("#policy-financial [data-testid=policy-form]")
    form.locator("select[name=sensitivity]").select_option("high")
    form.get_by_label("Finance").check()
    shot(page, "policy-edit")
    with page.expect_response("**/policies/policy/financial"):
        form.locator("button[type=submit]").click()
    assert "Policy saved" in page.inner_text("#policy-financial [role=status]")
    page.reload()
    summary = page.inner_text("#policy-financial summary")
    assert "high sensitivity" in summary and "groups: Finance" in summary.replace("\n", " ")

    # Stored history follows the new policy through a background rescan (POST /api/rescans).
    with page.expect_response("**/api/rescans"):
        page.click("[data-testid=rescan-now]")
    page.wait_for_function("document.getElementById('rescan-status').textContent.startsWith('Rescan ')")
    assert "Rescan refused" not in page.inner_text("#rescan-status")


def test_admin_previews_an_organisation_rule_before_enabling_it(page: Any, populated: Console) -> None:
    sign_in(page, populated, "admin", landing="/policies/org-rules")
    form = page.locator("[data-testid=org-form]")
    form.locator("input[name=slug]").fill("budget_talk")
    form.locator("input[name=name]").fill("Budget talk")
    form.locator("textarea[name=patterns]").fill("budget")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-testid=replay-stats]")
    assert "Nothing was recorded" in page.inner_text("main")
    shot(page, "org-rule-replay")
    page.click("[data-testid=enable-rule]")
    page.wait_for_selector("[data-testid=org-rules]")
    assert "custom.budget_talk enabled" in page.inner_text("[role=status]")


def test_viewer_sees_no_edit_controls(page: Any, populated: Console) -> None:
    sign_in(page, populated, "viewer", landing="/policies")
    assert page.locator("tr[data-rule]").count() > 100
    assert page.locator("[data-testid^=edit-]").count() == 0
    assert page.locator("#bulk").count() == 0
    assert page.locator("[data-testid=rescan-now]").count() == 0
    assert page.locator("input[name=rule_ids]").count() == 0
    page.goto(populated.base_url + "/policies/groups")
    assert page.locator("[data-testid=group-form]").count() == 0
