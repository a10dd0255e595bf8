"""The policies pages: everyone reads, only admins change (audited); htmx edit partials; bulk edit;
exclusions, ignore rules, organisation rules with replay, user groups; open-finding counts (populated)."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import select
from web_live import Console

from aiwatch.findings import manage
from aiwatch.findings.manage import open_finding_counts
from aiwatch.findings.models import Exclusion
from aiwatch.store import models as m

HTMX = {"HX-Request": "true"}
PAGES = [
    "/policies",
    "/policies/exclusions",
    "/policies/ignore-rules",
    "/policies/org-rules",
    "/policies/groups",
    "/policies/rule/pii.email",
    "/policies/policy/pii/section",
]


def _alerts(response: httpx.Response, kind: str) -> list[str]:
    return re.findall(rf'class="alert {kind}"[^>]*>([^<]*)<', response.text)


def _actions(console: Console) -> list[str]:
    entries, _ = console.app.state.audit.page(limit=200)
    return [e.action for e in entries]


def test_every_role_reads_and_only_admins_see_edit_controls(console: Console) -> None:
    for role in ("viewer", "analyst", "admin"):
        with console.client(role) as client:
            for path in PAGES:
                response = client.get(path)
                assert response.status_code == 200, (role, path)
                editable = "Edit</button>" in response.text or 'class="primary"' in response.text
                assert editable == (role == "admin"), (role, path)
    with console.client() as anonymous:
        assert anonymous.get("/policies").status_code in (303, 307)


def test_changes_are_refused_below_admin_and_without_csrf(console: Console) -> None:
    posts = [
        ("/policies/rule/pii.email", {"severity": "low"}),
        ("/policies/policy/pii", {"status": "disabled"}),
        ("/policies/bulk", {"rule_ids": "pii.email", "status": "disabled"}),
        ("/policies/exclusions", {"kind": "keyword", "value": "x"}),
        ("/policies/ignore-rules", {"rule": "pii.*", "target_kind": "everywhere"}),
        ("/policies/org-rules", {"slug": "x", "kind": "keyword", "patterns": "x"}),
        ("/policies/groups", {"name": "G", "members": "a@example.com"}),
    ]
    for role in ("viewer", "analyst"):
        with console.client(role) as client:
            for path, data in posts:
                assert client.post(path, data=data).status_code == 403, (role, path)
            assert client.get("/policies/rule/pii.email/edit").status_code == 403
    with console.client("admin") as admin:
        del admin.headers["X-CSRF-Token"]
        assert admin.post("/policies/rule/pii.email", data={"severity": "low"}).status_code == 403


def test_inline_rule_edit_returns_the_policy_section(console: Console) -> None:
    with console.client("admin") as admin:
        form = admin.get("/policies/rule/pii.phone/edit", headers=HTMX)
        assert form.status_code == 200 and 'data-testid="rule-form"' in form.text
        assert form.text.lstrip().startswith('<div class="pol-policy" id="policy-pii">')
        saved = admin.post(
            "/policies/rule/pii.phone",
            data={"status": "disabled", "severity": "critical", "sensitivity": "default"},
            headers=HTMX,
        )
        assert saved.status_code == 200 and "Phone number saved" in saved.text
        row = re.search(r'<tr id="rule-pii-phone" data-rule="pii.phone">(.*?)</tr>', saved.text, re.S)
        assert row is not None and "disabled" in row.group(1) and "sev-critical" in row.group(1)
        bad = admin.post("/policies/rule/pii.phone", data={"scope_integrations": "424242"}, headers=HTMX)
        assert (
            bad.status_code == 422
            and "unknown integration" in bad.text
            and 'data-testid="rule-form"' in bad.text
        )
        policy = admin.post("/policies/policy/health", data={"sensitivity": "high"}, headers=HTMX)
        assert policy.status_code == 200 and "Policy saved" in policy.text
        plain = admin.post("/policies/policy/health", data={"sensitivity": "balanced"})
        assert plain.status_code == 303 and plain.headers["location"].startswith("/policies")
        detail = admin.post("/policies/rule/pii.ssn", data={"severity": "low"})
        assert (
            detail.status_code == 200 and _alerts(detail, "ok") and "US Social Security number" in detail.text
        )
        assert admin.get("/policies/rule/secret.nope").status_code == 404
    assert _actions(console).count("policy.update") >= 4


def test_bulk_edit_and_filters(console: Console) -> None:
    with console.client("admin") as admin:
        done = admin.post(
            "/policies/bulk",
            data={"rule_ids": ["health.diagnosis", "health.insurance_id"], "status": "disabled"},
        )
        assert done.status_code == 200 and _alerts(done, "ok")[0].startswith("2 rules updated")
        assert admin.post("/policies/bulk", data={"status": "disabled"}).status_code == 422
        filtered = admin.get("/policies", params={"group": "Data Exposure", "status": "disabled"})
        rules = re.findall(r'data-rule="([^"]+)"', filtered.text)
        assert {"health.diagnosis", "health.insurance_id"} <= set(rules)
        assert all(not r.startswith("attack.") for r in rules)
        searched = admin.get("/policies", params={"q": "iban"})
        assert re.findall(r'data-rule="([^"]+)"', searched.text) == ["financial.iban"]
    assert "policy.bulk_update" in _actions(console)


def test_exclusion_forms_validate_and_never_keep_a_value(console: Console) -> None:
    secret = "sk-live-0123456789abcdefSECRET"
    with console.client("admin") as admin:
        bad = admin.post("/policies/exclusions", data={"kind": "regex", "value": "([a-z"})
        assert bad.status_code == 422 and "invalid regular expression" in _alerts(bad, "error")[0]
        assert 'value="([a-z"' in bad.text  # kept so it can be fixed
        no_scope = admin.post(
            "/policies/exclusions", data={"kind": "value", "value": secret, "scope_kind": "rule"}
        )
        assert no_scope.status_code == 422 and secret not in no_scope.text
        added = admin.post(
            "/policies/exclusions", data={"kind": "value", "value": secret, "note": "a test key"}
        )
        assert (
            added.status_code == 200 and secret not in added.text and "keyed hash" in _alerts(added, "ok")[0]
        )
        with console.app.state.sessions() as session:
            row = session.scalars(select(Exclusion).where(Exclusion.kind == "value")).one()
            assert row.pattern != secret and len(row.pattern) == 64
        removed = admin.post(f"/policies/exclusions/{row.id}/delete")
        assert removed.status_code == 200 and f"Exclusion {row.id} removed" in removed.text
        assert admin.post(f"/policies/exclusions/{row.id}/delete").status_code == 404
    entries, _ = console.app.state.audit.page(limit=200)
    assert all(secret not in str(e.details) for e in entries)


def test_ignore_rule_forms(console: Console) -> None:
    with console.client("admin") as admin:
        bad = admin.post("/policies/ignore-rules", data={"rule": "pii.email", "target_kind": "app"})
        assert bad.status_code == 422 and "needs its id" in bad.text
        added = admin.post(
            "/policies/ignore-rules", data={"rule": "pii.email", "target_kind": "agent", "target_id": "g-hr"}
        )
        assert added.status_code == 200 and "g-hr" in added.text
        ignore_id = int(re.search(r"Ignore rule (\d+) added", added.text).group(1))
        assert admin.post(f"/policies/ignore-rules/{ignore_id}/delete").status_code == 200
    assert {"ignore.add", "ignore.remove"} <= set(_actions(console))


def test_org_rule_draft_goes_to_the_replay_preview(console: Console) -> None:
    with console.client("admin") as admin:
        bad = admin.post("/policies/org-rules", data={"slug": "x y", "kind": "keyword", "patterns": "x"})
        assert bad.status_code == 422 and "slug" in _alerts(bad, "error")[0]
        draft = admin.post(
            "/policies/org-rules",
            data={"slug": "heron", "name": "Heron", "kind": "keyword", "patterns": "heron\n"},
        )
        assert draft.status_code == 200 and 'data-testid="replay-stats"' in draft.text
        assert "Draft custom.heron saved" in draft.text and "Nothing was recorded" in draft.text
        assert admin.post("/policies/org-rules/custom.heron/replay").status_code == 200
        assert admin.post("/policies/org-rules/custom.nope/replay").status_code == 404
        enabled = admin.post("/policies/org-rules/custom.heron/enable")
        assert "custom.heron enabled" in _alerts(enabled, "ok")[0]
        assert admin.post("/policies/org-rules/custom.heron/explode").status_code == 404
        deleted = admin.post("/policies/org-rules/custom.heron/delete")
        assert "custom.heron deleted" in _alerts(deleted, "ok")[0]
    assert {"org_rule.add", "org_rule.enable", "org_rule.delete"} <= set(_actions(console))


def test_user_group_forms_show_resolved_members(console: Console) -> None:
    with console.app.state.sessions.begin() as session:
        row = m.Integration(
            name="pages-ws",
            base_url="http://127.0.0.1:9/v1",
            workspace_id="ws-pages",
            chatgpt_org_id="org-1",
            platform_org_id="org-2",
            key_last4="abcd",
        )
        session.add(row)
        session.flush()
        session.add(m.WorkspaceUser(integration_id=row.id, user_id="u-legal", email="lee@legal.example.com"))
    with console.client("admin") as admin:
        bad = admin.post("/policies/groups", data={"name": "Legal", "members": "legal team"})
        assert bad.status_code == 422 and "not an email" in _alerts(bad, "error")[0]
        created = admin.post("/policies/groups", data={"name": "Legal", "members": "*@legal.example.com"})
        assert created.status_code == 200 and "Group Legal saved" in created.text
        gid = int(re.search(r'data-testid="members-(\d+)">1<', created.text).group(1))
        assert "lee@legal.example.com" in created.text  # the resolved member list of the group just saved
        renamed = admin.post(
            "/policies/groups", data={"group_id": gid, "name": "Legal team", "members": "x@example.com"}
        )
        assert renamed.status_code == 200 and f'data-testid="members-{gid}">0<' in renamed.text
        scoped = admin.post("/policies/rule/pii.date_of_birth", data={"scope_groups": str(gid)}, headers=HTMX)
        assert scoped.status_code == 200 and "Legal team" in scoped.text
        deleted = admin.post(f"/policies/groups/{gid}/delete")
        assert "rule:pii.date_of_birth" in _alerts(deleted, "ok")[0]
        assert admin.post(f"/policies/groups/{gid}/delete").status_code == 404
    assert {"user_group.create", "user_group.update", "user_group.delete"} <= set(_actions(console))


def test_open_finding_counts_link_to_findings(populated: Console) -> None:
    with populated.client("viewer") as viewer:
        page = viewer.get("/policies")
    links = dict(re.findall(r'<a href="/findings\?rule=([^"]+)">(\d+)</a>', page.text))
    assert links, "a populated workspace has open findings on some rules"
    with populated.app.state.sessions() as session:
        counts = open_finding_counts(session)
    assert {rule: int(n) for rule, n in links.items()} == {r: n for r, n in counts.items() if r in links}
    assert sum(int(n) for n in links.values()) <= sum(counts.values())


def test_replay_is_bounded_and_says_so(populated: Console, monkeypatch: pytest.MonkeyPatch) -> None:
    with populated.client("admin") as admin:
        created = admin.post(
            "/api/org-rules", json={"slug": "anything", "kind": "regex", "patterns": [r"\w+"]}
        )
        assert created.status_code == 201
        whole = admin.post("/api/org-rules/custom.anything/replay").json()
        assert whole["complete"] and whole["items_scanned"] > 20 and whole["matches"] > 0
        assert len(whole["samples"]) == 10 and all(len(s["evidence"]) < 200 for s in whole["samples"])
        cut = admin.post("/api/org-rules/custom.anything/replay", params={"max_items": 20}).json()
        assert (cut["complete"], cut["limited_by"], cut["items_scanned"]) == (False, "items", 20)
        monkeypatch.setattr(manage, "REPLAY_MAX_ITEMS", 7)
        page = admin.post("/policies/org-rules/custom.anything/replay")
        assert 'data-testid="replay-limit"' in page.text and "first 7 stored items" in page.text
        assert admin.delete("/api/org-rules/custom.anything").status_code == 204
