"""Pages: sign-in, Integrations (tile, Connect, Manage), Sync health (cursors, lag, retention), Settings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from aiwatch.integrations import service as integration_rules
from aiwatch.integrations.service import DEFAULT_CHATGPT_BASE_URL, IntegrationError, IntegrationInfo
from aiwatch.store.models import SyncCursor, utc_now
from aiwatch.sync import retention_window
from aiwatch.web.accounts import AccountError, Principal, Role
from aiwatch.web.auth import (
    SESSION_COOKIE,
    clear_login_csrf_cookie,
    login_csrf_ok,
    login_csrf_token,
    require,
    set_login_csrf_cookie,
)
from aiwatch.web.operations import ConnectionFields, Operations
from aiwatch.web.ui.common import render

router = APIRouter(include_in_schema=False)

# Where each Connect field is found, shown under the field.
FIELD_HINTS = {
    "api_key": "platform.openai.com → Settings → Organization → API keys → Create new secret key (choose "
    "the Compliance API key type). Copy it once; it is never shown again.",
    "workspace_id": "chatgpt.com → Admin → Settings (workspace settings); the ID is a UUID.",
    "chatgpt_org_id": "chatgpt.com → Admin → Settings → Organization: the org-… ID of the ChatGPT workspace.",
    "platform_org_id": "platform.openai.com → Settings → Organization → General: the Organization ID (org-…) "
    "where the key was created.",
}


# --- sign-in -----------------------------------------------------------------------------------------------


LOGIN_CSRF_ERROR = (
    "This sign-in form expired or did not come from this console. Reload the page and sign in again."
)


def _secure_cookies(request: Request) -> bool:
    state = request.app.state
    return state.secure_cookies if state.secure_cookies is not None else request.url.scheme == "https"


def _login_form(request: Request, next_path: str, error: str | None, status_code: int = 200) -> HTMLResponse:
    """The sign-in page with a fresh (or the tab's current) CSRF token in the form and its signed cookie."""
    token = login_csrf_token(request)
    context = {"next": _safe_next(next_path), "error": error, "login_csrf": token}
    response = render(request, "login.html", context, status_code)
    set_login_csrf_cookie(response, request, token, secure=_secure_cookies(request))
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return _login_form(request, next, None)


@router.post("/login")
def login(
    request: Request,
    username: str = Form(""),
    password: str = Form(""),
    next: str = Form("/"),
    csrf_token: str = Form(""),
) -> Response:
    state = request.app.state
    # Before the throttle and the password check: a forged post learns nothing and counts nothing.
    if not login_csrf_ok(request, csrf_token):
        return _login_form(request, next, LOGIN_CSRF_ERROR, 403)
    ip = request.client.host if request.client else "unknown"
    wait = state.throttle.locked_for(username, ip)
    if wait > 0:
        minutes = max(1, round(wait / 60))
        error = (
            f"Too many failed sign-ins. Try again in about {minutes} minute(s), "
            "or ask an administrator to reset your password."
        )
        return _login_form(request, next, error, 429)
    user = state.accounts.authenticate(username, password)
    if user is None:
        state.throttle.record_failure(username, ip)
        return _login_form(request, next, "Wrong username or password.", 401)
    state.throttle.record_success(username)
    token = state.accounts.start_session(user.id)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure_cookies(request),
        max_age=12 * 3600,
        path="/",
    )
    clear_login_csrf_cookie(response)  # the next sign-in gets a new token
    return response


