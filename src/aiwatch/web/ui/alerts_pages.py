"""Pages: alerts over time per policy and rule (``/alerts``) and one rule's activity and latest alerts."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from aiwatch.explorer.alerts import (
    SUPPRESSION_REASONS,
    AlertFilter,
    RuleBook,
    alert_stats,
    list_alerts,
    rule_activity,
)
from aiwatch.explorer.frames import DEFAULT_FRAME, FRAMES, Frame
from aiwatch.web.accounts import Principal, Role
from aiwatch.web.auth import require
from aiwatch.web.ui.common import render
from aiwatch.web.ui.listing import Listing

router = APIRouter(include_in_schema=False)

SUPPRESSED_CHOICES = {"": None, "no": False, "yes": True}


def frame_of(request: Request) -> Frame:
    """The page's time frame; an unknown value in a hand-edited URL falls back to the default."""
    name = request.query_params.get("frame", DEFAULT_FRAME)
    return Frame.parse(name if name in FRAMES else DEFAULT_FRAME)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_overview(request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    frame = frame_of(request)
    listing = Listing.from_request(request, sorts=("alerts",), default_sort="alerts")
    with request.app.state.sessions() as session:
        stats = alert_stats(session, frame)
    return render(
        request,
        "alerts.html",
        {
            "principal": principal,
            "nav": "alerts",
            "stats": stats,
            "frames": list(FRAMES),
            "listing": listing,
            "reasons": SUPPRESSION_REASONS,
        },
    )


@router.get("/alerts/rules/{rule_id}", response_class=HTMLResponse)
def alerts_rule(rule_id: str, request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    frame = frame_of(request)
    listing = Listing.from_request(request, sorts=("observed_at",), default_sort="observed_at")
    suppressed = SUPPRESSED_CHOICES.get(listing.get("suppressed"))
    with request.app.state.sessions() as session:
        book = RuleBook(session)
        activity = rule_activity(session, rule_id, frame, book)
        if activity is None:
            raise HTTPException(404, f"No rule {rule_id!r} is known and none of its alerts are stored.")
        # Exact rule id (a rule id never holds "*", so no glob reaches the list filter from here).
        query = AlertFilter(
            rule=rule_id, suppressed=suppressed, limit=listing.per_page, offset=listing.offset
        )
        alerts, total = list_alerts(session, query, book)
    return render(
        request,
        "alerts_rule.html",
        {
            "principal": principal,
            "nav": "alerts",
            "activity": activity,
            "alerts": alerts,
            "total": total,
            "listing": listing,
            "frames": list(FRAMES),
        },
    )
