"""The Compliance Logs Platform: listing, cursor semantics, downloads, envelopes, mirroring, new data."""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter

import httpx
import pytest

from aiwatch.emulator import logfeed
from aiwatch.emulator.app import redacted
from aiwatch.emulator.server import EmulatorConfig, EmulatorServer

EPOCH = "2020-01-01T00:00:00Z"


def list_all(api: httpx.Client, path: str, event_type: str, limit: int = 5) -> list[list[dict]]:
    pages, after = [], EPOCH
    for _ in range(1000):
        body = api.get(path, params={"event_type": event_type, "after": after, "limit": limit}).json()
        pages.append(body["data"])
        if not body["has_more"]:
            return pages
        after = body["last_end_time"]
    raise AssertionError("the log listing never ended")


def download(api: httpx.Client, path: str, file_id: str) -> tuple[bytes, list[dict]]:
    redirect = api.get(f"{path}/{file_id}")
    assert redirect.status_code == 307
    response = httpx.get(redirect.headers["location"])
    assert response.status_code == 200
    return response.content, [json.loads(line) for line in response.content.splitlines()]


def test_listing_is_ascending_complete_and_may_repeat_the_boundary(
    emu: EmulatorServer, api: httpx.Client, ws: str
) -> None:
    pages = list_all(api, f"{ws}/logs", "CONVERSATION_MESSAGE", limit=4)
    flat = [f for page in pages for f in page]
    ends = [f["end_time"] for f in flat]
    assert ends == sorted(ends)
    truth = {f.id for f in emu.workspace.log_files if f.event_type == "CONVERSATION_MESSAGE"}
    assert {f["id"] for f in flat} == truth
    assert len(flat) > len(truth)  # the boundary file came back on the next page
    for item in flat:
        assert item["id"].startswith("eclf_") and item["file_name"].endswith(".jsonl")
        assert item["end_time"].endswith("Z")


def test_empty_page_keeps_cursor_null_and_before_bounds(api: httpx.Client, ws: str) -> None:
    empty = api.get(
        f"{ws}/logs", params={"event_type": "AUTH_LOG", "after": "2100-01-01T00:00:00+00:00"}
    ).json()
    assert empty == {"data": [], "has_more": False, "last_end_time": None}
    first = api.get(f"{ws}/logs", params={"event_type": "AUTH_LOG", "after": EPOCH, "limit": 1}).json()
    bounded = api.get(
        f"{ws}/logs", params={"event_type": "AUTH_LOG", "after": EPOCH, "before": first["last_end_time"]}
    ).json()
    assert all(f["end_time"] < first["last_end_time"] for f in bounded["data"])


def test_download_matches_size_and_sha256(emu: EmulatorServer, api: httpx.Client, ws: str) -> None:
    listed = api.get(f"{ws}/logs", params={"event_type": "AUDIT_LOG", "after": EPOCH, "limit": 3}).json()[
        "data"
    ]
    for item in listed:
        body, events = download(api, f"{ws}/logs", item["id"])
        assert len(body) == item["file_size"]
        assert hashlib.sha256(body).hexdigest() == item["file_sha256"]
        assert events and all(e["type"] == "AUDIT_LOG" for e in events)
    assert api.get(f"{ws}/logs/eclf_unknown").status_code == 404


def test_message_events_mirror_conversations(emu: EmulatorServer) -> None:
    ws = emu.workspace
    messages = {m.id: (c, m) for c, m in ws.iter_messages()}
    events = list(ws.log_events("CONVERSATION_MESSAGE"))
    logged = {m.id for _, m in messages.values() if m.role in ("user", "assistant") and m.text is not None}
    assert {e["message"]["id"] for e in events} == logged
    for event in events:
        conv, message = messages[event["message"]["id"]]
        assert event["conversation"]["id"] == conv.id and event["conversation"]["title"] == conv.title
        assert event["message"]["content"]["value"] == message.text
        assert event["actor"] == {
            "type": "ACCOUNT_USER",
            "user_id": conv.user_id,
            "user_email": ws.users[conv.user_id].email,
        }
        assert event["principal"] == {"id": ws.workspace_id, "type": "CHATGPT_WORKSPACE"}
        if message.role == "assistant":
            assert event["message"]["author"]["model"] == message.model
        else:
            assert event["message"]["author"]["type"] == "user"
        # previous_message_id is the nearest logged ancestor (system/tool messages are not in the feed).
        ancestor, by_id = message.parent_id, {m.id: m for m in conv.messages}
        while ancestor is not None and ancestor not in logged:
            ancestor = by_id[ancestor].parent_id
        assert event.get("previous_message_id") == ancestor


def test_delivery_is_at_least_once(emu: EmulatorServer) -> None:
    counts = Counter(e.event_id for f in emu.workspace.log_files for e in f.events)
    assert max(counts.values()) >= 2


