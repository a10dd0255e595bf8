"""The server starts, answers over real HTTP and shuts down."""

from __future__ import annotations

import httpx

from aiwatch.emulator.server import EmulatorServer


def test_users_listing_matches_ground_truth(emu: EmulatorServer, api: httpx.Client, ws: str) -> None:
    response = api.get(f"{ws}/users")
    assert response.status_code == 200
    body = response.json()
    assert body["object"] == "list"
    assert [u["id"] for u in body["data"]] == sorted(emu.workspace.users)
    assert body["has_more"] is False


def test_server_stops_and_port_closes(fresh_emu: EmulatorServer) -> None:
    url = fresh_emu.base_url
    fresh_emu.stop()
    try:
        httpx.get(url + "/compliance/workspaces/x/users", timeout=2)
    except httpx.TransportError:
        return
    raise AssertionError("server still answering after stop()")
