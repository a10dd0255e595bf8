"""Tolerant parsing of API objects: unknown fields, new enum values, nulls, raw JSON kept."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiwatch.sources.chatgpt import (
    GPT,
    AuthLogEvent,
    CanvasContent,
    Conversation,
    ConversationMessageEvent,
    DeletionResponse,
    ListPage,
    LogEvent,
    Memory,
    Project,
    WorkspaceUser,
    parse_log_event,
)
from aiwatch.sources.chatgpt.schema import LOG_EVENT_MODELS


def test_conversation_keeps_unknown_fields_new_enums_and_null_content() -> None:
    raw = {
        "object": "compliance.workspace.conversation",
        "id": "c0a1",
        "user_id": "user-1",
        "created_at": 1692158096.299021,
        "last_active_at": 1692158999,
        "title": "SQL help",
        "brand_new_field": {"nested": [1, 2]},
        "messages": {
            "object": "list",
            "data": [
                {
                    "id": "m1",
                    "parent_id": None,
                    "author": {"role": "user", "tool_name": None},
                    "content": {"type": "text", "value": "hello", "annotations": []},
                },
                {
                    "id": "m2",
                    "parent_id": "m1",
                    "author": {"role": "critic", "tool_name": "myfiles_browser"},
                    "content": None,
                    "files": {"data": [{"id": "file-1", "name": "a.pdf", "download_url": None}]},
                },
            ],
            "has_more": False,
            "last_id": "m2",
        },
    }
    conversation = Conversation.model_validate(raw)
    assert conversation.raw is raw
    assert conversation.extra_fields == {"brand_new_field": {"nested": [1, 2]}}
    assert conversation.created_at == pytest.approx(1692158096.299021)
    assert isinstance(conversation.last_active_at, float)
    first, second = conversation.messages.data
    assert first.text == "hello" and first.role == "user"
    assert second.author is not None and second.author.role == "critic"
    assert second.author.tool_name == "myfiles_browser"
    assert second.content is None and second.text is None
    assert second.files is not None and second.files.data[0].download_url is None


def test_timestamps_tolerate_strings_and_garbage() -> None:
    user = WorkspaceUser.model_validate(
        {"id": "user-1", "created_at": "2024-01-02T03:04:05Z", "role": "auditor"}
    )
    assert user.created_at == pytest.approx(1704164645.0)
    assert user.role == "auditor"
    assert WorkspaceUser.model_validate({"id": "u", "created_at": "yesterday"}).created_at is None
    assert WorkspaceUser.model_validate({"id": "u", "created_at": float("nan")}).created_at is None
    assert WorkspaceUser.model_validate({"id": "u", "created_at": True}).created_at is None


def test_missing_id_is_a_validation_error() -> None:
    with pytest.raises(ValueError):
        WorkspaceUser.model_validate({"email": "a@b.c"})


def test_gpt_with_custom_action_new_visibility_and_config() -> None:
    gpt = GPT.model_validate(
        {
            "id": "g-1",
            "sharing": {
                "visibility": "planet-wide",
                "recipients": [{"id": "user-2", "permissions": {"can_read": True}}],
            },
            "latest_config": {
                "data": [
                    {
                        "id": "gzm_cnf_1",
                        "instructions": "be nice",
                        "tools": {
                            "data": [
                                {"type": "custom_action", "action_domain": "x.example", "auth_type": "none"},
                                {"type": "quantum_tool"},
                            ]
                        },
                        "files": {"data": [{"id": "file-9", "name": "kb.docx"}]},
                    }
                ],
                "has_more": False,
            },
        }
    )
    assert gpt.sharing is not None and gpt.sharing.visibility == "planet-wide"
    assert gpt.config is not None and gpt.config.tools.data[1].type == "quantum_tool"
    assert gpt.config.tools.data[0].action_domain == "x.example"
    assert gpt.config.files.data[0].name == "kb.docx"
    third_party = GPT.model_validate({"id": "g-2", "builder_name": "Community"})
    assert third_party.config is None and third_party.sharing is None


def test_project_memory_canvas_and_deletion_shapes() -> None:
    project = Project.model_validate({"id": "g-p-1", "latest_config": {"data": [{"id": "pr_cnf_1"}]}})
    assert project.config is not None and project.config.id == "pr_cnf_1"
    memory = Memory.model_validate(
        {
            "id": "user-1",
            "memory_contexts": [{"id": "user-1", "memory_entries": [{"id": "e1", "content": "x"}]}],
        }
    )
    assert memory.memory_contexts[0].memory_entries[0].content == "x"
    canvas = CanvasContent.model_validate(
        {
            "textdoc_id": "t1",
            "version_contents": {
                "data": [{"content": "v1", "updated_at": "2025-01-01T10:00:00.123456Z", "version": 1}],
                "last_version": 1,
                "has_more": False,
            },
        }
    )
    version = canvas.version_contents.data[0]
    assert version.updated_at_datetime is not None and version.updated_at_datetime.year == 2025
    assert DeletionResponse.model_validate({"deleted": True, "object": "x", "id": "1"}).deleted is True


def test_generic_list_page_keeps_raw_dicts() -> None:
    listing = ListPage[dict].model_validate({"data": [{"anything": 1}], "has_more": True, "last_id": "z"})
    assert listing.data == [{"anything": 1}] and listing.has_more and listing.last_id == "z"


def test_log_events_are_typed_with_fallback_for_unknown_and_odd_shapes() -> None:
    message_event = parse_log_event(
        {
            "event_id": "e1",
            "type": "CONVERSATION_MESSAGE",
            "timestamp": "2025-03-01T12:00:00.000001Z",
            "actor": {"type": "ACCOUNT_USER", "user_id": "user-1", "user_email": "a@b.c"},
            "message": {
                "id": "m1",
                "author": {"type": "assistant", "model": "gpt-5", "tools_used": ["web"]},
                "content": {"type": "text", "value": None},
            },
            "conversation": {"id": "c1", "title": "t", "is_temporary_chat": False},
        }
    )
    assert isinstance(message_event, ConversationMessageEvent)
    assert message_event.message is not None and message_event.message.author is not None
    assert message_event.message.author.model == "gpt-5"
    assert message_event.previous_message_id is None
    assert message_event.occurred_at is not None and message_event.occurred_at.microsecond == 1

    auth = parse_log_event({"event_id": "e2", "type": "AUTH_LOG", "action_data": {"action": "login_failed"}})
    assert isinstance(auth, AuthLogEvent) and auth.auth_action == "login_failed"

    unknown = parse_log_event({"event_id": "e3", "type": "TELEPORT_LOG", "payload": {"x": 1}})
    assert type(unknown) is LogEvent and unknown.extra_fields == {"payload": {"x": 1}}

    odd_raw = {"event_id": "e4", "type": "CONVERSATION_MESSAGE", "message": "not an object", "actor": 7}
    odd = parse_log_event(odd_raw)
    assert type(odd) is LogEvent and odd.event_id == "e4" and odd.raw is odd_raw and odd.actor is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
envelope_keys = st.sampled_from(
    ["event_id", "type", "timestamp", "principal", "actor", "message", "conversation", "action_data", "x"]
)
event_types = st.sampled_from([*LOG_EVENT_MODELS, "UNKNOWN_LOG", None, 5])


@settings(max_examples=150, deadline=None)
@given(fields=st.dictionaries(envelope_keys, json_values, max_size=8), event_type=event_types)
def test_parse_log_event_never_raises_on_any_json_object(fields: dict, event_type: object) -> None:
    data = {**fields, "type": event_type}
    event = parse_log_event(data)
    assert isinstance(event, LogEvent)
    assert event.raw is data
