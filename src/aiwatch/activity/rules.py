"""The ``activity.*`` rules as pure functions over parsed log-feed events.

Every hit carries a stable ``item_key`` (an event id, or the first event of a burst), so evaluating the same
events again yields the same hits and the alert store can ignore what it already has.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from aiwatch.domain import Severity

ACTIVITY_RULES: dict[str, Severity] = {
    "activity.login_failures": Severity.HIGH,
    "activity.privilege_change": Severity.HIGH,
    "activity.app_linked": Severity.MEDIUM,
    "activity.compliance_key_use": Severity.HIGH,
}
PRIVILEGED_ROLES = ("account-owner", "account-admin", "owner", "admin")
APP_LINK_ACTIONS = ("app_linked", "connector_linked", "app_link", "link")


@dataclass(frozen=True)
class LoginBurstPolicy:
    threshold: int = 5  # failed logins of one user …
    window: timedelta = timedelta(minutes=10)  # … within this window make a burst

    def __post_init__(self) -> None:
        if self.threshold < 1:
            raise ValueError("the login-failure threshold must be at least 1")
        if self.window <= timedelta(0):
            raise ValueError("the login-failure window must be positive")


@dataclass(frozen=True)
class Event:
    """A stored log event, parsed: what the rules read."""

    event_id: str
    event_type: str
    timestamp: datetime
    payload: dict[str, Any]

    @property
    def actor(self) -> dict[str, Any]:
        actor = self.payload.get("actor")
        return actor if isinstance(actor, dict) else {}

    @property
    def action_data(self) -> dict[str, Any]:
        data = self.payload.get("action_data")
        return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class ActivityHit:
    rule: str
    severity: Severity
    event_id: str  # the event the alert points at (the first of a burst)
    occurred_at: datetime
    subject_user_id: str | None  # the user the finding is about (None: not a workspace user)
    subject_email: str | None
    evidence: str
    item_key: str
    details: dict[str, Any] = field(default_factory=dict)


def _user_of(actor: dict[str, Any]) -> tuple[str | None, str | None]:
    user_id = actor.get("user_id") if isinstance(actor.get("user_id"), str) else None
    email = actor.get("user_email") if isinstance(actor.get("user_email"), str) else None
    return user_id, email


def login_failure_hits(events: Iterable[Event], policy: LoginBurstPolicy) -> list[ActivityHit]:
    """Bursts: runs of one user's failed logins (gaps ≤ window) with ≥ threshold failures in one window."""
    by_user: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        if event.event_type != "AUTH_LOG" or event.action_data.get("action") != "login_failed":
            continue
        user_id, email = _user_of(event.actor)
        who = user_id or email
        if who:
            by_user[who].append(event)
    hits = []
    for who in sorted(by_user):
        failures = sorted(by_user[who], key=lambda e: (e.timestamp, e.event_id))
        for run in _runs(failures, policy.window):
            peak = _peak_in_window(run, policy.window)
            if peak < policy.threshold:
                continue
            first = run[0]
            user_id, email = _user_of(first.actor)
            ips = sorted(
                {
                    e.payload["request_metadata"]["client_ip"]
                    for e in run
                    if isinstance(e.payload.get("request_metadata"), dict)
                    and isinstance(e.payload["request_metadata"].get("client_ip"), str)
                }
            )
            hits.append(
                ActivityHit(
                    "activity.login_failures",
                    ACTIVITY_RULES["activity.login_failures"],
                    first.event_id,
                    first.timestamp,
                    user_id,
                    email,
                    f"{len(run)} failed logins in {_duration(run)}",
                    f"burst:{first.event_id}",
                    {
                        "count": len(run),
                        "peak_in_window": peak,
                        "threshold": policy.threshold,
                        "window_seconds": int(policy.window.total_seconds()),
                        "first_at": first.timestamp.isoformat(),
                        "last_at": run[-1].timestamp.isoformat(),
                        "event_ids": [e.event_id for e in run],
                        "client_ips": ips,
                    },
                )
            )
    return hits


def _runs(failures: Sequence[Event], window: timedelta) -> list[list[Event]]:
    runs: list[list[Event]] = []
    for event in failures:
        if runs and event.timestamp - runs[-1][-1].timestamp <= window:
            runs[-1].append(event)
        else:
            runs.append([event])
    return runs


def _peak_in_window(run: Sequence[Event], window: timedelta) -> int:
    peak, start = 0, 0
    for end, event in enumerate(run):
        while event.timestamp - run[start].timestamp > window:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def _duration(run: Sequence[Event]) -> str:
    seconds = int((run[-1].timestamp - run[0].timestamp).total_seconds())
    return f"{seconds // 60} min {seconds % 60} s" if seconds >= 60 else f"{seconds} s"


