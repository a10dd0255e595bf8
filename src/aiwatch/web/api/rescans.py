"""``/api/rescans``: queue a background rescan, follow its progress, cancel it.

Jobs are processed by the console's own worker thread and by any ``aiwatch worker`` on the same database
(see aiwatch.pipeline.rescan for the queue protocol).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from aiwatch.findings.models import RescanJob
from aiwatch.pipeline.rescan import RescanError, cancel, enqueue, job_progress, list_jobs
from aiwatch.web.accounts import Principal, Role
from aiwatch.web.auth import require

router = APIRouter(prefix="/api", tags=["rescans"])


class RescanCreate(BaseModel):
    rules_glob: str | None = Field(
        None,
        max_length=200,
        description="rescan with the rules matching this glob only, e.g. 'secret.*'; null: every enabled "
        "rule (and the scan state is refreshed)",
    )


class RescanOut(BaseModel):
    id: int
    rules_glob: str | None
    status: str = Field(description="pending, running, done, failed or cancelled")
    done: int
    total: int
    percent: float
    rate: float | None = Field(description="items per second of the recent batches (running jobs)")
    eta_seconds: int | None
    stale: bool = Field(description="running, but its worker missed its lease: another worker resumes it")
    attempts: int = Field(description="times a worker claimed it (more than one: resumed)")
    claimed_by: str | None
    requested_by: str | None
    message: str | None
    created_at: datetime
    started_at: datetime | None
    heartbeat_at: datetime | None
    finished_at: datetime | None


class RescanPage(BaseModel):
    items: list[RescanOut]
    total: int
    limit: int
    offset: int


def to_out(job: RescanJob) -> RescanOut:
    progress = job_progress(job)
    return RescanOut(
        id=job.id,
        rules_glob=job.rules_glob,
        status=job.status,
        attempts=job.attempts or 0,
        claimed_by=job.claimed_by,
        requested_by=job.requested_by,
        message=job.message,
        created_at=job.created_at,
        started_at=job.started_at,
        heartbeat_at=job.heartbeat_at,
        finished_at=job.finished_at,
        **progress,
    )


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


@router.post("/rescans", response_model=RescanOut, status_code=202, summary="Queue a background rescan")
def start_rescan(
    body: RescanCreate, request: Request, principal: Principal = require(Role.ADMIN)
) -> RescanOut:
    try:
        with request.app.state.sessions.begin() as session:
            job, created = enqueue(session, body.rules_glob, requested_by=principal.actor)
            out = to_out(job)
    except RescanError as exc:
        raise HTTPException(422, str(exc)) from exc
    request.app.state.audit.record(
        principal.actor,
        "rescan.start",
        str(out.id),
        {"rules_glob": body.rules_glob or "*", "queued": "new" if created else "already queued"},
        source_ip=_client_ip(request),
    )
    return out


@router.get("/rescans", response_model=RescanPage, summary="List rescans, newest first")
def list_rescans(
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.VIEWER),
) -> RescanPage:
    with request.app.state.sessions() as session:
        rows, total = list_jobs(session, limit=limit, offset=offset)
        items = [to_out(job) for job in rows]
    return RescanPage(items=items, total=total, limit=limit, offset=offset)


@router.get("/rescans/{rescan_id}", response_model=RescanOut, summary="One rescan and its progress")
def get_rescan(rescan_id: int, request: Request, principal: Principal = require(Role.VIEWER)) -> RescanOut:
    with request.app.state.sessions() as session:
        job = session.get(RescanJob, rescan_id)
        if job is None:
            raise HTTPException(404, f"no rescan with id {rescan_id}")
        return to_out(job)


@router.post(
    "/rescans/{rescan_id}/cancel", response_model=RescanOut, summary="Cancel a pending or running rescan"
)
def cancel_rescan(rescan_id: int, request: Request, principal: Principal = require(Role.ADMIN)) -> RescanOut:
    with request.app.state.sessions.begin() as session:
        if session.get(RescanJob, rescan_id) is None:
            raise HTTPException(404, f"no rescan with id {rescan_id}")
        try:
            out = to_out(cancel(session, rescan_id))
        except RescanError as exc:
            raise HTTPException(409, str(exc)) from exc
    request.app.state.audit.record(
        principal.actor,
        "rescan.cancel",
        str(rescan_id),
        {"done": str(out.done)},
        source_ip=_client_ip(request),
    )
    return out
