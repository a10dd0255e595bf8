"""Typed errors of the Compliance API client; each says what the admin must do (``admin_action``).

Error bodies are undocumented (likely FastAPI-style ``{"detail": …}``): they are kept raw and bounded, with
the
API key scrubbed out, and never relied upon except for display.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

MAX_ERROR_BODY_CHARS = 2000


class ComplianceError(Exception):
    """Base of every error the client raises."""

    admin_action: str = "Check the integration settings and try again."

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str | None = None,
        method: str | None = None,
        path: str | None = None,
        admin_action: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = body[:MAX_ERROR_BODY_CHARS] if body else None
        self.method = method
        self.path = path
        if admin_action is not None:
            self.admin_action = admin_action

    @property
    def api_message(self) -> str | None:
        """The API's own explanation (``detail`` / ``message`` / ``error.message``) when the body has one."""
        return extract_api_message(self.body)

    def __str__(self) -> str:
        where = f" ({self.method} {self.path} → {self.status})" if self.method and self.path else ""
        if not where and self.status is not None:
            where = f" (HTTP {self.status})"
        return f"{self.message}{where}. {self.admin_action}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, method={self.method!r}, path={self.path!r})"


class KeyRejected(ComplianceError):
    admin_action = (
        "The API key was rejected (missing, wrong or revoked). Paste the key again or create a new one and "
        "ask OpenAI support to enable the Compliance API for it."
    )


class AccessDenied(ComplianceError):
    admin_action = (
        "The key is valid but has no Compliance API access for this workspace or operation. "
        "Ask OpenAI support to enable the Compliance API with read and delete scopes for this key "
        "and workspace."
    )


class NotFound(ComplianceError):
    """A 404: see :class:`WorkspaceNotFound` and :class:`ObjectNotFound`."""


class WorkspaceNotFound(NotFound):
    admin_action = (
        "The workspace was not found: check the Workspace ID (a UUID from the ChatGPT admin console) "
        "and that the base URL is https://api.chatgpt.com/v1 (api.openai.com answers 404)."
    )


class ObjectNotFound(NotFound):
    admin_action = "Nothing to do: the object no longer exists (it was probably deleted)."


class EndpointUnsupported(NotFound):
    admin_action = "Nothing to do: this API path is not available for this workspace (yet); it is skipped."


class FileExpired(ComplianceError):
    admin_action = (
        "Nothing to do: the file content has expired (chat uploads are kept about 24 hours); "
        "aiwatch records it as expired."
    )


class InvalidRequest(ComplianceError):
    admin_action = (
        "The API refused the request parameters; check the integration configuration (see message)."
    )

    def __str__(self) -> str:
        detail = self.api_message
        base = super().__str__()
        return f"{base} API says: {detail}" if detail else base


class RateLimited(ComplianceError):
    admin_action = (
        "The API kept answering 429 (rate limited) after retries; aiwatch will resume from the saved cursor. "
        "If it persists, lower the sync frequency or stop other tools using the same key."
    )

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(ComplianceError):
    admin_action = "The API kept failing (5xx) after retries; aiwatch will retry later from the saved cursor."


class NetworkError(ComplianceError):
    """The API could not be reached. ``kind``: dns | connect | tls | timeout | reset."""

    _ACTIONS: ClassVar[dict[str, str]] = {
        "dns": "The API host name does not resolve: check the base URL and this machine's DNS settings.",
        "connect": (
            "The connection to the API was refused or is blocked: check the base URL, firewall and "
            "proxy rules for outbound HTTPS to api.chatgpt.com."
        ),
        "tls": (
            "The TLS handshake failed: check for a TLS-inspecting proxy and that its CA certificate "
            "is trusted (SSL_CERT_FILE), and that the base URL uses https."
        ),
        "timeout": "The API did not answer in time: check network latency and proxies; aiwatch will retry.",
        "reset": "The connection was reset or closed early; aiwatch retries automatically.",
    }

    def __init__(self, message: str, *, kind: str, **kwargs: Any) -> None:
        kwargs.setdefault("admin_action", self._ACTIONS.get(kind, self._ACTIONS["connect"]))
        super().__init__(message, **kwargs)
        self.kind = kind


class MalformedResponse(ComplianceError):
    admin_action = (
        "The API sent a response aiwatch could not read (malformed or truncated JSON, or an "
        "unexpected shape), even after retries; aiwatch will retry later."
    )


class ContentTooLarge(ComplianceError):
    admin_action = "The response is larger than the configured maximum; raise the download limit if expected."


class UnexpectedStatus(ComplianceError):
    admin_action = "The API answered with an unexpected status; see the message and try again later."


def extract_api_message(body: str | None) -> str | None:
    """The human message inside an error body, if it is JSON with a recognisable field."""
    if not body:
        return None
    try:
        decoded = json.loads(body)
    except ValueError:
        return None
    if not isinstance(decoded, dict):
        return None
    for key in ("detail", "message", "error"):
        value = decoded.get(key)
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and isinstance(value.get("message"), str):
            return value["message"]
        if isinstance(value, list) and value:
            return json.dumps(value, ensure_ascii=False)[:MAX_ERROR_BODY_CHARS]
    return None
