"""A scripted fake Compliance API over httpx.MockTransport for the client unit tests."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from aiwatch.sources.chatgpt import ComplianceClient

API = "https://api.test/v1"
KEY = "sk-proj-TESTKEYabcdefghijklmnop9876"
WORKSPACE = "0b6f4e3a-6f1e-4c5e-9a43-1d2f3e4a5b6c"
WS_PATH = f"/v1/compliance/workspaces/{WORKSPACE}"

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass
class FakeApi:
    """Routes (method, path) to handlers; records every request and every sleep the client asks for."""

    routes: dict[tuple[str, str], Handler | list[Handler]] = field(default_factory=dict)
    requests: list[httpx.Request] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def on(self, method: str, path: str, *responses: Handler | httpx.Response | dict[str, Any]) -> None:
        """Answer ``method path`` with the given responses in order (the last one repeats)."""
        self.routes[(method, path)] = [_as_handler(response) for response in responses]

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.method, request.url.path)
        handlers = self.routes.get(key)
        if handlers is None:
            return httpx.Response(404, json={"detail": f"no route {key}"})
        assert isinstance(handlers, list)
        handler = handlers.pop(0) if len(handlers) > 1 else handlers[0]
        return handler(request)

    def client(self, **options: Any) -> ComplianceClient:
        options.setdefault("rate_limits", None)
        options.setdefault("sleep", self.sleeps.append)
        return ComplianceClient(API, KEY, WORKSPACE, transport=httpx.MockTransport(self.handle), **options)

    def paths(self) -> list[str]:
        return [request.url.path for request in self.requests]


def _as_handler(response: Handler | httpx.Response | dict[str, Any]) -> Handler:
    if isinstance(response, httpx.Response):
        content, status, headers = response.content, response.status_code, dict(response.headers)
        return lambda request: httpx.Response(status, content=content, headers=headers)
    if isinstance(response, dict):
        body = json.dumps(response).encode()
        return lambda request: httpx.Response(200, content=body, headers={"content-type": "application/json"})
    return response


def page(
    items: list[dict[str, Any]], *, has_more: bool = False, last_id: str | None = None
) -> dict[str, Any]:
    return {"object": "list", "data": items, "has_more": has_more, "last_id": last_id}
