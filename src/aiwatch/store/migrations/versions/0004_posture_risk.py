"""Agent review marks and config diffs (posture), stored risk scores.

Revision ID: 0004_posture_risk
Revises: 0002_web_console
Create Date: 2026-11-24 20:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_posture_risk"
down_revision: str | Sequence[str] | None = "0002_web_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _integration_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["integration_id"],
        ["integrations.id"],
        name=op.f(f"fk_{table}_integration_id_integrations"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "agent_reviews",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("integration_id", _ID, nullable=False),
        sa.Column("agent_id", sa.String(length=255), nullable=False),
        sa.Column("config_id", sa.String(length=255), nullable=False),
        sa.Column("sharing", _JSON, nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("reviewed_at", _TIME, nullable=False),
        _integration_fk("agent_reviews"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_reviews")),
    )
    op.create_index(
        "ix_agent_reviews_integration_agent", "agent_reviews", ["integration_id", "agent_id"], unique=False
    )
    op.create_table(
        "agent_config_diffs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("integration_id", _ID, nullable=False),
        sa.Column("agent_id", sa.String(length=255), nullable=False),
        sa.Column("from_config_id", sa.String(length=255), nullable=False),
        sa.Column("to_config_id", sa.String(length=255), nullable=False),
        sa.Column("diff", _JSON, nullable=False),
        sa.Column("widens", sa.Boolean(), nullable=False),
        sa.Column("computed_at", _TIME, nullable=False),
        _integration_fk("agent_config_diffs"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_config_diffs")),
        sa.UniqueConstraint(
            "integration_id",
            "agent_id",
            "from_config_id",
            "to_config_id",
            name=op.f("uq_agent_config_diffs_integration_id_agent_id_from_config_id_to_config_id"),
        ),
    )
    op.create_table(
        "risk_scores",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("integration_id", _ID, nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=255), nullable=False),
        sa.Column("subject_label", sa.Text(), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("raw", sa.Float(), nullable=False),
        sa.Column("finding_count", sa.Integer(), nullable=False),
        sa.Column("breakdown", _JSON, nullable=False),
        sa.Column("computed_at", _TIME, nullable=False),
        _integration_fk("risk_scores"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk_scores")),
        sa.UniqueConstraint(
            "integration_id",
            "subject_kind",
            "subject_id",
            name=op.f("uq_risk_scores_integration_id_subject_kind_subject_id"),
        ),
    )
    op.create_index("ix_risk_scores_kind_score", "risk_scores", ["subject_kind", "score"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_risk_scores_kind_score", table_name="risk_scores")
    op.drop_table("risk_scores")
    op.drop_table("agent_config_diffs")
    op.drop_index("ix_agent_reviews_integration_agent", table_name="agent_reviews")
    op.drop_table("agent_reviews")
