"""Every setting in one place: environment variables ``AIWATCH_*`` and an optional TOML config file.

Precedence (highest first): explicit arguments, environment, the file named by ``AIWATCH_CONFIG_FILE``,
defaults.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Mode(StrEnum):
    DEV = "dev"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AIWATCH_", extra="ignore")

    mode: Mode = Mode.DEV
    data_dir: Path = Field(default_factory=lambda: Path.cwd() / ".aiwatch")
    database_url: str | None = None
    # One or more Fernet keys, comma separated, newest first (MultiFernet rotation).
    secret_key: SecretStr | None = None
    log_level: str = "INFO"
    # Message bodies, file text, memory and canvas content older than this many days are purged by
    # `aiwatch purge` (findings, masked evidence and hashes stay). None: keep content until purged explicitly.
    retention_days: int | None = Field(default=None, ge=0)
    # Posture and activity rule thresholds.
    posture_broad_edit_threshold: int = Field(default=3, ge=1)
    activity_login_failure_threshold: int = Field(default=5, ge=1)
    activity_login_failure_window_minutes: int = Field(default=10, ge=1)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("AIWATCH_CONFIG_FILE")
        if config_file:
            path = Path(config_file)
            if not path.is_file():
                raise ConfigError(f"AIWATCH_CONFIG_FILE points to {path}, which is not a file")
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=path))
        return tuple(sources)

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'aiwatch.db'}"

    @property
    def secret_key_file(self) -> Path:
        return self.data_dir / "secret.key"

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.data_dir


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the message says what to set."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings; call ``get_settings.cache_clear()`` after changing the environment."""
    return Settings()
