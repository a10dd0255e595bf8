"""ComplianceClient over httpx.MockTransport: paging, retries, errors, redirects, bounds, secrecy."""

from __future__ import annotations

import hashlib
import json
import logging
import random

import httpx
import pytest
from chatgpt_fakes import KEY, WORKSPACE, WS_PATH, FakeApi, page

from aiwatch.sources.chatgpt import (
    AccessDenied,
    ContentTooLarge,
    EndpointUnsupported,
    FileExpired,
    InvalidRequest,
    KeyRejected,
    MalformedResponse,
    NetworkError,
    ObjectNotFound,
    RateLimited,
    RetryPolicy,
    ServerError,
    UnexpectedStatus,
    WorkspaceNotFound,
)


def users_page(*ids: str, has_more: bool = False) -> dict:
    return page(
        [{"id": i, "object": "compliance.workspace.user"} for i in ids], has_more=has_more, last_id=ids[-1]
    )


# --- paging -----------------------------------------------------------------------------------------------


def test_paging_continues_while_has_more_even_after_short_pages(fake_api: FakeApi) -> None:
    fake_api.on(
        "GET",
        f"{WS_PATH}/users",
        users_page("user-1", has_more=True),  # short page (limit 200): not the end
        users_page("user-2", "user-3", has_more=True),
        users_page("user-4", has_more=False),
    )
    with fake_api.client() as client:
        ids = [user.id for user in client.iter_users(limit=200)]
    assert ids == ["user-1", "user-2", "user-3", "user-4"]
    afters = [request.url.params.get("after") for request in fake_api.requests]
    assert afters == [None, "user-1", "user-3"]
    assert all(request.url.params.get("limit") == "200" for request in fake_api.requests)


def test_since_timestamp_only_on_first_page_and_users_repeat(fake_api: FakeApi) -> None:
    conversation = {"id": "c1", "messages": page([])}
    fake_api.on(
        "GET",
        f"{WS_PATH}/conversations",
        page([conversation], has_more=True, last_id="c1"),
        page([{**conversation, "id": "c2"}], has_more=False, last_id="c2"),
    )
    with fake_api.client() as client:
        ids = [
            c.id for c in client.iter_conversations(since_timestamp=1700000000.9, users=["user-a", "user-b"])
        ]
    assert ids == ["c1", "c2"]
    first, second = fake_api.requests
    assert first.url.params.get("since_timestamp") == "1700000000"
    assert "after" not in first.url.params
    assert "since_timestamp" not in second.url.params and second.url.params.get("after") == "c1"
    assert first.url.params.get_list("users") == ["user-a", "user-b"]
    assert first.url.params.get("file_format") == "id"


def test_conversation_filters_are_validated(fake_api: FakeApi) -> None:
    with fake_api.client() as client:
        with pytest.raises(ValueError):
            client.list_conversations(users=[f"user-{n}" for n in range(100)])
        with pytest.raises(TypeError):
            client.list_conversations(users="user-1")  # type: ignore[arg-type]
    assert fake_api.requests == []


def test_has_more_without_progress_is_malformed_not_an_endless_loop(fake_api: FakeApi) -> None:
    fake_api.on("GET", f"{WS_PATH}/gpts", page([{"id": "g-1"}], has_more=True, last_id=None))
    with fake_api.client() as client, pytest.raises(MalformedResponse):
        list(client.iter_gpts())


def test_canvas_versions_page_by_version_number(fake_api: FakeApi) -> None:
    path = f"{WS_PATH}/users/user-1/canvas/doc-1"

    def canvas(request: httpx.Request) -> httpx.Response:
        after = int(request.url.params.get("after", 0))
        versions = [{"version": after + 1, "content": f"v{after + 1}"}]
        body = {"textdoc_id": "doc-1", "version_contents": {"data": versions, "last_version": after + 1}}
        body["version_contents"]["has_more"] = after + 1 < 3
        return httpx.Response(200, json=body)

    fake_api.on("GET", path, canvas)
    with fake_api.client() as client:
        contents = [version.content for version in client.iter_canvas_versions("user-1", "doc-1")]
    assert contents == ["v1", "v2", "v3"]


