"""Conversation titles are scanned: ``conversations.content_hash`` (SHA-256 of the title) lets the scanner
skip unchanged titles. Existing rows get their hash here, the same one aiwatch.store.repositories computes.

Revision ID: 0008_conversation_title_hash
Revises: 0007_rescan_lease
"""

import hashlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_conversation_title_hash"
down_revision: str | Sequence[str] | None = "0007_rescan_lease"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 1000


def upgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(length=64), nullable=True))
    table = sa.table(
        "conversations", sa.column("id", sa.BigInteger), sa.column("title"), sa.column("content_hash")
    )
    bind = op.get_bind()
    after = 0
    # Keyset batches keep memory flat on big stores.
    while rows := bind.execute(
        sa.select(table.c.id, table.c.title)
        .where(table.c.id > after, table.c.title.is_not(None))
        .order_by(table.c.id)
        .limit(_BATCH)
    ).all():
        bind.execute(
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values(content_hash=sa.bindparam("hash")),
            [
                {"row_id": row_id, "hash": hashlib.sha256(title.encode("utf-8", "surrogatepass")).hexdigest()}
                for row_id, title in rows
            ],
        )
        after = rows[-1][0]


def downgrade() -> None:
    with op.batch_alter_table("conversations") as batch:
        batch.drop_column("content_hash")
