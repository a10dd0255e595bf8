"""The shipped migrations build exactly the models' schema, on SQLite and PostgreSQL, and run both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from aiwatch.store.db import create_db_engine, current_revision, downgrade, head_revision, upgrade
from aiwatch.store.models import Base


def _schema_differences(url: str) -> list[object]:
    engine = create_db_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_migration_produces_exactly_the_models_schema(db_url: str) -> None:
    engine = create_db_engine(db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
    assert _schema_differences(db_url) == []


def test_downgrade_to_base_then_upgrade_again(db_url: str) -> None:
    engine = create_db_engine(db_url)
    try:
        upgrade(engine)
        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert _schema_differences(db_url) == []


def test_upgrade_is_idempotent(db_url: str) -> None:
    engine = create_db_engine(db_url)
    try:
        upgrade(engine)
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


def test_a_diverging_model_is_detected(db_url: str) -> None:
    """The comparison above can fail: a column the migration lacks shows up as a difference."""
    from sqlalchemy import Column, MetaData, String, Table

    engine = create_db_engine(db_url)
    try:
        upgrade(engine)
        extended = MetaData()
        for table in Base.metadata.tables.values():
            table.to_metadata(extended)
        Table("users", extended, Column("nickname", String(10)), extend_existing=True)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection)
            differences = compare_metadata(context, extended)
    finally:
        engine.dispose()
    assert any(diff[0] == "add_column" and diff[3].name == "nickname" for diff in differences)
