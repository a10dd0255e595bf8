"""Rescans after rule, policy or engine changes, as a queue of jobs (``rescan_jobs``) that workers process.

``--all`` rescans every item with every enabled rule and refreshes the scan state; ``--rule GLOB`` scans every
item with the matching rules only (the scan state is left alone: other rules did not change). Before scanning,
open findings of rules that are now disabled are resolved as ``policy_changed``.

Queue protocol (the same on SQLite and PostgreSQL):

- ``enqueue`` adds a ``pending`` job (or returns the unfinished job for the same rules: one queue entry each).
- ``claim`` takes the oldest claimable job: ``pending``, or ``running`` whose lease expired (its worker died).
  The candidate is selected ``FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite has no row locks and ignores it)
  and taken with a conditional ``UPDATE ... WHERE`` the job is still claimable: of two workers racing for it,
  one updates one row, the other none.
- Every batch commits its alerts, scan state, the job's ``position``/``done`` and a fresh ``heartbeat_at`` in
  one transaction, and only if the job is still ``running`` and held by this worker (again a conditional
  UPDATE, checked before commit). A worker that lost its lease, or whose job was cancelled, rolls the batch
  back and stops; whoever holds the job resumes from the committed ``position``. Nothing is lost, nothing is
  recorded twice (and alerts are unique per item, rule, field and span anyway).
- A worker stopping cleanly (Ctrl-C, SIGTERM, console shutdown) hands the job back as ``pending``.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import Settings
from aiwatch.findings.models import RescanJob
from aiwatch.findings.policy import PolicySnapshot
from aiwatch.findings.service import close_disabled
from aiwatch.pipeline.items import SOURCES
from aiwatch.pipeline.runner import (
    BATCH,
    FORCE,
    PipelineResult,
    Scanner,
    integration_ids,
    retrying,
    scan_batch,
    value_hasher,
)
from aiwatch.store import models as m

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=120)  # a batch (200 items) takes about a second; the engine build a few
ACTIVE = ("pending", "running")
FINISHED = ("done", "failed", "cancelled")
RATE_SMOOTHING = 0.3  # weight of the latest batch in the moving average of items/s

ITEM_MODELS = {
    "message": m.Message,
    "conversation": m.Conversation,
    "file": m.StoredFile,
    "agent_config": m.AgentConfig,
    "memory": m.Memory,
    "canvas_version": m.CanvasVersion,
    "log_event": m.LogEvent,
}
# Rows that are items only when they hold content: a conversation is scanned for its title alone.
ITEM_FILTERS = {"conversation": (m.Conversation.title.is_not(None), m.Conversation.title != "")}


class RescanError(ValueError):
    """A rescan request that cannot be applied (unknown job, no matching rule, finished job)."""


class JobBusy(RescanError):
    """The job is held by another live worker."""


def cli_worker_id() -> str:
    """The foreground command's worker name: the same in one process, so a rerun there resumes its job."""
    return f"cli:{socket.gethostname()}:{os.getpid()}"


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def check_glob(session: Session, rules_glob: str | None) -> None:
    """A rule glob must match at least one rule of the catalog (organisation rules included)."""
    if rules_glob is None:
        return
    if not rules_glob.strip():
        raise RescanError("the rule glob is empty: give e.g. 'secret.*', or rescan everything")
    catalog = PolicySnapshot.load(session).catalog
    if not any(fnmatch.fnmatchcase(rule.id, rules_glob) for rule in catalog):
        raise RescanError(f"no rule matches {rules_glob!r}; list the rules with `aiwatch policies list`")


def count_items(session: Session) -> int:
    """Stored items of the connected integrations (what a rescan walks through)."""
    targets = integration_ids(session)
    if not targets:
        return 0
    return sum(
        session.scalar(
            select(func.count(model.id)).where(model.integration_id.in_(targets), *ITEM_FILTERS.get(kind, ()))
        )
        or 0
        for kind, model in ITEM_MODELS.items()
    )


