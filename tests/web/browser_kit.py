"""Playwright on Debian's Chromium, shared by the browser test modules.

A module starts with ``pytestmark = require_chromium()`` and takes the ``page`` fixture (conftest).
Screenshots go to test-artifacts/screenshots/ (gitignored); docs/images/ holds the ones the docs use.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web_live import PASSWORD, Console

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def require_chromium() -> pytest.MarkDecorator:
    """Skip the module without Chromium, unless CI demands it (then fail loudly)."""
    if not CHROMIUM.exists() and os.environ.get("AIWATCH_TEST_REQUIRE_CHROMIUM") == "1":
        raise RuntimeError("/usr/bin/chromium is missing: apt-get install chromium")
    return pytest.mark.skipif(
        not CHROMIUM.exists(), reason="Debian's chromium is not installed (apt-get install chromium)"
    )


def launch_browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def new_page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1360, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, console: Console, username: str, landing: str = "/") -> None:
    """Sign in through the form; ``landing`` is where the browser should end up."""
    page.goto(console.base_url + landing)
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(console.base_url + landing)
