"""Error statuses: 401, 403, 404, 410, 422, 429 (with and without Retry-After), signed-URL rules."""

from __future__ import annotations

import httpx
import pytest

from aiwatch.emulator.server import EmulatorConfig, EmulatorServer

FIXED_NOW = 1_760_000_000.0
READ_ONLY_KEY = "sk-comp-readonly0000000000000000000000000000"
NO_SCOPE_KEY = "sk-admin-noscope000000000000000000000000000000"


@pytest.fixture(scope="module")
def scoped_emu():
    config = EmulatorConfig(
        seed=3,
        users=3,
        days=2,
        conversations_per_user=2,
        now=FIXED_NOW,
        extra_keys={READ_ONLY_KEY: ("read",), NO_SCOPE_KEY: ()},
    )
    with EmulatorServer(config) as server:
        yield server


def get(server: EmulatorServer, path: str, key: str | None, **params: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
    return httpx.get(server.base_url + path, headers=headers, params=params, timeout=30)


def test_missing_and_wrong_key_are_401(scoped_emu: EmulatorServer) -> None:
    path = f"/compliance/workspaces/{scoped_emu.workspace_id}/users"
    missing = get(scoped_emu, path, None)
    assert missing.status_code == 401 and "detail" in missing.json()
    assert get(scoped_emu, path, "sk-proj-wrong").status_code == 401
    basic = httpx.get(scoped_emu.base_url + path, headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    # The key value never appears in an error body.
    assert scoped_emu.api_key not in missing.text


def test_key_without_scope_is_403_and_read_only_key_cannot_delete(scoped_emu: EmulatorServer) -> None:
    ws = f"/compliance/workspaces/{scoped_emu.workspace_id}"
    assert get(scoped_emu, f"{ws}/users", NO_SCOPE_KEY).status_code == 403
    assert get(scoped_emu, f"{ws}/users", READ_ONLY_KEY).status_code == 200
    conversation_id = next(iter(scoped_emu.workspace.conversations))
    denied = httpx.delete(
        scoped_emu.base_url + f"{ws}/conversations/{conversation_id}",
        headers={"Authorization": f"Bearer {READ_ONLY_KEY}"},
    )
    assert denied.status_code == 403 and "delete" in denied.json()["detail"]
    assert not scoped_emu.workspace.conversations[conversation_id].deleted


def test_other_workspace_is_404(scoped_emu: EmulatorServer) -> None:
    other = "00000000-0000-4000-8000-000000000000"
    response = get(scoped_emu, f"/compliance/workspaces/{other}/users", scoped_emu.api_key)
    assert response.status_code == 404 and other in response.json()["detail"]
    logs = get(
        scoped_emu,
        f"/compliance/workspaces/{other}/logs",
        scoped_emu.api_key,
        event_type="AUTH_LOG",
        after="2025-01-01T00:00:00Z",
    )
    assert logs.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"after": "2025-01-01T00:00:00Z"},  # event_type missing
        {"event_type": "AUTH_LOG"},  # after missing
        {"event_type": "AUTH_LOG", "after": "2025-01-01T00:00:00"},  # no timezone
        {"event_type": "AUTH_LOG", "after": "yesterday"},
        {"event_type": "AUTH_LOG", "after": ""},
        {"event_type": "AUTH_LOG", "after": "2025-01-01T00:00:00Z", "before": "soon"},
        {"event_type": "NOT_A_TYPE", "after": "2025-01-01T00:00:00Z"},
    ],
)
def test_bad_log_parameters_are_422(scoped_emu: EmulatorServer, params: dict[str, str]) -> None:
    response = get(
        scoped_emu, f"/compliance/workspaces/{scoped_emu.workspace_id}/logs", scoped_emu.api_key, **params
    )
    assert response.status_code == 422
    assert response.json()["detail"]


