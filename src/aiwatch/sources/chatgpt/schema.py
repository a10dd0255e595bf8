"""Pydantic models of every object the ChatGPT Enterprise Compliance API returns.

Tolerant by design, because the API changes under us:
- unknown fields are kept (``extra="allow"``) and the exact decoded JSON stays available as ``.raw``;
- enumerations are open strings (the ``KNOWN_*`` sets document the values seen so far; new values never fail);
- everything is optional and nullable: the API omits fields for third-party GPTs, nulls expired file URLs
and the
  content of unsupported tools;
- Unix timestamps are floats (an ISO string is converted; garbage becomes ``None`` instead of failing a page).

Log feed events (JSON Lines) are modelled here too; :func:`parse_log_event` maps a decoded line to the typed
event
for its ``type`` and falls back to the generic :class:`LogEvent` for unknown types or unexpected shapes.
"""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

logger = logging.getLogger(__name__)

KNOWN_USER_ROLES = frozenset({"account-owner", "account-admin", "standard-user"})
KNOWN_USER_STATUSES = frozenset({"active", "inactive"})
KNOWN_AUTHOR_ROLES = frozenset({"user", "assistant", "system", "tool"})
KNOWN_TOOL_NAMES = frozenset({"python", "browser", "dalle", "myfiles_browser"})
KNOWN_VISIBILITIES = frozenset(
    {"invite-only", "workspace-with-link", "workspace", "anyone-with-link", "gpt-store"}
)
KNOWN_AGENT_TOOL_TYPES = frozenset({"code_interpreter", "browser", "dall-e", "memory", "custom_action"})
WORKSPACE_LOG_EVENT_TYPES = (
    "AUTH_LOG",
    "AUDIT_LOG",
    "APP_LOG",
    "APP_AUTH_LOG",
    "CONVERSATION_MESSAGE",
    "CUSTOM_AGENTS_LOG",
    "CODEX_LOG",
    "CODEX_SECURITY_LOG",
)
ORGANIZATION_LOG_EVENT_TYPES = ("COSTS",)


def _to_unix_seconds(value: Any) -> float | None:
    """Unix seconds as float; ISO-8601 strings are converted; anything unusable becomes None."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        text = value.strip()
        try:
            number = float(text)
        except ValueError:
            parsed = parse_iso_datetime(text)
            return parsed.timestamp() if parsed else None
        return number if math.isfinite(number) else None
    return None


def parse_iso_datetime(value: str | None) -> datetime | None:
    """An aware datetime from an ISO-8601 string (``Z`` accepted; naive values are taken as UTC)."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


UnixTime = Annotated[float | None, BeforeValidator(_to_unix_seconds)]
"""A Unix timestamp in seconds (float with microseconds) or None."""


