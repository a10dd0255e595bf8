"""Findings pages on a synced emulator workspace: dashboard, list filters (asserted on the rows), detail,
viewer without triage controls, analyst triage (single and bulk), audited reveal, exclusions, empty states."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select
from web_live import Console

from aiwatch.findings.models import Alert, Exclusion, Finding
from aiwatch.findings.queries import FindingFilter, list_findings
from aiwatch.store import models as m

ROW = re.compile(r'<tr class="clickable" data-finding="(\d+)">')


def rows(html: str) -> list[int]:
    return [int(v) for v in ROW.findall(html)]


def expected(console: Console, **filters: Any) -> list[int]:
    with console.app.state.sessions() as session:
        found, _ = list_findings(session, FindingFilter(limit=25, **filters))
        return [f.id for f in found]


def audit(console: Console) -> list[tuple[str, str | None, dict[str, Any]]]:
    entries, _ = console.app.state.audit.page(limit=500)
    return [(e.action, e.target, e.details) for e in entries]


@pytest.fixture(scope="module")
def message_alert(populated: Console) -> Alert:
    """An alert in a stored message with a text span and a value hash (revealable and excludable)."""
    with populated.app.state.sessions() as session:
        alert = session.scalars(
            select(Alert)
            .join(Finding, Finding.id == Alert.finding_id)
            .where(Alert.item_kind == "message", Alert.end > Alert.start, Alert.value_hash.is_not(None))
            .where(Finding.rule.like("secret.%"))
            .order_by(Alert.id)
        ).first()
        assert alert is not None, "the emulator plants secrets in prompts"
        session.expunge(alert)
        return alert


def test_dashboard_for_viewer(populated: Console) -> None:
    with populated.client("viewer") as client:
        page = client.get("/?frame=all")
        assert page.status_code == 200
        html = page.text
        with populated.app.state.sessions() as session:
            total = len(session.scalars(select(Finding.id)).all())
            critical = len(
                session.scalars(
                    select(Finding.id).where(Finding.severity == "critical", Finding.status == "open")
                ).all()
            )
        assert f'<div class="stat-value">{total}</div><div class="stat-label">New in frame' in html
        assert f'data-severity="critical">{critical}<' in html
        assert 'href="/inventory/users/user-' in html and 'href="/inventory/agents/g-' in html
        assert 'data-testid="severe"' in html and "New findings per day" in html
        assert 'aria-current="true">All time' in html
        assert "ChatGPT Enterprise" in html  # the integration tiles stay below
        day = client.get("/?frame=24h").text
        assert "New findings per hour" in day and 'aria-current="true">24h' in day
        assert 'aria-current="true">7d' in client.get("/?frame=fortnight").text  # unknown frame: default


def test_list_filters_match_the_database(populated: Console) -> None:
    with populated.client("viewer") as client:
        everything = client.get("/findings")
        assert everything.status_code == 200 and rows(everything.text) == expected(populated)
        assert rows(client.get("/findings?severity=critical").text) == expected(
            populated, severity=["critical"]
        )
        both = client.get("/findings?severity=critical&severity=low&sort=severity&order=asc").text
        assert rows(both) == expected(
            populated, severity=["critical", "low"], sort="severity", descending=False
        )
        assert rows(client.get("/findings?rule=secret.*").text) == expected(populated, rule="secret.*")
        assert rows(client.get("/findings?group=Agent+Posture").text) == expected(
            populated, group="Agent Posture"
        )
        assert rows(client.get("/findings?policy=pii&sort=subject&order=asc").text) == expected(
            populated, policy="pii", sort="subject_id", descending=False
        )
        with populated.app.state.sessions() as session:
            user = session.scalars(
                select(m.WorkspaceUser).join(Finding, Finding.subject_id == m.WorkspaceUser.user_id)
            ).first()
            agent_id = session.scalar(select(Finding.agent_id).where(Finding.agent_id.is_not(None)))
        by_email = rows(client.get("/findings", params={"subject": user.email}).text)
        assert by_email and by_email == expected(populated, subject_id=user.user_id)
        assert rows(client.get("/findings", params={"agent": agent_id}).text) == expected(
            populated, agent_id=agent_id
        )
        assert rows(client.get("/findings?q=aws").text) == expected(populated, text="aws")
        assert rows(client.get("/findings?from=2000-01-01&to=2000-01-02").text) == []
        assert "No finding matches" in client.get("/findings?from=2000-01-01&to=2000-01-02").text
        bad = client.get("/findings?severity=urgent")
        assert bad.status_code == 422 and "unknown severity" in bad.text
        second = client.get("/findings?page=2&per_page=25").text
        assert rows(second) == [f for f in expected_page(populated, 2)]


def expected_page(console: Console, page: int) -> list[int]:
    with console.app.state.sessions() as session:
        found, _ = list_findings(session, FindingFilter(limit=25, offset=(page - 1) * 25))
        return [f.id for f in found]


def test_viewer_sees_no_triage_controls_and_cannot_triage(populated: Console, message_alert: Alert) -> None:
    fid = message_alert.finding_id
    with populated.client("viewer") as client:
        listing = client.get("/findings").text
        assert 'name="ids"' not in listing and "bulk-resolve" not in listing
        detail = client.get(f"/findings/{fid}").text
        assert (
            'data-testid="triage-form"' not in detail and "Reveal" not in detail and "/exclude" not in detail
        )
        assert "Copy link" in detail
        for path, data in (
            (f"/findings/{fid}/resolve", {"resolution": "benign", "reason": "x"}),
            (f"/findings/{fid}/reveal", {"alert_id": message_alert.id}),
            (f"/findings/{fid}/exclude", {"alert_id": message_alert.id}),
            ("/findings/bulk-resolve", {"ids": [fid], "resolution": "benign", "reason": "x"}),
        ):
            assert client.post(path, data=data).status_code == 403, path
        assert client.get(f"/findings/{fid}/exclude?alert={message_alert.id}").status_code == 403
    assert not [
        a for a in audit(populated) if a[0] == "evidence.reveal" and a[2].get("alert_id") == message_alert.id
    ]


def test_detail_shows_rule_subject_context_and_timeline(populated: Console, message_alert: Alert) -> None:
    fid = message_alert.finding_id
    with populated.client("viewer") as client:
        page = client.get(f"/findings/{fid}")
        assert page.status_code == 200
        html = page.text
        assert "Why it matters" in html and 'data-testid="user-link"' in html and "/inventory/users/" in html
        assert 'data-testid="context"' in html and '<mark class="match">' in html
        assert message_alert.evidence in html and f'data-alert="{message_alert.id}"' in html
        assert client.get("/findings/999999").status_code == 404


def test_analyst_reveals_resolves_reopens_and_excludes(populated: Console, message_alert: Alert) -> None:
    fid = message_alert.finding_id
    with populated.client("analyst") as client:
        detail = client.get(f"/findings/{fid}").text
        assert 'data-testid="triage-form"' in detail and f'data-testid="reveal-{message_alert.id}"' in detail
        revealed = client.post(
            f"/findings/{fid}/reveal", data={"alert_id": message_alert.id}, headers={"HX-Request": "true"}
        )
        assert revealed.status_code == 200 and revealed.headers["cache-control"] == "no-store"
        value = re.search(r'<code class="evidence clear">([^<]+)</code>', revealed.text)
        assert value is not None and value.group(1) != message_alert.evidence and len(value.group(1)) > 8
        assert value.group(1) not in client.get(f"/findings/{fid}").text  # shown only in that response
        missing = client.post(f"/findings/{fid}/resolve", data={"resolution": "benign", "reason": " "})
        assert missing.status_code == 422 and "reason" in missing.text
        done = client.post(
            f"/findings/{fid}/resolve", data={"resolution": "false-positive", "reason": "test key"}
        )
        assert done.status_code == 303 and done.headers["location"] == f"/findings/{fid}?notice=resolved"
        resolved = client.get(done.headers["location"]).text
        assert (
            'data-testid="status">Resolved' in resolved
            and "test key" in resolved
            and "false positive" in resolved
        )
        assert fid not in rows(client.get("/findings?status=open&per_page=100").text)
        again = client.post(f"/findings/{fid}/reopen")
        assert again.status_code == 303 and 'data-testid="status">Open' in client.get(f"/findings/{fid}").text
        confirm = client.get(f"/findings/{fid}/exclude?alert={message_alert.id}")
        assert confirm.status_code == 200 and "Exclude this evidence?" in confirm.text
        excluded = client.post(
            f"/findings/{fid}/exclude", data={"alert_id": message_alert.id, "note": "demo"}
        )
        assert excluded.status_code == 303 and excluded.headers["location"].endswith("notice=excluded")
    with populated.app.state.sessions() as session:
        rows_ = session.scalars(select(Exclusion).where(Exclusion.scope_id == message_alert.rule)).all()
        assert [r.pattern for r in rows_] == [message_alert.value_hash] and rows_[0].kind == "value"
    log = audit(populated)
    reveal = [d for a, _, d in log if a == "evidence.reveal" and d["alert_id"] == message_alert.id]
    assert reveal and reveal[0]["finding_id"] == fid and reveal[0]["shown"] is True
    assert all(value.group(1) not in str(entry) for entry in log)
    assert {"finding.resolve", "finding.reopen", "exclusion.add"} <= {a for a, _, _ in log}


def test_bulk_resolve_from_the_list(populated: Console) -> None:
    targets = expected(populated, status="open", severity=["low"])[:2]
    assert len(targets) == 2
    with populated.client("analyst") as client:
        listing = client.get("/findings?status=open&severity=low").text
        assert 'name="ids"' in listing and 'action="/findings/bulk-resolve"' in listing
        nothing = client.post("/findings/bulk-resolve", data={"resolution": "benign", "reason": "x"})
        assert nothing.status_code == 422 and "Select at least one" in nothing.text
        back = "/findings?status=open&severity=low"
        done = client.post(
            "/findings/bulk-resolve",
            data={
                "ids": [str(t) for t in targets],
                "resolution": "benign",
                "reason": "known test data",
                "back": back,
            },
        )
        assert done.status_code == 303 and done.headers["location"] == back + "&notice=bulk&count=2"
        after = client.get(done.headers["location"]).text
        assert "2 finding(s) resolved." in after and not set(targets) & set(rows(after))
        assert f'name="back" value="{back.replace("&", "&amp;")}"' in after  # the notice is not carried on
        away = client.post(
            "/findings/bulk-resolve",
            data={
                "ids": [str(targets[0])],
                "resolution": "benign",
                "reason": "x",
                "back": "https://evil.example/",
            },
        )
        assert away.headers["location"].startswith("/findings?")
    with populated.app.state.sessions() as session:
        states = {
            f.id: (f.status, f.resolution)
            for f in session.scalars(select(Finding).where(Finding.id.in_(targets)))
        }
    assert set(states.values()) == {("resolved", "benign")}
    assert any(a == "finding.bulk_resolve" and d["ids"] == sorted(targets) for a, _, d in audit(populated))


def test_empty_states(console: Console) -> None:
    with console.client("viewer") as client:
        assert "No workspace connected yet" in client.get("/").text
        with console.app.state.sessions.begin() as session:
            session.add(
                m.Integration(
                    name="fresh",
                    base_url="http://127.0.0.1:9",
                    workspace_id="ws-fresh",
                    chatgpt_org_id="org-1",
                    platform_org_id="org-2",
                    key_last4="abcd",
                )
            )
        page = client.get("/").text
        assert 'data-testid="no-findings"' in page and "No workspace connected yet" not in page
        assert "No finding matches" in client.get("/findings").text
