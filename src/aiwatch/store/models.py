"""The database schema: one table per API object, keyed by the integration plus the API's own ID.

Conventions:
- Every synced table has a surrogate ``id`` (for URLs and later foreign keys such as findings) and a UNIQUE
  natural key ``(integration_id, <API id>…)`` that bulk upserts conflict on, so a re-sync never duplicates.
- References between API objects (message → conversation, file → message …) are plain indexed columns, not
  foreign keys: the API is eventually consistent (a log-feed message can arrive before its conversation, a
  message can name a file that already expired). Only ``integration_id`` is a foreign key (ON DELETE CASCADE,
  so purging an integration removes its data).
- ``updated_at`` is when aiwatch last changed the row; the API's own "updated" times have their own names.
- Every scannable row carries ``content_hash`` (SHA-256 of the scannable content) so a scanner can skip
  unchanged items.
- All timestamps are timezone-aware UTC (``UTCDateTime``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from aiwatch.store.types import JSONValue, UTCDateTime

# Deterministic constraint names: migrations can drop/alter them on every database.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT on PostgreSQL; INTEGER on SQLite, where only "INTEGER PRIMARY KEY" auto-increments.
BigId = BigInteger().with_variant(Integer(), "sqlite")

ID = String(255)  # API identifiers (UUIDs, user-…, g-…, file-…, eclf_…)


def utc_now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: dict[Any, Any] = {  # noqa: RUF012 - SQLAlchemy's declared class attribute
        datetime: UTCDateTime(),
        dict[str, Any]: JSONValue,
        list[Any]: JSONValue,
        Any: JSONValue,
    }


class IntegrationStatus(StrEnum):
    NOT_CONNECTED = "not_connected"
    CONNECTED = "connected"
    ERROR = "error"
    PAUSED = "paused"


class AgentKind(StrEnum):
    GPT = "gpt"
    PROJECT = "project"


class FileKind(StrEnum):
    USER = "user"
    GPT = "gpt"
    PROJECT = "project"


class FileState(StrEnum):
    PENDING = "pending"
    FETCHED = "fetched"
    EXPIRED = "expired"
    DELETED = "deleted"
    ERROR = "error"


class MessageSource(StrEnum):
    LOG_FEED = "log_feed"
    CONVERSATIONS = "conversations"


def _integration_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("integrations.id", ondelete="CASCADE"), nullable=False)


class Integration(Base):
    """A connected workspace. The API key is stored only as Fernet ciphertext (see ``aiwatch.crypto``)."""

    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(32), default="chatgpt")
    base_url: Mapped[str] = mapped_column(String(500))
    workspace_id: Mapped[str] = mapped_column(String(64))
    chatgpt_org_id: Mapped[str] = mapped_column(String(64))
    platform_org_id: Mapped[str] = mapped_column(String(64))
    key_ciphertext: Mapped[str | None] = mapped_column(Text)
    key_last4: Mapped[str] = mapped_column(String(4))
    key_name: Mapped[str | None] = mapped_column(String(200))
    created_by: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default=IntegrationStatus.NOT_CONNECTED.value)
    status_message: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    # Set when the integration was removed but its synced data kept; removed integrations are never synced.
    removed_at: Mapped[datetime | None]

    def __repr__(self) -> str:  # never include the key material
        return f"Integration(id={self.id!r}, name={self.name!r}, status={self.status!r})"


class SyncCursor(Base):
    """Where one stream of one integration resumes, and how it last went."""

    __tablename__ = "sync_cursors"
    __table_args__ = (UniqueConstraint("integration_id", "stream"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    stream: Mapped[str] = mapped_column(String(100))
    cursor: Mapped[dict[str, Any] | None]
    last_success_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    items_synced: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class WorkspaceUser(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("integration_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    user_id: Mapped[str] = mapped_column(ID)
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime | None]
    raw: Mapped[dict[str, Any] | None]
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class Agent(Base):
    """A custom GPT or a project (the API's two kinds of configurable agents)."""

    __tablename__ = "agents"
    __table_args__ = (UniqueConstraint("integration_id", "agent_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    agent_id: Mapped[str] = mapped_column(ID)
    kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str | None] = mapped_column(ID, index=True)
    owner_email: Mapped[str | None] = mapped_column(String(320))
    builder_name: Mapped[str | None] = mapped_column(Text)
    name: Mapped[str | None] = mapped_column(Text)
    visibility: Mapped[str | None] = mapped_column(String(64))
    recipients: Mapped[list[Any] | None]
    latest_config_id: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime | None]
    raw: Mapped[dict[str, Any] | None]
    deleted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class AgentConfig(Base):
    """Every configuration version of an agent (listed newest first by the API); each version is kept."""

    __tablename__ = "agent_configs"
    __table_args__ = (UniqueConstraint("integration_id", "agent_id", "config_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    agent_id: Mapped[str] = mapped_column(ID)
    config_id: Mapped[str] = mapped_column(ID)
    created_at: Mapped[datetime | None]
    name: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    instructions: Mapped[str | None] = mapped_column(Text)
    tools: Mapped[list[Any] | None]
    files: Mapped[list[Any] | None]
    raw: Mapped[dict[str, Any] | None]
    content_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class AgentSharedUser(Base):
    """A user an agent is directly shared with (the shared_users listings)."""

    __tablename__ = "agent_shared_users"
    __table_args__ = (UniqueConstraint("integration_id", "agent_id", "user_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    agent_id: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str] = mapped_column(ID)
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(Text)
    raw: Mapped[dict[str, Any] | None]
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("integration_id", "conversation_id"),
        Index("ix_conversations_integration_user", "integration_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    conversation_id: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str | None] = mapped_column(ID)
    user_email: Mapped[str | None] = mapped_column(String(320))
    title: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str | None] = mapped_column(String(64))  # SHA-256 of the title (scanned)
    created_at: Mapped[datetime | None]
    last_active_at: Mapped[datetime | None]
    removed_by_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    # Conversation metadata as the API sent it, without the (possibly huge) message list.
    raw: Mapped[dict[str, Any] | None]
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class Message(Base):
    """One message, merged from the log feed and /conversations by message ID (see aiwatch.sync.merge)."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("integration_id", "message_id"),
        Index("ix_messages_integration_conversation", "integration_id", "conversation_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    message_id: Mapped[str] = mapped_column(ID)
    conversation_id: Mapped[str | None] = mapped_column(ID)
    parent_id: Mapped[str | None] = mapped_column(ID)  # edits and regenerations are siblings
    role: Mapped[str | None] = mapped_column(String(32))
    tool_name: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str | None] = mapped_column(Text)
    annotations: Mapped[list[Any] | None]
    created_at: Mapped[datetime | None]
    gpt_id: Mapped[str | None] = mapped_column(ID)
    project_id: Mapped[str | None] = mapped_column(ID)
    model: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(32))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class StoredFile(Base):
    """A user upload, GPT knowledge file or project file, with its extracted text once fetched."""

    __tablename__ = "files"
    __table_args__ = (
        UniqueConstraint("integration_id", "kind", "file_id"),
        Index("ix_files_integration_state", "integration_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    kind: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(ID)
    owner_user_id: Mapped[str | None] = mapped_column(ID)
    conversation_id: Mapped[str | None] = mapped_column(ID)
    agent_id: Mapped[str | None] = mapped_column(ID)
    name: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime | None]
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    extracted_text: Mapped[str | None] = mapped_column(Text)
    extraction_error: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=FileState.PENDING.value)
    fetched_at: Mapped[datetime | None]
    content_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class MessageFile(Base):
    """A file attached to (or produced in) a message."""

    __tablename__ = "message_files"
    __table_args__ = (
        UniqueConstraint("integration_id", "message_id", "file_id"),
        Index("ix_message_files_integration_file", "integration_id", "file_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    message_id: Mapped[str] = mapped_column(ID)
    file_id: Mapped[str] = mapped_column(ID)
    name: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class Memory(Base):
    """One memory entry of a user (user → memory context → entry)."""

    __tablename__ = "memories"
    __table_args__ = (UniqueConstraint("integration_id", "user_id", "context_id", "entry_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    user_id: Mapped[str] = mapped_column(ID)
    context_id: Mapped[str] = mapped_column(ID)
    entry_id: Mapped[str] = mapped_column(ID)
    content: Mapped[str | None] = mapped_column(Text)
    entry_updated_at: Mapped[datetime | None]  # the API's updated_at of the entry
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class Canvas(Base):
    __tablename__ = "canvases"
    __table_args__ = (UniqueConstraint("integration_id", "canvas_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    canvas_id: Mapped[str] = mapped_column(ID)  # the API's textdoc_id
    user_id: Mapped[str | None] = mapped_column(ID)
    textdoc_type: Mapped[str | None] = mapped_column(String(100))
    last_version: Mapped[int | None] = mapped_column(Integer)
    raw: Mapped[dict[str, Any] | None]
    deleted_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class CanvasVersion(Base):
    __tablename__ = "canvas_versions"
    __table_args__ = (UniqueConstraint("integration_id", "canvas_id", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    canvas_id: Mapped[str] = mapped_column(ID)
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    comments: Mapped[list[Any] | None]
    version_updated_at: Mapped[datetime | None]  # the API's ISO updated_at, parsed
    content_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class LogFile(Base):
    """A log-feed file already processed: the boundary file the API re-returns is skipped."""

    __tablename__ = "log_files"
    __table_args__ = (UniqueConstraint("integration_id", "log_file_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    log_file_id: Mapped[str] = mapped_column(ID)
    event_type: Mapped[str] = mapped_column(String(100))
    end_time: Mapped[datetime | None]
    file_name: Mapped[str | None] = mapped_column(Text)
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    events_count: Mapped[int | None] = mapped_column(Integer)
    processed_at: Mapped[datetime] = mapped_column(default=utc_now)


class LogEvent(Base):
    """One log-feed event, of any type (unknown types too), with its JSON line kept verbatim."""

    __tablename__ = "log_events"
    __table_args__ = (
        UniqueConstraint("integration_id", "event_id"),
        Index("ix_log_events_integration_type_time", "integration_id", "event_type", "timestamp"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    event_id: Mapped[str] = mapped_column(ID)
    event_type: Mapped[str] = mapped_column(String(100))
    timestamp: Mapped[datetime | None]
    actor: Mapped[dict[str, Any] | None]
    raw: Mapped[str] = mapped_column(Text)
    log_file_id: Mapped[str | None] = mapped_column(ID)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


class RawObject(Base):
    """Objects of API paths known only by name (codex tasks, automations, recordings …), stored as sent."""

    __tablename__ = "raw_objects"
    __table_args__ = (UniqueConstraint("integration_id", "stream", "object_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    integration_id: Mapped[int] = _integration_fk()
    stream: Mapped[str] = mapped_column(String(100))
    object_id: Mapped[str] = mapped_column(ID)
    raw: Mapped[dict[str, Any] | None]
    content_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utc_now)


# Every table whose rows belong to one integration, in the order a purge may delete them.
SYNCED_MODELS: tuple[type[Base], ...] = (
    SyncCursor,
    WorkspaceUser,
    Agent,
    AgentConfig,
    AgentSharedUser,
    Conversation,
    Message,
    StoredFile,
    MessageFile,
    Memory,
    Canvas,
    CanvasVersion,
    LogFile,
    LogEvent,
    RawObject,
)

# Tables defined by other packages on this Base join the metadata here, so migrations and schema checks see
# every table whichever module is imported first.
import aiwatch.posture.models  # noqa: E402
import aiwatch.risk.models  # noqa: E402
import aiwatch.web.models  # noqa: E402, F401
