"""Regressions of the 2026-12-03 security review of the console: admin API pages and response models, LIKE
metacharacters in findings filters, audited explorer searches that never log the searched text, the bulk
triage return address, escaped filter values and encoded ids in dashboard links."""

from __future__ import annotations

import html
import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, func, select
from web_live import Console

from aiwatch.explorer.search import _disjoint, mask_text, snippet
from aiwatch.findings.models import Alert, Finding
from aiwatch.risk.models import RiskScoreRow
from aiwatch.store import models as m

_names = itertools.count(1)
XSS = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


def _bearer(console: Console, scopes: list[str], owner: str = "admin") -> httpx.Client:
    _info, token = console.app.state.accounts.create_token(owner, f"review-{next(_names)}", scopes)
    return httpx.Client(base_url=console.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _audit(console: Console, action: str) -> list[dict[str, Any]]:
    with console.client("admin") as admin:
        items = admin.get("/api/audit", params={"limit": 500}).json()["items"]
    return [e for e in items if e["action"] == action]


# --- /api/tokens, /api/users, /api/audit, /api/me follow the REST conventions -------------------------------


@pytest.mark.parametrize("path", ["/api/tokens", "/api/users", "/api/audit"])
def test_admin_lists_refuse_anonymous_and_lower_roles_and_validate_paging(
    populated: Console, path: str
) -> None:
    with httpx.Client(base_url=populated.base_url, timeout=60) as anonymous:
        assert anonymous.get(path).status_code == 401
    with populated.client("analyst") as analyst:
        assert analyst.get(path).status_code == 403
    with _bearer(populated, ["read", "act"]) as acting:
        assert acting.get(path).status_code == 403  # an admin's token without the admin scope
    with populated.client("admin") as admin:
        for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1}, {"limit": "many"}):
            assert admin.get(path, params=bad).status_code == 422, bad


def test_token_list_is_a_page_without_token_values(populated: Console) -> None:
    accounts = populated.app.state.accounts
    created = [accounts.create_token("admin", f"page-{i}", ["read"]) for i in range(3)]
    with populated.client("admin") as admin:
        everything = admin.get("/api/tokens", params={"limit": 500}).json()
        assert set(everything) == {"items", "total", "limit", "offset"}
        assert everything["total"] == len(everything["items"]) >= 3
        first = admin.get("/api/tokens", params={"limit": 2}).json()
        rest = admin.get("/api/tokens", params={"limit": 500, "offset": 2}).json()
    assert (first["limit"], first["offset"], len(first["items"])) == (2, 0, 2)
    assert rest["offset"] == 2 and first["total"] == rest["total"] == everything["total"]
    paged = [t["id"] for t in first["items"] + rest["items"]]
    assert paged == [t["id"] for t in everything["items"]]
    assert {info.id for info, _ in created} <= set(paged)
    for item in everything["items"]:
        assert "token" not in item and "token_hash" not in item
    for _info, clear in created:
        assert clear not in str(everything)


def test_user_list_is_a_page_of_typed_accounts(populated: Console) -> None:
    with populated.client("admin") as admin:
        whole = admin.get("/api/users").json()
        second = admin.get("/api/users", params={"limit": 1, "offset": 1}).json()
    names = [u["username"] for u in whole["items"]]
    assert names == sorted(names) and {"viewer", "analyst", "admin"} <= set(names)
    assert whole["total"] == len(names) and whole["limit"] == 50 and whole["offset"] == 0
    assert second == {"items": [whole["items"][1]], "total": whole["total"], "limit": 1, "offset": 1}
    assert set(whole["items"][0]) == {"username", "role", "disabled", "created_at", "last_login_at"}
    assert {u["username"]: u["role"] for u in whole["items"]}["analyst"] == "analyst"


def test_admin_routes_declare_response_models(populated: Console) -> None:
    with populated.client("admin") as admin:
        paths = admin.get("/api/openapi.json").json()["paths"]

    def schema(path: str, method: str, status: str = "200") -> str:
        content = paths[path][method]["responses"][status]["content"]["application/json"]["schema"]
        return str(content.get("$ref", content))

    assert schema("/api/tokens", "get").endswith("/TokenPage")
    assert schema("/api/tokens", "post", "201").endswith("/TokenCreated")
    assert schema("/api/users", "get").endswith("/AccountPage")
    assert schema("/api/audit", "get").endswith("/AuditPage")
    assert schema("/api/me", "get").endswith("/MeOut")
    with _bearer(populated, ["read"], owner="analyst") as reader:
        assert reader.get("/api/me").json() == {"username": "analyst", "role": "viewer"}


