"""Bulk upserts: idempotent, change-detecting, duplicate-safe, Unicode-safe, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.store import repositories as repo
from aiwatch.store.models import (
    Agent,
    AgentConfig,
    AgentSharedUser,
    CanvasVersion,
    Integration,
    LogEvent,
    Memory,
    Message,
    RawObject,
    StoredFile,
    WorkspaceUser,
)


def _message(message_id: str, text: str | None, **extra: object) -> dict[str, object]:
    return {
        "message_id": message_id,
        "conversation_id": "c-1",
        "parent_id": None,
        "role": "user",
        "text": text,
        "created_at": 1_700_000_000.123456,
        "source": "conversations",
        **extra,
    }


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_same_page_twice_does_not_duplicate(sessions: sessionmaker[Session], integration_id: int) -> None:
    page = [_message(f"m-{i}", f"hello {i}") for i in range(50)]
    for _ in range(2):
        with sessions.begin() as session:
            assert repo.upsert_messages(session, integration_id, page) == 50
    assert _count(sessions, Message) == 50


def test_changed_content_updates_row_and_hash(sessions: sessionmaker[Session], integration_id: int) -> None:
    with sessions.begin() as session:
        repo.upsert_messages(session, integration_id, [_message("m-1", "my card is 4111")])
    with sessions() as session:
        before = session.scalars(select(Message)).one()
    with sessions.begin() as session:
        repo.upsert_messages(session, integration_id, [_message("m-1", "(Removed by your admin)")])
    with sessions() as session:
        after = session.scalars(select(Message)).one()
    assert after.text == "(Removed by your admin)"
    assert after.content_hash != before.content_hash
    assert after.content_hash == repo.sha256_text("(Removed by your admin)")
    assert after.updated_at > before.updated_at
    assert after.id == before.id


def test_unchanged_rewrite_keeps_updated_at(sessions: sessionmaker[Session], integration_id: int) -> None:
    with sessions.begin() as session:
        repo.upsert_messages(session, integration_id, [_message("m-1", "same")])
    with sessions() as session:
        first = session.scalars(select(Message)).one().updated_at
    with sessions.begin() as session:
        repo.upsert_messages(session, integration_id, [_message("m-1", "same")])
    with sessions() as session:
        assert session.scalars(select(Message)).one().updated_at == first


def test_duplicates_inside_one_batch_collapse_to_last(
    sessions: sessionmaker[Session], integration_id: int
) -> None:
    with sessions.begin() as session:
        sent = repo.upsert_messages(
            session, integration_id, [_message("m-1", "first"), _message("m-2", "x"), _message("m-1", "last")]
        )
    assert sent == 2
    with sessions() as session:
        assert session.scalar(select(Message.text).where(Message.message_id == "m-1")) == "last"


def test_omitted_columns_are_kept_on_update(sessions: sessionmaker[Session], integration_id: int) -> None:
    with sessions.begin() as session:
        repo.upsert_messages(session, integration_id, [_message("m-1", "text", model="gpt-5")])
        repo.upsert_messages(session, integration_id, [{"message_id": "m-1", "source": "log_feed"}])
    with sessions() as session:
        message = session.scalars(select(Message)).one()
    assert (message.text, message.model, message.source) == ("text", "gpt-5", "log_feed")


def test_timestamps_are_timezone_aware_utc(sessions: sessionmaker[Session], integration_id: int) -> None:
    with sessions.begin() as session:
        repo.upsert_messages(session, integration_id, [_message("m-1", "t")])
        repo.upsert_canvas_versions(
            session,
            integration_id,
            [
                {
                    "canvas_id": "cv",
                    "version": 1,
                    "content": "x",
                    "version_updated_at": "2025-01-02T03:04:05+02:00",
                }
            ],
        )
    with sessions() as session:
        created = session.scalar(select(Message.created_at))
        version_time = session.scalar(select(CanvasVersion.version_updated_at))
    assert created == datetime.fromtimestamp(1_700_000_000.123456, tz=UTC)
    assert created.tzinfo is not None and created.utcoffset().total_seconds() == 0
    assert version_time == datetime(2025, 1, 2, 1, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    ["lone surrogate \ud800 here", "nul \x00 byte", "", "emoji 🙂 and RTL \u202e", "x" * 2_000_000],
    ids=["surrogate", "nul", "empty", "unicode", "huge"],
)
def test_awkward_text_is_stored(sessions: sessionmaker[Session], integration_id: int, text: str) -> None:
    with sessions.begin() as session:
        repo.upsert_messages(session, integration_id, [_message("m-1", text, annotations=[{"t": text[:50]}])])
    with sessions() as session:
        stored = session.scalars(select(Message)).one()
    assert stored.text is not None and len(stored.text) == len(text)
    assert "\x00" not in stored.text
    stored.text.encode("utf-8")  # valid Unicode whatever came in
    assert stored.content_hash == repo.sha256_text(stored.text)


def test_unknown_column_and_missing_key_are_rejected(
    sessions: sessionmaker[Session], integration_id: int
) -> None:
    with sessions.begin() as session:
        with pytest.raises(ValueError, match="no writable column 'colour'"):
            repo.upsert_users(session, integration_id, [{"user_id": "user-1", "colour": "red"}])
        with pytest.raises(ValueError, match="lacks its key user_id"):
            repo.upsert_users(session, integration_id, [{"email": "a@example.com"}])


def test_integrations_do_not_share_rows(
    sessions: sessionmaker[Session], integration_id: int, add_integration: Callable[[str], int]
) -> None:
    other = add_integration("other")
    with sessions.begin() as session:
        repo.upsert_users(session, integration_id, [{"user_id": "user-1", "email": "a@x.com"}])
        repo.upsert_users(session, other, [{"user_id": "user-1", "email": "b@x.com"}])
    assert _count(sessions, WorkspaceUser) == 2
    with sessions() as session:
        assert repo.counts(session, integration_id)["users"] == 1


def test_log_events_first_delivery_wins_and_raw_kept_verbatim(
    sessions: sessionmaker[Session], integration_id: int
) -> None:
    line = '{"event_id": "e-1", "type": "NEW_TYPE_2030",  "timestamp": "2025-01-01T00:00:00Z", "x": 1}'
    with sessions.begin() as session:
        repo.insert_log_events(
            session,
            integration_id,
            [
                {
                    "event_id": "e-1",
                    "event_type": "NEW_TYPE_2030",
                    "timestamp": "2025-01-01T00:00:00Z",
                    "raw": line,
                }
            ],
        )
        repo.insert_log_events(
            session,
            integration_id,
            [{"event_id": "e-1", "raw": {"event_id": "e-1", "type": "NEW_TYPE_2030", "changed": True}}],
        )
        repo.record_log_files(
            session, integration_id, [{"log_file_id": "eclf_1", "event_type": "AUTH_LOG", "end_time": 1.5}]
        )
    with sessions() as session:
        event = session.scalars(select(LogEvent)).one()
        assert event.raw == line
        assert event.content_hash == repo.sha256_text(line)
        assert repo.processed_log_file_ids(session, integration_id, ["eclf_1", "eclf_2"]) == {"eclf_1"}
    with sessions.begin() as session, pytest.raises(ValueError, match="raw JSON"):
        repo.insert_log_events(session, integration_id, [{"event_id": "e-2", "event_type": "X"}])


def test_every_agent_config_version_is_kept(sessions: sessionmaker[Session], integration_id: int) -> None:
    configs = [
        {
            "agent_id": "g-1",
            "config_id": f"gzm_cnf_{v}",
            "instructions": f"v{v}",
            "tools": [{"type": "browser"}],
        }
        for v in range(3)
    ]
    with sessions.begin() as session:
        repo.upsert_agents(
            session, integration_id, [{"agent_id": "g-1", "kind": "gpt", "visibility": "workspace"}]
        )
        repo.upsert_agent_configs(session, integration_id, configs)
        repo.upsert_agent_configs(session, integration_id, configs[:1])
    with sessions() as session:
        hashes = session.scalars(select(AgentConfig.content_hash)).all()
    assert len(hashes) == 3 and len(set(hashes)) == 3


def test_agents_missing_from_full_listing_are_marked_deleted(
    sessions: sessionmaker[Session], integration_id: int
) -> None:
    with sessions.begin() as session:
        repo.upsert_agents(session, integration_id, [{"agent_id": f"g-{i}", "kind": "gpt"} for i in range(3)])
        repo.upsert_agents(session, integration_id, [{"agent_id": "g-p-1", "kind": "project"}])
        assert repo.mark_agents_deleted(session, integration_id, "gpt", ["g-0", "g-2"]) == 1
    with sessions() as session:
        deleted = session.scalars(select(Agent.agent_id).where(Agent.deleted_at.is_not(None))).all()
    assert deleted == ["g-1"]


def test_shared_users_are_replaced(sessions: sessionmaker[Session], integration_id: int) -> None:
    with sessions.begin() as session:
        repo.replace_agent_shared_users(
            session, integration_id, "g-1", [{"user_id": "user-a"}, {"user_id": "user-b"}]
        )
        repo.replace_agent_shared_users(session, integration_id, "g-1", [{"user_id": "user-b"}])
    with sessions() as session:
        assert session.scalars(select(AgentSharedUser.user_id)).all() == ["user-b"]
    with sessions.begin() as session:
        repo.replace_agent_shared_users(session, integration_id, "g-1", [])
    assert _count(sessions, AgentSharedUser) == 0


def test_memories_not_listed_are_flagged_deleted(
    sessions: sessionmaker[Session], integration_id: int
) -> None:
    entries = [
        {"user_id": "user-1", "context_id": "user-1", "entry_id": f"e{i}", "content": f"likes {i}"}
        for i in range(3)
    ]
    with sessions.begin() as session:
        repo.upsert_memories(session, integration_id, entries)
        assert repo.mark_memories_deleted(session, integration_id, "user-1", [("user-1", "e0")]) == 2
    with sessions() as session:
        rows = {m.entry_id: m for m in session.scalars(select(Memory))}
    assert [rows[e].deleted for e in ("e0", "e1", "e2")] == [False, True, True]
    assert rows["e1"].content == "likes 1" and rows["e1"].content_hash == repo.sha256_text("likes 1")


def test_cursors_save_errors_and_counts(sessions: sessionmaker[Session], integration_id: int) -> None:
    with sessions.begin() as session:
        assert repo.get_cursor(session, integration_id, "users") is None
        repo.set_cursor(session, integration_id, "users", {"after": "user-9"}, items_added=10)
        repo.set_cursor(session, integration_id, "users", {"after": "user-19"}, items_added=5)
        repo.mark_stream_error(session, integration_id, "users", "key rejected")
    with sessions() as session:
        assert repo.get_cursor(session, integration_id, "users") == {"after": "user-19"}
        (state,) = repo.stream_states(session, integration_id)
        assert (state.items_synced, state.last_error) == (15, "key rejected")
        assert repo.last_sync_at(session, integration_id) is None
    with sessions.begin() as session:
        repo.mark_stream_success(session, integration_id, "users")
        repo.set_cursor(session, integration_id, "users", None)
    with sessions() as session:
        (state,) = repo.stream_states(session, integration_id)
        assert state.last_error is None and state.last_success_at is not None
        assert state.cursor is None and state.items_synced == 15
        assert repo.last_sync_at(session, integration_id) == state.last_success_at
    with sessions.begin() as session, pytest.raises(ValueError):
        repo.set_cursor(session, integration_id, "users", {}, items_added=-1)


def test_a_failed_page_leaves_rows_and_cursor_untouched(
    sessions: sessionmaker[Session], integration_id: int
) -> None:
    with pytest.raises(RuntimeError), sessions.begin() as session:
        repo.upsert_messages(session, integration_id, [_message("m-1", "x")])
        repo.set_cursor(session, integration_id, "conversations", {"after": "c-1"})
        raise RuntimeError("crash between page and commit")
    with sessions() as session:
        assert repo.get_cursor(session, integration_id, "conversations") is None
    assert _count(sessions, Message) == 0


def test_get_messages_returns_column_dicts(sessions: sessionmaker[Session], integration_id: int) -> None:
    ids = [f"m-{i}" for i in range(1200)]  # more than one IN chunk
    with sessions.begin() as session:
        repo.upsert_messages(session, integration_id, [_message(i, i) for i in ids])
    with sessions() as session:
        found = repo.get_messages(session, integration_id, [*ids, "missing"])
    assert set(found) == set(ids)
    assert found["m-7"]["text"] == "m-7" and found["m-7"]["conversation_id"] == "c-1"


def test_purge_removes_only_that_integration(
    sessions: sessionmaker[Session], integration_id: int, add_integration: Callable[[str], int]
) -> None:
    other = add_integration("other")
    with sessions.begin() as session:
        for target in (integration_id, other):
            repo.upsert_messages(session, target, [_message("m-1", "x")])
            repo.set_cursor(session, target, "users", {"after": "a"})
            repo.upsert_raw_objects(
                session, target, [{"stream": "codex_tasks", "object_id": "t1", "raw": {"a": 1}}]
            )
    with sessions.begin() as session:
        deleted = repo.purge_integration_data(session, integration_id)
    assert deleted["messages"] == 1 and deleted["sync_cursors"] == 1 and deleted["raw_objects"] == 1
    with sessions() as session:
        assert sum(repo.counts(session, integration_id).values()) == 0
        assert repo.counts(session, other)["messages"] == 1


def test_deleting_an_integration_cascades(sessions: sessionmaker[Session], integration_id: int) -> None:
    with sessions.begin() as session:
        repo.upsert_messages(session, integration_id, [_message("m-1", "x")])
    with sessions.begin() as session:
        session.delete(session.get(Integration, integration_id))
    assert _count(sessions, Message) == 0


def test_json_values_round_trip(sessions: sessionmaker[Session], integration_id: int) -> None:
    raw = {"id": "user-1", "nested": {"list": [1, 2.5, None, "ü"]}}
    with sessions.begin() as session:
        repo.upsert_users(session, integration_id, [{"user_id": "user-1", "raw": raw}])
    with sessions() as session:
        assert session.scalar(select(WorkspaceUser.raw)) == json.loads(json.dumps(raw))


def test_content_hash_follows_the_scannable_content(
    sessions: sessionmaker[Session], integration_id: int
) -> None:
    def stored_hashes() -> tuple[str | None, str | None]:
        with sessions() as session:
            raw_hash = session.scalar(select(RawObject.content_hash))
            file_hash = session.scalar(select(StoredFile.content_hash))
        return raw_hash, file_hash

    with sessions.begin() as session:
        repo.upsert_raw_objects(
            session, integration_id, [{"stream": "automations", "object_id": "a", "raw": {"x": 1}}]
        )
        repo.upsert_files(session, integration_id, [{"kind": "user", "file_id": "file-1", "name": "a.pdf"}])
    raw_first, file_first = stored_hashes()
    assert raw_first is not None and file_first is None  # no extracted text yet
    with sessions.begin() as session:
        repo.upsert_raw_objects(
            session, integration_id, [{"stream": "automations", "object_id": "a", "raw": {"x": 2}}]
        )
        repo.upsert_files(
            session,
            integration_id,
            [{"kind": "user", "file_id": "file-1", "state": "fetched", "extracted_text": "SSN 078-05-1120"}],
        )
    raw_second, file_second = stored_hashes()
    assert raw_second not in (None, raw_first)
    assert file_second == repo.sha256_text("SSN 078-05-1120")
    with sessions.begin() as session:  # a state change alone keeps the hash of the stored text
        repo.upsert_files(
            session, integration_id, [{"kind": "user", "file_id": "file-1", "state": "deleted"}]
        )
    assert stored_hashes()[1] == file_second
