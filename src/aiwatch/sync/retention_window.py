"""How close each stream is to losing data to the Compliance API's retention windows.

The API keeps some data only for a while (see the connector notes): the log feed ~30 days, chat uploads
~24 hours, conversations a user deleted ~30 days. A stream that has not completed a pass since a moment T
still has everything from T onwards to fetch; once ``now - T`` passes a window, the API has already
dropped part of it. A stream that never completed a pass is measured from the moment the integration was
connected (a back-fill that never finished).

Pure functions over plain values (no database): the sync health page and the integration tile call
``assess_integration`` with the cursor rows they already read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import IntEnum

# Used ≥ this share of a window: warn (well before it is missed); ≥ CRITICAL_SHARE: act now.
WARNING_SHARE = 0.25
CRITICAL_SHARE = 0.75


class Level(IntEnum):
    OK = 0
    WARNING = 1
    CRITICAL = 2
    EXCEEDED = 3

    @property
    def label(self) -> str:
        return {0: "ok", 1: "warning", 2: "critical", 3: "exceeded"}[self.value]


@dataclass(frozen=True)
class RetentionWindow:
    key: str
    what: str  # the data, as a sentence subject: "Log feed events"
    keep: timedelta
    keep_text: str  # as the docs say it: "about 30 days"
    lost: str  # what happens past the window
    applies: Callable[[str], bool]  # which stream names must run for this data to be fetched in time


def _is_log_stream(stream: str) -> bool:
    return stream.startswith("logs:")


LOG_FEED = RetentionWindow(
    key="log_feed",
    what="Log feed events",
    keep=timedelta(days=30),
    keep_text="about 30 days",
    lost="older log files are deleted by OpenAI and can no longer be downloaded",
    applies=_is_log_stream,
)
CHAT_UPLOADS = RetentionWindow(
    key="chat_uploads",
    what="Files uploaded in chats",
    keep=timedelta(hours=24),
    keep_text="about 24 hours",
    lost="their content expires and can no longer be downloaded or scanned",
    applies=lambda stream: stream in ("conversations", "files"),
)
DELETED_CONVERSATIONS = RetentionWindow(
    key="deleted_conversations",
    what="Conversations users delete",
    keep=timedelta(days=30),
    keep_text="up to 30 days",
    lost="a conversation deleted before the next sync and older than that is never seen",
    applies=lambda stream: stream == "conversations",
)
WINDOWS: tuple[RetentionWindow, ...] = (LOG_FEED, CHAT_UPLOADS, DELETED_CONVERSATIONS)
# The stream that stands for a window when none of its streams has a cursor row yet (never started).
PLACEHOLDER_STREAMS = {
    LOG_FEED.key: "logs:*",
    CHAT_UPLOADS.key: "conversations",  # uploads are found through conversations
    DELETED_CONVERSATIONS.key: "conversations",
}


def windows_for(stream: str) -> list[RetentionWindow]:
    """The retention windows a stream races against (none for inventories: users, GPTs, projects…)."""
    return [window for window in WINDOWS if window.applies(stream)]


@dataclass(frozen=True)
class WindowStatus:
    stream: str
    window: RetentionWindow
    level: Level
    pending_since: datetime  # the oldest moment whose data the stream has not fetched yet
    never_synced: bool
    lag: timedelta
    now: datetime

    @property
    def remaining(self) -> timedelta:
        """Time left before data starts to be lost (negative: already lost for that long)."""
        return self.window.keep - self.lag

    @property
    def lost_until(self) -> datetime | None:
        """Data from ``pending_since`` up to this moment is already gone from the API (None: nothing yet)."""
        return self.now - self.window.keep if self.lag >= self.window.keep else None

    @property
    def message(self) -> str:
        since = (
            f"has never completed a sync since the integration was connected {duration_text(self.lag)} ago"
            if self.never_synced
            else f"last completed a sync {duration_text(self.lag)} ago"
        )
        head = f"{self.window.what} are kept {self.window.keep_text}; {self.stream} {since}"
        if self.lost_until is not None:
            return (
                f"{head}: past the window, {self.window.lost}. Data from "
                f"{self.pending_since:%Y-%m-%d %H:%M} to {self.lost_until:%Y-%m-%d %H:%M} UTC is lost."
            )
        return f"{head}: {duration_text(self.remaining)} left before {self.window.lost}."

    @property
    def summary(self) -> str:
        """One line for small spaces (the integration tile)."""
        head = f"{self.window.what} are kept {self.window.keep_text}"
        if self.lost_until is not None:
            gap = f"{self.pending_since:%Y-%m-%d %H:%M} to {self.lost_until:%Y-%m-%d %H:%M} UTC"
            return f"{head}: data from {gap} is lost."
        return f"{head}: {duration_text(self.remaining)} left before data is lost."


def duration_text(delta: timedelta) -> str:
    seconds = abs(delta.total_seconds())
    if seconds < 90:
        return f"{int(seconds)} s"
    if seconds < 90 * 60:
        return f"{int(seconds // 60)} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def level_for(lag: timedelta, window: RetentionWindow) -> Level:
    share = lag / window.keep
    if share >= 1:
        return Level.EXCEEDED
    if share >= CRITICAL_SHARE:
        return Level.CRITICAL
    if share >= WARNING_SHARE:
        return Level.WARNING
    return Level.OK


def assess_stream(
    stream: str,
    *,
    last_success_at: datetime | None,
    connected_at: datetime,
    now: datetime,
) -> WindowStatus | None:
    """The stream's most urgent retention window (None when no window applies to it)."""
    pending_since = last_success_at or connected_at
    lag = max(now - pending_since, timedelta(0))
    statuses = [
        WindowStatus(
            stream=stream,
            window=window,
            level=level_for(lag, window),
            pending_since=pending_since,
            never_synced=last_success_at is None,
            lag=lag,
            now=now,
        )
        for window in windows_for(stream)
    ]
    if not statuses:
        return None
    # Most severe first; among equals the one that runs out (or ran out) first.
    return max(statuses, key=lambda status: (status.level, -status.remaining))


