"""REST API: findings (list, detail, alerts, triage, reveal, dashboard numbers) and the triage actions the
pages share. Every triage action and every reveal writes the audit log; revealed values never reach it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aiwatch.config import ConfigError
from aiwatch.domain import Severity
from aiwatch.findings.dashboard import dashboard_stats, parse_frame, rule_info
from aiwatch.findings.manage import PolicyError, add_exclusion
from aiwatch.findings.models import Alert, Exclusion, Finding
from aiwatch.findings.queries import (
    SORTABLE,
    FindingFilter,
    Revealed,
    alert_json,
    finding_detail,
    finding_json,
    list_alerts,
    list_findings,
    masked_context,
    resolve_subject,
    reveal_value,
    subject_labels,
)
from aiwatch.findings.service import FindingError, parse_resolution, reopen, resolve
from aiwatch.web.accounts import Principal, Role
from aiwatch.web.auth import require

router = APIRouter(prefix="/api", tags=["findings"])

STATUSES = ("open", "resolved")
SEVERITIES = tuple(str(s) for s in Severity)
MAX_BULK = 500


# --- filters shared with the pages -------------------------------------------------------------------------


def parse_when(value: str | None, *, end_of_day: bool = False) -> datetime | None:
    """An ISO date or date-time (naive = UTC). A bare date as an upper bound means the end of that day."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD or an ISO date-time)") from None
    if end_of_day and len(text) == 10:
        parsed = datetime.combine(parsed.date(), time.max)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def build_filter(
    session: Session,
    *,
    status: str | None = None,
    severity: list[str] | None = None,
    group: str | None = None,
    policy: str | None = None,
    rule: str | None = None,
    subject: str | None = None,
    agent: str | None = None,
    since: str | None = None,
    until: str | None = None,
    q: str | None = None,
    sort: str = "last_seen",
    order: str = "desc",
    limit: int = 50,
    offset: int = 0,
) -> FindingFilter:
    """The list filter from query values; ValueError says which value is wrong and what is accepted."""
    if status and status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    severities = [s.strip().lower() for s in severity or [] if s.strip()]
    unknown = [s for s in severities if s not in SEVERITIES]
    if unknown:
        raise ValueError(f"unknown severity {unknown[0]!r}; use {', '.join(SEVERITIES)}")
    sort = "subject_id" if sort == "subject" else sort
    if sort not in SORTABLE:
        raise ValueError(
            f"cannot sort by {sort!r}; use one of {', '.join(sorted(SORTABLE - {'subject_id'}))}, subject"
        )
    if order not in ("asc", "desc"):
        raise ValueError("order must be asc or desc")
    start, end = parse_when(since), parse_when(until, end_of_day=True)
    if start and end and start > end:
        raise ValueError("the start date is after the end date")
    return FindingFilter(
        status=status or None,
        severity=severities,
        group=group or None,
        policy=policy or None,
        rule=rule or None,
        subject_id=resolve_subject(session, subject) if subject and subject.strip() else None,
        agent_id=agent or None,
        since=start,
        until=end,
        text=q.strip() if q and q.strip() else None,
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
    )


# --- actions (API and pages) -------------------------------------------------------------------------------


