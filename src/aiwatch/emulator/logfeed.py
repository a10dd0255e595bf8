"""The Compliance Logs Platform: event envelopes, immutable JSONL files, at-least-once delivery."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from random import Random
from typing import Any

from aiwatch.emulator import fakes
from aiwatch.emulator.model import Conversation, LogEvent, LogFile, Message, User

WORKSPACE_EVENT_TYPES = (
    "AUTH_LOG",
    "AUDIT_LOG",
    "APP_LOG",
    "APP_AUTH_LOG",
    "CONVERSATION_MESSAGE",
    "CUSTOM_AGENTS_LOG",
    "CODEX_LOG",
    "CODEX_SECURITY_LOG",
    # Undocumented on purpose: stands for new types that appear over time (clients store and skip them).
    "WORKSPACE_ANALYTICS_LOG",
)
ORGANIZATION_EVENT_TYPES = ("COSTS",)
FUTURE_EVENT_TYPES = ("WORKSPACE_ANALYTICS_LOG",)
ALL_EVENT_TYPES = WORKSPACE_EVENT_TYPES + ORGANIZATION_EVENT_TYPES
FILE_WINDOW_SECONDS = 3600.0
DUPLICATE_RATE = 0.03  # at-least-once delivery: some events are also written into the next file
_EVENT_NAMESPACE = uuid.UUID("6f1c0c57-39a5-4c53-9a55-4f7e0b1d2c11")

USER_AGENTS = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0 "
    "Safari/537.36",
    "ChatGPT/1.2025.070 (iOS 18.3; iPhone15,2; build 1234)",
    "ChatGPT/1.2025.063 (Android 15; Pixel 8; build 2345)",
)
COUNTRIES = (
    ("US", "New York"),
    ("US", "Austin"),
    ("DE", "Berlin"),
    ("GB", "London"),
    ("IE", "Dublin"),
    ("SG", "Singapore"),
    ("JP", "Tokyo"),
)


def iso(ts: float, *, seconds_only: bool = False) -> str:
    moment = dt.datetime.fromtimestamp(ts, dt.UTC)
    if seconds_only:
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(value: str) -> float:
    """ISO-8601 with an explicit timezone (``Z`` or offset) to Unix seconds; ValueError otherwise."""
    text = value.strip()
    if not text:
        raise ValueError("empty timestamp")
    moment = dt.datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("timestamp has no timezone")
    return moment.timestamp()


def user_actor(user: User) -> dict[str, Any]:
    return {"type": "ACCOUNT_USER", "user_id": user.id, "user_email": user.email}


def api_key_actor(redacted_id: str) -> dict[str, Any]:
    return {"type": "API_KEY", "redacted_id": redacted_id}


def request_metadata(rng: Random, ip: str | None = None) -> dict[str, Any]:
    country, city = rng.choice(COUNTRIES)
    return {
        "client_ip": ip or fakes.ipv4(rng),
        "client_ip_details": {
            "country": country,
            "city": city,
            "asn": rng.choice((7922, 3320, 16509, 13335)),
        },
        "client_user_agent": rng.choice(USER_AGENTS),
        "request_id": "req_" + fakes.token(rng, 24),
    }


class EventFactory:
    """Builds event envelopes for one workspace/organization."""

    def __init__(self, workspace_id: str, org_id: str) -> None:
        self.workspace_id = workspace_id
        self.org_id = org_id

    def event(
        self, rng: Random, event_type: str, ts: float, actor: dict[str, Any] | None, **fields: Any
    ) -> LogEvent:
        event_id = fakes.uuid4(rng)
        principal = (
            {"id": self.org_id, "type": "OPENAI_ORGANIZATION"}
            if event_type in ORGANIZATION_EVENT_TYPES
            else {"id": self.workspace_id, "type": "CHATGPT_WORKSPACE"}
        )
        # A few producers write whole seconds; clients must accept both.
        payload: dict[str, Any] = {
            "event_id": event_id,
            "type": event_type,
            "timestamp": iso(ts, seconds_only=event_type in ("COSTS", "CODEX_SECURITY_LOG")),
            "principal": principal,
        }
        if actor is not None:
            payload["actor"] = actor
        payload.update(fields)
        return LogEvent(event_type, ts, event_id, payload=payload)

    def message_events(self, conversation: Conversation) -> list[LogEvent]:
        """CONVERSATION_MESSAGE events mirroring a conversation's user and assistant messages."""
        by_id = {m.id: m for m in conversation.messages}
        logged = {m.id for m in conversation.messages if _is_logged(m)}
        events = []
        for message in conversation.messages:
            if message.id not in logged:
                continue
            previous = message.parent_id
            while previous is not None and previous not in logged:
                previous = by_id[previous].parent_id if previous in by_id else None
            event_id = str(uuid.uuid5(_EVENT_NAMESPACE, message.id))
            events.append(
                LogEvent(
                    "CONVERSATION_MESSAGE",
                    message.created_at or conversation.created_at,
                    event_id,
                    message_ref=(conversation, message, previous),
                )
            )
        return events


