"""Pages: the explorer (message search with filters and the usage panel) and one conversation.

Analyst and up: message bodies are sensitive, viewers get the access-denied page. Opening a conversation is
audited (``conversation.view``) and so is a search that shows snippets (``explorer.search``), the same as
through the API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from aiwatch.explorer.frames import FRAMES
from aiwatch.explorer.search import (
    AUTHOR_ROLES,
    PURGED,
    SEARCH_ROW_LIMIT,
    MessageQuery,
    SearchError,
    conversation_detail,
    search_messages,
)
from aiwatch.explorer.usage import usage
from aiwatch.web.accounts import Principal, Role
from aiwatch.web.api.explorer import audit_conversation_view, audit_message_search
from aiwatch.web.auth import require
from aiwatch.web.ui.alerts_pages import frame_of
from aiwatch.web.ui.common import render
from aiwatch.web.ui.listing import Listing

router = APIRouter(include_in_schema=False)

HAS_FINDINGS = {"": None, "yes": True, "no": False}


def _day(value: str, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SearchError(f"{name} must be a date like 2026-11-30") from None


def query_of(listing: Listing) -> MessageQuery:
    """The search form's fields; the "to" date is inclusive (the whole day)."""
    start, end = _day(listing.get("from"), "From"), _day(listing.get("to"), "To")
    return MessageQuery(
        text=listing.get("q") or None,
        user=listing.get("user") or None,
        agent=listing.get("agent") or None,
        role=listing.get("role") or None,
        since=datetime.combine(start, time(), UTC) if start else None,
        until=datetime.combine(end, time(), UTC) + timedelta(days=1) if end else None,
        has_findings=HAS_FINDINGS.get(listing.get("has_findings")),
        limit=listing.per_page,
        offset=listing.offset,
    )


@router.get("/explorer", response_class=HTMLResponse)
def explorer(request: Request, principal: Principal = require(Role.ANALYST)) -> HTMLResponse:
    listing = Listing.from_request(request, sorts=("created_at",), default_sort="created_at")
    frame = frame_of(request)
    error = None
    page = None
    with request.app.state.sessions() as session:
        try:
            query = query_of(listing)
            page = search_messages(session, query)
        except SearchError as exc:
            error = str(exc)
        stats = usage(session, frame)
    if page is not None:
        audit_message_search(request, principal, query, page, "web")
    return render(
        request,
        "explorer.html",
        {
            "principal": principal,
            "nav": "explorer",
            "listing": listing,
            "page": page,
            "error": error,
            "usage": stats,
            "frames": list(FRAMES),
            "roles": AUTHOR_ROLES,
            "row_limit": SEARCH_ROW_LIMIT,
            "purged_note": PURGED,
        },
        status_code=422 if error else 200,
    )


@router.get("/explorer/conversations/{conversation_id}", response_class=HTMLResponse)
def conversation(
    conversation_id: int, request: Request, principal: Principal = require(Role.ANALYST)
) -> HTMLResponse:
    with request.app.state.sessions() as session:
        detail = conversation_detail(session, conversation_id)
    if detail is None:
        raise HTTPException(404, f"No conversation with id {conversation_id}.")
    audit_conversation_view(request, principal, detail, "web")
    return render(
        request,
        "explorer_conversation.html",
        {
            "principal": principal,
            "nav": "explorer",
            "c": detail,
            "purged_note": PURGED,
            "back": request.headers.get("referer") if _same_explorer(request) else None,
        },
    )


def _same_explorer(request: Request) -> bool:
    """A back link only to this console's explorer search (never to another site from the Referer)."""
    referer = request.headers.get("referer", "")
    return referer.startswith(str(request.base_url) + "explorer")
