"""The explorer pages: analyst-only search with filters, highlighted and escaped snippets, usage panel,
and the audited conversation view (purged bodies say so)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from web_live import Console

from aiwatch.store import models as m

MARKUP = "<script>alert('x')</script> 100%_literal"


@pytest.fixture(scope="module")
def planted(populated: Console) -> dict[str, object]:
    """A planted message label and a conversation holding an HTML-looking message and a purged one."""
    label = next(item for item in populated.labels if item.location.get("kind") == "message")
    with populated.app.state.sessions.begin() as session:
        integration = session.query(m.Integration).one().id
        conv = m.Conversation(
            integration_id=integration,
            conversation_id="conv-explorer-test",
            user_id="user-explorer",
            user_email="explorer@corp.example",
            title="Escaping <b>check</b>",
            created_at=datetime(2026, 11, 30, tzinfo=UTC),
        )
        session.add(conv)
        session.add_all(
            [
                m.Message(
                    integration_id=integration,
                    message_id="msg-markup",
                    conversation_id="conv-explorer-test",
                    role="user",
                    text=MARKUP,
                    created_at=datetime(2026, 11, 30, 1, tzinfo=UTC),
                    source="conversations",
                    content_hash="a" * 64,
                ),
                m.Message(
                    integration_id=integration,
                    message_id="msg-purged",
                    conversation_id="conv-explorer-test",
                    role="assistant",
                    text=None,
                    created_at=datetime(2026, 11, 30, 2, tzinfo=UTC),
                    source="conversations",
                    content_hash="b" * 64,  # had text: retention cleared it
                ),
            ]
        )
        session.flush()
        conv_id = conv.id
        planted_conv = (
            session.query(m.Conversation)
            .filter_by(conversation_id=label.location["conversation_id"])
            .one()
            .id
        )
    return {"label": label, "conversation": conv_id, "planted_conversation": planted_conv}


def test_viewers_get_the_denied_page(populated: Console, planted: dict[str, object]) -> None:
    with populated.client("viewer") as client:
        denied = client.get("/explorer")
        assert denied.status_code == 403 and "analyst" in denied.text
        assert client.get(f"/explorer/conversations/{planted['conversation']}").status_code == 403
    with populated.client() as anonymous:
        assert anonymous.get("/explorer").status_code == 303


def test_search_finds_a_planted_value_and_links_its_conversation(
    populated: Console, planted: dict[str, object]
) -> None:
    label = planted["label"]
    with populated.client("analyst") as client:
        page = client.get("/explorer", params={"q": label.value})
    assert page.status_code == 200
    assert f'href="/explorer/conversations/{planted["planted_conversation"]}#m' in page.text
    assert re.search(r"<mark>[^<]+</mark>", page.text)
    assert 'class="badge finding-link" href="/findings/' in page.text  # the planted message raised a finding
    assert "Top users by messages" in page.text and 'href="/inventory/users/' in page.text


def test_snippets_are_escaped_and_wildcards_literal(populated: Console, planted: dict[str, object]) -> None:
    with populated.client("analyst") as client:
        page = client.get("/explorer", params={"q": "100%_lit"})
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; <mark>100%_lit</mark>eral" in page.text
        assert "<script>alert" not in page.text
        assert "1 total" in page.text
        assert "No message matches" in client.get("/explorer", params={"q": "100%%lit"}).text
        title = client.get("/explorer", params={"q": "<b>check"})
        assert "Escaping &lt;b&gt;check&lt;/b&gt;" in title.text and "(matched the title)" in title.text
        assert "Message text purged by retention." in title.text


def test_filters_paging_and_bad_input(populated: Console, planted: dict[str, object]) -> None:
    with populated.client("analyst") as client:
        mine = client.get("/explorer", params={"user": "explorer@corp.example"})
        assert "2 total" in mine.text
        tool_only = client.get("/explorer", params={"user": "user-explorer", "role": "assistant"})
        assert "1 total" in tool_only.text
        dated = client.get(
            "/explorer", params={"user": "user-explorer", "from": "2026-11-30", "to": "2026-11-30"}
        )
        assert "2 total" in dated.text
        assert (
            "No message matches"
            in client.get("/explorer", params={"user": "user-explorer", "from": "2026-12-01"}).text
        )
        assert (
            "No message matches"
            in client.get("/explorer", params={"user": "user-explorer", "has_findings": "yes"}).text
        )
        first = client.get("/explorer", params={"per_page": 25})
        total = int(re.search(r"(\d+) total", first.text).group(1))
        assert total > 25 and first.text.count('<li class="hit') == 25
        second = client.get("/explorer", params={"per_page": 25, "page": 2})
        assert second.text.count('<li class="hit') == min(25, total - 25)
        bad = client.get("/explorer", params={"from": "30/11/2026"})
        assert bad.status_code == 422 and "From must be a date" in bad.text
        assert client.get("/explorer", params={"role": "robot"}).status_code == 422


def test_conversation_view_is_audited_and_shows_purged_text(
    populated: Console, planted: dict[str, object]
) -> None:
    audit = populated.app.state.audit
    with populated.client("analyst") as client:
        page = client.get(f"/explorer/conversations/{planted['conversation']}")
        assert page.status_code == 200
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text
        assert "Message text purged by retention." in page.text
        assert 'href="/inventory/users/user-explorer"' in page.text
        flagged = client.get(f"/explorer/conversations/{planted['planted_conversation']}")
        assert re.search(r'class="msg role-\w+ flagged"', flagged.text)
        assert "Findings on this conversation" in flagged.text and 'href="/findings/' in flagged.text
        assert client.get("/explorer/conversations/999999").status_code == 404
    entries, _ = audit.page(limit=5)
    views = [e for e in entries if e.action == "conversation.view"]
    assert views[0].actor == "analyst" and views[1].target == "conversation:conv-explorer-test"
    assert views[1].details["owner"] == "user-explorer" and views[1].details["via"] == "web"


def test_empty_console_explorer(console: Console) -> None:
    with console.client("analyst") as client:
        page = client.get("/explorer")
        assert page.status_code == 200 and "No messages are stored yet." in page.text
        assert "No messages in this time frame." in page.text
        assert "No message matches this search." in client.get("/explorer", params={"q": "x"}).text