def test_invalid_utf8_in_query_is_rejected_cleanly(scoped_emu: EmulatorServer) -> None:
    url = (
        f"{scoped_emu.base_url}/compliance/workspaces/{scoped_emu.workspace_id}/logs"
        "?event_type=AUTH_LOG&after=2025-01-01T00:00:00Z%FF%FE"
    )
    response = httpx.get(url, headers={"Authorization": f"Bearer {scoped_emu.api_key}"})
    assert response.status_code == 422
    base = f"{scoped_emu.base_url}/compliance/workspaces/{scoped_emu.workspace_id}"
    users = httpx.get(f"{base}/users?after=%FF", headers={"Authorization": f"Bearer {scoped_emu.api_key}"})
    assert users.status_code == 404


def test_rate_limit_429_sometimes_with_retry_after() -> None:
    # scale 0.1: 5 list requests per minute on a fresh bucket, then 429s.
    config = EmulatorConfig(
        seed=3, users=2, days=1, conversations_per_user=1, now=FIXED_NOW, rate_limit_scale=0.1
    )
    with EmulatorServer(config) as server:
        path = f"/compliance/workspaces/{server.workspace_id}/users"
        statuses, retry_after = [], []
        for _ in range(10):
            response = get(server, path, server.api_key)
            statuses.append(response.status_code)
            if response.status_code == 429:
                retry_after.append(response.headers.get("retry-after"))
                assert response.json()["detail"]
        assert statuses[:5] == [200] * 5 and set(statuses[5:]) == {429}
        assert any(value is None for value in retry_after)
        assert any(value is not None and int(value) >= 1 for value in retry_after)
        # Limits are per endpoint: another list endpoint still answers.
        other = get(server, f"/compliance/workspaces/{server.workspace_id}/gpts", server.api_key)
        assert other.status_code == 200


def test_rate_limit_scale_zero_never_limits(scoped_emu: EmulatorServer) -> None:
    path = f"/compliance/workspaces/{scoped_emu.workspace_id}/users"
    assert {get(scoped_emu, path, scoped_emu.api_key, limit=1).status_code for _ in range(60)} == {200}


def test_signed_url_rules(scoped_emu: EmulatorServer) -> None:
    ws = scoped_emu.workspace
    gpt_file = next(f for f in ws.files.values() if f.kind == "gpt")
    path = f"/compliance/workspaces/{scoped_emu.workspace_id}/gpt_files/{gpt_file.id}"
    location = get(scoped_emu, path, scoped_emu.api_key).headers["location"]
    # Forwarding the bearer token to the download host is refused (as presigned storage URLs do).
    assert httpx.get(location, headers={"Authorization": f"Bearer {scoped_emu.api_key}"}).status_code == 400
    assert httpx.get(location.replace("signature=", "signature=0")).status_code == 403
    assert httpx.get(location).status_code == 200
    ws.clock.offset += 3700  # the URL lives about an hour
    try:
        assert httpx.get(location).status_code == 403
        # GPT files never expire: a fresh redirect works.
        fresh = get(scoped_emu, path, scoped_emu.api_key)
        assert fresh.status_code == 307 and httpx.get(fresh.headers["location"]).status_code == 200
    finally:
        ws.clock.offset -= 3700


def test_chat_upload_expires_after_a_day(fresh_emu: EmulatorServer) -> None:
    ws = fresh_emu.workspace
    upload = max((f for f in ws.files.values() if f.kind == "user"), key=lambda f: f.created_at)
    path = f"/compliance/workspaces/{fresh_emu.workspace_id}/users/{upload.owner_id}/files/{upload.id}"
    ws.clock.offset = upload.created_at + 23 * 3600 - ws.clock.reference  # one hour before expiry
    assert get(fresh_emu, path, fresh_emu.api_key).status_code == 307
    ws.advance(2 * 3600)
    assert get(fresh_emu, path, fresh_emu.api_key).status_code == 410
    other_user = next(u for u in ws.users if u != upload.owner_id)
    wrong_owner = path.replace(upload.owner_id, other_user)
    assert get(fresh_emu, wrong_owner, fresh_emu.api_key).status_code == 404
