"""Content of two ages (120 and 5 days before ``now``) in every purgeable table, for purge tests."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from aiwatch.store.models import CanvasVersion, Integration, LogEvent, Memory, Message, StoredFile


def logged_message(event_id: str, text: str | None, at: datetime) -> str:
    return json.dumps(
        {
            "event_id": event_id,
            "type": "CONVERSATION_MESSAGE",
            "timestamp": at.isoformat(),
            "message": {"id": f"msg-{event_id}", "content": {"type": "text", "value": text}},
            "conversation": {"id": "conv-1", "title": "Plans"},
        }
    )


def seed_content(session: Session, now: datetime) -> int:
    old, recent = now - timedelta(days=120), now - timedelta(days=5)
    integration = Integration(
        name="acme",
        base_url="http://127.0.0.1:1/v1",
        workspace_id="00000000-0000-4000-8000-000000000000",
        chatgpt_org_id="org-aaaaaaaaaaaaaaaaaaaaaaaa",
        platform_org_id="org-bbbbbbbbbbbbbbbbbbbbbbbb",
        key_last4="abcd",
    )
    session.add(integration)
    session.flush()
    iid = integration.id
    for age, at in (("old", old), ("new", recent)):
        session.add_all(
            [
                Message(
                    integration_id=iid,
                    message_id=f"m-{age}",
                    conversation_id="conv-1",
                    role="user",
                    text=f"{age} body: card 4539 6476 8858 6080",
                    created_at=at,
                    source="conversations",
                    content_hash=f"hash-m-{age}",
                ),
                StoredFile(
                    integration_id=iid,
                    kind="user",
                    file_id=f"file-{age}",
                    extracted_text=f"{age} file text",
                    created_at=at,
                    state="fetched",
                    content_hash=f"hash-f-{age}",
                ),
                Memory(
                    integration_id=iid,
                    user_id="user-1",
                    context_id="ctx",
                    entry_id=f"e-{age}",
                    content=f"{age} memory",
                    entry_updated_at=at,
                    content_hash=f"hash-mem-{age}",
                ),
                CanvasVersion(
                    integration_id=iid,
                    canvas_id="canvas-1",
                    version=1 if age == "old" else 2,
                    content=f"{age} canvas",
                    comments=[{"text": "looks good"}],
                    version_updated_at=at,
                    content_hash=f"hash-c-{age}",
                ),
                LogEvent(
                    integration_id=iid,
                    event_id=f"ev-{age}",
                    event_type="CONVERSATION_MESSAGE",
                    timestamp=at,
                    raw=logged_message(f"ev-{age}", f"{age} logged body", at),
                    content_hash=f"hash-ev-{age}",
                ),
            ]
        )
    # An undated message and a malformed log line are left alone.
    session.add(Message(integration_id=iid, message_id="m-undated", text="undated", source="log_feed"))
    session.add(
        LogEvent(
            integration_id=iid, event_id="ev-bad", event_type="CONVERSATION_MESSAGE", timestamp=old, raw="{no"
        )
    )
    return iid


def seed_into(sessions: sessionmaker[Session], now: datetime) -> int:
    with sessions.begin() as session:
        return seed_content(session, now)
