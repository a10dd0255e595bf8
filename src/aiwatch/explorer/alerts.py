"""Alerts over time: counts per policy, rule and day in a time frame (with suppressions and the trend against
the previous frame), the filtered alert list, and one rule's activity.

Alerts carry only their rule; the policy and group come from the detection catalog (plus organisation rules
and the posture/activity producers), the same mapping the findings pipeline uses.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from aiwatch.activity.rules import ACTIVITY_RULES
from aiwatch.detection.catalog import Catalog
from aiwatch.explorer.frames import Frame, day_bucket
from aiwatch.findings.models import Alert
from aiwatch.findings.policy import PolicySnapshot, catalog_with
from aiwatch.findings.queries import alert_json
from aiwatch.posture.rules import POSTURE_RULES

# Names of the policies whose rules are not in the detection catalog.
_POLICY_NAMES = {
    "agent_posture": "Agent posture",
    "suspicious_activity": "Suspicious activity",
    "organisation": "Organisation rules",
    "other": "Other",
}
# suppressed_by values are "<kind>" or "<kind>:<id>"; the pipeline's own names map to the documented reasons.
_REASON_ALIASES = {"out_of_scope": "scope", "rule_disabled": "disabled"}
SUPPRESSION_REASONS = ("exclusion", "ignore", "scope", "test_value", "disabled")


def suppression_reason(suppressed_by: str | None) -> str | None:
    """``exclusion:3`` → ``exclusion``, ``out_of_scope`` → ``scope``; None for an unsuppressed alert."""
    if not suppressed_by:
        return None
    head = suppressed_by.split(":", 1)[0]
    return _REASON_ALIASES.get(head, head)


@dataclass(frozen=True)
class RuleInfo:
    id: str
    name: str
    policy: str
    policy_name: str
    group: str
    known: bool  # in the catalog, an organisation rule, or a posture/activity rule


class RuleBook:
    """Rule → name, policy and group, read once per request (organisation rules included, even drafts)."""

    def __init__(self, session: Session) -> None:
        self._snapshot = PolicySnapshot.load(session)
        self._catalog: Catalog = catalog_with(self._snapshot.org_rules)
        self._cache: dict[str, RuleInfo] = {}

    def info(self, rule: str) -> RuleInfo:
        if rule not in self._cache:
            self._cache[rule] = self._lookup(rule)
        return self._cache[rule]

    def _lookup(self, rule: str) -> RuleInfo:
        spec = self._catalog.get(rule)
        if spec is not None:
            policy = self._catalog.policy_of[rule]
            return RuleInfo(rule, spec.name, policy.id, policy.name, self._catalog.group_of[rule], True)
        policy_id, group = self._snapshot.policy_and_group(rule)
        known = rule in POSTURE_RULES or rule in ACTIVITY_RULES
        name = rule.split(".", 1)[-1].replace("_", " ").capitalize()
        return RuleInfo(rule, name, policy_id, _POLICY_NAMES.get(policy_id, policy_id), group, known)


@dataclass
class Trend:
    current: int
    previous: int

    @property
    def delta(self) -> int:
        return self.current - self.previous

    @property
    def percent(self) -> int | None:
        """Change in percent, None when the previous frame had nothing (any count is then new)."""
        if self.previous == 0:
            return None
        return round(100 * self.delta / self.previous)

    def as_dict(self) -> dict[str, Any]:
        return {
            "current": self.current,
            "previous": self.previous,
            "delta": self.delta,
            "percent": self.percent,
        }


@dataclass
class CountRow:
    """Counts of one rule or one policy in the frame. ``alerts`` are unsuppressed alerts (the ones findings
    are made of); ``suppressed`` were recorded but held back, counted per reason."""

    alerts: int = 0
    suppressed: int = 0
    previous: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    per_day: Counter[str] = field(default_factory=Counter)

    @property
    def trend(self) -> Trend:
        return Trend(self.alerts, self.previous)

    def add(self, day: str, reason: str | None, count: int) -> None:
        if reason is None:
            self.alerts += count
            self.per_day[day] += count
        else:
            self.suppressed += count
            self.reasons[reason] += count


@dataclass
class RuleCount(CountRow):
    info: RuleInfo | None = None


@dataclass
class PolicyCount(CountRow):
    id: str = ""
    name: str = ""
    group: str = ""
    rules: list[RuleCount] = field(default_factory=list)


@dataclass
class AlertStats:
    frame: Frame
    days: list[str]
    policies: list[PolicyCount]
    totals: CountRow

    def per_day(self) -> list[tuple[str, int]]:
        return [(day, self.totals.per_day[day]) for day in self.days]

    def stacked(self) -> list[tuple[str, list[int]]]:
        """Per policy (in table order) its count for every day: the series of a stacked chart."""
        return [(p.name, [p.per_day[day] for day in self.days]) for p in self.policies if p.alerts]

    def as_dict(self) -> dict[str, Any]:
        def counts(row: CountRow) -> dict[str, Any]:
            return {
                "alerts": row.alerts,
                "suppressed": row.suppressed,
                "suppressed_by": dict(sorted(row.reasons.items())),
                "trend": row.trend.as_dict(),
                "per_day": [{"day": day, "alerts": row.per_day[day]} for day in self.days],
            }

        return {
            "frame": self.frame.name,
            "since": self.frame.since.isoformat(),
            "until": self.frame.until.isoformat(),
            "totals": counts(self.totals),
            "policies": [
                {
                    "policy": p.id,
                    "name": p.name,
                    "group": p.group,
                    **counts(p),
                    "rules": [
                        {"rule": r.info.id, "name": r.info.name, **counts(r)} for r in p.rules if r.info
                    ],
                }
                for p in self.policies
            ],
        }


def _in(query: Select[Any], since: datetime, until: datetime) -> Select[Any]:
    return query.where(Alert.observed_at >= since, Alert.observed_at < until)


def alert_stats(session: Session, frame: Frame, book: RuleBook | None = None) -> AlertStats:
    """Counts per policy → rule in the frame (per day, suppressed per reason) and the previous frame's."""
    book = book or RuleBook(session)
    day = day_bucket(session, Alert.observed_at).label("day")
    current = session.execute(
        _in(select(day, Alert.rule, Alert.suppressed_by, func.count()), frame.since, frame.until).group_by(
            day, Alert.rule, Alert.suppressed_by
        )
    ).all()
    before = frame.previous
    previous = session.execute(
        _in(select(Alert.rule, func.count()), before.since, before.until)
        .where(Alert.suppressed_by.is_(None))
        .group_by(Alert.rule)
    ).all()
    rules: dict[str, RuleCount] = {}
    totals = CountRow()
    for bucket, rule, suppressed_by, count in current:
        row = rules.setdefault(rule, RuleCount(info=book.info(rule)))
        row.add(str(bucket), suppression_reason(suppressed_by), int(count))
        totals.add(str(bucket), suppression_reason(suppressed_by), int(count))
    for rule, count in previous:
        rules.setdefault(rule, RuleCount(info=book.info(rule))).previous += int(count)
        totals.previous += int(count)
    policies: dict[str, PolicyCount] = {}
    for row in rules.values():
        info = row.info
        assert info is not None
        policy = policies.setdefault(
            info.policy, PolicyCount(id=info.policy, name=info.policy_name, group=info.group)
        )
        policy.rules.append(row)
        policy.alerts += row.alerts
        policy.suppressed += row.suppressed
        policy.previous += row.previous
        policy.reasons.update(row.reasons)
        policy.per_day.update(row.per_day)
    ordered = sorted(policies.values(), key=lambda p: (-p.alerts, -p.suppressed, p.name))
    for policy in ordered:
        policy.rules.sort(key=lambda r: (-r.alerts, -r.suppressed, r.info.id if r.info else ""))
    return AlertStats(frame, frame.days(), ordered, totals)


