"""``/api/integrations`` against the emulated Compliance API: validation, Save and Connect with a real
back-fill, test, pause/resume, rotate, remove, pagination and role denials."""

from __future__ import annotations

from sqlalchemy import func, select
from web_live import NO_SCOPE_KEY, WRONG_KEY, Console

from aiwatch.emulator.server import EmulatorServer
from aiwatch.store.models import Conversation, Integration


def _payload(emulator: EmulatorServer, **overrides: object) -> dict[str, object]:
    body: dict[str, object] = {
        "name": "emu",
        "api_key": emulator.api_key,
        "workspace_id": emulator.workspace_id,
        "chatgpt_org_id": emulator.chatgpt_org_id,
        "platform_org_id": emulator.platform_org_id,
        "base_url": emulator.base_url,
        "key_name": "compliance-reader",
        "created_by": "it@example.com",
        "confirmed_openai_email": True,
    }
    body.update(overrides)
    return body


def test_create_validates_every_field_and_requires_the_confirmation(
    console: Console, emulator: EmulatorServer
) -> None:
    with console.client("admin") as admin:
        cases = {
            "workspace_id": "not-a-uuid",
            "chatgpt_org_id": "org_bad",
            "platform_org_id": "org-ä" * 5,
            "api_key": "short",
            "base_url": "http://example.com",
            "name": "../etc",
        }
        for field, value in cases.items():
            response = admin.post("/api/integrations", json=_payload(emulator, **{field: value}))
            assert response.status_code == 422, (field, response.text)
            assert "key" not in field or "short" not in response.text
        unconfirmed = admin.post("/api/integrations", json=_payload(emulator, confirmed_openai_email=False))
        assert unconfirmed.status_code == 422 and "confirm" in unconfirmed.json()["detail"]
        missing = admin.post("/api/integrations", json={"name": "x"})
        assert missing.status_code == 422
        assert admin.get("/api/integrations").json()["total"] == 0
    with console.client("analyst") as analyst:
        assert analyst.post("/api/integrations", json=_payload(emulator)).status_code == 403


def test_save_and_connect_backfills_then_manage_actions(console: Console, emulator: EmulatorServer) -> None:
    with console.client("admin") as admin:
        created = admin.post("/api/integrations", json=_payload(emulator))
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["key_last4"] == emulator.api_key[-4:] and emulator.api_key not in created.text
        assert body["backfill"]["outcome"] in ("running", "done")
        assert console.app.state.backfills.wait("emu", timeout=120)
        info = admin.get("/api/integrations/emu").json()
        assert info["status"] == "connected", info
        assert info["backfill"]["outcome"] == "done" and info["last_sync_at"] is not None
        with console.app.state.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Conversation)) > 0
            stored = session.scalar(select(Integration.key_ciphertext).where(Integration.name == "emu"))
            assert stored and emulator.api_key not in stored

        assert admin.post("/api/integrations", json=_payload(emulator)).status_code == 422  # duplicate name

        tested = admin.post("/api/integrations/emu/test")
        assert tested.status_code == 200 and tested.json()["ok"] is True

        assert admin.post("/api/integrations/emu/pause").json()["status"] == "paused"
        assert admin.post("/api/integrations/emu/pause").status_code == 200
        assert admin.post("/api/integrations/emu/resume").json()["status"] == "not_connected"
        assert admin.post("/api/integrations/emu/resume").status_code == 422  # not paused any more
        assert console.app.state.backfills.wait("emu", timeout=120)

        rotated = admin.post("/api/integrations/emu/rotate", json={"api_key": WRONG_KEY})
        assert rotated.status_code == 200 and rotated.json()["key_last4"] == WRONG_KEY[-4:]
        failed = admin.post("/api/integrations/emu/test").json()
        assert failed["ok"] is False and failed["integration"]["status"] == "error"
        assert {r["id"]: r["status"] for r in failed["results"]}["key_accepted"] == "fail"
        assert admin.post("/api/integrations/emu/rotate", json={"api_key": "x"}).status_code == 422

        updated = admin.patch("/api/integrations/emu", json={"key_name": "renamed"})
        assert updated.json()["key_name"] == "renamed"
        assert admin.patch("/api/integrations/emu", json={"workspace_id": "nope"}).status_code == 422
        assert admin.get("/api/integrations/missing").status_code == 404

        audit = admin.get("/api/audit", params={"limit": 100}).text
        for action in (
            "integration.add",
            "integration.pause",
            "integration.rotate_key",
            "integration.update",
        ):
            assert action in audit
        assert emulator.api_key not in audit and WRONG_KEY not in audit

        removed = admin.delete("/api/integrations/emu", params={"purge": True})
        assert removed.status_code == 200 and removed.json()["rows_deleted"]["integrations"] == 1
        assert admin.get("/api/integrations/emu").status_code == 404


def test_missing_compliance_scope_gets_the_support_email(console: Console, emulator: EmulatorServer) -> None:
    service = console.app.state.integrations
    service.add(
        name="noscope",
        workspace_id=emulator.workspace_id,
        chatgpt_org_id=emulator.chatgpt_org_id,
        platform_org_id=emulator.platform_org_id,
        api_key=NO_SCOPE_KEY,
        base_url=emulator.base_url,
        key_name="reader-key",
    )
    with console.client("admin") as admin:
        report = admin.post("/api/integrations/noscope/test").json()
    statuses = {r["id"]: r["status"] for r in report["results"]}
    assert statuses["compliance_access"] == "fail"
    assert "reader-key" in report["support_email"] and NO_SCOPE_KEY[-4:] in report["support_email"]
    assert NO_SCOPE_KEY not in report["support_email"]
    service.remove("noscope", purge=True)


def test_listing_is_paginated(console: Console, emulator: EmulatorServer) -> None:
    service = console.app.state.integrations
    for index in range(3):
        service.add(
            name=f"page-{index}",
            workspace_id=emulator.workspace_id,
            chatgpt_org_id=emulator.chatgpt_org_id,
            platform_org_id=emulator.platform_org_id,
            api_key=emulator.api_key,
            base_url=emulator.base_url,
        )
    with console.client("viewer") as viewer:
        first = viewer.get("/api/integrations", params={"limit": 2}).json()
        second = viewer.get("/api/integrations", params={"limit": 2, "offset": 2}).json()
        assert first["total"] == 3 and [i["name"] for i in first["items"]] == ["page-0", "page-1"]
        assert [i["name"] for i in second["items"]] == ["page-2"]
        assert viewer.get("/api/integrations", params={"limit": 501}).status_code == 422
        assert viewer.post("/api/integrations/page-0/pause").status_code == 403
        assert viewer.delete("/api/integrations/page-0").status_code == 403
    for index in range(3):
        service.remove(f"page-{index}", purge=True)
