"""REST API: policies (groups → policies → rules), exclusions, ignore rules, organisation rules with replay,
and user groups. Reads need Role.VIEWER (token scope read); every change is an admin action, written to the
audit log. Changes apply to new items at once and to stored history at the next pipeline pass / rescan."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from aiwatch.findings import groups as group_service
from aiwatch.findings import manage
from aiwatch.findings.models import Exclusion, IgnoreRule, OrgRule
from aiwatch.web.accounts import Principal, Role
from aiwatch.web.auth import require

router = APIRouter(prefix="/api", tags=["policies"])

# What a change does to stored history (the policy snapshot is applied when an alert is recorded).
RESCAN_NOTE = (
    "Existing findings update on the next pipeline pass or rescan: findings of disabled rules are closed and "
    "new or more sensitive rules scan stored history; alerts already recorded keep their severity and "
    "suppression."
)
Status = Literal["enabled", "disabled", "default"]
SeverityIn = Literal["critical", "high", "medium", "low", "default"]
SensitivityIn = Literal["balanced", "high", "default"]


# --- models ------------------------------------------------------------------------------------------------


class Scope(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt scope key must not silently mean "everywhere"

    integrations: list[str] = Field(default_factory=list, description="integration names or ids")
    agents: list[str] = Field(default_factory=list, description="GPT / project ids")
    apps: list[str] = Field(default_factory=list, description="app ids")
    users: list[str] = Field(default_factory=list, description="workspace user ids")
    groups: list[str] = Field(default_factory=list, description="user group ids")


class SettingOverride(BaseModel):
    status: str | None
    severity: str | None
    sensitivity: str | None
    scope: dict[str, list[str]]
    updated_by: str | None
    updated_at: datetime | None


class RuleOut(BaseModel):
    id: str
    name: str
    meaning: str
    security_context: str
    kind: str
    org_status: str | None
    status: str
    severity: str
    default_severity: str
    sensitivity: str
    default_enabled: bool
    override: SettingOverride
    open_findings: int
    suppressed: dict[str, int]


class PolicyOut(BaseModel):
    id: str
    name: str
    group: str
    override: SettingOverride
    enabled_rules: int
    open_findings: int
    rules: list[RuleOut]


class GroupOut(BaseModel):
    group: str
    policies: list[PolicyOut]


class PolicyTree(BaseModel):
    groups: list[GroupOut]
    note: str = RESCAN_NOTE


class SettingPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    severity: SeverityIn | None = None
    sensitivity: SensitivityIn | None = None
    scope: Scope | None = Field(None, description="replaces the whole scope; {} means everywhere")


class BulkPatch(BaseModel):
    rule_ids: list[str] = Field(min_length=1, max_length=500)
    status: Literal["enabled", "disabled"] | None = None
    severity: SeverityIn | None = None
    sensitivity: SensitivityIn | None = None


class BulkResult(BaseModel):
    updated: list[str]
    note: str = RESCAN_NOTE


class ExclusionIn(BaseModel):
    kind: Literal["keyword", "regex", "value"]
    value: str = Field(
        min_length=1, description="keyword, regex, or the exact value (stored only as its hash)"
    )
    scope_kind: Literal["everywhere", "rule", "policy"] = "everywhere"
    scope_id: str | None = Field(None, description="rule id (glob allowed) or policy id")
    note: str | None = None


class ExclusionOut(BaseModel):
    id: int
    kind: str
    pattern: str = Field(description="the keyword or regex; for an exact value, its keyed hash")
    scope_kind: str
    scope_id: str | None
    note: str | None
    created_by: str | None
    created_at: datetime
    suppressed: int


class IgnoreIn(BaseModel):
    rule: str = Field(min_length=1, description="rule id or glob, e.g. secret.*")
    target_kind: Literal["agent", "app", "everywhere"]
    target_id: str | None = None
    note: str | None = None


class IgnoreOut(BaseModel):
    id: int
    rule: str
    target_kind: str
    target_id: str | None
    note: str | None
    created_by: str | None
    created_at: datetime
    suppressed: int


class OrgRuleIn(BaseModel):
    slug: str = Field(description="the rule becomes custom.<slug>")
    name: str = ""
    kind: Literal["regex", "keyword"]
    patterns: list[str] = Field(min_length=1)
    severity: Literal["critical", "high", "medium", "low"] = "medium"


class OrgRuleOut(BaseModel):
    id: int
    rule_id: str
    name: str
    kind: str
    patterns: list[str]
    severity: str
    status: str
    created_by: str | None
    created_at: datetime
    open_findings: int


class ReplayOut(BaseModel):
    rule: str
    items_scanned: int
    matches: int
    per_subject: dict[str, int]
    samples: list[dict[str, Any]]
    complete: bool
    limited_by: str | None
    kinds_done: list[str]
    seconds: float


class UserGroupIn(BaseModel):
    name: str
    members: list[str] = Field(description="emails and/or patterns like *@finance.example.com")
    description: str | None = None


class UserGroupPatch(BaseModel):
    name: str | None = None
    members: list[str] | None = None
    description: str | None = None


class UserGroupOut(BaseModel):
    id: int
    name: str
    description: str | None
    emails: list[str]
    patterns: list[str]
    members: int = Field(description="synced users whose email matches")
    used_by: list[str]


def _page_model(item: type[BaseModel], name: str) -> type[BaseModel]:
    from pydantic import create_model

    return create_model(name, items=(list[item], ...), total=(int, ...), limit=(int, ...), offset=(int, ...))


ExclusionPage = _page_model(ExclusionOut, "ExclusionPage")
IgnorePage = _page_model(IgnoreOut, "IgnorePage")
OrgRulePage = _page_model(OrgRuleOut, "OrgRulePage")
UserGroupPage = _page_model(UserGroupOut, "UserGroupPage")


# --- helpers -----------------------------------------------------------------------------------------------


@contextmanager
def _change(request: Request) -> Iterator[Session]:
    """A write transaction whose service errors become 422 (404 for unknown ids)."""
    try:
        with request.app.state.sessions.begin() as session:
            yield session
    except (manage.PolicyError, group_service.GroupError) as exc:
        message = str(exc)
        raise HTTPException(404 if message.startswith("no ") else 422, message) from None


def _audit(request: Request, principal: Principal, action: str, target: str, details: dict[str, Any]) -> None:
    ip = request.client.host if request.client else None
    request.app.state.audit.record(principal.actor, action, target, details, ip)


def _tree(request: Request) -> list[dict[str, Any]]:
    with request.app.state.sessions() as session:
        return manage.policy_tree(session)


def _hasher(request: Request) -> Any:
    from aiwatch.pipeline.runner import value_hasher

    return value_hasher(request.app.state.settings)


def _page(items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    return {"items": items[offset : offset + limit], "total": len(items), "limit": limit, "offset": offset}


def _changes(body: BaseModel) -> dict[str, Any]:
    return body.model_dump(exclude_none=True, mode="json")


# --- policies and rules ------------------------------------------------------------------------------------


@router.get("/policies", response_model=PolicyTree, summary="Groups → policies → rules with counts")
def get_policies(request: Request, principal: Principal = require(Role.VIEWER)) -> dict[str, Any]:
    return {"groups": _tree(request)}


def _apply(request: Request, principal: Principal, kind: str, target: str, body: SettingPatch) -> None:
    changes = _changes(body)
    if not changes:
        raise HTTPException(422, "nothing to change: give status, severity, sensitivity or scope")
    with _change(request) as session:
        manage.set_policy(
            session,
            kind,
            target,
            status=body.status,
            severity=body.severity,
            sensitivity=body.sensitivity,
            scope=body.scope.model_dump() if body.scope is not None else None,
            by=principal.actor,
        )
    _audit(request, principal, "policy.update", f"{kind}:{target}", changes)


@router.patch("/policies/rules/{rule_id}", response_model=RuleOut, summary="Change one rule's setting")
def patch_rule(
    rule_id: str, body: SettingPatch, request: Request, principal: Principal = require(Role.ADMIN)
) -> dict[str, Any]:
    if manage.find_rule(_tree(request), rule_id) is None:
        raise HTTPException(404, f"unknown rule {rule_id!r}")
    _apply(request, principal, "rule", rule_id, body)
    rule = manage.find_rule(_tree(request), rule_id)
    assert rule is not None  # checked above; rules are not deleted by a setting change
    return rule


@router.patch("/policies/{policy_id}", response_model=PolicyOut, summary="Change a whole policy's setting")
def patch_policy(
    policy_id: str, body: SettingPatch, request: Request, principal: Principal = require(Role.ADMIN)
) -> dict[str, Any]:
    if manage.find_policy(_tree(request), policy_id) is None:
        raise HTTPException(404, f"unknown policy {policy_id!r}")
    _apply(request, principal, "policy", policy_id, body)
    policy = manage.find_policy(_tree(request), policy_id)
    assert policy is not None
    return policy


@router.post(
    "/policies/bulk", response_model=BulkResult, summary="Set status/severity/sensitivity of many rules"
)
def bulk_policies(
    body: BulkPatch, request: Request, principal: Principal = require(Role.ADMIN)
) -> BulkResult:
    with _change(request) as session:
        rows = manage.bulk_set(
            session,
            body.rule_ids,
            status=body.status,
            severity=body.severity,
            sensitivity=body.sensitivity,
            by=principal.actor,
        )
        updated = [row.target_id for row in rows]
    details = _changes(body) | {"rule_ids": updated}
    _audit(request, principal, "policy.bulk_update", f"{len(updated)} rules", details)
    return BulkResult(updated=updated)


# --- exclusions --------------------------------------------------------------------------------------------


def _exclusion_out(row: Exclusion, counts: dict[str, int]) -> ExclusionOut:
    return ExclusionOut(
        id=row.id,
        kind=row.kind,
        pattern=row.pattern,
        scope_kind=row.scope_kind,
        scope_id=row.scope_id,
        note=row.note,
        created_by=row.created_by,
        created_at=row.created_at,
        suppressed=counts.get(f"exclusion:{row.id}", 0),
    )


@router.get("/exclusions", response_model=ExclusionPage, summary="Exclusions with suppressed-alert counts")
def list_exclusions(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.VIEWER),
) -> dict[str, Any]:
    with request.app.state.sessions() as session:
        counts = manage.suppression_counts(session)
        rows = [_exclusion_out(r, counts) for r in session.scalars(select(Exclusion).order_by(Exclusion.id))]
    return _page(rows, limit, offset)


@router.post("/exclusions", response_model=ExclusionOut, status_code=201, summary="Add an exclusion")
def add_exclusion(
    body: ExclusionIn, request: Request, principal: Principal = require(Role.ADMIN)
) -> ExclusionOut:
    with _change(request) as session:
        row = manage.add_exclusion(
            session,
            body.kind,
            body.value,
            hasher=_hasher(request),
            scope_kind=body.scope_kind,
            scope_id=body.scope_id or None,
            note=body.note,
            by=principal.actor,
        )
        out = _exclusion_out(row, {})
    # An exact value is a secret: only its kind reaches the audit log.
    shown = {"pattern": body.value} if body.kind != "value" else {}
    _audit(
        request,
        principal,
        "exclusion.add",
        f"exclusion:{out.id}",
        {"kind": body.kind, "scope": body.scope_kind, "scope_id": body.scope_id, **shown},
    )
    return out


@router.delete("/exclusions/{exclusion_id}", status_code=204, summary="Remove an exclusion")
def delete_exclusion(
    exclusion_id: int, request: Request, principal: Principal = require(Role.ADMIN)
) -> Response:
    with _change(request) as session:
        row = manage.remove_exclusion(session, exclusion_id)
        details = {"kind": row.kind, "scope": row.scope_kind}
    _audit(request, principal, "exclusion.remove", f"exclusion:{exclusion_id}", details)
    return Response(status_code=204)


# --- ignore rules ------------------------------------------------------------------------------------------


def _ignore_out(row: IgnoreRule, counts: dict[str, int]) -> IgnoreOut:
    return IgnoreOut(
        id=row.id,
        rule=row.rule,
        target_kind=row.target_kind,
        target_id=row.target_id,
        note=row.note,
        created_by=row.created_by,
        created_at=row.created_at,
        suppressed=counts.get(f"ignore:{row.id}", 0),
    )


@router.get("/ignore-rules", response_model=IgnorePage, summary="Ignore rules with suppressed-alert counts")
def list_ignore_rules(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.VIEWER),
) -> dict[str, Any]:
    with request.app.state.sessions() as session:
        counts = manage.suppression_counts(session)
        rows = [_ignore_out(r, counts) for r in session.scalars(select(IgnoreRule).order_by(IgnoreRule.id))]
    return _page(rows, limit, offset)


@router.post("/ignore-rules", response_model=IgnoreOut, status_code=201, summary="Ignore a rule somewhere")
def add_ignore_rule(
    body: IgnoreIn, request: Request, principal: Principal = require(Role.ADMIN)
) -> IgnoreOut:
    with _change(request) as session:
        row = manage.add_ignore(
            session, body.rule, body.target_kind, body.target_id or None, note=body.note, by=principal.actor
        )
        out = _ignore_out(row, {})
    _audit(request, principal, "ignore.add", f"ignore:{out.id}", _changes(body))
    return out


@router.delete("/ignore-rules/{ignore_id}", status_code=204, summary="Remove an ignore rule")
def delete_ignore_rule(
    ignore_id: int, request: Request, principal: Principal = require(Role.ADMIN)
) -> Response:
    with _change(request) as session:
        row = manage.remove_ignore(session, ignore_id)
        details = {"rule": row.rule, "target_kind": row.target_kind, "target_id": row.target_id}
    _audit(request, principal, "ignore.remove", f"ignore:{ignore_id}", details)
    return Response(status_code=204)


# --- organisation rules ------------------------------------------------------------------------------------


def _org_out(row: OrgRule, open_counts: dict[str, int]) -> OrgRuleOut:
    return OrgRuleOut(
        id=row.id,
        rule_id=row.rule_id,
        name=row.name,
        kind=row.kind,
        patterns=[str(p) for p in row.patterns],
        severity=row.severity,
        status=row.status,
        created_by=row.created_by,
        created_at=row.created_at,
        open_findings=open_counts.get(row.rule_id, 0),
    )


def _org_rule(session: Session, rule_id: str) -> OrgRule:
    row = session.scalar(select(OrgRule).where(OrgRule.rule_id == rule_id))
    if row is None:
        raise HTTPException(404, f"no organisation rule {rule_id!r}")
    return row


@router.get("/org-rules", response_model=OrgRulePage, summary="Organisation rules")
def list_org_rules(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.VIEWER),
) -> dict[str, Any]:
    with request.app.state.sessions() as session:
        counts = manage.open_finding_counts(session)
        rows = [_org_out(r, counts) for r in session.scalars(select(OrgRule).order_by(OrgRule.id))]
    return _page(rows, limit, offset)


@router.post(
    "/org-rules", response_model=OrgRuleOut, status_code=201, summary="Add a draft organisation rule"
)
def add_org_rule(body: OrgRuleIn, request: Request, principal: Principal = require(Role.ADMIN)) -> OrgRuleOut:
    with _change(request) as session:
        row = manage.add_org_rule(
            session,
            body.slug,
            body.name,
            body.kind,
            body.patterns,
            severity=body.severity,
            by=principal.actor,
        )
        out = _org_out(row, {})
    _audit(request, principal, "org_rule.add", out.rule_id, {"kind": body.kind, "severity": body.severity})
    return out


@router.post("/org-rules/{rule_id}/replay", response_model=ReplayOut, summary="Preview over stored history")
def replay_org_rule(
    rule_id: str,
    request: Request,
    max_items: int = Query(manage.REPLAY_MAX_ITEMS, ge=1, le=200_000),
    max_seconds: float = Query(manage.REPLAY_MAX_SECONDS, gt=0, le=120),
    principal: Principal = require(Role.ADMIN),
) -> dict[str, Any]:
    """Scans stored items (bounded by max_items / max_seconds) and records nothing; evidence is masked."""
    with request.app.state.sessions() as session:
        _org_rule(session, rule_id)
        report = manage.replay(
            session, rule_id, _hasher(request), max_items=max_items, max_seconds=max_seconds
        )
    return report.to_json()


def _set_org_status(request: Request, principal: Principal, rule_id: str, status: str) -> OrgRuleOut:
    with _change(request) as session:
        _org_rule(session, rule_id)
        row = manage.set_org_rule_status(session, rule_id, status)
        out = _org_out(row, manage.open_finding_counts(session))
    _audit(request, principal, f"org_rule.{status.removesuffix('d')}", rule_id, {"status": status})
    return out


@router.post("/org-rules/{rule_id}/enable", response_model=OrgRuleOut, summary="Enable an organisation rule")
def enable_org_rule(rule_id: str, request: Request, principal: Principal = require(Role.ADMIN)) -> OrgRuleOut:
    return _set_org_status(request, principal, rule_id, "enabled")


@router.post(
    "/org-rules/{rule_id}/disable", response_model=OrgRuleOut, summary="Disable an organisation rule"
)
def disable_org_rule(
    rule_id: str, request: Request, principal: Principal = require(Role.ADMIN)
) -> OrgRuleOut:
    return _set_org_status(request, principal, rule_id, "disabled")


@router.delete("/org-rules/{rule_id}", status_code=204, summary="Delete an organisation rule")
def delete_org_rule(rule_id: str, request: Request, principal: Principal = require(Role.ADMIN)) -> Response:
    with _change(request) as session:
        _org_rule(session, rule_id)
        manage.delete_org_rule(session, rule_id)
    _audit(request, principal, "org_rule.delete", rule_id, {})
    return Response(status_code=204)


# --- user groups -------------------------------------------------------------------------------------------


def _group_out(request: Request, group_id: int) -> UserGroupOut:
    with request.app.state.sessions() as session:
        info = next((g for g in group_service.list_groups(session) if g.id == group_id), None)
    if info is None:
        raise HTTPException(404, f"no user group {group_id}")
    return UserGroupOut(**info.__dict__)


@router.get("/user-groups", response_model=UserGroupPage, summary="User groups with resolved member counts")
def list_user_groups(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.VIEWER),
) -> dict[str, Any]:
    with request.app.state.sessions() as session:
        infos = [UserGroupOut(**g.__dict__) for g in group_service.list_groups(session)]
    return _page(infos, limit, offset)


@router.get("/user-groups/{group_id}", response_model=UserGroupOut, summary="One user group")
def get_user_group(
    group_id: int, request: Request, principal: Principal = require(Role.VIEWER)
) -> UserGroupOut:
    return _group_out(request, group_id)


@router.post("/user-groups", response_model=UserGroupOut, status_code=201, summary="Create a user group")
def create_user_group(
    body: UserGroupIn, request: Request, principal: Principal = require(Role.ADMIN)
) -> UserGroupOut:
    with _change(request) as session:
        row = group_service.create_group(
            session, body.name, body.members, description=body.description, by=principal.actor
        )
        group_id = row.id
    _audit(request, principal, "user_group.create", body.name, {"members": len(body.members)})
    return _group_out(request, group_id)


@router.patch("/user-groups/{group_id}", response_model=UserGroupOut, summary="Change a user group")
def update_user_group(
    group_id: int, body: UserGroupPatch, request: Request, principal: Principal = require(Role.ADMIN)
) -> UserGroupOut:
    with _change(request) as session:
        row = group_service.update_group(
            session, group_id, name=body.name, members=body.members, description=body.description
        )
        name = row.name
    _audit(request, principal, "user_group.update", name, _changes(body))
    return _group_out(request, group_id)


@router.delete("/user-groups/{group_id}", status_code=204, summary="Delete a user group")
def delete_user_group(
    group_id: int, request: Request, principal: Principal = require(Role.ADMIN)
) -> Response:
    with _change(request) as session:
        name = group_service.get_group(session, group_id).name
        cleaned = group_service.delete_group(session, group_id)
    _audit(request, principal, "user_group.delete", name, {"removed_from_scopes": cleaned})
    return Response(status_code=204)