def test_path_segments_are_escaped(fake_api: FakeApi) -> None:
    fake_api.on("GET", f"{WS_PATH}/gpts/g-../users", {"id": "g-x"})  # decoded form of the path
    with fake_api.client() as client:
        assert client.get_gpt("g-../users").id == "g-x"
    assert fake_api.requests[0].url.raw_path.decode().endswith("/gpts/g-..%2Fusers?file_format=id")


# --- retries ----------------------------------------------------------------------------------------------


def test_429_honours_retry_after_then_succeeds(fake_api: FakeApi) -> None:
    fake_api.on(
        "GET",
        f"{WS_PATH}/users",
        httpx.Response(429, headers={"Retry-After": "3"}, json={"detail": "slow down"}),
        httpx.Response(429, json={"detail": "slow down"}),
        users_page("user-1"),
    )
    with fake_api.client(rng=random.Random(1), retry_policy=RetryPolicy(base_delay=0.5)) as client:
        assert [u.id for u in client.list_users().data] == ["user-1"]
    assert fake_api.sleeps[0] == 3.0
    assert 0.0 <= fake_api.sleeps[1] <= 1.0  # no Retry-After: jittered backoff, second retry cap 1.0
    assert len(fake_api.requests) == 3


def test_5xx_and_resets_and_bad_json_are_retried(fake_api: FakeApi) -> None:
    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError("connection reset by peer", request=request)

    def timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    fake_api.on(
        "GET",
        f"{WS_PATH}/users",
        httpx.Response(503, text="upstream down"),
        reset,
        timeout,
        httpx.Response(200, content=b'{"object":"list","data":[{"id":"us'),  # truncated JSON
        httpx.Response(200, content=b"\xff\xfe\xfa not utf-8"),
        httpx.Response(200, content=b"[]"),  # valid JSON, wrong kind
        users_page("user-1"),
    )
    with fake_api.client(retry_policy=RetryPolicy(max_retries=6)) as client:
        assert client.list_users().data[0].id == "user-1"
    assert len(fake_api.requests) == 7 and len(fake_api.sleeps) == 6


def test_retries_are_bounded_and_raise_typed_errors(fake_api: FakeApi) -> None:
    fake_api.on("GET", f"{WS_PATH}/users", httpx.Response(429, headers={"Retry-After": "1"}))
    fake_api.on("GET", f"{WS_PATH}/gpts", httpx.Response(502, text="bad gateway"))
    fake_api.on("GET", f"{WS_PATH}/projects", httpx.Response(200, content=b"<html>proxy login</html>"))
    with fake_api.client(max_retries=2) as client:
        with pytest.raises(RateLimited) as rate_limited:
            client.list_users()
        assert rate_limited.value.retry_after == 1.0 and rate_limited.value.status == 429
        with pytest.raises(ServerError) as server_error:
            client.list_gpts()
        assert server_error.value.status == 502 and server_error.value.body == "bad gateway"
        with pytest.raises(MalformedResponse):
            client.list_projects()
    assert fake_api.paths().count(f"{WS_PATH}/users") == 3
    assert fake_api.paths().count(f"{WS_PATH}/gpts") == 3
    assert fake_api.paths().count(f"{WS_PATH}/projects") == 3


def test_shape_errors_are_not_retried(fake_api: FakeApi) -> None:
    fake_api.on("GET", f"{WS_PATH}/users", {"object": "list", "data": "nope", "has_more": False})
    with fake_api.client() as client, pytest.raises(MalformedResponse) as error:
        client.list_users()
    assert "data" in str(error.value)
    assert len(fake_api.requests) == 1


