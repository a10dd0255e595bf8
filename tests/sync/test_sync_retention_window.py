"""Retention-window warnings: how close each stream's lag is to the API dropping data it has not fetched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from aiwatch.sync.retention_window import (
    CHAT_UPLOADS,
    DELETED_CONVERSATIONS,
    LOG_FEED,
    Level,
    WindowStatus,
    advice,
    assess_integration,
    assess_stream,
    duration_text,
    windows_for,
    worst,
)

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
CONNECTED = NOW - timedelta(days=60)


def _assess(
    stream: str, lag: timedelta | None, connected_ago: timedelta = timedelta(days=60)
) -> WindowStatus | None:
    return assess_stream(
        stream,
        last_success_at=None if lag is None else NOW - lag,
        connected_at=NOW - connected_ago,
        now=NOW,
    )


def test_each_stream_races_the_windows_the_api_documents() -> None:
    assert windows_for("logs:AUTH_LOG") == [LOG_FEED]
    assert windows_for("logs:CONVERSATION_MESSAGE") == [LOG_FEED]
    assert windows_for("files") == [CHAT_UPLOADS]
    assert windows_for("conversations") == [CHAT_UPLOADS, DELETED_CONVERSATIONS]
    for inventory in ("users", "gpts", "projects", "memories", "canvases", "codex_tasks"):
        assert windows_for(inventory) == []
        assert _assess(inventory, timedelta(days=365)) is None
    assert LOG_FEED.keep == timedelta(days=30) and CHAT_UPLOADS.keep == timedelta(hours=24)


@pytest.mark.parametrize(
    ("lag", "level"),
    [
        (timedelta(hours=1), Level.OK),
        (timedelta(days=7), Level.OK),
        (timedelta(days=7, hours=12), Level.WARNING),  # a quarter of 30 days
        (timedelta(days=22), Level.WARNING),
        (timedelta(days=22, hours=12), Level.CRITICAL),  # three quarters
        (timedelta(days=29, hours=23), Level.CRITICAL),
        (timedelta(days=30), Level.EXCEEDED),
        (timedelta(days=45), Level.EXCEEDED),
    ],
)
def test_log_feed_levels_follow_the_share_of_the_30_day_window(lag: timedelta, level: Level) -> None:
    status = _assess("logs:AUDIT_LOG", lag)
    assert status is not None
    assert status.level is level and status.window is LOG_FEED
    assert status.lag == lag and status.remaining == timedelta(days=30) - lag


def test_remaining_time_and_the_lost_gap_are_stated() -> None:
    warning = _assess("logs:AUTH_LOG", timedelta(days=26))
    assert warning is not None and warning.lost_until is None
    assert "4.0 days left" in warning.message and "last completed a sync 26.0 days ago" in warning.message
    lost = _assess("logs:AUTH_LOG", timedelta(days=40))
    assert lost is not None and lost.lost_until == NOW - timedelta(days=30)
    assert lost.pending_since == NOW - timedelta(days=40)
    assert "Data from 2026-10-24 12:00 to 2026-11-03 12:00 UTC is lost" in lost.message
    assert lost.summary == (
        "Log feed events are kept about 30 days: data from 2026-10-24 12:00 to 2026-11-03 12:00 UTC is lost."
    )
    assert warning.summary == "Log feed events are kept about 30 days: 4.0 days left before data is lost."


def test_chat_uploads_make_conversations_and_files_urgent_within_hours() -> None:
    files = _assess("files", timedelta(hours=20))
    assert files is not None and files.level is Level.CRITICAL and files.window is CHAT_UPLOADS
    conversations = _assess("conversations", timedelta(hours=30))
    # Both windows apply; the 24-hour one is already past, the 30-day one is not: the worst is shown.
    assert conversations is not None
    assert conversations.window is CHAT_UPLOADS and conversations.level is Level.EXCEEDED
    quiet = _assess("conversations", timedelta(minutes=5))
    assert quiet is not None and quiet.level is Level.OK


def test_a_never_completed_stream_is_measured_from_the_connection() -> None:
    fresh = _assess("logs:AUTH_LOG", None, connected_ago=timedelta(minutes=10))
    assert fresh is not None and fresh.level is Level.OK and fresh.never_synced
    stuck = _assess("logs:AUTH_LOG", None, connected_ago=timedelta(days=25))
    assert stuck is not None and stuck.level is Level.CRITICAL
    assert "never completed a sync since the integration was connected 25.0 days ago" in stuck.message


def test_an_integration_whose_first_sync_never_reached_a_window_still_warns() -> None:
    # The first pass stopped on the users stream (e.g. key rejected) 3 days ago: no log or conversation rows.
    statuses = assess_integration([("users", None)], connected_at=NOW - timedelta(days=3), now=NOW)
    assert set(statuses) == {"logs:*", "conversations"}
    assert statuses["conversations"].level is Level.EXCEEDED  # uploads from the first day are gone
    assert statuses["logs:*"].level is Level.OK  # 3 of 30 days
    assert worst(statuses.values()) is statuses["conversations"]


def test_an_integration_with_rows_uses_them_and_adds_no_placeholder() -> None:
    rows = [
        ("users", NOW - timedelta(minutes=5)),
        ("conversations", NOW - timedelta(minutes=5)),
        ("files", NOW - timedelta(minutes=5)),
        ("logs:AUTH_LOG", NOW - timedelta(days=10)),
        ("logs:AUDIT_LOG", NOW - timedelta(minutes=5)),
    ]
    statuses = assess_integration(rows, connected_at=CONNECTED, now=NOW)
    assert set(statuses) == {"conversations", "files", "logs:AUTH_LOG", "logs:AUDIT_LOG"}
    assert statuses["logs:AUTH_LOG"].level is Level.WARNING
    assert worst(statuses.values()) is statuses["logs:AUTH_LOG"]
    healthy = assess_integration(
        [(name, NOW - timedelta(minutes=5)) for name, _ in rows], connected_at=CONNECTED, now=NOW
    )
    assert worst(healthy.values()) is None


def test_advice_follows_why_the_stream_is_behind() -> None:
    status = _assess("logs:AUTH_LOG", timedelta(days=20))
    assert status is not None
    assert "Resume" in advice(status, integration_status="paused", last_error=None)
    assert "Fix the error" in advice(status, integration_status="connected", last_error="HTTP 500")
    assert "Fix the error" in advice(status, integration_status="error", last_error=None)
    running = advice(status, integration_status="connected", last_error=None)
    assert "aiwatch sync" in running and "cannot be fetched" not in running
    lost = _assess("logs:AUTH_LOG", timedelta(days=31))
    assert lost is not None
    assert "cannot be fetched any more" in advice(lost, integration_status="connected", last_error=None)
    brief = advice(lost, integration_status="connected", last_error=None, brief=True)
    assert "aiwatch sync" in brief and "cannot be fetched" not in brief


def test_durations_read_naturally() -> None:
    assert duration_text(timedelta(seconds=42)) == "42 s"
    assert duration_text(timedelta(minutes=75)) == "75 min"
    assert duration_text(timedelta(hours=20)) == "20.0 h"
    assert duration_text(timedelta(days=3, hours=12)) == "3.5 days"
    assert duration_text(timedelta(days=-2)) == "2.0 days"
