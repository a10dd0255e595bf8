"""Loads stored log-feed events, runs the activity rules and returns their hits (recorded by the pipeline)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aiwatch.activity.rules import (
    ActivityHit,
    Event,
    LoginBurstPolicy,
    OwnKey,
    app_linked_hits,
    compliance_key_hits,
    login_failure_hits,
    privilege_change_hits,
)
from aiwatch.config import ConfigError, Settings
from aiwatch.crypto import SecretBox
from aiwatch.store.models import Integration, LogEvent

# Event types any activity rule reads; the others (messages, costs …) are never loaded.
ACTIVITY_EVENT_TYPES = ("AUTH_LOG", "AUDIT_LOG", "APP_LOG", "APP_AUTH_LOG")
_PAGE = 2000
ACTIVITY_VERSION = "activity-1"
KEY_HEAD_CHARS = 12  # longer than every redaction prefix (sk-proj-, sk-admin- …), far from the whole key


@dataclass(frozen=True)
class ActivityOptions:
    login_bursts: LoginBurstPolicy = field(default_factory=LoginBurstPolicy)


def _events(session: Session, integration_id: int) -> Iterator[Event]:
    """Parsed events of the types the rules read; AUTH_LOG only for failed logins (most of it is not)."""
    last_id = 0
    while True:
        rows = session.execute(
            select(LogEvent.id, LogEvent.event_id, LogEvent.event_type, LogEvent.timestamp, LogEvent.raw)
            .where(
                LogEvent.integration_id == integration_id,
                LogEvent.event_type.in_(ACTIVITY_EVENT_TYPES),
                LogEvent.id > last_id,
                or_(LogEvent.event_type != "AUTH_LOG", LogEvent.raw.contains("login_failed")),
            )
            .order_by(LogEvent.id)
            .limit(_PAGE)
        ).all()
        if not rows:
            return
        for row_id, event_id, event_type, timestamp, raw in rows:
            last_id = row_id
            if timestamp is None:
                continue
            try:
                payload = json.loads(raw)
            except (ValueError, TypeError):
                continue  # a malformed line was stored verbatim; there is nothing a rule can read in it
            if isinstance(payload, dict):
                yield Event(event_id, event_type, timestamp, payload)


def own_keys(integration: Integration, box: SecretBox | None) -> list[OwnKey]:
    """aiwatch's key for this integration as the log feed shows it (prefix known only if the key decrypts)."""
    if not integration.key_last4:
        return []
    key_head = None
    if box is not None and integration.key_ciphertext:
        try:
            key_head = box.decrypt(integration.key_ciphertext)[:KEY_HEAD_CHARS]
        except ConfigError:
            key_head = None  # a key rotated away: recognise aiwatch's key by its last 4 characters only
    return [OwnKey(integration.key_last4, key_head)]


def evaluate_activity(
    session: Session,
    integration_id: int,
    *,
    box: SecretBox | None = None,
    options: ActivityOptions | None = None,
) -> list[ActivityHit]:
    """Every activity rule over the integration's stored log events (re-running yields the same hits)."""
    options = options or ActivityOptions()
    integration = session.get(Integration, integration_id)
    if integration is None:
        raise ValueError(f"integration {integration_id} does not exist")
    events = list(_events(session, integration_id))
    return [
        *login_failure_hits(events, options.login_bursts),
        *privilege_change_hits(events),
        *app_linked_hits(events),
        *compliance_key_hits(events, own_keys(integration, box)),
    ]


def hit_to_alert(integration_id: int, hit: ActivityHit):
    """The alert for an activity hit: the item is the log event; the subject is the user concerned.

    A foreign Compliance API key is not a workspace user: its subject id is ``api-key:<redacted id>`` so each
    key gets its own finding.
    """
    from aiwatch.findings.types import AlertInput

    subject_id = hit.subject_user_id or hit.subject_email
    if hit.rule == "activity.compliance_key_use":
        subject_id = f"api-key:{hit.details.get('redacted_id') or 'unnamed'}"
    return AlertInput(
        integration_id=integration_id,
        rule=hit.rule,
        item_kind="log_event",
        item_id=hit.event_id,
        subject_kind="user",
        subject_id=subject_id or "unknown-user",
        severity=hit.severity,
        score=1.0,
        start=0,
        end=0,
        evidence=hit.evidence,
        field="event",
        detector_version=ACTIVITY_VERSION,
        observed_at=hit.occurred_at,
        app_id=hit.details.get("app_id"),
        details={**hit.details, "subject_email": hit.subject_email},
    )


def options_from_settings(settings: Settings) -> ActivityOptions:
    return ActivityOptions(
        LoginBurstPolicy(
            threshold=settings.activity_login_failure_threshold,
            window=timedelta(minutes=settings.activity_login_failure_window_minutes),
        )
    )


def record_activity(
    session: Session,
    integration_id: int,
    *,
    box: SecretBox | None = None,
    options: ActivityOptions | None = None,
):
    """Evaluate the activity rules and record the hits (re-running records no duplicates)."""
    from aiwatch.findings.service import record_alerts

    hits = evaluate_activity(session, integration_id, box=box, options=options)
    return record_alerts(session, [hit_to_alert(integration_id, hit) for hit in hits])
