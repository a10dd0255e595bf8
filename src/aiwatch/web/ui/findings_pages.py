"""Pages: the findings dashboard (home page), the findings list, a finding's detail and triage."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from aiwatch.findings.dashboard import DEFAULT_FRAME, FRAMES, dashboard_stats, parse_frame, recent_severe
from aiwatch.findings.models import Alert, Finding
from aiwatch.findings.queries import (
    agents_with_findings,
    filter_choices,
    list_findings,
    subject_labels,
)
from aiwatch.web.accounts import Principal, Role
from aiwatch.web.api.findings import SEVERITIES, FindingActions, build_filter, load_detail
from aiwatch.web.auth import require
from aiwatch.web.ui.common import render
from aiwatch.web.ui.listing import Listing
from aiwatch.web.ui.pages import integration_tiles

router = APIRouter(include_in_schema=False)

LIST_SORTS = ("last_seen", "first_seen", "severity", "rule", "subject", "alert_count")
RESOLUTIONS = (
    ("true-positive", "True positive"),
    ("benign", "Benign"),
    ("false-positive", "False positive"),
)
# Short confirmations after a redirect: codes in the query string, never free text from the request.
NOTICES = {
    "resolved": "Finding resolved.",
    "reopened": "Finding reopened.",
    "excluded": "Exclusion added: this exact value will not raise an alert for this rule again.",
    "bulk": "Selected findings resolved.",
}


def _safe_back(target: str, default: str) -> str:
    """Only local paths: a form's return address never leads to another site."""
    ok = target.startswith("/") and not target.startswith("//") and "\\" not in target
    return target if ok else default


def _with_notice(path: str, notice: str, **extra: int) -> str:
    joiner = "&" if "?" in path else "?"
    return path + joiner + urlencode({"notice": notice, **extra})


@router.get("/", response_class=HTMLResponse)
def dashboard(
    request: Request, frame: str = DEFAULT_FRAME, principal: Principal = require(Role.VIEWER)
) -> HTMLResponse:
    try:
        frame = parse_frame(frame)
    except ValueError:
        frame = DEFAULT_FRAME  # a hand-edited URL shows the default frame rather than an error page
    now = datetime.now(UTC)
    with request.app.state.sessions() as session:
        has_findings = (session.scalar(select(func.count(Finding.id))) or 0) > 0
        stats = dashboard_stats(session, frame, now=now)
        severe = recent_severe(session, frame, now=now)
        labels = subject_labels(session, severe)
    return render(
        request,
        "dashboard.html",
        {
            "principal": principal,
            "nav": "dashboard",
            "tiles": integration_tiles(request),
            "frames": list(FRAMES),
            "frame": frame,
            "stats": stats,
            "has_findings": has_findings,
            "severe": severe,
            "labels": labels,
        },
    )