@dataclass
class AlertFilter:
    rule: str | None = None  # exact id, or a glob such as "secret.*"
    policy: str | None = None
    group: str | None = None
    subject: str | None = None  # a user or agent id
    suppressed: bool | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    offset: int = 0


def _filtered(session: Session, f: AlertFilter, book: RuleBook) -> Select[Any] | None:
    """The WHERE clauses of the filter on ``select(Alert)``; None when the policy/group matches no rule."""
    query = select(Alert)
    if f.rule:
        if "*" in f.rule:  # a glob: "*" is the only wildcard, "_" and "%" in rule ids are literal
            escaped = f.rule.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            query = query.where(Alert.rule.like(escaped.replace("*", "%"), escape="\\"))
        else:
            query = query.where(Alert.rule == f.rule)
    if f.policy or f.group:
        # Policy and group are not stored on alerts: the rules seen in alerts that belong to them.
        seen = session.scalars(select(Alert.rule).distinct()).all()
        rules = [
            r
            for r in seen
            if (not f.policy or book.info(r).policy == f.policy)
            and (not f.group or book.info(r).group == f.group)
        ]
        if not rules:
            return None
        query = query.where(Alert.rule.in_(rules))
    if f.subject:
        query = query.where(Alert.subject_id == f.subject)
    if f.suppressed is not None:
        query = query.where(
            Alert.suppressed_by.is_not(None) if f.suppressed else Alert.suppressed_by.is_(None)
        )
    if f.since:
        query = query.where(Alert.observed_at >= f.since)
    if f.until:
        query = query.where(Alert.observed_at < f.until)
    return query


