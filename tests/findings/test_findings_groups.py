"""User groups: migration 0006 and, below, membership and scope by group."""

from __future__ import annotations

from sqlalchemy import inspect

from aiwatch.store.db import create_db_engine, current_revision, downgrade, upgrade


def test_migration_0006_adds_and_drops_user_groups(db_url: str) -> None:
    engine = create_db_engine(db_url)
    try:
        upgrade(engine, "0005_findings")
        assert "user_groups" not in inspect(engine).get_table_names()
        upgrade(engine, "0006_user_groups")
        columns = {c["name"] for c in inspect(engine).get_columns("user_groups")}
        assert {"name", "emails", "patterns", "description", "created_by"} <= columns
        downgrade(engine, "0005_findings")
        assert current_revision(engine) == "0005_findings"
        assert "user_groups" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
