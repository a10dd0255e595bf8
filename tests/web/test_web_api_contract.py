"""The REST conventions, checked on every ``/api`` route the app has (whoever added it).

Walks the route table like test_web_access.py: every API route answers 401 with ``WWW-Authenticate``
without credentials, 403 to a token whose scope is too low; every GET list route declaring limit/offset
validates them (422) and answers ``{items, total, limit, offset}`` with stable pages; every route with a path
parameter answers 404 for an unknown id; the OpenAPI description lists every API route.
"""

from __future__ import annotations

import enum
import json
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute
from web_live import Console

from aiwatch.web.accounts import Role
from aiwatch.web.auth import RoleGuard

UNKNOWN_INT = 987654321
UNKNOWN_STR = "no-such-id-0000"
# API routes that describe the API and are therefore not part of its own description.
UNDESCRIBED = {("GET", "/api/openapi.json"), ("GET", "/api/docs")}
SCOPE_FOR = {Role.VIEWER: "read", Role.ANALYST: "act", Role.ADMIN: "admin"}


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    route: APIRoute

    @property
    def minimum(self) -> Role:
        guards = [dep.call for dep in self.route.dependant.dependencies if isinstance(dep.call, RoleGuard)]
        assert len(guards) == 1, f"{self.method} {self.path} must declare require(...) exactly once"
        return guards[0].minimum

    @property
    def query_names(self) -> set[str]:
        return {param.alias for param in self.route.dependant.query_params}

    @property
    def path_params(self) -> list[Any]:
        return list(self.route.dependant.path_params)

    @property
    def has_body(self) -> bool:
        return bool(self.route.dependant.body_params)

    @property
    def is_list(self) -> bool:
        return self.method == "GET" and {"limit", "offset"} <= self.query_names

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _flatten(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _flatten(included.routes) if included is not None else [route]


def api_routes(console: Console) -> list[ApiRoute]:
    found = [
        ApiRoute(method, route.path, route)
        for route in _flatten(console.app.routes)
        if isinstance(route, APIRoute) and (route.path == "/api" or route.path.startswith("/api/"))
        for method in sorted(route.methods - {"HEAD"})
    ]
    assert len(found) >= 10, "the API route table looks empty"
    return found


def _unknown(param: Any) -> str:
    annotation = param.field_info.annotation
    return str(UNKNOWN_INT) if annotation is int else UNKNOWN_STR


def _constrained(param: Any) -> bool:
    """A path parameter with a fixed vocabulary or a pattern: an unknown value may be a 422 instead."""
    annotation = param.field_info.annotation
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return True
    if typing.get_origin(annotation) is typing.Literal:
        return True
    return any(getattr(item, "pattern", None) for item in param.field_info.metadata)


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{([^}:]+)(?::[^}]*)?\}", lambda m: values.get(m.group(1), UNKNOWN_STR), path)


def _send(client: httpx.Client, api: ApiRoute, path: str, **params: Any) -> httpx.Response:
    if api.has_body:
        return client.request(api.method, path, params=params, json={})
    return client.request(api.method, path, params=params)


def _token(console: Console, scopes: list[str], name: str) -> str:
    _info, token = console.app.state.accounts.create_token("admin", name, scopes)
    return token


def _bearer_client(console: Console, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=console.base_url,
        headers={"Authorization": f"Bearer {token}"},
        follow_redirects=False,
        timeout=60,
    )


@pytest.fixture(scope="module")
def admin_api(populated: Console) -> Iterator[httpx.Client]:
    with _bearer_client(populated, _token(populated, ["read", "act", "admin"], "contract-admin")) as client:
        yield client


def test_every_api_route_refuses_anonymous_and_unknown_tokens_with_a_bearer_challenge(
    populated: Console,
) -> None:
    failures = []
    with (
        httpx.Client(base_url=populated.base_url, follow_redirects=False, timeout=60) as anonymous,
        _bearer_client(populated, "aiw_unknown_token_for_the_contract_test") as forged,
    ):
        for api in api_routes(populated):
            path = _fill(api.path, {p.name: _unknown(p) for p in api.path_params})
            for client in (anonymous, forged):
                response = _send(client, api, path)
                if response.status_code != 401 or response.headers.get("www-authenticate") != "Bearer":
                    failures.append(
                        f"{api}: {response.status_code} {response.headers.get('www-authenticate')}"
                    )
                elif "detail" not in response.json():
                    failures.append(f"{api}: 401 without a detail message")
    assert not failures, "\n".join(failures)


def test_tokens_with_too_low_a_scope_are_refused(populated: Console) -> None:
    tokens = {
        role: _token(populated, [SCOPE_FOR[role]], f"contract-{role.label}")
        for role in (Role.VIEWER, Role.ANALYST)
    }
    failures = []
    checked = 0
    for api in api_routes(populated):
        path = _fill(api.path, {p.name: _unknown(p) for p in api.path_params})
        for role, token in tokens.items():
            if role >= api.minimum:
                continue
            with _bearer_client(populated, token) as client:
                response = _send(client, api, path)
            checked += 1
            if response.status_code != 403:
                failures.append(f"{api} with scope {SCOPE_FOR[role]}: {response.status_code}")
    assert checked >= 5 and not failures, "\n".join(failures)


