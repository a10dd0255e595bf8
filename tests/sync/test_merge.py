"""The message merge rule: log feed text + /conversations structure, admin removal wins."""

from __future__ import annotations

from typing import Any

from aiwatch.sync.merge import CONVERSATIONS, LOG_FEED, REMOVED_BY_ADMIN, content_hash, merge_message


def _row(source: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "message_id": "m1",
        "conversation_id": "c1",
        "parent_id": None,
        "role": "user",
        "tool_name": None,
        "content_type": "text",
        "text": "hello",
        "created_at": None,
        "gpt_id": None,
        "project_id": None,
        "model": None,
        "source": source,
    }
    row.update(overrides)
    return row


def test_new_message_is_written_with_its_hash() -> None:
    merged = merge_message(None, _row(CONVERSATIONS))
    assert merged is not None
    assert merged["content_hash"] == content_hash("hello")


def test_same_delivery_twice_changes_nothing() -> None:
    first = merge_message(None, _row(CONVERSATIONS, parent_id="m0"))
    assert merge_message(first, _row(CONVERSATIONS, parent_id="m0")) is None


def test_log_feed_text_and_model_win_over_conversations_text() -> None:
    stored = merge_message(None, _row(CONVERSATIONS, parent_id="m0", tool_name=None, gpt_id="g-1"))
    merged = merge_message(stored, _row(LOG_FEED, text="hello (log)", model="gpt-5", parent_id="m0"))
    assert merged is not None
    assert merged["text"] == "hello (log)"
    assert merged["model"] == "gpt-5"
    assert merged["source"] == LOG_FEED
    assert merged["gpt_id"] == "g-1"  # structure from /conversations is kept
    assert merged["content_hash"] == content_hash("hello (log)")


def test_conversations_fill_structure_but_keep_log_feed_text() -> None:
    stored = merge_message(None, _row(LOG_FEED, text="from log", model="gpt-5", parent_id="m0", role="user"))
    merged = merge_message(
        stored, _row(CONVERSATIONS, text="from conv", parent_id="m0", tool_name="python", project_id="g-p-1")
    )
    assert merged is not None
    assert merged["text"] == "from log"
    assert merged["model"] == "gpt-5"
    assert merged["tool_name"] == "python"
    assert merged["project_id"] == "g-p-1"


def test_admin_removal_placeholder_replaces_log_feed_text_and_stays() -> None:
    stored = merge_message(None, _row(LOG_FEED, text="secret AKIA…", model="gpt-5"))
    removed = merge_message(stored, _row(CONVERSATIONS, text=REMOVED_BY_ADMIN))
    assert removed is not None and removed["text"] == REMOVED_BY_ADMIN
    # The at-least-once log feed delivers the old event again: the removal must not be undone.
    assert merge_message(removed, _row(LOG_FEED, text="secret AKIA…", model="gpt-5")) is None


def test_reappearing_conversation_updates_changed_text() -> None:
    stored = merge_message(None, _row(CONVERSATIONS, text="draft"))
    merged = merge_message(stored, _row(CONVERSATIONS, text=REMOVED_BY_ADMIN))
    assert merged is not None and merged["text"] == REMOVED_BY_ADMIN


def test_null_content_and_invalid_unicode_hash_without_error() -> None:
    assert merge_message(None, _row(CONVERSATIONS, text=None))["content_hash"] is None  # type: ignore[index]
    merged = merge_message(None, _row(CONVERSATIONS, text="bad \udcff surrogate"))
    assert merged is not None and len(merged["content_hash"]) == 64


def test_log_feed_redelivery_never_breaks_parent_links_from_conversations() -> None:
    # previous_message_id in the log feed skips tool messages; /conversations knows the real parent.
    stored = merge_message(None, _row(LOG_FEED, text="answer", model="gpt-5", parent_id="user-msg"))
    stored = merge_message(stored, _row(CONVERSATIONS, text="answer", parent_id="tool-msg", role="assistant"))
    assert stored is not None and stored["parent_id"] == "tool-msg"
    again = merge_message(stored, _row(LOG_FEED, text="answer", model="gpt-5", parent_id="user-msg"))
    assert again is None
