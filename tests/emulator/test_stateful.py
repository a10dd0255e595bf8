"""Happy paths and paging of every stateful endpoint, over real HTTP, compared with the ground truth."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator

import httpx
import pytest

from aiwatch.emulator.server import EmulatorConfig, EmulatorServer

FIXED_NOW = 1_760_000_000.0


def pages(api: httpx.Client, path: str, **params: object) -> Iterator[dict]:
    """Follow `after`/`last_id` until has_more is false."""
    after = None
    while True:
        query = dict(params)
        if after:
            query["after"] = after
        body = api.get(path, params=query).raise_for_status().json()
        yield body
        if not body["has_more"]:
            return
        after = body["last_id"]


def test_users_page_by_limit(emu: EmulatorServer, api: httpx.Client, ws: str) -> None:
    seen = [u["id"] for body in pages(api, f"{ws}/users", limit=2) for u in body["data"]]
    assert seen == sorted(emu.workspace.users)
    user = api.get(f"{ws}/users", params={"limit": 1}).json()["data"][0]
    truth = emu.workspace.users[user["id"]]
    assert user == {
        "object": "compliance.workspace.user",
        "id": truth.id,
        "email": truth.email,
        "name": truth.name,
        "created_at": truth.created_at,
        "role": truth.role,
        "status": truth.status,
    }
    assert {u.role for u in emu.workspace.users.values()} >= {
        "account-owner",
        "account-admin",
        "standard-user",
    }


def test_conversations_full_listing_equals_ground_truth(
    emu: EmulatorServer, api: httpx.Client, ws: str
) -> None:
    listed = [c for body in pages(api, f"{ws}/conversations", limit=5) for c in body["data"]]
    assert [c["id"] for c in listed] == [cid for _, cid in emu.workspace.conversation_order()]
    for conv in listed:
        truth = emu.workspace.conversations[conv["id"]]
        assert conv["object"] == "compliance.workspace.conversation"
        assert conv["workspace_id"] == emu.workspace_id
        assert conv["user_email"] == emu.workspace.users[truth.user_id].email
        messages = conv["messages"]
        assert messages["object"] == "list" and messages["has_more"] is False
        assert [m["id"] for m in messages["data"]] == [m.id for m in truth.messages]
        for view, message in zip(messages["data"], truth.messages, strict=True):
            assert view["parent_id"] == message.parent_id
            assert view["author"]["role"] == message.role
            assert (view["content"] or {}).get("value") == message.text


def test_conversation_shapes_cover_tools_branches_and_files(emu: EmulatorServer) -> None:
    messages = [m for c in emu.workspace.conversations.values() for m in c.messages]
    tool_names = {m.tool_name for m in messages if m.role == "tool"}
    assert {"myfiles_browser", "python", "browser"} & tool_names
    assert any(m.role == "system" and m.created_at is None for m in messages)
    assert any(m.file_ids for m in messages)
    assert any(m.gpt_id for m in messages) or any(m.project_id for m in messages)


def test_since_timestamp_applies_to_first_page_only(emu: EmulatorServer, api: httpx.Client, ws: str) -> None:
    order = emu.workspace.conversation_order()
    cutoff = int(order[len(order) // 2][0]) + 1
    expected = [cid for updated, cid in order if updated >= cutoff]
    first = api.get(f"{ws}/conversations", params={"since_timestamp": cutoff, "limit": 2}).json()
    assert [c["id"] for c in first["data"]] == expected[:2]
    # With `after`, since_timestamp is ignored: a far-future value must not empty the next page.
    second = api.get(
        f"{ws}/conversations",
        params={"since_timestamp": 4_000_000_000, "after": first["last_id"], "limit": 2},
    ).json()
    assert [c["id"] for c in second["data"]] == expected[2:4]
    late = api.get(f"{ws}/conversations", params={"since_timestamp": 4_000_000_000}).json()
    assert late["data"] == [] and late["has_more"] is False


def test_users_filter_repeats(emu: EmulatorServer, api: httpx.Client, ws: str) -> None:
    chosen = sorted(emu.workspace.users)[:2]
    body = api.get(f"{ws}/conversations", params=[("users", chosen[0]), ("users", chosen[1])]).json()
    assert body["data"] and {c["user_id"] for c in body["data"]} <= set(chosen)
    want = {c.id for c in emu.workspace.conversations.values() if c.user_id in chosen}
    assert {c["id"] for c in body["data"]} == want
    too_many = [("users", f"user-{i}") for i in range(100)]
    assert api.get(f"{ws}/conversations", params=too_many).status_code == 422


def test_short_page_is_not_the_end() -> None:
    config = EmulatorConfig(
        seed=5, users=3, days=2, conversations_per_user=4, now=FIXED_NOW, max_page_messages=15
    )
    with (
        EmulatorServer(config) as server,
        httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}) as api,
    ):
        ws = f"/compliance/workspaces/{server.workspace_id}"
        bodies = list(pages(api, f"{ws}/conversations"))
        assert any(len(b["data"]) < 500 and b["has_more"] for b in bodies)
        assert sum(len(b["data"]) for b in bodies) == len(server.workspace.conversations)


def test_updated_conversation_reappears(fresh_emu: EmulatorServer) -> None:
    with httpx.Client(
        base_url=fresh_emu.base_url, headers={"Authorization": f"Bearer {fresh_emu.api_key}"}
    ) as api:
        ws = f"/compliance/workspaces/{fresh_emu.workspace_id}"
        first = api.get(f"{ws}/conversations").json()
        oldest = first["data"][0]["id"]
        message = fresh_emu.workspace.add_message(oldest, "One more question about this.")
        again = api.get(f"{ws}/conversations", params={"after": first["last_id"]}).json()
        assert [c["id"] for c in again["data"]] == [oldest]
        assert again["data"][0]["messages"]["data"][-1]["id"] == message.id


def test_file_formats_url_and_id(emu: EmulatorServer, api: httpx.Client, ws: str) -> None:
    def first_file(body: dict) -> dict | None:
        for conv in body["data"]:
            for message in conv["messages"]["data"]:
                if message["files"]["data"]:
                    return message["files"]["data"][0]
        return None

    by_url = first_file(api.get(f"{ws}/conversations", params={"file_format": "url"}).json())
    by_id = first_file(api.get(f"{ws}/conversations", params={"file_format": "id"}).json())
    assert by_url is not None and by_id is not None
    assert by_url["object"] == "compliance.workspace.conversation.message.file"
    assert by_id == {
        "object": "compliance.workspace.conversation.message.file_info",
        "id": by_url["id"],
        "name": by_url["name"],
        "user_id": emu.workspace.files[by_url["id"]].owner_id,
    }
    assert api.get(f"{ws}/conversations", params={"file_format": "pdf"}).status_code == 422


def test_expired_chat_upload_has_null_url_and_410(emu: EmulatorServer, api: httpx.Client, ws: str) -> None:
    now = emu.workspace.now()
    expired = [f for f in emu.workspace.files.values() if f.kind == "user" and f.expired(now)]
    fresh = [f for f in emu.workspace.files.values() if f.kind == "user" and not f.expired(now)]
    assert expired and fresh
    old = expired[0]
    body = api.get(f"{ws}/conversations", params=[("users", old.owner_id)]).json()
    views = [
        f
        for c in body["data"]
        for m in c["messages"]["data"]
        for f in m["files"]["data"]
        if f["id"] == old.id
    ]
    assert views and views[0]["download_url"] is None and views[0]["created_at"] is None
    assert api.get(f"{ws}/users/{old.owner_id}/files/{old.id}").status_code == 410
    new = fresh[0]
    redirect = api.get(f"{ws}/users/{new.owner_id}/files/{new.id}")
    assert redirect.status_code == 307
    content = httpx.get(redirect.headers["location"])
    assert content.status_code == 200 and content.content == emu.workspace.file_bytes(new.id)


@pytest.mark.parametrize("kind", ["gpts", "projects"])
def test_agents_list_get_configs_shared_users_files(
    emu: EmulatorServer, api: httpx.Client, ws: str, kind: str
) -> None:
    store = emu.workspace.gpts if kind == "gpts" else emu.workspace.projects
    listed = [a for body in pages(api, f"{ws}/{kind}", limit=3) for a in body["data"]]
    assert {a["id"] for a in listed} == set(store)
    for view in listed:
        truth = store[view["id"]]
        assert view == api.get(f"{ws}/{kind}/{truth.id}").json()
        assert view["latest_config"]["data"][0]["id"] == truth.configs[-1].id
        configs = api.get(f"{ws}/{kind}/{truth.id}/configs").json()
        assert [c["id"] for c in configs["data"]] == [c.id for c in reversed(truth.configs)]
        shared = api.get(f"{ws}/{kind}/{truth.id}/shared_users").json()
        assert [u["id"] for u in shared["data"]] == sorted(r.user_id for r in truth.recipients)
    file_id = next(fid for a in store.values() for c in a.configs for fid in c.file_ids)
    files_path = "gpt_files" if kind == "gpts" else "project_files"
    redirect = api.get(f"{ws}/{files_path}/{file_id}")
    assert redirect.status_code == 307
    assert httpx.get(redirect.headers["location"]).content == emu.workspace.file_bytes(file_id)
    assert api.get(f"{ws}/{files_path}/file-doesnotexist").status_code == 404


def test_every_sharing_level_and_custom_actions_present(
    emu: EmulatorServer, api: httpx.Client, ws: str
) -> None:
    gpts = [g for body in pages(api, f"{ws}/gpts") for g in body["data"]]
    levels = {g["sharing"]["visibility"] for g in gpts}
    assert levels == {"invite-only", "workspace-with-link", "workspace", "anyone-with-link", "gpt-store"}
    tools = [t for g in gpts for t in g["latest_config"]["data"][0]["tools"]["data"]]
    actions = [t for t in tools if t["type"] == "custom_action"]
    assert actions and all(t["action_domain"] and t["action_openapi_raw"] for t in actions)


def test_office_files_are_real_documents(emu: EmulatorServer) -> None:
    for f in emu.workspace.files.values():
        data = emu.workspace.file_bytes(f.id)
        ext = f.document.extension
        if ext == "pdf":
            assert data.startswith(b"%PDF-")
        elif ext in ("docx", "xlsx"):
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
            assert ("word/document.xml" if ext == "docx" else "xl/workbook.xml") in names
        elif ext == "png":
            assert data.startswith(b"\x89PNG")
        else:
            data.decode("utf-8")


def test_memories_listing_and_per_user(emu: EmulatorServer, api: httpx.Client, ws: str) -> None:
    listed = [m for body in pages(api, f"{ws}/memories", limit=2) for m in body["data"]]
    assert [m["id"] for m in listed] == sorted(emu.workspace.memories)
    user_id = listed[0]["id"]
    one = api.get(f"{ws}/users/{user_id}/memories").json()
    assert one["data"] == [listed[0]]
    entries = [e for ctx in emu.workspace.memories[user_id] for e in ctx.entries]
    newest = max(e.updated_at for e in entries)
    since = api.get(f"{ws}/users/{user_id}/memories", params={"since_timestamp": int(newest)}).json()
    got = [e["id"] for m in since["data"] for ctx in m["memory_contexts"] for e in ctx["memory_entries"]]
    assert got == [e.id for e in entries if e.updated_at >= int(newest)]
    assert api.get(f"{ws}/users/user-unknown/memories").status_code == 404


def test_canvases_list_and_versions(emu: EmulatorServer, api: httpx.Client, ws: str) -> None:
    canvas = max(emu.workspace.canvases.values(), key=lambda c: len(c.versions))
    listed = api.get(f"{ws}/users/{canvas.user_id}/canvases").json()
    assert canvas.id in [c["id"] for c in listed["data"]]
    first = api.get(f"{ws}/users/{canvas.user_id}/canvas/{canvas.id}", params={"limit": 1}).json()
    versions = first["version_contents"]
    assert versions["data"][0]["version"] == 1 and versions["last_version"] == 1
    assert versions["data"][0]["updated_at"].endswith("Z")
    assert versions["has_more"] is (len(canvas.versions) > 1)
    rest = api.get(f"{ws}/users/{canvas.user_id}/canvas/{canvas.id}", params={"after": 1}).json()
    assert [v["version"] for v in rest["version_contents"]["data"]] == [
        v.version for v in canvas.versions[1:]
    ]
    assert api.get(f"{ws}/users/{canvas.user_id}/canvases", params={"limit": 31}).status_code == 422


def test_later_paths(emu: EmulatorServer, api: httpx.Client, ws: str) -> None:
    for path in ("codex_tasks", "codex_environments", "recordings"):
        body = api.get(f"{ws}/{path}").json()
        assert body["object"] == "list" and body["data"], path
    user_id = next(iter(emu.workspace.automations))
    assert api.get(f"{ws}/users/{user_id}/automations").json()["data"]
    recording = emu.workspace.recordings[0]
    transcript = api.get(f"{ws}/users/{recording['user_id']}/recordings/{recording['id']}/transcript").json()
    assert transcript["text"] == recording["transcript"]
    assert api.get(f"{ws}/users/{recording['user_id']}/recordings/rec_nope/transcript").status_code == 404


def test_unknown_after_cursor_is_404(api: httpx.Client, ws: str) -> None:
    assert api.get(f"{ws}/users", params={"after": "user-nobody"}).status_code == 404
    assert api.get(f"{ws}/conversations", params={"after": "not-a-conversation"}).status_code == 404
