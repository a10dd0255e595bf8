"""Helpers of the pipeline tests (imported by module name)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import Settings
from aiwatch.store.db import init_db, make_session_factory


def planted_rules(labels) -> set[str]:
    return {label.rule for label in labels}


@dataclass
class Store:
    """A database with one integration and nothing synced (tests store the items they need)."""

    settings: Settings
    sessions: sessionmaker[Session]
    integration_id: int


def empty_store(settings: Settings) -> Store:
    from aiwatch.store import models as m

    sessions = make_session_factory(init_db(settings))
    with sessions.begin() as session:
        row = m.Integration(
            name="ws",
            base_url="http://127.0.0.1:9",
            workspace_id="ws-1",
            chatgpt_org_id="org-1",
            platform_org_id="org-2",
            key_last4="abcd",
        )
        session.add(row)
        session.flush()
        integration_id = row.id
    return Store(settings, sessions, integration_id)
