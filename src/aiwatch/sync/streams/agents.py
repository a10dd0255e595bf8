"""Custom GPTs and projects: every config version, shared users, and knowledge files (queued for fetching).

Listed in full every pass with an in-pass ``after`` checkpoint. An agent missing from a complete,
uninterrupted listing was deleted and is marked so (a resumed pass cannot tell, so it marks nothing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiwatch.sync import persist
from aiwatch.sync.context import SyncContext
from aiwatch.sync.streams.base import Stream, first_or_next_page, from_unix, nested_list, page_parts


@dataclass(frozen=True)
class AgentKind:
    kind: str  # "gpt" | "project"
    stream: str
    list_method: str
    configs_method: str
    shared_users_method: str


GPTS = AgentKind("gpt", "gpts", "list_gpts", "list_gpt_configs", "list_gpt_shared_users")
PROJECTS = AgentKind(
    "project", "projects", "list_projects", "list_project_configs", "list_project_shared_users"
)


class AgentsStream(Stream):
    def __init__(self, kind: AgentKind) -> None:
        self.kind = kind
        self.name = kind.stream

    def run(self, ctx: SyncContext) -> int:
        cursor = ctx.load_cursor(self.name)
        after = cursor.get("after")
        if after is None and not ctx.refresh_due(cursor):
            return 0
        complete_listing = after is None
        seen: set[str] = set()
        total = 0
        list_page = getattr(ctx.client, self.kind.list_method)
        while True:
            page, after = first_or_next_page(
                ctx, lambda after: list_page(after=after, limit=ctx.options.list_page_size), after
            )
            items, has_more, last_id = page_parts(page)
            agents, configs, shared, files = [], [], {}, []
            for item in items:
                agent_id = item.get("id")
                if not agent_id:
                    continue
                seen.add(agent_id)
                details = self._details(ctx, agent_id)
                if details is None:
                    continue  # deleted between the listing and the detail calls
                agent_configs, shared_users = details
                if not agent_configs:
                    agent_configs = [config_row(agent_id, c) for c in nested_list(item.get("latest_config"))]
                agents.append(agent_row(self.kind.kind, item, agent_configs))
                configs.extend(agent_configs)
                shared[agent_id] = shared_users
                files.extend(knowledge_files(self.kind.kind, item, agent_configs))
            next_cursor = {"after": last_id, "completed_at": cursor.get("completed_at")}
            if not (has_more and last_id):
                next_cursor = {"after": None, "completed_at": ctx.clock().timestamp()}
            count = len(agents) + len(configs)
            with ctx.page(self.name, next_cursor, items=count) as session:
                persist.upsert_agents(session, ctx.integration_id, agents)
                persist.upsert_agent_configs(session, ctx.integration_id, configs)
                for agent_id, users in shared.items():
                    persist.replace_agent_shared_users(session, ctx.integration_id, agent_id, users)
                persist.add_referenced_files(session, ctx.integration_id, files, [])
                if not (has_more and last_id) and complete_listing:
                    persist.mark_agents_deleted(
                        session, ctx.integration_id, self.kind.kind, seen, ctx.clock()
                    )
            total += count
            if not (has_more and last_id):
                return total
            after = last_id

    def _details(self, ctx: SyncContext, agent_id: str) -> tuple[list[dict], list[dict]] | None:
        from aiwatch.sources.chatgpt import errors

        try:
            configs = [
                config_row(agent_id, c)
                for c in _all_pages(
                    lambda after: getattr(ctx.client, self.kind.configs_method)(
                        agent_id, after=after, limit=ctx.options.list_page_size
                    )
                )
            ]
            users = _all_pages(
                lambda after: getattr(ctx.client, self.kind.shared_users_method)(agent_id, after=after)
            )
        except errors.ObjectNotFound:
            return None
        return configs, users


def _all_pages(fetch: Callable[[str | None], Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after = None
    while True:
        page_items, has_more, last_id = page_parts(fetch(after))
        items.extend(page_items)
        if not (has_more and last_id) or last_id == after:
            return items
        after = last_id


def agent_row(kind: str, item: dict[str, Any], configs: list[dict[str, Any]]) -> dict[str, Any]:
    sharing = item.get("sharing") if isinstance(item.get("sharing"), dict) else {}
    newest = max(configs, key=lambda c: c["created_at"].timestamp() if c["created_at"] else 0, default=None)
    return {
        "agent_id": item["id"],
        "kind": kind,
        "owner_id": item.get("owner_id"),
        "owner_email": item.get("owner_email"),
        "name": newest["name"] if newest else None,
        "visibility": sharing.get("visibility"),
        "recipients": sharing.get("recipients"),
        "created_at": from_unix(item.get("created_at")),
        "raw": item,
        "deleted_at": None,
    }


def config_row(agent_id: str, config: dict[str, Any]) -> dict[str, Any]:
    return {
        "agent_id": agent_id,
        "config_id": config.get("id"),
        "created_at": from_unix(config.get("created_at")),
        "name": config.get("name"),
        "description": config.get("description"),
        "instructions": config.get("instructions"),
        "tools": nested_list(config.get("tools")),
        "files": nested_list(config.get("files")),
        "raw": config,
    }


def knowledge_files(kind: str, item: dict[str, Any], configs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for config in configs:
        for file in config["files"]:
            file_id = file.get("id")
            if file_id and file_id not in rows:
                rows[file_id] = {
                    "kind": kind,
                    "file_id": file_id,
                    "owner_user_id": item.get("owner_id"),
                    "conversation_id": None,
                    "agent_id": item["id"],
                    "name": file.get("name"),
                    "created_at": from_unix(file.get("created_at")),
                    "size": file.get("size") if isinstance(file.get("size"), int) else None,
                }
    return list(rows.values())
