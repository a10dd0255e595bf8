"""Pages: the findings dashboard (home page), the findings list, a finding's detail and triage."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from aiwatch.web.accounts import Principal, Role
from aiwatch.web.auth import require
from aiwatch.web.ui.common import render
from aiwatch.web.ui.pages import integration_tiles

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, principal: Principal = require(Role.VIEWER)) -> HTMLResponse:
    return render(
        request,
        "dashboard.html",
        {"principal": principal, "nav": "dashboard", "tiles": integration_tiles(request)},
    )
