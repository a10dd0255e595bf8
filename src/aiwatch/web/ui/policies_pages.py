"""Pages: policies (groups → policies → rules, inline and bulk edit, rule detail), exclusions, ignore rules,
organisation rules with a replay preview, and user groups. Everyone signed in reads them; changes are admin
actions, audited like their API counterparts (aiwatch.web.api.policies)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from aiwatch.findings import groups as group_service
from aiwatch.findings import manage
from aiwatch.findings.models import Exclusion, IgnoreRule, OrgRule
from aiwatch.store.models import Integration
from aiwatch.web.accounts import Principal, Role
from aiwatch.web.api.policies import RESCAN_NOTE
from aiwatch.web.auth import require
from aiwatch.web.ui.common import render

router = APIRouter(include_in_schema=False)

TABS = (
    ("rules", "/policies", "Policies and rules"),
    ("exclusions", "/policies/exclusions", "Exclusions"),
    ("ignore", "/policies/ignore-rules", "Ignore rules"),
    ("org", "/policies/org-rules", "Organisation rules"),
    ("groups", "/policies/groups", "User groups"),
)
SEVERITIES = ("critical", "high", "medium", "low")
SCOPE_TEXT_KEYS = ("agents", "apps", "users")
# How a stored suppression reason reads on the page.
REASONS = {"out_of_scope": "out of scope", "rule_disabled": "rule disabled", "test_value": "test value"}
REPLAY_SAMPLES = 10


class _Invalid(ValueError):
    """A form value the services would reject; shown next to the form."""


def _is_admin(principal: Principal) -> bool:
    return principal.role >= Role.ADMIN


def _context(request: Request, principal: Principal, tab: str, **extra: Any) -> dict[str, Any]:
    return {
        "principal": principal,
        "nav": "policies",
        "tabs": TABS,
        "tab": tab,
        "can_edit": _is_admin(principal),
        "rescan_note": RESCAN_NOTE,
        "rescan_api": _rescan_api(),
        **extra,
    }


def _rescan_api() -> bool:
    """Whether POST /api/rescans exists (task G's router), for the "Rescan now" button."""
    from aiwatch.web.api import rescans

    return any(
        getattr(route, "path", None) == "/api/rescans" and "POST" in getattr(route, "methods", ())
        for route in rescans.router.routes
    )


def _audit(request: Request, principal: Principal, action: str, target: str, details: dict[str, Any]) -> None:
    ip = request.client.host if request.client else None
    request.app.state.audit.record(principal.actor, action, target, details, ip)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _list(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]


def _is_htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _choices(session: Session) -> dict[str, Any]:
    """What scope editors offer: integrations by name and user groups by name."""
    return {
        "integrations": [
            {"id": str(i), "name": n}
            for i, n in session.execute(
                select(Integration.id, Integration.name)
                .where(Integration.removed_at.is_(None))
                .order_by(Integration.name)
            )
        ],
        "user_groups": [{"id": str(g.id), "name": g.name} for g in group_service.list_groups(session)],
    }


def _names(session: Session) -> dict[str, dict[str, str]]:
    """id → name of integrations and groups, to show scopes readably."""
    choices = _choices(session)
    return {
        "integrations": {c["id"]: c["name"] for c in choices["integrations"]},
        "groups": {c["id"]: c["name"] for c in choices["user_groups"]},
    }


# --- policies and rules ------------------------------------------------------------------------------------


def _filtered(tree: list[dict[str, Any]], q: str, group: str, status: str) -> list[dict[str, Any]]:
    """The tree with only the rules matching the filters (policies left empty are dropped)."""
    needle = q.casefold()
    out = []
    for g in tree:
        if group and g["group"] != group:
            continue
        policies = []
        for p in g["policies"]:
            rules = [
                r
                for r in p["rules"]
                if (not status or r["status"] == status)
                and (
                    not needle
                    or needle in r["id"].casefold()
                    or needle in r["name"].casefold()
                    or needle in p["name"].casefold()
                )
            ]
            if rules:
                policies.append({**p, "rules": rules})
        if policies:
            out.append({**g, "policies": policies})
    return out


def _policies_context(request: Request, principal: Principal, **extra: Any) -> dict[str, Any]:
    query = request.query_params
    q, group, status = query.get("q", ""), query.get("group", ""), query.get("status", "")
    with request.app.state.sessions() as session:
        tree = manage.policy_tree(session)
        choices = _choices(session)
        names = _names(session)
        suppressed = manage.suppression_counts(session)
    all_rules = [r for g in tree for p in g["policies"] for r in p["rules"]]
    return _context(
        request,
        principal,
        "rules",
        tree=_filtered(tree, q, group, status),
        group_names=[g["group"] for g in tree],
        filters={"q": q, "group": group, "status": status},
        filtering=bool(q or group or status),
        totals={
            "rules": len(all_rules),
            "enabled": sum(1 for r in all_rules if r["status"] == "enabled"),
            "open": sum(r["open_findings"] for r in all_rules),
            "suppressed": sum(suppressed.values()),
        },
        choices=choices,
        names=names,
        severities=SEVERITIES,
        reasons=REASONS,
        **extra,
    )


@router.get("/policies", response_class=HTMLResponse)
def policies_page(request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    return render(request, "policies.html", _policies_context(request, principal))


def _section(
    request: Request,
    principal: Principal,
    policy_id: str,
    *,
    edit_rule: str | None = None,
    edit_policy: bool = False,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        tree = manage.policy_tree(session)
        choices = _choices(session)
        names = _names(session)
    policy = manage.find_policy(tree, policy_id)
    if policy is None:
        return _not_found(request, principal, f"No policy {policy_id}.")
    context = _context(
        request,
        principal,
        "rules",
        p=policy,
        open_section=True,
        edit_rule=edit_rule,
        edit_policy=edit_policy,
        section_message=message,
        section_error=error,
        choices=choices,
        names=names,
        severities=SEVERITIES,
        reasons=REASONS,
    )
    return render(request, "_policies_policy.html", context, status_code)


def _not_found(request: Request, principal: Principal, message: str) -> HTMLResponse:
    return render(
        request,
        "error.html",
        {"principal": principal, "nav": "policies", "title": "Not found", "message": message, "status": 404},
        404,
    )


@router.get("/policies/policy/{policy_id}/section", response_class=HTMLResponse)
def policy_section(
    policy_id: str, request: Request, principal: Principal = require(Role.VIEWER)
) -> HTMLResponse:
    return _section(request, principal, policy_id)


@router.get("/policies/policy/{policy_id}/edit", response_class=HTMLResponse)
def policy_edit(policy_id: str, request: Request, principal: Principal = require(Role.ADMIN)) -> HTMLResponse:
    return _section(request, principal, policy_id, edit_policy=True)


@router.get("/policies/rule/{rule_id}/edit", response_class=HTMLResponse)
def rule_edit(rule_id: str, request: Request, principal: Principal = require(Role.ADMIN)) -> HTMLResponse:
    with request.app.state.sessions() as session:
        rule = manage.find_rule(manage.policy_tree(session), rule_id)
    if rule is None:
        return _not_found(request, principal, f"No rule {rule_id}.")
    return _section(request, principal, rule["policy"], edit_rule=rule_id)


def _setting_from_form(form: FormData) -> dict[str, Any]:
    scope: dict[str, list[str]] = {
        "integrations": _list(form, "scope_integrations"),
        "groups": _list(form, "scope_groups"),
    }
    for key in SCOPE_TEXT_KEYS:
        scope[key] = _split(_text(form, f"scope_{key}"))
    return {
        "status": _text(form, "status") or None,
        "severity": _text(form, "severity") or None,
        "sensitivity": _text(form, "sensitivity") or None,
        "scope": scope,
    }


def _save_setting(
    request: Request, principal: Principal, kind: str, target: str, form: FormData
) -> tuple[str | None, dict[str, Any]]:
    """Apply the form; returns an error message (nothing saved) or None, and what was set."""
    values = _setting_from_form(form)
    try:
        with request.app.state.sessions.begin() as session:
            manage.set_policy(session, kind, target, **values, by=principal.actor)
    except manage.PolicyError as exc:
        return str(exc), values
    details = {k: v for k, v in values.items() if v}
    _audit(request, principal, "policy.update", f"{kind}:{target}", details)
    return None, values


@router.post("/policies/policy/{policy_id}", response_class=HTMLResponse)
async def policy_save(
    policy_id: str, request: Request, principal: Principal = require(Role.ADMIN)
) -> Response:
    form = await request.form()
    error, _ = _save_setting(request, principal, "policy", policy_id, form)
    if not _is_htmx(request):
        if error:
            return render(
                request, "policies.html", _policies_context(request, principal, error=error), status_code=422
            )
        return RedirectResponse(f"/policies?saved=policy#policy-{policy_id}", status_code=303)
    if error:
        return _section(request, principal, policy_id, edit_policy=True, error=error, status_code=422)
    return _section(request, principal, policy_id, message=f"Policy saved. {RESCAN_NOTE}")


@router.post("/policies/rule/{rule_id}", response_class=HTMLResponse)
async def rule_save(rule_id: str, request: Request, principal: Principal = require(Role.ADMIN)) -> Response:
    form = await request.form()
    with request.app.state.sessions() as session:
        rule = manage.find_rule(manage.policy_tree(session), rule_id)
    if rule is None:
        return _not_found(request, principal, f"No rule {rule_id}.")
    error, _ = _save_setting(request, principal, "rule", rule_id, form)
    if not _is_htmx(request):
        return _rule_detail(
            request,
            principal,
            rule_id,
            message=None if error else f"Rule saved. {RESCAN_NOTE}",
            error=error,
            status_code=422 if error else 200,
        )
    if error:
        return _section(request, principal, rule["policy"], edit_rule=rule_id, error=error, status_code=422)
    return _section(request, principal, rule["policy"], message=f"{rule['name']} saved. {RESCAN_NOTE}")


@router.post("/policies/bulk", response_class=HTMLResponse)
async def bulk_save(request: Request, principal: Principal = require(Role.ADMIN)) -> HTMLResponse:
    form = await request.form()
    rule_ids = _list(form, "rule_ids")
    status = _text(form, "status") or None
    severity = _text(form, "severity") or None
    sensitivity = _text(form, "sensitivity") or None
    try:
        with request.app.state.sessions.begin() as session:
            rows = manage.bulk_set(
                session,
                rule_ids,
                status=status,
                severity=severity,
                sensitivity=sensitivity,
                by=principal.actor,
            )
            updated = [r.target_id for r in rows]
    except manage.PolicyError as exc:
        return render(
            request, "policies.html", _policies_context(request, principal, error=str(exc)), status_code=422
        )
    changes = {
        k: v for k, v in {"status": status, "severity": severity, "sensitivity": sensitivity}.items() if v
    }
    _audit(
        request, principal, "policy.bulk_update", f"{len(updated)} rules", {**changes, "rule_ids": updated}
    )
    message = (
        f"{len(updated)} rules updated ({', '.join(f'{k} {v}' for k, v in changes.items())}). {RESCAN_NOTE}"
    )
    return render(request, "policies.html", _policies_context(request, principal, message=message))


def _rule_detail(
    request: Request,
    principal: Principal,
    rule_id: str,
    *,
    message: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        rule = manage.find_rule(manage.policy_tree(session), rule_id)
        choices = _choices(session)
        names = _names(session)
    if rule is None:
        return _not_found(request, principal, f"No rule {rule_id}.")
    context = _context(
        request,
        principal,
        "rules",
        rule=rule,
        choices=choices,
        names=names,
        severities=SEVERITIES,
        reasons=REASONS,
        message=message,
        error=error,
    )
    return render(request, "policies_rule.html", context, status_code)


@router.get("/policies/rule/{rule_id}", response_class=HTMLResponse)
def rule_page(rule_id: str, request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    return _rule_detail(request, principal, rule_id)


# --- exclusions --------------------------------------------------------------------------------------------


def _exclusions_page(
    request: Request,
    principal: Principal,
    *,
    message: str | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        counts = manage.suppression_counts(session)
        rows = list(session.scalars(select(Exclusion).order_by(Exclusion.id.desc())))
        tree = manage.policy_tree(session)
    context = _context(
        request,
        principal,
        "exclusions",
        exclusions=[{"row": r, "suppressed": counts.get(f"exclusion:{r.id}", 0)} for r in rows],
        rule_ids=[r["id"] for g in tree for p in g["policies"] for r in p["rules"]],
        policy_ids=[p["id"] for g in tree for p in g["policies"]],
        message=message,
        error=error,
        values=values or {},
    )
    return render(request, "policies_exclusions.html", context, status_code)


@router.get("/policies/exclusions", response_class=HTMLResponse)
def exclusions_page(request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    return _exclusions_page(request, principal)


@router.post("/policies/exclusions", response_class=HTMLResponse)
async def exclusion_add(request: Request, principal: Principal = require(Role.ADMIN)) -> HTMLResponse:
    from aiwatch.pipeline.runner import value_hasher

    form = await request.form()
    kind, value = _text(form, "kind"), _text(form, "value")
    scope_kind, scope_id, note = (
        _text(form, "scope_kind") or "everywhere",
        _text(form, "scope_id"),
        _text(form, "note"),
    )
    try:
        with request.app.state.sessions.begin() as session:
            row = manage.add_exclusion(
                session,
                kind,
                value,
                hasher=value_hasher(request.app.state.settings),
                scope_kind=scope_kind,
                scope_id=scope_id or None,
                note=note or None,
                by=principal.actor,
            )
            row_id = row.id
    except manage.PolicyError as exc:
        # An exact value is a secret: never echo it back into the form.
        kept = {"kind": kind, "scope_kind": scope_kind, "scope_id": scope_id, "note": note}
        if kind != "value":
            kept["value"] = value
        return _exclusions_page(request, principal, error=str(exc), values=kept, status_code=422)
    shown = {"pattern": value} if kind != "value" else {}
    _audit(
        request,
        principal,
        "exclusion.add",
        f"exclusion:{row_id}",
        {"kind": kind, "scope": scope_kind, "scope_id": scope_id or None, **shown},
    )
    what = "the value's keyed hash" if kind == "value" else f"{kind} {value!r}"
    return _exclusions_page(request, principal, message=f"Exclusion {row_id} added ({what}). {RESCAN_NOTE}")


@router.post("/policies/exclusions/{exclusion_id}/delete", response_class=HTMLResponse)
def exclusion_remove(
    exclusion_id: int, request: Request, principal: Principal = require(Role.ADMIN)
) -> HTMLResponse:
    try:
        with request.app.state.sessions.begin() as session:
            row = manage.remove_exclusion(session, exclusion_id)
            details = {"kind": row.kind, "scope": row.scope_kind}
    except manage.PolicyError as exc:
        return _exclusions_page(request, principal, error=str(exc), status_code=404)
    _audit(request, principal, "exclusion.remove", f"exclusion:{exclusion_id}", details)
    return _exclusions_page(request, principal, message=f"Exclusion {exclusion_id} removed.")


# --- ignore rules ------------------------------------------------------------------------------------------


def _ignore_page(
    request: Request,
    principal: Principal,
    *,
    message: str | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        counts = manage.suppression_counts(session)
        rows = list(session.scalars(select(IgnoreRule).order_by(IgnoreRule.id.desc())))
        tree = manage.policy_tree(session)
    context = _context(
        request,
        principal,
        "ignore",
        ignores=[{"row": r, "suppressed": counts.get(f"ignore:{r.id}", 0)} for r in rows],
        rule_ids=[r["id"] for g in tree for p in g["policies"] for r in p["rules"]],
        message=message,
        error=error,
        values=values or {},
    )
    return render(request, "policies_ignore.html", context, status_code)


@router.get("/policies/ignore-rules", response_class=HTMLResponse)
def ignore_page(request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    return _ignore_page(request, principal)


@router.post("/policies/ignore-rules", response_class=HTMLResponse)
async def ignore_add(request: Request, principal: Principal = require(Role.ADMIN)) -> HTMLResponse:
    form = await request.form()
    values = {name: _text(form, name) for name in ("rule", "target_kind", "target_id", "note")}
    try:
        with request.app.state.sessions.begin() as session:
            row = manage.add_ignore(
                session,
                values["rule"],
                values["target_kind"],
                values["target_id"] or None,
                note=values["note"] or None,
                by=principal.actor,
            )
            row_id = row.id
    except manage.PolicyError as exc:
        return _ignore_page(request, principal, error=str(exc), values=values, status_code=422)
    _audit(request, principal, "ignore.add", f"ignore:{row_id}", {k: v for k, v in values.items() if v})
    return _ignore_page(request, principal, message=f"Ignore rule {row_id} added. {RESCAN_NOTE}")


@router.post("/policies/ignore-rules/{ignore_id}/delete", response_class=HTMLResponse)
def ignore_remove(
    ignore_id: int, request: Request, principal: Principal = require(Role.ADMIN)
) -> HTMLResponse:
    try:
        with request.app.state.sessions.begin() as session:
            row = manage.remove_ignore(session, ignore_id)
            details = {"rule": row.rule, "target_kind": row.target_kind, "target_id": row.target_id}
    except manage.PolicyError as exc:
        return _ignore_page(request, principal, error=str(exc), status_code=404)
    _audit(request, principal, "ignore.remove", f"ignore:{ignore_id}", details)
    return _ignore_page(request, principal, message=f"Ignore rule {ignore_id} removed.")


# --- organisation rules ------------------------------------------------------------------------------------


def _org_page(
    request: Request,
    principal: Principal,
    *,
    message: str | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        counts = manage.open_finding_counts(session)
        rows = list(session.scalars(select(OrgRule).order_by(OrgRule.id.desc())))
    context = _context(
        request,
        principal,
        "org",
        org_rules=[{"row": r, "open": counts.get(r.rule_id, 0)} for r in rows],
        severities=SEVERITIES,
        message=message,
        error=error,
        values=values or {},
    )
    return render(request, "policies_org.html", context, status_code)


@router.get("/policies/org-rules", response_class=HTMLResponse)
def org_page(request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    return _org_page(request, principal)


def _replay_page(
    request: Request, principal: Principal, rule_id: str, message: str | None = None
) -> HTMLResponse:
    from aiwatch.pipeline.runner import value_hasher

    with request.app.state.sessions() as session:
        row = session.scalar(select(OrgRule).where(OrgRule.rule_id == rule_id))
        if row is None:
            return _not_found(request, principal, f"No organisation rule {rule_id}.")
        report = manage.replay(
            session,
            rule_id,
            value_hasher(request.app.state.settings),
            max_samples=REPLAY_SAMPLES,
            max_items=manage.REPLAY_MAX_ITEMS,
            max_seconds=manage.REPLAY_MAX_SECONDS,
        )
        rule = {
            "rule_id": row.rule_id,
            "name": row.name,
            "kind": row.kind,
            "patterns": list(row.patterns),
            "severity": row.severity,
            "status": row.status,
        }
    context = _context(
        request,
        principal,
        "org",
        rule=rule,
        report=report.to_json(),
        subject_rows=[(subject, n, None) for subject, n in report.per_subject.most_common(10)],
        max_items=manage.REPLAY_MAX_ITEMS,
        max_seconds=manage.REPLAY_MAX_SECONDS,
        message=message,
    )
    return render(request, "policies_replay.html", context)


@router.post("/policies/org-rules", response_class=HTMLResponse)
async def org_add(request: Request, principal: Principal = require(Role.ADMIN)) -> HTMLResponse:
    form = await request.form()
    values = {name: _text(form, name) for name in ("slug", "name", "kind", "patterns", "severity")}
    patterns = [line.strip() for line in values["patterns"].splitlines() if line.strip()]
    try:
        with request.app.state.sessions.begin() as session:
            row = manage.add_org_rule(
                session,
                values["slug"],
                values["name"],
                values["kind"],
                patterns,
                severity=values["severity"] or "medium",
                by=principal.actor,
            )
            rule_id = row.rule_id
    except (manage.PolicyError, ValueError) as exc:
        return _org_page(request, principal, error=str(exc), values=values, status_code=422)
    _audit(
        request, principal, "org_rule.add", rule_id, {"kind": values["kind"], "severity": values["severity"]}
    )
    # Straight to the preview: a new rule is a draft until someone has seen what it would find.
    return _replay_page(
        request, principal, rule_id, message=f"Draft {rule_id} saved. Preview over stored history:"
    )


@router.post("/policies/org-rules/{rule_id}/replay", response_class=HTMLResponse)
def org_replay(rule_id: str, request: Request, principal: Principal = require(Role.ADMIN)) -> HTMLResponse:
    return _replay_page(request, principal, rule_id)


@router.post("/policies/org-rules/{rule_id}/{action}", response_class=HTMLResponse)
def org_action(
    rule_id: str, action: str, request: Request, principal: Principal = require(Role.ADMIN)
) -> HTMLResponse:
    statuses = {"enable": "enabled", "disable": "disabled"}
    try:
        with request.app.state.sessions.begin() as session:
            if action == "delete":
                manage.delete_org_rule(session, rule_id)
            elif action in statuses:
                manage.set_org_rule_status(session, rule_id, statuses[action])
            else:
                return _not_found(request, principal, f"Unknown action {action}.")
    except manage.PolicyError as exc:
        return _org_page(request, principal, error=str(exc), status_code=404)
    _audit(request, principal, f"org_rule.{action}", rule_id, {})
    done = {"enable": "enabled", "disable": "disabled", "delete": "deleted"}[action]
    note = f" {RESCAN_NOTE}" if action != "delete" else ""
    return _org_page(request, principal, message=f"{rule_id} {done}.{note}")


# --- user groups -------------------------------------------------------------------------------------------


def _groups_page(
    request: Request,
    principal: Principal,
    *,
    message: str | None = None,
    error: str | None = None,
    values: dict[str, str] | None = None,
    edit: int | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        infos = group_service.list_groups(session)
        members = (
            group_service.resolve_members(session, edit, limit=50)
            if edit and any(g.id == edit for g in infos)
            else []
        )
    context = _context(
        request,
        principal,
        "groups",
        groups=infos,
        edit=next((g for g in infos if g.id == edit), None),
        members=members,
        message=message,
        error=error,
        values=values or {},
    )
    return render(request, "policies_groups.html", context, status_code)


@router.get("/policies/groups", response_class=HTMLResponse)
def groups_page(request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    edit = request.query_params.get("group", "")
    return _groups_page(request, principal, edit=int(edit) if edit.isdigit() else None)


@router.post("/policies/groups", response_class=HTMLResponse)
async def group_save(request: Request, principal: Principal = require(Role.ADMIN)) -> HTMLResponse:
    """Create a group, or (with ``group_id``) change one."""
    form = await request.form()
    values = {name: _text(form, name) for name in ("group_id", "name", "members", "description")}
    group_id = int(values["group_id"]) if values["group_id"].isdigit() else None
    members = [values["members"]]
    try:
        with request.app.state.sessions.begin() as session:
            if group_id is None:
                row = group_service.create_group(
                    session, values["name"], members, description=values["description"], by=principal.actor
                )
            else:
                row = group_service.update_group(
                    session, group_id, name=values["name"], members=members, description=values["description"]
                )
            saved_id, name, count = row.id, row.name, len(row.emails) + len(row.patterns)
    except group_service.GroupError as exc:
        return _groups_page(request, principal, error=str(exc), values=values, edit=group_id, status_code=422)
    action = "user_group.create" if group_id is None else "user_group.update"
    _audit(request, principal, action, name, {"members": count})
    return _groups_page(request, principal, message=f"Group {name} saved.", edit=saved_id)


@router.post("/policies/groups/{group_id}/delete", response_class=HTMLResponse)
def group_delete(group_id: int, request: Request, principal: Principal = require(Role.ADMIN)) -> HTMLResponse:
    try:
        with request.app.state.sessions.begin() as session:
            name = group_service.get_group(session, group_id).name
            cleaned = group_service.delete_group(session, group_id)
    except group_service.GroupError as exc:
        return _groups_page(request, principal, error=str(exc), status_code=404)
    _audit(request, principal, "user_group.delete", name, {"removed_from_scopes": cleaned})
    extra = f" It was taken out of the scope of {', '.join(cleaned)}." if cleaned else ""
    return _groups_page(request, principal, message=f"Group {name} deleted.{extra}")
