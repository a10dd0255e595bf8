"""Migration 0008 adds ``conversations.content_hash`` and fills it for stored titles (the same SHA-256 the
repositories compute), on SQLite and PostgreSQL, and goes back down cleanly."""

from __future__ import annotations

import hashlib

from sqlalchemy import inspect, text

from aiwatch.store.db import create_db_engine, current_revision, downgrade, upgrade
from aiwatch.store.repositories import sha256_text


def _columns(engine, table: str) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns(table)}


def test_title_hash_migration_backfills_and_downgrades(db_url: str) -> None:
    engine = create_db_engine(db_url)
    try:
        upgrade(engine, "0007_rescan_lease")
        assert "content_hash" not in _columns(engine, "conversations")
        with engine.begin() as connection:
            integration = connection.execute(
                text(
                    "INSERT INTO integrations (name, base_url, workspace_id, chatgpt_org_id,"
                    " platform_org_id, kind, key_last4, status, created_at, updated_at)"
                    " VALUES ('ws', 'http://127.0.0.1:9', 'w', 'o1', 'o2', 'chatgpt', 'abcd', 'active',"
                    " CURRENT_TIMESTAMP, CURRENT_TIMESTAMP) RETURNING id"
                )
            ).scalar_one()
            for conversation_id, title in (("c1", "Key AKIAZ3MHALJQ4RX7QWER ünïcode"), ("c2", None)):
                connection.execute(
                    text(
                        "INSERT INTO conversations (integration_id, conversation_id, title,"
                        " removed_by_admin, updated_at) VALUES (:i, :c, :t, false, CURRENT_TIMESTAMP)"
                    ),
                    {"i": integration, "c": conversation_id, "t": title},
                )
        upgrade(engine)
        assert current_revision(engine) == "0008_conversation_title_hash"
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT conversation_id, content_hash FROM conversations"))
            hashes = {conversation_id: value for conversation_id, value in rows}
        expected = hashlib.sha256("Key AKIAZ3MHALJQ4RX7QWER ünïcode".encode()).hexdigest()
        assert hashes == {"c1": expected, "c2": None}
        assert sha256_text("Key AKIAZ3MHALJQ4RX7QWER ünïcode") == expected  # what a re-sync would write

        downgrade(engine, "0007_rescan_lease")
        assert "content_hash" not in _columns(engine, "conversations")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM conversations")).scalar_one() == 2
    finally:
        engine.dispose()
