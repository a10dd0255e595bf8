"""In Chromium: an analyst opens the alerts view, follows a rule, searches the explorer for a planted value
and opens its conversation. Screenshots: alerts, alerts-rule, explorer, explorer-conversation (the docs use
copies in docs/images/). The pages must load without CSP or script errors."""

from __future__ import annotations

from typing import Any

from browser_kit import require_chromium, shot, sign_in
from web_live import Console

pytestmark = require_chromium()


def test_analyst_follows_a_rule_then_searches_and_opens_a_conversation(page: Any, populated: Console) -> None:
    problems: list[str] = []
    # CSP violations and script errors land on the console; failed loads are checked by URL instead (the
    # browser's own favicon request is not the page's).
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    sign_in(page, populated, "analyst", landing="/alerts")
    page.click("nav.frame-tabs a:has-text('30d')")
    page.wait_for_url("**/alerts?frame=30d")
    assert page.inner_text("h1") == "Alerts"
    assert page.locator("figure.stacked svg rect").count() > 0
    assert page.locator("table.alerts-table tr.rule-row").count() > 0
    shot(page, "alerts")

    first_rule = page.locator("table.alerts-table tr.rule-row a[href^='/alerts/rules/']").first
    rule_name = first_rule.inner_text()
    first_rule.click()
    page.wait_for_url("**/alerts/rules/**")
    assert page.inner_text("h1").startswith(rule_name)
    assert page.locator("table.compact tbody tr").count() > 0
    assert page.locator("a[href^='/findings/']").count() > 0
    shot(page, "alerts-rule")

    label = next(
        item
        for item in populated.labels
        if item.location.get("kind") == "message" and item.rule.startswith("secret.")
    )
    page.click("nav.sidebar a[href='/explorer']")
    page.wait_for_url("**/explorer")
    page.fill("input[name=q]", label.value)
    page.click("form.explorer-search button[type=submit]")
    page.wait_for_selector("ol.hits li.hit")
    # The match is marked, but a detected value shows its mask (the clear value: the audited reveal).
    assert page.inner_text("ol.hits li.hit mark") and label.value not in page.inner_text("ol.hits")
    assert page.locator("ol.hits li.hit.flagged").count() > 0
    shot(page, "explorer")

    page.click("ol.hits li.hit a.hit-title")
    page.wait_for_url("**/explorer/conversations/**")
    assert page.locator("li.msg.flagged").count() > 0
    assert label.value not in page.inner_text("ol.thread")
    assert "Findings on this conversation" in page.inner_text("main")
    shot(page, "explorer-conversation")
    assert problems == [], problems
