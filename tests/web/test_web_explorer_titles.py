"""Conversation titles in the explorer (API and pages) and on the finding page: detected values masked, the
search still matching the stored title."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select
from web_live import Console

from aiwatch.findings.models import Alert
from aiwatch.pipeline.runner import run_pipeline
from aiwatch.store import models as m
from aiwatch.store.repositories import upsert_conversations

AWS_KEY = "AKIAZ3MHALJQ4RX7QWER"
EMAIL = "jane.doe@acme-corp.io"
TITLE = f"Deploy with {AWS_KEY} for {EMAIL}"
BODY = "Can you check the rollout checklist?"


@pytest.fixture(scope="module")
def seeded(console: Console) -> dict[str, int]:
    """One conversation whose title holds an AWS key and an email, scanned by the pipeline."""
    state = console.app.state
    with state.sessions.begin() as session:
        integration = m.Integration(
            name="titles",
            base_url="http://127.0.0.1:9",
            workspace_id="ws-titles",
            chatgpt_org_id="org-1",
            platform_org_id="org-2",
            key_last4="abcd",
        )
        session.add(integration)
        session.flush()
        iid = integration.id
        upsert_conversations(
            session,
            iid,
            [
                {
                    "conversation_id": "conv-title-1",
                    "user_id": "user-alice",
                    "user_email": "alice@example.com",
                    "title": TITLE,
                    "created_at": datetime(2026, 11, 2, tzinfo=UTC),
                }
            ],
        )
        session.add(
            m.Message(
                integration_id=iid,
                message_id="msg-title-1",
                conversation_id="conv-title-1",
                role="user",
                text=BODY,
                source="conversations",
                created_at=datetime(2026, 11, 2, 0, 1, tzinfo=UTC),
                content_hash=hashlib.sha256(BODY.encode()).hexdigest(),
            )
        )
    run_pipeline(state.sessions, state.settings, include_posture=False)
    with state.sessions() as session:
        row_id = session.scalar(
            select(m.Conversation.id).where(m.Conversation.conversation_id == "conv-title-1")
        )
        finding_id = session.scalar(
            select(Alert.finding_id).where(
                Alert.item_kind == "conversation", Alert.rule == "secret.aws_access_key_id"
            )
        )
    assert row_id is not None and finding_id is not None
    return {"conversation": row_id, "finding": finding_id}


@pytest.fixture(scope="module")
def act(console: Console) -> httpx.Client:
    _info, token = console.app.state.accounts.create_token("analyst", "titles-act", ["act"])
    return httpx.Client(base_url=console.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def _clear(text: str) -> bool:
    return AWS_KEY in text or EMAIL in text


def test_search_matches_the_stored_title_and_shows_it_masked(
    seeded: dict[str, int], act: httpx.Client
) -> None:
    # The query is part of the detected key: the search still finds the title that holds it.
    response = act.get("/api/explorer/messages", params={"q": AWS_KEY[:12]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 1
    [hit] = body["items"]
    assert hit["snippet"]["where"] == "title"
    title = hit["conversation"]["title"]
    assert title.startswith("Deploy with ") and title != TITLE
    assert not _clear(response.text)


def test_conversation_api_shows_the_title_masked_with_its_findings(
    seeded: dict[str, int], act: httpx.Client
) -> None:
    response = act.get(f"/api/explorer/conversations/{seeded['conversation']}")
    assert response.status_code == 200, response.text
    detail = response.json()
    assert detail["title"].startswith("Deploy with ") and not _clear(detail["title"])
    assert seeded["finding"] in {f["id"] for f in detail["findings"]}
    assert [msg["text"] for msg in detail["messages"]] == [BODY]
    assert not _clear(response.text)


def test_explorer_pages_show_the_title_masked(seeded: dict[str, int], console: Console) -> None:
    with console.client("analyst") as client:
        search = client.get("/explorer", params={"q": "deploy"})
        conversation = client.get(f"/explorer/conversations/{seeded['conversation']}")
    assert search.status_code == 200 and conversation.status_code == 200
    assert "Deploy with " in search.text and "Deploy with " in conversation.text
    assert not _clear(search.text) and not _clear(conversation.text)


def test_finding_page_heads_its_context_with_the_masked_title(
    seeded: dict[str, int], console: Console
) -> None:
    with console.client("viewer") as client:
        page = client.get(f"/findings/{seeded['finding']}")
        api = client.get(f"/api/findings/{seeded['finding']}")
    assert page.status_code == 200
    assert 'data-testid="context-title"' in page.text and "Deploy with " in page.text
    assert not _clear(page.text)
    # A viewer cannot open the explorer: no link to it.
    assert f"/explorer/conversations/{seeded['conversation']}" not in page.text
    assert api.status_code == 200
    [context] = api.json()["context"]
    assert context["conversation_id"] == "conv-title-1"
    assert [part["kind"] for part in context["title_segments"]].count("match") == 1
    assert not _clear(api.text)