def test_created_token_is_shown_once_in_its_typed_response(populated: Console) -> None:
    with populated.client("admin") as admin:
        created = admin.post("/api/tokens", json={"name": "review-once", "scopes": ["read"]})
        assert created.status_code == 201
        body = created.json()
        assert body["token"].startswith("aiw_") and body["prefix"] and body["scopes"] == ["read"]
        listed = admin.get("/api/tokens", params={"limit": 500}).text
    assert body["token"] not in listed


# --- findings filters: LIKE metacharacters are literal ------------------------------------------------------


def _finding_ids(client: httpx.Client, **params: str) -> set[int]:
    ids: set[int] = set()
    offset = 0
    while True:
        page = client.get("/api/findings", params={**params, "limit": 500, "offset": offset})
        assert page.status_code == 200, page.text
        body = page.json()
        ids |= {f["id"] for f in body["items"]}
        offset += 500
        if offset >= body["total"]:
            return ids


def _literal_matches(console: Console, needle: str) -> set[int]:
    """Findings whose rule, subject or any alert's masked evidence contains ``needle`` as plain text."""
    with console.app.state.sessions() as session:
        found = {
            f.id
            for f in session.scalars(select(Finding))
            if needle in f.rule.lower() or needle in f.subject_id.lower()
        }
        found |= {
            a.finding_id
            for a in session.scalars(select(Alert).where(Alert.finding_id.is_not(None)))
            if needle in a.evidence.lower()
        }
    return found


def test_findings_text_search_treats_percent_and_underscore_literally(populated: Console) -> None:
    with populated.client("viewer") as viewer:
        everything = _finding_ids(viewer)
        assert len(everything) >= 3
        for needle in ("%", "_", "%_%", "\\"):
            assert _finding_ids(viewer, q=needle) == _literal_matches(populated, needle), needle
        assert _finding_ids(viewer, q="%") != everything  # "%" used to match every finding


def test_findings_rule_glob_has_only_star_as_wildcard(populated: Console) -> None:
    with populated.app.state.sessions() as session:
        rules = set(session.scalars(select(Finding.rule)).all())
    some = sorted(rules)[0]
    family = some.split(".")[0]
    with populated.client("viewer") as viewer:
        assert _finding_ids(viewer, rule="%*") == set()
        assert _finding_ids(viewer, rule="_" + family[1:] + ".*") == set()  # "_" is not "any character"
        expected = {r for r in rules if r.startswith(family + ".")}
        with populated.app.state.sessions() as session:
            ids = set(session.scalars(select(Finding.id).where(Finding.rule.in_(expected))).all())
        assert _finding_ids(viewer, rule=family + ".*") == ids


# --- explorer: searches that show message text are audited, the searched text is not logged -----------------


@pytest.fixture(scope="module")
def needle(populated: Console) -> str:
    with populated.app.state.sessions() as session:
        texts = session.scalars(
            select(m.Message.text).where(func.length(m.Message.text) >= 60).order_by(m.Message.id)
        ).all()
    assert texts, "the populated workspace has messages"
    return texts[0][20:44]


def test_api_message_search_is_audited_without_the_searched_text(populated: Console, needle: str) -> None:
    before = len(_audit(populated, "explorer.search"))
    with _bearer(populated, ["read", "act"], owner="analyst") as analyst:
        found = analyst.get("/api/explorer/messages", params={"q": needle, "limit": 5})
        assert found.status_code == 200
        shown = len(found.json()["items"])
        nothing = analyst.get("/api/explorer/messages", params={"q": "zz-no-such-text-qq"})
        assert nothing.json()["items"] == []
    entries = _audit(populated, "explorer.search")
    assert shown >= 1
    assert len(entries) == before + 1  # the empty search showed nothing and is not recorded
    newest = entries[0]
    assert newest["actor"].startswith("analyst") and newest["target"] == "messages"
    assert newest["details"]["via"] == "api"
    assert newest["details"]["text_chars"] == len(needle) and newest["details"]["shown"] == shown
    with populated.client("admin") as admin:
        log = admin.get("/api/audit", params={"limit": 500}).text
    assert needle not in log


