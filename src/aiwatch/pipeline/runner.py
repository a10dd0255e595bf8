"""Scans pending stored items and records their alerts; each batch commits alerts and scan state together,
so a crash loses at most the batch in flight and a rerun produces the same findings without duplicates."""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy import text as sql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from aiwatch.config import Settings
from aiwatch.detection.types import Detection
from aiwatch.domain import Sensitivity
from aiwatch.findings.models import ScanState
from aiwatch.findings.policy import PolicySnapshot, context_around
from aiwatch.findings.service import record_alerts
from aiwatch.findings.types import AlertInput, RecordResult
from aiwatch.pipeline.items import SOURCES, ScanItem

log = logging.getLogger(__name__)

BATCH = 200
CONFLICT_ATTEMPTS = 5
RECORDING_LOCK = 0x61697700000000  # advisory lock keys: this + integration id
FORCE = "force"  # a fingerprint no scan state has: every item is pending
_ENGINES: dict[tuple[str, str, str, str], object] = {}
_ENGINES_LOCK = threading.Lock()

T = TypeVar("T")
Progress = Callable[[str, int], None]  # (item kind, items done in this batch)


@dataclass
class PipelineResult:
    scanned: dict[str, int] = field(default_factory=dict)
    recorded: RecordResult = field(default_factory=RecordResult)
    closed_by_policy: int = 0
    last_row_id: int = 0  # of the batch: where the next one starts

    @property
    def items(self) -> int:
        return sum(self.scanned.values())

    def add(self, other: PipelineResult) -> None:
        for kind, count in other.scanned.items():
            self.scanned[kind] = self.scanned.get(kind, 0) + count
        self.recorded.add(other.recorded)
        self.closed_by_policy += other.closed_by_policy


def retrying(batch: Callable[..., T], *args: Any) -> T:
    """Run a batch transaction again when it lost a race on a unique key: another writer (a background
    rescan, the pipeline after a sync) recorded the same alert or scan state first. The retry sees the
    committed rows and skips them, so concurrent scanners never fail on each other nor record twice."""
    for attempt in range(CONFLICT_ATTEMPTS - 1):
        with contextlib.suppress(IntegrityError):
            return batch(*args)
        time.sleep(random.uniform(0, 0.05 * 2**attempt))  # jitter: let the other writer finish
    return batch(*args)


class Scanner:
    """The engines for the current policy (one per sensitivity in use), hashing with the store's key."""

    def __init__(self, policy: PolicySnapshot, hasher: Callable[[str], str], rules_glob: str | None = None):
        from aiwatch.detection.engine import Engine

        self.policy = policy
        hasher_id = hasher("aiwatch-hasher-identity")[:16]
        self.engines = []
        for sensitivity, rules in sorted(policy.engine_plan().items()):
            if rules_glob:
                rules = [r for r in rules if fnmatch.fnmatchcase(r, rules_glob)]
            if not rules:
                continue
            key = (policy.fingerprint, str(sensitivity), rules_glob or "", hasher_id)
            with _ENGINES_LOCK:
                engine = _ENGINES.get(key)
                if engine is None:
                    engine = Engine(
                        policy.catalog,
                        rules_glob=rules,
                        sensitivity=Sensitivity(sensitivity),
                        value_hasher=hasher,
                    )
                    _ENGINES[key] = engine
            self.engines.append(engine)

    def alerts(self, integration_id: int, item: ScanItem) -> list[AlertInput]:
        found = []
        for field_name, text, where in item.texts:
            for engine in self.engines:
                for detection in engine.scan(text, where=where):
                    found.append(self._alert(integration_id, item, field_name, text, detection))
        return found

    @staticmethod
    def _alert(integration_id: int, item: ScanItem, field_name: str, text: str, d: Detection) -> AlertInput:
        details = {k: v for k, v in (d.details or {}).items() if isinstance(v, str | int | float | bool)}
        if item.context:
            details.update({k: v for k, v in item.context.items() if v is not None})
        return AlertInput(
            integration_id=integration_id,
            rule=d.rule,
            item_kind=item.kind,
            item_id=item.item_id,
            subject_kind=item.subject_kind,
            subject_id=item.subject_id,
            severity=d.severity,
            score=d.score,
            start=d.start,
            end=d.end,
            evidence=d.evidence,
            value_hash=d.value_hash,
            field=field_name,
            detector_version=d.detector_version,
            observed_at=item.observed_at,
            agent_id=item.agent_id,
            app_id=item.app_id,
            details=details,
            matched_text=text[d.start : d.end],
            context_text=context_around(text, d.start, d.end),
        )


def value_hasher(settings: Settings) -> Callable[[str], str]:
    from aiwatch.crypto import load_secret_box

    return load_secret_box(settings).keyed_hash


def integration_ids(session: Session) -> list[int]:
    from aiwatch.store.models import Integration

    return list(
        session.scalars(
            select(Integration.id).where(Integration.removed_at.is_(None)).order_by(Integration.id)
        )
    )


