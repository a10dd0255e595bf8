"""Access control: the one dependency every page and API route declares, CSRF, and login throttling.

``require(Role.X)`` resolves the caller from an API token (``Authorization: Bearer``) or the session cookie,
answers 401 (API) or a redirect to the login page (pages) when there is none, 403 when the role is too low,
and checks the CSRF token on every unsafe request made with a session cookie (form field ``csrf_token`` or
the ``X-CSRF-Token`` header htmx sends). The route-table test relies on ``RoleGuard`` being that dependency.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request

from aiwatch.web.accounts import AccountService, Principal, Role

SESSION_COOKIE = "aiwatch_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class LoginRequired(Exception):
    """A page was requested without a session: the app answers with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


class RoleGuard:
    """The access dependency: resolves the principal and enforces the minimum role and CSRF."""

    def __init__(self, minimum: Role) -> None:
        self.minimum = minimum

    async def __call__(self, request: Request) -> Principal:
        accounts: AccountService = request.app.state.accounts
        principal = _principal_from_token(request, accounts)
        if principal is None:
            cookie = request.cookies.get(SESSION_COOKIE)
            principal = accounts.session_principal(cookie) if cookie else None
            if principal is not None and request.method not in SAFE_METHODS:
                await _check_csrf(request, principal)
        if principal is None:
            if is_api_path(request.url.path):
                raise HTTPException(
                    401,
                    "sign in, or send an API token as 'Authorization: Bearer aiw_…'",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            raise LoginRequired(request.url.path)
        request.state.principal = principal  # error pages still show the navigation
        if principal.role < self.minimum:
            raise HTTPException(
                403, f"This needs the {self.minimum.label} role; you are signed in as {principal.role.label}."
            )
        return principal


def require(minimum: Role) -> Principal:
    """``principal: Principal = require(Role.ADMIN)`` in a route signature."""
    return Depends(RoleGuard(minimum))


def _principal_from_token(request: Request, accounts: AccountService) -> Principal | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    principal = accounts.token_principal(token.strip())
    if principal is None:
        raise HTTPException(
            401,
            "the API token is unknown or revoked; create a new one",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


async def _check_csrf(request: Request, principal: Principal) -> None:
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = principal.csrf_token or ""
    if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "the form expired or did not come from this console (CSRF); reload the page")


# --- login throttling ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThrottlePolicy:
    window_seconds: float = 15 * 60
    max_per_account: int = 5
    max_per_ip: int = 20


class LoginThrottle:
    """Failed sign-ins per account and per client address in a sliding window; over the limit = locked.

    In memory: a restart clears it, and several server processes each count on their own.
    """

    def __init__(
        self, policy: ThrottlePolicy | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.policy = policy or ThrottlePolicy()
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def locked_for(self, username: str, ip: str) -> float:
        """Seconds until a sign-in may be tried again (0 when allowed)."""
        now = self._clock()
        with self._lock:
            waits = [
                self._wait(f"user:{username.lower()}", self.policy.max_per_account, now),
                self._wait(f"ip:{ip}", self.policy.max_per_ip, now),
            ]
        return max(waits)

    def record_failure(self, username: str, ip: str) -> None:
        now = self._clock()
        with self._lock:
            for key in (f"user:{username.lower()}", f"ip:{ip}"):
                self._failures.setdefault(key, deque()).append(now)

    def record_success(self, username: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{username.lower()}", None)

    def _wait(self, key: str, limit: int, now: float) -> float:
        failures = self._failures.get(key)
        if not failures:
            return 0.0
        while failures and failures[0] <= now - self.policy.window_seconds:
            failures.popleft()
        if len(failures) < limit:
            return 0.0
        return failures[-limit] + self.policy.window_seconds - now
