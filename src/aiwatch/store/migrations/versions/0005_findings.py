"""Findings pipeline: alerts, findings, policy settings, exclusions, ignore rules, organisation rules, scan
state and rescan jobs (models in aiwatch.findings.models).

Revision ID: 0005_findings
Revises: 0004_posture_risk
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_findings"
down_revision: str | Sequence[str] | None = "0004_posture_risk"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = sa.DateTime(timezone=True)
_JSON = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), "postgresql"
)
TABLES = (
    "alerts",
    "findings",
    "scan_state",
    "rescan_jobs",
    "policy_settings",
    "org_rules",
    "ignore_rules",
    "exclusions",
)


def upgrade() -> None:
    op.create_table(
        "exclusions",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("pattern", sa.Text(), nullable=False),
        sa.Column("scope_kind", sa.String(length=16), nullable=False),
        sa.Column("scope_id", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exclusions")),
    )
    op.create_table(
        "ignore_rules",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ignore_rules")),
    )
    op.create_table(
        "org_rules",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("patterns", _JSON, nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_org_rules")),
        sa.UniqueConstraint("rule_id", name=op.f("uq_org_rules_rule_id")),
    )
    op.create_table(
        "policy_settings",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("target_kind", sa.String(length=16), nullable=False),
        sa.Column("target_id", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=True),
        sa.Column("sensitivity", sa.String(length=16), nullable=True),
        sa.Column("scope", _JSON, nullable=True),
        sa.Column("updated_by", sa.String(length=200), nullable=True),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_settings")),
        sa.UniqueConstraint(
            "target_kind", "target_id", name=op.f("uq_policy_settings_target_kind_target_id")
        ),
    )
    op.create_table(
        "rescan_jobs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("rules_glob", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("position", _JSON, nullable=True),
        sa.Column("message", sa.Text(), nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("finished_at", _TIME, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rescan_jobs")),
    )
    op.create_table(
        "findings",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("integration_id", _ID, nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("policy", sa.String(length=100), nullable=False),
        sa.Column("group", sa.String(length=100), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=255), nullable=False),
        sa.Column("agent_id", sa.String(length=255), nullable=True),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("first_seen", _TIME, nullable=False),
        sa.Column("last_seen", _TIME, nullable=False),
        sa.Column("evidence_samples", _JSON, nullable=False),
        sa.Column("value_hashes", _JSON, nullable=False),
        sa.Column("resolution", sa.String(length=32), nullable=True),
        sa.Column("resolution_reason", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=200), nullable=True),
        sa.Column("resolved_at", _TIME, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.Column("updated_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_findings_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    op.create_index(
        "ix_findings_lookup",
        "findings",
        ["integration_id", "subject_kind", "subject_id", "rule", "status"],
        unique=False,
    )
    op.create_index("ix_findings_status_last_seen", "findings", ["status", "last_seen"], unique=False)
    op.create_table(
        "scan_state",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("integration_id", _ID, nullable=False),
        sa.Column("item_kind", sa.String(length=32), nullable=False),
        sa.Column("item_row_id", _ID, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("scanned_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_scan_state_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scan_state")),
        sa.UniqueConstraint(
            "integration_id",
            "item_kind",
            "item_row_id",
            name=op.f("uq_scan_state_integration_id_item_kind_item_row_id"),
        ),
    )
    op.create_table(
        "alerts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("integration_id", _ID, nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("item_kind", sa.String(length=32), nullable=False),
        sa.Column("item_id", sa.String(length=600), nullable=False),
        sa.Column("subject_kind", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(length=255), nullable=False),
        sa.Column("field", sa.String(length=100), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("value_hash", sa.String(length=64), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("detector_version", sa.String(length=64), nullable=False),
        sa.Column("app_id", sa.String(length=255), nullable=True),
        sa.Column("agent_id", sa.String(length=255), nullable=True),
        sa.Column("details", _JSON, nullable=True),
        sa.Column("observed_at", _TIME, nullable=False),
        sa.Column("suppressed_by", sa.String(length=100), nullable=True),
        sa.Column("finding_id", _ID, nullable=True),
        sa.Column("created_at", _TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"], ["findings.id"], name=op.f("fk_alerts_finding_id_findings"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_alerts_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint(
            "integration_id",
            "item_kind",
            "item_id",
            "rule",
            "field",
            "start",
            "end",
            name=op.f("uq_alerts_integration_id_item_kind_item_id_rule_field_start_end"),
        ),
    )
    op.create_index("ix_alerts_finding", "alerts", ["finding_id"], unique=False)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