def test_explorer_page_search_is_audited_without_the_searched_text(populated: Console, needle: str) -> None:
    before = len(_audit(populated, "explorer.search"))
    with populated.client("analyst") as analyst:
        page = analyst.get("/explorer", params={"q": needle})
        assert page.status_code == 200
    entries = _audit(populated, "explorer.search")
    assert len(entries) == before + 1
    assert entries[0]["details"]["via"] == "web" and entries[0]["details"]["text_chars"] == len(needle)
    with populated.client("viewer") as viewer:  # viewers never reach it, and nothing is recorded
        assert viewer.get("/explorer", params={"q": needle}).status_code == 403
    assert len(_audit(populated, "explorer.search")) == before + 1
    with populated.client("admin") as admin:
        assert needle not in admin.get("/api/audit", params={"limit": 500}).text


# --- bulk triage return address -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "back",
    [
        "//evil.example/x",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "\t//evil.example",
    ],
)
def test_bulk_triage_never_returns_to_another_site(populated: Console, back: str) -> None:
    with populated.app.state.sessions() as session:
        open_id = session.scalar(select(Finding.id).where(Finding.status == "open").order_by(Finding.id))
    assert open_id is not None
    with populated.client("analyst") as analyst:
        done = analyst.post(
            "/findings/bulk-resolve",
            data={"ids": [str(open_id)], "resolution": "benign", "reason": "review", "back": back},
        )
        assert done.status_code == 303
        assert done.headers["location"].startswith("/findings?notice=bulk")
        assert analyst.post(f"/findings/{open_id}/reopen").status_code == 303


def test_bulk_triage_keeps_a_local_return_address(populated: Console) -> None:
    with populated.app.state.sessions() as session:
        open_id = session.scalar(select(Finding.id).where(Finding.status == "open").order_by(Finding.id))
    with populated.client("analyst") as analyst:
        done = analyst.post(
            "/findings/bulk-resolve",
            data={
                "ids": [str(open_id)],
                "resolution": "benign",
                "reason": "r",
                "back": "/findings?sort=rule",
            },
        )
        assert done.headers["location"].startswith("/findings?sort=rule&notice=bulk")
        analyst.post(f"/findings/{open_id}/reopen")


# --- echoed filter values and stored names are escaped ------------------------------------------------------


@pytest.mark.parametrize(
    "path,param",
    [
        ("/findings", "q"),
        ("/findings", "rule"),
        ("/findings", "subject"),
        ("/inventory/users", "q"),
        ("/inventory/agents", "q"),
        ("/alerts/rules/secret.aws_access_key", "subject"),
        ("/explorer", "q"),
        ("/explorer", "user"),
        ("/policies", "q"),
    ],
)
def test_filter_values_are_echoed_escaped(populated: Console, path: str, param: str) -> None:
    with populated.client("analyst") as analyst:
        page = analyst.get(path, params={param: XSS})
    assert page.status_code in (200, 404, 422), (path, page.status_code)
    assert "<script>alert(1)</script>" not in page.text and "<img src=x" not in page.text


@pytest.fixture
def odd_subject(populated: Console) -> Iterator[str]:
    """A top-risk user whose id and label hold URL and HTML metacharacters (ids come from the workspace)."""
    subject = "review?x=1&y=#z"
    with populated.app.state.sessions.begin() as session:
        integration = session.scalar(select(RiskScoreRow.integration_id).limit(1))
        session.add(
            RiskScoreRow(
                integration_id=integration,
                subject_kind="user",
                subject_id=subject,
                subject_label="Review <b>user</b>",
                score=10_000.0,
                raw=10_000.0,
                finding_count=1,
                breakdown=[],
            )
        )
    yield subject
    with populated.app.state.sessions.begin() as session:
        session.execute(delete(RiskScoreRow).where(RiskScoreRow.subject_id == subject))


