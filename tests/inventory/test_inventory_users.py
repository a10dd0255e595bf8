"""Users list (filters, sorts, paging, apps from the log feed) and one user's profile with explained risk."""

from __future__ import annotations

import math

import pytest
from inventory_seed import NOW, Workspace

from aiwatch.findings.models import Finding
from aiwatch.inventory import InventoryError, NotFound
from aiwatch.inventory.common import Page
from aiwatch.inventory.users import UserFilter, get_user, list_users
from aiwatch.risk.service import score_of


def emails(workspace: Workspace, **kwargs) -> list[str | None]:
    with workspace.sessions() as session:
        rows, _ = list_users(session, UserFilter(**kwargs))
    return [r.email for r in rows]


def test_default_list_is_riskiest_first_with_findings_apps_and_activity(workspace: Workspace) -> None:
    with workspace.sessions() as session:
        rows, total = list_users(session)
        alice_score = score_of(session, workspace.iid, "user", "u-alice")
    assert total == 4
    assert [r.user_id for r in rows[:2]] == ["u-alice", "u-bob"]
    alice, bob = rows[0], rows[1]
    assert alice_score is not None and alice.risk_score == round(alice_score.score, 1)
    assert alice.open_findings == 2  # the resolved ones are not open
    assert bob.open_findings == 2
    assert alice.apps == ["Google Drive"] and bob.apps == ["Dropbox", "Slack (shared by u-alice)"]
    assert alice.last_active is not None and alice.last_active.date() == (NOW.date().replace(day=19))
    assert {r.risk_score for r in rows[2:]} == {None}  # no findings, no score


def test_filters_text_role_status_and_min_risk(workspace: Workspace) -> None:
    assert emails(workspace, text="ARCHER") == ["alice@acme.io"]
    assert emails(workspace, text="acme.io", role="account-admin") == ["alice@acme.io"]
    assert emails(workspace, status="inactive") == ["carol@acme.io"]
    # LIKE wildcards are taken literally: "_" and "%" match only themselves.
    assert emails(workspace, text="e_x") == ["dave_x@acme.io"]
    assert emails(workspace, text="100%") == ["dave_x@acme.io"]
    assert emails(workspace, text="o_b") == []
    with workspace.sessions() as session:
        bob = score_of(session, workspace.iid, "user", "u-bob")
    assert bob is not None
    assert emails(workspace, min_risk=math.floor(bob.score)) == ["alice@acme.io", "bob@acme.io"]
    assert emails(workspace, min_risk=99.9) == []


def test_sorts_and_paging(workspace: Workspace) -> None:
    assert emails(workspace, page=Page("email", descending=False)) == [
        "alice@acme.io",
        "bob@acme.io",
        "carol@acme.io",
        "dave_x@acme.io",
    ]
    # Most recently active first; users without conversations last in both directions.
    assert emails(workspace, page=Page("last_active"))[:2] == ["alice@acme.io", "bob@acme.io"]
    assert emails(workspace, page=Page("last_active", descending=False))[:2] == [
        "bob@acme.io",
        "alice@acme.io",
    ]
    assert emails(workspace, page=Page("findings"))[2:] in (
        ["carol@acme.io", "dave_x@acme.io"],
        ["dave_x@acme.io", "carol@acme.io"],
    )
    with workspace.sessions() as session:
        first, total = list_users(session, UserFilter(page=Page("email", False, limit=3, offset=0)))
        rest, _ = list_users(session, UserFilter(page=Page("email", False, limit=3, offset=3)))
    assert total == 4 and len(first) == 3 and [r.email for r in rest] == ["dave_x@acme.io"]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"page": Page("bogus")}, "cannot sort by 'bogus'"),
        ({"page": Page("risk", limit=0)}, "limit"),
        ({"page": Page("risk", offset=-1)}, "offset"),
        ({"min_risk": 101}, "min_risk"),
    ],
)
def test_bad_input_says_what_is_valid(workspace: Workspace, kwargs: dict, message: str) -> None:
    with workspace.sessions() as session, pytest.raises(InventoryError, match=message):
        list_users(session, UserFilter(**kwargs))


def test_user_profile(workspace: Workspace) -> None:
    with workspace.sessions() as session:
        detail = get_user(session, "u-alice", now=NOW)
        by_row = get_user(session, str(detail.user.id), now=NOW)
        with pytest.raises(NotFound):
            get_user(session, "u-nobody")
        with pytest.raises(NotFound):
            get_user(session, "u-alice", integration_id=workspace.iid + 1)
    assert by_row.user.user_id == "u-alice"
    assert detail.conversations_total == 2 and detail.conversations_recent == 1
    assert [(a.name, a.events) for a in detail.apps] == [("Google Drive", 2)]
    assert [(a.agent_id, a.name, a.messages) for a in detail.agents_used] == [("g-1", "Helper", 1)]
    # Deleted agents are not listed as owned.
    assert [a.agent_id for a in detail.agents_owned] == ["g-1", "g-p-3"]
    assert [f.rule for f in detail.open_findings] == ["secret.aws_access_key_id", "pii.email"]


def test_risk_explanation_adds_up_to_the_stored_score(workspace: Workspace) -> None:
    with workspace.sessions() as session:
        risk = get_user(session, "u-alice", now=NOW).risk
    assert risk is not None
    assert [t.term for t in risk.terms] == ["exposure", "volume", "breadth"]
    assert sum(t.contribution for t in risk.terms) == pytest.approx(risk.score, abs=0.01)
    exposure = risk.terms[0].contribution
    # Each counted finding's points add up to the exposure term; the false positive does not count.
    assert sum(f.points for f in risk.findings) == pytest.approx(exposure, abs=0.05)
    assert {f.rule for f in risk.findings} == {"secret.aws_access_key_id", "pii.email", "code.source"}
    top = risk.findings[0]
    assert (top.rule, top.severity_weight, top.status_factor) == ("secret.aws_access_key_id", 40.0, 1.0)
    assert top.decay == pytest.approx(0.5 ** (1 / 14), abs=1e-3)
    confirmed = next(f for f in risk.findings if f.rule == "code.source")
    assert confirmed.status_factor == 0.5
    old = next(f for f in risk.findings if f.rule == "pii.email")
    assert old.age_days == pytest.approx(20, abs=0.01) and old.decay == pytest.approx(
        0.5 ** (20 / 14), abs=1e-3
    )
    assert risk.rules[0].rule == "secret.aws_access_key_id"
    assert risk.rules[0].alerts == 2
    assert not risk.stale


def test_explanation_is_marked_stale_when_findings_changed_after_scoring(workspace: Workspace) -> None:
    with workspace.sessions.begin() as session:
        row = session.query(Finding).filter_by(subject_id="u-alice", rule="pii.email").one()
        row.status, row.resolution = "resolved", "benign"
    with workspace.sessions() as session:
        risk = get_user(session, "u-alice", now=NOW).risk
    assert risk is not None and risk.stale