def privilege_change_hits(events: Iterable[Event]) -> list[ActivityHit]:
    """A role raised to admin/owner (from a non-privileged role, or owner from admin)."""
    hits = []
    for event in events:
        if event.event_type != "AUDIT_LOG" or "ROLE" not in str(event.payload.get("action", "")).upper():
            continue
        if str(event.payload.get("action_result", "SUCCESS")).upper() not in ("SUCCESS", "SUCCEEDED"):
            continue
        data = event.action_data
        new_role, old_role = _role(data.get("new_role") or data.get("role")), _role(data.get("old_role"))
        if _rank(new_role) <= _rank(old_role) or new_role not in PRIVILEGED_ROLES:
            continue
        target_id = data.get("user_id") if isinstance(data.get("user_id"), str) else None
        target_email = data.get("user_email") if isinstance(data.get("user_email"), str) else None
        actor_id, actor_email = _user_of(event.actor)
        hits.append(
            ActivityHit(
                "activity.privilege_change",
                ACTIVITY_RULES["activity.privilege_change"],
                event.event_id,
                event.timestamp,
                target_id,
                target_email,
                f"{old_role or 'unknown'} -> {new_role}",
                f"event:{event.event_id}",
                {"old_role": old_role, "new_role": new_role, "changed_by": actor_email or actor_id},
            )
        )
    return hits


def _role(value: Any) -> str | None:
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def _rank(role: str | None) -> int:
    if role in ("account-owner", "owner"):
        return 2
    if role in ("account-admin", "admin"):
        return 1
    return 0


def app_linked_hits(events: Iterable[Event]) -> list[ActivityHit]:
    """A connector/app linked to the workspace by a user (APP_AUTH_LOG / APP_LOG link events)."""
    hits = []
    for event in events:
        if event.event_type not in ("APP_AUTH_LOG", "APP_LOG"):
            continue
        data = event.action_data
        if str(data.get("action", "")).lower() not in APP_LINK_ACTIONS:
            continue
        app = data.get("app") if isinstance(data.get("app"), dict) else event.payload.get("app")
        app = app if isinstance(app, dict) else {}
        app_id = app.get("id") if isinstance(app.get("id"), str) else "(unknown app)"
        user_id, email = _user_of(event.actor)
        scopes = data.get("scopes") if isinstance(data.get("scopes"), list) else []
        hits.append(
            ActivityHit(
                "activity.app_linked",
                ACTIVITY_RULES["activity.app_linked"],
                event.event_id,
                event.timestamp,
                user_id,
                email,
                f"{app.get('name') or app_id} linked",
                f"event:{event.event_id}",
                {"app_id": app_id, "app_name": app.get("name"), "scopes": [str(s) for s in scopes]},
            )
        )
    return hits


@dataclass(frozen=True)
class OwnKey:
    """aiwatch's own key as far as needed to recognise its ``<prefix>…<last 4>`` form in the log feed.

    ``key_head`` is the key's first characters (None when the key cannot be decrypted: last 4 only).
    """

    last4: str
    key_head: str | None = field(default=None, repr=False)

    def matches(self, redacted_id: str) -> bool:
        head, sep, tail = redacted_id.rpartition("…")
        if not sep:
            head, sep, tail = redacted_id.rpartition("...")
        if not sep or tail != self.last4:
            return False
        return self.key_head is None or self.key_head.startswith(head)


def compliance_key_hits(events: Iterable[Event], own_keys: Sequence[OwnKey]) -> list[ActivityHit]:
    """Compliance API calls (API_KEY actors) by a key that is not one of aiwatch's own integration keys."""
    hits = []
    for event in events:
        actor = event.actor
        if actor.get("type") != "API_KEY":
            continue
        redacted_id = actor.get("redacted_id")
        redacted_id = redacted_id if isinstance(redacted_id, str) else ""
        if redacted_id and any(key.matches(redacted_id) for key in own_keys):
            continue
        hits.append(
            ActivityHit(
                "activity.compliance_key_use",
                ACTIVITY_RULES["activity.compliance_key_use"],
                event.event_id,
                event.timestamp,
                None,
                None,
                f"{event.payload.get('action') or event.event_type} by key {redacted_id or '(unnamed)'}",
                f"event:{event.event_id}",
                {"redacted_id": redacted_id, "action": event.payload.get("action")},
            )
        )
    return hits
