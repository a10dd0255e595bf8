"""Deletes and isolation change what later reads return."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from aiwatch.emulator.model import REMOVED_BY_ADMIN
from aiwatch.emulator.server import EmulatorConfig, EmulatorServer

FIXED_NOW = 1_760_000_000.0


@pytest.fixture
def emu_api() -> Iterator[tuple[EmulatorServer, httpx.Client, str]]:
    config = EmulatorConfig(seed=18, users=8, days=2, conversations_per_user=5, now=FIXED_NOW)
    with (
        EmulatorServer(config) as server,
        httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30
        ) as api,
    ):
        yield server, api, f"/compliance/workspaces/{server.workspace_id}"


def test_conversation_delete_leaves_placeholder(emu_api) -> None:
    server, api, ws = emu_api
    conv = next(iter(server.workspace.conversations.values()))
    response = api.delete(f"{ws}/conversations/{conv.id}")
    assert response.json() == {"deleted": True, "object": "compliance.workspace.conversation", "id": conv.id}
    listed = [c for c in api.get(f"{ws}/conversations").json()["data"] if c["id"] == conv.id]
    assert listed and listed[0]["title"] == REMOVED_BY_ADMIN
    values = {m["content"]["value"] for m in listed[0]["messages"]["data"]}
    assert values == {REMOVED_BY_ADMIN}
    assert all(not m["files"]["data"] for m in listed[0]["messages"]["data"])
    assert api.delete(f"{ws}/conversations/00000000-0000-4000-8000-000000000000").status_code == 404


def test_user_file_delete_is_404_afterwards(emu_api) -> None:
    server, api, ws = emu_api
    upload = max((f for f in server.workspace.files.values() if f.kind == "user"), key=lambda f: f.created_at)
    path = f"{ws}/users/{upload.owner_id}/files/{upload.id}"
    assert api.get(path).status_code == 307
    assert api.delete(path).json()["deleted"] is True
    assert api.get(path).status_code == 404
    assert api.delete(path).status_code == 404
    # Conversations keep referencing the file ID, without a download URL.
    body = api.get(f"{ws}/conversations", params=[("users", upload.owner_id)]).json()
    views = [
        f
        for c in body["data"]
        for m in c["messages"]["data"]
        for f in m["files"]["data"]
        if f["id"] == upload.id
    ]
    assert views and all(v["download_url"] is None for v in views)


@pytest.mark.parametrize("kind", ["gpts", "projects"])
def test_agent_delete_and_file_delete(emu_api, kind: str) -> None:
    server, api, ws = emu_api
    store = server.workspace.gpts if kind == "gpts" else server.workspace.projects
    with_files = next(a for a in store.values() if a.configs[-1].file_ids)
    file_id = with_files.configs[-1].file_ids[0]
    files_path = "gpt_files" if kind == "gpts" else "project_files"
    assert api.delete(f"{ws}/{kind}/{with_files.id}/files/{file_id}").json()["id"] == file_id
    assert api.get(f"{ws}/{files_path}/{file_id}").status_code == 404
    config_files = api.get(f"{ws}/{kind}/{with_files.id}").json()["latest_config"]["data"][0]["files"]["data"]
    placeholder = next(f for f in config_files if f["id"] == file_id)
    assert placeholder["name"] == REMOVED_BY_ADMIN and placeholder["download_url"] is None
    victim = next(a for a in store.values() if a.id != with_files.id)
    assert api.delete(f"{ws}/{kind}/{victim.id}").json()["deleted"] is True
    assert api.get(f"{ws}/{kind}/{victim.id}").status_code == 404
    listed = [a["id"] for a in api.get(f"{ws}/{kind}", params={"limit": 100}).json()["data"]]
    assert victim.id not in listed and with_files.id in listed
    assert api.delete(f"{ws}/{kind}/{victim.id}").status_code == 404


def test_isolate_gpt_removes_recipients(emu_api) -> None:
    server, api, ws = emu_api
    shared = next(g for g in server.workspace.gpts.values() if g.recipients)
    response = api.delete(f"{ws}/gpts/{shared.id}/shared_users")
    assert response.json() == {
        "deleted": True,
        "object": "compliance.workspace.gpt.shared_users",
        "id": shared.id,
    }
    view = api.get(f"{ws}/gpts/{shared.id}").json()
    assert view["sharing"]["visibility"] == "invite-only" and view["sharing"]["recipients"] == []
    assert api.get(f"{ws}/gpts/{shared.id}/shared_users").json()["data"] == []
    public = next(
        g for g in server.workspace.gpts.values() if g.visibility in ("anyone-with-link", "gpt-store")
    )
    api.delete(f"{ws}/gpts/{public.id}/shared_users")
    assert api.get(f"{ws}/gpts/{public.id}").json()["sharing"]["visibility"] == "invite-only"
    assert api.delete(f"{ws}/projects/g-p-unknown/shared_users").status_code == 404


def test_memory_entry_and_canvas_delete(emu_api) -> None:
    server, api, ws = emu_api
    user_id, contexts = next((u, c) for u, c in server.workspace.memories.items() if c[0].entries)
    entry = contexts[0].entries[0]
    path = f"{ws}/users/{user_id}/memory_contexts/{contexts[0].id}/memories/{entry.id}"
    assert api.delete(path).json()["id"] == entry.id
    remaining = api.get(f"{ws}/users/{user_id}/memories").json()["data"]
    ids = {e["id"] for m in remaining for ctx in m["memory_contexts"] for e in ctx["memory_entries"]}
    assert entry.id not in ids
    assert api.delete(path).status_code == 404
    canvas = next(iter(server.workspace.canvases.values()))
    assert api.delete(f"{ws}/users/{canvas.user_id}/canvas/{canvas.id}").json()["deleted"] is True
    assert api.get(f"{ws}/users/{canvas.user_id}/canvas/{canvas.id}").status_code == 404
    listed = api.get(f"{ws}/users/{canvas.user_id}/canvases").json()["data"]
    assert canvas.id not in [c["id"] for c in listed]
