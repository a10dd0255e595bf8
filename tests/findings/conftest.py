"""Fixtures of the findings tests: a database with one integration and helpers that store items."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import Settings
from aiwatch.store import models as m
from aiwatch.store.db import dispose_engines, init_db, make_session_factory


@dataclass
class Store:
    settings: Settings
    sessions: sessionmaker[Session]
    integration_id: int

    def message(
        self,
        text: str,
        *,
        message_id: str,
        user_id: str = "user-alice",
        conversation_id: str = "conv-1",
        role: str = "user",
        created_at: datetime | None = None,
        gpt_id: str | None = None,
    ) -> None:
        import hashlib

        with self.sessions.begin() as session:
            if session.query(m.Conversation).filter_by(conversation_id=conversation_id).first() is None:
                session.add(
                    m.Conversation(
                        integration_id=self.integration_id, conversation_id=conversation_id, user_id=user_id
                    )
                )
            session.add(
                m.Message(
                    integration_id=self.integration_id,
                    message_id=message_id,
                    conversation_id=conversation_id,
                    role=role,
                    text=text,
                    source="conversations",
                    gpt_id=gpt_id,
                    created_at=created_at or datetime(2026, 11, 1, tzinfo=UTC),
                    content_hash=hashlib.sha256(text.encode()).hexdigest(),
                )
            )


def add_integration(sessions: sessionmaker[Session], name: str = "ws") -> int:
    with sessions.begin() as session:
        row = m.Integration(
            name=name,
            base_url="http://127.0.0.1:9",
            workspace_id=f"ws-{name}",
            chatgpt_org_id="org-1",
            platform_org_id="org-2",
            key_last4="abcd",
        )
        session.add(row)
        session.flush()
        return row.id


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    sessions = make_session_factory(init_db(settings))
    yield Store(settings, sessions, add_integration(sessions))
    dispose_engines()


@pytest.fixture
def db_store(db_settings: Settings) -> Iterator[Store]:
    """Like ``store`` on SQLite and PostgreSQL."""
    sessions = make_session_factory(init_db(db_settings))
    yield Store(db_settings, sessions, add_integration(sessions))
    dispose_engines()
