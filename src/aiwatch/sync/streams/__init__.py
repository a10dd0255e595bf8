"""The API streams, each with its own cursor row, and the order a pass runs them in."""

from __future__ import annotations

from typing import Any

from aiwatch.sync.context import SyncContext
from aiwatch.sync.streams.agents import GPTS, PROJECTS, AgentsStream
from aiwatch.sync.streams.base import Stream
from aiwatch.sync.streams.canvases import CanvasesStream
from aiwatch.sync.streams.conversations import ConversationsStream
from aiwatch.sync.streams.files import FilesStream
from aiwatch.sync.streams.later import LaterPathStream
from aiwatch.sync.streams.logs import CONVERSATION_MESSAGE, LogStream
from aiwatch.sync.streams.memories import MemoriesStream
from aiwatch.sync.streams.users import UsersStream


def default_streams(ctx: SyncContext) -> list[Stream]:
    """Users first (others need them); the log feed's messages before /conversations (text preference,
    see aiwatch.sync.merge); files right after the conversations that name them (uploads expire in ~24 h)."""
    options = ctx.options
    workspace_types = [t for t in options.workspace_log_types if t != CONVERSATION_MESSAGE]
    streams: list[Stream] = [UsersStream()]
    if CONVERSATION_MESSAGE in options.workspace_log_types:
        streams.append(LogStream(CONVERSATION_MESSAGE, ctx.workspace_id))
    streams += [ConversationsStream(), AgentsStream(GPTS), AgentsStream(PROJECTS), FilesStream()]
    streams += [LogStream(event_type, ctx.workspace_id) for event_type in workspace_types]
    if ctx.platform_org_id:
        streams += [
            LogStream(event_type, ctx.platform_org_id) for event_type in options.organization_log_types
        ]
    streams += [LogStream(event_type, ctx.workspace_id) for event_type in options.extra_log_types]
    streams += [MemoriesStream(), CanvasesStream(), *later_path_streams()]
    return streams


def later_path_streams() -> list[Stream]:
    """Codex tasks/environments, automations and recordings, through the client's raw page methods."""

    def call(method: str, *, per_user: bool) -> Any:
        def fetch(ctx: SyncContext, user_id: str | None, after: str | None) -> Any:
            function = getattr(ctx.client, method)
            if per_user:
                return function(user_id, after=after)
            return function(after=after)

        return fetch

    return [
        LaterPathStream("codex_tasks", call("list_codex_tasks", per_user=False)),
        LaterPathStream("codex_environments", call("list_codex_environments", per_user=False)),
        LaterPathStream("automations", call("list_user_automations", per_user=True), per_user=True),
        LaterPathStream("recordings", call("list_recordings", per_user=False)),
    ]
