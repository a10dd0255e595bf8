"""Encryption at rest for stored credentials (Fernet / MultiFernet) and keyed hashes of sensitive values."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from aiwatch.config import ConfigError, Mode, Settings


class SecretBox:
    """Encrypts and decrypts small secrets. The first key encrypts; every key can decrypt (rotation)."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ConfigError("no encryption key configured")
        self._keys = keys
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")
        except InvalidToken as exc:
            raise ConfigError(
                "a stored credential cannot be decrypted with the configured AIWATCH_SECRET_KEY "
                "(was the key changed without keeping the old one for rotation?)"
            ) from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt a token with the newest key."""
        return self._fernet.rotate(token.encode("ascii")).decode("ascii")

    def keyed_hash(self, value: str) -> str:
        """A stable HMAC-SHA256 of a sensitive value, so equal values can be matched without storing them."""
        hash_key = hashlib.sha256(b"aiwatch-value-hash:" + self._keys[-1]).digest()
        return hmac.new(hash_key, value.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()


def _parse_keys(raw: str) -> list[bytes]:
    keys = [k.strip().encode("ascii") for k in raw.split(",") if k.strip()]
    for key in keys:
        try:
            Fernet(key)
        except (ValueError, TypeError) as exc:
            raise ConfigError(
                "AIWATCH_SECRET_KEY must be one or more comma-separated Fernet keys "
                "(generate one with: aiwatch admin generate-key)"
            ) from exc
    return keys


def load_secret_box(settings: Settings) -> SecretBox:
    """Key from AIWATCH_SECRET_KEY; in dev mode a key file is generated in the data directory (mode 0600)."""
    if settings.secret_key is not None:
        return SecretBox(_parse_keys(settings.secret_key.get_secret_value()))
    path = settings.secret_key_file
    if path.exists():
        return SecretBox(_parse_keys(path.read_text()))
    if settings.mode is Mode.PRODUCTION:
        raise ConfigError(
            "production mode needs AIWATCH_SECRET_KEY (a Fernet key; generate one with "
            "`aiwatch admin generate-key`) or a key file at " + str(path)
        )
    settings.ensure_data_dir()
    _write_private_file(path, Fernet.generate_key().decode("ascii") + "\n")
    return SecretBox(_parse_keys(path.read_text()))


def _write_private_file(path: Path, content: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(content)


def generate_key() -> str:
    return Fernet.generate_key().decode("ascii")
