"""``/api/policies``, ``/api/exclusions``, ``/api/ignore-rules``, ``/api/org-rules`` and ``/api/user-groups``:
anonymous 401, too-low role 403, validation 422, pagination, happy paths, audit entries, token scopes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from web_live import Console

from aiwatch.findings.models import Alert, Exclusion, PolicySetting
from aiwatch.store import models as m

READS = [
    ("GET", "/api/policies"),
    ("GET", "/api/exclusions"),
    ("GET", "/api/ignore-rules"),
    ("GET", "/api/org-rules"),
    ("GET", "/api/user-groups"),
    ("GET", "/api/user-groups/1"),
]
WRITES = [
    ("PATCH", "/api/policies/pii", {"status": "disabled"}),
    ("PATCH", "/api/policies/rules/pii.email", {"severity": "low"}),
    ("POST", "/api/policies/bulk", {"rule_ids": ["pii.email"], "status": "disabled"}),
    ("POST", "/api/exclusions", {"kind": "keyword", "value": "sandbox"}),
    ("DELETE", "/api/exclusions/1", None),
    ("POST", "/api/ignore-rules", {"rule": "pii.*", "target_kind": "everywhere"}),
    ("DELETE", "/api/ignore-rules/1", None),
    ("POST", "/api/org-rules", {"slug": "x", "kind": "keyword", "patterns": ["x"]}),
    ("POST", "/api/org-rules/custom.x/replay", None),
    ("POST", "/api/org-rules/custom.x/enable", None),
    ("POST", "/api/org-rules/custom.x/disable", None),
    ("DELETE", "/api/org-rules/custom.x", None),
    ("POST", "/api/user-groups", {"name": "G", "members": ["a@example.com"]}),
    ("PATCH", "/api/user-groups/1", {"name": "H"}),
    ("DELETE", "/api/user-groups/1", None),
]


def _integration(console: Console, name: str) -> int:
    with console.app.state.sessions.begin() as session:
        row = m.Integration(
            name=name,
            base_url="http://127.0.0.1:9/v1",
            workspace_id=f"ws-{name}",
            chatgpt_org_id="org-1",
            platform_org_id="org-2",
            key_last4="abcd",
        )
        session.add(row)
        session.flush()
        return row.id


def _audit_actions(console: Console) -> list[str]:
    entries, _ = console.app.state.audit.page(limit=200)
    return [e.action for e in entries]


@pytest.mark.parametrize(("method", "path", "body"), [(m_, p, None) for m_, p in READS] + WRITES)
def test_anonymous_requests_are_refused(console: Console, method: str, path: str, body: object) -> None:
    with console.client() as anonymous:
        response = anonymous.request(method, path, json=body)
    assert response.status_code == 401, (method, path, response.text)


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_changes_need_an_admin(console: Console, method: str, path: str, body: object) -> None:
    for role in ("viewer", "analyst"):
        with console.client(role) as client:
            assert client.request(method, path, json=body).status_code == 403, (role, method, path)


def test_read_token_reads_but_cannot_change(console: Console) -> None:
    _, token = console.app.state.accounts.create_token("admin", "policy-reader", ["read"])
    headers = {"Authorization": f"Bearer {token}"}
    with console.client() as client:
        tree = client.get("/api/policies", headers=headers)
        assert tree.status_code == 200
        patched = client.patch("/api/policies/rules/pii.email", json={"severity": "low"}, headers=headers)
        assert patched.status_code == 403
    _, admin_token = console.app.state.accounts.create_token("admin", "policy-admin", ["read", "admin"])
    with console.client() as client:
        done = client.patch(
            "/api/policies/rules/pii.ssn",
            json={"severity": "critical"},
            headers={"Authorization": f"Bearer {admin_token}"},
        )
        assert done.status_code == 200 and done.json()["severity"] == "critical"


def test_policy_tree_and_rule_and_policy_patches(console: Console) -> None:
    with console.client("admin") as admin:
        groups = admin.get("/api/policies").json()["groups"]
        names = [g["group"] for g in groups]
        assert {"Data Exposure", "AI Attacks", "AI Misuse"} <= set(names)
        pii = next(p for g in groups for p in g["policies"] if p["id"] == "pii")
        email = next(r for r in pii["rules"] if r["id"] == "pii.email")
        assert email["meaning"] and email["security_context"] and email["status"] == "enabled"

        rule = admin.patch(
            "/api/policies/rules/pii.email",
            json={"status": "disabled", "severity": "critical", "sensitivity": "high"},
        )
        assert rule.status_code == 200, rule.text
        body = rule.json()
        assert (body["status"], body["severity"], body["sensitivity"]) == ("disabled", "critical", "high")
        assert body["override"]["updated_by"] == "admin"
        back = admin.patch("/api/policies/rules/pii.email", json={"status": "default", "severity": "default"})
        assert back.json()["status"] == "enabled" and back.json()["severity"] == email["default_severity"]

        iid = _integration(console, "scope-ws")
        policy = admin.patch("/api/policies/health", json={"scope": {"integrations": ["scope-ws"]}})
        assert policy.status_code == 200, policy.text
        assert policy.json()["override"]["scope"] == {"integrations": [str(iid)]}
        cleared = admin.patch("/api/policies/health", json={"scope": {}})
        assert cleared.json()["override"]["scope"] == {}
    assert "policy.update" in _audit_actions(console)


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        ("/api/policies/rules/pii.email", {"severity": "urgent"}, "critical"),
        ("/api/policies/rules/pii.email", {"status": "off"}, "enabled"),
        ("/api/policies/rules/pii.email", {}, "nothing to change"),
        ("/api/policies/pii", {"scope": {"integrations": ["no-such-ws"]}}, "unknown integration"),
        ("/api/policies/pii", {"scope": {"groups": ["999"]}}, "unknown user group"),
        ("/api/policies/pii", {"scope": {"planets": ["mars"]}}, "planets"),
    ],
)
def test_patch_validation(console: Console, path: str, body: dict[str, object], message: str) -> None:
    with console.client("admin") as admin:
        response = admin.patch(path, json=body)
    assert response.status_code == 422 and message in response.text, response.text


def test_unknown_rule_or_policy_is_404(console: Console) -> None:
    with console.client("admin") as admin:
        assert admin.patch("/api/policies/rules/secret.nope", json={"status": "disabled"}).status_code == 404
        assert admin.patch("/api/policies/nope", json={"status": "disabled"}).status_code == 404


def test_bulk_sets_many_rules_or_none(console: Console) -> None:
    with console.client("admin") as admin:
        bad = admin.post(
            "/api/policies/bulk", json={"rule_ids": ["pii.phone", "secret.nope"], "status": "disabled"}
        )
        assert bad.status_code == 422 and "secret.nope" in bad.json()["detail"]
        assert admin.post("/api/policies/bulk", json={"rule_ids": []}).status_code == 422
        nothing = admin.post("/api/policies/bulk", json={"rule_ids": ["pii.phone"]})
        assert nothing.status_code == 422 and "choose" in nothing.json()["detail"]
        done = admin.post(
            "/api/policies/bulk", json={"rule_ids": ["pii.phone", "pii.address"], "severity": "low"}
        )
        assert done.status_code == 200 and done.json()["updated"] == ["pii.phone", "pii.address"]
        rules = {
            r["id"]: r
            for g in admin.get("/api/policies").json()["groups"]
            for p in g["policies"]
            for r in p["rules"]
        }
    assert rules["pii.phone"]["severity"] == "low" and rules["pii.address"]["severity"] == "low"
    assert rules["pii.phone"]["status"] == "enabled"  # the failed bulk changed nothing
    assert "policy.bulk_update" in _audit_actions(console)


def test_exclusions_crud_hash_only_and_suppression_counts(console: Console) -> None:
    iid = _integration(console, "excl-ws")
    with console.client("admin") as admin:
        bad = admin.post("/api/exclusions", json={"kind": "regex", "value": "(unclosed"})
        assert bad.status_code == 422 and "invalid regular expression" in bad.json()["detail"]
        assert admin.post("/api/exclusions", json={"kind": "glob", "value": "x"}).status_code == 422
        scoped = admin.post("/api/exclusions", json={"kind": "keyword", "value": "x", "scope_kind": "rule"})
        assert scoped.status_code == 422
        secret = "AKIAEXAMPLESECRET123"
        value = admin.post("/api/exclusions", json={"kind": "value", "value": secret, "note": "test key"})
        assert value.status_code == 201, value.text
        assert secret not in value.text and len(value.json()["pattern"]) == 64
        keyword = admin.post(
            "/api/exclusions",
            json={"kind": "keyword", "value": "sandbox", "scope_kind": "policy", "scope_id": "pii"},
        )
        assert keyword.status_code == 201
        with console.app.state.sessions.begin() as session:
            assert secret not in {e.pattern for e in session.scalars(select(Exclusion))}
            for n in range(3):
                session.add(
                    Alert(
                        integration_id=iid,
                        rule="pii.email",
                        item_kind="message",
                        item_id=f"m-{n}",
                        subject_kind="user",
                        subject_id="user-1",
                        start=0,
                        end=1,
                        evidence="x",
                        score=0.9,
                        severity="low",
                        observed_at=datetime(2026, 11, 1, tzinfo=UTC),
                        suppressed_by=f"exclusion:{keyword.json()['id']}",
                    )
                )
        listed = admin.get("/api/exclusions").json()
        counts = {e["id"]: e["suppressed"] for e in listed["items"]}
        assert counts[keyword.json()["id"]] == 3 and counts[value.json()["id"]] == 0
        page = admin.get("/api/exclusions", params={"limit": 1, "offset": 1}).json()
        assert (page["total"], page["limit"], page["offset"], len(page["items"])) == (
            listed["total"],
            1,
            1,
            1,
        )
        assert admin.get("/api/exclusions", params={"limit": 0}).status_code == 422
        assert admin.delete(f"/api/exclusions/{value.json()['id']}").status_code == 204
        assert admin.delete(f"/api/exclusions/{value.json()['id']}").status_code == 404
    entries, _ = console.app.state.audit.page(limit=200)
    assert all(secret not in str(e.details) for e in entries)
    assert {"exclusion.add", "exclusion.remove"} <= {e.action for e in entries}


def test_ignore_rules_crud(console: Console) -> None:
    with console.client("admin") as admin:
        missing_id = admin.post("/api/ignore-rules", json={"rule": "pii.*", "target_kind": "agent"})
        assert missing_id.status_code == 422 and "needs its id" in missing_id.json()["detail"]
        assert (
            admin.post("/api/ignore-rules", json={"rule": "pii.*", "target_kind": "planet"}).status_code
            == 422
        )
        created = admin.post(
            "/api/ignore-rules", json={"rule": "pii.email", "target_kind": "agent", "target_id": "g-hr"}
        )
        assert created.status_code == 201 and created.json()["suppressed"] == 0
        listed = admin.get("/api/ignore-rules", params={"limit": 500}).json()
        assert created.json()["id"] in {i["id"] for i in listed["items"]}
        assert admin.delete(f"/api/ignore-rules/{created.json()['id']}").status_code == 204
        assert admin.delete("/api/ignore-rules/9999").status_code == 404
    assert {"ignore.add", "ignore.remove"} <= set(_audit_actions(console))


def test_org_rules_draft_replay_enable_disable_delete(console: Console) -> None:
    with console.client("admin") as admin:
        bad = admin.post("/api/org-rules", json={"slug": "Bad Slug", "kind": "keyword", "patterns": ["x"]})
        assert bad.status_code == 422 and "slug" in bad.json()["detail"]
        bad_regex = admin.post("/api/org-rules", json={"slug": "broken", "kind": "regex", "patterns": ["(x"]})
        assert bad_regex.status_code == 422 and "does not compile" in bad_regex.json()["detail"]
        created = admin.post(
            "/api/org-rules",
            json={
                "slug": "falcon",
                "name": "Falcon",
                "kind": "keyword",
                "patterns": ["falcon"],
                "severity": "high",
            },
        )
        assert created.status_code == 201 and created.json()["status"] == "draft"
        assert (
            admin.post(
                "/api/org-rules", json={"slug": "falcon", "kind": "keyword", "patterns": ["f"]}
            ).status_code
            == 422
        )
        replay = admin.post("/api/org-rules/custom.falcon/replay", params={"max_items": 10})
        assert replay.status_code == 200 and replay.json()["rule"] == "custom.falcon"
        assert admin.post("/api/org-rules/custom.falcon/replay", params={"max_seconds": 0}).status_code == 422
        assert admin.post("/api/org-rules/custom.nope/replay").status_code == 404
        assert admin.post("/api/org-rules/custom.falcon/enable").json()["status"] == "enabled"
        tree = admin.get("/api/policies").json()["groups"]
        org = next(p for g in tree for p in g["policies"] if p["id"] == "organisation")
        assert org["rules"][0]["id"] == "custom.falcon" and org["rules"][0]["status"] == "enabled"
        assert admin.post("/api/org-rules/custom.falcon/disable").json()["status"] == "disabled"
        assert admin.get("/api/org-rules").json()["total"] == 1
        assert admin.delete("/api/org-rules/custom.falcon").status_code == 204
        assert admin.delete("/api/org-rules/custom.falcon").status_code == 404
    actions = set(_audit_actions(console))
    assert {"org_rule.add", "org_rule.enable", "org_rule.disable", "org_rule.delete"} <= actions


def test_user_groups_crud_members_and_scope(console: Console) -> None:
    iid = _integration(console, "groups-ws")
    with console.app.state.sessions.begin() as session:
        session.add(m.WorkspaceUser(integration_id=iid, user_id="u-1", email="ann@finance.example.com"))
        session.add(m.WorkspaceUser(integration_id=iid, user_id="u-2", email="bob@example.com"))
    with console.client("admin") as admin:
        bad = admin.post("/api/user-groups", json={"name": "Finance", "members": ["not an email"]})
        assert bad.status_code == 422 and "not an email" in bad.json()["detail"]
        assert (
            admin.post("/api/user-groups", json={"name": "", "members": ["a@example.com"]}).status_code == 422
        )
        created = admin.post(
            "/api/user-groups", json={"name": "Finance", "members": ["*@finance.example.com"]}
        )
        assert created.status_code == 201, created.text
        group = created.json()
        assert group["members"] == 1 and group["patterns"] == ["*@finance.example.com"]
        assert (
            admin.post("/api/user-groups", json={"name": "Finance", "members": ["a@example.com"]}).status_code
            == 422
        )
        gid = group["id"]
        patched = admin.patch(
            f"/api/user-groups/{gid}", json={"members": ["*@finance.example.com", "bob@example.com"]}
        )
        assert patched.status_code == 200 and patched.json()["members"] == 2
        scoped = admin.patch("/api/policies/rules/pii.email", json={"scope": {"groups": [str(gid)]}})
        assert scoped.status_code == 200 and scoped.json()["override"]["scope"] == {"groups": [str(gid)]}
        assert admin.get(f"/api/user-groups/{gid}").json()["used_by"] == ["rule:pii.email"]
        assert admin.get("/api/user-groups", params={"limit": 1}).json()["limit"] == 1
        assert admin.get("/api/user-groups/9999").status_code == 404
        assert admin.patch("/api/user-groups/9999", json={"name": "x"}).status_code == 404
        assert admin.delete(f"/api/user-groups/{gid}").status_code == 204
        assert admin.get(f"/api/user-groups/{gid}").status_code == 404
    with console.app.state.sessions() as session:
        setting = session.scalar(
            select(PolicySetting).where(
                PolicySetting.target_kind == "rule", PolicySetting.target_id == "pii.email"
            )
        )
        assert setting is not None and "groups" not in (setting.scope or {})
    assert {"user_group.create", "user_group.update", "user_group.delete"} <= set(_audit_actions(console))
