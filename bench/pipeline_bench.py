"""End-to-end pipeline throughput: sync from the emulator (no rate limits) + scan + findings, and peak memory.

Run: ``.venv/bin/python bench/pipeline_bench.py`` (defaults: 500 users x 30 days x 20 conversations per user;
``--users 20 --days 3`` for a quick check; ``--rescan`` also times a background rescan of everything).

The emulator runs in a child process (its memory is not counted). This process:
1. syncs the whole workspace into a fresh SQLite database (client-side limits off);
2. runs the findings pipeline over everything synced (``aiwatch.pipeline``, when present in this tree; without
   it the stored items are scanned with the detection engine directly and the run says so);
3. records agent posture and activity alerts and recomputes the risk scores.
It prints items stored, seconds and items/s per phase and end to end, and peak RSS (this process; emulator and
file-extraction worker processes excluded, reported separately as the largest child).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sync_bench import EmulatorProcess  # bench/ is on sys.path when this script runs


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0


def stored_items(session: Any, integration_id: int) -> dict[str, int]:
    from sqlalchemy import func, select

    from aiwatch.store.models import AgentConfig, CanvasVersion, LogEvent, Memory, Message, StoredFile

    counts = {}
    for label, model in (
        ("messages", Message),
        ("files", StoredFile),
        ("memories", Memory),
        ("canvas versions", CanvasVersion),
        ("agent configs", AgentConfig),
        ("log events", LogEvent),
    ):
        counts[label] = session.scalar(
            select(func.count()).select_from(model).where(model.integration_id == integration_id)
        )
    return counts


def pipeline_entry() -> Any | None:
    """``aiwatch.pipeline.runner.run_pipeline`` when the findings pipeline is in this tree."""
    try:
        from aiwatch.pipeline.runner import run_pipeline
    except ImportError:
        return None
    return run_pipeline


def scan_directly(session: Any, integration_id: int) -> int:
    """Without the findings core: scan every stored text with the engine (no alerts or findings stored)."""
    from sqlalchemy import select

    from aiwatch.detection import default_engine
    from aiwatch.detection.types import Where
    from aiwatch.store.models import CanvasVersion, Memory, Message, StoredFile

    engine = default_engine()
    detections = 0
    queries = (
        (select(Message.text, Message.role).where(Message.integration_id == integration_id), None),
        (select(StoredFile.extracted_text).where(StoredFile.integration_id == integration_id), Where.FILE),
        (select(Memory.content).where(Memory.integration_id == integration_id), Where.MEMORY),
        (select(CanvasVersion.content).where(CanvasVersion.integration_id == integration_id), Where.CANVAS),
    )
    for query, where in queries:
        for row in session.execute(query).yield_per(500):
            text = row[0]
            if not text:
                continue
            place = where
            if place is None:
                place = {"assistant": Where.RESPONSE, "tool": Where.TOOL_OUTPUT}.get(row[1], Where.PROMPT)
            detections += len(engine.scan(text, place))
    return detections


def rescan_everything(sessions: Any, settings: Any, items: int) -> None:
    """``aiwatch rescan --all --background`` run by one worker (every item rescanned, alerts deduplicated)."""
    from aiwatch.pipeline.rescan import enqueue
    from aiwatch.pipeline.worker import RescanWorker

    with sessions.begin() as session:
        enqueue(session, None, "bench")
    started = time.perf_counter()
    run = RescanWorker(sessions, settings, name="bench").run_once()
    seconds = time.perf_counter() - started
    assert run is not None and run.status == "done", run
    print(
        f"rescan --all {seconds:6.1f} s  {items / seconds:8.0f} items/s  "
        f"({run.batches} batches, {run.result.recorded.created} new alerts, "
        f"{run.result.recorded.duplicates} already recorded)"
    )


def record_only(batches: int = 20, per_batch: int = 250) -> None:
    """``record_alerts`` alone (alerts, duplicates check, grouping into findings) on a fresh SQLite store."""
    from datetime import UTC, datetime, timedelta

    from aiwatch.config import Settings
    from aiwatch.findings.policy import PolicySnapshot
    from aiwatch.findings.service import record_alerts
    from aiwatch.findings.types import AlertInput
    from aiwatch.store import models as m
    from aiwatch.store.db import init_db, make_session_factory

    rules = ("secret.aws_access_key_id", "pii.email", "code.source", "pii.phone", "secret.github_token")
    rules += ("pii.iban", "secret.private_key", "pii.credit_card", "secret.slack_token", "pii.ssn")
    with tempfile.TemporaryDirectory(prefix="aiwatch-record-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp), database_url=f"sqlite:///{tmp}/bench.db")
        sessions = make_session_factory(init_db(settings))
        with sessions.begin() as session:
            row = m.Integration(
                name="bench",
                base_url="http://127.0.0.1:9",
                workspace_id="ws",
                chatgpt_org_id="org",
                platform_org_id="porg",
                key_last4="abcd",
            )
            session.add(row)
            session.flush()
            integration_id = row.id
        with sessions() as session:
            policy = PolicySnapshot.load(session)
        base = datetime(2026, 10, 1, tzinfo=UTC)
        seconds = 0.0
        for batch in range(batches):
            alerts = [
                AlertInput(
                    integration_id=integration_id,
                    rule=rules[i % len(rules)],
                    item_kind="message",
                    item_id=f"m{batch}-{i // 2}",
                    subject_kind="user",
                    subject_id=f"u{(batch * per_batch + i) % 200}",
                    severity="high",
                    score=0.9,
                    start=i,
                    end=i + 4,
                    evidence="[masked]",
                    value_hash=f"h{i}",
                    observed_at=base + timedelta(hours=batch * 5 + i % 7),
                )
                for i in range(per_batch)
            ]
            started = time.perf_counter()
            with sessions.begin() as session:
                record_alerts(session, alerts, policy)
            seconds += time.perf_counter() - started
    count = batches * per_batch
    print(f"record_alerts: {count} alerts in {seconds:.2f} s = {count / seconds:.0f} alerts/s")
    print(f"peak RSS: this process {peak_rss_mb():.0f} MB")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=500)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--conversations-per-user", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--rescan", action="store_true", help="then time a background rescan of everything (queue + worker)"
    )
    parser.add_argument(
        "--record-only",
        action="store_true",
        help="only time record_alerts: 20 batches x 250 alerts (200 users, 10 rules), no emulator",
    )
    args = parser.parse_args()
    if args.record_only:
        record_only()
        return 0

    from sqlalchemy import func, select

    from aiwatch.activity.service import record_activity
    from aiwatch.config import Settings
    from aiwatch.crypto import load_secret_box
    from aiwatch.findings.models import Alert, Finding
    from aiwatch.integrations.service import IntegrationService
    from aiwatch.posture.service import record_posture
    from aiwatch.risk.service import recompute_scores
    from aiwatch.store.db import init_db, make_session_factory
    from aiwatch.sync.runner import client_factory, sync_integration

    config = {
        "seed": args.seed,
        "users": args.users,
        "days": args.days,
        "conversations_per_user": args.conversations_per_user,
        "rate_limit_scale": 0,
    }
    print(
        f"workspace: {args.users} users x {args.days} days x {args.conversations_per_user} conversations/user"
    )
    with tempfile.TemporaryDirectory(prefix="aiwatch-pipeline-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data")
        sessions = make_session_factory(init_db(settings))
        service = IntegrationService(settings, sessions)
        started = time.perf_counter()
        with EmulatorProcess(**config) as emulator:
            print(f"emulator ready in {time.perf_counter() - started:.1f} s (child process, rate limits off)")
            info, _ = service.add(
                name="bench",
                workspace_id=emulator["workspace_id"],
                chatgpt_org_id=emulator["chatgpt_org_id"],
                platform_org_id=emulator["platform_org_id"],
                api_key=emulator["api_key"],
                base_url=emulator["base_url"],
            )
            t0 = time.perf_counter()
            sync_integration(service, sessions, info, client_factory=client_factory(rate_limit_scale=None))
            sync_seconds = time.perf_counter() - t0
        with sessions() as session:
            counts = stored_items(session, info.id)
        items = sum(counts.values())
        print("stored: " + ", ".join(f"{k} {v}" for k, v in counts.items()) + f" (total {items})")
        print(f"sync      {sync_seconds:8.1f} s  {items / sync_seconds:8.0f} items/s")

        entry = pipeline_entry()
        t1 = time.perf_counter()
        if entry is not None:
            # Posture, activity and risk are timed separately below.
            entry(sessions, settings, integration_id=info.id, include_posture=False)
            scan_label = "pipeline (scan + alerts + findings)"
        else:
            with sessions() as session:
                found = scan_directly(session, info.id)
            scan_label = (
                f"scan only: findings core (aiwatch.pipeline) absent; {found} detections, none stored"
            )
        scan_seconds = time.perf_counter() - t1
        print(f"scan      {scan_seconds:8.1f} s  {items / scan_seconds:8.0f} items/s  [{scan_label}]")

        t2 = time.perf_counter()
        with sessions.begin() as session:
            posture = record_posture(session, info.id)
            activity = record_activity(session, info.id, box=load_secret_box(settings))
            scored = recompute_scores(session, info.id)
        rules_seconds = time.perf_counter() - t2
        print(
            f"posture+activity+risk {rules_seconds:5.1f} s  (posture alerts {posture.created}, "
            f"activity alerts {activity.created}, {scored} risk scores)"
        )
        with sessions() as session:
            findings = session.scalar(select(func.count()).select_from(Finding))
            alerts = session.scalar(select(func.count()).select_from(Alert))
        print(f"stored findings {findings}, alerts {alerts}")
        if args.rescan:
            rescan_everything(sessions, settings, items)
        total = sync_seconds + scan_seconds + rules_seconds
        print(f"end to end {total:7.1f} s  {items / total:8.0f} items/s")
        child = peak_rss_mb(resource.RUSAGE_CHILDREN)
        print(f"peak RSS: this process {peak_rss_mb():.0f} MB; largest child {child:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
