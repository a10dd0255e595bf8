"""REST API of alerts and the explorer: roles and token scopes, validation, pagination, audit."""

from __future__ import annotations

import httpx
import pytest
from web_live import Console

from aiwatch.store import models as m


def _token(console: Console, username: str, scope: str) -> dict[str, str]:
    _info, token = console.app.state.accounts.create_token(username, f"{username}-{scope}", [scope])
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def tokens(populated: Console) -> dict[str, dict[str, str]]:
    return {"read": _token(populated, "viewer", "read"), "act": _token(populated, "analyst", "act")}


def _api(console: Console, headers: dict[str, str] | None = None) -> httpx.Client:
    return httpx.Client(base_url=console.base_url, headers=headers or {}, timeout=60)


ROUTES = ["/api/alerts", "/api/alerts/stats", "/api/explorer/messages", "/api/explorer/usage"]


def test_anonymous_is_401_and_read_scope_is_403_on_message_bodies(
    populated: Console, tokens: dict[str, dict[str, str]]
) -> None:
    with _api(populated) as anonymous:
        for path in [*ROUTES, "/api/explorer/conversations/1"]:
            assert anonymous.get(path).status_code == 401, path
    with _api(populated, tokens["read"]) as reader:
        assert reader.get("/api/alerts").status_code == 200
        assert reader.get("/api/alerts/stats").status_code == 200
        assert reader.get("/api/explorer/usage").status_code == 200
        denied = reader.get("/api/explorer/messages")
        assert denied.status_code == 403 and "analyst" in denied.json()["detail"]
        assert reader.get("/api/explorer/conversations/1").status_code == 403
    with populated.client("viewer") as session_viewer:
        assert session_viewer.get("/api/explorer/messages").status_code == 403


def test_validation_is_422_with_a_reason(populated: Console, tokens: dict[str, dict[str, str]]) -> None:
    with _api(populated, tokens["act"]) as client:
        assert client.get("/api/alerts/stats", params={"frame": "1y"}).status_code == 422
        assert client.get("/api/explorer/usage", params={"frame": "week"}).status_code == 422
        assert client.get("/api/alerts", params={"limit": 0}).status_code == 422
        assert client.get("/api/alerts", params={"limit": 501}).status_code == 422
        assert client.get("/api/alerts", params={"since": "yesterday"}).status_code == 422
        window = client.get("/api/alerts", params={"since": "2026-12-02", "until": "2026-12-01"})
        assert window.status_code == 422 and "since" in window.json()["detail"]
        role = client.get("/api/explorer/messages", params={"role": "robot"})
        assert role.status_code == 422 and "author role" in role.json()["detail"]
        assert client.get("/api/explorer/messages", params={"q": "x" * 201}).status_code == 422
        assert client.get("/api/explorer/conversations/abc").status_code == 422
        assert client.get("/api/explorer/conversations/999999").status_code == 404


def test_alerts_list_filters_and_pages(populated: Console, tokens: dict[str, dict[str, str]]) -> None:
    with _api(populated, tokens["read"]) as client:
        everything = client.get("/api/alerts", params={"limit": 500}).json()
        total = everything["total"]
        assert total == len(everything["items"]) > 10
        first = client.get("/api/alerts", params={"limit": 4}).json()
        second = client.get("/api/alerts", params={"limit": 4, "offset": 4}).json()
        assert (first["limit"], first["offset"], second["offset"]) == (4, 0, 4)
        assert [a["id"] for a in first["items"] + second["items"]] == [
            a["id"] for a in everything["items"][:8]
        ]
        sample = everything["items"][0]
        assert set(sample) >= {
            "rule",
            "policy",
            "group",
            "evidence",
            "subject",
            "finding_id",
            "suppression_reason",
        }
        by_rule = client.get("/api/alerts", params={"rule": sample["rule"], "limit": 500}).json()
        assert by_rule["total"] == sum(a["rule"] == sample["rule"] for a in everything["items"])
        by_policy = client.get("/api/alerts", params={"policy": sample["policy"], "limit": 500}).json()
        assert {a["policy"] for a in by_policy["items"]} == {sample["policy"]}
        by_group = client.get("/api/alerts", params={"group": sample["group"], "limit": 500}).json()
        assert by_group["total"] >= by_policy["total"]
        subject = client.get("/api/alerts", params={"subject": sample["subject"]["id"], "limit": 500}).json()
        assert {a["subject"]["id"] for a in subject["items"]} == {sample["subject"]["id"]}
        assert client.get("/api/alerts", params={"suppressed": True}).json()["total"] == sum(
            a["suppressed_by"] is not None for a in everything["items"]
        )
        assert client.get("/api/alerts", params={"since": "2100-01-01T00:00:00Z"}).json()["total"] == 0


