"""Sync health page, integration tile and Manage table: per-stream cursor and retention-window warnings."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, update
from web_live import Console

from aiwatch.store.models import Integration, SyncCursor, utc_now

WORKSPACE = "8e0a1c52-7d5e-4d0b-9a51-3f0c2b7a9d10"
CHATGPT_ORG = "org-AbCdEfGhIjKlMnOpQrStUvWx"
PLATFORM_ORG = "org-ZyXwVuTsRqPoNmLkJiHgFeDc"


def _connect(console: Console, name: str, *, connected_ago: timedelta, status: str = "connected") -> int:
    state = console.app.state
    info, _ = state.integrations.add(
        name=name,
        workspace_id=WORKSPACE,
        chatgpt_org_id=CHATGPT_ORG,
        platform_org_id=PLATFORM_ORG,
        api_key="sk-proj-RetentionTest0123456789abcdefghij" + name[:4].ljust(4, "x"),
    )
    with state.sessions.begin() as session:
        session.execute(
            update(Integration)
            .where(Integration.id == info.id)
            .values(created_at=utc_now() - connected_ago, status=status)
        )
    return info.id


def _cursors(console: Console, integration_id: int, rows: dict[str, dict[str, Any]]) -> None:
    now = utc_now()
    with console.app.state.sessions.begin() as session:
        session.execute(delete(SyncCursor).where(SyncCursor.integration_id == integration_id))
        for stream, row in rows.items():
            ago = row.get("ago")
            session.add(
                SyncCursor(
                    integration_id=integration_id,
                    stream=stream,
                    cursor=row.get("cursor"),
                    last_success_at=None if ago is None else now - ago,
                    last_error=row.get("error"),
                    last_error_at=now if row.get("error") else None,
                    items_synced=row.get("items", 0),
                )
            )


FRESH = timedelta(minutes=5)


@pytest.fixture(scope="module")
def stale(console: Console) -> int:
    """Connected 40 days ago; three log streams fell behind, the rest is current."""
    integration_id = _connect(console, "stale", connected_ago=timedelta(days=40))
    _cursors(
        console,
        integration_id,
        {
            "users": {"ago": FRESH, "cursor": {"after": None}, "items": 4},
            "conversations": {
                "ago": FRESH,
                "cursor": {"after": None, "last_pass_started_at": 1796300000.5},
                "items": 12,
            },
            "files": {"ago": FRESH, "cursor": {}},
            "logs:AUTH_LOG": {"ago": timedelta(days=26), "cursor": {"after": "2026-11-07T10:00:00Z"}},
            "logs:AUDIT_LOG": {
                "ago": timedelta(days=35),
                "cursor": {"after": "2026-10-29T08:00:00Z"},
                "error": "server error (HTTP 503) after 5 retries",
            },
            "logs:APP_LOG": {"ago": timedelta(days=10), "cursor": {"after": "2026-11-23T00:00:00Z"}},
        },
    )
    return integration_id


@pytest.fixture(scope="module")
def never(console: Console) -> int:
    """Connected 3 days ago; the first pass stopped on the users stream, nothing else ever ran."""
    integration_id = _connect(console, "never", connected_ago=timedelta(days=3), status="error")
    _cursors(console, integration_id, {"users": {"ago": None, "error": "key rejected (HTTP 401)"}})
    return integration_id


def _section(html: str, name: str) -> str:
    """The part of the sync health page about one integration."""
    start = html.index(f"<h2>{name} ")
    end = html.find("<h2>", start + 4)
    return html[start:end]


def _warnings(section: str) -> list[tuple[str, str]]:
    return re.findall(r'data-retention="([^"]+)" data-level="([^"]+)"', section)


def test_sync_health_lists_retention_warnings_most_urgent_first(
    console: Console, stale: int, never: int
) -> None:
    with console.client("viewer") as client:
        page = client.get("/sync-health")
    assert page.status_code == 200
    section = _section(page.text, "stale")
    assert _warnings(section) == [
        ("logs:AUDIT_LOG", "exceeded"),
        ("logs:AUTH_LOG", "critical"),
        ("logs:APP_LOG", "warning"),
    ]
    assert "exceeded by 5.0 days" in section and "4.0 days left" in section and "20.0 days left" in section
    assert "Log feed events are kept about 30 days" in section and "UTC is lost" in section
    assert "Fix the error shown" in section  # AUDIT_LOG has an error
    assert "aiwatch sync" in section  # the others just fell behind
    assert "Manage stale" not in section  # viewers cannot act on it
    # The per-stream cursor, pass times as dates rather than epoch floats.
    assert "after=2026-10-29T08:00:00Z" in section
    assert re.search(r"last_pass_started_at=2026-\d\d-\d\d \d\d:\d\d:\d\d", section)


def test_a_first_sync_that_never_reached_the_data_warns_from_the_connection(
    console: Console, never: int
) -> None:
    with console.client("admin") as client:
        section = _section(client.get("/sync-health").text, "never")
    # Chat uploads (24 h) are past the window after 3 days; the log feed (30 days) is still fine.
    assert _warnings(section) == [("conversations", "exceeded")]
    assert "has never completed a sync since the integration was connected 3.0 days ago" in section
    assert "Fix the error shown" in section and 'href="/integrations/never"' in section


def test_the_tile_shows_the_most_urgent_warning_and_links_to_sync_health(
    console: Console, stale: int, never: int
) -> None:
    with console.client("viewer") as client:
        tiles = client.get("/integrations", headers={"HX-Request": "true"}).text
    stale_tile = tiles[tiles.index('data-integration="stale"') :]
    stale_tile = stale_tile[: stale_tile.index("</section>")]
    found = re.search(r'data-testid="retention" data-level="(\w+)">(.*?)</dd>', stale_tile, re.S)
    assert found is not None and found.group(1) == "exceeded"
    assert "logs:AUDIT_LOG: exceeded by 5.0 days" in found.group(2)
    assert "Sync health (2 more)" in found.group(2)
    assert "Log feed events are kept about 30 days: data from" in found.group(2)
    assert "Fix the error shown" in found.group(2)  # what to do, briefly


def test_the_manage_table_shows_the_cursor_and_each_streams_window(console: Console, stale: int) -> None:
    with console.client("admin") as client:
        page = client.get("/integrations/stale").text
    levels = dict(re.findall(r'<tr data-stream="([^"]+)">.*?(?:data-level="(\w+)"|no limit)', page, re.S))
    assert levels == {
        "conversations": "ok",
        "files": "ok",
        "logs:APP_LOG": "warning",
        "logs:AUDIT_LOG": "exceeded",
        "logs:AUTH_LOG": "critical",
        "users": "",
    }
    assert 'data-testid="cursor">after=2026-11-07T10:00:00Z<' in page


def test_a_paused_integration_is_told_to_resume_and_caught_up_streams_clear_the_warnings(
    console: Console,
) -> None:
    integration_id = _connect(console, "paused", connected_ago=timedelta(days=60), status="paused")
    _cursors(console, integration_id, {"logs:AUTH_LOG": {"ago": timedelta(days=12)}})
    with console.client("viewer") as client:
        section = _section(client.get("/sync-health").text, "paused")
        # No conversations row at all: measured from the connection 60 days ago, past both its windows.
        assert _warnings(section) == [("conversations", "exceeded"), ("logs:AUTH_LOG", "warning")]
        assert "Resume the integration" in section
        _cursors(
            console,
            integration_id,
            {"logs:AUTH_LOG": {"ago": FRESH}, "conversations": {"ago": FRESH}, "files": {"ago": FRESH}},
        )
        section = _section(client.get("/sync-health").text, "paused")
        assert _warnings(section) == [] and 'data-testid="retention-ok"' in section
        tiles = client.get("/integrations", headers={"HX-Request": "true"}).text
        paused_tile = tiles[tiles.index('data-integration="paused"') :]
        assert 'data-testid="retention"' not in paused_tile[: paused_tile.index("</section>")]
