"""Dashboard numbers of the findings (time frames, counts by severity, resolved share, findings over time,
riskiest users and agents) and the catalog text that explains a finding's rule.

Every number of a time frame counts the findings *active* in it (last seen inside the frame); "new" ones
were first seen inside it. The risk ranking is not per frame: risk scores already weigh recent findings more.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aiwatch.findings.models import Finding
from aiwatch.findings.policy import PolicySnapshot, catalog_with
from aiwatch.findings.queries import SEVERITY_ORDER, FindingFilter, list_findings
from aiwatch.risk.service import RiskView, top_risky

FRAMES: dict[str, timedelta | None] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
    "all": None,
}
DEFAULT_FRAME = "7d"
MAX_DAY_BUCKETS = 92  # longer spans ("all") are drawn per week so bars stay readable
SEVERITIES_DESC = list(reversed(SEVERITY_ORDER))  # critical … low

# Rules raised by the posture and activity producers are not in the detection catalog (DETECTION-CATALOG.md).
PRODUCER_RULES: dict[str, tuple[str, str, str]] = {
    "agent.public_sharing": (
        "Agent shared publicly",
        "The GPT or project is shared with anyone who has the link, or listed in the GPT store.",
        "Anyone outside the workspace can use it and everything in its instructions and knowledge files.",
    ),
    "agent.broad_edit_rights": (
        "Many people can edit the agent",
        "Many recipients may change the GPT or project.",
        "Each editor can change its instructions, actions and files, e.g. to exfiltrate what users type.",
    ),
    "agent.external_action": (
        "Custom action to an external domain",
        "A custom action of the agent calls a domain outside the organisation.",
        "Conversation content can leave the workspace through the action's requests.",
    ),
    "agent.unauthenticated_action": (
        "Custom action without authentication",
        "A custom action calls an API with no authentication.",
        "Anyone can serve or tamper with that endpoint; data sent to it is unprotected.",
    ),
    "agent.sensitive_instructions": (
        "Sensitive data in agent instructions",
        "A Data Exposure rule matched inside the GPT's or project's instructions.",
        "Instructions are visible to every user of the agent and can be extracted by prompting.",
    ),
    "agent.sensitive_knowledge": (
        "Sensitive data in a knowledge file",
        "A Data Exposure rule matched inside a knowledge file of the GPT or project.",
        "Knowledge files can be quoted to every user of the agent.",
    ),
    "agent.config_changed": (
        "Agent configuration changed",
        "A new action, tool, domain or wider sharing since the version last reviewed.",
        "Configuration drift can silently widen what the agent exposes; review the change.",
    ),
    "activity.login_failures": (
        "Burst of failed logins",
        "Many failed sign-ins for one user in a short window.",
        "A password-guessing or credential-stuffing attempt against the account.",
    ),
    "activity.privilege_change": (
        "Role raised to admin or owner",
        "A workspace user's role was raised to admin or owner.",
        "Privileged accounts control the workspace; unexpected elevation needs confirming.",
    ),
    "activity.app_linked": (
        "App or connector linked",
        "A connector or app was linked to the workspace.",
        "Linked apps can read or receive workspace data.",
    ),
    "activity.compliance_key_use": (
        "Compliance API used by another key",
        "The Compliance API was used by a key other than aiwatch's own.",
        "Another party may be reading every conversation of the workspace.",
    ),
}


def parse_frame(value: str | None) -> str:
    frame = (value or DEFAULT_FRAME).strip().lower()
    if frame not in FRAMES:
        raise ValueError(f"unknown time frame {value!r}; use one of {', '.join(FRAMES)}")
    return frame


def frame_start(frame: str, now: datetime) -> datetime | None:
    span = FRAMES[frame]
    return now - span if span is not None else None


@dataclass
class DashboardStats:
    frame: str
    since: datetime | None
    active: int  # findings active in the frame
    open: int
    critical_high_open: int
    resolved: int
    new: int
    open_by_severity: dict[str, int]
    resolutions: dict[str, int]
    over_time: list[tuple[str, int]]  # (bucket label, new findings)
    bucket: str  # hour | day | week
    top_users: list[RiskView] = field(default_factory=list)
    top_agents: list[RiskView] = field(default_factory=list)

    @property
    def resolved_pct(self) -> float | None:
        """Share of the frame's findings that are resolved (None when there are none)."""
        return round(100 * self.resolved / self.active, 1) if self.active else None

    def as_json(self) -> dict[str, Any]:
        def risk(view: RiskView) -> dict[str, Any]:
            return {
                "kind": view.kind,
                "id": view.subject_id,
                "label": view.label,
                "score": view.score,
                "findings": view.finding_count,
            }

        return {
            "frame": self.frame,
            "since": self.since.isoformat() if self.since else None,
            "active": self.active,
            "open": self.open,
            "critical_high_open": self.critical_high_open,
            "resolved": self.resolved,
            "resolved_pct": self.resolved_pct,
            "new": self.new,
            "open_by_severity": self.open_by_severity,
            "resolutions": self.resolutions,
            "over_time": [{"bucket": label, "new": count} for label, count in self.over_time],
            "bucket": self.bucket,
            "top_users": [risk(v) for v in self.top_users],
            "top_agents": [risk(v) for v in self.top_agents],
        }


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def dashboard_stats(
    session: Session, frame: str = DEFAULT_FRAME, *, now: datetime | None = None, top: int = 8
) -> DashboardStats:
    frame = parse_frame(frame)
    now = now or datetime.now(UTC)
    since = frame_start(frame, now)
    active = select(Finding.status, Finding.severity, Finding.resolution, func.count(Finding.id))
    if since is not None:
        active = active.where(Finding.last_seen >= since)
    rows = session.execute(active.group_by(Finding.status, Finding.severity, Finding.resolution)).all()
    open_by_severity = dict.fromkeys(SEVERITIES_DESC, 0)
    resolutions: dict[str, int] = {}
    total = resolved = 0
    for status, severity, resolution, count in rows:
        total += count
        if status == "open":
            open_by_severity[severity] = open_by_severity.get(severity, 0) + count
        else:
            resolved += count
            resolutions[resolution or "unknown"] = resolutions.get(resolution or "unknown", 0) + count
    # New findings per bucket: bucketed here rather than in SQL, so SQLite and PostgreSQL agree.
    firsts = select(Finding.first_seen)
    if since is not None:
        firsts = firsts.where(Finding.first_seen >= since)
    seen = [_aware(v) for v in session.scalars(firsts)]
    over_time, bucket = _buckets(seen, since, now)
    return DashboardStats(
        frame=frame,
        since=since,
        active=total,
        open=sum(open_by_severity.values()),
        critical_high_open=open_by_severity.get("critical", 0) + open_by_severity.get("high", 0),
        resolved=resolved,
        new=len(seen),
        open_by_severity=open_by_severity,
        resolutions=resolutions,
        over_time=over_time,
        bucket=bucket,
        top_users=top_risky(session, "user", limit=top),
        top_agents=top_risky(session, "agent", limit=top),
    )


