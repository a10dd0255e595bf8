"""Posture on stored agents: config_changed against the reviewed version, stored diffs, review errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import Settings
from aiwatch.posture.service import (
    PostureError,
    data_exposure_scanner,
    evaluate_integration,
    get_diff,
    mark_reviewed,
    stored_diffs,
)
from aiwatch.store.db import dispose_engines, init_db, make_session_factory
from aiwatch.store.models import Agent, AgentConfig, Integration, StoredFile

T0 = datetime(2026, 10, 1, tzinfo=UTC)
SECRET = "AKIAQ3EGUWXQ7ZLMN4PD"


@pytest.fixture
def posture_db(settings: Settings) -> Iterator[tuple[sessionmaker[Session], int]]:
    sessions = make_session_factory(init_db(settings))
    with sessions.begin() as session:
        integration = Integration(
            name="acme",
            base_url="http://127.0.0.1:1/v1",
            workspace_id="w",
            chatgpt_org_id="o",
            platform_org_id="p",
            key_last4="abcd",
        )
        session.add(integration)
        session.flush()
        iid = integration.id
    yield sessions, iid
    dispose_engines()


def add_agent(
    session: Session, iid: int, visibility: str = "invite-only", recipients: list | None = None
) -> None:
    session.add(
        Agent(
            integration_id=iid,
            agent_id="g-1",
            kind="gpt",
            owner_id="user-1",
            name="Helper",
            visibility=visibility,
            recipients=recipients or [],
        )
    )


def add_config(
    session: Session, iid: int, config_id: str, days: int, instructions: str, tools: list, files=()
):
    session.add(
        AgentConfig(
            integration_id=iid,
            agent_id="g-1",
            config_id=config_id,
            created_at=T0 + timedelta(days=days),
            instructions=instructions,
            tools=tools,
            files=[{"id": f} for f in files],
        )
    )


ACTION = {"type": "custom_action", "action_domain": "webhook.site", "auth_type": "none"}


def rules_by_config(postures) -> set[tuple[str, str]]:
    return {(h.rule, h.config_id) for p in postures for h in p.hits}


def test_config_changed_follows_the_review_mark(posture_db) -> None:
    sessions, iid = posture_db
    scan = data_exposure_scanner()
    with sessions.begin() as session:
        add_agent(session, iid)
        add_config(session, iid, "cfg-1", 0, "Be brief.", [{"type": "browser"}])
        add_config(
            session,
            iid,
            "cfg-2",
            5,
            f"Be brief.\naws_access_key_id = {SECRET}",
            [{"type": "browser"}, ACTION],
        )
    with sessions.begin() as session:
        found = rules_by_config(evaluate_integration(session, iid, scan=scan))
    assert ("agent.config_changed", "cfg-2") in found  # new action since the first version (nothing reviewed)
    assert {("agent.external_action", "cfg-2"), ("agent.unauthenticated_action", "cfg-2")} <= found
    assert ("agent.sensitive_instructions", "cfg-2") in found
    with sessions.begin() as session:
        diffs = stored_diffs(session, iid, "g-1")
        assert [(d.from_config_id, d.to_config_id, d.widens) for d in diffs] == [("cfg-1", "cfg-2", True)]
        stored = diffs[0].diff
        assert stored["domains_added"] == ["webhook.site"]
        assert SECRET not in str(stored)  # instructions are masked in the stored diff
        assert any("secret.aws_access_key_id" in line for line in stored["instructions_diff"])
        mark_reviewed(session, iid, "g-1", reviewed_by="sec@acme.test", note="ok")
    with sessions.begin() as session:
        found = rules_by_config(evaluate_integration(session, iid, scan=scan))
    assert not any(rule == "agent.config_changed" for rule, _ in found)  # reviewed: nothing new since
    # A new version adding a tool, and wider sharing, after the review.
    with sessions.begin() as session:
        add_config(session, iid, "cfg-3", 9, "Be brief.", [{"type": "browser"}, ACTION, {"type": "dall-e"}])
        agent = session.query(Agent).one()
        agent.visibility = "anyone-with-link"
    with sessions.begin() as session:
        postures = evaluate_integration(session, iid, scan=scan)
        changed = [h for p in postures for h in p.hits if h.rule == "agent.config_changed"]
        assert [(h.config_id, h.details["from_config_id"]) for h in changed] == [("cfg-3", "cfg-2")]
        assert "new tool dall-e" in changed[0].evidence
        assert "visibility invite-only -> anyone-with-link" in changed[0].evidence
        assert ("agent.public_sharing", "cfg-3") in rules_by_config(postures)
        diff = get_diff(session, iid, "g-1", scan=scan)
        assert (
            diff.from_config_id == "cfg-2" and diff.to_config_id == "cfg-3" and diff.tools_added == ["dall-e"]
        )
        assert diff.sharing_widened
        back = get_diff(session, iid, "g-1", "cfg-3", "cfg-1", scan=scan)
        assert (
            back.tools_removed == ["dall-e"] and back.domains_removed == ["webhook.site"] and not back.widens
        )


def test_sharing_widened_after_review_of_the_latest_version(posture_db) -> None:
    sessions, iid = posture_db
    with sessions.begin() as session:
        add_agent(session, iid, recipients=[{"id": "user-2", "permissions": {"can_write": False}}])
        add_config(session, iid, "cfg-1", 0, "Hi", [])
    with sessions.begin() as session:
        mark_reviewed(session, iid, "g-1", "cfg-1")
    with sessions.begin() as session:
        assert rules_by_config(evaluate_integration(session, iid)) == set()
        agent = session.query(Agent).one()
        agent.recipients = [
            {"id": "user-2", "permissions": {"can_write": True}},
            {"id": "user-3", "permissions": {"can_write": False}},
        ]
    with sessions.begin() as session:
        changed = [
            h for p in evaluate_integration(session, iid) for h in p.hits if h.rule == "agent.config_changed"
        ]
    assert len(changed) == 1 and "new recipient" in changed[0].evidence


def test_sensitive_knowledge_from_fetched_file_text(posture_db) -> None:
    sessions, iid = posture_db
    with sessions.begin() as session:
        add_agent(session, iid)
        add_config(session, iid, "cfg-1", 0, "Hi", [], files=("file-k", "file-pending"))
        add_config(session, iid, "cfg-2", 1, "Hi", [], files=("file-k",))
        session.add(
            StoredFile(
                integration_id=iid,
                kind="gpt",
                file_id="file-k",
                agent_id="g-1",
                state="fetched",
                extracted_text=f"aws_access_key_id = {SECRET}",
            )
        )
        session.add(StoredFile(integration_id=iid, kind="gpt", file_id="file-pending", agent_id="g-1"))
    with sessions.begin() as session:
        hits = [
            h
            for p in evaluate_integration(session, iid)
            for h in p.hits
            if h.rule == "agent.sensitive_knowledge"
        ]
    assert [(h.config_id, h.file_id) for h in hits] == [
        ("cfg-1", "file-k")
    ]  # once, on the version that added it
    assert SECRET not in hits[0].evidence


def test_review_and_diff_errors(posture_db) -> None:
    sessions, iid = posture_db
    with sessions.begin() as session:
        with pytest.raises(PostureError, match="not stored"):
            mark_reviewed(session, iid, "g-missing")
        add_agent(session, iid)
        session.flush()
        with pytest.raises(PostureError, match="no stored configuration"):
            mark_reviewed(session, iid, "g-1")
        add_config(session, iid, "cfg-1", 0, "Hi", [])
        session.flush()
        with pytest.raises(PostureError, match="no configuration 'cfg-x'"):
            mark_reviewed(session, iid, "g-1", "cfg-x")
        with pytest.raises(PostureError, match="cfg-x"):
            get_diff(session, iid, "g-1", "cfg-x")
        assert evaluate_integration(session, iid + 99) == []