def _is_logged(message: Message) -> bool:
    return message.role in ("user", "assistant") and message.text is not None


def render_message_event(
    event: LogEvent, workspace_id: str, users: dict[str, User], tools_used: tuple[str, ...]
) -> dict[str, Any]:
    assert event.message_ref is not None
    conversation, message, previous = event.message_ref
    user = users[conversation.user_id]
    if message.role == "user":
        author: dict[str, Any] = {"type": "user", "client_type": "web"}
    else:
        author = {
            "type": "assistant",
            "model": message.model or "gpt-4o",
            "tools_used": list(tools_used),
            "skills_used": [],
        }
    payload: dict[str, Any] = {
        "event_id": event.event_id,
        "type": "CONVERSATION_MESSAGE",
        "timestamp": iso(event.timestamp),
        "principal": {"id": workspace_id, "type": "CHATGPT_WORKSPACE"},
        "actor": user_actor(user),
    }
    if previous is not None:
        payload["previous_message_id"] = previous
    payload["message"] = {
        "id": message.id,
        "created_at": iso(event.timestamp),
        "author": author,
        "content": {
            "type": message.content_type,
            "value": message.text,
            "annotations": [{"type": "url_citation", "url": url} for url in message.annotations],
        },
    }
    if message.file_ids:
        payload["message"]["file_ids"] = list(message.file_ids)
    if message.gpt_id:
        payload["gpt_id"] = message.gpt_id
    if message.project_id:
        payload["project_id"] = message.project_id
    payload["conversation"] = {
        "id": conversation.id,
        "title": conversation.title,
        "created_at": iso(conversation.created_at),
        "is_pinned": conversation.is_pinned,
        "is_temporary_chat": conversation.is_temporary,
    }
    return payload


def tools_used_before(conversation: Conversation, message: Message) -> tuple[str, ...]:
    """Tool names used between an assistant message and the user message it answers."""
    by_id = {m.id: m for m in conversation.messages}
    names: list[str] = []
    cursor = message.parent_id
    while cursor is not None and cursor in by_id and by_id[cursor].role != "user":
        parent = by_id[cursor]
        if parent.role == "tool" and parent.tool_name:
            names.append(parent.tool_name)
        cursor = parent.parent_id
    return tuple(reversed(names))


def cut_files(
    rng: Random,
    events: Iterable[LogEvent],
    *,
    start: float,
    end: float,
    window: float = FILE_WINDOW_SECONDS,
    duplicate_rate: float = DUPLICATE_RATE,
    shuffle: bool = False,
) -> list[LogFile]:
    """Group events into immutable files per event type and time window within [start, end)."""
    by_type: dict[str, dict[int, list[LogEvent]]] = defaultdict(lambda: defaultdict(list))
    for event in events:
        slot = int((event.timestamp - start) // window) if window > 0 else 0
        by_type[event.event_type][max(0, slot)].append(event)
    files: list[LogFile] = []
    for event_type in sorted(by_type):
        slots = by_type[event_type]
        ordered = sorted(slots)
        for position, slot in enumerate(ordered):
            chunk = sorted(slots[slot], key=lambda e: (e.timestamp, e.event_id))
            if position + 1 < len(ordered) and duplicate_rate > 0:
                repeat = [e for e in chunk if rng.random() < duplicate_rate]
                if repeat:
                    slots[ordered[position + 1]].extend(repeat)
            if shuffle and len(chunk) > 1:
                chunk = chunk + [e for e in chunk if rng.random() < duplicate_rate]
                rng.shuffle(chunk)
            file_start = start + slot * window
            file_end = min(end, file_start + window)
            kind = "organizations" if event_type in ORGANIZATION_EVENT_TYPES else "workspaces"
            files.append(
                LogFile(
                    "eclf_" + fakes.token(rng, 24),
                    event_type,
                    kind,
                    round(file_start, 6),
                    round(file_end, 6),
                    chunk,
                )
            )
    files.sort(key=lambda f: (f.end_time, f.event_type, f.id))
    return files


def file_name(log_file: LogFile) -> str:
    start = dt.datetime.fromtimestamp(log_file.start_time, dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    end = dt.datetime.fromtimestamp(log_file.end_time, dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{log_file.event_type.lower()}_{start}_{end}_{log_file.id[5:13]}.jsonl"


def render_lines(payloads: Iterable[dict[str, Any]]) -> bytes:
    return b"".join(
        json.dumps(p, ensure_ascii=False, separators=(",", ":")).encode() + b"\n" for p in payloads
    )


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