def _buckets(
    seen: list[datetime], since: datetime | None, now: datetime
) -> tuple[list[tuple[str, int]], str]:
    """Counts per hour (24h frame), per day, or per week when the span is longer than ~3 months."""
    if since is not None and now - since <= timedelta(hours=24):
        start = since.replace(minute=0, second=0, microsecond=0)
        slots = [start + timedelta(hours=i) for i in range(25) if start + timedelta(hours=i) <= now]
        counts = dict.fromkeys(slots, 0)
        for value in seen:
            key = value.replace(minute=0, second=0, microsecond=0)
            if key in counts:
                counts[key] += 1
        return [(slot.strftime("%H:00"), counts[slot]) for slot in slots], "hour"
    first = (since or min(seen, default=now)).date()
    days = (now.date() - first).days + 1
    step = 7 if days > MAX_DAY_BUCKETS else 1
    per: dict[int, int] = {}
    for value in seen:
        index = (value.date() - first).days // step
        per[index] = per.get(index, 0) + 1
    labels = [(first + timedelta(days=i * step)) for i in range(-(-days // step))]
    return [(day.strftime("%b %d"), per.get(i, 0)) for i, day in enumerate(labels)], (
        "week" if step == 7 else "day"
    )


def recent_severe(
    session: Session, frame: str, *, now: datetime | None = None, limit: int = 8
) -> list[Finding]:
    """The latest open critical and high findings active in the frame."""
    since = frame_start(parse_frame(frame), now or datetime.now(UTC))
    rows, _ = list_findings(
        session, FindingFilter(status="open", severity=["critical", "high"], since=since, limit=limit)
    )
    return rows


def rule_info(session: Session, rule: str) -> dict[str, str]:
    """Name, meaning and security context of a rule, from the catalog (organisation rules included)."""
    spec = catalog_with(PolicySnapshot.load(session).org_rules).get(rule)
    if spec is not None:
        return {"name": spec.name, "meaning": spec.meaning, "security_context": spec.security_context}
    if rule in PRODUCER_RULES:
        name, meaning, context = PRODUCER_RULES[rule]
        return {"name": name, "meaning": meaning, "security_context": context}
    return {"name": rule, "meaning": "", "security_context": ""}
