"""Helpers of the pipeline tests (imported by module name)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import Settings
from aiwatch.store.db import init_db, make_session_factory


def planted_rules(labels) -> set[str]:
    return {label.rule for label in labels}


@dataclass
class Store:
    """A database with one integration and nothing synced (tests store the items they need)."""

    settings: Settings
    sessions: sessionmaker[Session]
    integration_id: int


def empty_store(settings: Settings) -> Store:
    from aiwatch.store import models as m

    sessions = make_session_factory(init_db(settings))
    with sessions.begin() as session:
        row = m.Integration(
            name="ws",
            base_url="http://127.0.0.1:9",
            workspace_id="ws-1",
            chatgpt_org_id="org-1",
            platform_org_id="org-2",
            key_last4="abcd",
        )
        session.add(row)
        session.flush()
        integration_id = row.id
    return Store(settings, sessions, integration_id)


def add_messages(
    store: Store, count: int, *, user_id: str = "user-alice", conversation_id: str = "conv-1", first: int = 0
) -> None:
    """``count`` user messages, each with an AWS key and an email address (two alerts per message)."""
    import hashlib
    import string
    from datetime import UTC, datetime, timedelta

    from aiwatch.store import models as m

    with store.sessions.begin() as session:
        iid = store.integration_id
        session.add(m.Conversation(integration_id=iid, conversation_id=conversation_id, user_id=user_id))
        for index in range(first, first + count):
            suffix = "".join(string.ascii_uppercase[(index * 7 + step) % 26] for step in range(4))
            text = f"Project ships; key AKIAZ3MHALJQ4RX7{suffix} and mail jane.doe{index}@acme-corp.io"
            session.add(
                m.Message(
                    integration_id=store.integration_id,
                    message_id=f"msg-{index:03d}",
                    conversation_id=conversation_id,
                    role="user",
                    text=text,
                    source="conversations",
                    created_at=datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=index),
                    content_hash=hashlib.sha256(text.encode()).hexdigest(),
                )
            )
