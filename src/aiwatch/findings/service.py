"""Records alerts and groups them into findings; triage. The grouping rule is documented in models.py."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from aiwatch.domain import Severity
from aiwatch.findings.models import Alert, Finding
from aiwatch.findings.policy import PolicySnapshot
from aiwatch.findings.types import AlertInput, RecordResult, Resolution

FINDING_WINDOW = timedelta(days=7)
MAX_EVIDENCE_SAMPLES = 5
MAX_VALUE_HASHES = 50
T = TypeVar("T")


class FindingError(ValueError):
    """A triage request that cannot be applied (unknown finding, bad resolution)."""


AlertKey = tuple[int, str, str, str, str, int, int]
SubjectRule = tuple[int, str, str, str]
IN_CHUNK = 500  # ids per IN (...) list: well below SQLite's bound-parameter limit


def record_alerts(
    session: Session, alerts: Iterable[AlertInput], policy: PolicySnapshot | None = None
) -> RecordResult:
    """Store new alerts (an alert already recorded for the same item, rule, field and span is skipped) and
    attach each unsuppressed one to its finding. The caller commits (alerts and scan state commit together).

    Batched: one query for the alerts already stored for these items and one for the open findings of these
    (subject, rule) pairs, whatever the number of alerts; the grouping is the same as alert by alert.
    """
    policy = policy or PolicySnapshot.load(session)
    result = RecordResult()
    fresh: list[AlertInput] = []
    seen: set[AlertKey] = set()
    for alert in alerts:
        key = _key(alert)
        if key in seen:
            result.duplicates += 1
            continue
        seen.add(key)
        fresh.append(alert)
    if not fresh:
        return result
    stored = _stored_keys(session, fresh)
    rows: list[Alert] = []  # in input order, as alert by alert
    joining: list[tuple[Alert, AlertInput, Severity]] = []
    for alert in fresh:
        if _key(alert) in stored:
            result.duplicates += 1
            continue
        suppressed = _suppression(policy, alert)
        severity = policy.severity(alert.rule, alert.severity)
        row = _alert_row(alert, severity, suppressed)
        rows.append(row)
        if suppressed is None:
            joining.append((row, alert, severity))
        else:
            result.suppressed += 1
    if joining:
        groups = _open_findings(session, [alert for _, alert, _ in joining])
        chosen = [_join_finding(session, groups, policy, alert, sev) for _, alert, sev in joining]
        session.flush()  # the findings opened here get their ids
        for (row, _, _), finding in zip(joining, chosen, strict=True):
            row.finding_id = finding.id
            result.findings_touched.add(finding.id)
        result.created += len(joining)
    session.add_all(rows)
    session.flush()
    return result


def _key(alert: AlertInput) -> AlertKey:
    return (
        alert.integration_id,
        alert.item_kind,
        alert.item_id,
        alert.rule,
        alert.field,
        alert.start,
        alert.end,
    )


def _stored_keys(session: Session, alerts: list[AlertInput]) -> set[AlertKey]:
    """Keys of the alerts already stored for the items of ``alerts`` (the unique constraint's columns)."""
    items: dict[tuple[int, str], set[str]] = defaultdict(set)
    for alert in alerts:
        items[(alert.integration_id, alert.item_kind)].add(alert.item_id)
    clauses = [
        and_(Alert.integration_id == integration, Alert.item_kind == kind, Alert.item_id.in_(chunk))
        for (integration, kind), ids in items.items()
        for chunk in _chunks(sorted(ids))
    ]
    columns = (
        Alert.integration_id,
        Alert.item_kind,
        Alert.item_id,
        Alert.rule,
        Alert.field,
        Alert.start,
        Alert.end,
    )
    found: set[AlertKey] = set()
    for part in _chunks(clauses, 20):  # a handful of clauses per statement keeps the SQL small
        found.update(tuple(row) for row in session.execute(select(*columns).where(or_(*part))))  # type: ignore[misc]
    return found


def _open_findings(session: Session, alerts: list[AlertInput]) -> dict[SubjectRule, list[Finding]]:
    """Open findings per (integration, subject kind, subject id, rule) of ``alerts``."""
    wanted = {_subject_rule(alert) for alert in alerts}
    subjects: dict[tuple[int, str], set[str]] = defaultdict(set)
    for integration, subject_kind, subject_id, _rule in wanted:
        subjects[(integration, subject_kind)].add(subject_id)
    rules = sorted({alert.rule for alert in alerts})
    groups: dict[SubjectRule, list[Finding]] = defaultdict(list)
    for (integration, subject_kind), ids in subjects.items():
        for chunk in _chunks(sorted(ids)):
            query = (
                select(Finding)
                .where(
                    Finding.integration_id == integration,
                    Finding.subject_kind == subject_kind,
                    Finding.subject_id.in_(chunk),
                    Finding.rule.in_(rules),
                    Finding.status == "open",
                )
                .order_by(Finding.first_seen, Finding.id)
            )
            for finding in session.scalars(query):
                key = (finding.integration_id, finding.subject_kind, finding.subject_id, finding.rule)
                if key in wanted:  # subjects x rules is a superset of the pairs asked for
                    groups[key].append(finding)
    return groups


def _subject_rule(alert: AlertInput) -> SubjectRule:
    return (alert.integration_id, alert.subject_kind, alert.subject_id, alert.rule)


def _chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    for index in range(0, len(values), size):
        yield values[index : index + size]


def _alert_row(alert: AlertInput, severity: Severity, suppressed: str | None) -> Alert:
    return Alert(
        integration_id=alert.integration_id,
        rule=alert.rule,
        item_kind=alert.item_kind,
        item_id=alert.item_id,
        subject_kind=alert.subject_kind,
        subject_id=alert.subject_id,
        field=alert.field,
        start=alert.start,
        end=alert.end,
        evidence=alert.evidence,
        value_hash=alert.value_hash,
        score=float(alert.score),
        severity=str(severity),
        detector_version=alert.detector_version,
        app_id=alert.app_id,
        agent_id=alert.agent_id,
        details=alert.details or None,
        observed_at=alert.observed_at,
        suppressed_by=suppressed,
    )


def _suppression(policy: PolicySnapshot, alert: AlertInput) -> str | None:
    if not policy.enabled(alert.rule):
        return "rule_disabled"
    user_id = alert.subject_id if alert.subject_kind == "user" else None
    if not policy.in_scope(alert.rule, alert.integration_id, alert.agent_id, user_id, alert.app_id):
        return "out_of_scope"
    return policy.suppression(
        alert.rule,
        value_hash=alert.value_hash,
        matched=alert.matched_text,
        context=alert.context_text or alert.matched_text,
        agent_id=alert.agent_id,
        app_id=alert.app_id,
    )


def _join_finding(
    session: Session,
    groups: dict[SubjectRule, list[Finding]],
    policy: PolicySnapshot,
    alert: AlertInput,
    severity: Severity,
) -> Finding:
    """The open finding the alert joins (opened when none fits), updated with it. ``groups`` holds the open
    findings of the batch's (subject, rule) pairs and gains the findings opened here."""
    candidates = groups[_subject_rule(alert)]
    candidates.sort(key=lambda f: _aware(f.first_seen))  # first_seen moves as alerts join; stable on ties
    observed = _aware(alert.observed_at)
    chosen = None
    if alert.value_hash:
        chosen = next((f for f in candidates if alert.value_hash in (f.value_hashes or [])), None)
    if chosen is None:
        chosen = next((f for f in candidates if abs(observed - _aware(f.first_seen)) < FINDING_WINDOW), None)
    if chosen is None:
        policy_id, group = policy.policy_and_group(alert.rule)
        chosen = Finding(
            integration_id=alert.integration_id,
            rule=alert.rule,
            policy=policy_id,
            group=group,
            subject_kind=alert.subject_kind,
            subject_id=alert.subject_id,
            agent_id=alert.agent_id,
            severity=str(severity),
            status="open",
            alert_count=0,
            first_seen=observed,
            last_seen=observed,
            evidence_samples=[],
            value_hashes=[],
        )
        session.add(chosen)
        candidates.append(chosen)
    chosen.alert_count = (chosen.alert_count or 0) + 1
    chosen.first_seen = min(_aware(chosen.first_seen), observed)
    chosen.last_seen = max(_aware(chosen.last_seen), observed)
    if severity.rank > Severity(chosen.severity).rank:
        chosen.severity = str(severity)
    samples = list(chosen.evidence_samples or [])
    if alert.evidence not in samples and len(samples) < MAX_EVIDENCE_SAMPLES:
        chosen.evidence_samples = [*samples, alert.evidence]
    hashes = list(chosen.value_hashes or [])
    if alert.value_hash and alert.value_hash not in hashes and len(hashes) < MAX_VALUE_HASHES:
        chosen.value_hashes = [*hashes, alert.value_hash]
    return chosen


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# --- triage ------------------------------------------------------------------------------------------------


def parse_resolution(value: str) -> Resolution:
    normalised = value.strip().lower().replace("-", "_")
    try:
        resolution = Resolution(normalised)
    except ValueError:
        raise FindingError(
            f"unknown resolution {value!r}: use true-positive, benign or false-positive"
        ) from None
    if resolution is Resolution.POLICY_CHANGED:
        raise FindingError(
            "policy-changed is set by aiwatch itself; use true-positive, benign or false-positive"
        )
    return resolution


def resolve(
    session: Session,
    finding_ids: Sequence[int],
    resolution: Resolution | str,
    *,
    reason: str,
    by: str | None = None,
) -> list[Finding]:
    """Resolve findings (one or many: bulk triage). Unknown ids fail the whole request."""
    resolution = resolution if isinstance(resolution, Resolution) else parse_resolution(resolution)
    if not reason or not reason.strip():
        raise FindingError("give a reason for the resolution (--reason)")
    ids = sorted(set(finding_ids))
    if not ids:
        raise FindingError("no finding ids given")
    findings = list(session.scalars(select(Finding).where(Finding.id.in_(ids))))
    missing = set(ids) - {f.id for f in findings}
    if missing:
        raise FindingError(f"no finding with id {', '.join(str(m) for m in sorted(missing))}")
    now = datetime.now(UTC)
    for finding in findings:
        finding.status = "resolved"
        finding.resolution = str(resolution)
        finding.resolution_reason = reason.strip()
        finding.resolved_by = by
        finding.resolved_at = now
    session.flush()
    return findings


def reopen(session: Session, finding_id: int) -> Finding:
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise FindingError(f"no finding with id {finding_id}")
    finding.status = "open"
    finding.resolution = finding.resolution_reason = finding.resolved_by = None
    finding.resolved_at = None
    session.flush()
    return finding


def close_disabled(session: Session, policy: PolicySnapshot) -> int:
    """Open findings of rules that are now disabled are resolved as ``policy_changed``; returns how many."""
    now = datetime.now(UTC)
    closed = 0
    for finding in session.scalars(select(Finding).where(Finding.status == "open")):
        if policy.enabled(finding.rule):
            continue
        finding.status = "resolved"
        finding.resolution = str(Resolution.POLICY_CHANGED)
        finding.resolution_reason = "the rule was disabled"
        finding.resolved_by = "aiwatch"
        finding.resolved_at = now
        closed += 1
    session.flush()
    return closed
