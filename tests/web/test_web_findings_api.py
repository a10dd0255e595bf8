"""/api/findings: auth (401/403 per scope), validation (422), pagination, 404s and the happy paths, with the
audit entries every triage action and reveal writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from web_live import Console

from aiwatch.findings.models import Exclusion, Finding
from aiwatch.findings.service import record_alerts
from aiwatch.findings.types import AlertInput
from aiwatch.pipeline.runner import value_hasher
from aiwatch.store import models as m


def alert(integration_id: int, **overrides: Any) -> AlertInput:
    values: dict[str, Any] = {
        "integration_id": integration_id,
        "rule": "secret.github_token",
        "item_kind": "message",
        "item_id": "m1",
        "subject_kind": "user",
        "subject_id": "user-alice",
        "severity": "high",
        "score": 0.9,
        "start": 0,
        "end": 5,
        "evidence": "masked",
        "value_hash": "hash",
        "observed_at": NOW,
    }
    return AlertInput(**(values | overrides))


SECRET = "ghp_0123456789abcdefghijABCDEFGHIJ012345"
TEXT = f"my token is {SECRET} ok"
NOW = datetime.now(UTC)


@pytest.fixture(scope="module")
def seeded(console: Console) -> dict[str, Any]:
    """Twelve user findings (one with a real message to reveal) and one agent finding."""
    state = console.app.state
    hasher = value_hasher(state.settings)
    start = TEXT.index(SECRET)
    with state.sessions.begin() as session:
        integration = m.Integration(
            name="ws",
            base_url="http://127.0.0.1:9",
            workspace_id="ws-1",
            chatgpt_org_id="org-1",
            platform_org_id="org-2",
            key_last4="abcd",
        )
        session.add(integration)
        session.flush()
        iid = integration.id
        session.add(m.Conversation(integration_id=iid, conversation_id="c1", user_id="user-alice"))
        session.add(
            m.Message(
                integration_id=iid,
                message_id="m1",
                conversation_id="c1",
                role="user",
                text=TEXT,
                source="conversations",
                created_at=NOW - timedelta(hours=1),
            )
        )
        session.add(m.WorkspaceUser(integration_id=iid, user_id="user-alice", email="alice@corp.example"))
        record_alerts(
            session,
            [
                alert(
                    iid,
                    rule="secret.github_token",
                    item_id="m1",
                    start=start,
                    end=start + len(SECRET),
                    evidence="gh…2345",
                    value_hash=hasher(SECRET),
                    severity="critical",
                    observed_at=NOW - timedelta(hours=1),
                )
            ]
            + [
                alert(
                    iid,
                    rule="pii.phone",
                    item_id=f"x{i}",
                    subject_id=f"user-{i:02d}",
                    value_hash=f"p{i}",
                    severity="medium",
                    observed_at=NOW - timedelta(days=i),
                )
                for i in range(11)
            ]
            + [
                alert(
                    iid,
                    rule="agent.public_sharing",
                    item_kind="agent_config",
                    item_id="cfg",
                    start=0,
                    end=0,
                    subject_kind="agent",
                    subject_id="g-1",
                    agent_id="g-1",
                    evidence="anyone-with-link",
                    value_hash=None,
                    severity="high",
                    observed_at=NOW - timedelta(days=2),
                )
            ],
        )
        ids = {f.rule + ":" + f.subject_id: f.id for f in session.scalars(select(Finding))}
    return {
        "github": ids["secret.github_token:user-alice"],
        "sharing": ids["agent.public_sharing:g-1"],
        "phones": sorted(v for k, v in ids.items() if k.startswith("pii.phone")),
    }


def token_client(console: Console, role: str, scope: str) -> httpx.Client:
    _, secret = console.app.state.accounts.create_token(role, f"{role}-{scope}", [scope])
    return httpx.Client(base_url=console.base_url, headers={"Authorization": f"Bearer {secret}"}, timeout=30)


def audit_actions(console: Console) -> list[tuple[str, str | None, dict[str, Any]]]:
    entries, _ = console.app.state.audit.page(limit=200)
    return [(e.action, e.target, e.details) for e in entries]


ROUTES = [
    ("GET", "/api/findings", None),
    ("GET", "/api/findings/stats", None),
    ("GET", "/api/findings/1", None),
    ("GET", "/api/findings/1/alerts", None),
    ("POST", "/api/findings/1/resolve", {"resolution": "benign", "reason": "x"}),
    ("POST", "/api/findings/1/reopen", None),
    ("POST", "/api/findings/bulk-resolve", {"ids": [1], "resolution": "benign", "reason": "x"}),
    ("POST", "/api/findings/1/reveal", {"alert_id": 1}),
    ("POST", "/api/findings/1/exclude", {"alert_id": 1}),
]


def test_anonymous_is_401_and_read_scope_cannot_triage(console: Console, seeded: dict[str, Any]) -> None:
    with httpx.Client(base_url=console.base_url, timeout=30) as anonymous:
        for method, path, body in ROUTES:
            response = anonymous.request(method, path, json=body)
            assert response.status_code == 401, (method, path)
    with token_client(console, "analyst", "read") as reader, console.client("viewer") as viewer:
        for method, path, body in ROUTES:
            if method == "GET":
                assert reader.get(path).status_code == 200, path
                continue
            assert reader.request(method, path, json=body).status_code == 403, path
            denied = viewer.request(method, path, json=body)
            assert denied.status_code == 403 and "analyst role" in denied.text, path


def test_list_filters_sort_and_pagination(console: Console, seeded: dict[str, Any]) -> None:
    with token_client(console, "viewer", "read") as api:
        page = api.get("/api/findings", params={"limit": 5, "offset": 0, "sort": "severity"}).json()
        assert page["total"] == 13 and page["limit"] == 5 and len(page["items"]) == 5
        assert page["items"][0]["severity"] == "critical"
        rest = api.get("/api/findings", params={"limit": 5, "offset": 10}).json()
        assert len(rest["items"]) == 3 and rest["offset"] == 10
        seen = set()
        for offset in (0, 5, 10):
            seen |= {
                i["id"]
                for i in api.get("/api/findings", params={"limit": 5, "offset": offset}).json()["items"]
            }
        assert len(seen) == 13
        mine = api.get("/api/findings", params={"subject": "alice@corp.example"}).json()
        assert [i["rule"] for i in mine["items"]] == ["secret.github_token"]
        assert mine["items"][0]["subject"]["label"] == "alice@corp.example"
        by_agent = api.get("/api/findings", params={"agent": "g-1"}).json()
        assert [i["rule"] for i in by_agent["items"]] == ["agent.public_sharing"]
        several = api.get("/api/findings", params=[("severity", "critical"), ("severity", "high")]).json()
        assert several["total"] == 2
        recent = api.get(
            "/api/findings", params={"since": (NOW - timedelta(days=3)).date().isoformat(), "rule": "pii.*"}
        ).json()
        assert recent["total"] == 4  # phones seen 0, 1, 2 and 3 days ago
        assert api.get("/api/findings", params={"q": "gh…2345"}).json()["total"] == 1
        assert api.get("/api/findings", params={"group": "Agent Posture"}).json()["total"] == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"status": "closed"}, "status must be"),
        ({"severity": "urgent"}, "unknown severity"),
        ({"sort": "evidence"}, "cannot sort"),
        ({"order": "up"}, "asc or desc"),
        ({"since": "yesterday"}, "not a date"),
        ({"since": "2026-11-05", "until": "2026-11-01"}, "after the end"),
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_list_validation(
    console: Console, seeded: dict[str, Any], params: dict[str, Any], message: str
) -> None:
    with console.client("viewer") as client:
        response = client.get("/api/findings", params=params)
    assert response.status_code == 422 and message in response.text


def test_detail_alerts_and_404(console: Console, seeded: dict[str, Any]) -> None:
    with console.client("viewer") as client:
        detail = client.get(f"/api/findings/{seeded['github']}").json()
        assert (
            detail["rule_name"]
            and detail["security_context"]
            and detail["user"]["email"] == "alice@corp.example"
        )
        assert [a["evidence"] for a in detail["alerts"]] == ["gh…2345"]
        [ctx] = detail["context"]
        text = "".join(part["text"] for msg in ctx["messages"] for part in msg["segments"])
        assert SECRET not in text and "gh…2345" in text
        alerts = client.get(f"/api/findings/{seeded['github']}/alerts", params={"limit": 1}).json()
        assert alerts["total"] == 1 and alerts["items"][0]["span"][1] > alerts["items"][0]["span"][0]
        assert (
            client.get(f"/api/findings/{seeded['github']}/alerts", params={"offset": 1}).json()["items"] == []
        )
        assert client.get("/api/findings/999999").status_code == 404
        assert client.get("/api/findings/999999/alerts").status_code == 404
        assert client.get("/api/findings/abc").status_code == 422
        assert client.get("/api/findings/stats", params={"frame": "year"}).status_code == 422
        stats = client.get("/api/findings/stats", params={"frame": "all"}).json()
        assert (
            stats["active"] == 13
            and stats["open_by_severity"]["critical"] == 1
            and stats["open_by_severity"]["high"] == 1
        )


def test_reveal_is_audited_without_the_value(console: Console, seeded: dict[str, Any]) -> None:
    with console.client("analyst") as client:
        alert_id = client.get(f"/api/findings/{seeded['github']}").json()["alerts"][0]["id"]
        revealed = client.post(f"/api/findings/{seeded['github']}/reveal", json={"alert_id": alert_id})
        assert revealed.status_code == 200 and revealed.json()["value"] == SECRET
        assert revealed.headers["cache-control"] == "no-store"
        sharing_alert = client.get(f"/api/findings/{seeded['sharing']}").json()["alerts"][0]["id"]
        nothing = client.post(
            f"/api/findings/{seeded['sharing']}/reveal", json={"alert_id": sharing_alert}
        ).json()
        assert nothing["value"] is None and "no text span" in nothing["reason"]
        assert (
            client.post(
                f"/api/findings/{seeded['github']}/reveal", json={"alert_id": sharing_alert}
            ).status_code
            == 404
        )
        assert client.post(f"/api/findings/{seeded['github']}/reveal", json={}).status_code == 422
    entries = [e for e in audit_actions(console) if e[0] == "evidence.reveal"]
    assert any(
        d["alert_id"] == alert_id and d["finding_id"] == seeded["github"] and d["shown"]
        for _, _, d in entries
    )
    assert all(SECRET not in str(e) for e in audit_actions(console))


def test_resolve_reopen_and_bulk(console: Console, seeded: dict[str, Any]) -> None:
    fid = seeded["phones"][0]
    with token_client(console, "analyst", "act") as api:
        bad = api.post(f"/api/findings/{fid}/resolve", json={"resolution": "fixed", "reason": "x"})
        assert bad.status_code == 422 and "true-positive, benign or false-positive" in bad.text
        assert (
            api.post(f"/api/findings/{fid}/resolve", json={"resolution": "benign", "reason": ""}).status_code
            == 422
        )
        assert (
            api.post("/api/findings/999999/resolve", json={"resolution": "benign", "reason": "x"}).status_code
            == 404
        )
        done = api.post(
            f"/api/findings/{fid}/resolve", json={"resolution": "false-positive", "reason": "test number"}
        )
        assert done.status_code == 200
        assert done.json()["status"] == "resolved" and done.json()["resolution"] == "false_positive"
        assert done.json()["resolved_by"] == "analyst (token analyst-act)"
        reopened = api.post(f"/api/findings/{fid}/reopen").json()
        assert reopened["status"] == "open" and reopened["resolution"] is None
        assert api.post("/api/findings/999999/reopen").status_code == 404
        bulk_ids = seeded["phones"][1:4]
        assert (
            api.post(
                "/api/findings/bulk-resolve", json={"ids": [], "resolution": "benign", "reason": "x"}
            ).status_code
            == 422
        )
        assert (
            api.post(
                "/api/findings/bulk-resolve",
                json={"ids": [*bulk_ids, 999999], "resolution": "benign", "reason": "x"},
            ).status_code
            == 404
        )
        bulk = api.post(
            "/api/findings/bulk-resolve",
            json={"ids": bulk_ids, "resolution": "true-positive", "reason": "confirmed with the team"},
        )
        assert bulk.status_code == 200 and bulk.json() == {"resolved": sorted(bulk_ids)}
        states = {
            i["id"]: i["status"]
            for i in api.get("/api/findings", params={"rule": "pii.phone", "limit": 50}).json()["items"]
        }
        assert all(states[i] == "resolved" for i in bulk_ids) and states[fid] == "open"
    actions = audit_actions(console)
    assert ("finding.resolve", f"finding:{fid}") in [(a, t) for a, t, _ in actions]
    assert ("finding.reopen", f"finding:{fid}") in [(a, t) for a, t, _ in actions]
    bulk_entry = next(d for a, _, d in actions if a == "finding.bulk_resolve")
    assert bulk_entry["ids"] == sorted(bulk_ids) and bulk_entry["resolution"] == "true_positive"


def test_exclude_evidence_by_value_hash(console: Console, seeded: dict[str, Any]) -> None:
    with console.client("analyst") as client:
        detail = client.get(f"/api/findings/{seeded['github']}").json()
        alert_id = detail["alerts"][0]["id"]
        created = client.post(
            f"/api/findings/{seeded['github']}/exclude", json={"alert_id": alert_id, "note": "demo key"}
        )
        assert created.status_code == 201
        assert created.json()["scope_kind"] == "rule" and created.json()["scope_id"] == "secret.github_token"
        sharing_alert = client.get(f"/api/findings/{seeded['sharing']}").json()["alerts"][0]["id"]
        refused = client.post(f"/api/findings/{seeded['sharing']}/exclude", json={"alert_id": sharing_alert})
        assert refused.status_code == 422 and "ignore rule" in refused.text
        assert client.post("/api/findings/999999/exclude", json={"alert_id": alert_id}).status_code == 404
    with console.app.state.sessions() as session:
        row = session.get(Exclusion, created.json()["id"])
        assert (
            row is not None
            and row.kind == "value"
            and row.pattern == value_hasher(console.app.state.settings)(SECRET)
        )
    assert any(a == "exclusion.add" and d["alert_id"] == alert_id for a, _, d in audit_actions(console))
