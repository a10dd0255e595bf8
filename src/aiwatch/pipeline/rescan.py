"""Background rescans after rule, policy or engine changes: resumable (the job stores its position), with
progress. ``--all`` rescans every item with every enabled rule and refreshes the scan state; ``--rule GLOB``
scans every item with the matching rules only (the scan state is left alone: other rules did not change).
Before scanning, open findings of rules that are now disabled are resolved as ``policy_changed``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import func, select
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
    scan_batch,
    value_hasher,
)
from aiwatch.store import models as m

ITEM_MODELS = {
    "message": m.Message,
    "file": m.StoredFile,
    "agent_config": m.AgentConfig,
    "memory": m.Memory,
    "canvas_version": m.CanvasVersion,
    "log_event": m.LogEvent,
}


def start_or_resume(session: Session, rules_glob: str | None) -> RescanJob:
    """The unfinished job for the same rules (a rerun resumes it), or a new one."""
    job = session.scalar(
        select(RescanJob)
        .where(
            RescanJob.status.in_(("pending", "running")),
            RescanJob.rules_glob.is_(None) if rules_glob is None else RescanJob.rules_glob == rules_glob,
        )
        .order_by(RescanJob.id.desc())
    )
    if job is None:
        total = sum(session.scalar(select(func.count(model.id))) or 0 for model in ITEM_MODELS.values())
        job = RescanJob(rules_glob=rules_glob, status="pending", total=total, done=0, position={})
        session.add(job)
        session.flush()
    return job


def run_rescan(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    rules_glob: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    max_batches: int | None = None,
) -> tuple[RescanJob, PipelineResult]:
    with sessions.begin() as session:
        job = start_or_resume(session, rules_glob)
        job.status = "running"
        job_id = job.id
        policy = PolicySnapshot.load(session)
    result = PipelineResult()
    with sessions.begin() as session:
        result.closed_by_policy = close_disabled(session, policy)
    scanner = Scanner(policy, value_hasher(settings), rules_glob)
    fingerprint = None if rules_glob else policy.fingerprint
    batches = 0
    with sessions() as session:
        targets = integration_ids(session)
    for target in targets:
        for kind in SOURCES:
            while True:
                if max_batches is not None and batches >= max_batches:
                    with sessions.begin() as session:
                        return _detached(session, job_id), result
                with sessions.begin() as session:
                    job = session.get(RescanJob, job_id)
                    assert job is not None
                    key = f"{target}:{kind}"
                    after = int((job.position or {}).get(key, 0))
                    items = SOURCES[kind](session, target, FORCE, after, BATCH)
                    if not items:
                        break
                    scan_batch(session, scanner, target, items, policy, result, fingerprint)
                    job.position = {**(job.position or {}), key: items[-1].row_id}
                    job.done += len(items)
                    done, total = job.done, job.total
                batches += 1
                if progress is not None:
                    progress(done, total)
    with sessions.begin() as session:
        job = session.get(RescanJob, job_id)
        assert job is not None
        job.status = "done"
        job.finished_at = datetime.now(UTC)
        return _detached(session, job_id), result


def _detached(session: Session, job_id: int) -> RescanJob:
    job = session.get(RescanJob, job_id)
    assert job is not None
    session.flush()
    session.refresh(job)
    session.expunge(job)
    return job
