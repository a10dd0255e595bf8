"""The rescan worker: claims queued rescan jobs (``aiwatch.pipeline.rescan``) and runs them, one at a time.

Runs as ``aiwatch worker`` (a long-running process; Ctrl-C or SIGTERM stops it between batches and hands the
job in hand back to the queue) and as a thread of the web console, so ``aiwatch serve`` and ``aiwatch demo``
process the rescans started from the console too. Any number of workers may share one database.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import Settings
from aiwatch.pipeline.rescan import LEASE, JobRun, claim, describe_error, run_job

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0  # how often an idle worker looks for queued jobs


def worker_name(prefix: str = "worker") -> str:
    """Unique per worker (host, process, random suffix): the lease records who holds a job."""
    return f"{prefix}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class RescanWorker:
    """Claims and runs rescan jobs until ``stop()``; ``start()`` runs it in a daemon thread."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        settings: Settings,
        *,
        name: str | None = None,
        lease: timedelta = LEASE,
        poll: float = POLL_SECONDS,
        on_job: Callable[[JobRun], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.settings = settings
        self.name = name or worker_name()
        self.lease = lease
        self.poll = poll
        self.on_job = on_job
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run_once(self, *, max_batches: int | None = None) -> JobRun | None:
        """Claim one job and run it; None when the queue holds nothing claimable."""
        job_id = claim(self.sessions, self.name, lease=self.lease)
        if job_id is None:
            return None
        log.info("rescan %s claimed by %s", job_id, self.name)
        run = run_job(
            self.sessions, self.settings, job_id, self.name, stop=self._stop, max_batches=max_batches
        )
        log.info("rescan %s: %s after %s batches in %s", job_id, run.status, run.batches, self.name)
        if self.on_job is not None:
            self.on_job(run)
        return run

    def run_forever(self) -> None:
        """Process jobs until stopped; an idle worker polls every ``poll`` seconds."""
        while not self._stop.is_set():
            try:
                ran = self.run_once()
            except Exception as exc:  # e.g. the database is briefly unreachable: retry at the next poll
                log.error("rescan worker %s: %s", self.name, describe_error(exc))
                ran = None
            if ran is None:
                self._stop.wait(self.poll)

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(
            target=self.run_forever, name=f"aiwatch-rescans-{self.name}", daemon=True
        )
        self._thread.start()
        return self._thread

    def stop(self) -> None:
        """Ask to stop: the job in hand is handed back after its current batch."""
        self._stop.set()

    def shutdown(self, timeout: float = 30.0) -> None:
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)
