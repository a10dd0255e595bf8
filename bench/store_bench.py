"""Bulk-upsert throughput of the store: messages written page by page the way the sync writes them.

Each page (default 500 messages) is one transaction: read the stored versions of the page's messages (the
sync merges into them), upsert the page, advance the cursor. Three passes: first insert, the same pages again
(unchanged: nothing is rewritten), and every message changed.

    .venv/bin/python bench/store_bench.py [--messages 200000] [--page 500] [--postgres-url URL]

Without --postgres-url only SQLite (a temp file, WAL) is measured.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from aiwatch.store import repositories as repo
from aiwatch.store.db import create_db_engine, make_session_factory, upgrade
from aiwatch.store.models import Integration


def _rows(start: int, count: int, version: int) -> list[dict[str, object]]:
    return [
        {
            "message_id": f"00000000-0000-4000-8000-{i:012d}",
            "conversation_id": f"c-{i // 20}",
            "parent_id": f"00000000-0000-4000-8000-{i - 1:012d}" if i % 20 else None,
            "role": "user" if i % 2 else "assistant",
            "content_type": "text",
            "text": f"message {i} version {version}: " + "lorem ipsum dolor sit amet " * 12,
            "created_at": 1_700_000_000 + i * 0.5,
            "source": "conversations",
        }
        for i in range(start, start + count)
    ]


def _pass(sessions, integration_id: int, total: int, page: int, version: int) -> float:
    started = time.perf_counter()
    for start in range(0, total, page):
        rows = _rows(start, min(page, total - start), version)
        with sessions.begin() as session:
            repo.get_messages(session, integration_id, (row["message_id"] for row in rows))
            repo.upsert_messages(session, integration_id, rows)
            repo.set_cursor(session, integration_id, "bench", {"after": start}, items_added=len(rows))
    return time.perf_counter() - started


def run(url: str, label: str, total: int, page: int) -> None:
    engine = create_db_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        integration = Integration(
            name=f"bench-{time.time_ns()}", base_url="x", workspace_id="w", chatgpt_org_id="o",
            platform_org_id="p", key_last4="0000",
        )  # fmt: skip
        session.add(integration)
        session.flush()
        integration_id = integration.id
    for name, version in (("insert", 1), ("unchanged", 1), ("changed", 2)):
        seconds = _pass(sessions, integration_id, total, page, version)
        print(
            f"{label:10} {name:9} {total:>8} messages in {seconds:6.2f} s "
            f"= {total / seconds:>9,.0f} messages/s"
        )
    with sessions.begin() as session:
        repo.purge_integration_data(session, integration_id)
        session.delete(session.get(Integration, integration_id))
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--page", type=int, default=500)
    parser.add_argument("--postgres-url", help="an empty PostgreSQL database to measure as well")
    args = parser.parse_args()
    print(f"{args.messages} messages, {args.page} per page/transaction (text ~350 chars each)")
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", "sqlite", args.messages, args.page)
    if args.postgres_url:
        run(args.postgres_url, "postgresql", args.messages, args.page)
    else:
        print("postgresql: skipped (pass --postgres-url to measure it)")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