def test_activity_events_present(emu: EmulatorServer) -> None:
    ws = emu.workspace
    audit = list(ws.log_events("AUDIT_LOG"))
    actions = {e["action"] for e in audit}
    assert {
        "USER_ROLE_UPDATED",
        "INVITE_SEND",
        "LIST_WORKSPACE_LOG_FILES",
        "WORKSPACE_TOGGLE_FEATURE",
    } <= actions
    promoted = next(e for e in audit if e["action"] == "USER_ROLE_UPDATED")
    assert promoted["action_data"]["new_role"] == "account-admin"
    assert any(e["actor"]["type"] == "API_KEY" for e in audit)
    failures = Counter(
        e["actor"]["user_id"]
        for e in ws.log_events("AUTH_LOG")
        if e["action_data"]["action"] == "login_failed"
    )
    assert max(failures.values()) >= 5
    assert any(e["action_data"]["action"] == "app_linked" for e in ws.log_events("APP_AUTH_LOG"))
    for event_type in logfeed.WORKSPACE_EVENT_TYPES:
        assert list(ws.log_events(event_type)), event_type
    seconds_only = [e["timestamp"] for e in ws.log_events("COSTS")]
    assert seconds_only and all(len(t) == 20 and t.endswith("Z") for t in seconds_only)


def test_organization_scope(emu: EmulatorServer, api: httpx.Client) -> None:
    org = f"/compliance/organizations/{emu.platform_org_id}/logs"
    wrong_scope = api.get(org, params={"event_type": "AUTH_LOG", "after": EPOCH})
    assert wrong_scope.status_code == 422 and "/compliance/workspaces/" in wrong_scope.json()["detail"]
    costs = api.get(org, params={"event_type": "COSTS", "after": EPOCH}).json()
    assert costs["data"]
    _, events = download(api, org, costs["data"][0]["id"])
    assert events[0]["principal"]["type"] == "OPENAI_ORGANIZATION"
    at_workspace = api.get(
        f"/compliance/workspaces/{emu.workspace_id}/logs", params={"event_type": "COSTS", "after": EPOCH}
    )
    assert at_workspace.status_code == 422 and "/compliance/organizations/" in at_workspace.json()["detail"]
    unknown = api.get(
        "/compliance/organizations/org-unknownunknownunknown1/logs",
        params={"event_type": "COSTS", "after": EPOCH},
    )
    assert unknown.status_code == 404
    future = api.get(
        f"/compliance/workspaces/{emu.workspace_id}/logs",
        params={"event_type": "WORKSPACE_ANALYTICS_LOG", "after": EPOCH},
    )
    assert future.status_code == 200 and future.json()["data"]


def test_new_activity_lands_in_new_files(fresh_emu: EmulatorServer) -> None:
    ws = fresh_emu.workspace
    with httpx.Client(
        base_url=fresh_emu.base_url, headers={"Authorization": f"Bearer {fresh_emu.api_key}"}
    ) as api:
        path = f"/compliance/workspaces/{fresh_emu.workspace_id}/logs"
        cursor = max(f["end_time"] for page in list_all(api, path, "CONVERSATION_MESSAGE") for f in page)
        conv = ws.add_conversation(prompt="Plan the Q3 team offsite agenda.")
        ws.advance(600)
        body = api.get(path, params={"event_type": "CONVERSATION_MESSAGE", "after": cursor}).json()
        new_files = [f for f in body["data"] if f["end_time"] > cursor]
        assert len(new_files) == 1
        _, events = download(api, path, new_files[0]["id"])
        assert {e["conversation"]["id"] for e in events} == {conv.id}
        assert any(e["message"]["content"]["value"] == "Plan the Q3 team offsite agenda." for e in events)
        audit = api.get(path, params={"event_type": "AUDIT_LOG", "after": cursor}).json()["data"]
        _, audit_events = download(api, path, audit[-1]["id"])
        assert any(
            e["actor"] == {"type": "API_KEY", "redacted_id": redacted(fresh_emu.api_key)}
            for e in audit_events
        )
        assert fresh_emu.api_key not in json.dumps(audit_events)


def test_live_mode_keeps_producing() -> None:
    config = EmulatorConfig(
        seed=9,
        users=3,
        days=1,
        conversations_per_user=1,
        now=1_760_000_000.0,
        live=True,
        live_interval_seconds=0.05,
    )
    with EmulatorServer(config) as server:
        before = len(server.workspace.conversations)
        files_before = len(server.workspace.log_files)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with server.workspace.lock:
                if (
                    len(server.workspace.conversations) >= before + 3
                    and len(server.workspace.log_files) > files_before
                ):
                    break
            time.sleep(0.05)
        else:
            pytest.fail("live mode produced no new conversations and log files")
