"""API shapes of the workspace objects (the JSON the Compliance API returns)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiwatch.emulator.logfeed import iso
from aiwatch.emulator.model import (
    REMOVED_BY_ADMIN,
    ActionTool,
    Agent,
    AgentConfig,
    Canvas,
    Conversation,
    MemoryContext,
    Message,
    Recipient,
    StoredFile,
    User,
)

# (kind, object id) -> signed download URL
UrlSigner = Callable[[str, str], str]


def envelope(data: list[dict[str, Any]], has_more: bool, last_id: str | None) -> dict[str, Any]:
    return {
        "object": "list",
        "data": data,
        "has_more": has_more,
        "last_id": last_id if last_id is not None else "",
    }


def user_view(user: User) -> dict[str, Any]:
    return {
        "object": "compliance.workspace.user",
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "created_at": user.created_at,
        "role": user.role,
        "status": user.status,
    }


def _file_view(
    f: StoredFile | None,
    file_id: str,
    kind: str,
    file_format: str,
    now: float,
    sign: UrlSigner,
    owner_id: str | None = None,
) -> dict[str, Any]:
    objects = {
        "user": "compliance.workspace.conversation.message.file",
        "gpt": "compliance.workspace.gpt.file",
        "project": "compliance.workspace.project.file",
    }
    name = f.name if f is not None else REMOVED_BY_ADMIN
    if file_format == "id":
        view: dict[str, Any] = {"object": objects[kind] + "_info", "id": file_id, "name": name}
        if kind == "user":
            view["user_id"] = owner_id or (f.owner_id if f else None)
        return view
    available = f is not None and not f.deleted and not f.expired(now)
    if kind != "user" and f is not None and f.deleted:
        name = REMOVED_BY_ADMIN  # GPT/project files leave a placeholder with no content
    return {
        "object": objects[kind],
        "id": file_id,
        "name": name,
        "created_at": f.created_at if available and f is not None else None,
        "download_url": sign(kind, file_id) if available else None,
    }


def message_view(
    message: Message,
    conv: Conversation,
    files: dict[str, StoredFile],
    file_format: str,
    now: float,
    sign: UrlSigner,
) -> dict[str, Any]:
    if conv.deleted:
        content: dict[str, Any] | None = {
            "object": "compliance.workspace.conversation.message.content",
            "type": "text",
            "value": REMOVED_BY_ADMIN,
            "annotations": [],
        }
        file_views: list[dict[str, Any]] = []
    else:
        content = None
        if message.text is not None:
            content = {
                "object": "compliance.workspace.conversation.message.content",
                "type": message.content_type,
                "value": message.text,
                "annotations": [{"type": "url_citation", "urls": list(message.annotations)}]
                if message.annotations
                else [],
            }
        file_views = [
            _file_view(files.get(fid), fid, "user", file_format, now, sign, conv.user_id)
            for fid in message.file_ids
        ]
    return {
        "object": "compliance.workspace.conversation.message",
        "id": message.id,
        "parent_id": message.parent_id,
        "created_at": message.created_at,
        "gpt_id": message.gpt_id,
        "project_id": message.project_id,
        "author": {
            "object": "compliance.workspace.conversation.message.author",
            "role": message.role,
            "tool_name": message.tool_name,
        },
        "content": content,
        "files": envelope(file_views, False, file_views[-1]["id"] if file_views else None),
    }


def conversation_view(
    conv: Conversation,
    user: User,
    workspace_id: str,
    files: dict[str, StoredFile],
    file_format: str,
    now: float,
    sign: UrlSigner,
) -> dict[str, Any]:
    messages = [message_view(m, conv, files, file_format, now, sign) for m in conv.messages]
    return {
        "object": "compliance.workspace.conversation",
        "id": conv.id,
        "workspace_id": workspace_id,
        "user_id": conv.user_id,
        "user_email": user.email,
        "created_at": conv.created_at,
        "last_active_at": conv.last_active_at,
        "title": REMOVED_BY_ADMIN if conv.deleted else conv.title,
        "messages": envelope(messages, False, messages[-1]["id"] if messages else None),
    }


def _tool_view(tool: ActionTool, kind: str) -> dict[str, Any]:
    view: dict[str, Any] = {"type": tool.type, "created_at": tool.created_at}
    if tool.type == "custom_action":
        view["action_domain"] = tool.action_domain
        view["action_openapi_raw"] = tool.action_openapi_raw
        view["action_privacy_policy_url"] = tool.action_privacy_policy_url
        if kind == "gpt":
            view["auth_type"] = tool.auth_type
    return view


def config_view(
    agent: Agent,
    config: AgentConfig,
    users: dict[str, User],
    files: dict[str, StoredFile],
    file_format: str,
    now: float,
    sign: UrlSigner,
) -> dict[str, Any]:
    kind = agent.kind
    file_views = [_file_view(files.get(fid), fid, kind, file_format, now, sign) for fid in config.file_ids]
    tools = [_tool_view(t, kind) for t in config.tools]
    view: dict[str, Any] = {
        "object": f"compliance.workspace.{kind}.configuration",
        "id": config.id,
        "name": config.name,
        "description": config.description,
        "categories": list(config.categories),
        "conversation_starters": list(config.conversation_starters),
        "created_at": config.created_at,
        "instructions": config.instructions,
        "files": envelope(file_views, False, file_views[-1]["id"] if file_views else None),
        "tools": envelope(tools, False, None),
    }
    if kind == "gpt":
        author = users.get(config.author_id)
        view["version_author"] = (
            {"object": "compliance.workspace.gpt.version_author", "id": author.id, "email": author.email}
            if author
            else None
        )
    return view


def _permissions(kind: str, r: Recipient) -> dict[str, Any]:
    return {
        "object": f"compliance.workspace.{kind}.permissions",
        "can_read": r.can_read,
        "can_view_config": r.can_view_config,
        "can_write": r.can_write,
    }


def agent_view(
    agent: Agent,
    users: dict[str, User],
    files: dict[str, StoredFile],
    file_format: str,
    now: float,
    sign: UrlSigner,
) -> dict[str, Any]:
    kind = agent.kind
    owner = users[agent.owner_id]
    latest = agent.configs[-1]
    return {
        "object": f"compliance.workspace.{kind}",
        "id": agent.id,
        "created_at": agent.created_at,
        "owner_id": owner.id,
        "owner_email": owner.email,
        "builder_name": agent.builder_name,
        "sharing": {
            "object": f"compliance.workspace.{kind}.sharing",
            "visibility": agent.visibility,
            "permissions": _permissions(kind, agent.permissions),
            "recipients": [
                {
                    "object": f"compliance.workspace.{kind}.shared_user",
                    "id": r.user_id,
                    "email": users[r.user_id].email,
                    "permissions": _permissions(kind, r),
                }
                for r in agent.recipients
            ],
        },
        "latest_config": envelope(
            [config_view(agent, latest, users, files, file_format, now, sign)], False, latest.id
        ),
    }


def memory_view(user_id: str, contexts: list[MemoryContext], since: float | None) -> dict[str, Any] | None:
    views = []
    for context in contexts:
        entries = [e for e in context.entries if since is None or e.updated_at >= since]
        if not entries and since is not None:
            continue
        views.append(
            {
                "object": "compliance.workspace.user.memory.context",
                "id": context.id,
                "memory_entries": [
                    {
                        "object": "compliance.workspace.user.memory.context.entry",
                        "id": e.id,
                        "content": e.content,
                        "updated_at": e.updated_at,
                    }
                    for e in entries
                ],
            }
        )
    if not views:
        return None
    return {"object": "compliance.workspace.user.memory", "id": user_id, "memory_contexts": views}


def canvas_summary(canvas: Canvas) -> dict[str, Any]:
    return {
        "object": "compliance.workspace.user.canvas",
        "id": canvas.id,
        "created_at": canvas.created_at,
        "textdoc_type": canvas.textdoc_type,
    }


def canvas_content(canvas: Canvas, after: int | None, limit: int) -> dict[str, Any]:
    versions = [v for v in canvas.versions if after is None or v.version > after]
    page, rest = versions[:limit], versions[limit:]
    return {
        "textdoc_id": canvas.id,
        "textdoc_type": canvas.textdoc_type,
        "version_contents": {
            "object": "list",
            "data": [
                {
                    "content": v.content,
                    "updated_at": iso(v.updated_at).replace(".000000Z", "Z"),
                    "version": v.version,
                    "name": v.name,
                    "comments": [
                        {"type": "comment", "id": c.id, "start": c.start, "end": c.end, "content": c.content}
                        for c in v.comments
                    ],
                }
                for v in page
            ],
            "last_version": page[-1].version if page else None,
            "has_more": bool(rest),
        },
    }