class ApiObject(BaseModel):
    """Base of every API object: keeps unknown fields and the decoded JSON it was built from."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=())

    # A plain slot, not a pydantic private attribute: private attributes cost more than the whole validation
    # of a conversation page (tens of thousands of nested objects).
    __slots__ = ("_raw_json",)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_raw(cls, data: Any, handler: Any) -> Any:
        parsed = handler(data)
        if isinstance(data, dict):
            object.__setattr__(parsed, "_raw_json", data)
        return parsed

    @property
    def raw(self) -> dict[str, Any]:
        """The JSON object exactly as the API sent it (for storage); rebuilt if not parsed from JSON."""
        try:
            return self._raw_json
        except AttributeError:
            return self.model_dump(mode="json", exclude_unset=True)

    def _set_raw(self, data: dict[str, Any]) -> None:
        object.__setattr__(self, "_raw_json", data)

    @property
    def extra_fields(self) -> dict[str, Any]:
        """Fields the API sent that this model does not know (yet)."""
        return dict(self.__pydantic_extra__ or {})


ItemT = TypeVar("ItemT")


class ListPage(ApiObject, Generic[ItemT]):
    """``{"object":"list","data":[…],"has_more":bool,"last_id":str}``; next page: ``after=last_id``.

    Only ``has_more`` says whether the list goes on: a short page is not the end.
    """

    object: str | None = "list"
    data: list[ItemT] = Field(default_factory=list)
    has_more: bool = False
    last_id: str | None = None


class WorkspaceUser(ApiObject):
    object: str | None = None
    id: str
    email: str | None = None
    name: str | None = None
    created_at: UnixTime = None
    role: str | None = None  # KNOWN_USER_ROLES
    status: str | None = None  # KNOWN_USER_STATUSES


# --- Conversations ----------------------------------------------------------------------------------------


class ConversationFile(ApiObject):
    """A file attached to a message; with ``file_format=id`` only id/name/user_id are sent
    (ConversationFileInfo).

    ``download_url`` is valid about one hour; it and ``created_at`` are null once the file has expired.
    """

    object: str | None = None
    id: str
    name: str | None = None
    user_id: str | None = None
    created_at: UnixTime = None
    download_url: str | None = None


ConversationFileInfo = ConversationFile


class MessageAuthor(ApiObject):
    object: str | None = None
    role: str | None = None  # KNOWN_AUTHOR_ROLES
    tool_name: str | None = None  # KNOWN_TOOL_NAMES; null for unsupported tools


class Annotation(ApiObject):
    type: str | None = None  # "url_citation"
    urls: list[str] = Field(default_factory=list)


class MessageContent(ApiObject):
    object: str | None = None
    type: str | None = None
    value: str | None = None
    annotations: list[Annotation] = Field(default_factory=list)


class Message(ApiObject):
    """One node of the conversation tree: edits and regenerations are siblings under the same
    ``parent_id``."""

    object: str | None = None
    id: str
    parent_id: str | None = None
    created_at: UnixTime = None
    gpt_id: str | None = None
    project_id: str | None = None
    author: MessageAuthor | None = None
    content: MessageContent | None = None  # null for messages of unsupported tools
    files: ListPage[ConversationFile] | None = None

    @property
    def text(self) -> str | None:
        return self.content.value if self.content else None

    @property
    def role(self) -> str | None:
        return self.author.role if self.author else None


class Conversation(ApiObject):
    object: str | None = None
    id: str
    workspace_id: str | None = None
    user_id: str | None = None
    user_email: str | None = None
    created_at: UnixTime = None
    last_active_at: UnixTime = None
    title: str | None = None
    messages: ListPage[Message] = Field(default_factory=ListPage[Message])


# --- GPTs and projects ------------------------------------------------------------------------------------


class SharingPermissions(ApiObject):
    object: str | None = None
    can_read: bool | None = None
    can_view_config: bool | None = None
    can_write: bool | None = None


class SharingRecipient(ApiObject):
    object: str | None = None
    id: str | None = None
    email: str | None = None
    permissions: SharingPermissions | None = None


class Sharing(ApiObject):
    object: str | None = None
    visibility: str | None = None  # KNOWN_VISIBILITIES
    permissions: SharingPermissions | None = None
    recipients: list[SharingRecipient] = Field(default_factory=list)


class AgentFile(ApiObject):
    """A knowledge file of a GPT or project (``…File`` with a URL, ``…FileInfo`` with id and name only)."""

    object: str | None = None
    id: str
    name: str | None = None
    created_at: UnixTime = None
    download_url: str | None = None


class AgentTool(ApiObject):
    """A tool of a GPT or project; custom actions carry their domain, OpenAPI text and auth type."""

    type: str | None = None  # KNOWN_AGENT_TOOL_TYPES
    created_at: UnixTime = None
    action_domain: str | None = None
    action_openapi_raw: str | None = None
    action_privacy_policy_url: str | None = None
    auth_type: str | None = None


class GPTFile(AgentFile):
    """A file of a GPT configuration (knowledge file)."""


class ProjectFile(AgentFile):
    """A file of a project configuration."""


GPTFileInfo = GPTFile
ProjectFileInfo = ProjectFile


class GPTTool(AgentTool):
    """A tool of a GPT configuration."""


class ProjectTool(AgentTool):
    """A tool of a project configuration."""


class VersionAuthor(ApiObject):
    object: str | None = None
    id: str | None = None
    email: str | None = None


class GPTConfig(ApiObject):
    object: str | None = None
    id: str
    name: str | None = None
    description: str | None = None
    categories: list[str] = Field(default_factory=list)
    conversation_starters: list[str] = Field(default_factory=list)
    created_at: UnixTime = None
    instructions: str | None = None
    version_author: VersionAuthor | None = None
    files: ListPage[GPTFile] = Field(default_factory=ListPage[GPTFile])
    tools: ListPage[GPTTool] = Field(default_factory=ListPage[GPTTool])


class ProjectConfig(ApiObject):
    object: str | None = None
    id: str
    name: str | None = None
    description: str | None = None
    categories: list[str] = Field(default_factory=list)
    conversation_starters: list[str] = Field(default_factory=list)
    created_at: UnixTime = None
    instructions: str | None = None
    files: ListPage[ProjectFile] = Field(default_factory=ListPage[ProjectFile])
    tools: ListPage[ProjectTool] = Field(default_factory=ListPage[ProjectTool])


class GPT(ApiObject):
    object: str | None = None
    id: str
    created_at: UnixTime = None
    owner_id: str | None = None
    owner_email: str | None = None
    builder_name: str | None = None
    sharing: Sharing | None = None
    latest_config: ListPage[GPTConfig] | None = None

    @property
    def config(self) -> GPTConfig | None:
        """The newest configuration, when the API included one."""
        return self.latest_config.data[0] if self.latest_config and self.latest_config.data else None


class Project(ApiObject):
    object: str | None = None
    id: str
    created_at: UnixTime = None
    owner_id: str | None = None
    owner_email: str | None = None
    builder_name: str | None = None
    sharing: Sharing | None = None
    latest_config: ListPage[ProjectConfig] | None = None

    @property
    def config(self) -> ProjectConfig | None:
        return self.latest_config.data[0] if self.latest_config and self.latest_config.data else None


# --- Memories and canvases --------------------------------------------------------------------------------


class MemoryEntry(ApiObject):
    object: str | None = None
    id: str
    content: str | None = None
    updated_at: UnixTime = None


class MemoryContext(ApiObject):
    """A group of entries; its id may be the user's own id (personal memory) or a project's id."""

    object: str | None = None
    id: str
    memory_entries: list[MemoryEntry] = Field(default_factory=list)


class Memory(ApiObject):
    """All memories of one user: ``id`` is the user's ID."""

    object: str | None = None
    id: str
    memory_contexts: list[MemoryContext] = Field(default_factory=list)