class FindingActions:
    """Triage, reveal and exclusion for one caller: each does the change, commits and writes the audit log."""

    def __init__(self, request: Request, principal: Principal) -> None:
        state = request.app.state
        self.sessions = state.sessions
        self.audit = state.audit
        self.settings = state.settings
        self.principal = principal
        self.source_ip = request.client.host if request.client else None

    def _record(self, action: str, target: str, details: dict[str, Any]) -> None:
        self.audit.record(self.principal.actor, action, target, details, self.source_ip)

    def _hasher(self) -> Callable[[str], str] | None:
        """The installation's keyed hash (what the engine hashed values with); None when no key is set up."""
        from aiwatch.pipeline.runner import value_hasher

        try:
            return value_hasher(self.settings)
        except (ConfigError, OSError):
            return None

    def resolve(self, ids: list[int], resolution: str, reason: str) -> list[int]:
        """Resolve one finding (``finding.resolve``) or several (``finding.bulk_resolve``)."""
        try:
            value = parse_resolution(resolution)
            with self.sessions.begin() as session:
                done = [f.id for f in resolve(session, ids, value, reason=reason, by=self.principal.actor)]
        except FindingError as exc:
            raise HTTPException(404 if str(exc).startswith("no finding with id") else 422, str(exc)) from exc
        details = {"resolution": str(value), "reason": reason.strip()}
        if len(ids) == 1:
            self._record("finding.resolve", f"finding:{done[0]}", details)
        else:
            self._record("finding.bulk_resolve", f"findings:{len(done)}", {**details, "ids": done})
        return done

    def reopen(self, finding_id: int) -> None:
        try:
            with self.sessions.begin() as session:
                reopen(session, finding_id)
        except FindingError as exc:
            raise HTTPException(404, str(exc)) from exc
        self._record("finding.reopen", f"finding:{finding_id}", {})

    def _alert(self, session: Session, finding_id: int, alert_id: int) -> Alert:
        if session.get(Finding, finding_id) is None:
            raise HTTPException(404, f"no finding with id {finding_id}")
        alert = session.get(Alert, alert_id)
        if alert is None or alert.finding_id != finding_id:
            raise HTTPException(404, f"finding {finding_id} has no alert {alert_id}")
        return alert

    def reveal(self, finding_id: int, alert_id: int) -> Revealed:
        """The clear value; audited as ``evidence.reveal`` (ids and outcome only, never the value)."""
        with self.sessions() as session:
            alert = self._alert(session, finding_id, alert_id)
            revealed = reveal_value(session, alert, self._hasher())
        self._record(
            "evidence.reveal",
            f"finding:{finding_id}",
            {"finding_id": finding_id, "alert_id": alert_id, "shown": revealed.value is not None},
        )
        return revealed

    def exclude(self, finding_id: int, alert_id: int, note: str | None = None) -> Exclusion:
        """An exact-value exclusion of the alert's value for the finding's rule (``exclusion.add``)."""
        with self.sessions.begin() as session:
            alert = self._alert(session, finding_id, alert_id)
            if not alert.value_hash:
                raise HTTPException(
                    422, "this alert has no value hash (posture or activity evidence): use an ignore rule"
                )
            rule = alert.rule
            try:
                # The alert already holds the engine's keyed hash of the value: store that hash as is, so the
                # clear value is never read for this (identity hasher).
                row = add_exclusion(
                    session,
                    "value",
                    alert.value_hash,
                    hasher=lambda stored: stored,
                    scope_kind="rule",
                    scope_id=rule,
                    note=note or f"excluded from finding {finding_id}",
                    by=self.principal.actor,
                )
            except PolicyError as exc:
                raise HTTPException(422, str(exc)) from exc
            session.expunge(row)
        self._record(
            "exclusion.add",
            f"exclusion:{row.id}",
            {"kind": "value", "rule": rule, "finding_id": finding_id, "alert_id": alert_id},
        )
        return row


# --- models ------------------------------------------------------------------------------------------------


class SubjectOut(BaseModel):
    kind: str
    id: str
    label: str | None = None


class FindingOut(BaseModel):
    id: int
    integration_id: int
    rule: str
    policy: str
    group: str
    severity: str
    status: str
    subject: SubjectOut
    agent_id: str | None
    agent_name: str | None = None
    alert_count: int
    first_seen: datetime
    last_seen: datetime
    evidence_samples: list[str]
    resolution: str | None
    resolution_reason: str | None
    resolved_by: str | None
    resolved_at: datetime | None


class FindingPage(BaseModel):
    items: list[FindingOut]
    total: int
    limit: int
    offset: int


class FindingAlertOut(BaseModel):
    id: int
    rule: str
    item: dict[str, str]
    span: list[int]
    evidence: str
    severity: str
    score: float
    observed_at: datetime
    suppressed_by: str | None
    finding_id: int | None


class FindingAlertPage(BaseModel):
    items: list[FindingAlertOut]
    total: int
    limit: int
    offset: int


class FindingDetailOut(FindingOut):
    rule_name: str
    meaning: str
    security_context: str
    user: dict[str, str | None] | None = None
    agent: dict[str, str | None] | None = None
    alerts: list[FindingAlertOut]
    context: list[dict[str, Any]] = Field(
        description="Conversation context of message alerts: neighbouring messages as masked segments"
    )


class RiskOut(BaseModel):
    kind: str
    id: str
    label: str | None
    score: float
    findings: int


