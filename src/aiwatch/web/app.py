"""The FastAPI app: ``create_app(settings)`` wires the database, services, routes and security headers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.resources import files

from fastapi import FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from aiwatch import __version__
from aiwatch.config import Settings
from aiwatch.integrations.service import IntegrationService
from aiwatch.store.db import init_db, make_session_factory
from aiwatch.sync.runner import ClientFactory, default_client
from aiwatch.web.accounts import AccountService
from aiwatch.web.api import admin as admin_api
from aiwatch.web.api import explorer as explorer_api
from aiwatch.web.api import findings as findings_api
from aiwatch.web.api import integrations as integrations_api
from aiwatch.web.api import inventory as inventory_api
from aiwatch.web.api import policies as policies_api
from aiwatch.web.api import rescans as rescans_api
from aiwatch.web.audit import AuditLog
from aiwatch.web.auth import LoginRequired, LoginThrottle, is_api_path
from aiwatch.web.backfill import BackfillManager
from aiwatch.web.ui import (
    alerts_pages,
    explorer_pages,
    findings_pages,
    inventory_pages,
    pages,
    policies_pages,
)

# Only this origin's scripts and styles: htmx is vendored, nothing is loaded from elsewhere.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
PUBLIC_PATHS = ("/login", "/healthz", "/static")  # everything else declares require(...)


def create_app(
    settings: Settings,
    *,
    client_factory: ClientFactory = default_client,
    throttle: LoginThrottle | None = None,
    secure_cookies: bool | None = None,
) -> FastAPI:
    """The console app on the configured database (upgraded first). ``secure_cookies`` None: Secure when the
    request came over https (behind a TLS proxy run uvicorn with --proxy-headers)."""
    sessions = make_session_factory(init_db(settings))
    integrations = IntegrationService(settings, sessions)
    backfills = BackfillManager(integrations, sessions, client_factory)
    from aiwatch.pipeline.worker import RescanWorker, worker_name

    rescans = RescanWorker(sessions, settings, name=worker_name("console"))  # queued rescans, in-process

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        rescans.start()
        yield
        backfills.shutdown()
        rescans.shutdown()

    app = FastAPI(
        title="aiwatch",
        version=__version__,
        description="aiwatch console API. Authenticate with 'Authorization: Bearer <API token>'.",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,  # served authenticated at /api/openapi.json
        lifespan=lifespan,
    )
    web_root = files("aiwatch.web")
    app.state.settings = settings
    app.state.sessions = sessions
    app.state.accounts = AccountService(sessions)
    app.state.audit = AuditLog(sessions)
    app.state.integrations = integrations
    app.state.backfills = backfills
    app.state.rescans = rescans
    app.state.throttle = throttle or LoginThrottle()
    app.state.secure_cookies = secure_cookies
    app.state.templates = Jinja2Templates(directory=str(web_root / "ui" / "templates"))
    app.mount("/static", StaticFiles(directory=str(web_root / "static")), name="static")
    for api in (
        integrations_api,
        findings_api,
        policies_api,
        inventory_api,
        explorer_api,
        rescans_api,
        admin_api,
    ):
        app.include_router(api.router)
    for ui in (pages, findings_pages, alerts_pages, inventory_pages, explorer_pages, policies_pages):
        app.include_router(ui.router)

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get(
            "hx-request"
        ):  # htmx follows this header instead of swapping in the login page
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return pages.login_redirect(exc.next_path)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if is_api_path(request.url.path) or request.headers.get("hx-request"):
            if request.headers.get("hx-request") and not is_api_path(request.url.path):
                return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)
            return await http_exception_handler(request, exc)
        principal = getattr(request.state, "principal", None)
        return app.state.templates.TemplateResponse(
            request,
            "error.html",
            {"principal": principal, "nav": None, "message": exc.detail, "status": exc.status_code},
            status_code=exc.status_code,
        )

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app
