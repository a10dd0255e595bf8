"""Fixtures: a live console per test module and an emulated Compliance API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from browser_kit import launch_browser, new_page
from web_live import NO_SCOPE_KEY, Console, populate, start_console

from aiwatch.emulator.server import EmulatorConfig, EmulatorServer
from aiwatch.store.db import dispose_engines
from aiwatch.web.auth import LoginThrottle, ThrottlePolicy


@pytest.fixture(scope="module")
def console(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """One console per test module (accounts viewer, analyst, admin; password ``PASSWORD``)."""
    live, server = start_console(
        tmp_path_factory.mktemp("console"), throttle=LoginThrottle(ThrottlePolicy(max_per_account=3))
    )
    yield live
    server.stop()
    dispose_engines()


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    config = EmulatorConfig(seed=21, users=2, days=1, conversations_per_user=1, extra_keys={NO_SCOPE_KEY: ()})
    with EmulatorServer(config) as server:
        yield server


@pytest.fixture(scope="module")
def populated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Console]:
    """A console whose database holds a synced emulator workspace with planted risks and its findings."""
    live, server = start_console(tmp_path_factory.mktemp("populated"))
    live.labels = populate(live)
    yield live
    server.stop()
    dispose_engines()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch_browser()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    yield from new_page(browser)
