"""The stored workspace the inventory tests query: users, agents, versions, findings, scores, activity."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from aiwatch.findings.models import Finding
from aiwatch.risk.service import recompute_scores
from aiwatch.store.models import (
    Agent,
    AgentConfig,
    AgentSharedUser,
    Conversation,
    LogEvent,
    Message,
    StoredFile,
    WorkspaceUser,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SECRET = "AKIAQ3EGUWXQ7ZLMN4PD"  # an AWS access key id the data-exposure rules find
ACTION = {"type": "custom_action", "action_domain": "https://webhook.site/hook", "auth_type": "none"}


@dataclass
class Workspace:
    sessions: sessionmaker[Session]
    iid: int


def recipient(user_id: str, can_write: bool = False) -> dict:
    return {"id": user_id, "permissions": {"can_read": True, "can_write": can_write}}


def finding(iid: int, kind: str, subject: str, rule: str, severity: str, days_ago: float, **extra) -> Finding:
    seen = NOW - timedelta(days=days_ago)
    values = {
        "integration_id": iid,
        "rule": rule,
        "policy": rule.split(".")[0],
        "group": "Test",
        "subject_kind": kind,
        "subject_id": subject,
        "severity": severity,
        "status": "open",
        "alert_count": 1,
        "first_seen": seen,
        "last_seen": seen,
        "evidence_samples": [],
        "value_hashes": [],
        "updated_at": NOW - timedelta(days=30),
    }
    values.update(extra)
    return Finding(**values)


def log_event(iid: int, event_id: str, event_type: str, actor: str, app: dict, days_ago: float) -> LogEvent:
    payload: dict = {
        "event_id": event_id,
        "type": event_type,
        "actor": {"type": "ACCOUNT_USER", "user_id": actor},
    }
    if event_type == "APP_LOG":
        payload["app"] = app
    else:
        payload["action_data"] = {"action": "app_linked", "app": app}
    return LogEvent(
        integration_id=iid,
        event_id=event_id,
        event_type=event_type,
        timestamp=NOW - timedelta(days=days_ago),
        raw=json.dumps(payload),
    )


def seed(session: Session, iid: int) -> None:
    users = [
        ("u-alice", "alice@acme.io", "Alice Archer", "account-admin", "active"),
        ("u-bob", "bob@acme.io", "Bob Baker", "standard-user", "active"),
        ("u-carol", "carol@acme.io", "Carol Cole", "standard-user", "inactive"),
        ("u-dave", "dave_x@acme.io", "Dave 100%", "standard-user", "active"),
    ]
    for user_id, email, name, role, status in users:
        session.add(
            WorkspaceUser(
                integration_id=iid, user_id=user_id, email=email, name=name, role=role, status=status
            )
        )
    # Agents: g-1 changed three times (adds an unauthenticated action and a file, then a secret); g-2 public
    # with one version; g-p-3 a project shared by link; g-4 deleted.
    session.add_all(
        [
            Agent(
                integration_id=iid,
                agent_id="g-1",
                kind="gpt",
                owner_id="u-alice",
                owner_email="alice@acme.io",
                name="Helper",
                visibility="invite-only",
                recipients=[recipient("u-bob"), recipient("u-carol", can_write=True)],
            ),
            Agent(
                integration_id=iid,
                agent_id="g-2",
                kind="gpt",
                owner_id="u-bob",
                owner_email="bob@acme.io",
                name="Store Bot",
                visibility="gpt-store",
                recipients=[],
            ),
            Agent(
                integration_id=iid,
                agent_id="g-p-3",
                kind="project",
                owner_id="u-alice",
                owner_email="alice@acme.io",
                name="Launch plan",
                visibility="workspace-with-link",
                recipients=[],
            ),
            Agent(
                integration_id=iid,
                agent_id="g-4",
                kind="gpt",
                owner_id="u-alice",
                name="Old bot",
                visibility="workspace",
                deleted_at=NOW - timedelta(days=3),
            ),
        ]
    )
    configs = [
        ("g-1", "c1", 10, "Helper", "Helps.", "Answer politely.", [{"type": "browser"}], []),
        (
            "g-1",
            "c2",
            5,
            "Helper",
            "Helps.",
            "Answer politely.",
            [{"type": "browser"}, ACTION],
            [{"id": "file-1", "name": "prices.csv"}],
        ),
        (
            "g-1",
            "c3",
            2,
            "Helper v2",
            f"Helps with AWS {SECRET}.",
            f"Answer politely.\nUse the key {SECRET} for uploads.",
            [{"type": "browser"}, ACTION],
            [{"id": "file-1", "name": "prices.csv"}],
        ),
        ("g-2", "s1", 20, "Store Bot", None, "Sell.", [{"type": "dall-e"}], []),
        ("g-p-3", "p1", 8, "Launch plan", None, "Plan.", [{"type": "browser"}], []),
        ("g-4", "o1", 40, "Old bot", None, "Old.", [], []),
    ]
    for agent_id, config_id, days_ago, name, description, instructions, tools, files in configs:
        session.add(
            AgentConfig(
                integration_id=iid,
                agent_id=agent_id,
                config_id=config_id,
                created_at=NOW - timedelta(days=days_ago),
                name=name,
                description=description,
                instructions=instructions,
                tools=tools,
                files=files,
            )
        )
    for user_id, email in (("u-bob", "bob@acme.io"), ("u-carol", "carol@acme.io")):
        session.add(AgentSharedUser(integration_id=iid, agent_id="g-1", user_id=user_id, email=email))
    session.add(
        StoredFile(
            integration_id=iid, kind="gpt", file_id="file-1", agent_id="g-1", state="fetched", size=2048
        )
    )
    # Activity: alice has a recent and an old conversation (one message through g-1), bob one.
    session.add_all(
        [
            Conversation(
                integration_id=iid,
                conversation_id="conv-a1",
                user_id="u-alice",
                last_active_at=NOW - timedelta(days=1),
            ),
            Conversation(
                integration_id=iid,
                conversation_id="conv-a2",
                user_id="u-alice",
                last_active_at=NOW - timedelta(days=60),
            ),
            Conversation(
                integration_id=iid,
                conversation_id="conv-b1",
                user_id="u-bob",
                last_active_at=NOW - timedelta(days=3),
            ),
            Message(
                integration_id=iid,
                message_id="m1",
                conversation_id="conv-a1",
                gpt_id="g-1",
                source="log_feed",
            ),
            Message(integration_id=iid, message_id="m2", conversation_id="conv-a1", source="log_feed"),
        ]
    )
    drive = {"id": "connector_google_drive", "name": "Google Drive"}
    session.add_all(
        [
            log_event(iid, "e1", "APP_LOG", "u-alice", drive, 2),
            log_event(iid, "e2", "APP_LOG", "u-alice", drive, 1),
            log_event(iid, "e3", "APP_AUTH_LOG", "u-bob", {"id": "connector_dropbox", "name": "Dropbox"}, 4),
            # Mentions alice's id, but bob is the actor: it is not alice's app use.
            log_event(
                iid,
                "e4",
                "APP_LOG",
                "u-bob",
                {"id": "connector_slack", "name": "Slack (shared by u-alice)"},
                1,
            ),
            LogEvent(integration_id=iid, event_id="e5", event_type="APP_LOG", raw="not json u-alice"),
        ]
    )
    session.add_all(
        [
            finding(iid, "user", "u-alice", "secret.aws_access_key_id", "critical", 1, alert_count=2),
            finding(iid, "user", "u-alice", "pii.email", "medium", 20),
            finding(
                iid,
                "user",
                "u-alice",
                "pii.phone",
                "high",
                1,
                status="resolved",
                resolution="false_positive",
            ),
            finding(
                iid, "user", "u-alice", "code.source", "low", 3, status="resolved", resolution="true_positive"
            ),
            finding(iid, "user", "u-bob", "code.source", "low", 2),
            finding(iid, "agent", "g-1", "agent.config_changed", "medium", 2),
            finding(iid, "agent", "g-2", "agent.public_sharing", "high", 5),
            finding(iid, "user", "u-bob", "secret.generic", "high", 2, agent_id="g-1"),
        ]
    )
    session.flush()
    recompute_scores(session, iid, now=NOW)
