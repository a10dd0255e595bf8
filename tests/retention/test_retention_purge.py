"""Purge clears old bodies and text, keeps recent content and hashes; dry runs and re-runs change nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from retention_seed import seed_into
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from aiwatch.cli import app
from aiwatch.config import Settings
from aiwatch.retention.purge import cutoff_for, purge, strip_message_body
from aiwatch.store.db import init_db, make_session_factory
from aiwatch.store.models import CanvasVersion, LogEvent, Memory, Message, StoredFile

EXPECTED = {
    "message bodies": 1,
    "file texts": 1,
    "memory entries": 1,
    "canvas versions": 1,
    "logged message bodies": 1,
}


def snapshot(session: Session) -> dict[str, object]:
    return {
        "messages": {m.message_id: (m.text, m.content_hash) for m in session.scalars(select(Message))},
        "files": {f.file_id: (f.extracted_text, f.content_hash) for f in session.scalars(select(StoredFile))},
        "memories": {m.entry_id: (m.content, m.content_hash) for m in session.scalars(select(Memory))},
        "canvases": {
            c.version: (c.content, c.comments, c.content_hash) for c in session.scalars(select(CanvasVersion))
        },
        "events": {e.event_id: (e.raw, e.content_hash) for e in session.scalars(select(LogEvent))},
    }


def test_purge_clears_old_content_only_and_is_idempotent(
    seeded_sessions: sessionmaker[Session], retention_now: datetime
) -> None:
    cutoff = cutoff_for(30, retention_now)
    with seeded_sessions.begin() as session:
        before = snapshot(session)
        dry = purge(session, cutoff, dry_run=True)
        assert dry.counts == EXPECTED and dry.total == 5
        assert snapshot(session) == before  # a dry run changes nothing
    with seeded_sessions.begin() as session:
        assert purge(session, cutoff).counts == EXPECTED
    with seeded_sessions() as session:
        after = snapshot(session)
    assert after["messages"]["m-old"] == (None, "hash-m-old")  # body gone, hash kept
    assert after["messages"]["m-new"] == before["messages"]["m-new"]
    assert after["messages"]["m-undated"] == before["messages"]["m-undated"]
    assert after["files"] == {"file-old": (None, "hash-f-old"), "file-new": before["files"]["file-new"]}
    assert after["memories"]["e-old"] == (None, "hash-mem-old")
    assert after["canvases"][1] == (None, None, "hash-c-old")
    assert after["canvases"][2] == before["canvases"][2]
    old_event = json.loads(after["events"]["ev-old"][0])
    assert old_event["message"]["content"] == {"type": "text", "value": None, "purged": True}
    assert old_event["conversation"]["id"] == "conv-1"  # metadata kept
    assert "old logged body" not in after["events"]["ev-old"][0]
    assert after["events"]["ev-new"] == before["events"]["ev-new"]
    assert after["events"]["ev-bad"] == before["events"]["ev-bad"]
    with seeded_sessions.begin() as session:
        again = purge(session, cutoff)
    assert again.total == 0  # nothing left to clear
    with seeded_sessions() as session:
        assert snapshot(session) == after


def test_zero_days_purges_everything_dated(
    seeded_sessions: sessionmaker[Session], retention_now: datetime
) -> None:
    with seeded_sessions.begin() as session:
        report = purge(session, cutoff_for(0, retention_now))
    assert report.counts["message bodies"] == 2 and report.counts["logged message bodies"] == 2


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError, match="0 days or more"):
        cutoff_for(-1)


@pytest.mark.parametrize(
    "raw", ["", "not json", "[]", '{"message": "x"}', '{"message": {"content": {"value": null}}}']
)
def test_strip_leaves_lines_without_a_body(raw: str) -> None:
    assert strip_message_body(raw) is None


def test_purge_command(settings: Settings) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["purge"])
    assert missing.exit_code == 2 and "AIWATCH_RETENTION_DAYS" in missing.output
    engine = init_db(settings)
    seed_into(make_session_factory(engine), datetime.now(UTC))
    dry = runner.invoke(app, ["purge", "--older-than", "30", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would purge" in dry.output and "message bodies: 1" in dry.output and "total: 5" in dry.output
    done = runner.invoke(app, ["purge", "--older-than", "30"])
    assert done.exit_code == 0 and "Purged" in done.output and "total: 5" in done.output
    assert "4539" not in done.output
    again = runner.invoke(app, ["purge", "--older-than", "30"])
    assert "total: 0" in again.output
    bad = runner.invoke(app, ["purge", "--older-than", "-3"])
    assert bad.exit_code == 2
