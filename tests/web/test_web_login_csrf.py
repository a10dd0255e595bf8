"""CSRF on the sign-in form: a signed double-submit token (HttpOnly SameSite=Strict cookie + hidden field)."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from web_live import PASSWORD, Console, form_login, login_form_token

from aiwatch.config import Settings
from aiwatch.crypto import generate_key
from aiwatch.web.accounts import Role
from aiwatch.web.app import create_app
from aiwatch.web.auth import LOGIN_CSRF_COOKIE, LOGIN_CSRF_MAX_AGE, SESSION_COOKIE, login_csrf_signature


def _anonymous(console: Console) -> httpx.Client:
    return httpx.Client(base_url=console.base_url, follow_redirects=False)


def _login_cookie_header(response: httpx.Response) -> str:
    return next(
        value
        for key, value in response.headers.multi_items()
        if key == "set-cookie" and value.startswith(f"{LOGIN_CSRF_COOKIE}=")
    )


def test_the_form_carries_a_token_bound_to_a_strict_httponly_cookie(console: Console) -> None:
    with _anonymous(console) as client:
        page = client.get("/login")
        assert page.status_code == 200
        token = login_form_token(page)
        header = _login_cookie_header(page)
        assert "HttpOnly" in header and "SameSite=strict" in header and "Path=/login" in header
        cookie_token, issued, signature = page.cookies[LOGIN_CSRF_COOKIE].split(".")
        assert cookie_token == token and len(signature) == 64
        assert abs(time.time() - int(issued)) < 60
        # A second tab (same cookie) gets the same token, so both forms work.
        assert login_form_token(client.get("/login")) == token
    with _anonymous(console) as other:  # another browser gets another token
        assert login_form_token(other.get("/login")) != token


def test_a_post_without_or_with_a_wrong_token_is_refused_with_a_reload_hint(console: Console) -> None:
    credentials = {"username": "analyst", "password": PASSWORD}
    with _anonymous(console) as client:
        assert client.post("/login", data=credentials).status_code == 403  # no cookie, no field
        token = login_form_token(client.get("/login"))
        missing = client.post("/login", data=credentials)  # cookie, no field
        wrong = client.post("/login", data={**credentials, "csrf_token": token[:-2] + "xx"})
        for refused in (missing, wrong):
            assert refused.status_code == 403
            assert "Reload the page" in refused.text
            assert SESSION_COOKIE not in refused.cookies
            assert login_form_token(refused)  # the refusal page is a fresh, usable form
        assert client.post("/login", data={**credentials, "csrf_token": token}).status_code == 303


def test_a_token_without_its_cookie_or_with_a_forged_signature_is_refused(console: Console) -> None:
    credentials = {"username": "analyst", "password": PASSWORD}
    with _anonymous(console) as attacker:
        stolen = login_form_token(attacker.get("/login"))
    with _anonymous(console) as victim:  # a cross-site form can send a field, not the victim's cookie
        assert victim.post("/login", data={**credentials, "csrf_token": stolen}).status_code == 403
    with _anonymous(console) as forger:  # a cookie the console did not sign
        forged_cookie = f"chosen-token.{int(time.time())}." + "0" * 64
        forger.cookies.set(LOGIN_CSRF_COOKIE, forged_cookie, path="/login")
        refused = forger.post("/login", data={**credentials, "csrf_token": "chosen-token"})
        assert refused.status_code == 403
    with _anonymous(console) as mixer:  # a valid cookie of one browser with another browser's token
        login_form_token(mixer.get("/login"))
        assert mixer.post("/login", data={**credentials, "csrf_token": stolen}).status_code == 403


def test_an_expired_or_retimed_cookie_is_refused(console: Console) -> None:
    credentials = {"username": "analyst", "password": PASSWORD}
    with _anonymous(console) as client:
        token = login_form_token(client.get("/login"))
        key = console.app.state.login_csrf_key
        now = int(time.time())
        expired = now - LOGIN_CSRF_MAX_AGE - 5
        for issued, signed_as in ((expired, expired), (now, expired)):  # too old; a changed issue time
            cookie = f"{token}.{issued}.{login_csrf_signature(key, token, signed_as)}"
            client.cookies.set(LOGIN_CSRF_COOKIE, cookie, path="/login")
            refused = client.post("/login", data={**credentials, "csrf_token": token})
            assert refused.status_code == 403 and "Reload the page" in refused.text
            assert login_form_token(refused) != token  # a fresh token replaces the dead one
            client.cookies.clear()
        fresh = f"{token}.{now}.{login_csrf_signature(key, token, now)}"
        client.cookies.set(LOGIN_CSRF_COOKIE, fresh, path="/login")
        assert client.post("/login", data={**credentials, "csrf_token": token}).status_code == 303


def test_success_retires_the_token(console: Console) -> None:
    with _anonymous(console) as client:
        signed_in = form_login(client, "viewer", PASSWORD, "/integrations")
        assert signed_in.status_code == 303 and signed_in.headers["location"] == "/integrations"
        cleared = _login_cookie_header(signed_in)
        assert "Max-Age=0" in cleared or "expires=Thu, 01 Jan 1970" in cleared


def test_refused_forms_do_not_count_as_failed_sign_ins_but_the_throttle_still_applies(
    console: Console,
) -> None:
    console.app.state.accounts.create_user("csrf-throttled", PASSWORD, Role.VIEWER)
    with _anonymous(console) as client:
        for _ in range(5):  # more than the module's 3 allowed failures
            forged = client.post("/login", data={"username": "csrf-throttled", "password": "x"})
            assert forged.status_code == 403
        for _ in range(3):
            assert form_login(client, "csrf-throttled", "not the password").status_code == 401
        locked = form_login(client, "csrf-throttled", PASSWORD)
        assert locked.status_code == 429 and "Too many failed sign-ins" in locked.text


def _app(data_dir: Path, secret: str) -> TestClient:
    settings = Settings(
        data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'aiwatch.db'}", secret_key=secret
    )
    app = create_app(settings)
    if not app.state.accounts.list_users():
        app.state.accounts.create_user("admin", PASSWORD, Role.ADMIN)
    return TestClient(app, base_url="http://testserver", follow_redirects=False)


@pytest.mark.parametrize("same_secret", [True, False])
def test_tokens_are_signed_with_the_configured_secret_key(tmp_path: Path, same_secret: bool) -> None:
    """Several server processes with the same AIWATCH_SECRET_KEY accept each other's forms; a console
    with another key does not."""
    secret = generate_key()
    with _app(tmp_path, secret) as first:
        page = first.get("/login")
        token, cookie = login_form_token(page), page.cookies[LOGIN_CSRF_COOKIE]
    with _app(tmp_path, secret if same_secret else generate_key()) as second:
        second.cookies.set(LOGIN_CSRF_COOKIE, cookie, path="/login")
        response = second.post(
            "/login", data={"username": "admin", "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == (303 if same_secret else 403)
