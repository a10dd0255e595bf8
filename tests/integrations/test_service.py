"""Integration management: validation, encrypted key, status changes, removal (on SQLite and PostgreSQL)."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from aiwatch.config import ConfigError, Settings, get_settings
from aiwatch.crypto import SecretBox
from aiwatch.integrations.service import IntegrationError, IntegrationNotFound, IntegrationService
from aiwatch.store import repositories as repo
from aiwatch.store.db import get_engine, make_session_factory
from aiwatch.store.models import Integration, IntegrationStatus

API_KEY = "sk-proj-TESTKEY0123456789abcdefWXYZ"


def test_add_get_and_list_never_expose_the_key(service: IntegrationService, fields: dict[str, Any]) -> None:
    info, warnings = service.add(**fields)
    assert warnings == []
    assert info.status == "not_connected" and info.key_last4 == "WXYZ" and info.key_hint == "…WXYZ"
    assert info.workspace_id == "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"  # normalised
    for shown in (info, service.get("acme"), *service.list_integrations()):
        assert API_KEY not in repr(shown)
        assert all(API_KEY not in str(value) for value in dataclasses.asdict(shown).values())
    assert service.get_api_key(info) == API_KEY
    assert service.get_api_key("acme") == API_KEY


def test_key_is_encrypted_at_rest(
    service: IntegrationService, fields: dict[str, Any], db_settings: Settings
) -> None:
    service.add(**fields)
    with get_engine(db_settings).connect() as connection:
        stored = connection.execute(text("SELECT * FROM integrations")).one()
    assert all(API_KEY not in str(value) for value in stored)
    assert all("TESTKEY" not in str(value) for value in stored)


def test_key_never_in_the_sqlite_files(settings: Settings, fields: dict[str, Any]) -> None:
    service = IntegrationService.open(settings)
    service.add(**fields)
    service.rotate_key("acme", "sk-admin-SECONDKEY0123456789abcdefQRST")
    files = [p for p in settings.data_dir.iterdir() if p.name.startswith("aiwatch.db")]
    assert files
    for path in files:
        data = path.read_bytes()
        assert b"TESTKEY" not in data and b"SECONDKEY" not in data


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "name must be"),
        ("name", "bad/name", "name must be"),
        ("name", "x" * 101, "name must be"),
        ("workspace_id", "not-a-uuid", "Workspace ID must be a UUID"),
        ("workspace_id", "0a1b2c3d4e5f4a6b8c7d9e0f1a2b3c4d", "Workspace ID must be a UUID"),
        ("chatgpt_org_id", "org-short", "Organization ID \\(ChatGPT\\)"),
        ("platform_org_id", "0rg-AbCdEfGhIjKlMnOpQrStUvWx", "Organization ID \\(Platform\\)"),
        ("api_key", "", "key is empty"),
        ("api_key", "   \n", "key is empty"),
        ("api_key", "sk-proj-abc def ghijklmnopqrstuvwxyz", "spaces or non-printable"),
        ("api_key", "sk-proj-ünïcödé-0123456789abcdef", "spaces or non-printable"),
        ("api_key", "sk-proj-short", "not a plausible key"),
        ("base_url", "ftp://api.chatgpt.com/v1", "https://"),
        ("base_url", "http://api.chatgpt.com/v1", "must use https"),
        ("base_url", "https://user:pw@api.chatgpt.com/v1", "credentials"),
        ("key_name", "a\x00b", "key name"),
        ("kind", "claude", "unsupported integration kind"),
    ],
)
def test_bad_input_is_refused_with_a_reason(
    settings: Settings, fields: dict[str, Any], field: str, value: str, message: str
) -> None:
    service = IntegrationService.open(settings)  # validation runs before the database: SQLite is enough
    with pytest.raises(IntegrationError, match=message) as error:
        service.add(**{**fields, field: value})
    assert API_KEY not in str(error.value)
    assert service.list_integrations() == []


def test_unknown_key_prefix_is_a_warning(service: IntegrationService, fields: dict[str, Any]) -> None:
    info, warnings = service.add(**{**fields, "api_key": "  custom-0123456789abcdefghijKLMN\n"})
    assert len(warnings) == 1 and "sk-proj-" in warnings[0]
    assert "custom-0123" not in warnings[0]
    assert service.get_api_key(info) == "custom-0123456789abcdefghijKLMN"  # stripped


def test_duplicate_name_is_refused(service: IntegrationService, fields: dict[str, Any]) -> None:
    service.add(**fields)
    with pytest.raises(IntegrationError, match="already exists"):
        service.add(**{**fields, "name": " acme "})


def test_unknown_name_lists_known_ones(service: IntegrationService, fields: dict[str, Any]) -> None:
    with pytest.raises(IntegrationNotFound, match="none yet"):
        service.get("acme")
    service.add(**fields)
    with pytest.raises(IntegrationNotFound, match="known: acme"):
        service.pause("other")


def test_status_pause_resume(service: IntegrationService, fields: dict[str, Any]) -> None:
    service.add(**fields)
    assert service.set_status("acme", IntegrationStatus.CONNECTED, "ok").status == "connected"
    with pytest.raises(IntegrationError, match="not paused"):
        service.resume("acme")
    paused = service.pause("acme")
    assert paused.paused and paused.status_message == "paused by an administrator"
    assert service.resume("acme").status == "not_connected"
    with pytest.raises(IntegrationError, match="unknown status"):
        service.set_status("acme", "sleeping")
    assert service.set_status("acme", "error", "key rejected").status_message == "key rejected"


def test_rotate_key(service: IntegrationService, fields: dict[str, Any]) -> None:
    service.add(**fields)
    service.set_status("acme", "connected")
    info, warnings = service.rotate_key("acme", "sk-comp-NEWKEY0123456789abcdef9999", key_name="new")
    assert warnings == [] and info.key_last4 == "9999" and info.key_name == "new"
    assert info.status == "not_connected"
    assert service.get_api_key("acme") == "sk-comp-NEWKEY0123456789abcdef9999"
    with pytest.raises(IntegrationError, match="not a plausible key"):
        service.rotate_key("acme", "sk-x")
    assert service.get_api_key("acme") == "sk-comp-NEWKEY0123456789abcdef9999"


def test_update_resets_status_when_the_connection_changes(
    service: IntegrationService, fields: dict[str, Any]
) -> None:
    service.add(**fields)
    service.add(**{**fields, "name": "other"})
    service.set_status("acme", "connected")
    assert service.update("acme", key_name="renamed key").status == "connected"
    changed = service.update("acme", workspace_id="11111111-2222-4333-8444-555555555555")
    assert changed.status == "not_connected" and "test the credentials" in (changed.status_message or "")
    assert service.update("acme", new_name="acme-eu").name == "acme-eu"
    with pytest.raises(IntegrationError, match="already has that name"):
        service.update("acme-eu", new_name="other")
    with pytest.raises(IntegrationError, match="Organization ID"):
        service.update("acme-eu", platform_org_id="nope")


def test_remove_keeps_data_and_erases_key(
    service: IntegrationService, fields: dict[str, Any], db_settings: Settings
) -> None:
    info, _ = service.add(**fields)
    sessions = make_session_factory(get_engine(db_settings))
    with sessions.begin() as session:
        repo.upsert_users(session, info.id, [{"user_id": "user-1"}])
    assert service.remove("acme") == {}
    assert service.list_integrations() == []
    (removed,) = service.list_integrations(include_removed=True)
    assert removed.removed_at is not None and not removed.has_key
    with pytest.raises(IntegrationError, match="no API key"):
        service.get_api_key("acme")
    with pytest.raises(IntegrationError, match="was removed"):
        service.pause("acme")
    with pytest.raises(IntegrationError, match="--purge"):
        service.add(**fields)
    with sessions() as session:
        assert repo.counts(session, info.id)["users"] == 1
    restored, _ = service.rotate_key("acme", API_KEY)
    assert restored.removed_at is None and service.get_api_key("acme") == API_KEY


def test_remove_with_purge_deletes_everything(
    service: IntegrationService, fields: dict[str, Any], db_settings: Settings
) -> None:
    info, _ = service.add(**fields)
    kept, _ = service.add(**{**fields, "name": "kept"})
    sessions = make_session_factory(get_engine(db_settings))
    with sessions.begin() as session:
        for target in (info.id, kept.id):
            repo.upsert_users(session, target, [{"user_id": "user-1"}, {"user_id": "user-2"}])
            repo.set_cursor(session, target, "users", {"after": "user-2"})
    deleted = service.remove("acme", purge=True)
    assert deleted["users"] == 2 and deleted["sync_cursors"] == 1 and deleted["integrations"] == 1
    assert [i.name for i in service.list_integrations(include_removed=True)] == ["kept"]
    with sessions() as session:
        assert session.scalar(select(Integration).where(Integration.name == "acme")) is None
        assert repo.counts(session, kept.id)["users"] == 2


def test_list_shows_last_successful_sync(
    service: IntegrationService, fields: dict[str, Any], db_settings: Settings
) -> None:
    info, _ = service.add(**fields)
    assert service.list_integrations()[0].last_sync_at is None
    sessions = make_session_factory(get_engine(db_settings))
    with sessions.begin() as session:
        repo.mark_stream_success(session, info.id, "users")
    (listed,) = service.list_integrations()
    assert listed.last_sync_at is not None and listed.last_sync_at == service.get("acme").last_sync_at


def test_reencrypt_keys_after_secret_rotation(
    service: IntegrationService, fields: dict[str, Any], db_settings: Settings
) -> None:
    service.add(**fields)
    old_box = service.secret_box
    new_key = Fernet.generate_key()
    rotated = IntegrationService(
        db_settings,
        make_session_factory(get_engine(db_settings)),
        SecretBox([new_key, *old_box._keys]),
    )
    assert rotated.reencrypt_keys() == 1
    only_new = IntegrationService(
        db_settings, make_session_factory(get_engine(db_settings)), SecretBox([new_key])
    )
    assert only_new.get_api_key("acme") == API_KEY


def test_wrong_secret_key_cannot_decrypt(
    service: IntegrationService, fields: dict[str, Any], db_settings: Settings
) -> None:
    service.add(**fields)
    stranger = IntegrationService(
        db_settings, make_session_factory(get_engine(db_settings)), SecretBox([Fernet.generate_key()])
    )
    with pytest.raises(ConfigError, match="cannot be decrypted"):
        stranger.get_api_key("acme")


def test_production_mode_without_secret_key_refuses(
    settings: Settings, fields: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIWATCH_MODE", "production")
    get_settings.cache_clear()
    production = get_settings()
    service = IntegrationService.open(production)
    with pytest.raises(ConfigError, match="AIWATCH_SECRET_KEY"):
        service.add(**fields)
    assert service.list_integrations() == []
    assert not production.secret_key_file.exists()
    monkeypatch.setenv("AIWATCH_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()
    info, _ = IntegrationService.open(get_settings()).add(**fields)
    assert info.name == "acme"
