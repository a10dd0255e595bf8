"""What every stream gets while it runs: the client, the database, the clock, the stop flag and progress."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from aiwatch.sync import persist
from aiwatch.sync.progress import ProgressReporter, SilentProgress

WORKSPACE_LOG_TYPES = (
    "AUTH_LOG",
    "AUDIT_LOG",
    "APP_LOG",
    "APP_AUTH_LOG",
    "CONVERSATION_MESSAGE",
    "CUSTOM_AGENTS_LOG",
    "CODEX_LOG",
    "CODEX_SECURITY_LOG",
)
ORGANIZATION_LOG_TYPES = ("COSTS",)


@dataclass(frozen=True)
class SyncOptions:
    """Knobs of one sync pass; the defaults follow the API's documented behaviour."""

    workspace_log_types: tuple[str, ...] = WORKSPACE_LOG_TYPES
    organization_log_types: tuple[str, ...] = ORGANIZATION_LOG_TYPES
    extra_log_types: tuple[str, ...] = ()
    # Conversations are listed "updated at or after" the start of the last complete pass minus this margin,
    # so an update that lands while a pass runs is never missed.
    conversation_safety_margin: timedelta = timedelta(minutes=10)
    # A full re-listing (no since_timestamp) at this interval catches changes that do not move a
    # conversation's update time, e.g. an admin removal leaving the "(Removed by your admin)" placeholder.
    conversation_full_relist: timedelta = timedelta(hours=24)
    # Inventories without an incremental API (GPTs, projects, memories, canvases, later paths) are listed in
    # full at most this often: each listing costs one or more requests per agent or per user.
    inventory_refresh: timedelta = timedelta(hours=1)
    # The log feed keeps ~30 days; the first back-fill starts just inside that edge.
    log_retention: timedelta = timedelta(days=30)
    conversation_page_size: int = 100
    list_page_size: int = 100
    log_page_size: int = 100
    canvas_page_size: int = 30  # the API's maximum for canvases and canvas versions
    fetch_files: bool = True
    max_file_bytes: int = 50 * 1024 * 1024


class StopRequested(Exception):
    """Ctrl-C (or a caller) asked the sync to stop; raised between pages, after the last commit."""


@dataclass
class SyncContext:
    integration_id: int
    workspace_id: str
    platform_org_id: str | None
    client: Any  # aiwatch.sources.chatgpt.ComplianceClient (typed loosely: tests may pass a wrapper)
    sessions: sessionmaker[Session]
    options: SyncOptions = field(default_factory=SyncOptions)
    progress: ProgressReporter = field(default_factory=SilentProgress)
    stop: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    items_by_stream: dict[str, int] = field(default_factory=dict)

    def refresh_due(self, cursor: dict[str, Any]) -> bool:
        """Whether an inventory stream's last complete listing is older than ``options.inventory_refresh``."""
        completed = cursor.get("completed_at")
        age = self.clock().timestamp() - completed if isinstance(completed, int | float) else None
        return age is None or age >= self.options.inventory_refresh.total_seconds()

    def check_stop(self) -> None:
        if self.stop.is_set():
            raise StopRequested

    def progress_items(self, stream: str) -> int:
        return self.items_by_stream.get(stream, 0)

    def load_cursor(self, stream: str) -> dict[str, Any]:
        with self.sessions() as session:
            return persist.load_cursor(session, self.integration_id, stream)

    @contextmanager
    def page(self, stream: str, cursor: dict[str, Any], *, items: int) -> Iterator[Session]:
        """One transaction holding a page's rows AND its cursor advance: a crash loses or repeats nothing."""
        self.check_stop()
        with self.sessions.begin() as session:
            yield session
            persist.save_cursor(session, self.integration_id, stream, cursor, items=items)
        self.items_by_stream[stream] = self.items_by_stream.get(stream, 0) + items
        self.progress.advance(stream, pages=1, items=items)

    def advance_cursor(self, stream: str, cursor: dict[str, Any]) -> None:
        """Commit a cursor move for a page that carried no new rows."""
        with self.page(stream, cursor, items=0):
            return
