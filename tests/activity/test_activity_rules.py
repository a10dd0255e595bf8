"""Activity rules on synthetic log events: bursts, role raises, app links, own vs foreign keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from aiwatch.activity.rules import (
    Event,
    LoginBurstPolicy,
    OwnKey,
    app_linked_hits,
    compliance_key_hits,
    login_failure_hits,
    privilege_change_hits,
)

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


def event(event_id: str, event_type: str, at: datetime, **payload: Any) -> Event:
    return Event(event_id, event_type, at, {"event_id": event_id, "type": event_type, **payload})


def failed_login(n: int, at: datetime, user: str = "user-1", ip: str = "185.220.101.7") -> Event:
    return event(
        f"fail-{user}-{n}",
        "AUTH_LOG",
        at,
        actor={"type": "ACCOUNT_USER", "user_id": user, "user_email": f"{user}@acme.test"},
        action_data={"action": "login_failed", "reason": "invalid_password"},
        request_metadata={"client_ip": ip},
    )


POLICY = LoginBurstPolicy(threshold=5, window=timedelta(minutes=10))


def test_burst_at_threshold_is_one_hit_with_details() -> None:
    events = [failed_login(i, T0 + timedelta(seconds=20 * i)) for i in range(5)]
    hits = login_failure_hits(events, POLICY)
    assert len(hits) == 1
    hit = hits[0]
    assert hit.rule == "activity.login_failures"
    assert hit.subject_user_id == "user-1" and hit.event_id == "fail-user-1-0"
    assert hit.details["count"] == 5 and hit.details["client_ips"] == ["185.220.101.7"]
    assert hit.item_key == "burst:fail-user-1-0"


def test_below_threshold_or_spread_out_is_no_burst() -> None:
    four = [failed_login(i, T0 + timedelta(seconds=20 * i)) for i in range(4)]
    assert login_failure_hits(four, POLICY) == []
    # Five failures, one every 11 minutes: never five within a 10-minute window.
    spread = [failed_login(i, T0 + timedelta(minutes=11 * i)) for i in range(5)]
    assert login_failure_hits(spread, POLICY) == []


def test_bursts_are_per_user_and_successes_do_not_count() -> None:
    events = [failed_login(i, T0 + timedelta(seconds=i), user="user-a") for i in range(3)]
    events += [failed_login(i, T0 + timedelta(seconds=i), user="user-b") for i in range(3)]
    events += [
        event(
            f"ok-{i}",
            "AUTH_LOG",
            T0 + timedelta(seconds=i),
            actor={"type": "ACCOUNT_USER", "user_id": "user-a"},
            action_data={"action": "login_success"},
        )
        for i in range(5)
    ]
    assert login_failure_hits(events, LoginBurstPolicy(threshold=4)) == []
    assert {h.subject_user_id for h in login_failure_hits(events, LoginBurstPolicy(threshold=3))} == {
        "user-a",
        "user-b",
    }


def test_two_separate_bursts_and_order_independence() -> None:
    first = [failed_login(i, T0 + timedelta(seconds=10 * i)) for i in range(6)]
    second = [failed_login(10 + i, T0 + timedelta(hours=3, seconds=10 * i)) for i in range(6)]
    hits = login_failure_hits(list(reversed(first + second)), POLICY)
    assert [h.event_id for h in hits] == ["fail-user-1-0", "fail-user-1-10"]
    assert login_failure_hits(first + second, POLICY) == hits  # same input, same hits: idempotent


def test_invalid_policy_is_refused() -> None:
    with pytest.raises(ValueError, match="threshold"):
        LoginBurstPolicy(threshold=0)
    with pytest.raises(ValueError, match="window"):
        LoginBurstPolicy(window=timedelta(0))


def role_update(event_id: str, old: str | None, new: str, result: str = "SUCCESS") -> Event:
    data = {"user_id": "user-9", "user_email": "nine@acme.test", "new_role": new}
    if old is not None:
        data["old_role"] = old
    return event(
        event_id,
        "AUDIT_LOG",
        T0,
        actor={"type": "ACCOUNT_USER", "user_id": "user-owner", "user_email": "owner@acme.test"},
        action="USER_ROLE_UPDATED",
        action_result=result,
        action_data=data,
    )


def test_privilege_raises_only() -> None:
    events = [
        role_update("e1", "standard-user", "account-admin"),
        role_update("e2", "account-admin", "account-owner"),
        role_update("e3", "account-owner", "standard-user"),  # lowered
        role_update("e4", "account-admin", "account-admin"),  # unchanged
        role_update("e5", "standard-user", "account-admin", result="FAILURE"),
        role_update("e6", None, "account-owner"),
    ]
    hits = privilege_change_hits(events)
    assert [h.event_id for h in hits] == ["e1", "e2", "e6"]
    assert hits[0].subject_user_id == "user-9"  # the promoted user, not the one who promoted
    assert hits[0].details["changed_by"] == "owner@acme.test"
    assert hits[0].evidence == "standard-user -> account-admin"


def test_app_linked_only_for_link_actions() -> None:
    actor = {"type": "ACCOUNT_USER", "user_id": "user-3", "user_email": "three@acme.test"}
    linked = event(
        "l1",
        "APP_AUTH_LOG",
        T0,
        actor=actor,
        action_data={"action": "app_linked", "app": {"id": "connector_dropbox", "name": "Dropbox"}},
    )
    refreshed = event(
        "l2", "APP_AUTH_LOG", T0, actor=actor, action_data={"action": "token_refreshed", "app": {"id": "x"}}
    )
    tool_call = event("l3", "APP_LOG", T0, actor=actor, action_data={"action": "tool_call"})
    hits = app_linked_hits([linked, refreshed, tool_call])
    assert [(h.event_id, h.details["app_id"], h.subject_user_id) for h in hits] == [
        ("l1", "connector_dropbox", "user-3")
    ]


def key_call(event_id: str, redacted_id: Any) -> Event:
    return event(
        event_id,
        "AUDIT_LOG",
        T0,
        actor={"type": "API_KEY", "redacted_id": redacted_id},
        action="LIST_CONVERSATIONS",
    )


def test_own_key_is_silent_foreign_keys_alert() -> None:
    own = [OwnKey("0000", "sk-proj-abcdefgh")]
    events = [
        key_call("k1", "sk-proj-…0000"),  # aiwatch itself
        key_call("k2", "sk-admin-…0000"),  # same last 4, another kind of key
        key_call("k3", "sk-proj-…9999"),
        key_call("k4", None),
        event("k5", "AUDIT_LOG", T0, actor={"type": "ACCOUNT_USER", "user_id": "u"}, action="X"),
    ]
    hits = compliance_key_hits(events, own)
    assert [h.event_id for h in hits] == ["k2", "k3", "k4"]
    assert hits[0].details["redacted_id"] == "sk-admin-…0000"
    # Without the decrypted key only the last 4 can be compared.
    assert [h.event_id for h in compliance_key_hits(events, [OwnKey("0000")])] == ["k3", "k4"]
    assert "abcdefgh" not in repr(own[0])
