"""Test helpers: the console served by uvicorn on a free loopback port, with one account per role."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from aiwatch.config import Settings
from aiwatch.sync.runner import client_factory
from aiwatch.web.accounts import Role
from aiwatch.web.app import create_app
from aiwatch.web.auth import SESSION_COOKIE, LoginThrottle
from aiwatch.web.server import BackgroundConsole

PASSWORD = "correct horse battery staple"
NO_SCOPE_KEY = "sk-proj-NoComplianceScope0123456789abcdefNOSC"
WRONG_KEY = "sk-proj-WrongKey0123456789abcdefghijklmnWRNG"


@dataclass
class Console:
    base_url: str
    app: FastAPI
    users: dict[str, int] = field(default_factory=dict)
    labels: list[Any] = field(default_factory=list)  # planted risks, when populated

    def session(self, role: str) -> tuple[str, str]:
        """A fresh session cookie for the account named ``role`` and its CSRF token (no password hashing)."""
        accounts = self.app.state.accounts
        token = accounts.start_session(self.users[role])
        principal = accounts.session_principal(token)
        assert principal is not None and principal.csrf_token
        return token, principal.csrf_token

    def client(self, role: str | None = None) -> httpx.Client:
        """An HTTP client signed in as ``role`` (None: anonymous); sends the CSRF header on every request."""
        client = httpx.Client(base_url=self.base_url, follow_redirects=False, timeout=60)
        if role is not None:
            token, csrf = self.session(role)
            client.cookies.set(SESSION_COOKIE, token)
            client.headers["X-CSRF-Token"] = csrf
        return client


def login_form_token(page: httpx.Response) -> str:
    """The CSRF token of a rendered sign-in form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None, "the sign-in form has no CSRF token"
    return found.group(1)


def form_login(
    client: httpx.Client, username: str, password: str, next_path: str | None = None
) -> httpx.Response:
    """Sign in the way a browser does: load the form (its CSRF cookie lands in the client), then post it."""
    data = {"username": username, "password": password, "csrf_token": login_form_token(client.get("/login"))}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/login", data=data)


def start_console(
    data_dir: Path, *, throttle: LoginThrottle | None = None
) -> tuple[Console, BackgroundConsole]:
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'aiwatch.db'}")
    # No client-side rate limits: the emulator runs without them and tests stay fast.
    app = create_app(settings, client_factory=client_factory(rate_limit_scale=None), throttle=throttle)
    console = Console("", app)
    for role in Role:
        console.users[role.label] = app.state.accounts.create_user(role.label, PASSWORD, role).id
    server = BackgroundConsole(app)
    console.base_url = server.start()
    return console, server


def populate(console: Console, *, seed: int = 11, users: int = 4, days: int = 2) -> list[Any]:
    """Sync an emulated workspace with planted risks into the console's database and run the findings
    pipeline (content, posture, activity, risk scores). Returns the emulator's planted labels."""
    from aiwatch.emulator.server import EmulatorConfig, EmulatorServer
    from aiwatch.pipeline.runner import run_pipeline
    from aiwatch.sources.chatgpt.retry import RetryPolicy
    from aiwatch.sync.runner import sync_integration

    state = console.app.state
    config = EmulatorConfig(seed=seed, users=users, days=days, conversations_per_user=3, rate_limit_scale=0)
    with EmulatorServer(config) as emulator:
        state.integrations.add(
            name="acme",
            workspace_id=emulator.workspace_id,
            chatgpt_org_id=emulator.chatgpt_org_id,
            platform_org_id=emulator.platform_org_id,
            api_key=emulator.api_key,
            base_url=emulator.base_url,
        )
        fast = RetryPolicy(max_retries=10, base_delay=0.01, max_delay=0.1, max_retry_after=0.2)
        summary = sync_integration(
            state.integrations,
            state.sessions,
            state.integrations.get("acme"),
            client_factory=client_factory(rate_limit_scale=None, retry_policy=fast, timeout=10.0),
        )
        assert summary.ok, summary
        labels = list(emulator.labels)
    run_pipeline(state.sessions, state.settings)
    return labels
