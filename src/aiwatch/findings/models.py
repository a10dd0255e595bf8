"""Tables of the findings pipeline (migration 0005_findings).

Grouping window: a finding collects the alerts of one subject (user or agent) for one rule while it is open
and for at most ``FINDING_WINDOW`` (7 days) around its first alert; an alert whose value hash the open finding
has already seen joins it whatever the window, so the same secret pasted again never opens a second finding.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from aiwatch.store.models import ID, Base, BigId, utc_now

RULE = String(200)


class Finding(Base):
    __tablename__ = "findings"
    __table_args__ = (
        Index("ix_findings_lookup", "integration_id", "subject_kind", "subject_id", "rule", "status"),
        Index("ix_findings_status_last_seen", "status", "last_seen"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(RULE)
    policy: Mapped[str] = mapped_column(String(100))
    group: Mapped[str] = mapped_column(String(100))
    subject_kind: Mapped[str] = mapped_column(String(16))  # user | agent
    subject_id: Mapped[str] = mapped_column(ID)
    agent_id: Mapped[str | None] = mapped_column(ID)  # the GPT/project involved, when there was one
    severity: Mapped[str] = mapped_column(String(16))  # highest severity of its alerts
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    alert_count: Mapped[int] = mapped_column(Integer, default=0)
    first_seen: Mapped[datetime]
    last_seen: Mapped[datetime]
    evidence_samples: Mapped[list[Any]]  # masked evidence, a few distinct samples
    value_hashes: Mapped[list[Any]]  # keyed hashes of the matched values (never the values)
    resolution: Mapped[str | None] = mapped_column(String(32))  # true_positive | benign | false_positive
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(200))
    resolved_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Alert(Base):
    """One detection in one stored item. Suppressed alerts are kept (with the reason) but join no finding."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("integration_id", "item_kind", "item_id", "rule", "field", "start", "end"),
        Index("ix_alerts_finding", "finding_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    rule: Mapped[str] = mapped_column(RULE)
    item_kind: Mapped[str] = mapped_column(String(32))
    item_id: Mapped[str] = mapped_column(String(600))
    subject_kind: Mapped[str] = mapped_column(String(16))
    subject_id: Mapped[str] = mapped_column(ID)
    field: Mapped[str] = mapped_column(String(100), default="")
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    evidence: Mapped[str] = mapped_column(Text)
    value_hash: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(16))
    detector_version: Mapped[str] = mapped_column(String(64), default="")
    app_id: Mapped[str | None] = mapped_column(ID)
    agent_id: Mapped[str | None] = mapped_column(ID)
    details: Mapped[dict[str, Any] | None]
    observed_at: Mapped[datetime]
    suppressed_by: Mapped[str | None] = mapped_column(String(100))  # "exclusion:3", "ignore:2", "test_value"
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("findings.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class PolicySetting(Base):
    """An administrator's setting for a whole policy or one rule; a rule setting wins over its policy's."""

    __tablename__ = "policy_settings"
    __table_args__ = (UniqueConstraint("target_kind", "target_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    target_kind: Mapped[str] = mapped_column(String(16))  # policy | rule
    target_id: Mapped[str] = mapped_column(RULE)
    status: Mapped[str | None] = mapped_column(String(16))  # enabled | disabled (None: catalog default)
    severity: Mapped[str | None] = mapped_column(String(16))
    sensitivity: Mapped[str | None] = mapped_column(String(16))  # balanced | high
    # {"integrations": [ids], "agents": [ids], "users": [ids]}: empty/missing lists mean "everywhere".
    scope: Mapped[dict[str, Any] | None]
    updated_by: Mapped[str | None] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class Exclusion(Base):
    """A keyword, regex or exact value (stored only as its keyed hash) that never raises an alert."""

    __tablename__ = "exclusions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # keyword | regex | value
    pattern: Mapped[str] = mapped_column(Text)  # the keyword, the regex, or the value's keyed hash
    scope_kind: Mapped[str] = mapped_column(String(16), default="everywhere")  # everywhere | rule | policy
    scope_id: Mapped[str | None] = mapped_column(RULE)  # rule id glob or policy id
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class IgnoreRule(Base):
    """Do not alert for rules matching ``rule`` (a glob) on one agent, one app, or everywhere."""

    __tablename__ = "ignore_rules"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule: Mapped[str] = mapped_column(RULE)
    target_kind: Mapped[str] = mapped_column(String(16))  # agent | app | everywhere
    target_id: Mapped[str | None] = mapped_column(ID)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)


class OrgRule(Base):
    """An organisation's own rule ``custom.<slug>``: regexes or keywords; draft until enabled."""

    __tablename__ = "org_rules"
    __table_args__ = (UniqueConstraint("rule_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rule_id: Mapped[str] = mapped_column(RULE)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(16))  # regex | keyword
    patterns: Mapped[list[Any]]
    severity: Mapped[str] = mapped_column(String(16), default="medium")
    status: Mapped[str] = mapped_column(String(16), default="draft")  # draft | enabled | disabled
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)


class ScanState(Base):
    """What was last scanned of one stored item: its content hash and the detection fingerprint used."""

    __tablename__ = "scan_state"
    __table_args__ = (UniqueConstraint("integration_id", "item_kind", "item_row_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"))
    item_kind: Mapped[str] = mapped_column(String(32))
    item_row_id: Mapped[int] = mapped_column(BigId)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    scanned_at: Mapped[datetime] = mapped_column(default=utc_now)


class RescanJob(Base):
    """A queued rescan (aiwatch.pipeline.rescan); ``position`` is the last row id done per (integration,
    item kind) so whoever picks the job up next resumes there. A worker holds it by a lease: ``claimed_by``
    and a ``heartbeat_at`` renewed with every batch; a job whose heartbeat is older than the lease is
    claimable again."""

    __tablename__ = "rescan_jobs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    rules_glob: Mapped[str | None] = mapped_column(Text)
    # pending | running | done | failed | cancelled
    status: Mapped[str] = mapped_column(String(16), default="pending")
    total: Mapped[int] = mapped_column(Integer, default=0)
    done: Mapped[int] = mapped_column(Integer, default=0)
    position: Mapped[dict[str, Any] | None]
    message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))  # the worker holding the lease
    heartbeat_at: Mapped[datetime | None]  # the lease: renewed in every batch's transaction
    started_at: Mapped[datetime | None]  # first claimed
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # times claimed (> 1: resumed)
    rate: Mapped[float | None] = mapped_column(Float)  # items/s of the recent batches
    requested_by: Mapped[str | None] = mapped_column(String(200))


class UserGroup(Base):
    """An aiwatch-defined group of workspace users (the Compliance API has none), resolved by email.

    Members are explicit addresses and/or ``fnmatch`` patterns such as ``*@finance.example.com``; both are
    compared case-insensitively with the synced user's email. A policy or rule scope may list groups by id.
    """

    __tablename__ = "user_groups"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    emails: Mapped[list[Any]]  # explicit addresses, lower-cased
    patterns: Mapped[list[Any]]  # email globs, lower-cased
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