@router.post("/logout")
def logout(request: Request, principal: Principal = require(Role.VIEWER)) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        request.app.state.accounts.end_session(cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _safe_next(target: str) -> str:
    """Only local paths: never redirect to another site after sign-in."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


# --- dashboard and integrations ----------------------------------------------------------------------------


def _streams(request: Request, info: IntegrationInfo) -> list[dict[str, Any]]:
    now = utc_now()
    with request.app.state.sessions() as session:
        cursors = session.scalars(
            select(SyncCursor).where(SyncCursor.integration_id == info.id).order_by(SyncCursor.stream)
        ).all()
    rows = []
    for cursor in cursors:
        lag = (now - cursor.last_success_at).total_seconds() if cursor.last_success_at else None
        window = retention_window.assess_stream(
            cursor.stream, last_success_at=cursor.last_success_at, connected_at=info.created_at, now=now
        )
        rows.append(
            {
                "stream": cursor.stream,
                "cursor": _cursor_text(cursor.cursor),
                "last_success_at": cursor.last_success_at,
                "lag_seconds": lag,
                "lag": _lag_text(lag) if lag is not None else "—",
                "synced": cursor.items_synced,
                "last_error": cursor.last_error,
                "last_error_at": cursor.last_error_at,
                "retention": _window_view(window, info, cursor.last_error) if window else None,
            }
        )
    return rows


def _cursor_text(cursor: dict[str, Any] | None) -> str:
    """Where a stream resumes, readably: ``after=…`` plus pass times as UTC dates instead of epoch floats."""
    if not cursor:
        return "—"
    parts = []
    for key, value in cursor.items():
        if value is None:
            continue
        if key.endswith("_at") and isinstance(value, int | float):
            value = datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S")
        text = str(value)
        parts.append(f"{key}={text if len(text) <= 48 else text[:45] + '…'}")
    return ", ".join(parts) or "—"


def _window_view(
    status: retention_window.WindowStatus, info: IntegrationInfo, last_error: str | None
) -> dict[str, Any]:
    """What the templates show of a retention status: level, time left, the sentence and what to do."""
    left = status.remaining
    return {
        "stream": status.stream,
        "level": status.level.label,
        "urgent": status.level > retention_window.Level.OK,
        "window": status.window.what,
        "left": (
            f"{retention_window.duration_text(left)} left"
            if left.total_seconds() > 0
            else f"exceeded by {retention_window.duration_text(left)}"
        ),
        "message": status.message,
        "summary": status.summary,
        "advice": retention_window.advice(status, integration_status=info.status, last_error=last_error),
        "step": retention_window.advice(
            status, integration_status=info.status, last_error=last_error, brief=True
        ),
    }


def _retention_warnings(info: IntegrationInfo, streams: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every stream (or never-reached window) past the warning share of its window, most urgent first."""
    statuses = retention_window.assess_integration(
        [(s["stream"], s["last_success_at"]) for s in streams], connected_at=info.created_at, now=utc_now()
    )
    errors = {s["stream"]: s["last_error"] for s in streams}
    urgent = sorted(
        (status for status in statuses.values() if status.level > retention_window.Level.OK),
        key=lambda status: (-status.level, status.remaining),
    )
    return [_window_view(status, info, errors.get(status.stream)) for status in urgent]


def _lag_text(seconds: float) -> str:
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 5400:
        return f"{int(seconds // 60)} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def integration_tiles(request: Request) -> list[dict[str, Any]]:
    tiles = []
    for info in request.app.state.integrations.list_integrations():
        streams = _streams(request, info)
        lags = [s["lag_seconds"] for s in streams if s["lag_seconds"] is not None]
        tiles.append(
            {
                "info": info,
                "stream_count": len(streams),
                "max_lag": _lag_text(max(lags)) if lags else None,
                "failing": [s for s in streams if s["last_error"]],
                "backfill": request.app.state.backfills.state(info.name),
                "retention": _retention_warnings(info, streams),
            }
        )
    return tiles


@router.get("/integrations", response_class=HTMLResponse)
def integrations_page(request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    context = {"principal": principal, "nav": "integrations", "tiles": integration_tiles(request)}
    if request.headers.get("hx-request"):
        return render(request, "_tiles.html", context)
    return render(request, "integrations.html", context)


@router.get("/sync-health", response_class=HTMLResponse)
def sync_health_page(request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    integrations = []
    for info in request.app.state.integrations.list_integrations():
        streams = _streams(request, info)
        integrations.append(
            {
                "info": info,
                "streams": streams,
                "backfill": request.app.state.backfills.state(info.name),
                "retention": _retention_warnings(info, streams),
            }
        )
    context = {"principal": principal, "nav": "sync-health", "integrations": integrations}
    return render(request, "sync_health.html", context)


def _connect_context(principal: Principal, values: dict[str, str], errors: dict[str, str]) -> dict[str, Any]:
    return {
        "principal": principal,
        "nav": "integrations",
        "values": values,
        "errors": errors,
        "hints": FIELD_HINTS,
        "default_base_url": DEFAULT_CHATGPT_BASE_URL,
    }


@router.get("/integrations/connect", response_class=HTMLResponse)
def connect_page(request: Request, principal: Principal = require(Role.ADMIN)) -> HTMLResponse:
    values = {"base_url": DEFAULT_CHATGPT_BASE_URL}
    return render(request, "connect.html", _connect_context(principal, values, {}))


def field_error(field: str, value: str) -> str | None:
    """The validation message for one Connect field (None when valid)."""
    try:
        if field == "api_key":
            integration_rules.validate_api_key(value)
        elif field == "workspace_id":
            integration_rules.validate_workspace_id(value)
        elif field == "chatgpt_org_id":
            integration_rules.validate_org_id(value, "Organization ID (ChatGPT)")
        elif field == "platform_org_id":
            integration_rules.validate_org_id(value, "Organization ID (Platform)")
        elif field == "base_url":
            integration_rules.validate_base_url(value)
        else:
            return None
    except IntegrationError as exc:
        message = str(exc)
        return message[0].upper() + message[1:]
    return None


@router.post("/integrations/connect/validate/{field}", response_class=HTMLResponse)
async def validate_field(
    field: str, request: Request, principal: Principal = require(Role.ADMIN)
) -> HTMLResponse:
    form = await request.form()
    value = form.get(field)
    text = value if isinstance(value, str) else ""
    error = field_error(field, text) if text.strip() else "Required."
    return render(request, "_field_status.html", {"field": field, "error": error})


def _fields_from_form(form: dict[str, str]) -> ConnectionFields:
    return ConnectionFields(
        api_key=form.get("api_key", ""),
        workspace_id=form.get("workspace_id", ""),
        chatgpt_org_id=form.get("chatgpt_org_id", ""),
        platform_org_id=form.get("platform_org_id", ""),
        base_url=form.get("base_url", "") or DEFAULT_CHATGPT_BASE_URL,
        key_name=form.get("key_name") or None,
        created_by=form.get("created_by") or None,
    )


async def _text_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


@router.post("/integrations/connect/test", response_class=HTMLResponse)
async def connect_test(request: Request, principal: Principal = require(Role.ADMIN)) -> HTMLResponse:
    from starlette.concurrency import run_in_threadpool

    fields = _fields_from_form(await _text_form(request))
    report = await run_in_threadpool(Operations(request, principal).check_fields, fields)
    return render(request, "_check_report.html", {"report": report})


@router.post("/integrations/connect", response_class=HTMLResponse)
async def connect_save(request: Request, principal: Principal = require(Role.ADMIN)) -> Response:
    form = await _text_form(request)
    errors = {
        field: message
        for field in ("api_key", "workspace_id", "chatgpt_org_id", "platform_org_id", "base_url")
        if (
            message := field_error(field, form.get(field, "")) if form.get(field, "").strip() else "Required."
        )
    }
    if form.get("confirmed") != "yes":
        errors["confirmed"] = "Tick the box once OpenAI has emailed you that the Compliance API is enabled."
    values = {k: v for k, v in form.items() if k not in ("api_key", "csrf_token")}
    if errors:
        return render(request, "connect.html", _connect_context(principal, values, errors), 422)
    try:
        Operations(request, principal).connect(_fields_from_form(form))
    except IntegrationError as exc:
        errors["form"] = str(exc)
        return render(request, "connect.html", _connect_context(principal, values, errors), 422)
    return RedirectResponse("/integrations", status_code=303)


@router.get("/integrations/{name}", response_class=HTMLResponse)
def manage_page(name: str, request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    return _manage(request, principal, name)


def _manage(
    request: Request,
    principal: Principal,
    name: str,
    *,
    message: str | None = None,
    error: str | None = None,
    report: Any = None,
    status_code: int = 200,
) -> HTMLResponse:
    try:
        info = request.app.state.integrations.get(name)
    except IntegrationError as exc:
        return render(
            request, "error.html", {"principal": principal, "nav": "integrations", "message": str(exc)}, 404
        )
    context = {
        "principal": principal,
        "nav": "integrations",
        "info": info,
        "streams": _streams(request, info),
        "backfill": request.app.state.backfills.state(info.name),
        "hints": FIELD_HINTS,
        "message": message,
        "error": error,
        "report": report,
    }
    return render(request, "manage.html", context, status_code)


@router.post("/integrations/{name}/action/{action}", response_class=HTMLResponse)
async def manage_action(
    name: str, action: str, request: Request, principal: Principal = require(Role.ADMIN)
) -> Response:
    from starlette.concurrency import run_in_threadpool

    form = await _text_form(request)
    operations = Operations(request, principal)
    try:
        if action == "test":
            _info, report = await run_in_threadpool(operations.retest, name)
            return _manage(request, principal, name, report=report)
        if action == "pause":
            operations.pause(name)
            return _manage(request, principal, name, message="Paused: no sync runs until you resume.")
        if action == "resume":
            operations.resume(name)
            return _manage(request, principal, name, message="Resumed: a sync pass started.")
        if action == "sync":
            operations.sync_now(name)
            return _manage(request, principal, name, message="A sync pass started.")
        if action == "rotate":
            info, warnings = operations.rotate_key(
                name, form.get("api_key", ""), form.get("key_name") or None
            )
            note = f"Key replaced (…{info.key_last4}). Run Test Credentials to check it." + "".join(
                f" Note: {w}." for w in warnings
            )
            return _manage(request, principal, name, message=note)
        if action == "edit":
            changes = {
                field: form.get(field) or None
                for field in ("workspace_id", "chatgpt_org_id", "platform_org_id", "base_url", "key_name")
            }
            operations.update(name, **changes)
            return _manage(request, principal, name, message="Settings saved.")
        if action == "remove":
            if form.get("confirm_name", "").strip() != name:
                return _manage(
                    request,
                    principal,
                    name,
                    error="Type the integration name to confirm the disconnection.",
                    status_code=422,
                )
            purge = form.get("purge") == "yes"
            operations.remove(name, purge)
            return RedirectResponse("/integrations", status_code=303)
    except IntegrationError as exc:
        return _manage(request, principal, name, error=str(exc)[0].upper() + str(exc)[1:], status_code=422)
    return _manage(request, principal, name, error=f"Unknown action {action!r}.", status_code=404)


# --- settings ----------------------------------------------------------------------------------------------


def _settings_page(
    request: Request,
    principal: Principal,
    *,
    message: str | None = None,
    error: str | None = None,
    new_token: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    state = request.app.state
    entries, total = state.audit.page(limit=50)
    context = {
        "principal": principal,
        "nav": "settings",
        "users": state.accounts.list_users(),
        "tokens": state.accounts.list_tokens(),
        "audit": entries,
        "audit_total": total,
        "message": message,
        "error": error,
        "new_token": new_token,
        "roles": [role.label for role in Role],
    }
    return render(request, "settings.html", context, status_code)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, principal: Principal = require(Role.ADMIN)) -> HTMLResponse:
    return _settings_page(request, principal)


@router.post("/settings/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    username: str = Form(""),
    role: str = Form("viewer"),
    principal: Principal = require(Role.ADMIN),
) -> HTMLResponse:
    accounts = request.app.state.accounts
    try:
        from aiwatch.web.accounts import generate_password

        password = generate_password()
        user = accounts.create_user(username, password, Role.parse(role))
    except AccountError as exc:
        return _settings_page(request, principal, error=str(exc), status_code=422)
    request.app.state.audit.record(principal.actor, "user.create", user.username, {"role": user.role.label})
    return _settings_page(
        request, principal, message=f"Account {user.username} created. Its password (shown once): {password}"
    )


@router.post("/settings/users/{username}/role", response_class=HTMLResponse)
def set_role(
    username: str, request: Request, role: str = Form(""), principal: Principal = require(Role.ADMIN)
) -> HTMLResponse:
    try:
        user = request.app.state.accounts.set_role(username, Role.parse(role))
    except AccountError as exc:
        return _settings_page(request, principal, error=str(exc), status_code=422)
    request.app.state.audit.record(principal.actor, "user.set_role", user.username, {"role": user.role.label})
    return _settings_page(request, principal, message=f"{user.username} is now {user.role.label}.")


@router.post("/settings/tokens", response_class=HTMLResponse)
async def create_token(request: Request, principal: Principal = require(Role.ADMIN)) -> HTMLResponse:
    form = await request.form()
    scopes = [value for value in form.getlist("scopes") if isinstance(value, str)]
    name = form.get("name")
    try:
        info, token = request.app.state.accounts.create_token(
            principal.username, name if isinstance(name, str) else "", scopes
        )
    except AccountError as exc:
        return _settings_page(request, principal, error=str(exc), status_code=422)
    request.app.state.audit.record(principal.actor, "token.create", info.name, {"scopes": list(info.scopes)})
    return _settings_page(request, principal, new_token=token)


@router.post("/settings/tokens/{token_id}/revoke", response_class=HTMLResponse)
def revoke_token(token_id: int, request: Request, principal: Principal = require(Role.ADMIN)) -> HTMLResponse:
    try:
        info = request.app.state.accounts.revoke_token(token_id)
    except AccountError as exc:
        return _settings_page(request, principal, error=str(exc), status_code=404)
    request.app.state.audit.record(principal.actor, "token.revoke", info.name, {"prefix": info.prefix})
    return _settings_page(request, principal, message=f"Token {info.name} revoked.")


def login_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(next_path)}", status_code=303)
