"""``ComplianceClient``: the HTTP client of the ChatGPT Enterprise Compliance API (stateful endpoints + log
feed).

Page-level methods (``list_*``) return one page so a sync can checkpoint its cursor after each; ``iter_*``
helpers
walk every page. Paging follows the API exactly: continue with ``after=last_id`` while ``has_more`` is true
(a short
page is not the end); the conversations' ``since_timestamp`` goes on the first page only.

Transient failures (429, 5xx, timeouts, connection resets, truncated or malformed JSON in a 200) are retried
with
exponential backoff and full jitter, honouring ``Retry-After``; other statuses raise typed errors from
:mod:`aiwatch.sources.chatgpt.errors` at once. File and log downloads answer 307 to a signed URL on another
host:
redirects are followed by hand and the bearer token is never sent to the target. The key never appears in
logs,
errors or ``repr``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import math
import random
import re
import socket
import ssl
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from enum import Enum
from typing import IO, Any, NoReturn, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from aiwatch import __version__
from aiwatch.sources.chatgpt.errors import (
    AccessDenied,
    ComplianceError,
    ContentTooLarge,
    EndpointUnsupported,
    FileExpired,
    InvalidRequest,
    KeyRejected,
    MalformedResponse,
    NetworkError,
    NotFound,
    ObjectNotFound,
    RateLimited,
    ServerError,
    UnexpectedStatus,
    WorkspaceNotFound,
)
from aiwatch.sources.chatgpt.jsontext import loads_clean
from aiwatch.sources.chatgpt.logs import format_log_time, log_principal_kind, parse_jsonl_events
from aiwatch.sources.chatgpt.ratelimit import EndpointKind, RateLimiter, RateLimits
from aiwatch.sources.chatgpt.retry import RetryPolicy, parse_retry_after
from aiwatch.sources.chatgpt.schema import (
    GPT,
    Canvas,
    CanvasContent,
    Conversation,
    DeletionResponse,
    GPTConfig,
    ListPage,
    LogEvent,
    LogFile,
    LogFileList,
    Memory,
    Project,
    ProjectConfig,
    VersionContent,
    WorkspaceUser,
)

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.chatgpt.com/v1"
DEFAULT_USER_AGENT = f"aiwatch/{__version__} (+https://github.com/aiwatch/aiwatch)"
DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024  # one JSON page (conversations can be many MB each)
DEFAULT_MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024  # one file or log file
MAX_REDIRECTS = 5
MAX_USERS_FILTER = 99  # the API wants "less than 100 total users"
_SPOOL_IN_MEMORY_BYTES = 8 * 1024 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=BaseModel)


class _RedactQueryStrings(logging.Filter):
    """httpx logs every request URL at INFO: drop query strings, which carry download signatures."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(arg, httpx.URL) for arg in record.args):
            record.args = tuple(
                arg.copy_with(query=None) if isinstance(arg, httpx.URL) and arg.query else arg
                for arg in record.args
            )
        return True


_httpx_logger = logging.getLogger("httpx")
if not any(isinstance(existing, _RedactQueryStrings) for existing in _httpx_logger.filters):
    _httpx_logger.addFilter(_RedactQueryStrings())


class _NotFoundMeaning(Enum):
    """What a 404 means on an endpoint (the API does not say in a documented way)."""

    WORKSPACE = "workspace"  # workspace-level collection: the workspace (or host) is wrong
    OBJECT = "object"  # a single object: deleted, unless the workspace itself is unknown
    ENDPOINT = "endpoint"  # a later addition known only by path: not available for this workspace
    ORGANIZATION = "organization"  # org-level log feed


class _Transient(Exception):
    """Raised inside an attempt to ask for a retry; carries the error to raise when retries run out."""

    def __init__(self, error: ComplianceError, retry_after: float | None = None) -> None:
        super().__init__(str(error))
        self.error = error
        self.retry_after = retry_after


def mask_key(api_key: str) -> str:
    """A display form of a key that is safe to show: its known prefix and last 4 characters only."""
    prefix = next((p for p in ("sk-proj-", "sk-admin-", "sk-comp-", "sk-") if api_key.startswith(p)), "")
    return f"{prefix}…{api_key[-4:]}" if len(api_key) >= 8 else "…"