def list_alerts(
    session: Session, f: AlertFilter | None = None, book: RuleBook | None = None
) -> tuple[list[dict[str, Any]], int]:
    """One page of alerts, newest first, as dicts (masked evidence only) and the total matching the filter."""
    f = f or AlertFilter()
    if f.limit < 1 or f.limit > 1000 or f.offset < 0:
        raise ValueError("limit must be 1..1000 and offset >= 0")
    book = book or RuleBook(session)
    query = _filtered(session, f, book)
    if query is None:
        return [], 0
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.scalars(
        query.order_by(Alert.observed_at.desc(), Alert.id.desc()).limit(f.limit).offset(f.offset)
    ).all()
    return [alert_dict(row, book) for row in rows], total


def alert_dict(alert: Alert, book: RuleBook) -> dict[str, Any]:
    info = book.info(alert.rule)
    return {
        **alert_json(alert),
        "rule_name": info.name,
        "policy": info.policy,
        "group": info.group,
        "subject": {"kind": alert.subject_kind, "id": alert.subject_id},
        "agent_id": alert.agent_id,
        "app_id": alert.app_id,
        "suppression_reason": suppression_reason(alert.suppressed_by),
    }


@dataclass
class RuleActivity:
    info: RuleInfo
    frame: Frame
    days: list[str]
    counts: CountRow

    def per_day(self) -> list[tuple[str, int]]:
        return [(day, self.counts.per_day[day]) for day in self.days]


def rule_activity(
    session: Session, rule: str, frame: Frame, book: RuleBook | None = None
) -> RuleActivity | None:
    """One rule's alerts per day in the frame; None for a rule that is unknown and never alerted."""
    book = book or RuleBook(session)
    info = book.info(rule)
    if not info.known and session.scalar(select(Alert.id).where(Alert.rule == rule).limit(1)) is None:
        return None
    day = day_bucket(session, Alert.observed_at).label("day")
    counts = CountRow()
    rows = session.execute(
        _in(select(day, Alert.suppressed_by, func.count()), frame.since, frame.until)
        .where(Alert.rule == rule)
        .group_by(day, Alert.suppressed_by)
    ).all()
    for bucket, suppressed_by, count in rows:
        counts.add(str(bucket), suppression_reason(suppressed_by), int(count))
    before = frame.previous
    counts.previous = int(
        session.scalar(
            _in(select(func.count()), before.since, before.until)
            .select_from(Alert)
            .where(Alert.rule == rule, Alert.suppressed_by.is_(None))
        )
        or 0
    )
    return RuleActivity(info, frame, frame.days(), counts)