def enqueue(
    session: Session, rules_glob: str | None, requested_by: str | None = None
) -> tuple[RescanJob, bool]:
    """Queue a rescan; returns the job and whether it is new (an unfinished job for the same rules is reused,
    so asking twice never rescans twice)."""
    check_glob(session, rules_glob)
    job = session.scalar(
        select(RescanJob)
        .where(
            RescanJob.status.in_(ACTIVE),
            RescanJob.rules_glob.is_(None) if rules_glob is None else RescanJob.rules_glob == rules_glob,
        )
        .order_by(RescanJob.id.desc())
    )
    if job is not None:
        return job, False
    job = RescanJob(
        rules_glob=rules_glob,
        status="pending",
        total=count_items(session),
        done=0,
        position={},
        attempts=0,
        requested_by=requested_by,
    )
    session.add(job)
    session.flush()
    return job, True


def start_or_resume(session: Session, rules_glob: str | None) -> RescanJob:
    """The unfinished job for the same rules (a rerun resumes it), or a new one."""
    return enqueue(session, rules_glob)[0]


def _claimable(worker_id: str, cutoff: datetime) -> Any:
    return or_(
        RescanJob.status == "pending",
        and_(
            RescanJob.status == "running",
            or_(
                RescanJob.heartbeat_at.is_(None),
                RescanJob.heartbeat_at < cutoff,
                RescanJob.claimed_by == worker_id,  # the same worker resumes what it left
            ),
        ),
    )


