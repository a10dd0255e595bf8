"""The sync loop behind ``aiwatch sync``: passes over every active integration, Ctrl-C between pages."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from aiwatch.config import ConfigError, Settings
from aiwatch.sync.context import SyncOptions
from aiwatch.sync.engine import SyncSummary
from aiwatch.sync.progress import RichProgress, SilentProgress
from aiwatch.sync.runner import ClientFactory, default_client, integrations_to_sync, sync_integration


class SyncLoop:
    def __init__(
        self,
        settings: Settings,
        *,
        options: SyncOptions | None = None,
        client_factory: ClientFactory = default_client,
        console: Console | None = None,
    ) -> None:
        from aiwatch.integrations.service import IntegrationService
        from aiwatch.store.db import init_db, make_session_factory

        self.settings = settings
        self.sessions = make_session_factory(init_db(settings))
        self.service = IntegrationService(settings, self.sessions)
        self.options = options or SyncOptions()
        self.client_factory = client_factory
        self.console = console or Console(stderr=False)
        self.stop = threading.Event()

    def run(self, *, name: str | None, once: bool, interval: float) -> bool:
        """Passes until stopped (or one with ``once``); True when the last pass had no errors."""
        with self._stop_on_interrupt():
            first = True
            while True:
                try:
                    summaries = self.run_pass(name, compact=not first)
                    ok = all(summary.ok for summary in summaries)
                except SQLAlchemyError as exc:
                    if once:
                        raise ConfigError(
                            f"the database failed: {type(exc).__name__}; check it is reachable"
                        ) from exc
                    # A long-running sync outlives a database restart: try again next interval.
                    self.console.print(
                        f"The database failed ({type(exc).__name__}); retrying in {interval:g} s."
                    )
                    ok = False
                first = False
                if once or self.stop.is_set():
                    return ok
                if self.stop.wait(interval):
                    return ok

    def run_pass(self, name: str | None = None, *, compact: bool = False) -> list[SyncSummary]:
        """One pass over the integrations; ``compact`` prints one line per healthy integration."""
        targets = integrations_to_sync(self.service, name)
        if not targets:
            self.console.print("No active integration: add one with `aiwatch integrations add chatgpt …`.")
            return []
        summaries = []
        for target in targets:
            if self.stop.is_set():
                break
            progress = RichProgress(self.console) if self.console.is_terminal else SilentProgress()
            with progress:
                summary = sync_integration(
                    self.service,
                    self.sessions,
                    target,
                    options=self.options,
                    progress=progress,
                    stop=self.stop,
                    client_factory=self.client_factory,
                )
            print_summary(self.console, summary, compact=compact)
            summaries.append(summary)
            self.scan_new_items(target.id)
        return summaries

    def scan_new_items(self, integration_id: int) -> None:
        """The findings pipeline over what this pass stored (it also runs alone: `aiwatch pipeline run`)."""
        from aiwatch.pipeline.runner import run_pipeline

        try:
            result = run_pipeline(self.sessions, self.settings, integration_id=integration_id)
        except SQLAlchemyError:
            raise  # the loop's database-outage handling applies
        except Exception as exc:  # a scanning bug must not stop syncing; pending items are retried next pass
            self.console.print(f"Findings pipeline failed ({type(exc).__name__}); it retries next pass.")
            return
        self.console.print(
            f"Findings pipeline: {result.items} items scanned, {result.recorded.created} new alerts, "
            f"{len(result.recorded.findings_touched)} findings updated"
        )

    @contextmanager
    def _stop_on_interrupt(self) -> Iterator[None]:
        """First Ctrl-C (or SIGTERM): finish the current page, then stop. Second Ctrl-C: abort."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def request_stop(signum: int, frame: FrameType | None) -> None:
            if self.stop.is_set() and signum == signal.SIGINT:
                raise KeyboardInterrupt
            self.stop.set()
            self.console.print("Stopping after the current page (Ctrl-C again to abort)…")

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def print_summary(console: Console, summary: SyncSummary, *, compact: bool = False) -> None:
    if compact and summary.ok and not summary.stopped:
        changed = ", ".join(f"{o.stream} {o.items}" for o in summary.outcomes if o.items)
        console.print(
            f"Sync of {summary.integration!r}: {summary.integration_status} ({changed or 'no new items'})"
        )
        return
    table = Table(
        title=f"Sync of {summary.integration!r}: {summary.integration_status}", title_justify="left"
    )
    table.add_column("stream")
    table.add_column("status")
    table.add_column("items", justify="right")
    table.add_column("note", overflow="fold")
    for outcome in summary.outcomes:
        table.add_row(outcome.stream, outcome.status, str(outcome.items), outcome.message or "")
    console.print(table)
    if summary.integration_message:
        console.print(
            f"[bold]Integration status:[/bold] {summary.integration_status}: {summary.integration_message}"
        )
    if summary.stopped:
        console.print("Stopped on request; the next run resumes from the saved cursors.")