def test_alert_stats_match_the_list(populated: Console, tokens: dict[str, dict[str, str]]) -> None:
    with _api(populated, tokens["read"]) as client:
        stats = client.get("/api/alerts/stats", params={"frame": "90d"}).json()
        listed = client.get(
            "/api/alerts", params={"since": stats["since"], "until": stats["until"], "suppressed": False}
        )
    assert stats["frame"] == "90d" and len(stats["totals"]["per_day"]) in (90, 91)
    assert stats["totals"]["alerts"] == listed.json()["total"]
    assert sum(p["alerts"] for p in stats["policies"]) == stats["totals"]["alerts"]
    policy = stats["policies"][0]
    assert sum(r["alerts"] for r in policy["rules"]) == policy["alerts"]
    assert sum(d["alerts"] for d in policy["per_day"]) == policy["alerts"]


def test_message_search_and_conversation_are_audited(
    populated: Console, tokens: dict[str, dict[str, str]]
) -> None:
    label = next(item for item in populated.labels if item.location.get("kind") == "message")
    with _api(populated, tokens["act"]) as client:
        found = client.get("/api/explorer/messages", params={"q": label.value}).json()
        assert found["total"] >= 1 and not found["capped"]
        hit = found["items"][0]
        # The planted value is detected: the snippet marks the match but shows its mask, never the value.
        assert hit["snippet"]["match"] and hit["finding_ids"]
        assert label.value.lower() not in str(found).lower()
        page = client.get("/api/explorer/messages", params={"limit": 5, "offset": 5}).json()
        assert (page["limit"], page["offset"], len(page["items"])) == (5, 5, 5)
        conversation = client.get(f"/api/explorer/conversations/{hit['conversation']['id']}").json()
        assert conversation["conversation_id"] == label.location["conversation_id"]
        assert any(msg["message_id"] == label.location["message_id"] for msg in conversation["messages"])
        assert conversation["findings"]
        assert label.value not in str(conversation)  # masked in the text; the reveal is on the finding
    entry = populated.app.state.audit.page(limit=1)[0][0]
    assert entry.action == "conversation.view" and entry.actor == "analyst (token analyst-act)"
    assert (
        entry.target == f"conversation:{label.location['conversation_id']}" and entry.details["via"] == "api"
    )


def test_usage(populated: Console, tokens: dict[str, dict[str, str]]) -> None:
    with _api(populated, tokens["read"]) as client:
        usage = client.get("/api/explorer/usage", params={"frame": "90d"}).json()
    with populated.app.state.sessions() as session:
        stored = session.query(m.Message).count()
    assert 0 < usage["messages"] <= stored
    assert sum(day["messages"] for day in usage["per_day"]) == usage["messages"]
    assert usage["top_users"][0]["messages"] >= usage["top_users"][-1]["messages"]
    assert usage["active_users"] >= len(usage["top_users"]) > 0


def test_openapi_tags(populated: Console, tokens: dict[str, dict[str, str]]) -> None:
    with _api(populated, tokens["read"]) as client:
        paths = client.get("/api/openapi.json").json()["paths"]
    assert paths["/api/alerts"]["get"]["tags"] == ["alerts"]
    assert paths["/api/alerts/stats"]["get"]["tags"] == ["alerts"]
    assert paths["/api/explorer/messages"]["get"]["tags"] == ["explorer"]
    assert paths["/api/explorer/conversations/{conversation_id}"]["get"]["tags"] == ["explorer"]
