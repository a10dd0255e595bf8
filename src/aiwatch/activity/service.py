"""Loads stored log-feed events, runs the activity rules and returns their hits (recorded by the pipeline)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field

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
from aiwatch.config import ConfigError
from aiwatch.crypto import SecretBox
from aiwatch.store.models import Integration, LogEvent

# Event types any activity rule reads; the others (messages, costs …) are never loaded.
ACTIVITY_EVENT_TYPES = ("AUTH_LOG", "AUDIT_LOG", "APP_LOG", "APP_AUTH_LOG")
_PAGE = 2000
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
