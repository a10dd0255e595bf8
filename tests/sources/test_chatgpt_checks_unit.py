"""Test Credentials over a scripted fake API: every outcome, and the key is never echoed."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from chatgpt_fakes import API, KEY, WORKSPACE, WS_PATH, FakeApi, page

from aiwatch.sources.chatgpt.checks import CheckReport, CheckStatus, run_credential_checks

ORG = "org-AbCdEfGhIjKlMnOpQrStUvWx"
OTHER_ORG = "org-ZyXwVuTsRqPoNmLkJiHgFeDc"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
WORKSPACE_SCOPED = {
    "detail": f"AUTH_LOG is a workspace event type: use /v1/compliance/workspaces/{WORKSPACE}/logs"
}


def run(fake_api: FakeApi, **overrides: str) -> CheckReport:
    arguments = {
        "base_url": API,
        "api_key": KEY,
        "workspace_id": WORKSPACE,
        "chatgpt_org_id": ORG,
        "platform_org_id": ORG,
        "key_name": "aiwatch-prod",
        "created_by": "Sam Admin",
    }
    arguments.update(overrides)
    return run_credential_checks(
        **arguments, transport=httpx.MockTransport(fake_api.handle), now=NOW, sleep=fake_api.sleeps.append
    )


def statuses(report: CheckReport) -> dict[str, str]:
    return {result.id: str(result.status) for result in report.results}


def healthy(fake_api: FakeApi) -> None:
    fake_api.on("GET", f"{WS_PATH}/users", page([{"id": "user-1"}], last_id="user-1"))
    fake_api.on("GET", f"{WS_PATH}/logs", {"data": [], "has_more": False, "last_end_time": None})
    fake_api.on("GET", f"/v1/compliance/organizations/{ORG}/logs", httpx.Response(422, json=WORKSPACE_SCOPED))


def assert_key_not_echoed(report: CheckReport) -> None:
    text = repr(report.to_dict())
    assert KEY not in text
    assert KEY[:-4] not in text


def test_all_pass(fake_api: FakeApi) -> None:
    healthy(fake_api)
    report = run(fake_api)
    assert statuses(report) == {
        "base_url": "pass",
        "workspace_id_format": "pass",
        "chatgpt_org_id_format": "pass",
        "platform_org_id_format": "pass",
        "api_key_format": "pass",
        "network": "pass",
        "key_accepted": "pass",
        "compliance_access": "pass",
        "workspace_found": "pass",
        "log_feed": "pass",
        "org_ids_consistent": "pass",
        "delete_permission": "skip",
    }
    assert report.ok and report.support_email is None
    log_probe = next(r for r in fake_api.requests if r.url.path == f"{WS_PATH}/logs")
    assert log_probe.url.params["event_type"] == "AUTH_LOG"
    assert log_probe.url.params["after"] == "2025-05-31T12:00:00Z"
    assert log_probe.url.params["limit"] == "1"
    assert report.to_dict()["ok"] is True
    assert_key_not_echoed(report)


def test_wrong_key(fake_api: FakeApi) -> None:
    fake_api.on("GET", f"{WS_PATH}/users", httpx.Response(401, json={"detail": "Invalid API key"}))
    report = run(fake_api)
    assert statuses(report)["key_accepted"] == "fail"
    assert statuses(report)["compliance_access"] == "skip"
    assert not report.ok
    assert "…9876" in report.get("key_accepted").explanation
    assert_key_not_echoed(report)


def test_missing_scope_gives_support_email(fake_api: FakeApi) -> None:
    fake_api.on("GET", f"{WS_PATH}/users", httpx.Response(403, json={"detail": "forbidden"}))
    report = run(fake_api)
    assert statuses(report)["key_accepted"] == "pass"
    assert statuses(report)["compliance_access"] == "fail"
    assert not report.ok
    email = report.support_email
    assert email is not None
    for expected in ("aiwatch-prod", "…9876", WORKSPACE, ORG, "read and delete", "Sam Admin"):
        assert expected in email
    assert KEY not in email
    assert_key_not_echoed(report)


def test_wrong_workspace(fake_api: FakeApi) -> None:
    fake_api.on("GET", f"{WS_PATH}/users", httpx.Response(404, json={"detail": "workspace not found"}))
    report = run(fake_api)
    assert statuses(report)["workspace_found"] == "fail"
    assert statuses(report)["network"] == "pass"
    assert not report.ok
    assert "Workspace ID" in (report.get("workspace_found").fix or "")


def test_org_mismatch_warns_with_support_email(fake_api: FakeApi) -> None:
    healthy(fake_api)
    fake_api.on("GET", f"/v1/compliance/organizations/{OTHER_ORG}/logs", httpx.Response(403))
    report = run(fake_api, platform_org_id=OTHER_ORG)
    result = report.get("org_ids_consistent")
    assert result.status is CheckStatus.WARN and not result.required
    assert ORG in result.explanation and OTHER_ORG in result.explanation
    assert f"knows {ORG}" in result.explanation
    assert report.ok  # the workspace answered: a warning, not a false failure
    assert report.support_email is not None and OTHER_ORG in report.support_email


def test_org_not_confirmed_is_a_warning(fake_api: FakeApi) -> None:
    healthy(fake_api)
    fake_api.on("GET", f"/v1/compliance/organizations/{ORG}/logs", httpx.Response(200, json={"data": []}))
    report = run(fake_api)
    assert report.get("org_ids_consistent").status is CheckStatus.WARN
    assert report.ok and report.support_email is None


def test_log_feed_unavailable_is_a_warning(fake_api: FakeApi) -> None:
    healthy(fake_api)
    fake_api.on("GET", f"{WS_PATH}/logs", httpx.Response(403, json={"detail": "logs not enabled"}))
    report = run(fake_api)
    assert report.get("log_feed").status is CheckStatus.WARN
    assert "/conversations" in report.get("log_feed").explanation
    assert report.ok


def test_server_errors_mean_could_not_check(fake_api: FakeApi) -> None:
    fake_api.on("GET", f"{WS_PATH}/users", httpx.Response(503))
    report = run(fake_api)
    assert statuses(report)["network"] == "pass"
    assert statuses(report)["key_accepted"] == "skip"
    assert not report.ok and report.failed == []
    assert [r.id for r in report.blocking] == ["key_accepted", "compliance_access", "workspace_found"]
    assert "503" in report.blocking[0].explanation
    assert len(fake_api.sleeps) == 1  # one quick retry only


def test_network_error_on_a_closed_port() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    report = run_credential_checks(
        f"http://127.0.0.1:{port}/v1", KEY, WORKSPACE, ORG, ORG, sleep=lambda seconds: None
    )
    network = report.get("network")
    assert network.status is CheckStatus.FAIL
    assert "refused" in network.explanation and "not an API error" in network.explanation
    assert statuses(report)["key_accepted"] == "skip"
    assert not report.ok


@pytest.mark.parametrize(
    ("overrides", "failing"),
    [
        ({"workspace_id": "not-a-uuid"}, "workspace_id_format"),
        ({"chatgpt_org_id": "12345"}, "chatgpt_org_id_format"),
        ({"platform_org_id": "org-"}, "platform_org_id_format"),
        ({"api_key": ""}, "api_key_format"),
        ({"api_key": "sk-proj-abc def ghi jkl mno pqr"}, "api_key_format"),
        ({"api_key": "sk-proj-ключключключключ"}, "api_key_format"),
        ({"base_url": "https://api.openai.com/v1"}, "base_url"),
        ({"base_url": "api.chatgpt.com"}, "base_url"),
    ],
)
def test_bad_inputs_fail_and_skip_live_checks(
    fake_api: FakeApi, overrides: dict[str, str], failing: str
) -> None:
    report = run(fake_api, **overrides)
    assert report.get(failing).status is CheckStatus.FAIL
    assert report.get("network").status is CheckStatus.SKIP
    assert not report.ok
    assert fake_api.requests == []
    assert [r.id for r in report.results][-1] == "delete_permission"


def test_unknown_key_prefix_warns_but_is_tried(fake_api: FakeApi) -> None:
    healthy(fake_api)
    odd_key = "zz-live-0123456789abcdefWXYZ"
    report = run(fake_api, api_key=odd_key)
    result = report.get("api_key_format")
    assert result.status is CheckStatus.WARN and "…WXYZ" in result.explanation
    assert odd_key not in repr(report.to_dict())
    assert report.ok


def test_plain_http_to_a_remote_host_warns(fake_api: FakeApi) -> None:
    report = run(fake_api, base_url="http://compliance.example.com/v1")
    assert report.get("base_url").status is CheckStatus.WARN
