"""The console in Debian's Chromium (Playwright): sign-in, the Connect flow against the emulator with failing
and passing Test Credentials, Save and Connect with its back-fill, Manage, and a viewer denied admin pages.

Screenshots of the main pages are written to test-artifacts/screenshots/ (gitignored)."""

from __future__ import annotations

from typing import Any

from browser_kit import require_chromium, shot, sign_in
from web_live import NO_SCOPE_KEY, WRONG_KEY, Console

from aiwatch.emulator.server import EmulatorServer

pytestmark = require_chromium()


def _fill_connect(page: Any, emulator: EmulatorServer, *, key: str, workspace_id: str | None = None) -> None:
    page.fill("#api_key", key)
    page.fill("#workspace_id", workspace_id or emulator.workspace_id)
    page.fill("#chatgpt_org_id", emulator.chatgpt_org_id)
    page.fill("#platform_org_id", emulator.platform_org_id)
    page.fill("#key_name", "compliance-reader")
    page.fill("#created_by", "it-security@example.com")
    page.click("details.advanced summary")
    page.fill("#base_url", emulator.base_url)


def _run_test_credentials(page: Any) -> dict[str, str]:
    with page.expect_response("**/integrations/connect/test"):
        page.click("#test-credentials")
    page.wait_for_selector("#check-report .report")
    rows = page.query_selector_all("#check-report tr[data-check]")
    return {row.get_attribute("data-check"): row.query_selector(".badge").inner_text() for row in rows}


def test_sign_in_shows_errors_then_the_dashboard(page: Any, console: Console) -> None:
    page.goto(console.base_url + "/login")
    shot(page, "login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", "wrong password")
    page.click("button[type=submit]")
    assert "Wrong username or password" in page.inner_text("[role=alert]")
    sign_in(page, console, "admin")
    assert "No workspace connected yet" in page.inner_text("main")
    shot(page, "dashboard-empty")


def test_connect_flow_against_the_emulator(page: Any, console: Console, emulator: EmulatorServer) -> None:
    sign_in(page, console, "admin")
    page.goto(console.base_url + "/integrations")
    assert page.inner_text("[data-testid=status]") == "Not connected"
    shot(page, "integrations-not-connected")
    page.click("a[href='/integrations/connect']")
    page.wait_for_url("**/integrations/connect")

    # Validated as you type, with the reason and where to look.
    page.fill("#workspace_id", "not-a-uuid")
    page.wait_for_selector("#workspace_id-status .field-error")
    assert "UUID" in page.inner_text("#workspace_id-status")
    assert page.is_disabled("#save-connect")

    # A wrong key: the key check fails and says what to do.
    _fill_connect(page, emulator, key=WRONG_KEY)
    page.wait_for_selector("#workspace_id-status .field-ok")
    results = _run_test_credentials(page)
    assert results["key_accepted"] == "FAIL"
    assert WRONG_KEY not in page.content()

    # A key without Compliance access: fail, with the ready-to-send support email.
    page.fill("#api_key", NO_SCOPE_KEY)
    results = _run_test_credentials(page)
    assert results["compliance_access"] == "FAIL"
    email = page.inner_text("[data-testid=support-email]")
    assert "compliance-reader" in email and NO_SCOPE_KEY[-4:] in email and NO_SCOPE_KEY not in email
    shot(page, "connect-missing-access")

    # The right key but another workspace: the workspace check fails.
    page.fill("#api_key", emulator.api_key)
    page.fill("#workspace_id", "00000000-0000-4000-8000-000000000000")
    results = _run_test_credentials(page)
    assert results["workspace_found"] == "FAIL"

    # Everything right: all required checks pass.
    page.fill("#workspace_id", emulator.workspace_id)
    page.wait_for_selector("#workspace_id-status .field-ok")
    results = _run_test_credentials(page)
    assert results["key_accepted"] == "PASS" and results["workspace_found"] == "PASS"
    assert page.get_attribute("#check-report .report", "data-ok") == "true"
    shot(page, "connect-test-passed")

    # Save stays disabled until the confirmation is ticked.
    page.wait_for_selector("#api_key-status .field-ok")
    assert page.is_disabled("#save-connect")
    page.check("#confirmed")
    assert page.is_enabled("#save-connect")
    page.click("#save-connect")
    page.wait_for_url("**/integrations")
    assert console.app.state.backfills.wait("chatgpt-enterprise", timeout=120)
    page.reload()
    assert page.inner_text("[data-testid=status]") == "Connected"
    assert "back-fill complete" in page.inner_text("[data-testid=backfill]")
    assert "synced, largest lag" in page.inner_text("[data-testid=streams]")
    assert emulator.api_key not in page.content()
    shot(page, "integrations-connected")

    # Manage: only the last 4 characters of the key are shown; pause and resume.
    page.click("a.button:has-text('Manage')")
    page.wait_for_url("**/integrations/chatgpt-enterprise")
    assert page.inner_text("[data-testid=key-hint]") == "…" + emulator.api_key[-4:]
    conversations = page.query_selector_all("tr[data-stream=conversations] td")
    assert int(conversations[3].inner_text()) > 0  # items synced by the back-fill
    shot(page, "manage")
    page.click("#action-pause")
    assert page.inner_text("[data-testid=status]") == "Paused"
    page.click("#action-resume")
    assert "Resumed" in page.inner_text("[role=status]")
    assert console.app.state.backfills.wait("chatgpt-enterprise", timeout=120)

    page.click("nav >> text=Sync health")
    page.wait_for_url("**/sync-health")
    assert page.query_selector("tr[data-stream=users]") is not None
    shot(page, "sync-health")


def test_save_is_refused_server_side_without_the_confirmation(
    page: Any, console: Console, emulator: EmulatorServer
) -> None:
    sign_in(page, console, "admin")
    page.goto(console.base_url + "/integrations/connect")
    _fill_connect(page, emulator, key=emulator.api_key)
    page.wait_for_selector("#platform_org_id-status .field-ok")
    assert page.is_disabled("#save-connect")
    # Submit anyway, the way a crafted request would.
    with page.expect_navigation():
        page.eval_on_selector("#connect-form", "form => form.submit()")
    assert "Tick the box" in page.inner_text("main")
    assert page.input_value("#api_key") == ""  # the key is never sent back to the page


def test_viewer_is_denied_admin_pages(page: Any, console: Console) -> None:
    sign_in(page, console, "viewer")
    page.goto(console.base_url + "/integrations")
    assert page.query_selector("a[href='/integrations/connect']") is None
    response = page.goto(console.base_url + "/integrations/connect")
    assert response is not None and response.status == 403
    assert "admin role" in page.inner_text("[role=alert]")
    shot(page, "viewer-denied")
