"""ComplianceClient and Test Credentials over real HTTP against the emulator: every endpoint, every error
status,
every fault profile."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from aiwatch.emulator.server import EmulatorConfig, EmulatorServer
from aiwatch.sources.chatgpt import (
    AccessDenied,
    ComplianceClient,
    ConversationMessageEvent,
    EndpointUnsupported,
    FileExpired,
    InvalidRequest,
    KeyRejected,
    LogEvent,
    ObjectNotFound,
    RateLimited,
    RetryPolicy,
    WorkspaceNotFound,
    dedupe_events,
)
from aiwatch.sources.chatgpt.checks import CheckStatus, run_credential_checks

NOW = 1_750_000_000.0
BACKFILL_START = datetime.fromtimestamp(NOW, UTC) - timedelta(days=31)
READ_ONLY_KEY = "sk-proj-READONLYreadonlyREADONLYreadonly0001"
NO_SCOPE_KEY = "sk-comp-NOSCOPEnoscopeNOSCOPEnoscope00002"
REMOVED = "(Removed by your admin)"


def base_config(**overrides: object) -> EmulatorConfig:
    options: dict[str, object] = {
        "seed": 6,
        "users": 5,
        "days": 3,
        "conversations_per_user": 3,
        "now": NOW,
        "rate_limit_scale": 0,
        "extra_keys": {READ_ONLY_KEY: ("read",), NO_SCOPE_KEY: ()},
    }
    options.update(overrides)
    return EmulatorConfig(**options)  # type: ignore[arg-type]


def make_client(emu: EmulatorServer, *, api_key: str | None = None, **options: object) -> ComplianceClient:
    options.setdefault("rate_limits", None)
    return ComplianceClient(emu.base_url, api_key or emu.api_key, emu.workspace_id, **options)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    with EmulatorServer(base_config()) as emu:
        yield emu


@pytest.fixture
def client(emulator: EmulatorServer) -> Iterator[ComplianceClient]:
    with make_client(emulator) as compliance_client:
        yield compliance_client


# --- every read endpoint against the ground truth ---------------------------------------------------------


def test_users_and_conversations_match_ground_truth(
    emulator: EmulatorServer, client: ComplianceClient
) -> None:
    truth = emulator.workspace
    users = list(client.iter_users(limit=2))
    assert {user.id: user.role for user in users} == {user.id: user.role for user in truth.users.values()}

    conversations = list(client.iter_conversations(limit=4))
    assert sorted(c.id for c in conversations) == sorted(truth.conversations)
    for conversation in conversations:
        expected = truth.conversations[conversation.id]
        assert conversation.user_id == expected.user_id
        got = {m.id: (m.parent_id, m.role, m.text) for m in conversation.messages.data}
        assert got == {m.id: (m.parent_id, m.role, m.text) for m in expected.messages}


def test_since_timestamp_filters_the_first_page_only(
    emulator: EmulatorServer, client: ComplianceClient
) -> None:
    stamps = sorted(c.updated_at for c in emulator.workspace.conversations.values())
    since = stamps[len(stamps) // 2]
    expected = {c.id for c in emulator.workspace.conversations.values() if c.updated_at >= math.floor(since)}
    got = [c.id for c in client.iter_conversations(since_timestamp=since, limit=2)]
    assert set(got) == expected and len(got) == len(expected)
    assert len(expected) < len(stamps)  # the filter really filtered


def test_gpts_and_projects_with_configs_shares_and_files(
    emulator: EmulatorServer, client: ComplianceClient
) -> None:
    truth = emulator.workspace
    for listing, getter, configs, shared, download, agents in (
        (client.iter_gpts, client.get_gpt, client.iter_gpt_configs, client.iter_gpt_shared_users,
         client.download_gpt_file, truth.gpts),
        (client.iter_projects, client.get_project, client.iter_project_configs,
         client.iter_project_shared_users, client.download_project_file, truth.projects),
    ):  # fmt: skip
        listed = list(listing(limit=2))
        assert sorted(agent.id for agent in listed) == sorted(agents)
        for agent in listed:
            expected = agents[agent.id]
            single = getter(agent.id)
            assert single.sharing is not None and single.sharing.visibility == expected.visibility
            config_ids = [config.id for config in configs(agent.id, limit=1)]
            assert config_ids == [config.id for config in reversed(expected.configs)]  # newest first
            shared_ids = sorted(user.id for user in shared(agent.id))
            assert shared_ids == sorted(recipient.user_id for recipient in expected.recipients)
        with_files = [a for a in listed if a.config and a.config.files.data]
        assert with_files, "the seeded workspace has knowledge files"
        file_id = with_files[0].config.files.data[0].id  # type: ignore[union-attr]
        assert download(file_id) == truth.file_bytes(file_id)


def test_memories_and_canvases(emulator: EmulatorServer, client: ComplianceClient) -> None:
    truth = emulator.workspace
    memories = {memory.id: memory for memory in client.iter_memories(limit=2)}
    expected_users = {user_id for user_id, contexts in truth.memories.items() if contexts}
    assert set(memories) == expected_users
    for user_id, memory in memories.items():
        got = {(ctx.id, entry.id) for ctx in memory.memory_contexts for entry in ctx.memory_entries}
        assert got == {(ctx.id, entry.id) for ctx in truth.memories[user_id] for entry in ctx.entries}
        assert client.list_user_memories(user_id).data[0].id == user_id

    canvas_owners = {canvas.user_id for canvas in truth.canvases.values()}
    assert canvas_owners, "the seeded workspace has canvases"
    for user_id in canvas_owners:
        listed = [canvas.id for canvas in client.iter_canvases(user_id, limit=1)]
        assert sorted(listed) == sorted(c.id for c in truth.canvases.values() if c.user_id == user_id)
        for canvas_id in listed:
            versions = list(client.iter_canvas_versions(user_id, canvas_id))
            assert [v.content for v in versions] == [v.content for v in truth.canvases[canvas_id].versions]
            assert all(v.updated_at_datetime is not None for v in versions)


def test_later_paths_return_raw_pages(emulator: EmulatorServer, client: ComplianceClient) -> None:
    truth = emulator.workspace
    assert [t["id"] for t in client.list_codex_tasks(limit=1000).data] == [t["id"] for t in truth.codex_tasks]
    environments = client.list_codex_environments(limit=1000).data
    assert sorted(e["id"] for e in environments) == sorted(e["id"] for e in truth.codex_environments)
    for user_id, automations in truth.automations.items():
        listed = client.list_user_automations(user_id, limit=1000).data
        assert sorted(a["id"] for a in listed) == sorted(a["id"] for a in automations)
    recordings = client.list_recordings(limit=1000).data
    assert sorted(r["id"] for r in recordings) == sorted(r["id"] for r in truth.recordings)
    if recordings:
        first = recordings[0]
        transcript = client.get_recording_transcript(first["user_id"], first["id"])
        assert transcript["text"] == next(r for r in truth.recordings if r["id"] == first["id"])["transcript"]
    with pytest.raises(ObjectNotFound):
        client.get_recording_transcript(first["user_id"], "rec_missing")


def test_user_files_download_and_expiry(emulator: EmulatorServer, client: ComplianceClient) -> None:
    user_files = [f for f in emulator.workspace.files.values() if f.kind == "user" and not f.deleted]
    fresh = [f for f in user_files if not f.expired(NOW)]
    expired = [f for f in user_files if f.expired(NOW)]
    assert fresh and expired, "the seeded workspace has fresh and expired chat uploads"
    target = fresh[0]
    data = client.download_user_file(target.owner_id, target.id, conversation_id=target.conversation_id)
    assert data == emulator.workspace.file_bytes(target.id)
    with pytest.raises(FileExpired) as error:
        client.download_user_file(expired[0].owner_id, expired[0].id)
    assert error.value.status == 410
    with pytest.raises(ObjectNotFound):
        client.download_user_file(target.owner_id, "file-doesnotexist")


def test_log_feed_every_event_type_once(emulator: EmulatorServer, client: ComplianceClient) -> None:
    from aiwatch.emulator.logfeed import ORGANIZATION_EVENT_TYPES, WORKSPACE_EVENT_TYPES

    truth = emulator.workspace
    for principal, event_types in (
        (emulator.workspace_id, WORKSPACE_EVENT_TYPES),
        (emulator.platform_org_id, ORGANIZATION_EVENT_TYPES),
    ):
        for event_type in event_types:
            seen: set[str] = set()
            events: list[LogEvent] = []
            for log_file in client.iter_log_files(principal, event_type, BACKFILL_START, limit=2):
                events.extend(dedupe_events(client.download_log_file(principal, log_file), seen))
            expected = [event["event_id"] for event in truth.log_events(event_type)]
            assert sorted(e.event_id or "" for e in events) == sorted(expected), event_type
            assert all(e.type == event_type for e in events)
    messages = {m.id: m for _, m in truth.iter_messages()}
    message_events = [
        e
        for log_file in client.iter_log_files(emulator.workspace_id, "CONVERSATION_MESSAGE", BACKFILL_START)
        for e in client.download_log_file(emulator.workspace_id, log_file)
    ]
    assert message_events and all(isinstance(e, ConversationMessageEvent) for e in message_events)
    for event in message_events:
        assert event.message is not None and event.message.id in messages
        assert event.message.content is not None
        assert event.message.content.value == messages[event.message.id].text
    assistant = [
        e for e in message_events if e.message and e.message.author and e.message.author.type == "assistant"
    ]
    assert assistant and all(e.message.author.model for e in assistant)  # type: ignore[union-attr]


def test_empty_log_page_has_no_cursor(emulator: EmulatorServer, client: ComplianceClient) -> None:
    future = datetime.fromtimestamp(NOW, UTC) + timedelta(days=1)
    listing = client.list_log_files(emulator.workspace_id, "AUTH_LOG", future)
    assert listing.data == [] and listing.has_more is False and listing.last_end_time is None


# --- error statuses ---------------------------------------------------------------------------------------


def test_error_statuses(emulator: EmulatorServer, client: ComplianceClient) -> None:
    with make_client(emulator, api_key="sk-proj-WRONGwrongWRONGwrongWRONGwrong0000") as wrong_key:
        with pytest.raises(KeyRejected) as rejected:
            wrong_key.list_users()
        assert rejected.value.status == 401
    with ComplianceClient(emulator.base_url, emulator.api_key, str(uuid.uuid4()), rate_limits=None) as other:
        with pytest.raises(WorkspaceNotFound):
            other.list_users()
        with pytest.raises(WorkspaceNotFound):
            other.get_gpt("g-anything")  # an object 404 is told apart by probing the workspace
    with make_client(emulator, api_key=READ_ONLY_KEY) as read_only:
        assert read_only.list_users(limit=1).data
        conversation_id = next(iter(emulator.workspace.conversations))
        with pytest.raises(AccessDenied) as denied:
            read_only.delete_conversation(conversation_id)
        assert denied.value.status == 403 and "read and delete" in denied.value.admin_action
    assert not emulator.workspace.conversations[conversation_id].deleted
    with pytest.raises(ObjectNotFound):
        client.get_gpt("g-doesnotexist")
    with pytest.raises(EndpointUnsupported):
        client._list_raw(client._ws("/no_such_collection"), "GET /no_such_collection", None, None)
    with pytest.raises(InvalidRequest) as bad_type:
        client.list_log_files(emulator.workspace_id, "NOT_A_TYPE", BACKFILL_START)
    assert bad_type.value.status == 422 and "NOT_A_TYPE" in (bad_type.value.api_message or "")
    with pytest.raises(InvalidRequest) as wrong_scope:
        client.list_log_files(emulator.platform_org_id, "AUTH_LOG", BACKFILL_START)
    assert "/compliance/workspaces/" in (wrong_scope.value.api_message or "")


# --- deletes change later reads ---------------------------------------------------------------------------


def test_deletes_change_later_reads() -> None:
    with EmulatorServer(base_config(seed=5)) as emu, make_client(emu) as client:
        truth = emu.workspace
        conversation_id = next(iter(truth.conversations))
        result = client.delete_conversation(conversation_id)
        assert result.deleted and result.id == conversation_id
        removed = next(c for c in client.iter_conversations() if c.id == conversation_id)
        assert all(m.text == REMOVED for m in removed.messages.data)

        gpt = next(g for g in truth.gpts.values() if g.recipients or g.visibility != "invite-only")
        assert client.isolate_gpt(gpt.id).deleted
        isolated = client.get_gpt(gpt.id)
        assert isolated.sharing is not None and isolated.sharing.visibility == "invite-only"
        assert isolated.sharing.recipients == [] and list(client.iter_gpt_shared_users(gpt.id)) == []

        gpt_with_file = next(g for g in truth.gpts.values() if g.configs[-1].file_ids)
        file_id = gpt_with_file.configs[-1].file_ids[0]
        assert client.delete_gpt_file(gpt_with_file.id, file_id).deleted
        with pytest.raises(ObjectNotFound):
            client.download_gpt_file(file_id)

        project = next(iter(truth.projects.values()))
        assert client.isolate_project(project.id).deleted
        assert list(client.iter_project_shared_users(project.id)) == []
        if project.configs[-1].file_ids:
            project_file = project.configs[-1].file_ids[0]
            assert client.delete_project_file(project.id, project_file).deleted
            with pytest.raises(ObjectNotFound):
                client.download_project_file(project_file)
        assert client.delete_project(project.id).deleted
        assert project.id not in {p.id for p in client.iter_projects()}
        assert client.delete_gpt(gpt.id).deleted
        assert gpt.id not in {g.id for g in client.iter_gpts()}

        user_id, contexts = next((u, c) for u, c in truth.memories.items() if c and c[0].entries)
        entry = contexts[0].entries[0]
        assert client.delete_memory_entry(user_id, contexts[0].id, entry.id).deleted
        remaining = client.list_user_memories(user_id).data
        assert entry.id not in {
            e.id for m in remaining for ctx in m.memory_contexts for e in ctx.memory_entries
        }

        canvas = next(iter(truth.canvases.values()))
        assert client.delete_canvas(canvas.user_id, canvas.id).deleted
        assert canvas.id not in {c.id for c in client.iter_canvases(canvas.user_id)}

        upload = next(f for f in truth.files.values() if f.kind == "user" and not f.expired(NOW))
        assert client.delete_user_file(upload.owner_id, upload.id, upload.conversation_id).deleted
        with pytest.raises(ObjectNotFound):
            client.download_user_file(upload.owner_id, upload.id)


# --- faults: a retrying client still reads everything -----------------------------------------------------


@pytest.mark.parametrize(
    "profile", ["429-storm", "5xx-burst", "slow", "reset", "truncated-json", "duplicates", "expired-urls"]
)
def test_fault_profiles_still_read_everything(profile: str) -> None:
    sleeps: list[float] = []
    config = base_config(seed=3, faults=(profile,), fault_rate=0.3, slow_seconds=0.05)
    policy = RetryPolicy(max_retries=10, base_delay=0.01, max_delay=0.05)
    with EmulatorServer(config) as emu, make_client(emu, retry_policy=policy, sleep=sleeps.append) as client:
        truth = emu.workspace
        assert {u.id for u in client.iter_users(limit=2)} == set(truth.users)
        conversations = list(client.iter_conversations(limit=3))
        assert {c.id for c in conversations} == set(truth.conversations)
        assert {g.id for g in client.iter_gpts(limit=2)} == set(truth.gpts)
        knowledge = next(f for f in truth.files.values() if f.kind == "gpt" and not f.deleted)
        assert client.download_gpt_file(knowledge.id) == truth.file_bytes(knowledge.id)
        seen: set[str] = set()
        events = [
            event
            for log_file in client.iter_log_files(emu.workspace_id, "AUDIT_LOG", BACKFILL_START, limit=3)
            for event in dedupe_events(client.download_log_file(emu.workspace_id, log_file), seen)
        ]
        assert sorted(e.event_id or "" for e in events) == sorted(
            e["event_id"] for e in truth.log_events("AUDIT_LOG")
        )
        assert emu.fault_counts[profile] > 0, "the fault really happened"
    if profile == "429-storm":
        assert 1.0 in sleeps  # Retry-After honoured when the server sent it
        assert any(delay <= 0.05 for delay in sleeps)  # and jittered backoff when it did not
    if profile in ("429-storm", "5xx-burst", "reset", "truncated-json"):
        assert sleeps, "the client retried"


def test_real_rate_limit_429_with_and_without_retry_after_then_rate_limited() -> None:
    sleeps: list[float] = []
    # 0.04 x 50/min: the users endpoint allows a burst of 2, then one request every 30 s.
    with (
        EmulatorServer(base_config(rate_limit_scale=0.04)) as emu,
        make_client(emu, max_retries=3, sleep=sleeps.append) as client,
    ):
        client.list_users(limit=1)
        client.list_users(limit=1)
        with pytest.raises(RateLimited) as error:
            client.list_users(limit=1)
    assert error.value.status == 429
    assert len(sleeps) == 3
    assert 30.0 in sleeps  # Retry-After: 30 honoured
    assert any(delay < 30.0 for delay in sleeps)  # a 429 without Retry-After falls back to backoff


# --- Test Credentials against the emulator ----------------------------------------------------------------


def credential_report(emulator: EmulatorServer, **overrides: str):  # type: ignore[no-untyped-def]
    arguments = {
        "base_url": emulator.base_url,
        "api_key": emulator.api_key,
        "workspace_id": emulator.workspace_id,
        "chatgpt_org_id": emulator.chatgpt_org_id,
        "platform_org_id": emulator.platform_org_id,
        "key_name": "aiwatch",
    }
    arguments.update(overrides)
    return run_credential_checks(**arguments, sleep=lambda seconds: None)


def test_credentials_all_pass(emulator: EmulatorServer) -> None:
    report = credential_report(emulator)
    assert report.ok, report.to_dict()
    assert {r.id for r in report.results if r.status is CheckStatus.PASS} >= {
        "network", "key_accepted", "compliance_access", "workspace_found", "log_feed", "org_ids_consistent",
    }  # fmt: skip
    assert report.get("delete_permission").status is CheckStatus.SKIP
    assert report.support_email is None


def test_credentials_wrong_key(emulator: EmulatorServer) -> None:
    report = credential_report(emulator, api_key="sk-admin-WRONGwrongWRONGwrongWRONG1111")
    assert report.get("key_accepted").status is CheckStatus.FAIL and not report.ok


def test_credentials_missing_scope(emulator: EmulatorServer) -> None:
    report = credential_report(emulator, api_key=NO_SCOPE_KEY, key_name="compliance key")
    assert report.get("compliance_access").status is CheckStatus.FAIL and not report.ok
    assert report.support_email is not None and "…0002" in report.support_email
    assert NO_SCOPE_KEY not in report.support_email


def test_credentials_wrong_workspace(emulator: EmulatorServer) -> None:
    report = credential_report(emulator, workspace_id=str(uuid.uuid4()))
    assert report.get("workspace_found").status is CheckStatus.FAIL and not report.ok


def test_credentials_org_mismatch(emulator: EmulatorServer) -> None:
    other_org = "org-" + "Q" * 24
    report = credential_report(emulator, platform_org_id=other_org)
    result = report.get("org_ids_consistent")
    assert result.status is CheckStatus.WARN
    assert emulator.chatgpt_org_id in result.explanation and "confirmed" in result.explanation
    assert report.support_email is not None and other_org in report.support_email
    assert report.ok  # the workspace itself answered; the mismatch is a warning with the support email


def test_credentials_tls_failure_is_a_network_error_not_an_api_error(emulator: EmulatorServer) -> None:
    # https:// against the plain-HTTP emulator: a real TLS handshake failure.
    report = credential_report(emulator, base_url=emulator.base_url.replace("http://", "https://"))
    network = report.get("network")
    assert network.status is CheckStatus.FAIL and "TLS" in network.explanation
    assert report.get("key_accepted").status is CheckStatus.SKIP and not report.ok


def test_one_client_shared_by_threads(emulator: EmulatorServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from aiwatch.sources.chatgpt import RateLimits

    truth = emulator.workspace
    gpt_ids = sorted(truth.gpts) * 4
    with make_client(emulator, rate_limits=RateLimits(scale=100)) as shared, ThreadPoolExecutor(4) as pool:
        configs = list(pool.map(lambda gpt_id: [c.id for c in shared.iter_gpt_configs(gpt_id)], gpt_ids))
    assert configs == [[c.id for c in reversed(truth.gpts[gpt_id].configs)] for gpt_id in gpt_ids]
