"""``/api/integrations``: list, get, create, update, test, pause, resume, rotate, remove."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field, SecretStr

from aiwatch.integrations.service import (
    DEFAULT_CHATGPT_BASE_URL,
    IntegrationError,
    IntegrationInfo,
    IntegrationNotFound,
)
from aiwatch.web.accounts import Principal, Role
from aiwatch.web.auth import require
from aiwatch.web.operations import DEFAULT_INTEGRATION_NAME, ConnectionFields, Operations

router = APIRouter(prefix="/api/integrations", tags=["integrations"])


class IntegrationOut(BaseModel):
    name: str
    kind: str
    base_url: str
    workspace_id: str
    chatgpt_org_id: str
    platform_org_id: str
    key_last4: str
    has_key: bool
    key_name: str | None
    created_by: str | None
    status: str
    status_message: str | None
    created_at: datetime
    updated_at: datetime
    removed_at: datetime | None
    last_sync_at: datetime | None
    backfill: dict[str, Any] | None = None


class IntegrationPage(BaseModel):
    items: list[IntegrationOut]
    total: int
    limit: int
    offset: int


class IntegrationCreate(BaseModel):
    name: str = DEFAULT_INTEGRATION_NAME
    api_key: SecretStr = Field(description="The Generated Key; stored encrypted, never returned")
    workspace_id: str
    chatgpt_org_id: str
    platform_org_id: str
    base_url: str = DEFAULT_CHATGPT_BASE_URL
    key_name: str | None = None
    created_by: str | None = None
    confirmed_openai_email: bool = Field(
        description="I confirm that I received confirmation email from OpenAI (must be true)"
    )


class IntegrationUpdate(BaseModel):
    new_name: str | None = None
    base_url: str | None = None
    workspace_id: str | None = None
    chatgpt_org_id: str | None = None
    platform_org_id: str | None = None
    key_name: str | None = None


class KeyRotation(BaseModel):
    api_key: SecretStr
    key_name: str | None = None


def to_out(request: Request, info: IntegrationInfo) -> IntegrationOut:
    state = request.app.state.backfills.state(info.name)
    backfill = None
    if state is not None:
        backfill = {
            "outcome": state.outcome,
            "message": state.message,
            "items": state.items,
            "started_at": state.started_at,
            "finished_at": state.finished_at,
        }
    fields = {name: getattr(info, name) for name in IntegrationOut.model_fields if name != "backfill"}
    return IntegrationOut(**fields, backfill=backfill)


def _bad_input(exc: IntegrationError) -> HTTPException:
    if isinstance(exc, IntegrationNotFound):
        return HTTPException(404, str(exc))
    return HTTPException(422, str(exc))


@router.get("", response_model=IntegrationPage, summary="List integrations")
def list_integrations(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.VIEWER),
) -> IntegrationPage:
    infos = request.app.state.integrations.list_integrations()
    items = [to_out(request, info) for info in infos[offset : offset + limit]]
    return IntegrationPage(items=items, total=len(infos), limit=limit, offset=offset)


@router.get("/{name}", response_model=IntegrationOut, summary="Get one integration")
def get_integration(
    name: str, request: Request, principal: Principal = require(Role.VIEWER)
) -> IntegrationOut:
    try:
        return to_out(request, request.app.state.integrations.get(name))
    except IntegrationError as exc:
        raise _bad_input(exc) from exc


@router.post("", response_model=IntegrationOut, status_code=201, summary="Save and Connect")
def create_integration(
    body: IntegrationCreate, request: Request, principal: Principal = require(Role.ADMIN)
) -> IntegrationOut:
    if not body.confirmed_openai_email:
        raise HTTPException(
            422,
            "confirm that OpenAI emailed you that the Compliance API was enabled for this key "
            "(confirmed_openai_email: true)",
        )
    fields = ConnectionFields(
        api_key=body.api_key.get_secret_value(),
        workspace_id=body.workspace_id,
        chatgpt_org_id=body.chatgpt_org_id,
        platform_org_id=body.platform_org_id,
        base_url=body.base_url,
        key_name=body.key_name,
        created_by=body.created_by,
        name=body.name,
    )
    try:
        info, _warnings = Operations(request, principal).connect(fields)
    except IntegrationError as exc:
        raise _bad_input(exc) from exc
    return to_out(request, info)


@router.patch("/{name}", response_model=IntegrationOut, summary="Change settings")
def update_integration(
    name: str, body: IntegrationUpdate, request: Request, principal: Principal = require(Role.ADMIN)
) -> IntegrationOut:
    try:
        info = Operations(request, principal).update(name, **body.model_dump())
    except IntegrationError as exc:
        raise _bad_input(exc) from exc
    return to_out(request, info)


@router.post("/{name}/test", summary="Run Test Credentials with the stored key")
def test_integration(
    name: str, request: Request, principal: Principal = require(Role.ADMIN)
) -> dict[str, Any]:
    try:
        info, report = Operations(request, principal).retest(name)
    except IntegrationError as exc:
        raise _bad_input(exc) from exc
    return {"integration": to_out(request, info).model_dump(mode="json"), **report.to_dict()}


@router.post("/{name}/pause", response_model=IntegrationOut, summary="Pause syncing")
def pause_integration(
    name: str, request: Request, principal: Principal = require(Role.ADMIN)
) -> IntegrationOut:
    try:
        return to_out(request, Operations(request, principal).pause(name))
    except IntegrationError as exc:
        raise _bad_input(exc) from exc


@router.post("/{name}/resume", response_model=IntegrationOut, summary="Resume syncing")
def resume_integration(
    name: str, request: Request, principal: Principal = require(Role.ADMIN)
) -> IntegrationOut:
    try:
        return to_out(request, Operations(request, principal).resume(name))
    except IntegrationError as exc:
        raise _bad_input(exc) from exc


@router.post("/{name}/rotate", response_model=IntegrationOut, summary="Replace the API key")
def rotate_integration_key(
    name: str, body: KeyRotation, request: Request, principal: Principal = require(Role.ADMIN)
) -> IntegrationOut:
    try:
        info, _warnings = Operations(request, principal).rotate_key(
            name, body.api_key.get_secret_value(), body.key_name
        )
    except IntegrationError as exc:
        raise _bad_input(exc) from exc
    return to_out(request, info)


@router.post("/{name}/sync", status_code=202, summary="Start a sync pass in the background")
def sync_integration_now(
    name: str, request: Request, principal: Principal = require(Role.ADMIN)
) -> dict[str, str]:
    try:
        Operations(request, principal).sync_now(name)
    except IntegrationError as exc:
        raise _bad_input(exc) from exc
    return {"status": "started"}


@router.delete("/{name}", summary="Disconnect (purge=true also deletes the synced data)")
def delete_integration(
    name: str,
    request: Request,
    purge: bool = Query(False),
    principal: Principal = require(Role.ADMIN),
) -> dict[str, Any]:
    try:
        deleted = Operations(request, principal).remove(name, purge)
    except IntegrationError as exc:
        raise _bad_input(exc) from exc
    return {"removed": name, "purged": purge, "rows_deleted": deleted}
