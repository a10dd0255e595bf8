"""Agents list (sharing, changed since reviewed, filters, sorts), versions, diffs, details, reviews."""

from __future__ import annotations

import pytest
from inventory_seed import ACTION, NOW, SECRET, Workspace, recipient

from aiwatch.inventory import InventoryError, NotFound
from aiwatch.inventory.agents import (
    AgentFilter,
    agent_diff,
    find_agent,
    get_agent,
    list_agents,
    list_versions,
    mark_reviewed,
    sharing_category,
)
from aiwatch.inventory.common import Page
from aiwatch.store.models import Agent, AgentConfig


def ids(workspace: Workspace, **kwargs) -> list[str]:
    with workspace.sessions() as session:
        rows, _ = list_agents(session, AgentFilter(**kwargs))
    return [r.agent_id for r in rows]


def row(workspace: Workspace, agent_id: str):
    with workspace.sessions() as session:
        rows, _ = list_agents(session, AgentFilter(include_deleted=True, page=Page("name", limit=50)))
    return next(r for r in rows if r.agent_id == agent_id)


def review(workspace: Workspace, agent_id: str, config_id: str | None = None) -> None:
    with workspace.sessions.begin() as session:
        mark_reviewed(session, find_agent(session, agent_id), config_id, reviewed_by="ana")


def test_rows_carry_sharing_latest_version_and_counts(workspace: Workspace) -> None:
    helper = row(workspace, "g-1")
    assert (helper.sharing, helper.sharing_label, helper.shared_with) == ("shared", "shared with 2 users", 2)
    assert helper.tools == ["browser"] and helper.action_domains == ["webhook.site"]
    assert helper.unauthenticated_domains == ["webhook.site"]
    assert (helper.files, helper.versions, helper.latest_config_id) == (1, 3, "c3")
    assert helper.open_findings == 1 and helper.risk_score is not None
    assert helper.owner_email == "alice@acme.io"
    store = row(workspace, "g-2")
    assert (store.sharing, store.sharing_label) == ("public", "public (GPT Store)")
    assert row(workspace, "g-p-3").sharing == "link"
    assert row(workspace, "g-4").deleted_at is not None


def test_sharing_categories() -> None:
    assert sharing_category("invite-only", 0) == ("private", "private")
    assert sharing_category(None, 1) == ("shared", "shared with 1 user")
    assert sharing_category("workspace", 3) == ("workspace", "workspace, shared with 3 users")
    assert sharing_category("anyone-with-link", 0) == ("public", "public link")


def test_filters(workspace: Workspace) -> None:
    assert ids(workspace, page=Page("name", False)) == ["g-1", "g-p-3", "g-2"]  # deleted ones hidden
    assert "g-4" in ids(workspace, include_deleted=True)
    assert ids(workspace, kind="project") == ["g-p-3"]
    assert ids(workspace, sharing="public") == ["g-2"]
    assert ids(workspace, sharing="shared") == ["g-1"]
    assert ids(workspace, sharing="private") == []
    assert ids(workspace, text="ALICE@", page=Page("name", False)) == ["g-1", "g-p-3"]
    assert ids(workspace, owner="u-bob") == ["g-2"]
    assert ids(workspace, changed=True) == ["g-1"]
    assert set(ids(workspace, changed=False)) == {"g-2", "g-p-3"}
    top = row(workspace, "g-2").risk_score
    assert top is not None and ids(workspace, min_risk=top) in (["g-2"], ["g-2", "g-1"], ["g-1", "g-2"])


def test_sorts(workspace: Workspace) -> None:
    assert ids(workspace, page=Page("versions"))[0] == "g-1"
    assert ids(workspace, page=Page("changed_at")) == ["g-1", "g-p-3", "g-2"]  # newest version first
    assert ids(workspace, page=Page("name")) == ["g-2", "g-p-3", "g-1"]
    with workspace.sessions() as session:
        _, total = list_agents(session, AgentFilter(page=Page("risk", limit=1, offset=2)))
    assert total == 3


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "bot"}, "kind must be one of gpt, project"),
        ({"sharing": "everyone"}, "sharing must be one of"),
        ({"page": Page("owner")}, "cannot sort by 'owner'"),
        ({"min_risk": -1}, "min_risk"),
    ],
)
def test_bad_filters(workspace: Workspace, kwargs: dict, message: str) -> None:
    with workspace.sessions() as session, pytest.raises(InventoryError, match=message):
        list_agents(session, AgentFilter(**kwargs))


def test_never_reviewed_agent_changed_since_its_first_version(workspace: Workspace) -> None:
    helper = row(workspace, "g-1")
    assert helper.changed and helper.reviewed_config_id is None and helper.widens
    assert "new action domain webhook.site" in helper.change_reasons
    assert not row(workspace, "g-2").changed  # a single version


def test_review_clears_changed_until_a_new_version_or_wider_sharing(workspace: Workspace) -> None:
    review(workspace, "g-1")
    helper = row(workspace, "g-1")
    assert not helper.changed and helper.reviewed_config_id == "c3" and helper.reviewed_by == "ana"
    assert ids(workspace, changed=True) == []
    with workspace.sessions.begin() as session:
        session.add(
            AgentConfig(
                integration_id=workspace.iid,
                agent_id="g-1",
                config_id="c4",
                created_at=NOW,
                instructions="Answer politely.",
                tools=[{"type": "browser"}, {"type": "code_interpreter"}, ACTION],
                files=[],
            )
        )
    helper = row(workspace, "g-1")
    assert helper.changed and helper.widens and helper.change_reasons == ["new tool code_interpreter"]
    review(workspace, "g-1")
    assert not row(workspace, "g-1").changed
    # Sharing has no versions: a new recipient after the review is a change too.
    with workspace.sessions.begin() as session:
        agent = session.query(Agent).filter_by(agent_id="g-1").one()
        agent.recipients = [*agent.recipients, recipient("u-dave")]
    helper = row(workspace, "g-1")
    assert helper.changed and helper.change_reasons == ["1 new recipient(s)"]
    assert ids(workspace, changed=True) == ["g-1"]


