"""An item scanned before it had content (a file whose text was not extracted yet) is scanned again once the
content arrives: the pending check compares content hashes NULL-safely."""

from __future__ import annotations

from datetime import UTC, datetime

from pipeline_helpers import Store
from sqlalchemy import select

from aiwatch.findings.models import Alert
from aiwatch.pipeline.runner import run_pipeline
from aiwatch.store.repositories import upsert_files

AWS_KEY = "AKIAZ3MHALJQ4RX7QWER"


def _store_file(store: Store, text: str | None) -> None:
    with store.sessions.begin() as session:
        upsert_files(
            session,
            store.integration_id,
            [
                {
                    "kind": "user",
                    "file_id": "file-late",
                    "owner_user_id": "user-alice",
                    "name": "deploy.txt",
                    "created_at": datetime(2026, 11, 2, tzinfo=UTC),
                    "extracted_text": text,
                    "state": "fetched" if text else "pending",
                }
            ],
        )


def _scan(store: Store) -> int:
    result = run_pipeline(store.sessions, store.settings, kinds=("file",), include_posture=False)
    return result.scanned.get("file", 0)


def test_a_file_scanned_before_extraction_is_scanned_when_its_text_arrives(db_store: Store) -> None:
    _store_file(db_store, None)
    assert _scan(db_store) == 1  # seen without text: nothing found, state recorded
    assert _scan(db_store) == 0  # still no text: not pending

    _store_file(db_store, f"aws_access_key_id = {AWS_KEY}\n")
    assert _scan(db_store) == 1
    with db_store.sessions() as session:
        rules = set(session.scalars(select(Alert.rule).where(Alert.item_kind == "file")))
    assert "secret.aws_access_key_id" in rules
    assert _scan(db_store) == 0
