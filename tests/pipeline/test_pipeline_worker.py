"""Background rescans: a DB-backed queue of jobs claimed with a lease, processed by workers (SQLite and
PostgreSQL). A worker that dies mid-job is replaced after its lease expires and the job resumes at its
position with nothing lost or recorded twice; two workers never run one job; cancel; clean stop."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from pipeline_helpers import add_messages
from sqlalchemy import func, select

import aiwatch.pipeline.rescan as rescan_module
from aiwatch.findings.models import Alert, Finding, RescanJob
from aiwatch.pipeline.rescan import RescanError, cancel, claim, enqueue, job_progress, run_job
from aiwatch.pipeline.worker import RescanWorker

MESSAGES = 9
SHORT_LEASE = timedelta(seconds=0.5)


@pytest.fixture
def queue(db_store, monkeypatch):
    """A store with 9 messages (2 alerts each) and rescans of 2 items per batch."""
    add_messages(db_store, MESSAGES)
    monkeypatch.setattr(rescan_module, "BATCH", 2)
    return db_store


def _queue_all(store, requested_by: str | None = None) -> int:
    with store.sessions.begin() as session:
        job, created = enqueue(session, None, requested_by)
        assert created
        return job.id


def _job(store, job_id: int) -> RescanJob:
    with store.sessions() as session:
        job = session.get(RescanJob, job_id)
        session.expunge(job)
        return job


def _alert_and_finding_counts(store) -> tuple[int, int, int]:
    with store.sessions() as session:
        alerts = session.scalar(select(func.count(Alert.id)).where(Alert.suppressed_by.is_(None)))
        findings = session.scalar(select(func.count(Finding.id)))
        joined = session.scalar(select(func.sum(Finding.alert_count))) or 0
    return alerts, findings, joined


def _worker(store, name: str, lease: timedelta = SHORT_LEASE) -> RescanWorker:
    return RescanWorker(store.sessions, store.settings, name=name, lease=lease, poll=0.05)


def test_a_worker_processes_a_queued_job(queue) -> None:
    job_id = _queue_all(queue, "admin")
    queued = _job(queue, job_id)
    assert (queued.status, queued.total, queued.requested_by) == ("pending", MESSAGES, "admin")
    run = _worker(queue, "w1").run_once()
    assert run is not None and (run.job_id, run.status) == (job_id, "done")
    assert run.batches == 5 and run.result.recorded.created == 2 * MESSAGES
    job = _job(queue, job_id)
    assert (job.status, job.done, job.attempts, job.claimed_by) == ("done", MESSAGES, 1, None)
    assert job.finished_at is not None and job.rate and job.rate > 0
    assert job_progress(job)["percent"] == 100.0
    assert _alert_and_finding_counts(queue)[0] == 2 * MESSAGES
    assert _worker(queue, "w1").run_once() is None  # nothing left in the queue


def test_a_dead_workers_job_resumes_after_its_lease_with_the_same_findings(queue) -> None:
    job_id = _queue_all(queue)
    dead = _worker(queue, "dies")
    first = dead.run_once(max_batches=2)  # the process dies here: no hand-back, the lease stays
    assert first is not None and first.status == "running"
    held = _job(queue, job_id)
    assert (held.status, held.done, held.claimed_by) == ("running", 4, "dies")
    assert job_progress(held)["eta_seconds"] is not None

    other = _worker(queue, "takes-over")
    assert other.run_once() is None  # the lease is still alive
    time.sleep(SHORT_LEASE.total_seconds() + 0.2)
    assert job_progress(_job(queue, job_id), lease=SHORT_LEASE)["stale"]
    resumed = other.run_once()
    assert resumed is not None and resumed.status == "done" and resumed.batches == 3
    job = _job(queue, job_id)
    assert (job.status, job.done, job.attempts) == ("done", MESSAGES, 2)

    # The dead worker comes back to life: its next batch is refused, nothing of it is kept.
    late = run_job(queue.sessions, queue.settings, job_id, "dies")
    assert late.status == "cancelled" or late.batches == 0

    alerts, findings, joined = _alert_and_finding_counts(queue)
    assert alerts == 2 * MESSAGES and joined == alerts  # every alert once, each joined one finding once
    # A fresh full rescan finds nothing that the interrupted one missed.
    again = _queue_all(queue)
    assert _worker(queue, "check").run_once().result.recorded.created == 0
    assert _alert_and_finding_counts(queue) == (alerts, findings, joined)
    assert again != job_id


def test_a_worker_that_lost_its_lease_cannot_commit_its_batch(queue) -> None:
    job_id = _queue_all(queue)
    assert claim(queue.sessions, "slow", lease=SHORT_LEASE) == job_id
    time.sleep(SHORT_LEASE.total_seconds() + 0.2)
    assert claim(queue.sessions, "fast", lease=SHORT_LEASE) == job_id  # the slow worker's lease expired
    lost = run_job(queue.sessions, queue.settings, job_id, "slow")
    assert (lost.status, lost.batches) == ("lost", 0)
    assert _alert_and_finding_counts(queue)[0] == 0
    assert run_job(queue.sessions, queue.settings, job_id, "fast").status == "done"
    assert _job(queue, job_id).done == MESSAGES


def test_two_workers_never_claim_the_same_job(queue) -> None:
    job_id = _queue_all(queue)
    barrier = threading.Barrier(6)
    claimed: list[int | None] = []

    def race(name: str) -> None:
        barrier.wait()
        claimed.append(claim(queue.sessions, name))

    threads = [threading.Thread(target=race, args=(f"w{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(claimed, key=str) == sorted([job_id] + [None] * 5, key=str)
    assert _job(queue, job_id).attempts == 1


def test_two_worker_threads_share_the_queue_without_double_work(queue) -> None:
    jobs = [_queue_all(queue)]
    with queue.sessions.begin() as session:
        jobs.append(enqueue(session, "pii.*")[0].id)
    done: list[tuple[str, int]] = []
    workers = [
        RescanWorker(
            queue.sessions,
            queue.settings,
            name=f"t{i}",
            poll=0.05,
            on_job=lambda run, i=i: done.append((f"t{i}", run.job_id)),
        )
        for i in range(2)
    ]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 240  # generous: the shared CI machine can be very loaded
    while len(done) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    for worker in workers:
        worker.shutdown()
    assert sorted(job for _, job in done) == sorted(jobs)
    for job_id in jobs:
        job = _job(queue, job_id)
        assert (job.status, job.attempts, job.done) == ("done", 1, MESSAGES)
    alerts, _findings, joined = _alert_and_finding_counts(queue)
    assert alerts == 2 * MESSAGES and joined == alerts


def test_cancel_stops_the_worker_and_keeps_what_it_committed(queue) -> None:
    job_id = _queue_all(queue)
    worker = _worker(queue, "w", lease=timedelta(minutes=5))
    assert worker.run_once(max_batches=1).status == "running"
    with queue.sessions.begin() as session:
        assert cancel(session, job_id).status == "cancelled"
    after = run_job(queue.sessions, queue.settings, job_id, "w")
    assert (after.status, after.batches) == ("cancelled", 0)
    job = _job(queue, job_id)
    assert (job.status, job.done, job.claimed_by) == ("cancelled", 2, None) and job.finished_at
    assert _alert_and_finding_counts(queue)[0] == 4
    with queue.sessions.begin() as session, pytest.raises(RescanError, match="already cancelled"):
        cancel(session, job_id)
    with queue.sessions.begin() as session, pytest.raises(RescanError, match="no rescan job"):
        cancel(session, 999)
    assert worker.run_once() is None  # a cancelled job is never claimed again


def test_a_stopping_worker_hands_its_job_back_at_its_position(queue) -> None:
    job_id = _queue_all(queue)
    stop = threading.Event()
    assert claim(queue.sessions, "polite") == job_id
    run = run_job(
        queue.sessions, queue.settings, job_id, "polite", stop=stop, progress=lambda done, total: stop.set()
    )
    assert (run.status, run.batches) == ("pending", 1)
    job = _job(queue, job_id)
    assert (job.status, job.done, job.claimed_by) == ("pending", 2, None)
    resumed = _worker(queue, "next").run_once()
    assert resumed.status == "done" and resumed.batches == 4
    assert _alert_and_finding_counts(queue)[0] == 2 * MESSAGES


def test_queueing_rejects_unknown_rules_and_reuses_the_unfinished_job(queue) -> None:
    with queue.sessions.begin() as session:
        with pytest.raises(RescanError, match="no rule matches"):
            enqueue(session, "nothing.like.this*")
        first, created = enqueue(session, "secret.*")
        again, created_again = enqueue(session, "secret.*")
    assert created and not created_again and again.id == first.id


def test_a_batch_that_lost_a_race_on_a_unique_key_is_retried() -> None:
    from sqlalchemy.exc import IntegrityError

    from aiwatch.pipeline.runner import CONFLICT_ATTEMPTS, retrying

    calls: list[int] = []

    def flaky(fail_times: int) -> str:
        calls.append(1)
        if len(calls) <= fail_times:
            raise IntegrityError("INSERT INTO alerts ...", {}, Exception("duplicate key"))
        return "ok"

    assert retrying(flaky, 1) == "ok" and len(calls) == 2
    calls.clear()
    with pytest.raises(IntegrityError):
        retrying(flaky, CONFLICT_ATTEMPTS)
    assert len(calls) == CONFLICT_ATTEMPTS


def test_the_pipeline_and_a_background_rescan_on_the_same_items_record_each_alert_once(queue) -> None:
    from aiwatch.pipeline.runner import run_pipeline

    add_more = 11  # 20 messages in all
    add_messages(queue, add_more, conversation_id="conv-2", first=MESSAGES)
    _queue_all(queue)
    worker = _worker(queue, "bg", lease=timedelta(minutes=5))
    errors: list[BaseException] = []

    def pipeline() -> None:
        try:
            run_pipeline(queue.sessions, queue.settings, include_posture=False)
        except BaseException as exc:  # reported below
            errors.append(exc)

    thread = threading.Thread(target=pipeline)
    thread.start()
    run = worker.run_once()
    thread.join(60)
    assert not errors and run is not None and run.status == "done"
    alerts, _findings, joined = _alert_and_finding_counts(queue)
    assert alerts == 2 * (MESSAGES + add_more) and joined == alerts
