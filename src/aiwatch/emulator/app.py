"""The FastAPI application that serves a :class:`Workspace` the way the Compliance API does."""

from __future__ import annotations

import hashlib
import hmac
import math
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from aiwatch.emulator import logfeed, views
from aiwatch.emulator.faults import FaultDecision, FaultInjector, FaultMiddleware
from aiwatch.emulator.ratelimit import LIST_LIMIT_PER_MINUTE, SINGLE_LIMIT_PER_MINUTE, RateLimiter
from aiwatch.emulator.workspace import Workspace, position_after

SIGNED_URL_TTL_SECONDS = 3600
KEY_PREFIXES = ("sk-proj-", "sk-admin-", "sk-comp-")
WS = "/v1/compliance/workspaces/{workspace_id}"
views_format = Annotated[str, Query(pattern="^(url|id)$")]


@dataclass
class EmulatorState:
    workspace: Workspace
    keys: dict[str, frozenset[str]]  # api key -> scopes
    limiter: RateLimiter
    faults: FaultInjector
    max_page_messages: int = 5000
    url_secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    cursors: dict[str, tuple[float, str]] = field(
        default_factory=dict
    )  # conversation paging positions served
    request_count: int = 0


def redacted(key: str) -> str:
    prefix = next((p for p in KEY_PREFIXES if key.startswith(p)), key[:3])
    return f"{prefix}…{key[-4:]}"


def _faults(request: Request) -> FaultDecision:
    return request.scope.get("state", {}).get("faults") or FaultDecision()


