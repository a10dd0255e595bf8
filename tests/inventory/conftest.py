"""Fixture: the small stored workspace of ``inventory_seed``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from inventory_seed import Workspace, seed

from aiwatch.config import Settings
from aiwatch.store.db import dispose_engines, init_db, make_session_factory
from aiwatch.store.models import Integration


@pytest.fixture
def workspace(settings: Settings) -> Iterator[Workspace]:
    sessions = make_session_factory(init_db(settings))
    with sessions.begin() as session:
        integration = Integration(
            name="acme",
            base_url="http://127.0.0.1:1/v1",
            workspace_id="w",
            chatgpt_org_id="o",
            platform_org_id="p",
            key_last4="abcd",
        )
        session.add(integration)
        session.flush()
        seed(session, integration.id)
        iid = integration.id
    yield Workspace(sessions, iid)
    dispose_engines()
