"""Integration-service fixtures: a migrated database (SQLite and PostgreSQL) and valid connection fields."""

from __future__ import annotations

from typing import Any

import pytest

from aiwatch.config import Settings
from aiwatch.integrations.service import IntegrationService

API_KEY = "sk-proj-TESTKEY0123456789abcdefWXYZ"


@pytest.fixture
def service(db_settings: Settings) -> IntegrationService:
    return IntegrationService.open(db_settings)


@pytest.fixture
def fields() -> dict[str, Any]:
    return {
        "name": "acme",
        "workspace_id": "0A1B2C3D-4E5F-4a6b-8c7d-9e0f1a2b3c4d",
        "chatgpt_org_id": "org-AbCdEfGhIjKlMnOpQrStUvWx",
        "platform_org_id": "org-ZyXwVuTsRqPoNmLkJiHgFeDc",
        "api_key": API_KEY,
        "base_url": "http://127.0.0.1:9/v1",
        "key_name": "compliance-reader",
        "created_by": "owner@acme.example",
    }