# --- error statuses ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (401, KeyRejected),
        (403, AccessDenied),
        (404, WorkspaceNotFound),
        (422, InvalidRequest),
        (418, UnexpectedStatus),
    ],
)
def test_statuses_map_to_typed_errors_without_retry(fake_api: FakeApi, status: int, error_type: type) -> None:
    fake_api.on("GET", f"{WS_PATH}/users", httpx.Response(status, json={"detail": "nope"}))
    with fake_api.client() as client, pytest.raises(error_type) as error:
        client.list_users()
    assert error.value.status == status
    assert error.value.admin_action
    assert len(fake_api.requests) == 1 and fake_api.sleeps == []


def test_invalid_request_shows_the_api_message(fake_api: FakeApi) -> None:
    detail = "event_type AUTH_LOG is workspace-scoped: use /compliance/workspaces/{id}/logs"
    fake_api.on(
        "GET", "/v1/compliance/organizations/org-abc/logs", httpx.Response(422, json={"detail": detail})
    )
    with fake_api.client() as client, pytest.raises(InvalidRequest) as error:
        client.list_log_files("org-abc", "AUTH_LOG", "2025-01-01T00:00:00Z")
    assert error.value.api_message == detail
    assert detail in str(error.value)


def test_object_404_is_object_not_found_when_workspace_exists(fake_api: FakeApi) -> None:
    fake_api.on("GET", f"{WS_PATH}/users", users_page("user-1"))
    with fake_api.client() as client:
        with pytest.raises(ObjectNotFound):
            client.get_gpt("g-gone")
        with pytest.raises(EndpointUnsupported):
            client.list_codex_tasks()
    probes = fake_api.paths().count(f"{WS_PATH}/users")
    assert probes == 1  # the workspace is probed once, then remembered


def test_object_404_is_workspace_not_found_when_workspace_is_unknown(fake_api: FakeApi) -> None:
    with fake_api.client() as client, pytest.raises(WorkspaceNotFound):
        client.get_project("g-p-1")


def test_delete_returns_deletion_response_and_403_is_access_denied(fake_api: FakeApi) -> None:
    fake_api.on(
        "DELETE", f"{WS_PATH}/conversations/c1", {"deleted": True, "object": "conversation", "id": "c1"}
    )
    fake_api.on(
        "DELETE", f"{WS_PATH}/gpts/g-1/shared_users", httpx.Response(403, json={"detail": "no delete"})
    )
    with fake_api.client() as client:
        result = client.delete_conversation("c1")
        assert result.deleted and result.id == "c1"
        with pytest.raises(AccessDenied):
            client.isolate_gpt("g-1")


# --- downloads --------------------------------------------------------------------------------------------


def test_file_redirect_is_followed_without_authorization(fake_api: FakeApi) -> None:
    fake_api.on(
        "GET",
        f"{WS_PATH}/users/user-1/files/file-1",
        httpx.Response(307, headers={"Location": "https://files.other.test/blob/file-1?sig=abc"}),
    )
    fake_api.on("GET", "/blob/file-1", httpx.Response(200, content=b"%PDF-1.4 data"))
    with fake_api.client() as client:
        data = client.download_user_file("user-1", "file-1", conversation_id="c1")
    assert data == b"%PDF-1.4 data"
    api_request, blob_request = fake_api.requests
    assert api_request.headers["Authorization"] == f"Bearer {KEY}"
    assert api_request.url.params.get("conversation_id") == "c1"
    assert blob_request.url.host == "files.other.test"
    assert "Authorization" not in blob_request.headers
    assert blob_request.url.params.get("sig") == "abc"


def test_410_is_file_expired_without_retry(fake_api: FakeApi) -> None:
    fake_api.on("GET", f"{WS_PATH}/gpt_files/file-old", httpx.Response(410, json={"detail": "expired"}))
    with fake_api.client() as client, pytest.raises(FileExpired):
        client.download_gpt_file("file-old")
    assert len(fake_api.requests) == 1


