"""Records alerts and groups them into findings; triage. The grouping rule is documented in models.py."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from aiwatch.domain import Severity
from aiwatch.findings.models import Alert, Finding
from aiwatch.findings.policy import PolicySnapshot
from aiwatch.findings.types import AlertInput, RecordResult, Resolution

FINDING_WINDOW = timedelta(days=7)
MAX_EVIDENCE_SAMPLES = 5
MAX_VALUE_HASHES = 50


class FindingError(ValueError):
    """A triage request that cannot be applied (unknown finding, bad resolution)."""


def record_alerts(
    session: Session, alerts: Iterable[AlertInput], policy: PolicySnapshot | None = None
) -> RecordResult:
    """Store new alerts (an alert already recorded for the same item, rule, field and span is skipped) and
    attach each unsuppressed one to its finding. The caller commits (alerts and scan state commit together).
    """
    policy = policy or PolicySnapshot.load(session)
    result = RecordResult()
    seen: set[tuple[object, ...]] = set()
    for alert in alerts:
        key = (
            alert.integration_id,
            alert.item_kind,
            alert.item_id,
            alert.rule,
            alert.field,
            alert.start,
            alert.end,
        )
        if key in seen or _exists(session, alert):
            result.duplicates += 1
            continue
        seen.add(key)
        suppressed = _suppression(policy, alert)
        severity = policy.severity(alert.rule, alert.severity)
        row = Alert(
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
        if suppressed is None:
            finding = _finding_for(session, policy, alert, severity)
            row.finding_id = finding.id
            result.created += 1
            result.findings_touched.add(finding.id)
        else:
            result.suppressed += 1
        session.add(row)
    session.flush()
    return result


def _exists(session: Session, alert: AlertInput) -> bool:
    return (
        session.scalar(
            select(Alert.id).where(
                Alert.integration_id == alert.integration_id,
                Alert.item_kind == alert.item_kind,
                Alert.item_id == alert.item_id,
                Alert.rule == alert.rule,
                Alert.field == alert.field,
                Alert.start == alert.start,
                Alert.end == alert.end,
            )
        )
        is not None
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


def _finding_for(session: Session, policy: PolicySnapshot, alert: AlertInput, severity: Severity) -> Finding:
    candidates = list(
        session.scalars(
            select(Finding)
            .where(
                Finding.integration_id == alert.integration_id,
                Finding.subject_kind == alert.subject_kind,
                Finding.subject_id == alert.subject_id,
                Finding.rule == alert.rule,
                Finding.status == "open",
            )
            .order_by(Finding.first_seen)
        )
    )
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
    session.flush()
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