def claim(
    sessions: sessionmaker[Session],
    worker_id: str,
    *,
    lease: timedelta = LEASE,
    job_id: int | None = None,
) -> int | None:
    """Take the oldest claimable job (or job ``job_id``) for ``worker_id``; None when there is none."""
    now = _now()
    condition = _claimable(worker_id, now - lease)
    with sessions.begin() as session:
        query = select(RescanJob.id).where(condition).order_by(RescanJob.id).limit(1)
        if job_id is not None:
            query = query.where(RescanJob.id == job_id)
        candidate = session.scalar(query.with_for_update(skip_locked=True))
        if candidate is None:
            return None
        taken = session.execute(
            update(RescanJob)
            .where(RescanJob.id == candidate, condition)
            .values(
                status="running",
                claimed_by=worker_id,
                heartbeat_at=now,
                attempts=RescanJob.attempts + 1,
                started_at=func.coalesce(RescanJob.started_at, now),
                message=None,
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:
            return None  # another worker took it between the select and the update
        total = count_items(session)
        session.execute(
            update(RescanJob)
            .where(RescanJob.id == candidate, RescanJob.total < total)
            .values(total=total)  # items synced since it was queued
            .execution_options(synchronize_session=False)
        )
    return candidate


def cancel(session: Session, job_id: int) -> RescanJob:
    """Cancel a pending or running job; its worker notices at its next batch and rolls that batch back."""
    job = session.get(RescanJob, job_id)
    if job is None:
        raise RescanError(f"no rescan job with id {job_id}")
    cancelled = session.execute(
        update(RescanJob)
        .where(RescanJob.id == job_id, RescanJob.status.in_(ACTIVE))
        .values(status="cancelled", finished_at=_now(), claimed_by=None, heartbeat_at=None)
        .execution_options(synchronize_session=False)
    )
    session.refresh(job)
    if cancelled.rowcount != 1:
        raise RescanError(f"rescan job {job_id} is already {job.status}")
    return job


@dataclass
class JobRun:
    """What one worker did with one job."""

    job_id: int
    status: str  # done | pending (stopped, handed back) | running (max_batches) | cancelled | lost | failed
    batches: int = 0
    result: PipelineResult = field(default_factory=PipelineResult)


def run_job(
    sessions: sessionmaker[Session],
    settings: Settings,
    job_id: int,
    worker_id: str,
    *,
    stop: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
    max_batches: int | None = None,
) -> JobRun:
    """Process a job claimed by ``worker_id`` until it is done, cancelled, taken over, or ``stop`` is set.

    ``max_batches`` stops after that many batches without handing the job back: tests use it to play a
    worker that dies mid-job (its lease then has to expire before another worker resumes the job).
    """
    with sessions() as session:
        job = session.get(RescanJob, job_id)
        if job is None:
            raise RescanError(f"no rescan job with id {job_id}")
        rules_glob = job.rules_glob
        policy = PolicySnapshot.load(session)
        targets = integration_ids(session)
    run = JobRun(job_id, "running")
    try:
        with sessions.begin() as session:
            run.result.closed_by_policy = close_disabled(session, policy)
        scanner = Scanner(policy, value_hasher(settings), rules_glob)
        fingerprint = None if rules_glob else policy.fingerprint
        for target in targets:
            for kind in SOURCES:
                key = f"{target}:{kind}"
                while True:
                    if max_batches is not None and run.batches >= max_batches:
                        return run
                    if stop is not None and stop.is_set():
                        run.status = hand_back(sessions, job_id, worker_id)
                        return run
                    outcome = retrying(
                        _batch,
                        sessions,
                        scanner,
                        policy,
                        fingerprint,
                        job_id,
                        worker_id,
                        target,
                        kind,
                        key,
                        run,
                    )
                    if outcome == "empty":
                        break
                    if outcome != "ok":
                        run.status = outcome
                        return run
                    if progress is not None:
                        progress(*outcome_progress(sessions, job_id))
    except Exception as exc:  # recorded as failed, never left running until its lease expires
        message = describe_error(exc)
        log.error("rescan %s failed in %s: %s", job_id, worker_id, message)
        _finish(sessions, job_id, worker_id, "failed", message)
        run.status = "failed"
        return run
    run.status = _finish(sessions, job_id, worker_id, "done", None)
    return run


def _batch(
    sessions: sessionmaker[Session],
    scanner: Scanner,
    policy: PolicySnapshot,
    fingerprint: str | None,
    job_id: int,
    worker_id: str,
    target: int,
    kind: str,
    key: str,
    run: JobRun,
) -> str:
    """One batch in one transaction: ``ok``, ``empty`` (this kind is finished), or why the worker must stop
    (``cancelled`` or ``lost``: the batch was rolled back)."""
    started = time.monotonic()
    batch_result = PipelineResult()
    with sessions() as session:  # closing without commit rolls back
        job = session.get(RescanJob, job_id)
        if job is None or job.status != "running" or job.claimed_by != worker_id:
            return _why_not_ours(job)
        position = dict(job.position or {})
        items = SOURCES[kind](session, target, FORCE, int(position.get(key, 0)), BATCH)
        if not items:
            return "empty"
        scan_batch(session, scanner, target, items, policy, batch_result, fingerprint)
        position[key] = items[-1].row_id
        latest = len(items) / max(time.monotonic() - started, 1e-6)
        rate = latest if not job.rate else (1 - RATE_SMOOTHING) * job.rate + RATE_SMOOTHING * latest
        kept = session.execute(
            update(RescanJob)
            .where(RescanJob.id == job_id, RescanJob.status == "running", RescanJob.claimed_by == worker_id)
            .values(position=position, done=RescanJob.done + len(items), heartbeat_at=_now(), rate=rate)
            .execution_options(synchronize_session=False)
        )
        if kept.rowcount != 1:  # cancelled or taken over while this batch ran: keep none of it
            session.rollback()
            return _why_not_ours(session.get(RescanJob, job_id))
        session.commit()
    run.batches += 1
    run.result.add(batch_result)
    return "ok"


def _why_not_ours(job: RescanJob | None) -> str:
    return "cancelled" if job is None or job.status == "cancelled" else "lost"


def outcome_progress(sessions: sessionmaker[Session], job_id: int) -> tuple[int, int]:
    with sessions() as session:
        row = session.execute(select(RescanJob.done, RescanJob.total).where(RescanJob.id == job_id)).one()
    return int(row.done), int(row.total)


def hand_back(sessions: sessionmaker[Session], job_id: int, worker_id: str) -> str:
    """Stopping between batches: the job goes back to the queue at its position."""
    with sessions.begin() as session:
        session.execute(
            update(RescanJob)
            .where(RescanJob.id == job_id, RescanJob.status == "running", RescanJob.claimed_by == worker_id)
            .values(status="pending", claimed_by=None, heartbeat_at=None)
            .execution_options(synchronize_session=False)
        )
    return "pending"


def _finish(
    sessions: sessionmaker[Session], job_id: int, worker_id: str, status: str, message: str | None
) -> str:
    with sessions.begin() as session:
        finished = session.execute(
            update(RescanJob)
            .where(RescanJob.id == job_id, RescanJob.status == "running", RescanJob.claimed_by == worker_id)
            .values(status=status, message=message, finished_at=_now(), claimed_by=None, heartbeat_at=None)
            .execution_options(synchronize_session=False)
        )
        if finished.rowcount == 1:
            return status
        return _why_not_ours(session.get(RescanJob, job_id))


def describe_error(exc: BaseException) -> str:
    """An error for the job's message and the log: the driver's message, never the statement's parameters
    (they may hold masked evidence or item ids)."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        return f"{type(exc.orig).__name__}: {str(exc.orig).splitlines()[0][:300]}"
    return f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}"


def run_rescan(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    rules_glob: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    max_batches: int | None = None,
    stop: threading.Event | None = None,
    lease: timedelta = LEASE,
) -> tuple[RescanJob, PipelineResult]:
    """Foreground rescan (``aiwatch rescan``): queue or resume the job for these rules and run it here.
    Raises ``JobBusy`` when another live worker holds it."""
    worker_id = cli_worker_id()
    with sessions.begin() as session:
        job_id = enqueue(session, rules_glob)[0].id
    if claim(sessions, worker_id, lease=lease, job_id=job_id) is None:
        with sessions() as session:
            job = session.get(RescanJob, job_id)
            holder = job.claimed_by if job else None
        raise JobBusy(
            f"rescan {job_id} is being run by {holder}; follow it with `aiwatch rescan --status {job_id}`"
        )
    run = run_job(
        sessions, settings, job_id, worker_id, stop=stop, progress=progress, max_batches=max_batches
    )
    return get_job(sessions, job_id), run.result


def get_job(sessions: sessionmaker[Session], job_id: int) -> RescanJob:
    with sessions() as session:
        job = session.get(RescanJob, job_id)
        if job is None:
            raise RescanError(f"no rescan job with id {job_id}")
        session.expunge(job)
        return job


def job_progress(job: RescanJob, *, now: datetime | None = None, lease: timedelta = LEASE) -> dict[str, Any]:
    """Progress of a job for people: done/total, percent, items/s, ETA, and whether its worker is alive."""
    now = now or _now()
    total = max(job.total or 0, job.done or 0)
    remaining = total - (job.done or 0)
    rate = job.rate if job.status == "running" and job.rate else None
    heartbeat = _aware(job.heartbeat_at)
    return {
        "done": job.done or 0,
        "total": total,
        "percent": round(100.0 * (job.done or 0) / total, 1)
        if total
        else (100.0 if job.status == "done" else 0.0),
        "rate": round(rate, 1) if rate else None,
        "eta_seconds": round(remaining / rate) if rate else None,
        "stale": bool(job.status == "running" and heartbeat is not None and heartbeat < now - lease),
    }


def list_jobs(session: Session, *, limit: int, offset: int) -> tuple[list[RescanJob], int]:
    total = session.scalar(select(func.count(RescanJob.id))) or 0
    rows = list(session.scalars(select(RescanJob).order_by(RescanJob.id.desc()).limit(limit).offset(offset)))
    return rows, total
