"""End-to-end sync over real HTTP against the emulator: completeness, incremental passes, deletes, files."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest

from aiwatch.store import models
from aiwatch.sync import persist
from aiwatch.sync.context import SyncOptions
from aiwatch.sync.merge import CONVERSATIONS, LOG_FEED

DAY = 86400.0


def test_full_sync_equals_ground_truth_and_a_second_pass_changes_nothing(db_harness: Any) -> None:
    with db_harness.emulator(seed=21) as emu:
        info = db_harness.connect(emu)
        summary = db_harness.sync()
        assert summary.ok, [(o.stream, o.status, o.message) for o in summary.outcomes]
        with db_harness.sessions() as session:
            db_harness.assert_matches(info.id, emu.workspace, db_harness.SYNCED_EVENT_TYPES)
            assert db_harness.duplicates(info.id) == {}
            first_counts = persist.counts(session, info.id)
        assert db_harness.integration().status == "connected"

        # Every GPT/project config version, and knowledge files fetched with their text.
        agent_files = [f for f in db_harness.rows(models.StoredFile, info.id) if f.kind in ("gpt", "project")]
        assert agent_files and all(f.state == "fetched" for f in agent_files)
        assert all(f.sha256 and f.extracted_text is not None for f in agent_files)
        truth_files = emu.workspace.files
        text_file = next(f for f in agent_files if truth_files[f.file_id].document.raw)
        assert truth_files[text_file.file_id].document.raw.strip()[:40] in text_file.extracted_text

        # Log-feed text carries the model name; unknown event types are stored too.
        messages = db_harness.rows(models.Message, info.id)
        assert any(m.source == LOG_FEED and m.model for m in messages)
        assert any(m.source == CONVERSATIONS and m.role == "tool" for m in messages)
        events = db_harness.rows(models.LogEvent, info.id)
        assert any(e.event_type == "WORKSPACE_ANALYTICS_LOG" for e in events)
        assert any(e.event_type == "COSTS" for e in events)
        assert {r.stream for r in db_harness.rows(models.RawObject, info.id)} == {
            "codex_tasks",
            "codex_environments",
            "automations",
            "recordings",
        }
        cursors = {c.stream: c for c in db_harness.rows(models.SyncCursor, info.id)}
        assert cursors["conversations"].last_success_at is not None
        assert cursors["conversations"].items_synced > 0 and cursors["users"].last_error is None

        again = db_harness.sync()
        assert again.ok
        # Inventories without an incremental API are not listed again within options.inventory_refresh.
        assert again.items("gpts") == again.items("canvases") == again.items("automations") == 0
        with db_harness.sessions() as session:
            assert persist.counts(session, info.id) == first_counts
            assert db_harness.duplicates(info.id) == {}


def test_incremental_sync_picks_up_new_data_only(harness: Any) -> None:
    with harness.emulator(seed=22) as emu:
        info = harness.connect(emu)
        assert harness.sync().ok
        workspace = emu.workspace
        existing = next(c for c in workspace.conversations.values() if not c.is_temporary)
        workspace.advance(3600, new_conversations=2)
        added = workspace.add_message(existing.id, "One more question about the Q3 numbers")
        workspace.advance(600)

        summary = harness.sync()
        assert summary.ok
        # Only conversations updated since the last pass (minus the safety margin) are listed again.
        assert summary.items("conversations") < sum(len(c.messages) for c in workspace.conversations.values())
        harness.assert_matches(info.id, workspace, harness.SYNCED_EVENT_TYPES)
        assert harness.duplicates(info.id) == {}
        stored = {m.message_id: m for m in harness.rows(models.Message, info.id)}
        assert stored[added.id].text == "One more question about the Q3 numbers"


def test_deletes_are_reflected(harness: Any) -> None:
    with harness.emulator(seed=23) as emu:
        info = harness.connect(emu)
        assert harness.sync().ok
        workspace = emu.workspace
        conversation = next(c for c in workspace.conversations.values() if not c.is_temporary)
        gpt_id = next(iter(workspace.gpts))
        user_id, contexts = next((u, c) for u, c in workspace.memories.items() if c and c[0].entries)
        entry = contexts[0].entries[0]
        canvas = next(iter(workspace.canvases.values()))
        with httpx.Client(base_url=emu.base_url, headers={"Authorization": f"Bearer {emu.api_key}"}) as http:
            ws = f"/compliance/workspaces/{emu.workspace_id}"
            assert http.delete(f"{ws}/conversations/{conversation.id}").json()["deleted"] is True
            assert http.delete(f"{ws}/gpts/{gpt_id}").json()["deleted"] is True
            memory_path = f"{ws}/users/{user_id}/memory_contexts/{contexts[0].id}/memories/{entry.id}"
            assert http.delete(memory_path).json()["deleted"] is True
            canvas_path = f"{ws}/users/{canvas.user_id}/canvas/{canvas.id}"
            assert http.delete(canvas_path).json()["deleted"] is True
        workspace.advance(60)

        # The emulator does not move a removed conversation's update time: the daily full re-listing finds it.
        relist_now = SyncOptions(
            extra_log_types=harness.TEST_OPTIONS.extra_log_types,
            conversation_full_relist=timedelta(0),
            inventory_refresh=timedelta(0),
        )
        assert harness.sync(options=relist_now).ok
        harness.assert_matches(info.id, workspace, harness.SYNCED_EVENT_TYPES)
        conversations = {c.conversation_id: c for c in harness.rows(models.Conversation, info.id)}
        assert conversations[conversation.id].removed_by_admin is True
        texts = {
            m.text for m in harness.rows(models.Message, info.id) if m.conversation_id == conversation.id
        }
        assert texts == {"(Removed by your admin)"}
        agents = {a.agent_id: a for a in harness.rows(models.Agent, info.id)}
        assert agents[gpt_id].deleted_at is not None
        memories = {m.entry_id: m for m in harness.rows(models.Memory, info.id)}
        assert memories[entry.id].deleted is True
        canvases = {c.canvas_id: c for c in harness.rows(models.Canvas, info.id)}
        assert canvases[canvas.id].deleted_at is not None


def test_expired_chat_uploads_are_recorded_and_not_retried(harness: Any) -> None:
    with harness.emulator(seed=24, days=4, conversations_per_user=4) as emu:
        info = harness.connect(emu)
        assert harness.sync().ok
        now = emu.workspace.now()
        referenced = {row.file_id for row in harness.rows(models.MessageFile, info.id)}
        user_files = {f.file_id: f for f in harness.rows(models.StoredFile, info.id) if f.kind == "user"}
        assert referenced and referenced <= set(user_files)
        truth = emu.workspace.files
        expired = [fid for fid in user_files if truth[fid].expired(now)]
        fresh = [fid for fid in user_files if not truth[fid].expired(now) and not truth[fid].deleted]
        assert expired, "the workspace should hold uploads older than 24 h"
        assert all(user_files[fid].state == "expired" for fid in expired)
        # The listing (file_format=url) already said so: no content request was spent on them.
        assert all("no download URL" in (user_files[fid].extraction_error or "") for fid in expired)
        assert all(user_files[fid].state == "fetched" for fid in fresh)
        assert harness.sync().items("files") == 0  # nothing pending: expired files are not retried


def test_log_feed_unavailable_falls_back_to_conversations(harness: Any) -> None:
    """A workspace whose log feed answers 403: message text comes from /conversations, nothing is lost."""

    with harness.emulator(seed=25) as emu:
        info = harness.connect(emu)
        without_log_feed = harness.answering(
            emu, "/logs", 403, "Compliance logs are not enabled for this key."
        )
        summary = harness.sync(client_wrapper=without_log_feed)
        outcomes = {o.stream: o for o in summary.outcomes}
        assert outcomes["logs:CONVERSATION_MESSAGE"].status == "unavailable"
        assert "log feed unavailable" in (outcomes["logs:AUTH_LOG"].message or "")
        assert summary.integration_status == "connected"
        messages = harness.rows(models.Message, info.id)
        listed = [c for c in emu.workspace.conversations.values() if not c.is_temporary]
        assert len(messages) == sum(len(c.messages) for c in listed)
        assert all(m.source == CONVERSATIONS and m.model is None for m in messages)

        # Once the log feed is reachable, its text and model names merge into the same rows.
        assert harness.sync().ok
        harness.assert_matches(info.id, emu.workspace, harness.SYNCED_EVENT_TYPES)
        assert harness.duplicates(info.id) == {}
        assert any(m.model for m in harness.rows(models.Message, info.id))


def test_stop_between_pages_then_resume_completes(harness: Any) -> None:
    import threading

    with harness.emulator(seed=26, users=8) as emu:
        info = harness.connect(emu)
        stop = threading.Event()

        def stop_after_first_conversation_page(client: Any) -> Any:
            original = client.list_conversations

            def listed(**kwargs: Any) -> Any:
                page = original(**kwargs)
                stop.set()
                return page

            client.list_conversations = listed
            return client

        options = SyncOptions(extra_log_types=harness.TEST_OPTIONS.extra_log_types, conversation_page_size=5)
        summary = harness.sync(options=options, stop=stop, client_wrapper=stop_after_first_conversation_page)
        assert summary.stopped
        assert {o.status for o in summary.outcomes if o.stream == "gpts"} == {"stopped"}
        assert harness.sync(options=options).ok
        harness.assert_matches(info.id, emu.workspace, harness.SYNCED_EVENT_TYPES)
        assert harness.duplicates(info.id) == {}


@pytest.mark.parametrize("page_size", [1, 3])
def test_tiny_pages_still_sync_everything(harness: Any, page_size: int) -> None:
    with harness.emulator(seed=27, users=4, conversations_per_user=2) as emu:
        info = harness.connect(emu)
        options = SyncOptions(
            extra_log_types=harness.TEST_OPTIONS.extra_log_types,
            conversation_page_size=page_size,
            list_page_size=page_size,
            log_page_size=page_size,
            canvas_page_size=page_size,
        )
        assert harness.sync(options=options).ok
        harness.assert_matches(info.id, emu.workspace, harness.SYNCED_EVENT_TYPES)
        assert harness.duplicates(info.id) == {}


def test_log_feed_backfill_starts_at_retention_edge_and_cursors_hold_on_empty_pages(harness: Any) -> None:
    from datetime import UTC, datetime

    with harness.emulator(seed=28, users=3) as emu:
        info = harness.connect(emu)
        requested: list[tuple[str, str]] = []

        def record_log_listings(client: Any) -> Any:
            original = client.list_log_files

            def listed(principal_id: str, event_type: str, **kwargs: Any) -> Any:
                requested.append((event_type, str(kwargs["after"])))
                return original(principal_id, event_type, **kwargs)

            client.list_log_files = listed
            return client

        assert harness.sync(client_wrapper=record_log_listings).ok
        first_after = {event_type: after for event_type, after in reversed(requested)}
        edge = datetime.fromisoformat(first_after["AUTH_LOG"].replace("Z", "+00:00"))
        assert abs((datetime.now(UTC) - edge).total_seconds() - 30 * 86400) < 3600

        # Every file of the synced types processed once, although boundary files are listed again.
        synced = set(harness.SYNCED_EVENT_TYPES) | {"COSTS"}
        files = [f for f in emu.workspace.log_files if f.event_type in synced]
        assert len(harness.rows(models.LogFile, info.id)) == len(files)

        cursors = {c.stream: c.cursor for c in harness.rows(models.SyncCursor, info.id)}
        assert harness.sync().ok  # nothing new was cut: every listing answers an empty page
        again = {c.stream: c.cursor for c in harness.rows(models.SyncCursor, info.id)}
        log_streams = [s for s in cursors if s.startswith("logs:")]
        assert log_streams and all(again[s] == cursors[s] for s in log_streams)
        assert len(harness.rows(models.LogFile, info.id)) == len(files)


def test_later_paths_answering_404_are_unavailable_not_errors(harness: Any) -> None:
    with harness.emulator(seed=29, users=3) as emu:
        harness.connect(emu)
        summary = harness.sync(client_wrapper=harness.answering(emu, "/codex_", 404, "Not Found"))
        outcomes = {o.stream: o for o in summary.outcomes}
        assert outcomes["codex_tasks"].status == outcomes["codex_environments"].status == "unavailable"
        assert outcomes["automations"].status == "ok"
        assert summary.ok and harness.integration().status == "connected"


def test_a_workspace_without_conversations_syncs_cleanly(harness: Any) -> None:
    with harness.emulator(seed=30, users=1, conversations_per_user=0, clean=True) as emu:
        info = harness.connect(emu)
        summary = harness.sync()
        assert summary.ok
        assert summary.items("conversations") == 0
        harness.assert_matches(info.id, emu.workspace)


def test_a_saved_after_the_api_no_longer_knows_restarts_the_listing(harness: Any) -> None:
    from aiwatch.sync import persist

    with harness.emulator(seed=38, users=3) as emu:
        info = harness.connect(emu)
        stale = {"after": "3f0c2a8e-0000-4000-8000-000000000000", "pass_started_at": 1.0, "since": None}
        with harness.sessions.begin() as session:
            persist.save_cursor(session, info.id, "conversations", stale, items=0)
            persist.save_cursor(session, info.id, "gpts", {"after": "g-vanished000"}, items=0)
        summary = harness.sync()
        assert summary.ok, [(o.stream, o.message) for o in summary.outcomes if o.status != "ok"]
        harness.assert_matches(info.id, emu.workspace)
        assert harness.integration().status == "connected"
