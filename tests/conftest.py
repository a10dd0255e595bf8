"""Fixtures shared by every test package. Domain-specific fixtures live in each tests/<domain>/conftest.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aiwatch.config import Settings, get_settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Process settings pointing at a fresh data directory (SQLite default, generated dev key)."""
    for name in ("AIWATCH_DATABASE_URL", "AIWATCH_SECRET_KEY", "AIWATCH_CONFIG_FILE", "AIWATCH_MODE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AIWATCH_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()
