"""Back-fills started from the console: one background thread per integration running a sync pass."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from aiwatch.integrations.service import IntegrationService
from aiwatch.store.models import utc_now
from aiwatch.sync.progress import SilentProgress
from aiwatch.sync.runner import ClientFactory, default_client, sync_integration


@dataclass
class BackfillState:
    integration: str
    started_at: datetime = field(default_factory=utc_now)
    finished_at: datetime | None = None
    outcome: str = "running"  # running, done, failed
    message: str = "back-fill running"
    progress: SilentProgress = field(default_factory=SilentProgress)  # counts per stream, read by the tile

    @property
    def items(self) -> int:
        return sum(tally.items for tally in self.progress.tallies.values())


class BackfillManager:
    def __init__(
        self,
        service: IntegrationService,
        sessions: sessionmaker[Session],
        client_factory: ClientFactory = default_client,
    ) -> None:
        self._service = service
        self._sessions = sessions
        self._client_factory = client_factory
        self._states: dict[str, BackfillState] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def start(self, name: str) -> BackfillState:
        """Start a pass for ``name`` unless one is already running; returns its state."""
        with self._lock:
            thread = self._threads.get(name)
            if thread is not None and thread.is_alive():
                return self._states[name]
            state = self._states[name] = BackfillState(name)
            thread = threading.Thread(target=self._run, args=(state,), name=f"backfill-{name}", daemon=True)
            self._threads[name] = thread
            thread.start()
            return state

    def state(self, name: str) -> BackfillState | None:
        return self._states.get(name)

    def wait(self, name: str, timeout: float) -> bool:
        """True when no back-fill of ``name`` is running after at most ``timeout`` seconds."""
        thread = self._threads.get(name)
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def shutdown(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in list(self._threads.values()):
            thread.join(timeout)

    def _run(self, state: BackfillState) -> None:
        try:
            info = self._service.get(state.integration)
            summary = sync_integration(
                self._service,
                self._sessions,
                info,
                progress=state.progress,
                stop=self._stop,
                client_factory=self._client_factory,
            )
            state.outcome = "done" if summary.ok else "failed"
            state.message = (
                "back-fill complete"
                if summary.ok
                else f"back-fill finished with errors: {summary.integration_message or 'see Sync health'}"
            )
        except Exception as exc:  # a background thread must report, not die silently
            state.outcome = "failed"
            state.message = f"back-fill failed: {type(exc).__name__}: {exc}"
        finally:
            state.finished_at = utc_now()