def test_expired_signed_url_asks_for_a_fresh_one(fake_api: FakeApi) -> None:
    fake_api.on(
        "GET",
        f"{WS_PATH}/project_files/file-2",
        httpx.Response(307, headers={"Location": "https://files.test/old"}),
        httpx.Response(307, headers={"Location": "https://files.test/new"}),
    )
    fake_api.on("GET", "/old", httpx.Response(403, text="Request has expired"))
    fake_api.on("GET", "/new", httpx.Response(200, content=b"fresh"))
    with fake_api.client() as client:
        assert client.download_project_file("file-2") == b"fresh"
    assert fake_api.paths() == [
        f"{WS_PATH}/project_files/file-2",
        "/old",
        f"{WS_PATH}/project_files/file-2",
        "/new",
    ]


def test_signed_url_that_stays_refused_is_file_expired(fake_api: FakeApi) -> None:
    fake_api.on(
        "GET", f"{WS_PATH}/gpt_files/f", httpx.Response(307, headers={"Location": "https://files.test/x"})
    )
    fake_api.on("GET", "/x", httpx.Response(404, text="NoSuchKey"))
    with fake_api.client(max_retries=1) as client, pytest.raises(FileExpired):
        client.download_gpt_file("f")


def test_downloads_and_json_bodies_are_bounded(fake_api: FakeApi) -> None:
    fake_api.on("GET", f"{WS_PATH}/gpt_files/big", httpx.Response(200, content=b"x" * 5000))
    fake_api.on("GET", f"{WS_PATH}/users", httpx.Response(200, content=b" " * 5000 + b"{}"))
    with fake_api.client(max_download_bytes=4096, max_response_bytes=4096) as client:
        with pytest.raises(ContentTooLarge):
            client.download_gpt_file("big")
        with pytest.raises(ContentTooLarge):
            client.list_users()


def test_too_many_redirects(fake_api: FakeApi) -> None:
    fake_api.on(
        "GET", f"{WS_PATH}/gpt_files/loop", httpx.Response(307, headers={"Location": "https://f.test/a"})
    )
    fake_api.on("GET", "/a", httpx.Response(302, headers={"Location": "/a"}))
    with fake_api.client(max_retries=0) as client, pytest.raises(MalformedResponse):
        client.download_gpt_file("loop")


# --- log feed ---------------------------------------------------------------------------------------------


def _jsonl(*events: dict | str) -> bytes:
    return "".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in events).encode()


