"""Log feed helpers: principal paths, cursor formatting, JSON Lines parsing, event dedupe."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest

from aiwatch.sources.chatgpt import (
    dedupe_events,
    event_key,
    format_log_time,
    log_principal_path,
    parse_jsonl_events,
)


def test_principal_paths() -> None:
    assert log_principal_path("org-abc123") == "/compliance/organizations/org-abc123/logs"
    workspace = "0b6f4e3a-6f1e-4c5e-9a43-1d2f3e4a5b6c"
    assert log_principal_path(workspace) == f"/compliance/workspaces/{workspace}/logs"


def test_format_log_time() -> None:
    assert format_log_time(datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2025-01-02T03:04:05Z"
    paris = timezone(timedelta(hours=2))
    assert format_log_time(datetime(2025, 1, 2, 5, 4, 5, 7, tzinfo=paris)) == "2025-01-02T03:04:05.000007Z"
    assert format_log_time(datetime(2025, 1, 2, 3, 4, 5)) == "2025-01-02T03:04:05Z"  # naive = UTC
    assert format_log_time("2025-01-02T03:04:05.123456Z") == "2025-01-02T03:04:05.123456Z"
    with pytest.raises(ValueError):
        format_log_time("")
    with pytest.raises(ValueError):
        format_log_time("01/02/2025")


def test_jsonl_bad_lines_are_skipped_with_line_numbers(caplog: pytest.LogCaptureFixture) -> None:
    lines = [
        json.dumps({"event_id": "a", "type": "AUDIT_LOG", "action": "INVITE_SEND"}).encode(),
        b"\xff\xfe broken utf-8",
        b"",
        b"[1, 2, 3]",
        b'{"event_id": "b", "type": "AUTH_LOG"',
        "  " + json.dumps({"event_id": "c", "type": "NEW_KIND", "emoji": "\U0001f600"}) + "\n",
    ]
    with caplog.at_level(logging.WARNING):
        events = list(parse_jsonl_events(lines, source="eclf_1"))
    assert [event.event_id for event in events] == ["a", "c"]
    for number in (2, 4, 5):
        assert f"eclf_1 line {number}" in caplog.text
    assert "line 3" not in caplog.text  # blank lines are not errors


def test_dedupe_by_event_id_and_content_hash_across_files() -> None:
    first = list(parse_jsonl_events([b'{"event_id": "a", "type": "X"}', b'{"type": "Y", "n": 1}']))
    second = list(
        parse_jsonl_events([b'{"event_id": "a", "type": "X", "dup": true}', b'{"n": 1, "type": "Y"}'])
    )
    seen: set[str] = set()
    kept = list(dedupe_events(first, seen)) + list(dedupe_events(second, seen))
    assert len(kept) == 2
    assert event_key(first[1]) == event_key(second[1])  # same content, key order does not matter
    assert event_key(first[1]).startswith("sha256:")


def test_jsonl_lone_surrogates_are_repaired_and_encoded_ones_rejected(
    caplog: pytest.LogCaptureFixture,
) -> None:
    lines = [
        b'{"event_id": "a", "type": "AUDIT_LOG", "note": "x\\ud800"}',
        b'{"event_id": "b", "n": "\xed\xa0\x80"}',
    ]
    with caplog.at_level(logging.WARNING):
        events = list(parse_jsonl_events(lines))
    assert [event.event_id for event in events] == ["a"]
    assert events[0].raw["note"] == "x\ufffd"
    assert "line 2 is not valid UTF-8" in caplog.text