class ComplianceClient:
    """Synchronous client for one workspace. Thread-safe (httpx.Client and the rate limiter are)."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        workspace_id: str,
        *,
        timeout: float = 60.0,
        max_retries: int = 6,
        rate_limits: RateLimits | None = RateLimits(),
        transport: httpx.BaseTransport | None = None,
        user_agent: str = DEFAULT_USER_AGENT,
        retry_policy: RetryPolicy | None = None,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        max_download_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES,
        verify: ssl.SSLContext | str | bool = True,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must start with https:// (or http:// for a local emulator)")
        if not api_key or not api_key.strip():
            raise ValueError("api_key is empty")
        if not api_key.strip().isascii() or any(char.isspace() for char in api_key.strip()):
            raise ValueError("api_key contains spaces or non-ASCII characters; paste the key again")
        if not workspace_id or not workspace_id.strip():
            raise ValueError("workspace_id is empty")
        self.base_url = base_url.rstrip("/")
        self.workspace_id = workspace_id.strip()
        self._api_key = SecretStr(api_key.strip())
        self.key_hint = mask_key(api_key.strip())
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.max_response_bytes = max_response_bytes
        self.max_download_bytes = max_download_bytes
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._limiter = RateLimiter(rate_limits, clock=clock, sleep=sleep) if rate_limits else None
        self._workspace_confirmed = False
        connect_timeout = min(timeout, 15.0)
        self._http = httpx.Client(
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=connect_timeout),
            follow_redirects=False,  # redirects are followed by hand, without the bearer token
            headers={"User-Agent": user_agent, "Accept": "application/json"},
            verify=verify,
        )

    # --- lifecycle ----------------------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ComplianceClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"ComplianceClient(base_url={self.base_url!r}, workspace_id={self.workspace_id!r}, "
            f"key={self.key_hint!r})"
        )

    # --- users --------------------------------------------------------------------------------------------

    def list_users(self, after: str | None = None, limit: int | None = None) -> ListPage[WorkspaceUser]:
        return self._get_model(
            ListPage[WorkspaceUser],
            self._ws("/users"),
            "GET /users",
            EndpointKind.LIST,
            _NotFoundMeaning.WORKSPACE,
            params={"after": after, "limit": limit},
        )

    def iter_users(self, limit: int | None = None) -> Iterator[WorkspaceUser]:
        return _items(iterate_pages(lambda after: self.list_users(after=after, limit=limit)))

    # --- conversations ------------------------------------------------------------------------------------

    def list_conversations(
        self,
        *,
        since_timestamp: float | None = None,
        after: str | None = None,
        limit: int | None = None,
        users: Sequence[str] | None = None,
        file_format: str = "id",
    ) -> ListPage[Conversation]:
        """One page of conversations, ordered by last update time.

        ``since_timestamp`` (Unix seconds, "updated at or after") is sent on the first page only: the API
        ignores
        it once ``after`` is given, and sending both would hide that from a reader of the logs.
        """
        if users is not None and isinstance(users, str):
            raise TypeError("users must be a sequence of user IDs, not a single string")
        if users and len(users) > MAX_USERS_FILTER:
            raise ValueError(f"the API accepts fewer than 100 users per request (got {len(users)})")
        params: dict[str, Any] = {"after": after, "limit": limit, "file_format": file_format}
        if after is None and since_timestamp is not None:
            params["since_timestamp"] = math.floor(since_timestamp)
        if users:
            params["users"] = list(users)
        return self._get_model(
            ListPage[Conversation],
            self._ws("/conversations"),
            "GET /conversations",
            EndpointKind.LIST,
            _NotFoundMeaning.WORKSPACE,
            params=params,
        )

    def iter_conversations(
        self,
        *,
        since_timestamp: float | None = None,
        limit: int | None = None,
        users: Sequence[str] | None = None,
        file_format: str = "id",
    ) -> Iterator[Conversation]:
        """Every conversation updated at or after ``since_timestamp``. The same conversation may come twice
        if it
        is updated during the walk: the later copy is newer, so consumers upsert (and dedupe messages by
        ID)."""
        return _items(
            iterate_pages(
                lambda after: self.list_conversations(
                    since_timestamp=since_timestamp,
                    after=after,
                    limit=limit,
                    users=users,
                    file_format=file_format,
                )
            )
        )

    # --- GPTs ---------------------------------------------------------------------------------------------

    def list_gpts(
        self, *, after: str | None = None, limit: int | None = None, file_format: str = "id"
    ) -> ListPage[GPT]:
        return self._get_model(
            ListPage[GPT],
            self._ws("/gpts"),
            "GET /gpts",
            EndpointKind.LIST,
            _NotFoundMeaning.WORKSPACE,
            params={"after": after, "limit": limit, "file_format": file_format},
        )

    def iter_gpts(self, *, limit: int | None = None, file_format: str = "id") -> Iterator[GPT]:
        return _items(
            iterate_pages(lambda after: self.list_gpts(after=after, limit=limit, file_format=file_format))
        )

    def get_gpt(self, gpt_id: str, *, file_format: str = "id") -> GPT:
        return self._get_model(
            GPT,
            self._ws(f"/gpts/{_seg(gpt_id)}"),
            "GET /gpts/{id}",
            EndpointKind.OBJECT,
            _NotFoundMeaning.OBJECT,
            params={"file_format": file_format},
        )

    def list_gpt_configs(
        self, gpt_id: str, *, after: str | None = None, limit: int | None = None, file_format: str = "id"
    ) -> ListPage[GPTConfig]:
        """Configuration versions, newest first."""
        return self._get_model(
            ListPage[GPTConfig],
            self._ws(f"/gpts/{_seg(gpt_id)}/configs"),
            "GET /gpts/{id}/configs",
            EndpointKind.LIST,
            _NotFoundMeaning.OBJECT,
            params={"after": after, "limit": limit, "file_format": file_format},
        )

    def iter_gpt_configs(
        self, gpt_id: str, *, limit: int | None = None, file_format: str = "id"
    ) -> Iterator[GPTConfig]:
        return _items(
            iterate_pages(
                lambda after: self.list_gpt_configs(gpt_id, after=after, limit=limit, file_format=file_format)
            )
        )

    def list_gpt_shared_users(self, gpt_id: str, *, after: str | None = None) -> ListPage[WorkspaceUser]:
        return self._get_model(
            ListPage[WorkspaceUser],
            self._ws(f"/gpts/{_seg(gpt_id)}/shared_users"),
            "GET /gpts/{id}/shared_users",
            EndpointKind.LIST,
            _NotFoundMeaning.OBJECT,
            params={"after": after},
        )

    def iter_gpt_shared_users(self, gpt_id: str) -> Iterator[WorkspaceUser]:
        return _items(iterate_pages(lambda after: self.list_gpt_shared_users(gpt_id, after=after)))

    # --- projects -----------------------------------------------------------------------------------------

    def list_projects(
        self, *, after: str | None = None, limit: int | None = None, file_format: str = "id"
    ) -> ListPage[Project]:
        return self._get_model(
            ListPage[Project],
            self._ws("/projects"),
            "GET /projects",
            EndpointKind.LIST,
            _NotFoundMeaning.WORKSPACE,
            params={"after": after, "limit": limit, "file_format": file_format},
        )

    def iter_projects(self, *, limit: int | None = None, file_format: str = "id") -> Iterator[Project]:
        return _items(
            iterate_pages(lambda after: self.list_projects(after=after, limit=limit, file_format=file_format))
        )

    def get_project(self, project_id: str, *, file_format: str = "id") -> Project:
        return self._get_model(
            Project,
            self._ws(f"/projects/{_seg(project_id)}"),
            "GET /projects/{id}",
            EndpointKind.OBJECT,
            _NotFoundMeaning.OBJECT,
            params={"file_format": file_format},
        )

    def list_project_configs(
        self, project_id: str, *, after: str | None = None, limit: int | None = None, file_format: str = "id"
    ) -> ListPage[ProjectConfig]:
        return self._get_model(
            ListPage[ProjectConfig],
            self._ws(f"/projects/{_seg(project_id)}/configs"),
            "GET /projects/{id}/configs",
            EndpointKind.LIST,
            _NotFoundMeaning.OBJECT,
            params={"after": after, "limit": limit, "file_format": file_format},
        )

    def iter_project_configs(
        self, project_id: str, *, limit: int | None = None, file_format: str = "id"
    ) -> Iterator[ProjectConfig]:
        return _items(
            iterate_pages(
                lambda after: self.list_project_configs(
                    project_id, after=after, limit=limit, file_format=file_format
                )
            )
        )

    def list_project_shared_users(
        self, project_id: str, *, after: str | None = None
    ) -> ListPage[WorkspaceUser]:
        return self._get_model(
            ListPage[WorkspaceUser],
            self._ws(f"/projects/{_seg(project_id)}/shared_users"),
            "GET /projects/{id}/shared_users",
            EndpointKind.LIST,
            _NotFoundMeaning.OBJECT,
            params={"after": after},
        )

    def iter_project_shared_users(self, project_id: str) -> Iterator[WorkspaceUser]:
        return _items(iterate_pages(lambda after: self.list_project_shared_users(project_id, after=after)))

    # --- memories -----------------------------------------------------------------------------------------

    def list_memories(
        self, after: str | None = None, limit: int | None = None, since_timestamp: float | None = None
    ) -> ListPage[Memory]:
        """One page of memories (one item per user, ascending user ID)."""
        params: dict[str, Any] = {"after": after, "limit": limit}
        if since_timestamp is not None:
            params["since_timestamp"] = math.floor(since_timestamp)
        return self._get_model(
            ListPage[Memory],
            self._ws("/memories"),
            "GET /memories",
            EndpointKind.LIST,
            _NotFoundMeaning.WORKSPACE,
            params=params,
        )

    def iter_memories(
        self, *, limit: int | None = None, since_timestamp: float | None = None
    ) -> Iterator[Memory]:
        return _items(
            iterate_pages(
                lambda after: self.list_memories(after=after, limit=limit, since_timestamp=since_timestamp)
            )
        )

    def list_user_memories(self, user_id: str, *, since_timestamp: float | None = None) -> ListPage[Memory]:
        params: dict[str, Any] = {}
        if since_timestamp is not None:
            params["since_timestamp"] = math.floor(since_timestamp)
        return self._get_model(
            ListPage[Memory],
            self._ws(f"/users/{_seg(user_id)}/memories"),
            "GET /users/{id}/memories",
            EndpointKind.OBJECT,
            _NotFoundMeaning.OBJECT,
            params=params,
        )

    # --- canvases -----------------------------------------------------------------------------------------

    def list_canvases(
        self, user_id: str, *, after: str | None = None, limit: int | None = None
    ) -> ListPage[Canvas]:
        return self._get_model(
            ListPage[Canvas],
            self._ws(f"/users/{_seg(user_id)}/canvases"),
            "GET /users/{id}/canvases",
            EndpointKind.OBJECT,  # documented at 100/min
            _NotFoundMeaning.OBJECT,
            params={"after": after, "limit": limit},
        )

    def iter_canvases(self, user_id: str, *, limit: int | None = None) -> Iterator[Canvas]:
        return _items(iterate_pages(lambda after: self.list_canvases(user_id, after=after, limit=limit)))

    def get_canvas(
        self, user_id: str, textdoc_id: str, *, after: int | None = None, limit: int | None = None
    ) -> CanvasContent:
        """A canvas with one page of versions (ascending); next page:
        ``after=version_contents.last_version``."""
        return self._get_model(
            CanvasContent,
            self._ws(f"/users/{_seg(user_id)}/canvas/{_seg(textdoc_id)}"),
            "GET /users/{id}/canvas/{id}",
            EndpointKind.OBJECT,
            _NotFoundMeaning.OBJECT,
            params={"after": after, "limit": limit},
        )

    def iter_canvas_versions(self, user_id: str, textdoc_id: str) -> Iterator[VersionContent]:
        after: int | None = None
        while True:
            page = self.get_canvas(user_id, textdoc_id, after=after).version_contents
            yield from page.data
            if not page.has_more:
                return
            if page.last_version is None or page.last_version == after:
                raise MalformedResponse(
                    "canvas versions say has_more but give no new last_version",
                    path=f"/users/{user_id}/canvas/{textdoc_id}",
                    method="GET",
                )
            after = page.last_version

    # --- later additions, known only by path --------------------------------------------------------------

    def list_codex_tasks(
        self, *, after: str | None = None, limit: int | None = None
    ) -> ListPage[dict[str, Any]]:
        return self._list_raw(self._ws("/codex_tasks"), "GET /codex_tasks", after, limit)

    def list_codex_environments(
        self, *, after: str | None = None, limit: int | None = None
    ) -> ListPage[dict[str, Any]]:
        return self._list_raw(self._ws("/codex_environments"), "GET /codex_environments", after, limit)

    def list_user_automations(
        self, user_id: str, *, after: str | None = None, limit: int | None = None
    ) -> ListPage[dict[str, Any]]:
        return self._list_raw(
            self._ws(f"/users/{_seg(user_id)}/automations"), "GET /users/{id}/automations", after, limit
        )

    def list_recordings(
        self, *, after: str | None = None, limit: int | None = None
    ) -> ListPage[dict[str, Any]]:
        return self._list_raw(self._ws("/recordings"), "GET /recordings", after, limit)

    def get_recording_transcript(self, user_id: str, recording_id: str) -> dict[str, Any]:
        return self._get_json_object(
            self._ws(f"/users/{_seg(user_id)}/recordings/{_seg(recording_id)}/transcript"),
            "GET /users/{id}/recordings/{id}/transcript",
            EndpointKind.OBJECT,
            _NotFoundMeaning.OBJECT,
            params={},
        )

    def _list_raw(
        self, path: str, endpoint: str, after: str | None, limit: int | None
    ) -> ListPage[dict[str, Any]]:
        return self._get_model(
            ListPage[dict[str, Any]],
            path,
            endpoint,
            EndpointKind.LIST,
            _NotFoundMeaning.ENDPOINT,
            params={"after": after, "limit": limit},
        )

    # --- file content -------------------------------------------------------------------------------------

    def download_user_file(self, user_id: str, file_id: str, conversation_id: str | None = None) -> bytes:
        """Bytes of a chat upload (kept ~24 h; :class:`FileExpired` afterwards)."""
        return self._download_bytes(
            self._ws(f"/users/{_seg(user_id)}/files/{_seg(file_id)}"),
            "GET /users/{id}/files/{id}",
            params={"conversation_id": conversation_id},
        )

    def download_gpt_file(self, file_id: str) -> bytes:
        return self._download_bytes(self._ws(f"/gpt_files/{_seg(file_id)}"), "GET /gpt_files/{id}", params={})

    def download_project_file(self, file_id: str) -> bytes:
        return self._download_bytes(
            self._ws(f"/project_files/{_seg(file_id)}"), "GET /project_files/{id}", params={}
        )

    # --- deletes ------------------------------------------------------------------------------------------

    def delete_conversation(self, conversation_id: str) -> DeletionResponse:
        return self._delete(self._ws(f"/conversations/{_seg(conversation_id)}"), "DELETE /conversations/{id}")

    def delete_gpt(self, gpt_id: str) -> DeletionResponse:
        return self._delete(self._ws(f"/gpts/{_seg(gpt_id)}"), "DELETE /gpts/{id}")

    def delete_gpt_file(self, gpt_id: str, file_id: str) -> DeletionResponse:
        return self._delete(
            self._ws(f"/gpts/{_seg(gpt_id)}/files/{_seg(file_id)}"), "DELETE /gpts/{id}/files/{id}"
        )

    def delete_gpt_shared_users(self, gpt_id: str) -> DeletionResponse:
        """Isolate a GPT: remove every share (visibility becomes invite-only)."""
        return self._delete(self._ws(f"/gpts/{_seg(gpt_id)}/shared_users"), "DELETE /gpts/{id}/shared_users")

    isolate_gpt = delete_gpt_shared_users

    def delete_user_file(
        self, user_id: str, file_id: str, conversation_id: str | None = None
    ) -> DeletionResponse:
        return self._delete(
            self._ws(f"/users/{_seg(user_id)}/files/{_seg(file_id)}"),
            "DELETE /users/{id}/files/{id}",
            params={"conversation_id": conversation_id},
        )

    def delete_memory_entry(self, user_id: str, memory_context_id: str, memory_id: str) -> DeletionResponse:
        return self._delete(
            self._ws(
                f"/users/{_seg(user_id)}/memory_contexts/{_seg(memory_context_id)}/memories/{_seg(memory_id)}"
            ),
            "DELETE /users/{id}/memory_contexts/{id}/memories/{id}",
        )

    def delete_canvas(self, user_id: str, textdoc_id: str) -> DeletionResponse:
        return self._delete(
            self._ws(f"/users/{_seg(user_id)}/canvas/{_seg(textdoc_id)}"), "DELETE /users/{id}/canvas/{id}"
        )

    def delete_project(self, project_id: str) -> DeletionResponse:
        return self._delete(self._ws(f"/projects/{_seg(project_id)}"), "DELETE /projects/{id}")

    def delete_project_file(self, project_id: str, file_id: str) -> DeletionResponse:
        return self._delete(
            self._ws(f"/projects/{_seg(project_id)}/files/{_seg(file_id)}"),
            "DELETE /projects/{id}/files/{id}",
        )

    def delete_project_shared_users(self, project_id: str) -> DeletionResponse:
        """Isolate a project: remove every share."""
        return self._delete(
            self._ws(f"/projects/{_seg(project_id)}/shared_users"), "DELETE /projects/{id}/shared_users"
        )

    isolate_project = delete_project_shared_users

    # --- log feed -----------------------------------------------------------------------------------------

    def list_log_files(
        self,
        principal_id: str,
        event_type: str,
        after: datetime | str,
        limit: int = 100,
        before: datetime | str | None = None,
    ) -> LogFileList:
        """One page of log files of one event type, ascending ``end_time``.

        Next request: ``after=page.last_end_time``; an empty page has ``last_end_time=None`` (keep the
        cursor).
        """
        if not event_type:
            raise ValueError("event_type is required")
        params: dict[str, Any] = {"event_type": event_type, "after": format_log_time(after), "limit": limit}
        if before is not None:
            params["before"] = format_log_time(before)
        return self._get_model(
            LogFileList,
            self._logs_path(principal_id),
            f"GET /compliance/{log_principal_kind(principal_id)}/logs",
            EndpointKind.LIST,
            self._logs_not_found(principal_id),
            params=params,
        )

    def iter_log_files(
        self,
        principal_id: str,
        event_type: str,
        after: datetime | str,
        *,
        limit: int = 100,
        before: datetime | str | None = None,
    ) -> Iterator[LogFile]:
        """Every log file after ``after``; the boundary file the API may repeat is yielded once."""
        cursor = format_log_time(after)
        seen: set[str] = set()
        while True:
            page = self.list_log_files(principal_id, event_type, cursor, limit=limit, before=before)
            fresh = [log_file for log_file in page.data if log_file.id not in seen]
            for log_file in fresh:
                seen.add(log_file.id)
                yield log_file
            if not page.has_more or page.last_end_time is None:
                return
            if page.last_end_time == cursor and not fresh:
                raise MalformedResponse(
                    "the log listing says has_more but does not advance past " + cursor,
                    method="GET",
                    path=self._logs_path(principal_id),
                )
            cursor = page.last_end_time

    def download_log_file(
        self,
        principal_id: str,
        log_file: str | LogFile,
        *,
        expected_sha256: str | None = None,
    ) -> Iterator[LogEvent]:
        """Download one JSON Lines log file and return an iterator of its events.

        The download happens now (errors raise here); the file is spooled to disk when large. When the
        listing's
        ``file_sha256`` is known (pass the :class:`LogFile` or ``expected_sha256``), a mismatch is treated
        as a
        truncated transfer and retried. A bad line is logged with its line number and skipped.
        """
        if isinstance(log_file, LogFile):
            log_file_id = log_file.id
            expected_sha256 = expected_sha256 or log_file.file_sha256
        else:
            log_file_id = log_file
        spool = self._download(
            f"{self._logs_path(principal_id)}/{_seg(log_file_id)}",
            f"GET /compliance/{log_principal_kind(principal_id)}/logs/{{id}}",
            params={},
            not_found=self._logs_not_found(principal_id),
            expected_sha256=expected_sha256,
            check_jsonl_tail=True,
        )
        return _events_from_spool(spool, source=f"log file {log_file_id}")

    # --- request machinery --------------------------------------------------------------------------------

    def _ws(self, suffix: str) -> str:
        return f"/compliance/workspaces/{_seg(self.workspace_id)}{suffix}"

    def _logs_path(self, principal_id: str) -> str:
        if not principal_id:
            raise ValueError("principal_id is required")
        return f"/compliance/{log_principal_kind(principal_id)}/{_seg(principal_id)}/logs"

    def _logs_not_found(self, principal_id: str) -> _NotFoundMeaning:
        if log_principal_kind(principal_id) == "organizations":
            return _NotFoundMeaning.ORGANIZATION
        return _NotFoundMeaning.ENDPOINT  # workspace unknown, or its log feed not enabled: probed

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key.get_secret_value()}"}

    def _get_model(
        self,
        model: type[ModelT],
        path: str,
        endpoint: str,
        kind: EndpointKind,
        not_found: _NotFoundMeaning,
        *,
        params: dict[str, Any],
    ) -> ModelT:
        decoded = self._get_json_object(path, endpoint, kind, not_found, params=params)
        try:
            return model.model_validate(decoded)
        except ValidationError as error:
            raise MalformedResponse(
                f"the API answer does not have the expected shape ({error.error_count()} problems, first: "
                f"{_first_problem(error)})",
                status=200,
                method="GET",
                path=path,
            ) from None

    def _get_json_object(
        self,
        path: str,
        endpoint: str,
        kind: EndpointKind,
        not_found: _NotFoundMeaning,
        *,
        params: dict[str, Any],
    ) -> dict[str, Any]:
        return self._call("GET", path, endpoint, kind, not_found, params=params, read=self._read_json_object)

    def _delete(self, path: str, endpoint: str, params: dict[str, Any] | None = None) -> DeletionResponse:
        decoded = self._call(
            "DELETE",
            path,
            endpoint,
            EndpointKind.OBJECT,
            _NotFoundMeaning.OBJECT,
            params=params or {},
            read=self._read_json_object,
        )
        try:
            return DeletionResponse.model_validate(decoded)
        except ValidationError as error:
            raise MalformedResponse(
                f"unexpected delete answer: {_first_problem(error)}", status=200, method="DELETE", path=path
            ) from None

    def _download_bytes(self, path: str, endpoint: str, *, params: dict[str, Any]) -> bytes:
        spool = self._download(path, endpoint, params=params, not_found=_NotFoundMeaning.OBJECT)
        with spool:
            spool.seek(0)
            return spool.read()

    def _download(
        self,
        path: str,
        endpoint: str,
        *,
        params: dict[str, Any],
        not_found: _NotFoundMeaning,
        expected_sha256: str | None = None,
        check_jsonl_tail: bool = False,
    ) -> IO[bytes]:
        def read(response: httpx.Response) -> IO[bytes]:
            if response.status_code in _REDIRECT_STATUSES:
                return self._follow_signed_url(response, path, expected_sha256, check_jsonl_tail)
            if not 200 <= response.status_code < 300:
                raise UnexpectedStatus(
                    f"unexpected status {response.status_code} for a download",
                    status=response.status_code,
                    method="GET",
                    path=path,
                )
            return self._spool_verified(response, path, expected_sha256, check_jsonl_tail)

        return self._call("GET", path, endpoint, EndpointKind.OBJECT, not_found, params=params, read=read)

    def _follow_signed_url(
        self, response: httpx.Response, api_path: str, expected_sha256: str | None, check_jsonl_tail: bool
    ) -> IO[bytes]:
        """Fetch a redirect target WITHOUT the bearer token (signed URLs live on another host)."""
        location = response.headers.get("location")
        base = response.url
        for _hop in range(MAX_REDIRECTS):
            if not location:
                raise MalformedResponse("redirect without a Location header", method="GET", path=api_path)
            target_url = base.join(location)
            if target_url.scheme not in ("http", "https"):
                raise MalformedResponse(
                    f"redirect to an unsupported URL scheme {target_url.scheme!r}",
                    method="GET",
                    path=api_path,
                )
            request = self._http.build_request("GET", target_url, headers={"Accept": "*/*"})
            request.headers.pop("Authorization", None)
            with contextlib.closing(self._http.send(request, stream=True)) as target:
                status = target.status_code
                logger.debug("GET signed URL of %s -> %d", api_path, status)
                if status in _REDIRECT_STATUSES:
                    location, base = target.headers.get("location"), target.url
                    continue
                if status == 200:
                    return self._spool_verified(target, api_path, expected_sha256, check_jsonl_tail)
                self._raise_for_signed_url_status(target, api_path)
        raise MalformedResponse("too many redirects", method="GET", path=api_path)

    def _raise_for_signed_url_status(self, target: httpx.Response, api_path: str) -> NoReturn:
        status = target.status_code
        details = {"status": status, "body": _read_error_body(target), "method": "GET", "path": api_path}
        if status == 410:
            raise FileExpired("the file has expired", **details)
        if status in (401, 403, 404):
            # An expired or already used signature: retrying asks the API for a fresh URL.
            raise _Transient(
                FileExpired(
                    f"the signed download URL was refused ({status}) even with a fresh URL", **details
                )
            )
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(target.headers.get("retry-after"))
            raise _Transient(ServerError(f"the file host answered {status}", **details), retry_after)
        raise UnexpectedStatus(f"the file host answered {status}", **details)

    def _spool_verified(
        self, response: httpx.Response, api_path: str, expected_sha256: str | None, check_jsonl_tail: bool
    ) -> IO[bytes]:
        digest = hashlib.sha256()
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY_BYTES)  # noqa: SIM115
        try:
            _copy_bounded(response, spool, self.max_download_bytes, api_path, digest)
            if expected_sha256 and digest.hexdigest().lower() != expected_sha256.strip().lower():
                raise _Transient(
                    MalformedResponse(
                        "the downloaded file does not match its SHA-256 (truncated transfer?)",
                        status=response.status_code,
                        method="GET",
                        path=api_path,
                    )
                )
            if check_jsonl_tail and not expected_sha256 and _has_truncated_last_line(spool):
                raise _Transient(
                    MalformedResponse(
                        "the log file ends in an incomplete line (truncated transfer?)",
                        status=response.status_code,
                        method="GET",
                        path=api_path,
                    )
                )
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool

    def _read_json_object(self, response: httpx.Response) -> dict[str, Any]:
        path = response.request.url.path
        if not 200 <= response.status_code < 300:
            raise UnexpectedStatus(
                f"unexpected status {response.status_code}",
                status=response.status_code,
                body=_read_error_body(response),
                method=response.request.method,
                path=path,
            )
        buffer = io.BytesIO()
        _copy_bounded(response, buffer, self.max_response_bytes, path, None)
        try:
            decoded = loads_clean(buffer.getvalue())
        except ValueError:  # JSONDecodeError and UnicodeDecodeError: truncated or garbled, worth a retry
            raise _Transient(
                MalformedResponse(
                    "the API sent a body that is not valid JSON (truncated or garbled)",
                    status=response.status_code,
                    method=response.request.method,
                    path=path,
                )
            ) from None
        if not isinstance(decoded, dict):
            raise _Transient(
                MalformedResponse(
                    f"the API sent JSON {type(decoded).__name__} where an object was expected",
                    status=response.status_code,
                    method=response.request.method,
                    path=path,
                )
            )
        return decoded

    def _call(
        self,
        method: str,
        path: str,
        endpoint: str,
        kind: EndpointKind,
        not_found: _NotFoundMeaning,
        *,
        params: dict[str, Any],
        read: Callable[[httpx.Response], T],
    ) -> T:
        """One logical request with retries. ``read`` turns a non-error response into the result."""
        url = self.base_url + path
        query = {name: value for name, value in params.items() if value is not None}
        last: _Transient | None = None
        attempts = self.retry_policy.max_retries + 1
        for attempt in range(attempts):
            if last is not None:
                delay = self.retry_policy.delay(attempt - 1, self._rng, last.retry_after)
                logger.info(
                    "%s %s: retry %d/%d in %.2fs after %s",
                    method,
                    path,
                    attempt,
                    attempts - 1,
                    delay,
                    type(last.error).__name__,
                )
                self._sleep(delay)
            if self._limiter is not None:
                self._limiter.acquire(endpoint, kind)
            try:
                with self._http.stream(method, url, params=query, headers=self._auth_headers()) as response:
                    status = response.status_code
                    logger.debug("%s %s -> %d (attempt %d)", method, path, status, attempt + 1)
                    if status >= 400:
                        self._raise_for_status(response, method, path, not_found)
                    result = read(response)
                    if path.startswith(self._ws("")):
                        self._workspace_confirmed = True
                    return result
            except _Transient as transient:
                last = transient
            except httpx.DecodingError:
                last = _Transient(
                    MalformedResponse("the response body could not be decoded", method=method, path=path)
                )
            except httpx.TransportError as error:
                network_error = _network_error(error, method, path)
                if network_error.kind in ("dns", "tls"):
                    raise network_error from None
                last = _Transient(network_error)
        assert last is not None
        raise last.error

    def _raise_for_status(
        self, response: httpx.Response, method: str, path: str, not_found: _NotFoundMeaning
    ) -> NoReturn:
        status = response.status_code
        body = self._scrub(_read_error_body(response))
        details = {"status": status, "body": body, "method": method, "path": path}
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("retry-after"))
            raise _Transient(
                RateLimited("rate limited (429) after retries", retry_after=retry_after, **details),
                retry_after,
            )
        if status >= 500:
            raise _Transient(ServerError(f"the API failed ({status}) after retries", **details))
        if status == 401:
            raise KeyRejected("the API key was rejected (401)", **details)
        if status == 403:
            raise AccessDenied("the key has no Compliance API access for this request (403)", **details)
        if status == 404:
            raise self._not_found_error(not_found, details)
        if status == 410:
            raise FileExpired("the file has expired (410)", **details)
        if status in (400, 422):
            raise InvalidRequest(f"the API refused the request parameters ({status})", **details)
        raise UnexpectedStatus(f"unexpected status {status}", **details)

    def _not_found_error(self, meaning: _NotFoundMeaning, details: dict[str, Any]) -> NotFound:
        if meaning is _NotFoundMeaning.WORKSPACE:
            return WorkspaceNotFound("the workspace was not found (404)", **details)
        if meaning is _NotFoundMeaning.ORGANIZATION:
            return NotFound(
                "the organization or its log feed was not found (404)",
                admin_action=(
                    "Check the Organization ID (org-…); if it is right, ask OpenAI support to enable the "
                    "Compliance Logs Platform for this key."
                ),
                **details,
            )
        if not self._workspace_exists():
            return WorkspaceNotFound("the workspace was not found (404)", **details)
        if meaning is _NotFoundMeaning.ENDPOINT:
            return EndpointUnsupported("this API path is not available (404)", **details)
        return ObjectNotFound("the object was not found (404)", **details)

    def _workspace_exists(self) -> bool:
        """Whether a 404 on an object means the object (True) or the workspace (False): probe once."""
        if self._workspace_confirmed:
            return True
        try:
            self.list_users(limit=1)
        except WorkspaceNotFound:
            return False
        except ComplianceError:
            return True  # cannot tell; the object is the likelier culprit
        return True

    def _scrub(self, text: str | None) -> str | None:
        secret = self._api_key.get_secret_value()
        return text.replace(secret, self.key_hint) if text and secret in text else text


# --- helpers ----------------------------------------------------------------------------------------------


def iterate_pages(
    fetch: Callable[[str | None], ListPage[T]], after: str | None = None
) -> Iterator[ListPage[T]]:
    """Every page of a list, starting after ``after``: continue with ``last_id`` while ``has_more`` is
    true."""
    cursor = after
    while True:
        page = fetch(cursor)
        yield page
        if not page.has_more:
            return
        if not page.last_id or page.last_id == cursor:
            raise MalformedResponse("the list says has_more but gives no new last_id to continue from")
        cursor = page.last_id


def _items(pages: Iterator[ListPage[T]]) -> Iterator[T]:
    for page in pages:
        yield from page.data


def _seg(value: str) -> str:
    """One URL path segment: IDs come from API data and must not be able to change the path."""
    if not value:
        raise ValueError("an ID in the request path is empty")
    return quote(value, safe="")


def _copy_bounded(
    response: httpx.Response, sink: IO[bytes], limit: int, path: str, digest: Any | None
) -> None:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise ContentTooLarge(
            f"the response is {int(declared)} bytes, over the {limit}-byte limit", method="GET", path=path
        )
    received = 0
    for chunk in response.iter_bytes():
        received += len(chunk)
        if received > limit:
            raise ContentTooLarge(f"the response is over the {limit}-byte limit", method="GET", path=path)
        sink.write(chunk)
        if digest is not None:
            digest.update(chunk)


def _read_error_body(response: httpx.Response, limit: int = 64 * 1024) -> str:
    """At most ``limit`` bytes of an error body, decoded leniently (error bodies are only for display)."""
    collected = bytearray()
    try:
        for chunk in response.iter_bytes():
            collected += chunk
            if len(collected) >= limit:
                break
    except httpx.HTTPError:
        pass  # a broken error body must not hide the status
    return bytes(collected[:limit]).decode("utf-8", errors="replace")


def _has_truncated_last_line(spool: IO[bytes]) -> bool:
    """True when the file does not end with a newline and its last line is not a JSON value."""
    spool.seek(0, 2)
    size = spool.tell()
    if size == 0:
        return False
    spool.seek(max(0, size - 1))
    if spool.read(1) == b"\n":
        return False
    chunk_start = max(0, size - 4 * 1024 * 1024)
    spool.seek(chunk_start)
    tail = spool.read()
    last_line = tail.rsplit(b"\n", 1)[-1]
    try:
        json.loads(last_line)
    except ValueError:
        return True
    return False


def _events_from_spool(spool: IO[bytes], *, source: str) -> Iterator[LogEvent]:
    with spool:
        spool.seek(0)
        yield from parse_jsonl_events(spool, source=source)


_DNS_HINTS = re.compile(
    r"name or service not known|nodename nor servname|getaddrinfo|temporary failure in name resolution"
    r"|no address associated|name resolution",
    re.IGNORECASE,
)
_TLS_HINTS = re.compile(r"ssl|tls|certificate|handshake", re.IGNORECASE)


def _network_error(error: httpx.TransportError, method: str, path: str) -> NetworkError:
    """Classify a transport failure: DNS, TLS, connection refused, timeout or reset."""
    causes: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(causes) < 10:
        causes.append(current)
        current = current.__cause__ or current.__context__
    text = " ".join(str(cause) for cause in causes)
    if isinstance(error, httpx.TimeoutException):
        kind = "timeout"
    elif any(isinstance(cause, socket.gaierror) for cause in causes) or _DNS_HINTS.search(text):
        kind = "dns"
    elif any(isinstance(cause, ssl.SSLError) for cause in causes) or (
        isinstance(error, httpx.ConnectError) and _TLS_HINTS.search(text)
    ):
        kind = "tls"
    elif isinstance(error, httpx.ConnectError):
        kind = "connect"
    else:
        kind = "reset"
    messages = {
        "dns": "the API host name could not be resolved",
        "tls": "the TLS handshake with the API failed",
        "connect": "could not connect to the API",
        "timeout": "the API did not answer in time",
        "reset": "the connection to the API broke",
    }
    return NetworkError(f"{messages[kind]}: {type(error).__name__}", kind=kind, method=method, path=path)


def _first_problem(error: ValidationError) -> str:
    first = error.errors(include_url=False, include_input=False)[0]
    location = ".".join(str(part) for part in first.get("loc", ()))
    return f"{location}: {first.get('msg')}"