def test_review_of_an_unknown_version_is_refused(workspace: Workspace) -> None:
    with workspace.sessions() as session, pytest.raises(InventoryError, match="no configuration 'c9'"):
        mark_reviewed(session, find_agent(session, "g-1"), "c9", reviewed_by="ana")


def test_versions_newest_first_with_what_changed(workspace: Workspace) -> None:
    review(workspace, "g-1", "c2")
    with workspace.sessions() as session:
        versions = list_versions(session, find_agent(session, "g-1"))
    assert [v.config_id for v in versions] == ["c3", "c2", "c1"]
    assert versions[0].is_latest and not versions[1].is_latest
    assert versions[2].changes == ["first version"]
    assert versions[1].changes == [
        "+ action webhook.site",
        "unauthenticated action webhook.site",
        "+ 1 file(s)",
    ]
    assert versions[0].changes == ["name changed", "description changed", "instructions changed"]
    assert [r.reviewed_by for r in versions[1].reviews] == ["ana"] and versions[0].reviews == []


def test_default_diff_is_previous_then_reviewed_with_masked_text(workspace: Workspace) -> None:
    with workspace.sessions() as session:
        agent = find_agent(session, "g-1")
        diff = agent_diff(session, agent)
    assert (diff.from_config_id, diff.to_config_id, diff.base) == ("c2", "c3", "previous")
    fields = {f.field: f for f in diff.fields}
    assert (fields["Name"].before, fields["Name"].after) == ("Helper", "Helper v2")
    description = fields["Description"].after or ""
    assert SECRET not in description and "[secret.aws_access_key_id:" in description
    added = [line.text for line in diff.instructions if line.kind == "add"]
    assert added and all(SECRET not in text for text in added)
    assert any("[secret.aws_access_key_id:" in text for text in added)
    assert not diff.widens and not diff.sharing_compared
    review(workspace, "g-1", "c1")
    with workspace.sessions() as session:
        diff = agent_diff(session, find_agent(session, "g-1"))
    assert (diff.from_config_id, diff.base, diff.widens) == ("c1", "reviewed", True)
    fields = {f.field: f for f in diff.fields}
    assert fields["Action domains"].added == ("webhook.site",)
    assert fields["Knowledge files"].added == ("prices.csv",)  # named, not just ids


def test_diff_from_the_review_compares_sharing(workspace: Workspace) -> None:
    review(workspace, "g-1")
    with workspace.sessions.begin() as session:
        agent = session.query(Agent).filter_by(agent_id="g-1").one()
        agent.visibility = "anyone-with-link"
    with workspace.sessions() as session:
        diff = agent_diff(session, find_agent(session, "g-1"))
    assert (diff.from_config_id, diff.to_config_id, diff.base) == ("c3", "c3", "reviewed")
    assert diff.sharing_compared and diff.widens and not diff.unchanged
    assert [(f.field, f.before, f.after) for f in diff.fields] == [
        ("Visibility", "invite-only", "anyone-with-link")
    ]


def test_chosen_and_first_version_diffs(workspace: Workspace) -> None:
    with workspace.sessions() as session:
        helper, store = find_agent(session, "g-1"), find_agent(session, "g-2")
        chosen = agent_diff(session, helper, "c3", "c1")
        first = agent_diff(session, store)
        same = agent_diff(session, helper, "c2", "c2")
        with pytest.raises(InventoryError, match="no version 'nope'; known: c1, c2, c3"):
            agent_diff(session, helper, "nope")
    assert chosen.base == "chosen"
    assert {f.field: f.removed for f in chosen.fields}["Action domains"] == ("webhook.site",)
    assert (first.from_config_id, first.base) == (None, "none")
    assert {f.field: f.added for f in first.fields}["Tools"] == ("dall-e",)
    assert same.unchanged


def test_agent_details(workspace: Workspace) -> None:
    with workspace.sessions() as session:
        detail = get_agent(session, "g-1")
        by_row = get_agent(session, str(detail.agent.id))
        with pytest.raises(NotFound):
            get_agent(session, "g-none")
    assert by_row.agent.agent_id == "g-1"
    assert [(u.email, u.can_write) for u in detail.shared_users] == [
        ("bob@acme.io", False),
        ("carol@acme.io", True),
    ]
    assert [(a.domain, a.auth_type, a.unauthenticated) for a in detail.actions] == [
        ("webhook.site", "none", True)
    ]
    assert [(f.name, f.state, f.size) for f in detail.files] == [("prices.csv", "fetched", 2048)]
    assert SECRET not in (detail.instructions or "") and SECRET not in (detail.description or "")
    assert [f.rule for f in detail.open_findings] == ["agent.config_changed"]
    assert detail.user_findings == 1  # bob's finding involving g-1
    assert detail.risk is not None and detail.risk.findings[0].rule == "agent.config_changed"
    assert [v.config_id for v in detail.versions] == ["c3", "c2", "c1"]


def test_agent_without_versions(workspace: Workspace) -> None:
    with workspace.sessions.begin() as session:
        session.add(Agent(integration_id=workspace.iid, agent_id="g-5", kind="gpt", name="Empty"))
    with workspace.sessions() as session:
        detail = get_agent(session, "g-5")
        with pytest.raises(InventoryError, match="no stored configuration"):
            agent_diff(session, find_agent(session, "g-5"))
    assert detail.versions == [] and detail.agent.versions == 0 and not detail.agent.changed
    assert detail.agent.latest_at is None
