"""Inventory pages on a synced emulator workspace: lists with filters/sort/paging, the user's explained risk,
the agent's versions and diff, and Mark reviewed (analyst, CSRF, audited)."""

from __future__ import annotations

import re

from web_live import Console


def changed_agents(console: Console) -> list[dict]:
    with console.client("viewer") as viewer:
        return viewer.get("/api/inventory/agents", params={"changed": "true", "sort": "name"}).json()["items"]


def test_users_list_filters_sorts_and_pages(populated: Console) -> None:
    with populated.client("viewer") as viewer:
        users = viewer.get("/api/inventory/users", params={"limit": 500}).json()["items"]
        page = viewer.get("/inventory/users")
        assert page.status_code == 200
        html = page.text
        assert 'href="/inventory/agents"' in html and 'aria-current="page">Users' in html
        for user in users:
            assert user["email"] in html
        # Riskiest first by default; the riskiest user's row comes before the least risky one.
        assert html.index(users[0]["email"]) < html.index(users[-1]["email"])
        assert f'href="/findings?subject={users[0]["user_id"]}&amp;status=open"' in html
        assert "?sort=email&amp;order=desc" in html  # sortable headers
        searched = viewer.get("/inventory/users", params={"q": users[-1]["email"][:6].upper()}).text
        assert users[-1]["email"] in searched
        none = viewer.get("/inventory/users", params={"q": "no-such-user-xyz"}).text
        assert "No user matches these filters" in none
        junk = viewer.get("/inventory/users", params={"min_risk": "lots"})  # ignored, not an error
        assert junk.status_code == 200 and users[0]["email"] in junk.text
        paged = viewer.get("/inventory/users", params={"per_page": 25, "page": 2}).text
        assert users[0]["email"] not in paged  # fewer than 25 users: page 2 is empty
        assert 'style="' not in html  # the CSP forbids inline styles


def test_user_page_explains_the_risk(populated: Console) -> None:
    with populated.client("viewer") as viewer:
        top = viewer.get("/api/inventory/users", params={"limit": 1}).json()["items"][0]
        detail = viewer.get(f"/api/inventory/users/{top['user_id']}").json()
        page = viewer.get(f"/inventory/users/{top['user_id']}")
        missing = viewer.get("/inventory/users/user-nope")
    assert page.status_code == 200
    html = page.text
    assert top["email"] in html and "Each counted finding" in html
    assert "exposure" in html and "volume" in html and "breadth" in html
    assert f"{top['risk_score']:.1f}" in html
    for finding in detail["risk"]["findings"]:
        assert f'href="/findings/{finding["finding_id"]}"' in html
    assert f"/findings?subject={top['user_id']}" in html
    assert "<svg" in html  # the contribution chart
    # The findings page (another view) filters on the link's subject: this user's open findings only.
    with populated.client("viewer") as viewer:
        linked = viewer.get("/findings", params={"subject": top["user_id"], "status": "open"}).text
        others = viewer.get("/api/inventory/users", params={"limit": 500}).json()["items"][1]
        other = viewer.get(f"/api/inventory/users/{others['user_id']}").json()["open_findings"]
    for finding in detail["open_findings"]:
        assert f'href="/findings/{finding["id"]}"' in linked
    assert other and all(f'href="/findings/{f["id"]}"' not in linked for f in other)
    assert 'style="' not in html
    assert missing.status_code == 404 and "user-nope" in missing.text


def test_agents_list_and_changed_filter(populated: Console) -> None:
    changed = changed_agents(populated)
    assert changed, "the emulator workspace has agents with several configuration versions"
    with populated.client("viewer") as viewer:
        html = viewer.get("/inventory/agents").text
        only_changed = viewer.get("/inventory/agents", params={"changed": "yes"}).text
        projects = viewer.get("/inventory/agents", params={"kind": "project"}).text
        bad = viewer.get("/inventory/agents", params={"sharing": "everyone"})
    assert 'aria-current="page">Agents' in html and "Posture findings" in html
    assert only_changed.count('class="badge inv-changed') == len(changed)
    assert "not reviewed</span>" not in only_changed
    assert 'class="badge kind-gpt"' not in projects and 'class="badge kind-project"' in projects
    assert bad.status_code == 422 and "sharing must be one of" in bad.text
    assert 'style="' not in html


def test_agent_page_diff_and_mark_reviewed(populated: Console) -> None:
    agent = changed_agents(populated)[0]
    url = f"/inventory/agents/{agent['agent_id']}"
    with populated.client("viewer") as viewer:
        seen = viewer.get(url).text
        assert "Mark reviewed" not in seen  # viewers cannot review
        assert (
            viewer.post(f"{url}/review", data={"csrf_token": viewer.headers["X-CSRF-Token"]}).status_code
            == 403
        )
    assert 'id="diff"' in seen and "Configuration versions" in seen and agent["latest_config_id"] in seen
    assert re.search(r'class="badge inv-changed[^"]*"', seen)
    versions = re.findall(r"\?from=([^&]+)&amp;to=([^#]+)#diff", seen)
    assert versions, "each later version links to its diff against the previous one"
    with populated.client("analyst") as analyst:
        page = analyst.get(url)
        assert "Mark reviewed" in page.text
        chosen = analyst.get(url, params={"from": versions[-1][0], "to": versions[-1][1]}).text
        assert "chosen version" in chosen or "last reviewed" in chosen
        wrong = analyst.get(url, params={"from": "nope"}).text
        assert "no version &#39;nope&#39;" in wrong and 'id="diff"' in wrong
        # A plain form post without the CSRF field is refused.
        analyst.headers.pop("X-CSRF-Token")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        assert analyst.post(f"{url}/review", data={"note": "x"}).status_code == 403
        done = analyst.post(
            f"{url}/review",
            data={
                "csrf_token": csrf.group(1),
                "config_id": agent["latest_config_id"],
                "note": "looked at it",
            },
        )
        assert done.status_code == 303 and done.headers["location"] == f"{url}?reviewed=1"
        after = analyst.get(done.headers["location"]).text
    assert "Marked reviewed" in after and 'class="badge inv-reviewed">reviewed' in after
    assert not re.search(r'class="badge inv-changed', after)
    assert "No change since the review" in after or "sharing compared" in after
    entries, _ = populated.app.state.audit.page(limit=20)
    assert any(e.action == "agent.mark_reviewed" and e.target == agent["agent_id"] for e in entries)
    with populated.client("viewer") as viewer:
        assert viewer.get("/inventory/agents/g-nope").status_code == 404


def test_empty_workspace_says_what_will_appear(console: Console) -> None:
    with console.client("viewer") as viewer:
        users = viewer.get("/inventory/users")
        agents = viewer.get("/inventory/agents")
        api = viewer.get("/api/inventory/agents").json()
    assert users.status_code == 200 and "No workspace users yet" in users.text
    assert agents.status_code == 200 and "No GPTs or projects yet" in agents.text
    assert 'href="/integrations"' in users.text
    assert api == {"items": [], "total": 0, "limit": 50, "offset": 0}
