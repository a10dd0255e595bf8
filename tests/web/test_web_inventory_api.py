"""``/api/inventory`` on a synced emulator workspace: roles, 404, 422, pagination, risk breakdown, versions,
diffs (secrets masked) and the audited review mark."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from web_live import Console

ROUTES = [
    ("GET", "/api/inventory/users"),
    ("GET", "/api/inventory/users/{user}"),
    ("GET", "/api/inventory/agents"),
    ("GET", "/api/inventory/agents/{agent}"),
    ("GET", "/api/inventory/agents/{agent}/versions"),
    ("GET", "/api/inventory/agents/{agent}/diff"),
    ("POST", "/api/inventory/agents/{agent}/review"),
]


def bearer(console: Console, username: str, scope: str) -> httpx.Client:
    _info, token = console.app.state.accounts.create_token(username, f"inv-{username}-{scope}", [scope])
    return httpx.Client(base_url=console.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def some_ids(console: Console) -> tuple[str, str]:
    with console.client("viewer") as viewer:
        user = viewer.get("/api/inventory/users", params={"limit": 1}).json()["items"][0]["user_id"]
        agent = viewer.get("/api/inventory/agents", params={"limit": 1}).json()["items"][0]["agent_id"]
    return user, agent


def planted_config_secrets(console: Console) -> list[str]:
    """Secret values the emulator planted in GPT and project instructions."""
    return [
        label.value
        for label in console.labels
        if label.location.get("kind") in ("gpt_config", "project_config") and label.rule.startswith("secret.")
    ]


def test_every_route_needs_a_principal_and_review_needs_act(populated: Console) -> None:
    user, agent = some_ids(populated)
    with populated.client() as anonymous:
        for method, path in ROUTES:
            response = anonymous.request(method, path.format(user=user, agent=agent))
            assert response.status_code == 401, (method, path)
            assert response.headers["www-authenticate"] == "Bearer"
    review = f"/api/inventory/agents/{agent}/review"
    with populated.client("viewer") as viewer:
        assert viewer.post(review, json={}).status_code == 403
    with bearer(populated, "analyst", "read") as read_only:
        assert read_only.get("/api/inventory/agents").status_code == 200
        assert read_only.post(review, json={}).status_code == 403


def test_validation_and_unknown_ids(populated: Console) -> None:
    _user, agent = some_ids(populated)
    with populated.client("analyst") as client:
        for path in (
            "/api/inventory/users",
            "/api/inventory/agents",
            f"/api/inventory/agents/{agent}/versions",
        ):
            assert client.get(path, params={"limit": 0}).status_code == 422, path
            assert client.get(path, params={"offset": -1}).status_code == 422, path
            assert client.get(path, params={"limit": 501}).status_code == 422, path
        bad_sort = client.get("/api/inventory/users", params={"sort": "bogus"})
        assert (
            bad_sort.status_code == 422
            and "risk, email, name, findings, last_active" in bad_sort.json()["detail"]
        )
        assert client.get("/api/inventory/users", params={"min_risk": 101}).status_code == 422
        kind = client.get("/api/inventory/agents", params={"kind": "bot"})
        assert kind.status_code == 422 and "gpt, project" in kind.json()["detail"]
        assert client.get("/api/inventory/agents", params={"sharing": "all"}).status_code == 422
        assert client.get("/api/inventory/agents", params={"order": "up"}).status_code == 422
        diff = client.get(f"/api/inventory/agents/{agent}/diff", params={"from": "cfg-nope"})
        assert diff.status_code == 422 and "known:" in diff.json()["detail"]
        review = client.post(f"/api/inventory/agents/{agent}/review", json={"config_id": "cfg-nope"})
        assert review.status_code == 422 and "cfg-nope" in review.json()["detail"]
        assert (
            client.post(f"/api/inventory/agents/{agent}/review", json={"note": "x" * 2001}).status_code == 422
        )
        for path in (
            "/api/inventory/users/user-nope",
            "/api/inventory/agents/g-nope",
            "/api/inventory/agents/g-nope/versions",
            "/api/inventory/agents/g-nope/diff",
        ):
            response = client.get(path)
            assert response.status_code == 404 and "nope" in response.json()["detail"], path
        assert client.post("/api/inventory/agents/g-nope/review", json={}).status_code == 404


def test_users_pagination_sort_and_detail_with_risk_breakdown(populated: Console) -> None:
    with populated.client("viewer") as client:
        everything = client.get("/api/inventory/users", params={"limit": 500}).json()
        total = everything["total"]
        assert total >= 3 and len(everything["items"]) == total
        scores = [u["risk_score"] or 0 for u in everything["items"]]
        assert scores == sorted(scores, reverse=True)
        page = client.get("/api/inventory/users", params={"limit": 2, "offset": 1}).json()
        assert (page["limit"], page["offset"], page["total"]) == (2, 1, total)
        assert [u["user_id"] for u in page["items"]] == [u["user_id"] for u in everything["items"][1:3]]
        by_email = client.get("/api/inventory/users", params={"sort": "email", "order": "asc"}).json()[
            "items"
        ]
        assert [u["email"] for u in by_email] == sorted(u["email"] for u in by_email)
        top = everything["items"][0]
        one = client.get("/api/inventory/users", params={"q": top["email"].upper()}).json()
        assert [u["user_id"] for u in one["items"]] == [top["user_id"]]
        detail = client.get(f"/api/inventory/users/{top['user_id']}").json()
    assert detail["user"]["email"] == top["email"] and detail["user"]["open_findings"] == top["open_findings"]
    risk: dict[str, Any] = detail["risk"]
    assert risk["score"] == pytest.approx(top["risk_score"], abs=0.05)
    assert [t["term"] for t in risk["terms"]] == ["exposure", "volume", "breadth"]
    assert sum(t["contribution"] for t in risk["terms"]) == pytest.approx(risk["score"], abs=0.05)
    assert sum(f["points"] for f in risk["findings"]) == pytest.approx(
        risk["terms"][0]["contribution"], abs=0.1
    )
    assert risk["formula"]["severity_weight"]["critical"] == 40.0
    assert {f["id"] for f in detail["open_findings"]} <= {f["finding_id"] for f in risk["findings"]}


def test_agents_versions_and_masked_diff(populated: Console) -> None:
    secrets = planted_config_secrets(populated)
    assert secrets, "the emulator plants secrets in GPT/project instructions"
    with populated.client("viewer") as client:
        listing = client.get("/api/inventory/agents", params={"limit": 500}).json()
        assert listing["total"] == len(listing["items"]) >= 3
        changed = client.get("/api/inventory/agents", params={"changed": "true"}).json()["items"]
        assert changed and all(a["changed"] and a["versions"] > 1 for a in changed)
        page = client.get("/api/inventory/agents", params={"limit": 1, "offset": 1, "sort": "name"}).json()
        assert page["total"] == listing["total"] and len(page["items"]) == 1
        texts = []
        for agent in listing["items"]:
            detail = client.get(f"/api/inventory/agents/{agent['agent_id']}")
            versions = client.get(f"/api/inventory/agents/{agent['agent_id']}/versions").json()
            assert versions["total"] == agent["versions"] == len(detail.json()["versions"])
            texts.append(detail.text)
            if agent["versions"]:
                oldest = versions["items"][-1]["config_id"]
                diff = client.get(f"/api/inventory/agents/{agent['agent_id']}/diff", params={"from": oldest})
                assert diff.status_code == 200 and diff.json()["from_config_id"] == oldest
                texts.append(diff.text)
        paged = client.get(f"/api/inventory/agents/{changed[0]['agent_id']}/versions", params={"limit": 1})
        assert len(paged.json()["items"]) == 1 and paged.json()["total"] == changed[0]["versions"]
    everything = "\n".join(texts)
    for secret in secrets:
        assert secret not in everything
    assert "[secret." in everything  # the planted secrets are there, masked


def test_review_clears_changed_and_is_audited(populated: Console) -> None:
    with populated.client("viewer") as viewer:
        changed = viewer.get("/api/inventory/agents", params={"changed": "true", "sort": "name"}).json()[
            "items"
        ]
    agent = changed[-1]
    with bearer(populated, "analyst", "act") as analyst:
        response = analyst.post(f"/api/inventory/agents/{agent['agent_id']}/review", json={"note": "checked"})
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["config_id"] == agent["latest_config_id"] and body["reviewed_by"] == "analyst"
        after = analyst.get(f"/api/inventory/agents/{agent['agent_id']}").json()["agent"]
        assert not after["changed"] and after["reviewed_config_id"] == agent["latest_config_id"]
        diff = analyst.get(f"/api/inventory/agents/{agent['agent_id']}/diff").json()
        assert diff["base"] == "reviewed" and diff["unchanged"]
    entries, _total = populated.app.state.audit.page(limit=20)
    entry = next(e for e in entries if e.action == "agent.mark_reviewed" and e.target == agent["agent_id"])
    assert entry.details["config_id"] == agent["latest_config_id"] and entry.actor.startswith("analyst")
