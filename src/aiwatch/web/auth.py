"""Access control: the one dependency every page and API route declares, CSRF, and login throttling.

``require(Role.X)`` resolves the caller from an API token (``Authorization: Bearer``) or the session cookie,
answers 401 (API) or a redirect to the login page (pages) when there is none, 403 when the role is too low,
and checks the CSRF token on every unsafe request made with a session cookie (form field ``csrf_token`` or
the ``X-CSRF-Token`` header htmx sends). The sign-in form, posted before any session exists, carries a
signed double-submit token instead (``login_csrf_*``). The route-table test relies on ``RoleGuard`` being
that dependency.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Depends, HTTPException, Request
from fastapi.responses import Response

from aiwatch.config import ConfigError
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


# --- CSRF before there is a session (the sign-in form) ------------------------------------------------------

LOGIN_CSRF_COOKIE = "aiwatch_login_csrf"
LOGIN_CSRF_MAX_AGE = 2 * 3600  # a sign-in page left open longer asks for a reload


def _login_csrf_key(request: Request) -> bytes:
    """The signing key for the sign-in form's double-submit cookie, derived from the app's secret key so
    every server process accepts the others' forms. Without a usable secret key (production mode without
    AIWATCH_SECRET_KEY) a per-process random key still protects the form; only multi-process deployments
    would then ask users to reload once."""
    state = request.app.state
    key: bytes | None = getattr(state, "login_csrf_key", None)
    if key is None:
        try:
            box = state.integrations.secret_box
            key = bytes.fromhex(box.keyed_hash("aiwatch login csrf key"))
        except (ConfigError, OSError):  # no key in production, unreadable key file: never block sign-in
            key = secrets.token_bytes(32)
        state.login_csrf_key = key
    return key


def login_csrf_signature(key: bytes, token: str, issued: int) -> str:
    return hmac.new(key, f"{token}.{issued}".encode("ascii"), hashlib.sha256).hexdigest()


def _login_cookie_token(request: Request) -> str | None:
    """The token of a well-formed, correctly signed and unexpired login CSRF cookie (None otherwise).
    The issue time is signed too, so the lifetime holds even if a browser keeps the cookie longer."""
    parts = request.cookies.get(LOGIN_CSRF_COOKIE, "").split(".")
    if len(parts) != 3:
        return None
    token, issued_text, signature = parts
    if not (token and issued_text.isdigit() and signature) or not (token.isascii() and signature.isascii()):
        return None
    issued = int(issued_text)
    expected = login_csrf_signature(_login_csrf_key(request), token, issued)
    if not hmac.compare_digest(signature.encode(), expected.encode()):
        return None
    age = time.time() - issued
    return token if -60 < age < LOGIN_CSRF_MAX_AGE else None  # a minute of clock skew between processes


def login_csrf_token(request: Request) -> str:
    """The token to put in the sign-in form: the current cookie's (other tabs keep working) or a new one."""
    return _login_cookie_token(request) or secrets.token_urlsafe(32)


def set_login_csrf_cookie(response: Response, request: Request, token: str, *, secure: bool) -> None:
    """The double-submit cookie: HttpOnly (scripts cannot read it), SameSite=Strict (no other site's form
    sends it), signed with its issue time (only this console issues valid ones, for a limited time), scoped
    to /login."""
    issued = int(time.time())
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        f"{token}.{issued}.{login_csrf_signature(_login_csrf_key(request), token, issued)}",
        max_age=LOGIN_CSRF_MAX_AGE,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=secure,
    )


def clear_login_csrf_cookie(response: Response) -> None:
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")


def login_csrf_ok(request: Request, sent: str) -> bool:
    """Whether the form's token matches a correctly signed cookie (constant-time comparisons)."""
    expected = _login_cookie_token(request)
    if not expected or not sent or not sent.isascii():
        return False
    return hmac.compare_digest(sent.encode(), expected.encode())
