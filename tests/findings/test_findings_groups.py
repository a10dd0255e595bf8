"""User groups: migration 0006 and, below, membership and scope by group."""

from __future__ import annotations

import pytest
from findings_helpers import alert
from sqlalchemy import inspect, select

from aiwatch.findings.groups import (
    GroupError,
    create_group,
    delete_group,
    list_groups,
    split_members,
    update_group,
)
from aiwatch.findings.manage import PolicyError, add_org_rule, replay, set_policy
from aiwatch.findings.models import Alert, PolicySetting
from aiwatch.findings.service import record_alerts
from aiwatch.store import models as m
from aiwatch.store.db import create_db_engine, current_revision, downgrade, upgrade


def test_migration_0006_adds_and_drops_user_groups(db_url: str) -> None:
    engine = create_db_engine(db_url)
    try:
        upgrade(engine, "0005_findings")
        assert "user_groups" not in inspect(engine).get_table_names()
        upgrade(engine, "0006_user_groups")
        columns = {c["name"] for c in inspect(engine).get_columns("user_groups")}
        assert {"name", "emails", "patterns", "description", "created_by"} <= columns
        downgrade(engine, "0005_findings")
        assert current_revision(engine) == "0005_findings"
        assert "user_groups" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()


# --- membership and scope by group ---


def _user(store, user_id: str, email: str | None) -> None:
    with store.sessions.begin() as session:
        session.add(m.WorkspaceUser(integration_id=store.integration_id, user_id=user_id, email=email))


def _record(store, *alerts):
    with store.sessions.begin() as session:
        return record_alerts(session, alerts)


def _reasons(store) -> dict[str, str | None]:
    with store.sessions() as session:
        return dict(session.execute(select(Alert.item_id, Alert.suppressed_by)).all())


def test_split_members_sorts_emails_from_patterns_and_rejects_garbage() -> None:
    emails, patterns = split_members(
        ["Alice@Example.com, *@finance.example.com\nbob@example.com alice@example.com"]
    )
    assert emails == ["alice@example.com", "bob@example.com"]
    assert patterns == ["*@finance.example.com"]
    with pytest.raises(GroupError, match="not an email address"):
        split_members(["alice"])
    with pytest.raises(GroupError, match="not an email pattern"):
        split_members(["*"])


def test_group_scope_suppresses_users_outside_the_group(store) -> None:
    iid = store.integration_id
    _user(store, "user-fin", "Carol@Finance.Example.com")
    _user(store, "user-ceo", "ceo@example.com")
    _user(store, "user-dev", "dev@example.com")
    _user(store, "user-none", None)
    with store.sessions.begin() as session:
        group = create_group(session, "Finance", ["*@finance.example.com", "ceo@example.com"])
        set_policy(session, "rule", "secret.aws_access_key_id", scope={"groups": [group.id]})
    result = _record(
        store,
        alert(iid, item_id="fin", subject_id="user-fin"),
        alert(iid, item_id="ceo", subject_id="user-ceo"),
        alert(iid, item_id="dev", subject_id="user-dev"),
        alert(iid, item_id="none", subject_id="user-none"),
        alert(iid, item_id="other-rule", subject_id="user-dev", rule="pii.email"),
    )
    assert (result.created, result.suppressed) == (3, 2)
    reasons = _reasons(store)
    assert reasons["fin"] is None and reasons["ceo"] is None and reasons["other-rule"] is None
    assert reasons["dev"] == "out_of_scope" and reasons["none"] == "out_of_scope"
    with store.sessions() as session:
        (info,) = list_groups(session)
    assert info.members == 2 and info.used_by == ["rule:secret.aws_access_key_id"]