def create_app(state: EmulatorState) -> FastAPI:
    app = FastAPI(
        title="ChatGPT Enterprise Compliance API (aiwatch emulator)",
        docs_url=None,
        redoc_url=None,
        openapi_url="/_emulator/openapi.json",
    )
    ws = state.workspace

    def require(scope: str, per_minute: int) -> Callable[..., str]:
        def dependency(request: Request) -> str:
            header = request.headers.get("authorization", "")
            scheme, _, key = header.partition(" ")
            if scheme.lower() != "bearer" or not key.strip():
                raise HTTPException(
                    401, "Missing bearer authentication in header", headers={"WWW-Authenticate": "Bearer"}
                )
            key = key.strip()
            scopes = state.keys.get(key)
            if scopes is None:
                raise HTTPException(
                    401, "Incorrect API key provided.", headers={"WWW-Authenticate": "Bearer"}
                )
            if scope not in scopes:
                raise HTTPException(
                    403,
                    f"This API key does not have the compliance '{scope}' scope. Ask OpenAI "
                    "support to enable the Compliance API for this key.",
                )
            route = request.scope.get("route")
            endpoint = f"{request.method} {getattr(route, 'path', request.url.path)}"
            allowed, retry_after = state.limiter.check(key, endpoint, per_minute)
            if not allowed:
                headers = {"Retry-After": retry_after} if retry_after else None
                raise HTTPException(429, "Too many requests. Please slow down.", headers=headers)
            state.request_count += 1
            client = request.client.host if request.client else "127.0.0.1"
            ws.record_api_call(endpoint, redacted(key), client)
            return key

        return dependency

    list_read = Depends(require("read", LIST_LIMIT_PER_MINUTE))
    single_read = Depends(require("read", SINGLE_LIMIT_PER_MINUTE))
    delete_scope = Depends(require("delete", SINGLE_LIMIT_PER_MINUTE))

    def workspace_or_404(workspace_id: str) -> None:
        if workspace_id != ws.workspace_id:
            raise HTTPException(404, f"Workspace {workspace_id} not found.")

    def signer(request: Request) -> views.UrlSigner:
        origin = str(request.base_url).rstrip("/")
        expired = _faults(request).expired_urls

        def sign(kind: str, object_id: str) -> str:
            expires = int(ws.now()) + (-60 if expired else SIGNED_URL_TTL_SECONDS)
            signature = _signature(state.url_secret, kind, object_id, expires)
            return f"{origin}/download/{kind}/{object_id}?expires={expires}&signature={signature}"

        return sign

    def paginate(
        items: list[Any], ident: Callable[[Any], str], after: str | None, limit: int, what: str
    ) -> tuple[list[Any], bool]:
        start = 0
        if after:
            ids = [ident(item) for item in items]
            if after not in ids:
                raise HTTPException(404, f"{what} {after} given as 'after' was not found.")
            start = ids.index(after) + 1
        page = items[start : start + limit]
        return page, start + limit < len(items)

    def with_duplicates(request: Request, data: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if not _faults(request).duplicates or len(data) < 2:
            return data
        rng = random.Random(len(data) * 7919 + state.request_count)
        extra = [dict(item) for item in rng.sample(data, max(1, len(data) // 4))]
        mixed = data + extra
        rng.shuffle(mixed)
        return mixed

    def clamp(limit: int | None, default: int, maximum: int) -> int:
        return default if limit is None else max(1, min(maximum, limit))

    # ----------------------------------------------------------------- users
    @app.get(WS + "/users")
    def list_users(
        request: Request,
        workspace_id: str,
        after: str | None = None,
        limit: int | None = None,
        key: str = list_read,
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        with ws.lock:
            users = sorted(ws.users.values(), key=lambda u: u.id)
            page, more = paginate(users, lambda u: u.id, after, clamp(limit, 200, 200), "User")
            data = [views.user_view(u) for u in page]
        return views.envelope(with_duplicates(request, data), more, page[-1].id if page else after)

    # ----------------------------------------------------------------- conversations
    @app.get(WS + "/conversations")
    def list_conversations(
        request: Request,
        workspace_id: str,
        since_timestamp: int | None = None,
        after: str | None = None,
        limit: int | None = None,
        users: Annotated[list[str] | None, Query()] = None,
        file_format: views_format = "url",
        key: str = list_read,
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        if users and len(users) >= 100:
            raise HTTPException(422, "users must list fewer than 100 users.")
        size = clamp(limit, 500, 500)
        wanted = set(users) if users else None
        sign = signer(request)
        with ws.lock:
            order = ws.conversation_order()
            if after:
                position = state.cursors.get(after)
                if position is None:
                    conv = ws.conversations.get(after)
                    if conv is None:
                        raise HTTPException(404, f"Conversation {after} given as 'after' was not found.")
                    position = (conv.updated_at, conv.id)
                index = position_after(order, position)
            elif since_timestamp is not None:
                index = position_after(order, (float(since_timestamp), ""))
            else:
                index = 0
            page = []
            budget = state.max_page_messages
            more = False
            for updated_at, conv_id in order[index:]:
                conv = ws.conversations[conv_id]
                if conv.is_temporary or (wanted is not None and conv.user_id not in wanted):
                    continue
                if len(page) >= size or (page and budget - len(conv.messages) < 0):
                    more = True
                    break
                budget -= len(conv.messages)
                page.append(conv)
                state.cursors[conv_id] = (updated_at, conv_id)
            now = ws.now()
            data = [
                views.conversation_view(
                    c, ws.users[c.user_id], ws.workspace_id, ws.files, file_format, now, sign
                )
                for c in page
            ]
        return views.envelope(with_duplicates(request, data), more, page[-1].id if page else after)

    @app.delete(WS + "/conversations/{conversation_id}")
    def delete_conversation(
        workspace_id: str, conversation_id: str, key: str = delete_scope
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        if not ws.delete_conversation(conversation_id):
            raise HTTPException(404, f"Conversation {conversation_id} not found.")
        return {"deleted": True, "object": "compliance.workspace.conversation", "id": conversation_id}

    # ----------------------------------------------------------------- GPTs and projects (parallel APIs)
    for kind, plural, files_path in (("gpt", "gpts", "gpt_files"), ("project", "projects", "project_files")):
        _agent_routes(
            app,
            state,
            kind,
            plural,
            files_path,
            list_read,
            single_read,
            delete_scope,
            workspace_or_404,
            signer,
            paginate,
            with_duplicates,
            clamp,
        )

    # ----------------------------------------------------------------- user files
    @app.get(WS + "/users/{user_id}/files/{file_id}", status_code=307)
    def user_file(
        request: Request,
        workspace_id: str,
        user_id: str,
        file_id: str,
        conversation_id: str | None = None,
        key: str = single_read,
    ) -> Response:
        workspace_or_404(workspace_id)
        f = ws.files.get(file_id)
        if f is None or f.kind != "user" or f.owner_id != user_id or f.deleted:
            raise HTTPException(404, f"File {file_id} not found for user {user_id}.")
        if f.expired(ws.now()):
            raise HTTPException(410, f"File {file_id} has expired and its content is no longer available.")
        return RedirectResponse(signer(request)("user", file_id), status_code=307)

    @app.delete(WS + "/users/{user_id}/files/{file_id}")
    def delete_user_file(
        workspace_id: str,
        user_id: str,
        file_id: str,
        conversation_id: str | None = None,
        key: str = delete_scope,
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        if not ws.delete_user_file(user_id, file_id):
            raise HTTPException(404, f"File {file_id} not found for user {user_id}.")
        return {"deleted": True, "object": "compliance.workspace.user.file", "id": file_id}

    # ----------------------------------------------------------------- memories
    @app.get(WS + "/memories")
    def list_memories(
        request: Request,
        workspace_id: str,
        after: str | None = None,
        limit: int | None = None,
        since_timestamp: int | None = None,
        key: str = list_read,
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        with ws.lock:
            user_ids = sorted(ws.memories)
            start = 0
            if after:
                if after not in ws.users:
                    raise HTTPException(404, f"User {after} given as 'after' was not found.")
                start = next((i for i, uid in enumerate(user_ids) if uid > after), len(user_ids))
            size = clamp(limit, 200, 200)
            data, last, more = [], None, False
            for uid in user_ids[start:]:
                view = views.memory_view(uid, ws.memories[uid], since_timestamp)
                if view is None:
                    continue
                if len(data) >= size:
                    more = True
                    break
                data.append(view)
                last = uid
        return views.envelope(with_duplicates(request, data), more, last or after)

    @app.get(WS + "/users/{user_id}/memories")
    def user_memories(
        workspace_id: str, user_id: str, since_timestamp: int | None = None, key: str = single_read
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        if user_id not in ws.users:
            raise HTTPException(404, f"User {user_id} not found.")
        with ws.lock:
            view = views.memory_view(user_id, ws.memories.get(user_id, []), since_timestamp)
        data = [view] if view else []
        return views.envelope(data, False, user_id if view else None)

    @app.delete(WS + "/users/{user_id}/memory_contexts/{memory_context_id}/memories/{memory_id}")
    def delete_memory(
        workspace_id: str, user_id: str, memory_context_id: str, memory_id: str, key: str = delete_scope
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        if user_id not in ws.users or not ws.delete_memory(user_id, memory_context_id, memory_id):
            raise HTTPException(404, f"Memory {memory_id} not found for user {user_id}.")
        return {"deleted": True, "object": "compliance.workspace.user.memory.context.entry", "id": memory_id}

    # ----------------------------------------------------------------- canvases
    @app.get(WS + "/users/{user_id}/canvases")
    def list_canvases(
        request: Request,
        workspace_id: str,
        user_id: str,
        limit: Annotated[int, Query(ge=1, le=30)] = 30,
        after: str | None = None,
        key: str = single_read,
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        if user_id not in ws.users:
            raise HTTPException(404, f"User {user_id} not found.")
        with ws.lock:
            canvases = sorted(
                (c for c in ws.canvases.values() if c.user_id == user_id and not c.deleted),
                key=lambda c: (c.created_at, c.id),
            )
            page, more = paginate(canvases, lambda c: c.id, after, limit, "Canvas")
            data = [views.canvas_summary(c) for c in page]
        return views.envelope(with_duplicates(request, data), more, page[-1].id if page else after)

    @app.get(WS + "/users/{user_id}/canvas/{textdoc_id}")
    def canvas(
        workspace_id: str,
        user_id: str,
        textdoc_id: str,
        limit: Annotated[int, Query(ge=1, le=30)] = 30,
        after: int | None = None,
        key: str = single_read,
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        found = ws.canvases.get(textdoc_id)
        if found is None or found.deleted or found.user_id != user_id:
            raise HTTPException(404, f"Canvas {textdoc_id} not found for user {user_id}.")
        with ws.lock:
            return views.canvas_content(found, after, limit)

    @app.delete(WS + "/users/{user_id}/canvas/{textdoc_id}")
    def delete_canvas(
        workspace_id: str, user_id: str, textdoc_id: str, key: str = delete_scope
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        if not ws.delete_canvas(user_id, textdoc_id):
            raise HTTPException(404, f"Canvas {textdoc_id} not found for user {user_id}.")
        return {"deleted": True, "object": "compliance.workspace.user.canvas", "id": textdoc_id}

    # ----------------------------------------------------------------- later paths (known only by path)
    def simple_list(
        items: list[dict[str, Any]], after: str | None, limit: int | None, what: str
    ) -> dict[str, Any]:
        page, more = paginate(items, lambda i: i["id"], after, clamp(limit, 100, 500), what)
        return views.envelope(page, more, page[-1]["id"] if page else after)

    @app.get(WS + "/codex_tasks")
    def codex_tasks(
        workspace_id: str, after: str | None = None, limit: int | None = None, key: str = list_read
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        return simple_list(
            sorted(ws.codex_tasks, key=lambda t: (t["created_at"], t["id"])), after, limit, "Task"
        )

    @app.get(WS + "/codex_environments")
    def codex_environments(
        workspace_id: str, after: str | None = None, limit: int | None = None, key: str = list_read
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        return simple_list(ws.codex_environments, after, limit, "Environment")

    @app.get(WS + "/users/{user_id}/automations")
    def automations(
        workspace_id: str,
        user_id: str,
        after: str | None = None,
        limit: int | None = None,
        key: str = list_read,
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        if user_id not in ws.users:
            raise HTTPException(404, f"User {user_id} not found.")
        return simple_list(ws.automations.get(user_id, []), after, limit, "Automation")

    @app.get(WS + "/recordings")
    def recordings(
        workspace_id: str, after: str | None = None, limit: int | None = None, key: str = list_read
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        items = [{k: v for k, v in r.items() if k != "transcript"} for r in ws.recordings]
        return simple_list(sorted(items, key=lambda r: (r["created_at"], r["id"])), after, limit, "Recording")

    @app.get(WS + "/users/{user_id}/recordings/{recording_id}/transcript")
    def transcript(
        workspace_id: str, user_id: str, recording_id: str, key: str = single_read
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        found = next((r for r in ws.recordings if r["id"] == recording_id and r["user_id"] == user_id), None)
        if found is None:
            raise HTTPException(404, f"Recording {recording_id} not found for user {user_id}.")
        return {
            "object": "compliance.workspace.recording.transcript",
            "id": recording_id,
            "recording_id": recording_id,
            "text": found["transcript"],
            "language": "en",
        }

    # ----------------------------------------------------------------- log feed
    def principal_or_error(scope_kind: str, principal_id: str, event_type: str) -> None:
        if scope_kind == "workspaces":
            workspace_or_404(principal_id)
            if event_type in logfeed.ORGANIZATION_EVENT_TYPES:
                raise HTTPException(
                    422,
                    f"Event type {event_type} is organization-scoped; use "
                    "/v1/compliance/organizations/{organization_id}/logs.",
                )
        else:
            if principal_id != ws.platform_org_id:
                raise HTTPException(404, f"Organization {principal_id} not found.")
            if event_type in logfeed.WORKSPACE_EVENT_TYPES:
                raise HTTPException(
                    422,
                    f"Event type {event_type} is workspace-scoped; use "
                    "/v1/compliance/workspaces/{workspace_id}/logs.",
                )

    def parse_time(name: str, value: str) -> float:
        try:
            return logfeed.parse_iso(value)
        except ValueError:
            raise HTTPException(
                422, f"'{name}' must be an ISO-8601 timestamp with a timezone, e.g. 2025-01-31T00:00:00Z."
            ) from None

    @app.get("/v1/compliance/{scope_kind}/{principal_id}/logs")
    def list_log_files(
        scope_kind: str,
        principal_id: str,
        event_type: str,
        after: str,
        before: str | None = None,
        limit: int | None = None,
        key: str = list_read,
    ) -> dict[str, Any]:
        if scope_kind not in ("workspaces", "organizations"):
            raise HTTPException(404, "Not Found")
        if event_type not in logfeed.ALL_EVENT_TYPES:
            raise HTTPException(422, f"Unknown event_type {event_type!r}.")
        principal_or_error(scope_kind, principal_id, event_type)
        after_ts = parse_time("after", after)
        before_ts = parse_time("before", before) if before else math.inf
        size = clamp(limit, 100, 1000)
        with ws.lock:
            candidates = [
                f for f in ws.log_files if f.event_type == event_type and after_ts <= f.end_time < before_ts
            ]
            boundary = [f for f in candidates if f.end_time == after_ts]
            newer = [f for f in candidates if f.end_time > after_ts]
            # The boundary file may come back, but never alone on a page that has newer files to show.
            page = (boundary + newer)[:size] if size > len(boundary) or not newer else newer[:size]
            more = len(newer) > len([f for f in page if f.end_time > after_ts])
            data = []
            for f in page:
                body = ws.log_file_bytes(f)
                data.append(
                    {
                        "id": f.id,
                        "event_type": f.event_type,
                        "end_time": logfeed.iso(f.end_time),
                        "file_name": logfeed.file_name(f),
                        "file_size": len(body),
                        "file_sha256": logfeed.digest(body),
                    }
                )
        return {"data": data, "has_more": more, "last_end_time": data[-1]["end_time"] if data else None}

    @app.get("/v1/compliance/{scope_kind}/{principal_id}/logs/{log_file_id}", status_code=307)
    def log_file(
        request: Request, scope_kind: str, principal_id: str, log_file_id: str, key: str = single_read
    ) -> Response:
        if scope_kind not in ("workspaces", "organizations"):
            raise HTTPException(404, "Not Found")
        if scope_kind == "workspaces":
            workspace_or_404(principal_id)
        elif principal_id != ws.platform_org_id:
            raise HTTPException(404, f"Organization {principal_id} not found.")
        found = next(
            (f for f in ws.log_files if f.id == log_file_id and f.principal_kind == scope_kind), None
        )
        if found is None:
            raise HTTPException(404, f"Log file {log_file_id} not found.")
        return RedirectResponse(signer(request)("log", log_file_id), status_code=307)

    # ----------------------------------------------------------------- signed downloads (no bearer auth)
    @app.get("/download/{kind}/{object_id}")
    def download(request: Request, kind: str, object_id: str, expires: int, signature: str) -> Response:
        if "authorization" in request.headers:
            raise HTTPException(
                400,
                "Only one auth mechanism allowed; the signed URL already authorizes this "
                "request, remove the Authorization header.",
            )
        expected = _signature(state.url_secret, kind, object_id, expires)
        if not hmac.compare_digest(expected, signature):
            raise HTTPException(403, "Signature does not match.")
        if ws.now() > expires:
            raise HTTPException(403, "Request has expired; request a fresh download URL.")
        if kind == "log":
            found = next((f for f in ws.log_files if f.id == object_id), None)
            if found is None:
                raise HTTPException(404, "Not Found")
            return Response(ws.log_file_bytes(found), media_type="application/jsonl")
        f = ws.files.get(object_id)
        if f is None or f.deleted or f.kind != kind:
            raise HTTPException(404, "Not Found")
        headers = {"Content-Disposition": f'attachment; filename="{f.name}"'}
        return Response(ws.file_bytes(object_id), media_type=f.document.mime_type, headers=headers)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)

    return FaultMiddleware(app, state.faults)  # type: ignore[return-value]


def _agent_routes(
    app,
    state,
    kind,
    plural,
    files_path,
    list_read,
    single_read,
    delete_scope,
    workspace_or_404,
    signer,
    paginate,
    with_duplicates,
    clamp,
) -> None:  # type: ignore[no-untyped-def]
    ws = state.workspace
    label = "GPT" if kind == "gpt" else "Project"
    store = ws.gpts if kind == "gpt" else ws.projects

    def live(agent_id: str):  # type: ignore[no-untyped-def]
        agent = store.get(agent_id)
        if agent is None or agent.deleted:
            raise HTTPException(404, f"{label} {agent_id} not found.")
        return agent

    @app.get(f"{WS}/{plural}", name=f"list_{plural}")
    def list_agents(
        request: Request,
        workspace_id: str,
        after: str | None = None,
        limit: int | None = None,
        file_format: views_format = "url",
        key: str = list_read,
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        with ws.lock:
            agents = sorted((a for a in store.values() if not a.deleted), key=lambda a: (a.created_at, a.id))
            page, more = paginate(agents, lambda a: a.id, after, clamp(limit, 20, 100), label)
            now, sign = ws.now(), signer(request)
            data = [views.agent_view(a, ws.users, ws.files, file_format, now, sign) for a in page]
        return views.envelope(with_duplicates(request, data), more, page[-1].id if page else after)

    @app.get(f"{WS}/{plural}/{{agent_id}}", name=f"get_{kind}")
    def get_agent(
        request: Request,
        workspace_id: str,
        agent_id: str,
        file_format: views_format = "url",
        key: str = single_read,
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        with ws.lock:
            return views.agent_view(
                live(agent_id), ws.users, ws.files, file_format, ws.now(), signer(request)
            )

    @app.delete(f"{WS}/{plural}/{{agent_id}}", name=f"delete_{kind}")
    def delete_agent(workspace_id: str, agent_id: str, key: str = delete_scope) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        if not ws.delete_agent(kind, agent_id):
            raise HTTPException(404, f"{label} {agent_id} not found.")
        return {"deleted": True, "object": f"compliance.workspace.{kind}", "id": agent_id}

    @app.get(f"{WS}/{plural}/{{agent_id}}/configs", name=f"{kind}_configs")
    def configs(
        request: Request,
        workspace_id: str,
        agent_id: str,
        after: str | None = None,
        limit: int | None = None,
        file_format: views_format = "url",
        key: str = list_read,
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        with ws.lock:
            agent = live(agent_id)
            newest_first = list(reversed(agent.configs))
            page, more = paginate(newest_first, lambda c: c.id, after, clamp(limit, 20, 100), "Configuration")
            now, sign = ws.now(), signer(request)
            data = [views.config_view(agent, c, ws.users, ws.files, file_format, now, sign) for c in page]
        return views.envelope(with_duplicates(request, data), more, page[-1].id if page else after)

    @app.get(f"{WS}/{files_path}/{{file_id}}", status_code=307, name=f"{kind}_file")
    def agent_file(request: Request, workspace_id: str, file_id: str, key: str = single_read) -> Response:
        workspace_or_404(workspace_id)
        f = ws.files.get(file_id)
        if f is None or f.kind != kind or f.deleted:
            raise HTTPException(404, f"File {file_id} not found for {label}s in this workspace.")
        if f.expired(ws.now()):
            raise HTTPException(410, f"File {file_id} has expired and its content is no longer available.")
        return RedirectResponse(signer(request)(kind, file_id), status_code=307)

    @app.delete(f"{WS}/{plural}/{{agent_id}}/files/{{file_id}}", name=f"delete_{kind}_file")
    def delete_agent_file(
        workspace_id: str, agent_id: str, file_id: str, key: str = delete_scope
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        if not ws.delete_agent_file(kind, agent_id, file_id):
            raise HTTPException(404, f"File {file_id} not found for {label} {agent_id}.")
        return {"deleted": True, "object": f"compliance.workspace.{kind}.file", "id": file_id}

    @app.get(f"{WS}/{plural}/{{agent_id}}/shared_users", name=f"{kind}_shared_users")
    def shared_users(
        request: Request, workspace_id: str, agent_id: str, after: str | None = None, key: str = list_read
    ) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        with ws.lock:
            agent = live(agent_id)
            recipients = sorted((ws.users[r.user_id] for r in agent.recipients), key=lambda u: u.id)
            page, more = paginate(recipients, lambda u: u.id, after, 200, "User")
            data = [views.user_view(u) for u in page]
        return views.envelope(with_duplicates(request, data), more, page[-1].id if page else after)

    @app.delete(f"{WS}/{plural}/{{agent_id}}/shared_users", name=f"isolate_{kind}")
    def isolate(workspace_id: str, agent_id: str, key: str = delete_scope) -> dict[str, Any]:
        workspace_or_404(workspace_id)
        if not ws.isolate_agent(kind, agent_id):
            raise HTTPException(404, f"{label} {agent_id} not found.")
        return {"deleted": True, "object": f"compliance.workspace.{kind}.shared_users", "id": agent_id}


def _signature(secret: bytes, kind: str, object_id: str, expires: int) -> str:
    message = f"{kind}:{object_id}:{expires}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:40]
