"""Login throttling per account and per address, and Secure cookies when configured."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from web_live import PASSWORD, login_form_token

from aiwatch.config import Settings
from aiwatch.store.db import dispose_engines
from aiwatch.web.accounts import Role
from aiwatch.web.app import create_app
from aiwatch.web.auth import LOGIN_CSRF_COOKIE, LoginThrottle, ThrottlePolicy
from aiwatch.web.server import BackgroundConsole


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_account_lockout_expires_after_the_window(clock: FakeClock) -> None:
    throttle = LoginThrottle(ThrottlePolicy(window_seconds=60, max_per_account=2, max_per_ip=100), clock)
    assert throttle.locked_for("Alice", "10.0.0.1") == 0
    throttle.record_failure("alice", "10.0.0.1")
    throttle.record_failure("ALICE", "10.0.0.2")  # the account is counted whatever the case or address
    assert throttle.locked_for("alice", "10.0.0.3") == pytest.approx(60)
    clock.now += 30
    assert throttle.locked_for("alice", "10.0.0.3") == pytest.approx(30)
    clock.now += 31
    assert throttle.locked_for("alice", "10.0.0.3") == 0


def test_address_lockout_covers_every_account(clock: FakeClock) -> None:
    throttle = LoginThrottle(ThrottlePolicy(window_seconds=60, max_per_account=100, max_per_ip=3), clock)
    for name in ("a", "b", "c"):
        throttle.record_failure(name, "10.0.0.9")
    assert throttle.locked_for("d", "10.0.0.9") > 0
    assert throttle.locked_for("d", "10.0.0.8") == 0


def test_success_clears_the_account_count(clock: FakeClock) -> None:
    throttle = LoginThrottle(ThrottlePolicy(window_seconds=60, max_per_account=2, max_per_ip=100), clock)
    throttle.record_failure("bob", "10.0.0.1")
    throttle.record_success("bob")
    throttle.record_failure("bob", "10.0.0.1")
    assert throttle.locked_for("bob", "10.0.0.1") == 0


def test_cookies_are_secure_when_configured(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'aiwatch.db'}")
    app = create_app(settings, secure_cookies=True)
    app.state.accounts.create_user("admin", PASSWORD, Role.ADMIN)
    server = BackgroundConsole(app)
    url = server.start()
    try:
        form = httpx.get(url + "/login")
        csrf_cookie = form.headers["set-cookie"]
        assert "Secure" in csrf_cookie and "HttpOnly" in csrf_cookie and "SameSite=strict" in csrf_cookie
        # The Secure cookie is not sent back over this plain-http test connection: hand it over explicitly.
        response = httpx.post(
            url + "/login",
            data={"username": "admin", "password": PASSWORD, "csrf_token": login_form_token(form)},
            headers={"Cookie": f"{LOGIN_CSRF_COOKIE}={form.cookies[LOGIN_CSRF_COOKIE]}"},
        )
        assert response.status_code == 303
        session_cookie = next(
            value for key, value in response.headers.multi_items() if value.startswith("aiwatch_session=")
        )
        assert "Secure" in session_cookie and "HttpOnly" in session_cookie
    finally:
        server.stop()
        dispose_engines()
