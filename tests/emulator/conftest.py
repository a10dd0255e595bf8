"""Emulator fixtures: one shared server per module (read-only tests) and fresh servers for mutating tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from aiwatch.emulator.server import EmulatorConfig, EmulatorServer

FIXED_NOW = 1_760_000_000.0


@pytest.fixture(scope="module")
def emu() -> Iterator[EmulatorServer]:
    with EmulatorServer(
        EmulatorConfig(seed=7, users=6, days=3, conversations_per_user=4, now=FIXED_NOW)
    ) as server:
        yield server


@pytest.fixture
def fresh_emu() -> Iterator[EmulatorServer]:
    with EmulatorServer(
        EmulatorConfig(seed=11, users=4, days=2, conversations_per_user=3, now=FIXED_NOW)
    ) as server:
        yield server


def make_client(server: EmulatorServer, key: str | None = None) -> httpx.Client:
    return httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {key or server.api_key}"}, timeout=30
    )


@pytest.fixture
def api(emu: EmulatorServer) -> Iterator[httpx.Client]:
    with make_client(emu) as client:
        yield client


@pytest.fixture
def ws(emu: EmulatorServer) -> str:
    """Path prefix of the shared emulator's workspace."""
    return f"/compliance/workspaces/{emu.workspace_id}"
