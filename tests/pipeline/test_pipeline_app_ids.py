"""Alerts on content produced through apps and connectors carry ``app_id`` (log-feed APP_LOG / APP_AUTH_LOG
events, tool messages of tools that are not ChatGPT's own), so ignore rules and policy scopes by app apply."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import select

from aiwatch.findings.manage import add_ignore, set_policy
from aiwatch.findings.models import Alert
from aiwatch.pipeline.items import log_event_app, log_events, message_app
from aiwatch.pipeline.runner import FORCE, run_pipeline
from aiwatch.store import models as m

SECRET = "AKIAZ3MHALJQ4RX7ABCD"


def _event(store, event_id: str, event_type: str, body: dict) -> None:
    raw = json.dumps(
        {
            "event_id": event_id,
            "type": event_type,
            "timestamp": "2026-11-02T10:00:00.000000Z",
            "actor": {"type": "ACCOUNT_USER", "user_id": "user-bob", "user_email": "bob@acme-corp.io"},
            **body,
        }
    )
    with store.sessions.begin() as session:
        session.add(
            m.LogEvent(
                integration_id=store.integration_id,
                event_id=event_id,
                event_type=event_type,
                timestamp=datetime(2026, 11, 2, 10, tzinfo=UTC),
                actor={"type": "ACCOUNT_USER", "user_id": "user-bob"},
                raw=raw,
                content_hash=hashlib.sha256(raw.encode()).hexdigest(),
            )
        )


def _tool_message(store, message_id: str, tool_name: str, text: str) -> None:
    with store.sessions.begin() as session:
        known = select(m.Conversation.id).where(m.Conversation.conversation_id == "conv-t")
        if session.scalar(known) is None:
            iid = store.integration_id
            session.add(m.Conversation(integration_id=iid, conversation_id="conv-t", user_id="user-bob"))
        session.add(
            m.Message(
                integration_id=store.integration_id,
                message_id=message_id,
                conversation_id="conv-t",
                role="tool",
                tool_name=tool_name,
                text=text,
                source="conversations",
                created_at=datetime(2026, 11, 2, tzinfo=UTC),
                content_hash=hashlib.sha256(text.encode()).hexdigest(),
            )
        )


def _alerts(store) -> dict[str, list[tuple[str, str | None, str | None]]]:
    found: dict[str, list[tuple[str, str | None, str | None]]] = {}
    with store.sessions() as session:
        for alert in session.scalars(select(Alert).order_by(Alert.id)):
            found.setdefault(alert.item_id, []).append((alert.rule, alert.app_id, alert.suppressed_by))
    return found


def test_app_of_log_events_and_messages() -> None:
    assert log_event_app({"app": {"id": "connector_google_drive", "name": "Google Drive"}}) == (
        "connector_google_drive"
    )
    assert log_event_app({"action_data": {"action": "app_linked", "app": {"id": "connector_dropbox"}}}) == (
        "connector_dropbox"
    )
    assert log_event_app({"action_data": {"connector_id": "mcp-jira"}}) == "mcp-jira"
    assert log_event_app({"action_data": {"action": "login_failed"}}) is None
    assert log_event_app({"app": "not an object"}) is None
    assert log_event_app(["not", "an", "event"]) is None
    assert message_app("tool", "connector_slack") == "connector_slack"
    assert message_app("tool", "browser") is None  # ChatGPT's own tools are no app
    assert message_app("assistant", "connector_slack") is None
    assert message_app("tool", None) is None


def test_synced_app_events_name_their_app(synced) -> None:
    with synced.sessions() as session:
        items = log_events(session, synced.integration_id, FORCE, 0, 100_000)
        types = dict(session.execute(select(m.LogEvent.event_id, m.LogEvent.event_type)).all())
    apps = {types[item.item_id]: item.app_id for item in items if item.app_id}
    assert apps.get("APP_LOG") == "connector_google_drive"
    assert apps.get("APP_AUTH_LOG") in ("connector_google_drive", "connector_dropbox")
    assert {types[item.item_id] for item in items if item.app_id} <= {"APP_LOG", "APP_AUTH_LOG"}


def test_alerts_carry_the_app_and_ignore_rules_and_scopes_by_app_apply(sqlite_store) -> None:
    store = sqlite_store
    _event(
        store,
        "ev-drive",
        "APP_LOG",
        {
            "app": {"id": "connector_google_drive", "name": "Google Drive"},
            "action_data": {"action": "tool_call", "request": {"query": f"find the key {SECRET}"}},
        },
    )
    _event(
        store,
        "ev-jira",
        "APP_LOG",
        {
            "app": {"id": "mcp-jira", "name": "Jira"},
            "action_data": {"action": "tool_call", "response": {"text": f"ticket says {SECRET}"}},
        },
    )
    _event(store, "ev-audit", "AUDIT_LOG", {"action": "NOTE", "action_data": {"note": f"rotate {SECRET}"}})
    _tool_message(store, "tm-slack", "connector_slack", "contact jane.doe@acme-corp.io about it")
    _tool_message(store, "tm-browser", "browser", "contact john.roe@acme-corp.io about it")
    with store.sessions.begin() as session:
        add_ignore(session, "secret.*", "app", "mcp-jira")
        set_policy(session, "rule", "pii.email", scope={"apps": ["connector_slack"]})
    run_pipeline(store.sessions, store.settings, include_posture=False)
    alerts = _alerts(store)
    assert alerts["ev-drive"] == [("secret.aws_access_key_id", "connector_google_drive", None)]
    [(rule, app, suppressed)] = alerts["ev-jira"]
    assert (rule, app) == ("secret.aws_access_key_id", "mcp-jira") and suppressed.startswith("ignore:")
    assert alerts["ev-audit"] == [("secret.aws_access_key_id", None, None)]
    assert alerts["tm-slack"] == [("pii.email", "connector_slack", None)]
    # The rule is scoped to the Slack connector: the same detection in a browser result is out of scope.
    assert alerts["tm-browser"] == [("pii.email", None, "out_of_scope")]