def test_log_file_listing_and_download_with_sha_check(
    fake_api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    body = _jsonl(
        {"event_id": "e1", "type": "AUTH_LOG", "action_data": {"action": "login_success"}},
        "{not json",
        {"event_id": "e2", "type": "FUTURE_LOG", "x": 1},
    )
    listing = {
        "data": [
            {
                "id": "eclf_1",
                "event_type": "AUTH_LOG",
                "end_time": "2025-01-01T01:00:00Z",
                "file_sha256": hashlib.sha256(body).hexdigest(),
                "file_size": len(body),
            }
        ],
        "has_more": False,
        "last_end_time": "2025-01-01T01:00:00Z",
    }
    fake_api.on("GET", f"{WS_PATH}/logs", listing)
    fake_api.on(
        "GET", f"{WS_PATH}/logs/eclf_1", httpx.Response(307, headers={"Location": "https://logs.test/f1"})
    )
    fake_api.on("GET", "/f1", httpx.Response(200, content=body[:20]), httpx.Response(200, content=body))
    with fake_api.client() as client:
        files = client.list_log_files(WORKSPACE, "AUTH_LOG", "2025-01-01T00:00:00Z")
        with caplog.at_level(logging.WARNING):
            events = list(client.download_log_file(WORKSPACE, files.data[0]))
    assert [event.event_id for event in events] == ["e1", "e2"]
    assert "line 2" in caplog.text
    assert fake_api.paths().count("/f1") == 2  # the truncated transfer (sha mismatch) was retried
    list_request = fake_api.requests[0]
    assert list_request.url.params.get("event_type") == "AUTH_LOG"
    assert list_request.url.params.get("limit") == "100"
    assert all("Authorization" not in r.headers for r in fake_api.requests if r.url.host == "logs.test")


def test_log_download_without_sha_retries_a_truncated_last_line(fake_api: FakeApi) -> None:
    full = _jsonl({"event_id": "e1", "type": "AUDIT_LOG"}, {"event_id": "e2", "type": "AUDIT_LOG"})
    fake_api.on(
        "GET",
        "/v1/compliance/organizations/org-x/logs/eclf_9",
        httpx.Response(200, content=full[:-10]),
        httpx.Response(200, content=full),
    )
    with fake_api.client() as client:
        events = list(client.download_log_file("org-x", "eclf_9"))
    assert [event.event_id for event in events] == ["e1", "e2"]


def test_iter_log_files_skips_the_repeated_boundary_file(fake_api: FakeApi) -> None:
    def file(n: int) -> dict:
        return {"id": f"eclf_{n}", "event_type": "AUDIT_LOG", "end_time": f"2025-01-0{n}T00:00:00Z"}

    fake_api.on(
        "GET",
        f"{WS_PATH}/logs",
        {"data": [file(1), file(2)], "has_more": True, "last_end_time": file(2)["end_time"]},
        {"data": [file(2), file(3)], "has_more": True, "last_end_time": file(3)["end_time"]},
        {"data": [], "has_more": False, "last_end_time": None},
    )
    with fake_api.client() as client:
        ids = [f.id for f in client.iter_log_files(WORKSPACE, "AUDIT_LOG", "2024-12-31T00:00:00+00:00")]
    assert ids == ["eclf_1", "eclf_2", "eclf_3"]
    afters = [r.url.params.get("after") for r in fake_api.requests]
    assert afters == ["2024-12-31T00:00:00+00:00", "2025-01-02T00:00:00Z", "2025-01-03T00:00:00Z"]


def test_log_listing_requires_valid_parameters(fake_api: FakeApi) -> None:
    with fake_api.client() as client:
        with pytest.raises(ValueError):
            client.list_log_files(WORKSPACE, "", "2025-01-01T00:00:00Z")
        with pytest.raises(ValueError):
            client.list_log_files(WORKSPACE, "AUTH_LOG", "last tuesday")
    assert fake_api.requests == []


# --- network and secrecy ----------------------------------------------------------------------------------


def test_connection_refused_on_a_closed_port_is_a_connect_network_error() -> None:
    import socket

    from aiwatch.sources.chatgpt import ComplianceClient

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sleeps: list[float] = []
    with (
        ComplianceClient(
            f"http://127.0.0.1:{port}/v1", KEY, WORKSPACE, max_retries=1, sleep=sleeps.append
        ) as client,
        pytest.raises(NetworkError) as error,
    ):
        client.list_users()
    assert error.value.kind == "connect" and len(sleeps) == 1


@pytest.mark.parametrize(
    ("exception", "kind"),
    [
        (httpx.ConnectError("[Errno -2] Name or service not known"), "dns"),
        (httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"), "tls"),
        (httpx.ConnectTimeout("timed out"), "timeout"),
        (httpx.RemoteProtocolError("peer closed connection without sending complete message body"), "reset"),
    ],
)
def test_network_failures_are_classified(fake_api: FakeApi, exception: Exception, kind: str) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise exception

    fake_api.on("GET", f"{WS_PATH}/users", fail)
    with fake_api.client(max_retries=1) as client, pytest.raises(NetworkError) as error:
        client.list_users()
    assert error.value.kind == kind
    expected_attempts = 1 if kind in ("dns", "tls") else 2  # configuration problems are not retried
    assert len(fake_api.requests) == expected_attempts


def test_key_never_in_repr_errors_or_logs(fake_api: FakeApi, caplog: pytest.LogCaptureFixture) -> None:
    fake_api.on("GET", f"{WS_PATH}/users", httpx.Response(401, json={"detail": f"bad key {KEY}"}))
    fake_api.on("GET", f"{WS_PATH}/gpts", httpx.Response(500), {"data": [], "has_more": False})
    with caplog.at_level(logging.DEBUG), fake_api.client() as client:
        assert KEY not in repr(client) and client.key_hint.endswith("9876")
        with pytest.raises(KeyRejected) as error:
            client.list_users()
        client.list_gpts()
    assert (
        KEY not in str(error.value) and KEY not in (error.value.body or "") and KEY not in repr(error.value)
    )
    assert "9876" in (error.value.body or "")
    assert KEY not in caplog.text
    assert f"{WS_PATH.removeprefix('/v1')}/users" in caplog.text and "401" in caplog.text


def test_constructor_rejects_unusable_inputs() -> None:
    from aiwatch.sources.chatgpt import ComplianceClient

    with pytest.raises(ValueError):
        ComplianceClient("ftp://x", KEY, WORKSPACE)
    with pytest.raises(ValueError):
        ComplianceClient("https://x/v1", "", WORKSPACE)
    with pytest.raises(ValueError):
        ComplianceClient("https://x/v1", "sk-proj-ключ", WORKSPACE)
    with pytest.raises(ValueError):
        ComplianceClient("https://x/v1", KEY, " ")


def test_redirect_to_a_non_http_scheme_is_refused(fake_api: FakeApi) -> None:
    fake_api.on(
        "GET", f"{WS_PATH}/gpt_files/f", httpx.Response(307, headers={"Location": "file:///etc/passwd"})
    )
    with fake_api.client() as client, pytest.raises(MalformedResponse):
        client.download_gpt_file("f")
    assert len(fake_api.requests) == 1


def test_signed_url_signatures_never_reach_the_logs(
    fake_api: FakeApi, caplog: pytest.LogCaptureFixture
) -> None:
    fake_api.on(
        "GET",
        f"{WS_PATH}/gpt_files/f",
        httpx.Response(307, headers={"Location": "https://files.test/blob?signature=TOPSECRETSIG"}),
    )
    fake_api.on("GET", "/blob", httpx.Response(200, content=b"data"))
    with caplog.at_level(logging.DEBUG), fake_api.client() as client:
        assert client.download_gpt_file("f") == b"data"
    assert "files.test/blob" in caplog.text  # httpx did log the request ...
    assert "TOPSECRETSIG" not in caplog.text  # ... without its query string


def test_lone_surrogates_become_replacement_characters(fake_api: FakeApi) -> None:
    escaped = b'{"id": "c1", "title": "bad \\ud800 end \\ud83d\\ude00", "messages": {"data": []}}'
    encoded = b'{"id": "c2", "title": "raw ' + b"\xed\xa0\x80" + ' \U0001f600"}'.encode()
    fake_api.on(
        "GET",
        f"{WS_PATH}/gpts/g-1",
        httpx.Response(200, content=b'{"id": "g-1", "builder_name": "x\\udfff"}'),
    )
    with fake_api.client() as client:
        gpt = client.get_gpt("g-1")
    assert gpt.builder_name == "x\ufffd" and gpt.raw["builder_name"] == "x\ufffd"
    from aiwatch.sources.chatgpt.jsontext import loads_clean

    assert loads_clean(escaped)["title"] == "bad \ufffd end \U0001f600"
    assert loads_clean(encoded)["title"] == "raw \ufffd \U0001f600"
    assert loads_clean(b'{"plain": "text"}') == {"plain": "text"}


def test_empty_and_error_bodies_with_invalid_utf8(fake_api: FakeApi) -> None:
    fake_api.on("GET", f"{WS_PATH}/users", httpx.Response(200, content=b""))
    fake_api.on("GET", f"{WS_PATH}/gpts", httpx.Response(401, content=b"\xff\xfe denied \xc3"))
    with fake_api.client(max_retries=1) as client:
        with pytest.raises(MalformedResponse):
            client.list_users()
        with pytest.raises(KeyRejected) as error:
            client.list_gpts()
    assert error.value.body is not None and "denied" in error.value.body and "\ufffd" in error.value.body
    assert error.value.api_message is None