def test_dashboard_risk_links_encode_subject_ids(populated: Console, odd_subject: str) -> None:
    with populated.client("viewer") as viewer:
        page = viewer.get("/").text
    assert 'href="/inventory/users/review%3Fx%3D1%26y%3D%23z"' in page
    assert "<b>user</b>" not in page and "Review &lt;b&gt;user&lt;/b&gt;" in page


# --- explorer: detected values stay masked in snippets and conversations ------------------------------------


def test_snippets_mask_detected_values_even_when_the_query_is_inside_one() -> None:
    text = "please use key AKIAABCDEFGHIJKLMNOP for the deploy, thanks"
    start = text.index("AKIA")
    spans = [(start, start + 20, "AKIA…MNOP")]
    around = snippet(text, "deploy", spans=spans)
    assert around.match == "deploy" and "AKIA…MNOP" in around.before
    assert "ABCDEFGHIJKL" not in around.before + around.match + around.after
    inside = snippet(text, "CDEFGH", spans=spans)  # a search for part of the value finds the message...
    assert (
        inside.match == "AKIA…MNOP" and "CDEFGH" not in inside.before + inside.after
    )  # ...and shows its mask
    plain = snippet(text, None, spans=spans)
    assert plain.before == text.replace("AKIAABCDEFGHIJKLMNOP", "AKIA…MNOP")
    overlapping = [(start, start + 20, "AKIA…MNOP"), (start + 4, start + 30, "code (26 chars)")]
    assert (
        mask_text(text, _disjoint(overlapping, len(text))) == text[:start] + "AKIA…MNOP" + text[start + 30 :]
    )


def test_explorer_never_shows_detected_values_in_clear(populated: Console) -> None:
    with populated.app.state.sessions() as session:
        rows = session.execute(
            select(Alert, m.Message.text, m.Conversation.id)
            .join(
                m.Message,
                (m.Message.integration_id == Alert.integration_id) & (m.Message.message_id == Alert.item_id),
            )
            .join(
                m.Conversation,
                (m.Conversation.integration_id == m.Message.integration_id)
                & (m.Conversation.conversation_id == m.Message.conversation_id),
            )
            .where(Alert.item_kind == "message", Alert.end - Alert.start >= 12, Alert.finding_id.is_not(None))
            .order_by(Alert.id)
            .limit(8)
        ).all()
    assert rows, "the populated workspace has detections in messages"
    with _bearer(populated, ["read", "act"], owner="analyst") as api, populated.client("analyst") as web:
        for alert, text, conversation_id in rows:
            clear = text[alert.start : alert.end]
            shown = api.get(f"/api/explorer/conversations/{conversation_id}").text
            assert clear not in shown and alert.evidence in shown
            page = web.get(f"/explorer/conversations/{conversation_id}").text
            assert html.escape(clear, quote=False) not in page and clear not in page
            hits = api.get("/api/explorer/messages", params={"q": clear[:12], "limit": 500}).text
            assert clear not in hits


def test_stored_names_and_patterns_are_rendered_escaped(populated: Console) -> None:
    """Org-rule names and patterns and exclusion notes are typed by people: every page shows them as text."""
    with populated.client("admin") as admin:
        created = admin.post(
            "/api/org-rules",
            json={"slug": "review_xss", "name": XSS, "kind": "keyword", "patterns": [XSS[:30]]},
        )
        assert created.status_code == 201, created.text
        excluded = admin.post(
            "/api/exclusions",
            json={"kind": "keyword", "value": "review-xss", "scope_kind": "everywhere", "note": XSS},
        )
        assert excluded.status_code == 201, excluded.text
        pages = [
            admin.get("/policies/org-rules"),
            admin.post("/policies/org-rules/custom.review_xss/replay"),
            admin.get("/policies/exclusions"),
            admin.get("/settings"),  # the audit log lists the new rule's id and the change details
        ]
        admin.delete("/api/org-rules/custom.review_xss")
        admin.delete(f"/api/exclusions/{excluded.json()['id']}")
    for page in pages:
        assert page.status_code == 200, (page.url, page.status_code)
        assert "<script>alert(1)</script>" not in page.text and "<img src=x" not in page.text, page.url
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages[0].text
