"""``/api/tokens``, ``/api/users``, ``/api/audit`` and the authenticated API description."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from aiwatch.web.accounts import AccountError, AccountService, Principal, Role
from aiwatch.web.auth import require

router = APIRouter(prefix="/api", tags=["administration"])


class TokenCreate(BaseModel):
    name: str
    scopes: list[str]


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    username: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class TokenCreated(TokenOut):
    token: str  # the clear token: in this response only, never stored or listed


class TokenPage(BaseModel):
    items: list[TokenOut]
    total: int
    limit: int
    offset: int


class AccountOut(BaseModel):
    username: str
    role: str
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None


class AccountPage(BaseModel):
    items: list[AccountOut]
    total: int
    limit: int
    offset: int


class AuditOut(BaseModel):
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]
    source_ip: str | None


class AuditPage(BaseModel):
    items: list[AuditOut]
    total: int
    limit: int
    offset: int


class MeOut(BaseModel):
    username: str
    role: str  # for a token: the role its scopes allow, not its owner's


def _accounts(request: Request) -> AccountService:
    return request.app.state.accounts


def _token_out(info: Any) -> TokenOut:
    return TokenOut(**{**info.__dict__, "scopes": list(info.scopes)})


@router.get("/tokens", response_model=TokenPage, summary="List API tokens (never their values)")
def list_tokens(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.ADMIN),
) -> TokenPage:
    # A console has a handful of tokens: paging the listed rows keeps the account service simple.
    tokens = _accounts(request).list_tokens()
    items = [_token_out(info) for info in tokens[offset : offset + limit]]
    return TokenPage(items=items, total=len(tokens), limit=limit, offset=offset)


@router.post(
    "/tokens", status_code=201, response_model=TokenCreated, summary="Create an API token (shown once)"
)
def create_token(
    body: TokenCreate, request: Request, principal: Principal = require(Role.ADMIN)
) -> TokenCreated:
    try:
        info, token = _accounts(request).create_token(principal.username, body.name, body.scopes)
    except AccountError as exc:
        raise HTTPException(422, str(exc)) from exc
    request.app.state.audit.record(
        principal.actor, "token.create", info.name, {"scopes": list(info.scopes), "prefix": info.prefix}
    )
    return TokenCreated(token=token, **_token_out(info).model_dump())


@router.delete("/tokens/{token_id}", response_model=TokenOut, summary="Revoke an API token")
def revoke_token(token_id: int, request: Request, principal: Principal = require(Role.ADMIN)) -> TokenOut:
    try:
        info = _accounts(request).revoke_token(token_id)
    except AccountError as exc:
        raise HTTPException(404, str(exc)) from exc
    request.app.state.audit.record(principal.actor, "token.revoke", info.name, {"prefix": info.prefix})
    return _token_out(info)


@router.get("/users", response_model=AccountPage, summary="List accounts")
def list_users(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.ADMIN),
) -> AccountPage:
    users = _accounts(request).list_users()
    items = [
        AccountOut(
            username=user.username,
            role=user.role.label,
            disabled=user.disabled,
            created_at=user.created_at,
            last_login_at=user.last_login_at,
        )
        for user in users[offset : offset + limit]
    ]
    return AccountPage(items=items, total=len(users), limit=limit, offset=offset)


@router.get("/audit", response_model=AuditPage, summary="The audit log, newest first")
def audit_log(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.ADMIN),
) -> AuditPage:
    entries, total = request.app.state.audit.page(limit=limit, offset=offset)
    items = [AuditOut(**entry.__dict__) for entry in entries]
    return AuditPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/me", response_model=MeOut, summary="Who am I")
def me(principal: Principal = require(Role.VIEWER)) -> MeOut:
    return MeOut(username=principal.username, role=principal.role.label)


@router.get("/openapi.json", include_in_schema=False)
def openapi_schema(request: Request, principal: Principal = require(Role.VIEWER)) -> dict[str, Any]:
    return request.app.openapi()


@router.get("/docs", include_in_schema=False, response_class=HTMLResponse)
def api_docs(request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    schema = request.app.openapi()
    operations = [
        {"method": method.upper(), "path": path, "summary": op.get("summary", "")}
        for path, methods in schema.get("paths", {}).items()
        for method, op in methods.items()
    ]
    return request.app.state.templates.TemplateResponse(
        request, "api_docs.html", {"operations": operations, "principal": principal, "nav": "settings"}
    )