class Canvas(ApiObject):
    id: str


class CanvasComment(ApiObject):
    type: str | None = None
    id: str | None = None
    start: int | None = None
    end: int | None = None
    content: str | None = None


class VersionContent(ApiObject):
    """One canvas version. Unlike everything else, ``updated_at`` is an ISO-8601 string."""

    content: str | None = None
    updated_at: str | None = None
    version: int | None = None
    name: str | None = None
    comments: list[CanvasComment] = Field(default_factory=list)

    @property
    def updated_at_datetime(self) -> datetime | None:
        return parse_iso_datetime(self.updated_at)


class CanvasVersionPage(ApiObject):
    """Versions of a canvas; next page: ``after=last_version`` (an integer version number)."""

    object: str | None = "list"
    data: list[VersionContent] = Field(default_factory=list)
    last_version: int | None = None
    has_more: bool = False


class CanvasContent(ApiObject):
    textdoc_id: str | None = None
    textdoc_type: str | None = None
    version_contents: CanvasVersionPage = Field(default_factory=CanvasVersionPage)


class DeletionResponse(ApiObject):
    deleted: bool = False
    object: str | None = None
    id: str | None = None


# --- Log feed (Compliance Logs Platform) ------------------------------------------------------------------


class LogFile(ApiObject):
    id: str
    event_type: str | None = None
    end_time: str | None = None  # ISO-8601
    file_name: str | None = None
    file_size: int | None = None
    file_sha256: str | None = None

    @property
    def end_datetime(self) -> datetime | None:
        return parse_iso_datetime(self.end_time)


class LogFileList(ApiObject):
    """Files in ascending ``end_time``; next request ``after=last_end_time``. An empty page has
    ``last_end_time: null``: keep the previous cursor. The boundary file may come back again."""

    object: str | None = None
    data: list[LogFile] = Field(default_factory=list)
    has_more: bool = False
    last_end_time: str | None = None


class LogPrincipal(ApiObject):
    id: str | None = None
    type: str | None = None  # "CHATGPT_WORKSPACE", …


class LogActor(ApiObject):
    """``ACCOUNT_USER`` (user_id, user_email), ``API_KEY`` (redacted_id) or an agent actor (kept in
    extras)."""

    type: str | None = None
    user_id: str | None = None
    user_email: str | None = None
    redacted_id: str | None = None


class LogEvent(ApiObject):
    """The common envelope of every log feed event; unknown event types are parsed as this class."""

    event_id: str | None = None
    type: str | None = None
    timestamp: str | None = None  # ISO-8601, usually microseconds + "Z"
    principal: LogPrincipal | None = None
    actor: LogActor | None = None
    request_metadata: dict[str, Any] | None = None

    @property
    def occurred_at(self) -> datetime | None:
        return parse_iso_datetime(self.timestamp)