class BucketOut(BaseModel):
    bucket: str
    new: int


class StatsOut(BaseModel):
    frame: str
    since: datetime | None = Field(description="start of the frame (None: all time)")
    active: int = Field(description="findings seen at least once in the frame")
    open: int
    critical_high_open: int
    resolved: int
    resolved_pct: float | None
    new: int = Field(description="findings first seen in the frame")
    open_by_severity: dict[str, int]
    resolutions: dict[str, int]
    over_time: list[BucketOut]
    bucket: str = Field(description="hour, day or week")
    top_users: list[RiskOut]
    top_agents: list[RiskOut]


class Resolution(BaseModel):
    resolution: str = Field(description="true-positive, benign or false-positive")
    reason: str = Field(min_length=1, description="Why (shown in the finding and the audit log)")


class BulkResolution(Resolution):
    ids: list[int] = Field(min_length=1, max_length=MAX_BULK)


class Resolved(BaseModel):
    resolved: list[int]


class RevealIn(BaseModel):
    alert_id: int


class ExclusionIn(BaseModel):
    alert_id: int
    note: str | None = Field(None, max_length=500)


class ExclusionOut(BaseModel):
    id: int
    kind: str
    scope_kind: str
    scope_id: str | None
    note: str | None
    created_by: str | None


class RevealOut(BaseModel):
    finding_id: int
    alert_id: int
    value: str | None
    reason: str | None


def finding_out(finding: Finding, labels: dict[str, str | None] | None = None) -> dict[str, Any]:
    data = finding_json(finding)
    data["subject"]["label"] = (labels or {}).get("subject")
    data["agent_name"] = (labels or {}).get("agent")
    return data


def _bad(exc: ValueError) -> HTTPException:
    return HTTPException(422, str(exc))


# --- routes (fixed paths before /findings/{finding_id}) ----------------------------------------------------


@router.get("/findings/stats", response_model=StatsOut, summary="Dashboard numbers for a time frame")
def findings_stats(
    request: Request,
    frame: str = Query("7d", description="24h, 7d, 30d, 90d or all"),
    principal: Principal = require(Role.VIEWER),
) -> StatsOut:
    try:
        frame = parse_frame(frame)
    except ValueError as exc:
        raise _bad(exc) from exc
    with request.app.state.sessions() as session:
        return StatsOut(**dashboard_stats(session, frame).as_json())


@router.post("/findings/bulk-resolve", response_model=Resolved, summary="Resolve several findings")
def bulk_resolve(
    body: BulkResolution, request: Request, principal: Principal = require(Role.ANALYST)
) -> Resolved:
    return Resolved(
        resolved=FindingActions(request, principal).resolve(body.ids, body.resolution, body.reason)
    )


@router.get("/findings", response_model=FindingPage, summary="List findings")
def list_findings_api(
    request: Request,
    status: str | None = Query(None, description="open or resolved"),
    severity: list[str] = Query([], description="critical, high, medium, low (repeatable)"),
    group: str | None = None,
    policy: str | None = None,
    rule: str | None = Query(None, description="a rule id or a glob such as secret.*"),
    subject: str | None = Query(None, description="user id, user email or agent id"),
    agent: str | None = Query(None, description="agent (GPT/project) id"),
    since: str | None = Query(None, description="active on or after (ISO date or date-time)"),
    until: str | None = Query(None, description="active on or before (a bare date includes that day)"),
    q: str | None = Query(None, description="search in rule, subject and masked evidence"),
    sort: str = Query(
        "last_seen", description="last_seen, first_seen, severity, alert_count, rule, subject, id"
    ),
    order: str = Query("desc", description="asc or desc"),
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.VIEWER),
) -> FindingPage:
    with request.app.state.sessions() as session:
        try:
            query = build_filter(
                session,
                status=status,
                severity=severity,
                group=group,
                policy=policy,
                rule=rule,
                subject=subject,
                agent=agent,
                since=since,
                until=until,
                q=q,
                sort=sort,
                order=order,
                limit=limit,
                offset=offset,
            )
        except ValueError as exc:
            raise _bad(exc) from exc
        rows, total = list_findings(session, query)
        labels = subject_labels(session, rows)
        items = [FindingOut(**finding_out(f, labels[f.id])) for f in rows]
    return FindingPage(items=items, total=total, limit=limit, offset=offset)


