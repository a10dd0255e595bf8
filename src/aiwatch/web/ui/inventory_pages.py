"""Pages: Inventory — workspace users (with explained risk) and agents (GPTs and projects) with their
versions, diffs and review marks. Queries live in ``aiwatch.inventory``; this module reads the query string
and renders."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aiwatch.inventory import agents as agent_queries
from aiwatch.inventory import users as user_queries
from aiwatch.inventory.common import InventoryError, NotFound, Page
from aiwatch.inventory.risk import formula_constants
from aiwatch.web.accounts import Principal, Role
from aiwatch.web.api.inventory import record_review
from aiwatch.web.auth import require
from aiwatch.web.ui.common import render
from aiwatch.web.ui.listing import Listing

router = APIRouter(include_in_schema=False)


def _number(value: str) -> float | None:
    """A number typed in a filter box; anything else is ignored rather than refused."""
    try:
        return float(value) if value.strip() else None
    except ValueError:
        return None


def _integration(listing: Listing) -> int | None:
    value = listing.get("integration_id")
    return int(value) if value.isdigit() else None


def _filtered(listing: Listing) -> bool:
    """Whether any filter (not just sort or paging) is set: an empty result then means "no match"."""
    return any(name not in ("sort", "order", "page", "per_page") for name, _ in listing.params)


def _page(listing: Listing) -> Page:
    return Page(listing.sort, listing.descending, listing.per_page, listing.offset)


@router.get("/inventory/users", response_class=HTMLResponse)
def users_page(request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    listing = Listing.from_request(request, sorts=user_queries.USER_SORTS, default_sort="risk")
    f = user_queries.UserFilter(
        text=listing.get("q") or None,
        role=listing.get("role") or None,
        status=listing.get("status") or None,
        min_risk=_number(listing.get("min_risk")),
        integration_id=_integration(listing),
        page=_page(listing),
    )
    error, status = None, 200
    with request.app.state.sessions() as session:
        try:
            rows, total = user_queries.list_users(session, f)
        except InventoryError as exc:
            rows, total, error, status = [], 0, str(exc), 422
        facets = user_queries.facets(session)
    return render(
        request,
        "inventory_users.html",
        {
            "principal": principal,
            "nav": "inventory",
            "tab": "users",
            "listing": listing,
            "rows": rows,
            "total": total,
            "facets": facets,
            "error": error,
            "filtered": _filtered(listing),
            "multi": len({r.integration for r in rows}) > 1,
        },
        status,
    )


@router.get("/inventory/users/{user_id}", response_class=HTMLResponse)
def user_page(
    user_id: str,
    request: Request,
    integration_id: int | None = None,
    principal: Principal = require(Role.VIEWER),
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        try:
            detail = user_queries.get_user(session, user_id, integration_id=integration_id)
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from exc
    return render(
        request,
        "inventory_user.html",
        {
            "principal": principal,
            "nav": "inventory",
            "tab": "users",
            "d": detail,
            "u": detail.user,
            "formula": formula_constants(),
            "findings_url": f"/findings?subject={quote(detail.user.user_id)}",
        },
    )


@router.get("/inventory/agents", response_class=HTMLResponse)
def agents_page(request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    listing = Listing.from_request(request, sorts=agent_queries.AGENT_SORTS, default_sort="risk")
    changed = {"yes": True, "no": False}.get(listing.get("changed"))
    f = agent_queries.AgentFilter(
        text=listing.get("q") or None,
        kind=listing.get("kind") or None,
        sharing=listing.get("sharing") or None,
        changed=changed,
        min_risk=_number(listing.get("min_risk")),
        owner=listing.get("owner") or None,
        include_deleted=listing.get("deleted") == "1",
        integration_id=_integration(listing),
        page=_page(listing),
    )
    error, status = None, 200
    with request.app.state.sessions() as session:
        try:
            rows, total = agent_queries.list_agents(session, f)
        except InventoryError as exc:
            rows, total, error, status = [], 0, str(exc), 422
    return render(
        request,
        "inventory_agents.html",
        {
            "principal": principal,
            "nav": "inventory",
            "tab": "agents",
            "listing": listing,
            "rows": rows,
            "total": total,
            "kinds": agent_queries.AGENT_KINDS,
            "sharing": agent_queries.SHARING_CATEGORIES,
            "error": error,
            "filtered": _filtered(listing),
            "multi": len({r.integration for r in rows}) > 1,
        },
        status,
    )


@router.get("/inventory/agents/{agent_id}", response_class=HTMLResponse)
def agent_page(
    agent_id: str,
    request: Request,
    integration_id: int | None = None,
    principal: Principal = require(Role.VIEWER),
) -> HTMLResponse:
    query = request.query_params
    wanted_from, wanted_to = query.get("from") or None, query.get("to") or None
    diff_error = None
    with request.app.state.sessions() as session:
        try:
            agent = agent_queries.find_agent(session, agent_id, integration_id)
            detail = agent_queries.get_agent(session, agent_id, integration_id=integration_id)
        except NotFound as exc:
            raise HTTPException(404, str(exc)) from exc
        diff: Any = None
        if detail.versions:
            try:
                diff = agent_queries.agent_diff(session, agent, wanted_from, wanted_to)
            except InventoryError as exc:
                diff_error = str(exc)
                diff = agent_queries.agent_diff(session, agent)
    versions_by_id = {v.config_id: v for v in detail.versions}
    order = [v.config_id for v in reversed(detail.versions)]  # oldest first
    return render(
        request,
        "inventory_agent.html",
        {
            "principal": principal,
            "nav": "inventory",
            "tab": "agents",
            "d": detail,
            "a": detail.agent,
            "diff": diff,
            "diff_error": diff_error,
            "versions_by_id": versions_by_id,
            "previous_of": {cid: (order[i - 1] if i else None) for i, cid in enumerate(order)},
            "can_review": principal.role >= Role.ANALYST,
            "reviewed_now": query.get("reviewed") == "1",
            "formula": formula_constants(),
            "base_url": f"/inventory/agents/{quote(detail.agent.agent_id, safe='')}",
        },
    )


@router.post("/inventory/agents/{agent_id}/review")
def review_agent(
    agent_id: str,
    request: Request,
    config_id: str = Form(""),
    note: str = Form("", max_length=2000),
    principal: Principal = require(Role.ANALYST),
) -> Response:
    try:
        record_review(request, principal, agent_id, config_id=config_id or None, note=note.strip() or None)
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    except InventoryError as exc:
        raise HTTPException(422, str(exc)) from exc
    return RedirectResponse(f"/inventory/agents/{quote(agent_id, safe='')}?reviewed=1", status_code=303)
