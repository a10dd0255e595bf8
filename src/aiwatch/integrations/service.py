"""Managing connected workspaces: add, inspect, pause, rotate the key, remove.

The API key is encrypted before it reaches the database (``aiwatch.crypto.SecretBox``) and decrypted only by
``get_api_key`` when a connection is about to be made. Nothing here logs, prints or returns the key: the
views handed out (``IntegrationInfo``) carry only its last four characters.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import Settings
from aiwatch.crypto import SecretBox, load_secret_box
from aiwatch.sources.chatgpt.checks import KNOWN_KEY_PREFIXES
from aiwatch.sources.chatgpt.client import DEFAULT_BASE_URL
from aiwatch.store import repositories
from aiwatch.store.db import init_db, make_session_factory
from aiwatch.store.models import Integration, IntegrationStatus, SyncCursor, utc_now

DEFAULT_CHATGPT_BASE_URL = DEFAULT_BASE_URL
SUPPORTED_KINDS = ("chatgpt",)

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}")
_ORG_ID = re.compile(r"org-[A-Za-z0-9]{16,64}")  # "org-" and ~24 alphanumerics
_KEY_CHARS = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces
_MIN_KEY_LENGTH = 20
_MAX_KEY_LENGTH = 1024
_MAX_LABEL_LENGTH = 200


class IntegrationError(ValueError):
    """Bad input or a request that cannot be done; the message says what to change."""


class IntegrationNotFound(IntegrationError):
    """No integration has that name."""


@dataclass(frozen=True)
class IntegrationInfo:
    """What may be shown about an integration. Deliberately holds no key material beyond the last 4."""

    id: int
    name: str
    kind: str
    base_url: str
    workspace_id: str
    chatgpt_org_id: str
    platform_org_id: str
    key_last4: str
    has_key: bool
    key_name: str | None
    created_by: str | None
    status: str
    status_message: str | None
    created_at: datetime
    updated_at: datetime
    removed_at: datetime | None
    last_sync_at: datetime | None = None

    @property
    def key_hint(self) -> str:
        return f"…{self.key_last4}" if self.has_key else "(no key)"

    @property
    def paused(self) -> bool:
        return self.status == IntegrationStatus.PAUSED.value


# --- validation ---------------------------------------------------------------------------------------------


def validate_name(name: str) -> str:
    name = name.strip()
    if not _NAME.fullmatch(name):
        raise IntegrationError(
            "the name must be 1-100 characters: letters, digits, space, dot, dash or underscore, "
            "starting with a letter or digit"
        )
    return name


def validate_workspace_id(value: str) -> str:
    text = value.strip()
    try:
        parsed = uuid.UUID(text)
    except ValueError:
        parsed = None
    if parsed is None or len(text) != 36:
        raise IntegrationError(
            "the Workspace ID must be a UUID like 0a1b2c3d-…-…; find it in the ChatGPT admin console "
            "under Settings → Workspace"
        )
    return str(parsed)


def validate_org_id(value: str, label: str) -> str:
    text = value.strip()
    if not _ORG_ID.fullmatch(text):
        raise IntegrationError(
            f'the {label} must look like org-XXXXXXXXXXXXXXXXXXXXXXXX ("org-" and letters/digits); '
            "find it in the organization settings"
        )
    return text


def validate_api_key(value: str) -> tuple[str, list[str]]:
    """The cleaned key and warnings about it. The messages never contain the key."""
    key = value.strip()
    if not key:
        raise IntegrationError("the API key is empty")
    if not _KEY_CHARS.fullmatch(key):
        raise IntegrationError("the API key contains spaces or non-printable characters; copy it again")
    if not _MIN_KEY_LENGTH <= len(key) <= _MAX_KEY_LENGTH:
        raise IntegrationError(
            f"the API key has {len(key)} characters, which is not a plausible key; copy it again"
        )
    warnings = []
    if not key.startswith(KNOWN_KEY_PREFIXES):
        warnings.append(
            "the key does not start with sk-proj-, sk-admin- or sk-comp-, the prefixes known to work with "
            "the Compliance API; it was saved anyway, run `aiwatch integrations test` to check it"
        )
    return key, warnings


def validate_base_url(value: str) -> str:
    url = value.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise IntegrationError(f"the base URL must be an https:// URL such as {DEFAULT_CHATGPT_BASE_URL}")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise IntegrationError(
            "the base URL must use https:// (plain http is only allowed to a loopback address, e.g. the "
            "emulator), so the API key is never sent in clear"
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise IntegrationError("the base URL must not contain credentials, a query or a fragment")
    return url


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _optional_label(value: str | None, label: str) -> str | None:
    if value is None:
        return None
    text = value.strip()
    if len(text) > _MAX_LABEL_LENGTH or any(ord(ch) < 32 for ch in text):
        raise IntegrationError(f"the {label} must be at most {_MAX_LABEL_LENGTH} printable characters")
    return text or None


# --- the service -------------------------------------------------------------------------------------------


class IntegrationService:
    """Integration management on one database. The encryption key is loaded only when a key is handled."""

    def __init__(
        self,
        settings: Settings,
        sessions: sessionmaker[Session],
        secret_box: SecretBox | None = None,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._secret_box = secret_box

    @classmethod
    def open(cls, settings: Settings) -> IntegrationService:
        """The service on the configured database, upgraded to the current schema first."""
        return cls(settings, make_session_factory(init_db(settings)))

    @property
    def secret_box(self) -> SecretBox:
        if self._secret_box is None:
            self._secret_box = load_secret_box(self._settings)  # ConfigError in production without a key
        return self._secret_box

    # reads

    def get(self, name: str) -> IntegrationInfo:
        with self._sessions() as session:
            return self._info(session, self._load(session, name))

    def get_by_id(self, integration_id: int) -> IntegrationInfo:
        with self._sessions() as session:
            integration = session.get(Integration, integration_id)
            if integration is None:
                raise IntegrationNotFound(f"no integration with id {integration_id}")
            return self._info(session, integration)

    def list_integrations(self, *, include_removed: bool = False) -> list[IntegrationInfo]:
        with self._sessions() as session:
            query = select(Integration).order_by(Integration.name)
            if not include_removed:
                query = query.where(Integration.removed_at.is_(None))
            integrations = list(session.scalars(query))
            last_syncs = dict(
                session.execute(
                    select(SyncCursor.integration_id, func.max(SyncCursor.last_success_at)).group_by(
                        SyncCursor.integration_id
                    )
                ).all()
            )
            return [self._info(session, row, last_syncs.get(row.id)) for row in integrations]

    def get_api_key(self, integration: IntegrationInfo | str) -> str:
        """The clear API key, for opening a connection. Keep it in a local variable; never log it."""
        name = integration.name if isinstance(integration, IntegrationInfo) else integration
        with self._sessions() as session:
            ciphertext = self._load(session, name).key_ciphertext
        if not ciphertext:
            raise IntegrationError(
                f"integration {name!r} has no API key (it was removed); add a key with "
                f"`aiwatch integrations rotate-key {name} --key-file PATH`"
            )
        return self.secret_box.decrypt(ciphertext)

    # writes

    def add(
        self,
        *,
        name: str,
        workspace_id: str,
        chatgpt_org_id: str,
        platform_org_id: str,
        api_key: str,
        kind: str = "chatgpt",
        base_url: str = DEFAULT_CHATGPT_BASE_URL,
        key_name: str | None = None,
        created_by: str | None = None,
    ) -> tuple[IntegrationInfo, list[str]]:
        """Store a new integration (status Not connected until tested or synced); returns it and warnings."""
        if kind not in SUPPORTED_KINDS:
            raise IntegrationError(
                f"unsupported integration kind {kind!r}; supported: {', '.join(SUPPORTED_KINDS)}"
            )
        clean_name = validate_name(name)
        key, warnings = validate_api_key(api_key)
        integration = Integration(
            name=clean_name,
            kind=kind,
            base_url=validate_base_url(base_url),
            workspace_id=validate_workspace_id(workspace_id),
            chatgpt_org_id=validate_org_id(chatgpt_org_id, "Organization ID (ChatGPT)"),
            platform_org_id=validate_org_id(platform_org_id, "Organization ID (Platform)"),
            key_ciphertext=self.secret_box.encrypt(key),
            key_last4=key[-4:],
            key_name=_optional_label(key_name, "key name"),
            created_by=_optional_label(created_by, "created-by"),
            status=IntegrationStatus.NOT_CONNECTED.value,
        )
        del key
        with self._sessions() as session:
            existing = session.scalar(select(Integration).where(Integration.name == clean_name))
            if existing is not None:
                hint = (
                    f"it was removed with its data kept: purge it with `aiwatch integrations remove "
                    f"{clean_name} --purge` or choose another name"
                    if existing.removed_at is not None
                    else "choose another name"
                )
                raise IntegrationError(f"an integration named {clean_name!r} already exists; {hint}")
            session.add(integration)
            try:
                session.commit()
            except IntegrityError as exc:  # a concurrent add of the same name
                session.rollback()
                raise IntegrationError(f"an integration named {clean_name!r} already exists") from exc
            return self._info(session, integration), warnings

    def update(
        self,
        name: str,
        *,
        new_name: str | None = None,
        base_url: str | None = None,
        workspace_id: str | None = None,
        chatgpt_org_id: str | None = None,
        platform_org_id: str | None = None,
        key_name: str | None = None,
    ) -> IntegrationInfo:
        """Change settings; a changed endpoint or workspace sets the status back to Not connected."""
        changes: dict[str, Any] = {}
        if new_name is not None:
            changes["name"] = validate_name(new_name)
        if base_url is not None:
            changes["base_url"] = validate_base_url(base_url)
        if workspace_id is not None:
            changes["workspace_id"] = validate_workspace_id(workspace_id)
        if chatgpt_org_id is not None:
            changes["chatgpt_org_id"] = validate_org_id(chatgpt_org_id, "Organization ID (ChatGPT)")
        if platform_org_id is not None:
            changes["platform_org_id"] = validate_org_id(platform_org_id, "Organization ID (Platform)")
        if key_name is not None:
            changes["key_name"] = _optional_label(key_name, "key name")

        def apply(integration: Integration) -> None:
            connection_changed = any(
                field in changes and changes[field] != getattr(integration, field)
                for field in ("base_url", "workspace_id", "chatgpt_org_id", "platform_org_id")
            )
            for field, value in changes.items():
                setattr(integration, field, value)
            if connection_changed and integration.status != IntegrationStatus.PAUSED.value:
                integration.status = IntegrationStatus.NOT_CONNECTED.value
                integration.status_message = "settings changed; test the credentials again"

        return self._modify(name, apply)

    def set_status(
        self, name: str, status: IntegrationStatus | str, message: str | None = None
    ) -> IntegrationInfo:
        """Record the connection status (sync and Test Credentials call this); the message holds no secret."""
        try:
            new_status = IntegrationStatus(status)
        except ValueError as exc:
            allowed = ", ".join(s.value for s in IntegrationStatus)
            raise IntegrationError(f"unknown status {status!r}; use one of {allowed}") from exc

        def apply(integration: Integration) -> None:
            integration.status = new_status.value
            integration.status_message = message

        return self._modify(name, apply)

    def pause(self, name: str) -> IntegrationInfo:
        """Stop syncing this integration until resumed (its data and cursors stay)."""
        return self.set_status(name, IntegrationStatus.PAUSED, "paused by an administrator")

    def resume(self, name: str) -> IntegrationInfo:
        """Allow syncing again; the next sync or test sets Connected or Error."""
        info = self.get(name)
        if not info.paused:
            raise IntegrationError(f"integration {info.name!r} is not paused")
        return self.set_status(
            name, IntegrationStatus.NOT_CONNECTED, "resumed; the next sync checks the connection"
        )

    def rotate_key(
        self, name: str, api_key: str, *, key_name: str | None = None
    ) -> tuple[IntegrationInfo, list[str]]:
        """Replace the API key (also restores a removed integration's key). Returns the view and warnings."""
        key, warnings = validate_api_key(api_key)
        ciphertext = self.secret_box.encrypt(key)
        last4 = key[-4:]
        del key
        label = _optional_label(key_name, "key name") if key_name is not None else None

        def apply(integration: Integration) -> None:
            integration.key_ciphertext = ciphertext
            integration.key_last4 = last4
            if label is not None:
                integration.key_name = label
            if integration.status != IntegrationStatus.PAUSED.value:
                integration.status = IntegrationStatus.NOT_CONNECTED.value
                integration.status_message = "key replaced; test the credentials again"

        return self._modify(name, apply, allow_removed=True), warnings

    def reencrypt_keys(self) -> int:
        """Re-encrypt every stored key with the newest AIWATCH_SECRET_KEY (after adding a key in front)."""
        with self._sessions.begin() as session:
            integrations = session.scalars(select(Integration).where(Integration.key_ciphertext.is_not(None)))
            count = 0
            for integration in integrations:
                integration.key_ciphertext = self.secret_box.rotate(integration.key_ciphertext or "")
                count += 1
            return count

    def remove(self, name: str, *, purge: bool = False) -> dict[str, int]:
        """Disconnect. Without ``purge`` the synced data stays (the key is erased and syncing stops); with
        ``purge`` the integration and everything synced for it are deleted. Returns rows deleted per table."""
        with self._sessions.begin() as session:
            integration = self._load(session, name)
            if not purge:
                integration.key_ciphertext = None
                integration.removed_at = utc_now()
                integration.status = IntegrationStatus.NOT_CONNECTED.value
                integration.status_message = "removed; synced data kept"
                return {}
            deleted = repositories.purge_integration_data(session, integration.id)
            session.delete(integration)
            deleted["integrations"] = 1
            return deleted

    # helpers

    def _load(self, session: Session, name: str) -> Integration:
        integration = session.scalar(select(Integration).where(Integration.name == name.strip()))
        if integration is None:
            known = session.scalars(select(Integration.name).order_by(Integration.name)).all()
            listing = (
                ", ".join(known) if known else "none yet; add one with `aiwatch integrations add chatgpt`"
            )
            raise IntegrationNotFound(f"no integration named {name!r} (known: {listing})")
        return integration

    def _modify(
        self, name: str, apply: Callable[[Integration], None], *, allow_removed: bool = False
    ) -> IntegrationInfo:
        with self._sessions() as session:
            integration = self._load(session, name)
            if integration.removed_at is not None and not allow_removed:
                raise IntegrationError(
                    f"integration {integration.name!r} was removed; restore it with "
                    f"`aiwatch integrations rotate-key {integration.name} --key-file PATH` or purge it"
                )
            apply(integration)
            if allow_removed:
                integration.removed_at = None
            integration.updated_at = utc_now()
            try:
                session.commit()
            except IntegrityError as exc:
                session.rollback()
                raise IntegrationError("another integration already has that name") from exc
            return self._info(session, integration)

    @staticmethod
    def _info(session: Session, row: Integration, last_sync_at: datetime | None = None) -> IntegrationInfo:
        if last_sync_at is None:
            last_sync_at = repositories.last_sync_at(session, row.id)
        return IntegrationInfo(
            id=row.id,
            name=row.name,
            kind=row.kind,
            base_url=row.base_url,
            workspace_id=row.workspace_id,
            chatgpt_org_id=row.chatgpt_org_id,
            platform_org_id=row.platform_org_id,
            key_last4=row.key_last4,
            has_key=bool(row.key_ciphertext),
            key_name=row.key_name,
            created_by=row.created_by,
            status=row.status,
            status_message=row.status_message,
            created_at=row.created_at,
            updated_at=row.updated_at,
            removed_at=row.removed_at,
            last_sync_at=last_sync_at,
        )


def active_integrations(infos: Sequence[IntegrationInfo]) -> list[IntegrationInfo]:
    """The ones a sync should run: not removed and not paused."""
    return [info for info in infos if info.removed_at is None and not info.paused]