def test_policy_group_scope_and_rule_scope_must_both_pass(store) -> None:
    iid = store.integration_id
    _user(store, "user-a", "a@hr.example.com")
    _user(store, "user-b", "b@hr.example.com")
    with store.sessions.begin() as session:
        hr = create_group(session, "HR", ["*@hr.example.com"])
        only_a = create_group(session, "Only A", ["a@hr.example.com"])
        set_policy(session, "policy", "access_data", scope={"groups": [str(hr.id)]})
        set_policy(session, "rule", "secret.aws_access_key_id", scope={"groups": [str(only_a.id)]})
    _record(store, alert(iid, item_id="a", subject_id="user-a"), alert(iid, item_id="b", subject_id="user-b"))
    assert _reasons(store) == {"a": None, "b": "out_of_scope"}


def test_deleting_a_group_takes_it_out_of_scopes(store) -> None:
    with store.sessions.begin() as session:
        group = create_group(session, "Legal", ["legal@example.com"])
        set_policy(session, "rule", "pii.email", scope={"groups": [group.id], "agents": ["g-1"]})
        with pytest.raises(GroupError, match="already exists"):
            create_group(session, "Legal", ["x@example.com"])
        update_group(session, group.id, members=["*@legal.example.com"])
        assert group.patterns == ["*@legal.example.com"] and group.emails == []
        assert delete_group(session, group.id) == ["rule:pii.email"]
        setting = session.query(PolicySetting).one()
        assert setting.scope == {"agents": ["g-1"]}
        with pytest.raises(PolicyError, match="unknown user group"):
            set_policy(session, "rule", "pii.email", scope={"groups": [group.id]})
        with pytest.raises(PolicyError, match="unknown integration"):
            set_policy(session, "rule", "pii.email", scope={"integrations": ["999"]})


def test_scope_by_app(store) -> None:
    iid = store.integration_id
    with store.sessions.begin() as session:
        set_policy(session, "rule", "pii.email", scope={"apps": ["app-slack"]})
    _record(
        store,
        alert(iid, item_id="in", rule="pii.email", app_id="app-slack"),
        alert(iid, item_id="out", rule="pii.email", app_id="app-drive"),
    )
    assert _reasons(store) == {"in": None, "out": "out_of_scope"}


def test_groups_cli_add_list_scope_remove(store) -> None:
    import json

    from typer.testing import CliRunner

    from aiwatch.cli import app

    def invoke(*args: str):
        return CliRunner().invoke(app, list(args))

    _user(store, "user-fin", "carol@finance.example.com")
    added = invoke(
        "groups", "add", "Finance", "--member", "*@finance.example.com", "--member", "x@example.com"
    )
    assert added.exit_code == 0, added.output
    assert invoke("groups", "add", "Bad", "--member", "nobody").exit_code == 2
    scoped = invoke("policies", "set", "pii.email", "--group", "Finance")
    assert scoped.exit_code == 0, scoped.output
    assert invoke("policies", "set", "pii.email", "--group", "Nope").exit_code == 2
    (listed,) = json.loads(invoke("groups", "list", "--format", "json").output)
    assert listed["members"] == 1 and listed["used_by"] == ["rule:pii.email"]
    removed = invoke("groups", "remove", "Finance")
    assert removed.exit_code == 0 and "rule:pii.email" in removed.output
    assert "No user groups" in invoke("groups", "list").output


# --- bounded replay (the console runs it inside a request) ---


def test_replay_stops_at_its_item_or_time_budget(store) -> None:
    for n in range(6):
        store.message(f"budget talk number {n}", message_id=f"m-{n}", conversation_id=f"c-{n}")
    with store.sessions.begin() as session:
        add_org_rule(session, "budget", "Budget", "keyword", ["budget"])
    with store.sessions() as session:
        whole = replay(session, "custom.budget", str)
        by_items = replay(session, "custom.budget", str, max_items=4)
        ticks = iter(range(100))
        by_time = replay(session, "custom.budget", str, max_seconds=2.5, clock=lambda: float(next(ticks)))
    assert (whole.matches, whole.limited_by, whole.to_json()["complete"]) == (6, None, True)
    assert "message" in whole.kinds_done
    assert (by_items.items_scanned, by_items.matches, by_items.limited_by) == (4, 4, "items")
    assert by_time.limited_by == "time" and by_time.items_scanned == 2 and by_time.kinds_done == []
