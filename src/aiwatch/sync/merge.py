"""How a message row is merged when both the log feed and /conversations deliver it (same message ID).

The log feed's CONVERSATION_MESSAGE is the preferred source of *text* (it also carries the model name);
/conversations is the source of *structure* (parent links, tool messages, GPT/project IDs, files). Whichever
arrives first creates the row; the other fills in what it is better at. One exception: when /conversations
shows the admin-removal placeholder, the placeholder wins, because the removal happened after any log event.
"""

from __future__ import annotations

import hashlib
from typing import Any

REMOVED_BY_ADMIN = "(Removed by your admin)"
LOG_FEED = "log_feed"
CONVERSATIONS = "conversations"

# Fields /conversations knows better; the log feed only fills them when they are still empty.
_STRUCTURE_FIELDS = (
    "parent_id",
    "role",
    "tool_name",
    "content_type",
    "gpt_id",
    "project_id",
    "created_at",
    "annotations",
)
_COMPARED_FIELDS = (*_STRUCTURE_FIELDS, "text", "model", "source", "conversation_id")


def content_hash(text: str | None) -> str | None:
    """Stable hash of message text, so a scanner can skip unchanged messages."""
    if text is None:
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def merge_message(existing: dict[str, Any] | None, incoming: dict[str, Any]) -> dict[str, Any] | None:
    """The row to write for ``incoming`` given what is stored, or None when nothing would change.

    Both dicts use message-row keys (``message_id``, ``conversation_id``, ``parent_id``, ``role``,
    ``tool_name``, ``content_type``, ``text``, ``created_at``, ``gpt_id``, ``project_id``, ``model``,
    ``source``).
    """
    if existing is None:
        return _with_hash(dict(incoming))
    merged = dict(existing)
    if incoming["source"] == CONVERSATIONS:
        # /conversations is authoritative for structure (the log feed's previous_message_id skips tool
        # messages, so it is only a stand-in for parent_id until /conversations delivers the message).
        for key in (*_STRUCTURE_FIELDS, "conversation_id"):
            if key in incoming:
                merged[key] = incoming[key]
        text = incoming.get("text")
        if text == REMOVED_BY_ADMIN or existing.get("source") != LOG_FEED or existing.get("text") is None:
            merged["text"] = text
            merged["source"] = CONVERSATIONS
    else:  # the log feed: preferred text and the model name, structure only where still unknown
        if existing.get("text") != REMOVED_BY_ADMIN and incoming.get("text") is not None:
            merged["text"] = incoming["text"]
            merged["source"] = LOG_FEED
        merged["model"] = incoming.get("model") or existing.get("model")
        for key in (*_STRUCTURE_FIELDS, "conversation_id"):
            if merged.get(key) is None and incoming.get(key) is not None:
                merged[key] = incoming[key]
    merged = _with_hash(merged)
    if all(merged.get(key) == existing.get(key) for key in _COMPARED_FIELDS) and merged.get(
        "content_hash"
    ) == existing.get("content_hash"):
        return None
    return merged


def _with_hash(row: dict[str, Any]) -> dict[str, Any]:
    row["content_hash"] = content_hash(row.get("text"))
    return row