def assess_integration(
    streams: Iterable[tuple[str, datetime | None]],
    *,
    connected_at: datetime,
    now: datetime,
) -> dict[str, WindowStatus]:
    """Per stream name, its retention status; a window none of whose streams has a cursor row yet (the
    first sync never reached it) is measured under its placeholder name (``logs:*``, ``conversations``)."""
    result: dict[str, WindowStatus] = {}
    seen: set[str] = set()
    for stream, last_success_at in streams:
        status = assess_stream(stream, last_success_at=last_success_at, connected_at=connected_at, now=now)
        if status is not None:
            result[stream] = status
        seen.update(window.key for window in windows_for(stream))
    for window in WINDOWS:
        placeholder = PLACEHOLDER_STREAMS[window.key]
        if window.key not in seen and placeholder not in result:
            status = assess_stream(placeholder, last_success_at=None, connected_at=connected_at, now=now)
            if status is not None:
                result[placeholder] = status
    return result


def advice(
    status: WindowStatus, *, integration_status: str, last_error: str | None, brief: bool = False
) -> str:
    """What the admin should do about a warning, given why the stream is behind (``brief``: the step only)."""
    if integration_status == "paused":
        step = "Resume the integration (Manage → Resume) so the sync catches up."
    elif integration_status == "error" or last_error:
        step = "Fix the error shown for this stream or integration, then use Manage → Sync now."
    else:
        step = (
            "Check that aiwatch sync is running (it syncs every 5 minutes) or use Manage → Sync now; "
            "a pass that keeps failing shows its error here."
        )
    if status.level is Level.EXCEEDED and not brief:
        step += " What is already past the window cannot be fetched any more: record the gap for your audit."
    return step


def worst(statuses: Iterable[WindowStatus]) -> WindowStatus | None:
    """The most urgent status of several (None when there are none or all are OK)."""
    urgent = [status for status in statuses if status.level > Level.OK]
    return max(urgent, key=lambda status: (status.level, -status.remaining)) if urgent else None
