"""Property: whatever sequence of pages arrives (duplicates, repeats, odd text), the stored messages equal
the last version of each message, exactly once."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from aiwatch.store import repositories as repo
from aiwatch.store.db import create_db_engine, make_session_factory, upgrade
from aiwatch.store.models import Integration, Message
from aiwatch.store.types import clean_text

message_ids = st.sampled_from([f"m-{i}" for i in range(12)])
texts = st.one_of(st.none(), st.text(max_size=40))  # any code point, surrogates included
pages = st.lists(st.lists(st.tuples(message_ids, texts), max_size=8), min_size=1, max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pages=pages)
def test_stored_messages_are_the_last_version_of_each(
    tmp_path: Path, pages: list[list[tuple[str, str | None]]]
) -> None:
    engine = create_db_engine(f"sqlite:///{tmp_path / 'prop.db'}")
    try:
        upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions.begin() as session:
            integration = Integration(
                name=f"p{len(session.scalars(select(Integration)).all())}", base_url="x", workspace_id="w",
                chatgpt_org_id="o", platform_org_id="p", key_last4="0000",
            )  # fmt: skip
            session.add(integration)
            session.flush()
            integration_id = integration.id
        expected: dict[str, str | None] = {}
        for page in pages:
            with sessions.begin() as session:
                repo.upsert_messages(
                    session,
                    integration_id,
                    [{"message_id": mid, "text": text, "source": "conversations"} for mid, text in page],
                )
            for mid, text in page:
                expected[mid] = None if text is None else clean_text(text)
        with sessions() as session:
            stored = session.execute(
                select(Message.message_id, Message.text, Message.content_hash).where(
                    Message.integration_id == integration_id
                )
            ).all()
        assert {mid: text for mid, text, _ in stored} == expected
        assert len(stored) == len(expected)
        for _, text, content_hash in stored:
            assert content_hash == (None if text is None else repo.sha256_text(text))
    finally:
        engine.dispose()
