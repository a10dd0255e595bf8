"""Alembic environment: runs on the connection aiwatch.store.db hands over (never reads a URL itself)."""

from __future__ import annotations

from alembic import context

import aiwatch.findings.models  # noqa: F401 - registers the findings tables on Base for autogenerate
from aiwatch.store.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through aiwatch (`aiwatch db upgrade` or aiwatch.store.db.upgrade), "
        "which passes the database connection"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
