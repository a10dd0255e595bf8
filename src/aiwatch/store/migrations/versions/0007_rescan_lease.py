"""Rescan jobs become a queue processed by workers: the lease (who holds the job, last heartbeat), when it
started, how often it was claimed, its recent rate and who asked for it (model
aiwatch.findings.models.RescanJob).

Revision ID: 0007_rescan_lease
Revises: 0006_user_groups
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_rescan_lease"
down_revision: str | Sequence[str] | None = "0006_user_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("rescan_jobs") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("heartbeat_at", _TIME, nullable=True))
        batch.add_column(sa.Column("started_at", _TIME, nullable=True))
        # Existing rows were never claimed by a worker: 0 attempts.
        batch.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("rate", sa.Float(), nullable=True))
        batch.add_column(sa.Column("requested_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rescan_jobs") as batch:
        for column in ("requested_by", "rate", "attempts", "started_at", "heartbeat_at", "claimed_by"):
            batch.drop_column(column)