@router.get("/findings", response_class=HTMLResponse)
def findings_list(request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    listing = Listing.from_request(request, sorts=LIST_SORTS, default_sort="last_seen")
    code, count = listing.get("notice"), listing.get("count")
    notice = NOTICES.get(code)
    if code == "bulk" and count.isdigit():
        notice = f"{count} finding(s) resolved."
    # The confirmation belongs to this one view: paging and sorting links drop it.
    listing = dataclasses.replace(
        listing, params=tuple((k, v) for k, v in listing.params if k not in ("notice", "count"))
    )
    error = None
    with request.app.state.sessions() as session:
        try:
            query = build_filter(
                session,
                status=listing.get("status") or None,
                severity=listing.get_all("severity"),
                group=listing.get("group"),
                policy=listing.get("policy"),
                rule=listing.get("rule"),
                subject=listing.get("subject"),
                agent=listing.get("agent"),
                since=listing.get("from"),
                until=listing.get("to"),
                q=listing.get("q"),
                sort=listing.sort,
                order="desc" if listing.descending else "asc",
                limit=listing.per_page,
                offset=listing.offset,
            )
            rows, total = list_findings(session, query)
        except ValueError as exc:
            error, rows, total = str(exc), [], 0
        labels = subject_labels(session, rows)
        choices = filter_choices(session)
        agents = agents_with_findings(session)
    return render(
        request,
        "findings_list.html",
        {
            "principal": principal,
            "nav": "findings",
            "listing": listing,
            "rows": rows,
            "total": total,
            "labels": labels,
            "choices": choices,
            "agents": agents,
            "severities": SEVERITIES,
            "resolutions": RESOLUTIONS,
            "can_triage": principal.role >= Role.ANALYST,
            "error": error,
            "notice": notice,
            # Where bulk triage returns: this view with its filters, sort and page (not its old notice).
            "back": listing.path + ("?" + urlencode(listing.params) if listing.params else ""),
        },
        status_code=422 if error else 200,
    )


@router.post("/findings/bulk-resolve")
async def bulk_resolve_page(
    request: Request,
    resolution: str = Form(""),
    reason: str = Form(""),
    back: str = Form("/findings"),
    principal: Principal = require(Role.ANALYST),
) -> Response:
    form = await request.form()
    raw = [str(v) for v in form.getlist("ids")]
    if not raw:
        raise HTTPException(422, "Select at least one finding (the checkboxes in the first column).")
    if not all(v.isdigit() for v in raw):
        raise HTTPException(422, "finding ids must be numbers")
    done = FindingActions(request, principal).resolve([int(v) for v in raw], resolution, reason)
    return RedirectResponse(
        _with_notice(_safe_back(back, "/findings"), "bulk", count=len(done)), status_code=303
    )


@router.get("/findings/{finding_id}", response_class=HTMLResponse)
def finding_page(
    finding_id: int, request: Request, notice: str = "", principal: Principal = require(Role.VIEWER)
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        detail = load_detail(session, finding_id)
    return render(
        request,
        "finding_detail.html",
        {
            "principal": principal,
            "nav": "findings",
            "f": detail,
            "resolutions": RESOLUTIONS,
            "can_triage": principal.role >= Role.ANALYST,
            "notice": NOTICES.get(notice),
            "link": str(request.base_url).rstrip("/") + f"/findings/{finding_id}",
        },
    )


@router.post("/findings/{finding_id}/resolve")
def resolve_page(
    finding_id: int,
    request: Request,
    resolution: str = Form(""),
    reason: str = Form(""),
    principal: Principal = require(Role.ANALYST),
) -> Response:
    FindingActions(request, principal).resolve([finding_id], resolution, reason)
    return RedirectResponse(_with_notice(f"/findings/{finding_id}", "resolved"), status_code=303)


@router.post("/findings/{finding_id}/reopen")
def reopen_page(finding_id: int, request: Request, principal: Principal = require(Role.ANALYST)) -> Response:
    FindingActions(request, principal).reopen(finding_id)
    return RedirectResponse(_with_notice(f"/findings/{finding_id}", "reopened"), status_code=303)


@router.post("/findings/{finding_id}/reveal", response_class=HTMLResponse)
def reveal_page(
    finding_id: int,
    request: Request,
    alert_id: int = Form(...),
    principal: Principal = require(Role.ANALYST),
) -> HTMLResponse:
    """The htmx swap target of "Reveal": the clear value, only in this response (never cached, audited)."""
    revealed = FindingActions(request, principal).reveal(finding_id, alert_id)
    return render(request, "_findings_reveal.html", {"revealed": revealed, "alert_id": alert_id})


@router.get("/findings/{finding_id}/exclude", response_class=HTMLResponse)
def exclude_confirm(
    finding_id: int,
    request: Request,
    alert: int = Query(..., description="the alert whose value to exclude"),
    principal: Principal = require(Role.ANALYST),
) -> HTMLResponse:
    """The confirm step of "Exclude this evidence"."""
    with request.app.state.sessions() as session:
        finding = session.get(Finding, finding_id)
        row = session.get(Alert, alert)
        if finding is None or row is None or row.finding_id != finding_id:
            raise HTTPException(404, f"finding {finding_id} has no alert {alert}")
        context = {
            "principal": principal,
            "nav": "findings",
            "finding": finding,
            "alert": row,
        }
        return render(request, "_findings_exclude.html", context)


@router.post("/findings/{finding_id}/exclude")
def exclude_page(
    finding_id: int,
    request: Request,
    alert_id: int = Form(...),
    note: str = Form(""),
    principal: Principal = require(Role.ANALYST),
) -> Response:
    FindingActions(request, principal).exclude(finding_id, alert_id, note.strip() or None)
    return RedirectResponse(_with_notice(f"/findings/{finding_id}", "excluded"), status_code=303)
