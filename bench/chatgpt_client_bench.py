"""Throughput of the Compliance API client: page parsing, and a full read of an emulated workspace over HTTP.

Usage: .venv/bin/python bench/chatgpt_client_bench.py [--users 50] [--conversations-per-user 20]
                                                      [--faults 5xx-burst,reset]

Prints numbers; asserts nothing. Needs nothing outside the repository (the emulator generates the workspace).
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from typing import Any

from aiwatch.emulator.server import EmulatorConfig, EmulatorServer
from aiwatch.sources.chatgpt import ComplianceClient, Conversation, ListPage, RetryPolicy


def synthetic_page(conversations: int, messages: int) -> bytes:
    def message(index: int) -> dict[str, Any]:
        return {
            "object": "compliance.workspace.conversation.message",
            "id": f"m{index}",
            "parent_id": f"m{index - 1}" if index else None,
            "created_at": 1_700_000_000.5 + index,
            "author": {
                "object": "author",
                "role": "user" if index % 2 == 0 else "assistant",
                "tool_name": None,
            },
            "content": {
                "object": "content",
                "type": "text",
                "value": "quarterly numbers " * 40,
                "annotations": [],
            },
            "files": {"object": "list", "data": [], "has_more": False, "last_id": ""},
        }

    thread = [message(index) for index in range(messages)]
    data = [
        {
            "object": "compliance.workspace.conversation",
            "id": f"c{number}",
            "user_id": "user-1",
            "created_at": 1.0,
            "last_active_at": 2.0,
            "title": "t",
            "messages": {"object": "list", "data": thread, "has_more": False, "last_id": thread[-1]["id"]},
        }
        for number in range(conversations)
    ]
    return json.dumps({"object": "list", "data": data, "has_more": True, "last_id": "c"}).encode()


def bench_parsing(rounds: int = 3) -> None:
    body = synthetic_page(500, 20)
    started = time.perf_counter()
    for _ in range(rounds):
        ListPage[Conversation].model_validate(json.loads(body))
    per_page = (time.perf_counter() - started) / rounds
    print(
        f"parse: {len(body) / 1e6:.1f} MB page of 500 conversations x 20 messages in "
        f"{per_page * 1000:.0f} ms ({500 * 20 / per_page:,.0f} messages/s)"
    )


def bench_full_read(users: int, conversations_per_user: int, faults: tuple[str, ...]) -> None:
    config = EmulatorConfig(
        seed=7, users=users, days=30, conversations_per_user=conversations_per_user, faults=faults
    )
    started = time.perf_counter()
    with EmulatorServer(config) as emulator:
        print(f"emulator: {users} users x {conversations_per_user} conversations ready in "
              f"{time.perf_counter() - started:.1f} s; faults: {', '.join(faults) or 'none'}")  # fmt: skip
        policy = RetryPolicy(max_retries=10, base_delay=0.05, max_delay=0.5)
        with ComplianceClient(
            emulator.base_url, emulator.api_key, emulator.workspace_id, rate_limits=None, retry_policy=policy
        ) as client:
            started = time.perf_counter()
            conversations = messages = 0
            for conversation in client.iter_conversations(limit=200):
                conversations += 1
                messages += len(conversation.messages.data)
            elapsed = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"read: {conversations} conversations, {messages} messages in {elapsed:.1f} s "
        f"({conversations / elapsed:,.0f} conversations/s, {messages / elapsed:,.0f} messages/s, "
        f"client and emulator in one process); peak RSS {peak_mib:.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--conversations-per-user", type=int, default=20)
    parser.add_argument("--faults", default="", help="comma-separated emulator fault profiles")
    arguments = parser.parse_args()
    faults = tuple(profile for profile in arguments.faults.split(",") if profile)
    bench_parsing()
    bench_full_read(arguments.users, arguments.conversations_per_user, faults)


if __name__ == "__main__":
    main()
