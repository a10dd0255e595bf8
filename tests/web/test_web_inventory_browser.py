"""Inventory in Chromium: an analyst goes from the riskiest user's explained score to an agent that changed,
reads the diff, marks it reviewed and sees the "changed" badge disappear. Screenshots: inventory-users,
inventory-user, inventory-agent (docs/images/web-inventory-*.png are copies of these)."""

from __future__ import annotations

from typing import Any

from browser_kit import require_chromium, shot, sign_in
from web_live import Console

pytestmark = require_chromium()


def test_analyst_reviews_a_changed_agent(page: Any, populated: Console) -> None:
    # The emulator plants no agent.config_changed label: its agents simply have several versions.
    assert not [label for label in populated.labels if label.rule == "agent.config_changed"]
    sign_in(page, populated, "analyst", landing="/inventory/users")
    rows = page.query_selector_all("table.inv-table tbody tr")
    assert len(rows) >= 3
    shot(page, "inventory-users")

    first_user = page.query_selector("table.inv-table tbody tr td a")
    email = first_user.inner_text()
    first_user.click()
    page.wait_for_url("**/inventory/users/user-*")
    assert email in page.inner_text("main")
    page.wait_for_selector("#risk table")
    assert "Each counted finding" in page.inner_text("#risk")
    shot(page, "inventory-user")

    page.click("text=← Users")
    page.wait_for_url("**/inventory/users")
    page.click("nav.inv-tabs >> text=Agents")
    page.wait_for_url("**/inventory/agents")
    page.select_option("select[name=changed]", "yes")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/inventory/agents?*changed=yes*")
    changed_rows = page.query_selector_all("table.inv-table tbody tr")
    assert changed_rows and all(row.query_selector(".inv-changed") for row in changed_rows)
    link = changed_rows[0].query_selector("td a")
    name = link.inner_text()
    link.click()
    page.wait_for_url("**/inventory/agents/g-*")
    assert "changed" in page.inner_text("#review-state")
    page.wait_for_selector("#diff")
    assert page.query_selector_all("#diff .diff-add, #diff .diff-del"), "the diff highlights what changed"
    shot(page, "inventory-agent")

    page.fill("form.inv-review input[name=note]", "Checked the new tool with the owner")
    page.click("form.inv-review button[type=submit]")
    page.wait_for_url("**/inventory/agents/g-*?reviewed=1")
    assert "Marked reviewed" in page.inner_text("[role=status]")
    assert page.inner_text("#review-state").strip() == "reviewed"
    assert "analyst" in page.inner_text("#versions")

    page.goto(populated.base_url + "/inventory/agents?changed=yes")
    remaining = [
        row.query_selector("td a").inner_text() for row in page.query_selector_all("table.inv-table tbody tr")
    ]
    assert name not in remaining