class LogMessageAuthor(ApiObject):
    type: str | None = None  # user | assistant
    client_type: str | None = None
    model: str | None = None
    tools_used: list[Any] = Field(default_factory=list)
    skills_used: list[Any] = Field(default_factory=list)


class LogMessageContent(ApiObject):
    type: str | None = None
    value: str | None = None
    annotations: list[Any] = Field(default_factory=list)


class LogMessage(ApiObject):
    id: str | None = None
    created_at: float | str | None = None
    author: LogMessageAuthor | None = None
    content: LogMessageContent | None = None


class LogConversation(ApiObject):
    id: str | None = None
    title: str | None = None
    created_at: float | str | None = None
    is_pinned: bool | None = None
    is_temporary_chat: bool | None = None


class ConversationMessageEvent(LogEvent):
    """CONVERSATION_MESSAGE: the richest source of prompt text (carries the model name)."""

    previous_message_id: str | None = None  # absent on a conversation's first message
    message: LogMessage | None = None
    conversation: LogConversation | None = None


class ActionEvent(LogEvent):
    """Events built around an action: AUDIT_LOG, AUTH_LOG, APP_LOG, APP_AUTH_LOG, CUSTOM_AGENTS_LOG,
    CODEX_*."""

    action: str | None = None
    action_result: Any = None
    action_privilege: Any = None
    action_data: dict[str, Any] | None = None


class AuditLogEvent(ActionEvent):
    """An AUDIT_LOG event of the log feed."""


class AuthLogEvent(ActionEvent):
    @property
    def auth_action(self) -> str | None:
        """login_success | login_failed | logout_success | token_issued."""
        value = (self.action_data or {}).get("action")
        return value if isinstance(value, str) else self.action


class AppLogEvent(ActionEvent):
    """An APP_LOG event of the log feed."""


class AppAuthLogEvent(ActionEvent):
    """An APP_AUTH_LOG event of the log feed."""


class CustomAgentsLogEvent(ActionEvent):
    """A CUSTOM_AGENTS_LOG event of the log feed."""


class CodexLogEvent(ActionEvent):
    """A CODEX_LOG event of the log feed."""


class CodexSecurityLogEvent(ActionEvent):
    """A CODEX_SECURITY_LOG event of the log feed."""


class CostsEvent(LogEvent):
    """A COSTS event of the log feed."""


LOG_EVENT_MODELS: dict[str, type[LogEvent]] = {
    "CONVERSATION_MESSAGE": ConversationMessageEvent,
    "AUDIT_LOG": AuditLogEvent,
    "AUTH_LOG": AuthLogEvent,
    "APP_LOG": AppLogEvent,
    "APP_AUTH_LOG": AppAuthLogEvent,
    "CUSTOM_AGENTS_LOG": CustomAgentsLogEvent,
    "CODEX_LOG": CodexLogEvent,
    "CODEX_SECURITY_LOG": CodexSecurityLogEvent,
    "COSTS": CostsEvent,
}


def parse_log_event(data: dict[str, Any]) -> LogEvent:
    """The typed event for ``data["type"]``; unknown types and unexpected shapes become a generic LogEvent.

    Never raises for a JSON object: a shape this code does not expect must not stop a sync.
    """
    model = LOG_EVENT_MODELS.get(str(data.get("type")), LogEvent)
    try:
        return model.model_validate(data)
    except ValidationError as error:
        if model is not LogEvent:
            logger.warning(
                "log event %s of type %s has an unexpected shape (%d problems); kept as a generic event",
                data.get("event_id"),
                data.get("type"),
                error.error_count(),
            )
        return _generic_event(data)


def _generic_event(data: dict[str, Any]) -> LogEvent:
    envelope_fields = {"event_id", "type", "timestamp", "principal", "actor", "request_metadata"}
    cleaned = {key: value for key, value in data.items() if key not in envelope_fields}
    for key in ("event_id", "type", "timestamp"):
        if isinstance(data.get(key), str):
            cleaned[key] = data[key]
    for key in ("principal", "actor", "request_metadata"):
        if isinstance(data.get(key), dict):
            cleaned[key] = data[key]
    try:
        event = LogEvent.model_validate(cleaned)
    except ValidationError:
        event = LogEvent()
    event._set_raw(data)
    return event