def _known_values(client: httpx.Client, api: ApiRoute) -> dict[str, str] | None:
    """Real values for a list route's path parameters, read from the parent collection (``/api/x`` for
    ``/api/x/{x_id}/…``); None when the collection is empty or names no matching field."""
    values: dict[str, str] = {}
    for param in api.path_params:
        collection = _fill(api.path.split("/{" + param.name)[0], values)
        listing = client.get(collection, params={"limit": 1})
        if listing.status_code != 200:
            return None
        body = listing.json()
        items = body.get("items") if isinstance(body, dict) else body
        if not items:
            return None
        first = items[0]
        for key in (param.name, "id", param.name.removesuffix("_id"), "name"):
            if isinstance(first.get(key), str | int):
                values[param.name] = str(first[key])
                break
        else:
            return None
    return values


def _validation_names(response: httpx.Response) -> set[str]:
    detail = response.json().get("detail")
    if isinstance(detail, list):
        return {str(error.get("loc", [None])[-1]) for error in detail if isinstance(error, dict)}
    return set()


def test_list_routes_validate_paging_and_return_stable_pages(
    populated: Console, admin_api: httpx.Client
) -> None:
    failures = []
    checked = []
    for api in api_routes(populated):
        if not api.is_list:
            continue
        values = _known_values(admin_api, api) if api.path_params else {}
        if values is None:
            continue  # a sub-collection of an empty (or unlinkable) parent: its 404 is checked below
        path = _fill(api.path, values)
        checked.append(str(api))
        for bad in ({"limit": 0}, {"offset": -1}, {"limit": "many"}, {"limit": 100_000}):
            response = admin_api.get(path, params=bad)
            if response.status_code != 422 or not _validation_names(response) & set(bad):
                failures.append(f"{api} {bad}: {response.status_code} (expected 422 naming the parameter)")
        first = admin_api.get(path, params={"limit": 2, "offset": 0})
        if first.status_code != 200:
            failures.append(f"{api}: {first.status_code} {first.text[:200]}")
            continue
        page = first.json()
        if not isinstance(page, dict) or not {"items", "total", "limit", "offset"} <= set(page):
            failures.append(f"{api}: not an {{items, total, limit, offset}} page: {str(page)[:200]}")
            continue
        items, total = page["items"], page["total"]
        if not (
            isinstance(items, list) and isinstance(total, int) and page["limit"] == 2 and page["offset"] == 0
        ):
            failures.append(f"{api}: page fields wrong: total={total!r} limit={page['limit']!r}")
            continue
        if len(items) != min(2, total):
            failures.append(f"{api}: {len(items)} items for limit 2 of total {total}")
        # Paging by one walks the same records in the same order (a stable sort with a tie-breaker).
        walked = [
            admin_api.get(path, params={"limit": 1, "offset": i}).json()["items"] for i in range(len(items))
        ]
        if [json.dumps(one, sort_keys=True) for page_items in walked for one in page_items] != [
            json.dumps(one, sort_keys=True) for one in items
        ]:
            failures.append(f"{api}: pages of one do not match a page of two (unstable order?)")
        beyond = admin_api.get(path, params={"limit": 5, "offset": total}).json()
        if beyond.get("items") != [] or beyond.get("total") != total:
            failures.append(f"{api}: offset=total should give no items and the same total")
    assert len(checked) >= 3, f"too few list routes checked: {checked}"
    assert not failures, "\n".join(failures)


def test_routes_with_a_path_parameter_answer_404_for_an_unknown_id(
    populated: Console, admin_api: httpx.Client
) -> None:
    failures = []
    checked = 0
    for api in api_routes(populated):
        if not api.path_params:
            continue
        path = _fill(api.path, {p.name: _unknown(p) for p in api.path_params})
        response = _send(admin_api, api, path)
        checked += 1
        if response.status_code == 404:
            if not isinstance(response.json().get("detail"), str):
                failures.append(f"{api}: 404 without a detail message")
            continue
        body_invalid = response.status_code == 422 and api.has_body and _validation_names(response)
        pattern_refused = response.status_code == 422 and any(_constrained(p) for p in api.path_params)
        if not (body_invalid or pattern_refused):  # a required body is validated before the lookup
            failures.append(f"{api}: {response.status_code} for an unknown id {response.text[:160]}")
    assert checked >= 5 and not failures, "\n".join(failures)


def test_bad_json_bodies_are_422_with_the_offending_field(
    admin_api: httpx.Client, populated: Console
) -> None:
    failures = []
    for api in api_routes(populated):
        if not api.has_body:
            continue
        path = _fill(api.path, {p.name: _unknown(p) for p in api.path_params})
        response = admin_api.request(
            api.method, path, content=b"{not json", headers={"Content-Type": "application/json"}
        )
        if response.status_code != 422 or not isinstance(response.json().get("detail"), list):
            failures.append(f"{api}: {response.status_code} for a malformed JSON body")
    assert not failures, "\n".join(failures)


def test_openapi_describes_every_api_route_and_nothing_else(
    populated: Console, admin_api: httpx.Client
) -> None:
    with httpx.Client(base_url=populated.base_url) as anonymous:
        assert anonymous.get("/api/openapi.json").status_code == 401
    response = admin_api.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    described = {(method.upper(), path) for path, methods in schema["paths"].items() for method in methods}
    routes = {(api.method, api.path) for api in api_routes(populated)}
    missing = sorted(routes - UNDESCRIBED - described)
    assert not missing, f"API routes missing from /api/openapi.json: {missing}"
    hidden = sorted(
        (api.method, api.path) for api in api_routes(populated) if not api.route.include_in_schema
    )
    assert set(hidden) <= UNDESCRIBED, f"API routes hidden from the description: {hidden}"
    assert all(path.startswith("/api/") for _method, path in described), (
        "pages leaked into the API description"
    )
    unsummarised = sorted(
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if not (operation.get("summary") or operation.get("description"))
    )
    assert not unsummarised, f"operations without a summary: {unsummarised}"
