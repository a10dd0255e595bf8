"""Every route is guarded by the one RoleGuard dependency, and each role gets exactly what it may."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
from fastapi.routing import APIRoute
from starlette.routing import Mount
from web_live import Console

from aiwatch.web.accounts import Role
from aiwatch.web.auth import RoleGuard

# The only ways in without an account.
PUBLIC = {("GET", "/login"), ("POST", "/login"), ("GET", "/healthz")}
ROLES = [Role.VIEWER, Role.ANALYST, Role.ADMIN]


def _guards(route: APIRoute) -> list[RoleGuard]:
    return [dep.call for dep in route.dependant.dependencies if isinstance(dep.call, RoleGuard)]


def _flatten(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Routes with their full path; FastAPI keeps included routers as nested branches."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            assert not route.include_context.dependencies, "guards belong on each route, not on a router"
            yield from _flatten(included.routes, prefix + route.include_context.prefix)
        else:
            yield prefix, route


def _routes(console: Console) -> list[tuple[str, str, Role | None]]:
    table = []
    for prefix, route in _flatten(console.app.routes):
        assert prefix == "", "routers are included without an extra prefix"
        if isinstance(route, Mount):
            assert route.path == "/static", f"unexpected mount {route.path}"
            continue
        assert isinstance(route, APIRoute), f"unexpected route type {route!r}"
        for method in sorted(route.methods):
            guards = _guards(route)
            if (method, route.path) in PUBLIC:
                assert guards == [], f"{method} {route.path} is public and must not need a role"
                table.append((method, route.path, None))
                continue
            assert len(guards) == 1, f"{method} {route.path} must declare require(...) exactly once"
            table.append((method, route.path, guards[0].minimum))
    return table


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def _call(client: httpx.Client, method: str, path: str) -> httpx.Response:
    if method in ("GET", "HEAD", "DELETE"):
        return client.request(method, _concrete(path))
    return client.request(
        method, _concrete(path), data={"csrf_token": client.headers.get("X-CSRF-Token", "")}
    )


def test_route_table_is_fully_guarded(console: Console) -> None:
    table = _routes(console)
    assert len(table) > 20
    protected = [(m, p) for m, p, role in table if role is not None]
    assert ("POST", "/api/integrations") in protected and ("GET", "/integrations/connect") in protected


def test_anonymous_requests_are_refused_everywhere_but_login_and_health(console: Console) -> None:
    with console.client() as client:
        for method, path, minimum in _routes(console):
            response = _call(client, method, path)
            if minimum is None:
                assert response.status_code < 400 or path == "/login", (method, path, response.status_code)
            elif path.startswith("/api/"):
                assert response.status_code == 401, (method, path, response.status_code)
                assert response.headers["www-authenticate"] == "Bearer"
            else:
                assert response.status_code == 303, (method, path, response.status_code)
                assert response.headers["location"].startswith("/login?next=")


def test_each_role_is_allowed_exactly_its_routes(console: Console) -> None:
    for role in ROLES:
        for method, path, minimum in _routes(console):
            if minimum is None:
                continue
            with console.client(role.label) as client:  # a fresh session: /logout ends it
                response = _call(client, method, path)
            if role < minimum:
                assert response.status_code == 403, (role, method, path, response.status_code)
            else:
                assert response.status_code not in (401, 403), (role, method, path, response.status_code)


def test_viewer_sees_no_admin_controls(console: Console) -> None:
    with console.client("viewer") as client:
        page = client.get("/integrations")
        assert page.status_code == 200
        assert 'href="/integrations/connect"' not in page.text and 'href="/settings"' not in page.text
        denied = client.get("/integrations/connect")
        assert denied.status_code == 403 and "admin role" in denied.text