def run_pipeline(
    sessions: sessionmaker[Session],
    settings: Settings,
    *,
    integration_id: int | None = None,
    kinds: tuple[str, ...] = tuple(SOURCES),
    progress: Progress | None = None,
    max_batches: int | None = None,
    include_posture: bool = True,
) -> PipelineResult:
    """Scan every pending item (of one integration, or all); then posture, activity and risk scores.

    ``max_batches`` stops early (tests use it to simulate a crash mid-run).
    """
    with sessions() as session:
        policy = PolicySnapshot.load(session)
        targets = [integration_id] if integration_id is not None else integration_ids(session)
    scanner = Scanner(policy, value_hasher(settings))
    result = PipelineResult()
    with sessions.begin() as session:
        from aiwatch.findings.service import close_disabled

        result.closed_by_policy = close_disabled(session, policy)
    batches = 0
    for target in targets:
        for kind in kinds:
            after = 0
            while True:
                if max_batches is not None and batches >= max_batches:
                    return result
                scanned = retrying(_pending_batch, sessions, scanner, policy, target, kind, after)
                if scanned is None:
                    break
                result.add(scanned)
                batches += 1
                after = scanned.last_row_id
                if progress is not None:
                    progress(kind, scanned.items)
        if include_posture:
            _after_content(sessions, settings, target, policy, result)
    return result


def _pending_batch(
    sessions: sessionmaker[Session],
    scanner: Scanner,
    policy: PolicySnapshot,
    target: int,
    kind: str,
    after: int,
) -> PipelineResult | None:
    """The next batch of pending items after row ``after``, in its own transaction; None when none is left."""
    with sessions.begin() as session:
        items = SOURCES[kind](session, target, policy.fingerprint, after, BATCH)
        if not items:
            return None
        done = PipelineResult(last_row_id=items[-1].row_id)
        scan_batch(session, scanner, target, items, policy, done, policy.fingerprint)
        return done


def scan_batch(
    session: Session,
    scanner: Scanner,
    integration_id: int,
    items: list[ScanItem],
    policy: PolicySnapshot,
    result: PipelineResult,
    fingerprint: str | None,
) -> None:
    """Scan, record alerts and (when ``fingerprint`` is given) the scan state, in the caller's transaction."""
    alerts = [alert for item in items for alert in scanner.alerts(integration_id, item)]
    recording_lock(session, integration_id)
    result.recorded.add(record_alerts(session, alerts, policy))
    if fingerprint is not None:
        _save_state(session, integration_id, items, fingerprint)
    for item in items:
        result.scanned[item.kind] = result.scanned.get(item.kind, 0) + 1


def recording_lock(session: Session, integration_id: int) -> None:
    """Serialise the recording of alerts into one integration until the caller's transaction ends, so two
    scanners (the pipeline after a sync, background rescans) never interleave their "already stored?" lookups
    and inserts. Scanning itself, the expensive part, stays parallel. PostgreSQL: a transaction-level
    advisory lock. SQLite: a no-op write takes the database's write lock now, before the lookups."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sql("SELECT pg_advisory_xact_lock(:key)"), {"key": RECORDING_LOCK + integration_id})
    else:
        session.execute(sql("UPDATE integrations SET id = id WHERE id = :id"), {"id": integration_id})


def _save_state(session: Session, integration_id: int, items: list[ScanItem], fingerprint: str) -> None:
    kind = items[0].kind
    existing = {
        row.item_row_id: row
        for row in session.scalars(
            select(ScanState).where(
                ScanState.integration_id == integration_id,
                ScanState.item_kind == kind,
                ScanState.item_row_id.in_([i.row_id for i in items]),
            )
        )
    }
    now = datetime.now(UTC)
    for item in items:
        state = existing.get(item.row_id)
        if state is None:
            session.add(
                ScanState(
                    integration_id=integration_id,
                    item_kind=item.kind,
                    item_row_id=item.row_id,
                    content_hash=item.content_hash,
                    fingerprint=fingerprint,
                    scanned_at=now,
                )
            )
        else:
            state.content_hash, state.fingerprint, state.scanned_at = item.content_hash, fingerprint, now
    session.flush()


def _after_content(
    sessions: sessionmaker[Session],
    settings: Settings,
    integration_id: int,
    policy: PolicySnapshot,
    result: PipelineResult,
) -> None:
    """Posture and activity rules (their own modules) record through the same ingest, then risk scores."""
    from aiwatch.activity.service import options_from_settings, record_activity
    from aiwatch.crypto import load_secret_box
    from aiwatch.posture.service import record_posture
    from aiwatch.risk.service import recompute_scores

    with sessions.begin() as session:
        result.recorded.add(record_posture(session, integration_id))
    with sessions.begin() as session:
        box = load_secret_box(settings)
        result.recorded.add(
            record_activity(session, integration_id, box=box, options=options_from_settings(settings))
        )
    with sessions.begin() as session:
        recompute_scores(session, integration_id)
