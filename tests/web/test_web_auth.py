"""Sign-in, sessions, cookies, CSRF, login throttling, API tokens and the audit log over real HTTP."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import select
from web_live import PASSWORD, Console, form_login

from aiwatch.web.accounts import Role
from aiwatch.web.models import ApiToken, WebSession


def _login(console: Console, username: str, password: str, next_path: str = "/") -> httpx.Response:
    with httpx.Client(base_url=console.base_url, follow_redirects=False) as client:
        return form_login(client, username, password, next_path)


def test_login_sets_a_hardened_session_cookie_and_logout_ends_it(console: Console) -> None:
    response = _login(console, "analyst", PASSWORD, "/integrations")
    assert response.status_code == 303 and response.headers["location"] == "/integrations"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    token = response.cookies["aiwatch_session"]
    with httpx.Client(base_url=console.base_url, cookies={"aiwatch_session": token}) as client:
        page = client.get("/")
        assert page.status_code == 200 and "analyst" in page.text
        assert "default-src 'self'" in page.headers["content-security-policy"]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        assert client.post("/logout", data={"csrf_token": csrf.group(1)}).status_code == 303
        assert client.get("/", follow_redirects=False).status_code == 303
    with console.app.state.sessions() as session:  # only digests are stored
        assert session.scalar(select(WebSession).where(WebSession.token_hash == token)) is None


def test_wrong_password_unknown_user_and_odd_input_are_refused(console: Console) -> None:
    assert _login(console, "admin", "wrong password!!").status_code == 401
    assert _login(console, "nobody", PASSWORD).status_code == 401
    assert (
        _login(
            console, "a\x00b" * 1000, "\ud800".encode("utf-8", "surrogatepass").decode("latin-1")
        ).status_code
        == 401
    )
    assert _login(console, "", "").status_code == 401


def test_redirect_after_login_stays_on_this_site(console: Console) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = _login(console, "viewer", PASSWORD, target)
        assert response.headers["location"] == "/"


def test_repeated_failures_lock_the_account_with_a_clear_message(console: Console) -> None:
    console.app.state.accounts.create_user("locked-out", PASSWORD, Role.VIEWER)
    for _ in range(3):  # the module's throttle allows 3 failures per account
        assert _login(console, "locked-out", "not the password").status_code == 401
    refused = _login(console, "locked-out", PASSWORD)
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.text
    assert _login(console, "viewer", PASSWORD).status_code == 303  # other accounts are not affected


def test_unsafe_requests_need_the_csrf_token(console: Console) -> None:
    with console.client("admin") as client:
        good = client.headers.pop("X-CSRF-Token")
        assert client.post("/api/tokens", json={"name": "t", "scopes": ["read"]}).status_code == 403
        assert client.post("/settings/tokens", data={"name": "t", "csrf_token": "forged"}).status_code == 403
        created = client.post(
            "/api/tokens", json={"name": "t", "scopes": ["read"]}, headers={"X-CSRF-Token": good}
        )
        assert created.status_code == 201


def test_api_tokens_carry_scopes_are_stored_hashed_and_can_be_revoked(console: Console) -> None:
    with console.client("admin") as admin:
        created = admin.post("/api/tokens", json={"name": "siem", "scopes": ["read"]})
        assert created.status_code == 201
        token = created.json()["token"]
        assert token.startswith("aiw_")
        assert all("token" not in item for item in admin.get("/api/tokens").json()["items"])
        assert admin.post("/api/tokens", json={"name": "x", "scopes": ["root"]}).status_code == 422
        assert admin.post("/api/tokens", json={"name": "", "scopes": ["read"]}).status_code == 422
        assert admin.post("/api/tokens", json={"scopes": ["read"]}).status_code == 422
    with console.app.state.sessions() as session:
        stored = session.scalars(select(ApiToken.token_hash)).all()
        assert token not in stored and len(stored) >= 1
    bearer = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=console.base_url, headers=bearer) as client:
        assert client.get("/api/integrations").status_code == 200
        assert client.get("/api/me").json() == {"username": "admin", "role": "viewer"}
        denied = client.post("/api/integrations", json={})
        assert denied.status_code == 403  # a read token cannot act, whatever its owner may do
        assert client.get("/api/openapi.json").json()["info"]["title"] == "aiwatch"
    with console.client("admin") as admin:
        assert admin.delete(f"/api/tokens/{created.json()['id']}").status_code == 200
        assert admin.delete("/api/tokens/999999").status_code == 404
    with httpx.Client(base_url=console.base_url, headers=bearer) as client:
        assert client.get("/api/integrations").status_code == 401
    with httpx.Client(base_url=console.base_url, headers={"Authorization": "Bearer aiw_made_up"}) as client:
        assert client.get("/api/integrations").status_code == 401


def test_audit_log_records_admin_actions_without_secrets(console: Console) -> None:
    with console.client("admin") as admin:
        token = admin.post("/api/tokens", json={"name": "audited", "scopes": ["read", "act"]}).json()["token"]
        page = admin.get("/api/audit", params={"limit": 1})
        assert page.status_code == 200
        body = page.json()
        assert body["total"] >= 1 and len(body["items"]) == 1
        newest = body["items"][0]
        assert (
            newest["action"] == "token.create"
            and newest["actor"] == "admin"
            and newest["target"] == "audited"
        )
        assert token not in page.text
        assert admin.get("/api/audit", params={"limit": 0}).status_code == 422
        assert admin.get("/api/audit", params={"offset": -1}).status_code == 422
    with console.client("analyst") as analyst:
        assert analyst.get("/api/audit").status_code == 403


def test_health_is_public(console: Console) -> None:
    with httpx.Client(base_url=console.base_url) as client:
        assert client.get("/healthz").json()["status"] == "ok"
