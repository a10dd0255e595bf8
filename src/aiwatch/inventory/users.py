"""Workspace users: the filtered, sorted list and one user's profile.

Where the columns come from:
- email, name, role, status: the users stream (``users`` table);
- apps: connector apps in the log feed (APP_LOG tool calls and APP_AUTH_LOG links) whose actor is the user;
  GPTs and projects used: messages of the user's conversations that name a gpt_id / project_id;
- last active: the newest ``last_active_at`` of the user's conversations;
- open findings: findings whose subject is the user; risk score: the stored score (``aiwatch.risk``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from aiwatch.findings.models import Finding
from aiwatch.inventory.common import (
    InventoryError,
    NotFound,
    Page,
    integration_names,
    like_pattern,
    open_findings_subquery,
    risk_join,
    text_filter,
)
from aiwatch.inventory.risk import RiskExplanation, explain
from aiwatch.risk.models import RiskScoreRow
from aiwatch.store.models import Agent, Conversation, LogEvent, Message, WorkspaceUser

USER_SORTS = ("risk", "email", "name", "findings", "last_active")
APP_EVENT_TYPES = ("APP_LOG", "APP_AUTH_LOG")
RECENT_DAYS = 30


@dataclass
class UserFilter:
    text: str | None = None  # in email or name
    role: str | None = None
    status: str | None = None
    min_risk: float | None = None
    integration_id: int | None = None
    page: Page = field(default_factory=lambda: Page("risk"))


@dataclass
class UserRow:
    id: int
    integration_id: int
    integration: str
    user_id: str
    email: str | None
    name: str | None
    role: str | None
    status: str | None
    created_at: datetime | None
    open_findings: int
    risk_score: float | None
    last_active: datetime | None
    apps: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "integration_id": self.integration_id,
            "integration": self.integration,
            "user_id": self.user_id,
            "email": self.email,
            "name": self.name,
            "role": self.role,
            "status": self.status,
            "created_at": self.created_at,
            "open_findings": self.open_findings,
            "risk_score": self.risk_score,
            "last_active": self.last_active,
            "apps": self.apps,
        }


@dataclass(frozen=True)
class AppUse:
    app_id: str
    name: str
    events: int
    last_seen: datetime | None


@dataclass(frozen=True)
class AgentUse:
    agent_id: str
    kind: str
    name: str | None
    messages: int


@dataclass(frozen=True)
class OwnedAgent:
    agent_id: str
    kind: str
    name: str | None
    visibility: str | None


@dataclass(frozen=True)
class FindingBrief:
    id: int
    rule: str
    severity: str
    alert_count: int
    last_seen: datetime


@dataclass
class UserDetail:
    user: UserRow
    apps: list[AppUse]
    agents_used: list[AgentUse]
    agents_owned: list[OwnedAgent]
    conversations_total: int
    conversations_recent: int
    recent_days: int
    open_findings: list[FindingBrief]
    risk: RiskExplanation | None


def _last_active_subquery() -> Any:
    return (
        select(
            Conversation.integration_id.label("integration_id"),
            Conversation.user_id.label("user_id"),
            func.max(Conversation.last_active_at).label("last_active"),
        )
        .group_by(Conversation.integration_id, Conversation.user_id)
        .subquery()
    )


def _base_query() -> tuple[Select[Any], Any, Any]:
    open_counts = open_findings_subquery("user")
    active = _last_active_subquery()
    findings_col = func.coalesce(open_counts.c.open_findings, 0)
    query = select(WorkspaceUser, findings_col, RiskScoreRow.score, active.c.last_active)
    query = query.outerjoin(
        open_counts,
        (open_counts.c.integration_id == WorkspaceUser.integration_id)
        & (open_counts.c.subject_id == WorkspaceUser.user_id),
    )
    query = risk_join(query, "user", WorkspaceUser.integration_id, WorkspaceUser.user_id)
    query = query.outerjoin(
        active,
        (active.c.integration_id == WorkspaceUser.integration_id)
        & (active.c.user_id == WorkspaceUser.user_id),
    )
    return query, findings_col, active.c.last_active


def list_users(session: Session, f: UserFilter | None = None) -> tuple[list[UserRow], int]:
    """One page of users matching the filter, and how many match in all."""
    f = f or UserFilter()
    f.page.check(USER_SORTS)
    if f.min_risk is not None and not 0 <= f.min_risk <= 100:
        raise InventoryError("min_risk must be between 0 and 100")
    query, findings_col, last_active_col = _base_query()
    conditions: list[Any] = []
    if f.text:
        conditions.append(text_filter(like_pattern(f.text), WorkspaceUser.email, WorkspaceUser.name))
    if f.role:
        conditions.append(WorkspaceUser.role == f.role)
    if f.status:
        conditions.append(WorkspaceUser.status == f.status)
    if f.integration_id is not None:
        conditions.append(WorkspaceUser.integration_id == f.integration_id)
    if f.min_risk is not None:
        conditions.append(func.coalesce(RiskScoreRow.score, 0.0) >= f.min_risk)
    query = query.where(*conditions)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    key: Any = {
        "risk": func.coalesce(RiskScoreRow.score, 0.0),
        "email": func.lower(func.coalesce(WorkspaceUser.email, "")),
        "name": func.lower(func.coalesce(WorkspaceUser.name, "")),
        "findings": findings_col,
        "last_active": last_active_col,
    }[f.page.sort]
    ordered = key.desc().nulls_last() if f.page.descending else key.asc().nulls_last()
    rows = session.execute(
        query.order_by(ordered, WorkspaceUser.email, WorkspaceUser.id)
        .limit(f.page.limit)
        .offset(f.page.offset)
    ).all()
    names = integration_names(session)
    users = [
        UserRow(
            id=user.id,
            integration_id=user.integration_id,
            integration=names.get(user.integration_id, str(user.integration_id)),
            user_id=user.user_id,
            email=user.email,
            name=user.name,
            role=user.role,
            status=user.status,
            created_at=user.created_at,
            open_findings=int(open_findings or 0),
            risk_score=round(score, 1) if score is not None else None,
            last_active=last_active,
        )
        for user, open_findings, score, last_active in rows
    ]
    apps = _apps_of(session, [(u.integration_id, u.user_id) for u in users])
    for user in users:
        user.apps = [a.name for a in apps.get((user.integration_id, user.user_id), [])]
    return users, total


def facets(session: Session) -> dict[str, list[str]]:
    """The roles and statuses present, for the filter drop-downs."""
    return {
        "roles": sorted(r for r in session.scalars(select(WorkspaceUser.role).distinct()) if r),
        "statuses": sorted(s for s in session.scalars(select(WorkspaceUser.status).distinct()) if s),
    }


def _app_of(payload: dict[str, Any]) -> tuple[str, str] | None:
    """(id, name) of the connector app an APP_LOG / APP_AUTH_LOG event is about."""
    app = payload.get("app")
    if not isinstance(app, dict):
        data = payload.get("action_data")
        app = data.get("app") if isinstance(data, dict) else None
    if not isinstance(app, dict) or not isinstance(app.get("id"), str):
        return None
    name = app.get("name")
    return app["id"], name if isinstance(name, str) and name else app["id"]


def _apps_of(session: Session, users: list[tuple[int, str]]) -> dict[tuple[int, str], list[AppUse]]:
    """Connector apps per (integration, user id) from the log feed; only events that name a wanted user."""
    if not users:
        return {}
    wanted = set(users)
    rows = session.execute(
        select(LogEvent.integration_id, LogEvent.timestamp, LogEvent.raw).where(
            LogEvent.event_type.in_(APP_EVENT_TYPES),
            LogEvent.integration_id.in_({i for i, _ in users}),
            or_(*(LogEvent.raw.contains(user_id) for _, user_id in wanted)),
        )
    ).all()
    tally: dict[tuple[int, str], dict[str, list[Any]]] = {}
    for integration_id, timestamp, raw in rows:
        try:
            payload = json.loads(raw)
        except (TypeError, ValueError):
            continue  # a malformed line is kept verbatim by the sync; nothing to read in it
        if not isinstance(payload, dict) or not isinstance(payload.get("actor"), dict):
            continue
        key = (integration_id, payload["actor"].get("user_id"))
        app = _app_of(payload)
        if key not in wanted or app is None:
            continue
        entry = tally.setdefault(key, {}).setdefault(app[0], [app[1], 0, None])
        entry[1] += 1
        if timestamp is not None and (entry[2] is None or timestamp > entry[2]):
            entry[2] = timestamp
    return {
        key: sorted(
            (AppUse(app_id, n, c, t) for app_id, (n, c, t) in apps.items()), key=lambda a: a.name.lower()
        )
        for key, apps in tally.items()
    }


def find_user(session: Session, ref: str, integration_id: int | None = None) -> WorkspaceUser:
    """A user by API id (``user-…``, what findings and risk scores name) or by row id; NotFound otherwise."""
    query = select(WorkspaceUser).where(WorkspaceUser.user_id == ref)
    if integration_id is not None:
        query = query.where(WorkspaceUser.integration_id == integration_id)
    user = session.scalars(query.order_by(WorkspaceUser.integration_id)).first()
    if user is None and ref.isdigit():
        user = session.get(WorkspaceUser, int(ref))
        if user is not None and integration_id is not None and user.integration_id != integration_id:
            user = None
    if user is None:
        raise NotFound(f"no workspace user {ref!r} is stored")
    return user


def get_user(
    session: Session,
    ref: str,
    *,
    integration_id: int | None = None,
    now: datetime | None = None,
    findings_limit: int = 20,
) -> UserDetail:
    """One user's profile: apps, agents used and owned, conversations, open findings and explained risk."""
    user = find_user(session, ref, integration_id)
    now = now or datetime.now(UTC)
    iid, uid = user.integration_id, user.user_id
    query, _findings, _active = _base_query()
    row = session.execute(query.where(WorkspaceUser.id == user.id)).one()
    _, open_count, score, last_active = row
    summary = UserRow(
        id=user.id,
        integration_id=iid,
        integration=integration_names(session).get(iid, str(iid)),
        user_id=uid,
        email=user.email,
        name=user.name,
        role=user.role,
        status=user.status,
        created_at=user.created_at,
        open_findings=int(open_count or 0),
        risk_score=round(score, 1) if score is not None else None,
        last_active=last_active,
    )
    apps = _apps_of(session, [(iid, uid)]).get((iid, uid), [])
    summary.apps = [a.name for a in apps]
    conversations = select(func.count(Conversation.id)).where(
        Conversation.integration_id == iid, Conversation.user_id == uid
    )
    total = session.scalar(conversations) or 0
    recent = (
        session.scalar(conversations.where(Conversation.last_active_at >= now - timedelta(days=RECENT_DAYS)))
        or 0
    )
    findings = session.scalars(
        select(Finding)
        .where(
            Finding.integration_id == iid,
            Finding.subject_kind == "user",
            Finding.subject_id == uid,
            Finding.status == "open",
        )
        .order_by(Finding.last_seen.desc(), Finding.id.desc())
        .limit(findings_limit)
    ).all()
    return UserDetail(
        user=summary,
        apps=apps,
        agents_used=_agents_used(session, iid, uid),
        agents_owned=[
            OwnedAgent(a.agent_id, a.kind, a.name, a.visibility)
            for a in session.scalars(
                select(Agent)
                .where(Agent.integration_id == iid, Agent.owner_id == uid, Agent.deleted_at.is_(None))
                .order_by(Agent.kind, Agent.name, Agent.agent_id)
            )
        ],
        conversations_total=int(total),
        conversations_recent=int(recent),
        recent_days=RECENT_DAYS,
        open_findings=[FindingBrief(f.id, f.rule, f.severity, f.alert_count, f.last_seen) for f in findings],
        risk=explain(session, iid, "user", uid),
    )


def _agents_used(session: Session, integration_id: int, user_id: str) -> list[AgentUse]:
    """GPTs and projects named by messages in the user's conversations, most used first."""
    agent_key = func.coalesce(Message.gpt_id, Message.project_id)
    conversation_ids = select(Conversation.conversation_id).where(
        Conversation.integration_id == integration_id, Conversation.user_id == user_id
    )
    rows = session.execute(
        select(agent_key, func.count(Message.id))
        .where(
            Message.integration_id == integration_id,
            Message.conversation_id.in_(conversation_ids),
            agent_key.is_not(None),
        )
        .group_by(agent_key)
    ).all()
    agents = {
        a.agent_id: a
        for a in session.scalars(
            select(Agent).where(
                Agent.integration_id == integration_id, Agent.agent_id.in_([r[0] for r in rows])
            )
        )
    }
    used = [
        AgentUse(
            agent_id,
            agents[agent_id].kind
            if agent_id in agents
            else ("project" if agent_id.startswith("g-p-") else "gpt"),
            agents[agent_id].name if agent_id in agents else None,
            int(count),
        )
        for agent_id, count in rows
    ]
    return sorted(used, key=lambda a: (-a.messages, a.agent_id))
