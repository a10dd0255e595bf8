"""REST API: alerts over time (``/api/alerts``, ``/api/alerts/stats``) and the explorer (message search,
conversation detail, usage). Message bodies are analyst-only; opening a conversation is audited."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

from aiwatch.explorer.alerts import AlertFilter, alert_stats, list_alerts
from aiwatch.explorer.frames import Frame
from aiwatch.explorer.search import (
    MessageQuery,
    SearchError,
    SearchPage,
    conversation_detail,
    search_messages,
)
from aiwatch.explorer.usage import usage
from aiwatch.store.types import to_utc
from aiwatch.web.accounts import Principal, Role
from aiwatch.web.auth import require

router = APIRouter(prefix="/api")  # tags per route: "alerts" and "explorer"

FrameName = Literal["24h", "7d", "30d", "90d"]


# --- alerts -------------------------------------------------------------------------------------------------


class ItemRef(BaseModel):
    kind: str
    id: str
    field: str


class SubjectRef(BaseModel):
    kind: str
    id: str


class AlertOut(BaseModel):
    id: int
    rule: str
    rule_name: str
    policy: str
    group: str
    item: ItemRef
    subject: SubjectRef
    evidence: str  # masked
    severity: str
    score: float
    observed_at: datetime
    suppressed_by: str | None
    suppression_reason: str | None
    finding_id: int | None
    agent_id: str | None
    app_id: str | None


class AlertPage(BaseModel):
    items: list[AlertOut]
    total: int
    limit: int
    offset: int


class TrendOut(BaseModel):
    current: int
    previous: int
    delta: int
    percent: int | None  # None: nothing in the previous frame


class DayCount(BaseModel):
    day: str
    alerts: int


class CountsOut(BaseModel):
    alerts: int  # unsuppressed
    suppressed: int
    suppressed_by: dict[str, int]  # reason → count: exclusion, ignore, scope, test_value, disabled
    trend: TrendOut
    per_day: list[DayCount]


class RuleStatsOut(CountsOut):
    rule: str
    name: str


class PolicyStatsOut(CountsOut):
    policy: str
    name: str
    group: str
    rules: list[RuleStatsOut]


class AlertStatsOut(BaseModel):
    frame: str
    since: datetime
    until: datetime
    totals: CountsOut
    policies: list[PolicyStatsOut]


def _window(since: datetime | None, until: datetime | None) -> tuple[datetime | None, datetime | None]:
    """Naive times are UTC; an empty window is a client mistake worth a 422."""
    start, end = to_utc(since), to_utc(until)
    if start and end and start > end:
        raise HTTPException(422, "since must not be after until")
    return start, end


@router.get("/alerts", tags=["alerts"], response_model=AlertPage, summary="List alerts (newest first)")
def get_alerts(
    request: Request,
    rule: str | None = Query(None, description="rule id, or a glob such as secret.*"),
    policy: str | None = Query(None, description="policy id, e.g. access_data"),
    group: str | None = Query(None, description="policy group, e.g. Data Exposure"),
    subject: str | None = Query(None, description="user or agent id"),
    suppressed: bool | None = Query(None, description="true: only suppressed; false: only unsuppressed"),
    since: datetime | None = Query(None),
    until: datetime | None = Query(None),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.VIEWER),
) -> AlertPage:
    start, end = _window(since, until)
    query = AlertFilter(rule, policy, group, subject, suppressed, start, end, limit, offset)
    with request.app.state.sessions() as session:
        rows, total = list_alerts(session, query)
    return AlertPage(items=[AlertOut(**row) for row in rows], total=total, limit=limit, offset=offset)


@router.get(
    "/alerts/stats",
    tags=["alerts"],
    response_model=AlertStatsOut,
    summary="Alert counts per policy, rule and day",
)
def get_alert_stats(
    request: Request,
    frame: FrameName = Query("7d", description="time frame; the trend compares with the frame before it"),
    principal: Principal = require(Role.VIEWER),
) -> AlertStatsOut:
    with request.app.state.sessions() as session:
        stats = alert_stats(session, Frame.parse(frame))
    return AlertStatsOut(**stats.as_dict())


# --- explorer -----------------------------------------------------------------------------------------------


class ConversationRef(BaseModel):
    id: int
    conversation_id: str
    title: str | None


class UserRef(BaseModel):
    id: str | None
    email: str | None
    name: str | None = None


class SnippetOut(BaseModel):
    before: str
    match: str
    after: str
    where: str  # text | title | none


class MessageHitOut(BaseModel):
    id: int
    message_id: str
    role: str | None
    created_at: datetime | None
    conversation: ConversationRef | None
    user: UserRef
    agent_id: str | None
    purged: bool  # the body was purged by retention
    snippet: SnippetOut
    finding_ids: list[int]


class MessagePage(BaseModel):
    items: list[MessageHitOut]
    total: int
    limit: int
    offset: int
    capped: bool  # more matched than the search counts; narrow the filters


class EvidenceOut(BaseModel):
    rule: str
    evidence: str  # masked
    finding_id: int | None


class MessageOut(BaseModel):
    id: int
    message_id: str
    role: str | None
    tool_name: str | None
    created_at: datetime | None
    text: str | None  # detected values masked (the clear value: the audited reveal on the finding)
    purged: bool
    agent_id: str | None
    files: list[str]
    finding_ids: list[int]
    evidence: list[EvidenceOut]


class FileOut(BaseModel):
    id: int
    file_id: str
    name: str | None
    kind: str
    state: str
    size: int | None
    created_at: datetime | None
    finding_ids: list[int]


class AgentRef(BaseModel):
    id: str
    name: str | None
    kind: str | None


class FindingRef(BaseModel):
    id: int
    rule: str
    policy: str
    severity: str
    status: str
    alert_count: int


class ConversationOut(BaseModel):
    id: int
    conversation_id: str
    integration_id: int
    title: str | None
    user: UserRef
    created_at: datetime | None
    last_active_at: datetime | None
    removed_by_admin: bool
    messages: list[MessageOut]
    files: list[FileOut]
    agents: list[AgentRef]
    findings: list[FindingRef]


class UsageDay(BaseModel):
    day: str
    conversations: int
    messages: int


class TopUser(BaseModel):
    user_id: str
    email: str | None
    name: str | None
    messages: int


class TopAgent(BaseModel):
    agent_id: str
    name: str | None
    kind: str | None
    messages: int


class UsageOut(BaseModel):
    frame: str
    since: datetime
    until: datetime
    conversations: int
    messages: int
    active_users: int
    per_day: list[UsageDay]
    top_users: list[TopUser]
    top_agents: list[TopAgent]


@router.get(
    "/explorer/messages", tags=["explorer"], response_model=MessagePage, summary="Search messages (analyst)"
)
def get_messages(
    request: Request,
    q: str | None = Query(None, description="substring of the message text or conversation title"),
    user: str | None = Query(None, description="owner's user id or email"),
    agent: str | None = Query(None, description="GPT or project id"),
    role: str | None = Query(None, description="author role: user, assistant, tool, system"),
    since: datetime | None = Query(None),
    until: datetime | None = Query(None),
    has_findings: bool | None = Query(None),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.ANALYST),
) -> MessagePage:
    start, end = _window(since, until)
    query = MessageQuery(
        q or None, user or None, agent or None, role or None, start, end, has_findings, limit, offset
    )
    try:
        with request.app.state.sessions() as session:
            page = search_messages(session, query)
    except SearchError as exc:
        raise HTTPException(422, str(exc)) from exc
    audit_message_search(request, principal, query, page, "api")
    return MessagePage(
        items=[MessageHitOut(**hit.as_dict()) for hit in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
        capped=page.capped,
    )


def audit_message_search(
    request: Request, principal: Principal, query: MessageQuery, page: SearchPage, via: str
) -> None:
    """Search results show snippets of message bodies: a search that returned any is audited like opening a
    conversation. The searched text itself is not logged (an analyst may search for a leaked secret), only its
    length and the other filters."""
    if not page.items:
        return
    request.app.state.audit.record(
        principal.actor,
        "explorer.search",
        "messages",
        {
            "text_chars": len(query.text or ""),
            "user": query.user,
            "agent": query.agent,
            "role": query.role,
            "since": query.since,
            "until": query.until,
            "has_findings": query.has_findings,
            "offset": query.offset,
            "shown": len(page.items),
            "via": via,
        },
        request.client.host if request.client else None,
    )


def audit_conversation_view(request: Request, principal: Principal, detail: dict[str, Any], via: str) -> None:
    """Who looked at whose chat: every opening of a conversation is in the audit log."""
    request.app.state.audit.record(
        principal.actor,
        "conversation.view",
        f"conversation:{detail['conversation_id']}",
        {
            "owner": detail["user"]["id"],
            "owner_email": detail["user"]["email"],
            "integration_id": detail["integration_id"],
            "via": via,
        },
        request.client.host if request.client else None,
    )


@router.get(
    "/explorer/conversations/{conversation_id}",
    tags=["explorer"],
    response_model=ConversationOut,
    summary="One conversation with its messages (analyst; audited)",
)
def get_conversation(
    conversation_id: int, request: Request, principal: Principal = require(Role.ANALYST)
) -> ConversationOut:
    with request.app.state.sessions() as session:
        detail = conversation_detail(session, conversation_id)
    if detail is None:
        raise HTTPException(404, f"no conversation with id {conversation_id}")
    audit_conversation_view(request, principal, detail, "api")
    return ConversationOut(**detail)


@router.get(
    "/explorer/usage",
    tags=["explorer"],
    response_model=UsageOut,
    summary="Conversations and messages over time, top users",
)
def get_usage(
    request: Request,
    frame: FrameName = Query("7d"),
    principal: Principal = require(Role.VIEWER),
) -> UsageOut:
    with request.app.state.sessions() as session:
        stats = usage(session, Frame.parse(frame))
    return UsageOut(**stats.as_dict())
