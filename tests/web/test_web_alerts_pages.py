"""The alerts pages: counts per policy and rule in a time frame, a rule's activity and latest alerts."""

from __future__ import annotations

import re

from web_live import Console

from aiwatch.findings.models import Alert


def _busiest_rule(console: Console) -> tuple[str, int]:
    from sqlalchemy import func, select

    with console.app.state.sessions() as session:
        rule, count = session.execute(
            select(Alert.rule, func.count()).group_by(Alert.rule).order_by(func.count().desc(), Alert.rule)
        ).first()
    return str(rule), int(count)


def test_overview_lists_policies_rules_and_links(populated: Console) -> None:
    with populated.client("viewer") as client:
        page = client.get("/alerts?frame=90d")
        assert page.status_code == 200
        assert 'aria-current="true">90d<' in page.text
        rule, _ = _busiest_rule(populated)
        assert f'href="/findings?rule={rule}"' in page.text
        assert f'href="/alerts/rules/{rule}?frame=90d"' in page.text
        assert "Alerts per day, by policy" in page.text and "<svg" in page.text
        assert "Exposed Access Data" in page.text  # planted AWS keys
        assert 'href="/static/explorer.css"' in page.text
        # A hand-edited frame falls back to the default (7d) instead of failing.
        fallback = client.get("/alerts?frame=1y")
        assert fallback.status_code == 200 and 'aria-current="true">7d<' in fallback.text


def test_overview_counts_suppressed_alerts_with_reasons(populated: Console) -> None:
    rule, _ = _busiest_rule(populated)
    with populated.app.state.sessions.begin() as session:
        row = session.query(Alert).filter(Alert.rule == rule, Alert.suppressed_by.is_(None)).first()
        original = (row.suppressed_by, row.finding_id)
        row.suppressed_by, row.finding_id = "exclusion:7", None
        row_id = row.id
    try:
        with populated.client("viewer") as client:
            page = client.get("/alerts?frame=90d")
        assert re.search(r'class="reason reason-exclusion"[^>]*>exclusion 1<', page.text)
    finally:
        with populated.app.state.sessions.begin() as session:
            row = session.get(Alert, row_id)
            row.suppressed_by, row.finding_id = original


def test_rule_page_chart_masked_alerts_and_paging(populated: Console) -> None:
    rule, count = _busiest_rule(populated)
    with populated.client("viewer") as client:
        page = client.get(f"/alerts/rules/{rule}?frame=90d&per_page=25")
        assert page.status_code == 200
        assert "Alerts per day" in page.text and "Latest alerts" in page.text
        rows = re.findall(r'<a href="/findings/(\d+)">#', page.text)
        assert len(rows) == min(count, 25)
        assert f"{count} total" in page.text
        if count > 25:
            second = client.get(f"/alerts/rules/{rule}?frame=90d&per_page=25&page=2")
            assert len(re.findall(r'<a href="/findings/(\d+)">#', second.text)) == min(count - 25, 25)
        only_suppressed = client.get(f"/alerts/rules/{rule}?suppressed=yes")
        assert "No alerts of this rule are stored with this filter" in only_suppressed.text
        # Evidence is shown masked, never the planted value itself.
        planted = [label.value for label in populated.labels if label.rule == rule]
        assert planted and not any(value in page.text for value in planted if len(value) > 8)


def test_rule_page_unknown_rule_is_404_and_login_needed(populated: Console) -> None:
    with populated.client("viewer") as client:
        missing = client.get("/alerts/rules/no.such_rule")
        assert missing.status_code == 404 and "no.such_rule" in missing.text
        quiet = client.get("/alerts/rules/financial.iban")  # a catalog rule, known even without alerts
        assert quiet.status_code == 200
    with populated.client() as anonymous:
        redirect = anonymous.get("/alerts")
        assert redirect.status_code in (302, 303, 307) and "/login" in redirect.headers["location"]


def test_empty_console_says_what_to_do(console: Console) -> None:
    with console.client("viewer") as client:
        page = client.get("/alerts")
    assert page.status_code == 200 and "No alerts in the last 7d" in page.text
    assert "Nothing in this time frame." in page.text