def load_detail(session: Session, finding_id: int) -> dict[str, Any]:
    """The finding's detail for the API and the page: catalog text, labels, masked conversation context."""
    detail = finding_detail(session, finding_id)
    if detail is None:
        raise HTTPException(404, f"no finding with id {finding_id}")
    finding = session.get(Finding, finding_id)
    assert finding is not None
    masked_context(session, finding_id, detail)
    hashed = set(
        session.scalars(select(Alert.id).where(Alert.finding_id == finding_id, Alert.value_hash.is_not(None)))
    )
    for alert in detail["alerts"]:
        alert["excludable"] = alert["id"] in hashed  # only exact values (a keyed hash) can be excluded
    info = rule_info(session, finding.rule)
    detail.update(rule_name=info["name"], meaning=info["meaning"], security_context=info["security_context"])
    labels = subject_labels(session, [finding])[finding_id]
    detail["subject"]["label"] = labels["subject"]
    detail["agent_name"] = labels["agent"]
    return detail


@router.get("/findings/{finding_id}", response_model=FindingDetailOut, summary="One finding with its alerts")
def get_finding(
    finding_id: int, request: Request, principal: Principal = require(Role.VIEWER)
) -> FindingDetailOut:
    with request.app.state.sessions() as session:
        return FindingDetailOut(**load_detail(session, finding_id))


@router.get("/findings/{finding_id}/alerts", response_model=FindingAlertPage, summary="A finding's alerts")
def finding_alerts(
    finding_id: int,
    request: Request,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
    principal: Principal = require(Role.VIEWER),
) -> FindingAlertPage:
    with request.app.state.sessions() as session:
        finding = session.get(Finding, finding_id)
        if finding is None:
            raise HTTPException(404, f"no finding with id {finding_id}")
        total = session.scalar(select(func.count(Alert.id)).where(Alert.finding_id == finding_id)) or 0
        alerts = list_alerts(session, finding_id=finding_id, limit=limit, offset=offset)
        items = [FindingAlertOut(**alert_json(a)) for a in alerts]
    return FindingAlertPage(items=items, total=total, limit=limit, offset=offset)


@router.post("/findings/{finding_id}/resolve", response_model=FindingOut, summary="Resolve a finding")
def resolve_finding(
    finding_id: int, body: Resolution, request: Request, principal: Principal = require(Role.ANALYST)
) -> FindingOut:
    FindingActions(request, principal).resolve([finding_id], body.resolution, body.reason)
    return _one(request, finding_id)


@router.post("/findings/{finding_id}/reopen", response_model=FindingOut, summary="Reopen a finding")
def reopen_finding(
    finding_id: int, request: Request, principal: Principal = require(Role.ANALYST)
) -> FindingOut:
    FindingActions(request, principal).reopen(finding_id)
    return _one(request, finding_id)


@router.post(
    "/findings/{finding_id}/reveal",
    response_model=RevealOut,
    summary="Reveal the unmasked value of one alert (audited)",
)
def reveal_evidence(
    finding_id: int, body: RevealIn, request: Request, principal: Principal = require(Role.ANALYST)
) -> RevealOut:
    revealed = FindingActions(request, principal).reveal(finding_id, body.alert_id)
    return RevealOut(
        finding_id=finding_id, alert_id=body.alert_id, value=revealed.value, reason=revealed.reason
    )


@router.post(
    "/findings/{finding_id}/exclude",
    response_model=ExclusionOut,
    status_code=201,
    summary="Never alert again on this alert's exact value for the finding's rule",
)
def exclude_evidence(
    finding_id: int, body: ExclusionIn, request: Request, principal: Principal = require(Role.ANALYST)
) -> ExclusionOut:
    row = FindingActions(request, principal).exclude(finding_id, body.alert_id, body.note)
    return ExclusionOut(
        id=row.id,
        kind=row.kind,
        scope_kind=row.scope_kind,
        scope_id=row.scope_id,
        note=row.note,
        created_by=row.created_by,
    )


def _one(request: Request, finding_id: int) -> FindingOut:
    with request.app.state.sessions() as session:
        finding = session.get(Finding, finding_id)
        if finding is None:
            raise HTTPException(404, f"no finding with id {finding_id}")
        return FindingOut(**finding_out(finding, subject_labels(session, [finding])[finding_id]))
