"""Sync throughput against the emulator, and the time a full sync needs under the documented API limits.

Run: ``.venv/bin/python bench/sync_bench.py`` (defaults: 500 users x 30 days x 20 conversations per user).

Phase 1 - throughput: the emulator runs in a child process (so its memory is not counted) with rate limits
off; this process runs one full sync into a fresh SQLite database with client-side limits off, and prints
conversations/s, messages/s, per-stream times, peak RSS, and the requests made per API endpoint (counted by
an HTTP transport wrapped around the real client's).

Phase 2 - documented limits (50 list requests/min per endpoint, 100/min for single objects and files): from
the request counts of phase 1 it computes how long the same sync takes when every endpoint is throttled to
those limits (the engine runs streams one after another, so the waits add up per endpoint). To check that
model it then syncs a small workspace with the real limits on both sides and prints measured vs estimated.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

LIST_PER_MINUTE = 50.0
OBJECT_PER_MINUTE = 100.0
BURST_SECONDS = 6.0  # the client's token buckets allow this many seconds of requests back to back
# Path segments that name a collection: the segment after one is an object ID.
_COLLECTIONS = frozenset(
    {
        "workspaces",
        "organizations",
        "users",
        "gpts",
        "projects",
        "gpt_files",
        "project_files",
        "files",
        "canvas",
        "logs",
        "conversations",
        "memory_contexts",
        "memories",
        "recordings",
    }
)
# Collection endpoints (50/min); everything else the client calls is a single object or a file (100/min).
# The client counts canvas listings as single-object calls, as the API documents them at 100/min.
_LIST_SUFFIXES = (
    "/users",
    "/conversations",
    "/gpts",
    "/projects",
    "/configs",
    "/shared_users",
    "/memories",
    "/codex_tasks",
    "/codex_environments",
    "/automations",
    "/recordings",
    "/logs",
)


def endpoint_of(path: str) -> str:
    """``/v1/compliance/workspaces/<uuid>/gpts/g-123/configs`` -> ``/workspaces/{id}/gpts/{id}/configs``."""
    parts = path.removeprefix("/v1/compliance").split("/")
    return "/".join(
        "{id}" if index > 0 and parts[index - 1] in _COLLECTIONS else part for index, part in enumerate(parts)
    )


def is_list(endpoint: str) -> bool:
    return endpoint.endswith(_LIST_SUFFIXES)


class CountingTransport(httpx.BaseTransport):
    """The real HTTP transport, counting API requests per endpoint (signed download URLs are not counted)."""

    def __init__(self, counts: Counter[str]) -> None:
        self._inner = httpx.HTTPTransport()
        self._counts = counts
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/v1/"):
            with self._lock:
                self._counts[endpoint_of(request.url.path)] += 1
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()


@dataclass
class StreamClock:
    """A progress reporter that records how long each stream took."""

    started: dict[str, float] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def start_stream(self, stream: str) -> None:
        self.started[stream] = time.perf_counter()

    def advance(self, stream: str, *, pages: int = 0, items: int = 0) -> None:
        del stream, pages, items

    def finish_stream(self, stream: str, status: str) -> None:
        del status
        self.seconds[stream] = time.perf_counter() - self.started.get(stream, time.perf_counter())


def _serve_emulator(config_kwargs: dict[str, Any], conn: Any, stop: Any) -> None:
    from aiwatch.emulator.server import EmulatorConfig, EmulatorServer

    with EmulatorServer(EmulatorConfig(**config_kwargs)) as emu:
        workspace = emu.workspace
        conn.send(
            {
                "base_url": emu.base_url,
                "api_key": emu.api_key,
                "workspace_id": emu.workspace_id,
                "chatgpt_org_id": emu.chatgpt_org_id,
                "platform_org_id": emu.platform_org_id,
                "conversations": sum(1 for c in workspace.conversations.values() if not c.is_temporary),
                "messages": sum(len(c.messages) for c in workspace.conversations.values()),
            }
        )
        stop.wait()


class EmulatorProcess:
    def __init__(self, **config: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._parent, child = context.Pipe()
        self._stop = context.Event()
        self._process = context.Process(target=_serve_emulator, args=(config, child, self._stop), daemon=True)

    def __enter__(self) -> dict[str, Any]:
        self._process.start()
        if not self._parent.poll(600):
            raise RuntimeError("the emulator did not start within 10 minutes")
        return self._parent.recv()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._process.join(timeout=30)


@dataclass
class SyncRun:
    seconds: float
    counts: Counter[str]
    stream_seconds: dict[str, float]
    stored: dict[str, int]
    ok: bool
    problems: list[str]


def run_sync(emulator: dict[str, Any], data_dir: Path, *, rate_limit_scale: float | None) -> SyncRun:
    import os

    os.environ["AIWATCH_DATA_DIR"] = str(data_dir)
    os.environ.pop("AIWATCH_DATABASE_URL", None)
    from aiwatch.config import get_settings
    from aiwatch.integrations.service import IntegrationService
    from aiwatch.sources.chatgpt import ComplianceClient
    from aiwatch.sources.chatgpt.ratelimit import RateLimits
    from aiwatch.store.db import dispose_engines, init_db, make_session_factory
    from aiwatch.sync import persist
    from aiwatch.sync.runner import sync_integration

    get_settings.cache_clear()
    dispose_engines()
    settings = get_settings()
    sessions = make_session_factory(init_db(settings))
    service = IntegrationService(settings, sessions)
    info, _ = service.add(
        name="bench",
        workspace_id=emulator["workspace_id"],
        chatgpt_org_id=emulator["chatgpt_org_id"],
        platform_org_id=emulator["platform_org_id"],
        api_key=emulator["api_key"],
        base_url=emulator["base_url"],
    )
    counts: Counter[str] = Counter()
    clock = StreamClock()

    def make_client(integration: Any, api_key: str) -> Any:
        limits = RateLimits(scale=rate_limit_scale) if rate_limit_scale else None
        return ComplianceClient(
            integration.base_url,
            api_key,
            integration.workspace_id,
            rate_limits=limits,
            transport=CountingTransport(counts),
        )

    started = time.perf_counter()
    summary = sync_integration(service, sessions, info, progress=clock, client_factory=make_client)
    seconds = time.perf_counter() - started
    with sessions() as session:
        stored = persist.counts(session, info.id)
    dispose_engines()
    problems = [f"{o.stream}: {o.message}" for o in summary.outcomes if o.status not in ("ok", "unavailable")]
    return SyncRun(seconds, counts, clock.seconds, stored, summary.ok, problems)


def limited_estimate(counts: Counter[str], unlimited_seconds: float) -> tuple[float, float]:
    """(sequential estimate, parallel lower bound) in seconds under the documented limits."""
    sequential = unlimited_seconds
    lower_bound = 0.0
    for endpoint, count in counts.items():
        per_second = (LIST_PER_MINUTE if is_list(endpoint) else OBJECT_PER_MINUTE) / 60.0
        burst = per_second * BURST_SECONDS
        sequential += max(0.0, count - burst) / per_second
        lower_bound = max(lower_bound, count / per_second)
    return sequential, lower_bound


def print_counts(counts: Counter[str]) -> None:
    print(f"  {'endpoint':<58} {'kind':>6} {'requests':>9} {'min at limit':>13}")
    for endpoint, count in sorted(counts.items(), key=lambda item: -item[1]):
        per_minute = LIST_PER_MINUTE if is_list(endpoint) else OBJECT_PER_MINUTE
        kind = "list" if is_list(endpoint) else "object"
        print(f"  {endpoint:<58} {kind:>6} {count:>9} {count / per_minute:>13.1f}")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--conversations-per-user", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--check-users", type=int, default=6, help="users of the real-limits check workspace")
    parser.add_argument("--check-days", type=int, default=2)
    parser.add_argument("--skip-check", action="store_true", help="skip the real-limits validation run")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="aiwatch-sync-bench-"))
    print(
        f"workspace: {args.users} users x {args.days} days x {args.conversations_per_user} conversations/user"
    )
    config = {
        "seed": args.seed,
        "users": args.users,
        "days": args.days,
        "conversations_per_user": args.conversations_per_user,
        "rate_limit_scale": 0,
    }
    started = time.perf_counter()
    with EmulatorProcess(**config) as emulator:
        print(f"emulator ready in {time.perf_counter() - started:.1f} s (child process, rate limits off)")
        run = run_sync(emulator, work / "full", rate_limit_scale=None)
    print(f"\n== Phase 1: full sync, rate limits off (SQLite in {work / 'full'}) ==")
    print(f"  result: {'ok' if run.ok else 'ERRORS: ' + '; '.join(run.problems)}")
    print(f"  wall time          {run.seconds:10.1f} s")
    conversations, messages = run.stored["conversations"], run.stored["messages"]
    print(f"  conversations      {conversations:10d}  ({conversations / run.seconds:,.1f}/s overall)")
    print(f"  messages           {messages:10d}  ({messages / run.seconds:,.1f}/s overall)")
    conv_seconds = run.stream_seconds.get("conversations", 0.0) + run.stream_seconds.get(
        "logs:CONVERSATION_MESSAGE", 0.0
    )
    if conv_seconds:
        print(
            f"  conversation streams only (log feed messages + /conversations): {conv_seconds:.1f} s -> "
            f"{conversations / conv_seconds:,.1f} conversations/s, {messages / conv_seconds:,.1f} messages/s"
        )
    print(f"  peak RSS (sync process; emulator and file-extraction workers excluded) {peak_rss_mb():.0f} MB")
    print("  time per stream:")
    for stream, seconds in sorted(run.stream_seconds.items(), key=lambda item: -item[1])[:10]:
        print(f"    {stream:<32} {seconds:8.1f} s")
    print("  stored rows: " + ", ".join(f"{name} {count}" for name, count in run.stored.items() if count))
    print(f"  API requests: {sum(run.counts.values())}")
    print_counts(run.counts)

    sequential, lower_bound = limited_estimate(run.counts, run.seconds)
    print("\n== Phase 2: the same sync under the documented limits (computed from the counts above) ==")
    print(
        "  model: each endpoint's requests beyond a 6 s burst wait for its bucket (50/min lists, 100/min "
        "objects/files); streams run one after another, so the waits add up, plus the unlimited run time."
    )
    print(f"  estimated full sync: {sequential / 60:8.1f} min ({sequential / 3600:.2f} h)")
    print(f"  lower bound if every endpoint ran in parallel: {lower_bound / 60:.1f} min")

    if not args.skip_check:
        check = {**config, "users": args.check_users, "days": args.check_days, "rate_limit_scale": 1.0}
        with EmulatorProcess(**{**check, "rate_limit_scale": 0}) as emulator:
            free = run_sync(emulator, work / "check-free", rate_limit_scale=None)
        with EmulatorProcess(**check) as emulator:
            limited = run_sync(emulator, work / "check-limited", rate_limit_scale=1.0)
        estimate, _ = limited_estimate(free.counts, free.seconds)
        outcome = "ok" if limited.ok else "; ".join(limited.problems)
        print(
            f"\n  model check on {args.check_users} users x {args.check_days} days, real limits both sides: "
            f"measured {limited.seconds:.1f} s, estimated {estimate:.1f} s "
            f"({sum(limited.counts.values())} requests; {outcome})"
        )
    return 0 if run.ok else 1


if __name__ == "__main__":
    sys.exit(main())
