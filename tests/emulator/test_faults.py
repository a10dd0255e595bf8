"""Each fault profile is observable, and a client that retries correctly still reads everything."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from aiwatch.emulator.faults import FaultInjector, parse_profiles
from aiwatch.emulator.server import EmulatorConfig, EmulatorServer

FIXED_NOW = 1_760_000_000.0
EPOCH = "2020-01-01T00:00:00Z"


class RetryingReader:
    """The minimum a correct client does: retry 429/5xx/transport errors/broken JSON, dedupe by ID."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.api = httpx.Client(
            base_url=server.base_url, headers={"Authorization": f"Bearer {server.api_key}"}, timeout=30
        )
        self.seen: Counter[str] = Counter()

    def _attempt(
        self, call: Callable[[], httpx.Response], parse: Callable[[httpx.Response], object]
    ) -> object:
        for _ in range(60):
            try:
                response = call()
            except httpx.TransportError:
                self.seen["transport_error"] += 1
                continue
            if response.status_code == 429:
                self.seen["429" + ("+retry-after" if "retry-after" in response.headers else "")] += 1
                continue
            if response.status_code >= 500:
                self.seen["5xx"] += 1
                continue
            try:
                return parse(response)
            except json.JSONDecodeError:
                self.seen["bad_json"] += 1
                continue
        raise AssertionError(f"gave up after 60 attempts: {self.seen}")

    def get_json(self, path: str, params: object = None) -> dict:
        def parse(response: httpx.Response) -> dict:
            response.raise_for_status()
            return response.json()

        return self._attempt(lambda: self.api.get(path, params=params), parse)  # type: ignore[return-value]

    def download(self, path: str) -> bytes:
        """Follow the 307 to the signed URL; ask for a fresh URL when it has expired."""
        for _ in range(60):
            redirect = self._attempt(lambda: self.api.get(path), lambda r: r)
            assert isinstance(redirect, httpx.Response) and redirect.status_code == 307, redirect
            location = redirect.headers["location"]
            content = self._attempt(lambda url=location: httpx.get(url, timeout=30), lambda r: r)
            assert isinstance(content, httpx.Response)
            if content.status_code == 403 and "expired" in content.text:
                self.seen["expired_url"] += 1
                continue
            if content.status_code == 200 and len(content.content) == int(content.headers["content-length"]):
                return content.content
        raise AssertionError("could not download")

    def all_conversations(self, ws: str) -> dict[str, dict]:
        found: dict[str, dict] = {}
        after = None
        while True:
            body = self.get_json(f"{ws}/conversations", {"limit": 7, **({"after": after} if after else {})})
            for conv in body["data"]:
                if conv["id"] in found:
                    self.seen["duplicate_item"] += 1
                found[conv["id"]] = conv
            if not body["has_more"]:
                return found
            after = body["last_id"]

    def all_log_events(self, ws: str, event_type: str) -> dict[str, dict]:
        events: dict[str, dict] = {}
        after = EPOCH
        while True:
            body = self.get_json(f"{ws}/logs", {"event_type": event_type, "after": after, "limit": 10})
            for item in body["data"]:
                for line in self.download(f"{ws}/logs/{item['id']}").splitlines():
                    event = json.loads(line)
                    if event["event_id"] in events:
                        self.seen["duplicate_event"] += 1
                    events[event["event_id"]] = event
            if not body["has_more"]:
                return events
            after = body["last_end_time"]


@pytest.mark.parametrize(
    ("profile", "observed"),
    [
        ("429-storm", ("429", "429+retry-after")),
        ("5xx-burst", ("5xx",)),
        ("reset", ("transport_error",)),
        ("truncated-json", ("bad_json",)),
        ("duplicates", ("duplicate_item", "duplicate_event")),
        ("expired-urls", ("expired_url",)),
        ("slow", ()),
    ],
)
def test_fault_profile_observable_and_recoverable(profile: str, observed: tuple[str, ...]) -> None:
    config = EmulatorConfig(
        seed=4,
        users=5,
        days=2,
        conversations_per_user=4,
        now=FIXED_NOW,
        faults=(profile,),
        fault_rate=0.3,
        retry_after_seconds=0,
        slow_seconds=0.02,
    )
    with EmulatorServer(config) as server:
        reader = RetryingReader(server)
        ws = f"/compliance/workspaces/{server.workspace_id}"
        conversations = reader.all_conversations(ws)
        assert set(conversations) == set(server.workspace.conversations)
        for conv in conversations.values():
            truth = server.workspace.conversations[conv["id"]]
            assert [m["id"] for m in conv["messages"]["data"]] == [m.id for m in truth.messages]
        events = reader.all_log_events(ws, "CONVERSATION_MESSAGE")
        assert set(events) == {e["event_id"] for e in server.workspace.log_events("CONVERSATION_MESSAGE")}
        gpt_file = next(f for f in server.workspace.files.values() if f.kind == "gpt")
        assert reader.download(f"{ws}/gpt_files/{gpt_file.id}") == server.workspace.file_bytes(gpt_file.id)
        assert server.fault_counts[profile] > 0
        for name in observed:
            assert reader.seen[name] > 0, (name, reader.seen)


def test_faults_are_deterministic_for_a_seed() -> None:
    def sequence(seed: int) -> list[tuple]:
        injector = FaultInjector(("429-storm", "5xx-burst", "reset", "truncated-json"), seed=seed, rate=0.2)
        return [(d.status, d.reset, d.truncate) for d in (injector.decide() for _ in range(300))]

    assert sequence(1) == sequence(1)
    assert sequence(1) != sequence(2)


def test_bursts_are_bounded() -> None:
    injector = FaultInjector(("429-storm", "5xx-burst"), seed=3, rate=1.0)
    run, longest = 0, 0
    for _ in range(500):
        failed = injector.decide().status is not None
        run = run + 1 if failed else 0
        longest = max(longest, run)
    assert longest <= 7  # a storm, then a 5xx burst at worst: a client with a few retries always gets through


def test_unknown_profile_is_rejected() -> None:
    assert parse_profiles("slow, reset") == ("slow", "reset")
    with pytest.raises(ValueError, match="chaos"):
        parse_profiles("slow,chaos")
    with pytest.raises(ValueError):
        EmulatorServer(EmulatorConfig(faults=("nope",)))
