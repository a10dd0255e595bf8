"""``/api/inventory``: workspace users and agents (custom GPTs and projects), versions, diffs, reviews."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from aiwatch.inventory import agents as agent_queries
from aiwatch.inventory import users as user_queries
from aiwatch.inventory.common import InventoryError, NotFound, Page
from aiwatch.web.accounts import Principal, Role
from aiwatch.web.auth import require

router = APIRouter(prefix="/api", tags=["inventory"])


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserOut(_Out):
    id: int
    integration_id: int
    integration: str
    user_id: str = Field(description="The workspace's user id (user-…); findings and risk scores name it")
    email: str | None
    name: str | None
    role: str | None
    status: str | None
    created_at: datetime | None
    open_findings: int
    risk_score: float | None
    last_active: datetime | None = Field(description="Newest last_active_at of the user's conversations")
    apps: list[str] = Field(description="Connector apps the log feed shows the user using or linking")


class UserPage(BaseModel):
    items: list[UserOut]
    total: int
    limit: int
    offset: int


class RiskTermOut(_Out):
    term: str
    label: str
    contribution: float
    detail: str


class RulePointsOut(_Out):
    rule: str
    findings: int
    alerts: int
    severity: str
    points: float


class FindingPointsOut(_Out):
    finding_id: int
    rule: str
    severity: str
    status: str
    resolution: str | None
    alert_count: int
    last_seen: datetime
    severity_weight: float
    age_days: float
    decay: float
    status_factor: float
    points: float


class RiskOut(BaseModel):
    score: float
    raw: float
    computed_at: datetime
    finding_count: int
    stale: bool = Field(
        description="Findings changed after the score was computed (next pipeline run updates it)"
    )
    terms: list[RiskTermOut] = Field(
        description="exposure + volume + breadth contributions add up to the score"
    )
    rules: list[RulePointsOut]
    findings: list[FindingPointsOut]
    formula: dict[str, Any]


class AppUseOut(_Out):
    app_id: str
    name: str
    events: int
    last_seen: datetime | None


class AgentUseOut(_Out):
    agent_id: str
    kind: str
    name: str | None
    messages: int


class OwnedAgentOut(_Out):
    agent_id: str
    kind: str
    name: str | None
    visibility: str | None


class FindingBriefOut(_Out):
    id: int
    rule: str
    severity: str
    alert_count: int
    last_seen: datetime


class UserDetailOut(BaseModel):
    user: UserOut
    apps: list[AppUseOut]
    agents_used: list[AgentUseOut]
    agents_owned: list[OwnedAgentOut]
    conversations_total: int
    conversations_recent: int
    recent_days: int
    open_findings: list[FindingBriefOut]
    risk: RiskOut | None


class AgentOut(_Out):
    id: int
    integration_id: int
    integration: str
    agent_id: str
    kind: str
    name: str | None
    owner_id: str | None
    owner_email: str | None
    visibility: str | None
    sharing: str = Field(description="private | shared | link | workspace | public")
    sharing_label: str
    shared_with: int
    versions: int
    latest_config_id: str | None
    latest_at: datetime | None
    open_findings: int = Field(description="Open posture findings (the agent is their subject)")
    risk_score: float | None
    reviewed_config_id: str | None
    reviewed_at: datetime | None
    reviewed_by: str | None
    changed: bool = Field(
        description="Changed since the last review (or since the first version, if never reviewed)"
    )
    deleted_at: datetime | None
    tools: list[str]
    action_domains: list[str]
    unauthenticated_domains: list[str]
    files: int
    widens: bool
    change_reasons: list[str]


class AgentPage(BaseModel):
    items: list[AgentOut]
    total: int
    limit: int
    offset: int


class SharedUserOut(_Out):
    user_id: str
    email: str | None
    name: str | None
    can_write: bool


class ActionOut(_Out):
    domain: str
    auth_type: str | None
    unauthenticated: bool


class FileOut(_Out):
    file_id: str
    name: str | None
    state: str | None
    size: int | None


class ReviewOut(_Out):
    config_id: str
    reviewed_by: str | None
    reviewed_at: datetime
    note: str | None


class VersionOut(_Out):
    config_id: str
    created_at: datetime | None
    name: str | None
    tools: list[str]
    action_domains: list[str]
    files: int
    is_latest: bool
    reviews: list[ReviewOut]
    changes: list[str]


class VersionPage(BaseModel):
    items: list[VersionOut]
    total: int
    limit: int
    offset: int


class AgentDetailOut(BaseModel):
    agent: AgentOut
    description: str | None = Field(description="Latest version's description, detected secrets masked")
    instructions: str | None = Field(description="Latest version's instructions, detected secrets masked")
    shared_users: list[SharedUserOut]
    actions: list[ActionOut]
    files: list[FileOut]
    versions: list[VersionOut]
    reviews: list[ReviewOut]
    open_findings: list[FindingBriefOut]
    user_findings: int
    risk: RiskOut | None


class FieldChangeOut(BaseModel):
    field: str
    before: str | None
    after: str | None
    added: list[str]
    removed: list[str]


class DiffLineOut(BaseModel):
    kind: Literal["add", "del", "ctx", "hunk", "note"]
    text: str


class DiffOut(BaseModel):
    from_config_id: str | None
    to_config_id: str
    base: str = Field(description="reviewed | previous | chosen | none (first version: everything is new)")
    sharing_compared: bool
    widens: bool
    reasons: list[str]
    unchanged: bool
    fields: list[FieldChangeOut]
    instructions: list[DiffLineOut] = Field(description="Unified diff of the masked instructions")


class ReviewIn(BaseModel):
    config_id: str | None = Field(None, description="The version reviewed (default: the latest)")
    note: str | None = Field(None, max_length=2000)


def _bad(exc: Exception) -> HTTPException:
    return HTTPException(404 if isinstance(exc, NotFound) else 422, str(exc))


def _page(sort: str, order: str, limit: int, offset: int) -> Page:
    return Page(sort, order == "desc", limit, offset)


def detail_out(detail: agent_queries.AgentDetail) -> AgentDetailOut:
    data = {**detail.__dict__, "risk": detail.risk.to_json() if detail.risk else None}
    return AgentDetailOut.model_validate(data, from_attributes=True)


@router.get("/inventory/users", response_model=UserPage, summary="List workspace users")
def list_users(
    request: Request,
    q: str | None = Query(None, description="Text in the email or name"),
    role: str | None = None,
    status: str | None = None,
    min_risk: float | None = Query(None, ge=0, le=100),
    integration_id: int | None = None,
    sort: str = Query("risk", description=", ".join(user_queries.USER_SORTS)),
    order: Literal["asc", "desc"] = "desc",
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.VIEWER),
) -> UserPage:
    f = user_queries.UserFilter(q, role, status, min_risk, integration_id, _page(sort, order, limit, offset))
    try:
        with request.app.state.sessions() as session:
            rows, total = user_queries.list_users(session, f)
    except InventoryError as exc:
        raise _bad(exc) from exc
    return UserPage(items=[UserOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/inventory/users/{user_id}", response_model=UserDetailOut, summary="One user with risk breakdown"
)
def get_user(
    user_id: str,
    request: Request,
    integration_id: int | None = None,
    principal: Principal = require(Role.VIEWER),
) -> UserDetailOut:
    try:
        with request.app.state.sessions() as session:
            detail = user_queries.get_user(session, user_id, integration_id=integration_id)
    except (NotFound, InventoryError) as exc:
        raise _bad(exc) from exc
    data = {**detail.__dict__, "risk": detail.risk.to_json() if detail.risk else None}
    return UserDetailOut.model_validate(data, from_attributes=True)


@router.get("/inventory/agents", response_model=AgentPage, summary="List GPTs and projects")
def list_agents(
    request: Request,
    q: str | None = Query(None, description="Text in the name, id or owner email"),
    kind: str | None = Query(None, description="gpt | project"),
    sharing: str | None = Query(None, description=" | ".join(agent_queries.SHARING_CATEGORIES)),
    changed: bool | None = Query(None, description="true: only agents changed since reviewed"),
    min_risk: float | None = Query(None, ge=0, le=100),
    owner: str | None = Query(None, description="Owner user id"),
    include_deleted: bool = False,
    integration_id: int | None = None,
    sort: str = Query("risk", description=", ".join(agent_queries.AGENT_SORTS)),
    order: Literal["asc", "desc"] = "desc",
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.VIEWER),
) -> AgentPage:
    f = agent_queries.AgentFilter(
        q,
        kind,
        sharing,
        changed,
        min_risk,
        owner,
        include_deleted,
        integration_id,
        _page(sort, order, limit, offset),
    )
    try:
        with request.app.state.sessions() as session:
            rows, total = agent_queries.list_agents(session, f)
    except InventoryError as exc:
        raise _bad(exc) from exc
    return AgentPage(
        items=[AgentOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/inventory/agents/{agent_id}", response_model=AgentDetailOut, summary="One GPT or project")
def get_agent(
    agent_id: str,
    request: Request,
    integration_id: int | None = None,
    principal: Principal = require(Role.VIEWER),
) -> AgentDetailOut:
    try:
        with request.app.state.sessions() as session:
            return detail_out(agent_queries.get_agent(session, agent_id, integration_id=integration_id))
    except (NotFound, InventoryError) as exc:
        raise _bad(exc) from exc


@router.get(
    "/inventory/agents/{agent_id}/versions", response_model=VersionPage, summary="Configuration versions"
)
def list_versions(
    agent_id: str,
    request: Request,
    integration_id: int | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.VIEWER),
) -> VersionPage:
    """Newest first, each with what changed from the version before and its review marks."""
    try:
        with request.app.state.sessions() as session:
            agent = agent_queries.find_agent(session, agent_id, integration_id)
            versions = agent_queries.list_versions(session, agent)
    except NotFound as exc:
        raise _bad(exc) from exc
    return VersionPage(
        items=[VersionOut.model_validate(v) for v in versions[offset : offset + limit]],
        total=len(versions),
        limit=limit,
        offset=offset,
    )


@router.get("/inventory/agents/{agent_id}/diff", response_model=DiffOut, summary="Diff two versions")
def diff_versions(
    agent_id: str,
    request: Request,
    from_: str | None = Query(
        None, alias="from", description="Default: the reviewed version, else the previous"
    ),
    to: str | None = Query(None, description="Default: the latest version"),
    integration_id: int | None = None,
    principal: Principal = require(Role.VIEWER),
) -> DiffOut:
    """Field by field (name, description, tools, action domains, files, sharing) plus the masked
    instructions as a unified diff. Sharing is compared only from the reviewed version to the latest."""
    try:
        with request.app.state.sessions() as session:
            agent = agent_queries.find_agent(session, agent_id, integration_id)
            diff = agent_queries.agent_diff(session, agent, from_, to)
    except (NotFound, InventoryError) as exc:
        raise _bad(exc) from exc
    return DiffOut.model_validate(diff.to_json())


def record_review(
    request: Request,
    principal: Principal,
    agent_ref: str,
    *,
    config_id: str | None,
    note: str | None,
    integration_id: int | None = None,
) -> agent_queries.ReviewInfo:
    """Mark reviewed and write ``agent.mark_reviewed`` to the audit log (the page's form uses this too)."""
    with request.app.state.sessions.begin() as session:
        agent = agent_queries.find_agent(session, agent_ref, integration_id)
        review = agent_queries.mark_reviewed(
            session, agent, config_id, reviewed_by=principal.username, note=note or None
        )
        target, iid = agent.agent_id, agent.integration_id
    request.app.state.audit.record(
        principal.actor,
        "agent.mark_reviewed",
        target,
        {"integration_id": iid, "config_id": review.config_id},
        request.client.host if request.client else None,
    )
    return review


@router.post(
    "/inventory/agents/{agent_id}/review", response_model=ReviewOut, status_code=201, summary="Mark reviewed"
)
def review_agent(
    agent_id: str,
    request: Request,
    body: ReviewIn | None = None,
    integration_id: int | None = None,
    principal: Principal = require(Role.ANALYST),
) -> ReviewOut:
    """Mark a version (default: the latest) and the current sharing as reviewed: "changed since reviewed"
    clears, and later diffs and posture runs compare against this version. Audited as agent.mark_reviewed."""
    body = body or ReviewIn()
    try:
        review = record_review(
            request,
            principal,
            agent_id,
            config_id=body.config_id,
            note=body.note,
            integration_id=integration_id,
        )
    except (NotFound, InventoryError) as exc:
        raise _bad(exc) from exc
    return ReviewOut.model_validate(review)
