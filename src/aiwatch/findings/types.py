"""The alert ingest contract: what the pipeline (and posture/activity rules) hand to ``record_alerts``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from aiwatch.domain import Severity

ITEM_KINDS = ("message", "conversation", "file", "agent_config", "memory", "canvas_version", "log_event")
SUBJECT_KINDS = ("user", "agent")
FINDING_STATUSES = ("open", "resolved")


class Resolution(StrEnum):
    TRUE_POSITIVE = "true_positive"
    BENIGN = "benign"
    FALSE_POSITIVE = "false_positive"
    POLICY_CHANGED = "policy_changed"  # closed automatically: its rule was disabled or rescoped


@dataclass(frozen=True)
class AlertInput:
    """One detection in one stored item. ``evidence`` is already masked; never pass a clear value.

    ``matched_text`` and ``context_text`` (optional, clear, never stored) let regex exclusions look at the
    clear match and keyword exclusions at its surroundings; without them only exclusions by value hash apply.
    """

    integration_id: int
    rule: str
    item_kind: str
    item_id: str
    subject_kind: str
    subject_id: str
    severity: Severity | str
    score: float
    start: int
    end: int
    evidence: str
    value_hash: str | None = None
    field: str = ""
    detector_version: str = ""
    observed_at: datetime = dataclasses.field(default_factory=lambda: datetime.now(UTC))
    app_id: str | None = None
    agent_id: str | None = None
    details: dict[str, Any] = dataclasses.field(default_factory=dict)
    matched_text: str | None = dataclasses.field(default=None, repr=False, compare=False)
    context_text: str | None = dataclasses.field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.item_kind not in ITEM_KINDS:
            raise ValueError(f"item_kind {self.item_kind!r} must be one of {', '.join(ITEM_KINDS)}")
        if self.subject_kind not in SUBJECT_KINDS:
            raise ValueError(f"subject_kind {self.subject_kind!r} must be user or agent")
        Severity(self.severity)  # raises on an unknown severity
        if not self.rule or not self.subject_id or not self.item_id:
            raise ValueError("an alert needs a rule, an item id and a subject id")
        if self.start < 0 or self.end < self.start:
            raise ValueError(f"bad span {self.start}..{self.end}")


@dataclass
class RecordResult:
    created: int = 0  # new alerts that joined (or opened) a finding
    suppressed: int = 0  # new alerts kept but suppressed (exclusion, ignore rule, disabled rule)
    duplicates: int = 0  # alerts already recorded for that item and span
    findings_touched: set[int] = dataclasses.field(default_factory=set)

    def add(self, other: RecordResult) -> None:
        self.created += other.created
        self.suppressed += other.suppressed
        self.duplicates += other.duplicates
        self.findings_touched |= other.findings_touched
