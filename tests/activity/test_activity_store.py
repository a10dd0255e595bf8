"""Activity rules over stored log events: malformed lines, aiwatch's own encrypted key, large bursts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.activity.rules import LoginBurstPolicy
from aiwatch.activity.service import ActivityOptions, evaluate_activity, own_keys
from aiwatch.config import Settings
from aiwatch.crypto import load_secret_box
from aiwatch.store.db import dispose_engines, init_db, make_session_factory
from aiwatch.store.models import Integration, LogEvent

OWN_KEY = "sk-proj-" + "x" * 40 + "Q7a9"
T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def activity_db(settings: Settings) -> Iterator[tuple[sessionmaker[Session], int, Settings]]:
    sessions = make_session_factory(init_db(settings))
    box = load_secret_box(settings)
    with sessions.begin() as session:
        integration = Integration(
            name="acme",
            base_url="http://x",
            workspace_id="w",
            chatgpt_org_id="o",
            platform_org_id="p",
            key_ciphertext=box.encrypt(OWN_KEY),
            key_last4=OWN_KEY[-4:],
        )
        session.add(integration)
        session.flush()
        iid = integration.id
    yield sessions, iid, settings
    dispose_engines()


def stored(iid: int, event_id: str, event_type: str, at: datetime | None, payload: object | str) -> LogEvent:
    raw = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return LogEvent(integration_id=iid, event_id=event_id, event_type=event_type, timestamp=at, raw=raw)


def test_malformed_and_foreign_events(activity_db) -> None:
    sessions, iid, settings = activity_db
    user = {"type": "ACCOUNT_USER", "user_id": "user-1", "user_email": "ann@acme.test"}
    with sessions.begin() as session:
        session.add_all(
            [
                stored(iid, "bad-json", "AUTH_LOG", T0, '{"action_data": {"action": "login_failed"'),
                stored(iid, "not-object", "AUDIT_LOG", T0, "[1, 2, 3]"),
                stored(
                    iid, "no-time", "AUDIT_LOG", None, {"actor": {"type": "API_KEY", "redacted_id": "sk-x…1"}}
                ),
                stored(
                    iid, "odd-data", "AUDIT_LOG", T0, {"action": "USER_ROLE_UPDATED", "action_data": "admin"}
                ),
                stored(
                    iid,
                    "unicode",
                    "APP_AUTH_LOG",
                    T0,
                    {
                        "actor": user,
                        "action_data": {
                            "action": "app_linked",
                            "app": {"id": "conn_\u2603\ud7ff", "name": "Snow \u2603"},
                        },
                    },
                ),
                stored(
                    iid,
                    "own",
                    "AUDIT_LOG",
                    T0,
                    {
                        "actor": {"type": "API_KEY", "redacted_id": "sk-proj-…Q7a9"},
                        "action": "LIST_CONVERSATIONS",
                    },
                ),
                stored(
                    iid,
                    "foreign",
                    "AUDIT_LOG",
                    T0,
                    {
                        "actor": {"type": "API_KEY", "redacted_id": "sk-admin-…Q7a9"},
                        "action": "LIST_CONVERSATIONS",
                    },
                ),
                stored(
                    iid,
                    "msg",
                    "CONVERSATION_MESSAGE",
                    T0,
                    {"actor": {"type": "API_KEY", "redacted_id": "sk-z…0"}},
                ),
            ]
        )
    with sessions() as session:
        hits = evaluate_activity(session, iid, box=load_secret_box(settings))
    assert sorted((h.rule, h.event_id) for h in hits) == [
        ("activity.app_linked", "unicode"),
        ("activity.compliance_key_use", "foreign"),
    ]
    app_hit = next(h for h in hits if h.rule == "activity.app_linked")
    assert app_hit.details["app_name"] == "Snow \u2603" and app_hit.subject_user_id == "user-1"
    with sessions() as session:
        # Without the secret box only the last 4 characters identify aiwatch's key: both look like its own.
        assert [h.event_id for h in evaluate_activity(session, iid) if h.rule.endswith("key_use")] == []
        integration = session.get(Integration, iid)
        keys = own_keys(integration, load_secret_box(settings))
    assert keys[0].last4 == "Q7a9" and OWN_KEY not in repr(keys)
    with sessions() as session, pytest.raises(ValueError, match="does not exist"):
        evaluate_activity(session, iid + 1)


def test_a_long_attack_is_one_burst_per_run(activity_db) -> None:
    sessions, iid, _ = activity_db
    actor = {"type": "ACCOUNT_USER", "user_id": "user-7"}
    with sessions.begin() as session:
        session.add_all(
            stored(
                iid,
                f"f{n:05d}",
                "AUTH_LOG",
                T0 + timedelta(seconds=3 * n),
                {"actor": actor, "action_data": {"action": "login_failed"}},
            )
            for n in range(3000)
        )
    with sessions() as session:
        hits = evaluate_activity(session, iid, options=ActivityOptions(LoginBurstPolicy(threshold=10)))
    assert [(h.event_id, h.details["count"]) for h in hits] == [("f00000", 3000)]
