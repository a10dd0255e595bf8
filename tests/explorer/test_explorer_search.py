"""Message search (substring, escaped wildcards, filters, snippets, paging) and conversation detail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from explorer_helpers import NOW, Seed

from aiwatch.explorer.search import (
    PURGED,
    MessageQuery,
    SearchError,
    conversation_detail,
    search_messages,
    snippet,
)
from aiwatch.store import models as m


def _seed(seed: Seed) -> dict[str, object]:
    seed.conversation("c-1", title="Quarterly budget", user_id="user-alice")
    seed.conversation("c-2", title="Holiday plans", user_id="user-bob")
    ids = {
        "discount": seed.message("c-1", "We offer 50% off for early payers", at=NOW - timedelta(hours=5)),
        "wild": seed.message("c-1", "We offer 50 percent off, roughly", at=NOW - timedelta(hours=4)),
        "under": seed.message("c-1", "set max_len to 10", role="assistant", at=NOW - timedelta(hours=3)),
        "maxlen": seed.message("c-1", "set maxXlen to 10", role="assistant", at=NOW - timedelta(hours=2)),
        "gpt": seed.message("c-2", "book a flight to Lisbon", gpt_id="g-travel", at=NOW - timedelta(days=3)),
        "tool": seed.message("c-2", "flight search results", role="tool", at=NOW - timedelta(days=3)),
        "purged": seed.message("c-2", None, purged=True, at=NOW - timedelta(days=40)),
    }
    finding = seed.finding()
    seed.alert("secret.aws_access_key_id", NOW, item_id=str(ids["under"]), finding_id=finding)
    seed.alert("pii.email", NOW, item_id=str(ids["maxlen"]), suppressed_by="ignore:1")
    with seed.sessions.begin() as session:
        session.add(
            m.StoredFile(
                integration_id=seed.integration_id,
                kind="user",
                file_id="file-1",
                conversation_id="c-1",
                name="budget.xlsx",
                state="fetched",
            )
        )
        session.add(
            m.MessageFile(
                integration_id=seed.integration_id,
                message_id=str(ids["discount"]),
                file_id="file-1",
                name="budget.xlsx",
            )
        )
        session.add(
            m.Agent(integration_id=seed.integration_id, agent_id="g-travel", kind="gpt", name="Travel helper")
        )
    seed.alert("pii.iban", NOW, item_kind="file", item_id="file-1", finding_id=finding)
    return {**ids, "finding": finding}


def _found(seed: Seed, **query: object) -> list[str]:
    with seed.sessions() as session:
        page = search_messages(session, MessageQuery(**query))  # type: ignore[arg-type]
    return [hit.message_id for hit in page.items]


def test_search_is_a_substring_with_escaped_wildcards(seed: Seed) -> None:
    ids = _seed(seed)
    assert _found(seed, text="50%") == [ids["discount"]]  # "%" is literal, not "50 … anything"
    assert _found(seed, text="max_len") == [ids["under"]]  # "_" does not match "maxXlen"
    assert _found(seed, text="MAX") == [ids["maxlen"], ids["under"]]  # case-insensitive, newest first
    assert _found(seed, text="\\") == []
    # The title matches too: every message of the conversation.
    assert set(_found(seed, text="holiday")) == {ids["gpt"], ids["tool"], ids["purged"]}


def test_search_filters(seed: Seed) -> None:
    ids = _seed(seed)
    assert set(_found(seed, user="user-bob")) == {ids["gpt"], ids["tool"], ids["purged"]}
    assert set(_found(seed, user="alice@corp.example")) >= {ids["discount"]}
    assert _found(seed, agent="g-travel") == [ids["gpt"]]
    assert _found(seed, role="tool") == [ids["tool"]]
    assert set(_found(seed, role="assistant")) == {ids["under"], ids["maxlen"]}
    assert _found(seed, has_findings=True) == [ids["under"]]  # a suppressed alert is no finding
    assert ids["under"] not in _found(seed, has_findings=False)
    recent = _found(
        seed, since=NOW - timedelta(hours=4, minutes=30), until=NOW - timedelta(hours=2, minutes=30)
    )
    assert recent == [ids["under"], ids["wild"]]
    assert _found(seed, text="flight", user="user-alice") == []
    with pytest.raises(SearchError, match="author role"):
        _found(seed, role="robot")
    with pytest.raises(SearchError, match="200 characters"):
        _found(seed, text="x" * 201)
    with pytest.raises(SearchError, match="after the end"):
        _found(seed, since=NOW, until=NOW - timedelta(days=1))


def test_search_pages_snippets_and_purged(seed: Seed) -> None:
    ids = _seed(seed)
    with seed.sessions() as session:
        first = search_messages(session, MessageQuery(limit=3))
        rest = search_messages(session, MessageQuery(limit=3, offset=6))
        beyond = search_messages(session, MessageQuery(limit=3, offset=50))
        hit = search_messages(session, MessageQuery(text="LISBON")).items[0]
        flagged = search_messages(session, MessageQuery(text="max_len")).items[0]
        purged = search_messages(
            session,
            MessageQuery(
                text="holiday", role="user", since=NOW - timedelta(days=60), until=NOW - timedelta(days=30)
            ),
        ).items[0]
    assert first.total == 7 and len(first.items) == 3 and not first.capped
    assert [h.message_id for h in rest.items] == [ids["purged"]] and beyond.items == []
    assert (hit.snippet.before, hit.snippet.match, hit.snippet.after) == ("book a flight to ", "Lisbon", "")
    assert hit.conversation is not None and hit.conversation["title"] == "Holiday plans"
    assert hit.user_id == "user-bob" and hit.agent_id == "g-travel"
    assert flagged.finding_ids == [ids["finding"]]
    assert purged.purged and purged.snippet.where == "title"


def test_snippet_window_and_markup_stays_text() -> None:
    long = "a" * 200 + "<b>NEEDLE</b>" + "z" * 200
    cut = snippet(long, "needle", width=10)
    assert (
        cut.before == "…" + "a" * 7 + "<b>" and cut.match == "NEEDLE" and cut.after == "</b>" + "z" * 6 + "…"
    )
    assert snippet("short text", None).before == "short text"
    assert snippet("no hit here", "title words", title="Title words here").where == "title"


def test_conversation_detail(seed: Seed) -> None:
    ids = _seed(seed)
    with seed.sessions() as session:
        first = session.query(m.Conversation).filter_by(conversation_id="c-1").one().id
        second = session.query(m.Conversation).filter_by(conversation_id="c-2").one().id
        detail = conversation_detail(session, first)
        other = conversation_detail(session, second)
        assert conversation_detail(session, 999_999) is None
    assert detail is not None and other is not None
    assert [msg["message_id"] for msg in detail["messages"]] == [
        ids["discount"],
        ids["wild"],
        ids["under"],
        ids["maxlen"],
    ]
    assert detail["user"]["email"] == "alice@corp.example"
    flagged = detail["messages"][2]
    assert flagged["finding_ids"] == [ids["finding"]] and flagged["evidence"][0]["evidence"] == "AK…WQ2P"
    assert detail["messages"][3]["finding_ids"] == []  # only a suppressed alert
    assert detail["messages"][0]["files"] == ["budget.xlsx"]
    assert detail["files"][0]["name"] == "budget.xlsx" and detail["files"][0]["finding_ids"] == [
        ids["finding"]
    ]
    assert [f["id"] for f in detail["findings"]] == [ids["finding"]]
    assert other["agents"] == [{"id": "g-travel", "name": "Travel helper", "kind": "gpt"}]
    purged = other["messages"][0]
    assert purged["purged"] and purged["text"] is None and PURGED == "purged by retention"


def test_user_filter_keeps_integrations_apart(seed: Seed) -> None:
    """The same conversation id in a second workspace, owned by someone else, is not that user's."""
    seed.conversation("c-1", user_id="user-alice")
    mine = seed.message("c-1", "from the first workspace")
    with seed.sessions.begin() as session:
        other = m.Integration(
            name="ws2",
            base_url="http://127.0.0.1:9",
            workspace_id="ws-2",
            chatgpt_org_id="o",
            platform_org_id="p",
            key_last4="wxyz",
        )
        session.add(other)
        session.flush()
        session.add(m.Conversation(integration_id=other.id, conversation_id="c-1", user_id="user-zed"))
        session.add(
            m.Message(
                integration_id=other.id,
                message_id="other-msg",
                conversation_id="c-1",
                role="user",
                text="from the second workspace",
                created_at=NOW,
                source="conversations",
            )
        )
    assert _found(seed, user="user-alice") == [mine]
    assert _found(seed, user="user-zed") == ["other-msg"]
