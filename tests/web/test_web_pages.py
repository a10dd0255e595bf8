"""Form-driven pages over real HTTP: Manage actions (edit, rotate, pause, disconnect) and Settings."""

from __future__ import annotations

import re

from web_live import WRONG_KEY, Console

from aiwatch.emulator.server import EmulatorServer
from aiwatch.integrations.service import IntegrationNotFound
from aiwatch.web.operations import DEFAULT_INTEGRATION_NAME


def _add(console: Console, emulator: EmulatorServer, name: str) -> None:
    console.app.state.integrations.add(
        name=name,
        workspace_id=emulator.workspace_id,
        chatgpt_org_id=emulator.chatgpt_org_id,
        platform_org_id=emulator.platform_org_id,
        api_key=emulator.api_key,
        base_url=emulator.base_url,
    )


def test_manage_actions_through_the_forms(console: Console, emulator: EmulatorServer) -> None:
    _add(console, emulator, "forms")
    remove = "/integrations/forms/action/remove"
    service = console.app.state.integrations
    with console.client("admin") as admin:
        edited = admin.post("/integrations/forms/action/edit", data={"key_name": "renamed key"})
        assert edited.status_code == 200 and "Settings saved" in edited.text
        assert service.get("forms").key_name == "renamed key"
        bad = admin.post("/integrations/forms/action/edit", data={"workspace_id": "nope"})
        assert bad.status_code == 422 and "UUID" in bad.text

        rotated = admin.post("/integrations/forms/action/rotate", data={"api_key": WRONG_KEY})
        assert rotated.status_code == 200 and f"…{WRONG_KEY[-4:]}" in rotated.text
        assert WRONG_KEY not in rotated.text
        assert admin.post("/integrations/forms/action/rotate", data={"api_key": ""}).status_code == 422

        tested = admin.post("/integrations/forms/action/test")
        assert tested.status_code == 200 and 'data-check="key_accepted"' in tested.text
        assert service.get("forms").status == "error"

        assert "Paused" in admin.post("/integrations/forms/action/pause").text
        assert admin.post("/integrations/forms/action/explode").status_code == 404

        unconfirmed = admin.post(
            "/integrations/forms/action/remove", data={"purge": "yes", "confirm_name": "x"}
        )
        assert unconfirmed.status_code == 422 and "Type the integration name" in unconfirmed.text
        assert service.get("forms").removed_at is None
        kept = admin.post(remove, data={"purge": "no", "confirm_name": "forms"})
        assert kept.status_code == 303 and service.get("forms").removed_at is not None
        assert not service.get("forms").has_key

    service.rotate_key("forms", emulator.api_key)
    with console.client("admin") as admin:
        purged = admin.post(
            "/integrations/forms/action/remove", data={"purge": "yes", "confirm_name": "forms"}
        )
        assert purged.status_code == 303
    try:
        service.get("forms")
        raise AssertionError("the purged integration is still there")
    except IntegrationNotFound:
        pass
    with console.client("admin") as admin:
        audit = admin.get("/api/audit", params={"limit": 20}).json()["items"]
    assert {"integration.remove", "integration.rotate_key", "integration.update"} <= {
        e["action"] for e in audit
    }


def test_settings_create_account_and_token_once(console: Console) -> None:
    with console.client("admin") as admin:
        created = admin.post("/settings/users", data={"username": "newbie", "role": "analyst"})
        assert created.status_code == 200
        password = re.search(r"password \(shown once\): (\S+)</p>", created.text)
        assert password is not None
        assert "newbie" in admin.get("/settings").text
        assert password.group(1) not in admin.get("/settings").text  # shown once only
        assert admin.post("/settings/users", data={"username": "newbie"}).status_code == 422
        assert admin.post("/settings/users", data={"username": "x", "role": "god"}).status_code == 422
        assert admin.post("/settings/users/newbie/role", data={"role": "viewer"}).status_code == 200
        last_admin = admin.post("/settings/users/admin/role", data={"role": "viewer"})
        assert last_admin.status_code == 422 and "last enabled admin" in last_admin.text

        token_page = admin.post("/settings/tokens", data={"name": "report-bot", "scopes": ["read", "act"]})
        token = re.search(r'data-testid="new-token">(aiw_[^<]+)<', token_page.text)
        assert token is not None
        assert token.group(1) not in admin.get("/settings").text
        assert admin.post("/settings/tokens", data={"name": "none"}).status_code == 422
    accounts = console.app.state.accounts
    roles = {user.username: user.role.label for user in accounts.list_users()}
    assert roles["newbie"] == "viewer" and roles["admin"] == "admin"


def test_connecting_again_restores_a_workspace_disconnected_with_its_data_kept(
    console: Console, emulator: EmulatorServer
) -> None:
    name = DEFAULT_INTEGRATION_NAME
    _add(console, emulator, name)
    service = console.app.state.integrations
    form = {
        "api_key": emulator.api_key,
        "workspace_id": emulator.workspace_id,
        "chatgpt_org_id": emulator.chatgpt_org_id,
        "platform_org_id": emulator.platform_org_id,
        "base_url": emulator.base_url,
    }
    with console.client("admin") as admin:
        kept = admin.post(f"/integrations/{name}/action/remove", data={"purge": "no", "confirm_name": name})
        assert kept.status_code == 303 and not service.get(name).has_key
        assert admin.post("/integrations/connect", data=form).status_code == 422  # not confirmed
        again = admin.post("/integrations/connect", data={**form, "confirmed": "yes"})
        assert again.status_code == 303, again.text
        assert console.app.state.backfills.wait(name, timeout=120)
        info = service.get(name)
        assert info.removed_at is None and info.has_key and info.status == "connected"
        assert "integration.reconnect" in admin.get("/api/audit").text
    service.remove(name, purge=True)
