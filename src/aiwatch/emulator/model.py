"""The in-memory objects of an emulated workspace (ground truth for tests). Compact slotted dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiwatch.emulator.documents import Document

REMOVED_BY_ADMIN = "(Removed by your admin)"
CHAT_UPLOAD_TTL_SECONDS = 24 * 3600


@dataclass(slots=True)
class User:
    id: str
    email: str
    name: str
    created_at: float
    role: str  # account-owner | account-admin | standard-user
    status: str  # active | inactive


@dataclass(slots=True)
class StoredFile:
    id: str
    kind: str  # user | gpt | project
    owner_id: str
    created_at: float
    document: Document
    expires_at: float | None = None  # chat uploads only
    deleted: bool = False
    conversation_id: str | None = None

    @property
    def name(self) -> str:
        return self.document.name

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at


@dataclass(slots=True)
class Message:
    id: str
    parent_id: str | None
    created_at: float | None
    role: str  # user | assistant | system | tool
    text: str | None  # None: unsupported tool, content is null
    content_type: str = "text"
    tool_name: str | None = None
    annotations: tuple[str, ...] = ()  # url_citation URLs
    gpt_id: str | None = None
    project_id: str | None = None
    file_ids: tuple[str, ...] = ()
    model: str | None = None  # assistant model; exposed only in the log feed


@dataclass(slots=True)
class Conversation:
    id: str
    user_id: str
    title: str
    created_at: float
    last_active_at: float
    updated_at: float  # not exposed; drives ordering and since_timestamp
    messages: list[Message] = field(default_factory=list)
    deleted: bool = False
    is_temporary: bool = False
    is_pinned: bool = False


@dataclass(slots=True)
class ActionTool:
    type: str  # code_interpreter | browser | dall-e | memory | custom_action
    created_at: float
    action_domain: str | None = None
    action_openapi_raw: str | None = None
    action_privacy_policy_url: str | None = None
    auth_type: str | None = None


@dataclass(slots=True)
class AgentConfig:
    """One version of a GPT or project configuration."""

    id: str
    created_at: float
    name: str
    description: str
    instructions: str
    author_id: str
    categories: tuple[str, ...] = ()
    conversation_starters: tuple[str, ...] = ()
    tools: tuple[ActionTool, ...] = ()
    file_ids: tuple[str, ...] = ()


@dataclass(slots=True)
class Recipient:
    user_id: str
    can_read: bool = True
    can_view_config: bool = False
    can_write: bool = False


@dataclass(slots=True)
class Agent:
    """A custom GPT (``kind='gpt'``) or a project (``kind='project'``); the API shapes are parallel."""

    id: str
    kind: str
    owner_id: str
    created_at: float
    builder_name: str
    visibility: str
    permissions: Recipient
    recipients: list[Recipient]
    configs: list[AgentConfig]  # oldest first; the API lists newest first
    deleted: bool = False


@dataclass(slots=True)
class MemoryEntry:
    id: str
    content: str
    updated_at: float


@dataclass(slots=True)
class MemoryContext:
    id: str
    entries: list[MemoryEntry]


@dataclass(slots=True)
class CanvasComment:
    id: str
    start: int
    end: int
    content: str


@dataclass(slots=True)
class CanvasVersion:
    version: int
    content: str
    updated_at: float
    name: str | None = None
    comments: tuple[CanvasComment, ...] = ()


@dataclass(slots=True)
class Canvas:
    id: str
    user_id: str
    created_at: float
    textdoc_type: str
    versions: list[CanvasVersion]
    deleted: bool = False


@dataclass(slots=True)
class LogEvent:
    """One event of the log feed. Message events are rendered from the conversation they mirror."""

    event_type: str
    timestamp: float
    event_id: str
    payload: dict[str, Any] | None = None
    message_ref: tuple[Conversation, Message, str | None] | None = (
        None  # (conversation, message, previous id)
    )


@dataclass(slots=True)
class LogFile:
    id: str
    event_type: str
    principal_kind: str  # workspaces | organizations
    start_time: float
    end_time: float
    events: list[LogEvent]
    rendered: bytes | None = None  # immutable once rendered
