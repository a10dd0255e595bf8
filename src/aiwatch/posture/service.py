"""Posture service: evaluates stored agents, stores diffs and review marks (the console's entry points)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from aiwatch.detection.types import Detection, Where
from aiwatch.posture.diff import ConfigDiff, ConfigSnapshot, Sharing, diff_configs
from aiwatch.posture.models import AgentConfigDiff, AgentReview
from aiwatch.posture.rules import (
    DEFAULT_BROAD_EDIT_THRESHOLD,
    PostureHit,
    Scanner,
    action_hits,
    config_changed_hit,
    instruction_hits,
    knowledge_hits,
    mask_text,
    sharing_hits,
)
from aiwatch.store.models import Agent, AgentConfig, FileState, StoredFile

DATA_EXPOSURE_GROUP = "Data Exposure"
POSTURE_VERSION = "posture-1"


class PostureError(ValueError):
    """A posture request names an agent or version that is not stored; the message says which."""


@dataclass
class AgentPosture:
    """Everything evaluated for one agent: its hits and the diffs stored on the way."""

    agent_id: str
    kind: str
    owner_id: str | None
    name: str | None
    hits: list[PostureHit] = field(default_factory=list)
    diffs: list[ConfigDiff] = field(default_factory=list)


def data_exposure_scanner() -> Scanner:
    """The detection engine restricted to the Data Exposure rules (what agent.sensitive_* look for)."""
    from aiwatch.detection import default_engine
    from aiwatch.detection.catalog import builtin_catalog

    catalog = builtin_catalog()
    rule_ids = sorted(r for r, group in catalog.group_of.items() if group == DATA_EXPOSURE_GROUP)
    engine = default_engine(rule_ids)

    def scan(text: str, where: Where) -> list[Detection]:
        return [d for d in engine.scan(text, where) if catalog.group_of.get(d.rule) == DATA_EXPOSURE_GROUP]

    return scan


def _snapshot(row: AgentConfig) -> ConfigSnapshot:
    return ConfigSnapshot.from_api(row.config_id, row.instructions, row.tools, row.files)


def _ordered_configs(session: Session, integration_id: int, agent_id: str) -> list[AgentConfig]:
    rows = session.scalars(
        select(AgentConfig).where(
            AgentConfig.integration_id == integration_id, AgentConfig.agent_id == agent_id
        )
    ).all()
    epoch = datetime.min.replace(tzinfo=UTC)
    return sorted(rows, key=lambda r: (r.created_at or epoch, r.config_id))


def latest_review(session: Session, integration_id: int, agent_id: str) -> AgentReview | None:
    return session.scalars(
        select(AgentReview)
        .where(AgentReview.integration_id == integration_id, AgentReview.agent_id == agent_id)
        .order_by(AgentReview.reviewed_at.desc(), AgentReview.id.desc())
        .limit(1)
    ).first()


def _first_seen(hits: Iterable[PostureHit]) -> list[PostureHit]:
    """One hit per (rule, item): an exposure kept across versions belongs to the version that added it."""
    seen: set[tuple[str, str]] = set()
    out = []
    for hit in hits:
        key = (hit.rule, hit.item_key)
        if key not in seen:
            seen.add(key)
            out.append(hit)
    return out


def evaluate_agent(
    session: Session,
    agent: Agent,
    scan: Scanner,
    *,
    broad_edit_threshold: int = DEFAULT_BROAD_EDIT_THRESHOLD,
    file_texts: Callable[[list[str]], dict[str, str]] | None = None,
) -> AgentPosture:
    """Every agent.* rule on every stored version of ``agent``; stores the config_changed diffs."""
    result = AgentPosture(agent.agent_id, agent.kind, agent.owner_id, agent.name)
    rows = _ordered_configs(session, agent.integration_id, agent.agent_id)
    if not rows:
        return result
    snapshots = [_snapshot(r) for r in rows]
    sharing = Sharing.from_api(agent.visibility, agent.recipients)
    hits: list[PostureHit] = sharing_hits(sharing, snapshots[-1].config_id, broad_edit_threshold)
    masked: dict[str, str] = {}
    for snapshot in snapshots:
        hits += action_hits(snapshot)
        found = instruction_hits(snapshot, scan)
        hits += found
        masked[snapshot.config_id] = _masked_instructions(snapshot, scan) if found else snapshot.instructions
    all_files = sorted({f for s in snapshots for f in s.file_ids})
    texts = (file_texts or _stored_file_texts(session, agent))(all_files) if all_files else {}
    for file_id in all_files:
        first_config = next(s.config_id for s in snapshots if file_id in s.file_ids)
        hits += knowledge_hits(first_config, file_id, texts.get(file_id, ""), scan)
    changed, diffs = _config_changes(session, agent, snapshots, sharing, masked)
    result.hits = _first_seen(hits) + changed
    result.diffs = diffs
    return result


def _masked_instructions(snapshot: ConfigSnapshot, scan: Scanner) -> str:
    return mask_text(snapshot.instructions, scan(snapshot.instructions, Where.AGENT_CONFIG))


def _stored_file_texts(session: Session, agent: Agent) -> Callable[[list[str]], dict[str, str]]:
    def load(file_ids: list[str]) -> dict[str, str]:
        rows = session.execute(
            select(StoredFile.file_id, StoredFile.extracted_text).where(
                StoredFile.integration_id == agent.integration_id,
                StoredFile.kind == agent.kind,
                StoredFile.file_id.in_(file_ids),
                StoredFile.state == FileState.FETCHED.value,
            )
        ).all()
        return {file_id: text for file_id, text in rows if text}

    return load


def _config_changes(
    session: Session,
    agent: Agent,
    snapshots: list[ConfigSnapshot],
    sharing: Sharing,
    masked: dict[str, str],
) -> tuple[list[PostureHit], list[ConfigDiff]]:
    """Diff every version after the baseline (last reviewed version, else the first) against the baseline."""
    review = latest_review(session, agent.integration_id, agent.agent_id)
    ids = [s.config_id for s in snapshots]
    if review is not None and review.config_id in ids:
        base_index = ids.index(review.config_id)
        reviewed_sharing = Sharing.from_json(review.sharing)
    else:
        base_index, reviewed_sharing = 0, None
    baseline = snapshots[base_index]
    later = snapshots[base_index + 1 :]
    if reviewed_sharing is not None and not later:
        later = [baseline]  # only sharing can have changed since the review
    hits, diffs = [], []
    for snapshot in later:
        is_latest = snapshot is snapshots[-1]
        diff = diff_configs(
            baseline if snapshot is not baseline else snapshot,
            snapshot,
            old_sharing=reviewed_sharing if is_latest else None,
            new_sharing=sharing if is_latest else None,
            old_instructions_masked=masked.get(baseline.config_id),
            new_instructions_masked=masked.get(snapshot.config_id),
        )
        _store_diff(session, agent, diff)
        diffs.append(diff)
        hit = config_changed_hit(diff)
        if hit is not None:
            hits.append(hit)
    return hits, diffs


def _store_diff(session: Session, agent: Agent, diff: ConfigDiff) -> None:
    from_id = diff.from_config_id or ""
    row = session.scalars(
        select(AgentConfigDiff).where(
            AgentConfigDiff.integration_id == agent.integration_id,
            AgentConfigDiff.agent_id == agent.agent_id,
            AgentConfigDiff.from_config_id == from_id,
            AgentConfigDiff.to_config_id == diff.to_config_id,
        )
    ).first()
    data = diff.to_json()
    if row is None:
        session.add(
            AgentConfigDiff(
                integration_id=agent.integration_id,
                agent_id=agent.agent_id,
                from_config_id=from_id,
                to_config_id=diff.to_config_id,
                diff=data,
                widens=diff.widens,
            )
        )
    elif row.diff != data:
        row.diff, row.widens = data, diff.widens


def stored_diffs(session: Session, integration_id: int, agent_id: str) -> list[AgentConfigDiff]:
    """The diffs computed by the last evaluations, oldest target version first."""
    return list(
        session.scalars(
            select(AgentConfigDiff)
            .where(AgentConfigDiff.integration_id == integration_id, AgentConfigDiff.agent_id == agent_id)
            .order_by(AgentConfigDiff.id)
        ).all()
    )


def evaluate_integration(
    session: Session,
    integration_id: int,
    *,
    scan: Scanner | None = None,
    broad_edit_threshold: int = DEFAULT_BROAD_EDIT_THRESHOLD,
    agent_ids: Iterable[str] | None = None,
) -> list[AgentPosture]:
    """Posture of every live agent of an integration (or only ``agent_ids``)."""
    scan = scan or data_exposure_scanner()
    query = select(Agent).where(Agent.integration_id == integration_id, Agent.deleted_at.is_(None))
    if agent_ids is not None:
        query = query.where(Agent.agent_id.in_(list(agent_ids)))
    agents = session.scalars(query.order_by(Agent.agent_id)).all()
    return [evaluate_agent(session, a, scan, broad_edit_threshold=broad_edit_threshold) for a in agents]


def _agent(session: Session, integration_id: int, agent_id: str) -> Agent:
    agent = session.scalars(
        select(Agent).where(Agent.integration_id == integration_id, Agent.agent_id == agent_id)
    ).first()
    if agent is None:
        raise PostureError(
            f"agent {agent_id!r} is not stored for integration {integration_id}: sync it first"
        )
    return agent


def mark_reviewed(
    session: Session,
    integration_id: int,
    agent_id: str,
    config_id: str | None = None,
    *,
    reviewed_by: str | None = None,
    note: str | None = None,
) -> AgentReview:
    """Mark a version (default: the latest) reviewed, with the agent's sharing as it is now."""
    agent = _agent(session, integration_id, agent_id)
    configs = _ordered_configs(session, integration_id, agent_id)
    if not configs:
        raise PostureError(f"agent {agent_id!r} has no stored configuration to review")
    ids = [c.config_id for c in configs]
    chosen = config_id or ids[-1]
    if chosen not in ids:
        raise PostureError(f"agent {agent_id!r} has no configuration {chosen!r}; known: {', '.join(ids)}")
    review = AgentReview(
        integration_id=integration_id,
        agent_id=agent_id,
        config_id=chosen,
        sharing=Sharing.from_api(agent.visibility, agent.recipients).to_json(),
        reviewed_by=reviewed_by,
        note=note,
    )
    session.add(review)
    session.flush()
    return review


def get_diff(
    session: Session,
    integration_id: int,
    agent_id: str,
    from_config_id: str | None = None,
    to_config_id: str | None = None,
    *,
    scan: Scanner | None = None,
) -> ConfigDiff:
    """Diff between two stored versions (defaults: last reviewed or first → latest), instructions masked.

    Sharing is compared only from a reviewed version to the latest one (the API keeps no sharing history).
    """
    agent = _agent(session, integration_id, agent_id)
    rows = _ordered_configs(session, integration_id, agent_id)
    by_id = {r.config_id: _snapshot(r) for r in rows}
    if not rows:
        raise PostureError(f"agent {agent_id!r} has no stored configuration")
    review = latest_review(session, integration_id, agent_id)
    if from_config_id is None:
        from_config_id = review.config_id if review and review.config_id in by_id else rows[0].config_id
    to_config_id = to_config_id or rows[-1].config_id
    for wanted in (from_config_id, to_config_id):
        if wanted not in by_id:
            raise PostureError(f"agent {agent_id!r} has no configuration {wanted!r}")
    scan = scan or data_exposure_scanner()
    old, new = by_id[from_config_id], by_id[to_config_id]
    compare_sharing = (
        review is not None and review.config_id == from_config_id and to_config_id == rows[-1].config_id
    )
    return diff_configs(
        old,
        new,
        old_sharing=Sharing.from_json(review.sharing) if compare_sharing and review else None,
        new_sharing=Sharing.from_api(agent.visibility, agent.recipients) if compare_sharing else None,
        old_instructions_masked=_masked_instructions(old, scan),
        new_instructions_masked=_masked_instructions(new, scan),
    )


def hit_to_alert(integration_id: int, posture: AgentPosture, hit: PostureHit, observed_at: datetime):
    """The alert ``record_alerts`` stores for a posture hit (subject: the agent).

    Non-text hits (sharing, actions, config changes) have no span: their ``field`` carries a short digest of
    what was found, so two domains of one version are two alerts and the same domain again is a duplicate.
    """
    from aiwatch.findings.types import AlertInput

    if hit.file_id is not None:
        item_kind, item_id, field_name = "file", hit.file_id, "text"
    else:
        item_kind, item_id = "agent_config", hit.config_id
        field_name = hit.source_field
        if hit.start is None:
            digest = hashlib.sha256(hit.item_key.encode("utf-8", "surrogatepass")).hexdigest()[:16]
            field_name = f"{hit.source_field}#{digest}"
    return AlertInput(
        integration_id=integration_id,
        rule=hit.rule,
        item_kind=item_kind,
        item_id=item_id,
        subject_kind="agent",
        subject_id=posture.agent_id,
        severity=hit.severity,
        score=1.0,
        start=hit.start or 0,
        end=hit.end or 0,
        evidence=hit.evidence,
        value_hash=hit.value_hash,
        field=field_name,
        detector_version=POSTURE_VERSION,
        observed_at=observed_at,
        agent_id=posture.agent_id,
        details={
            **hit.details,
            "config_id": hit.config_id,
            "agent_kind": posture.kind,
            "agent_name": posture.name,
        },
    )


def record_posture(
    session: Session,
    integration_id: int,
    *,
    scan: Scanner | None = None,
    broad_edit_threshold: int = DEFAULT_BROAD_EDIT_THRESHOLD,
    agent_ids: Iterable[str] | None = None,
):
    """Evaluate posture and record its hits as alerts (the store ignores duplicates of earlier runs)."""
    from aiwatch.findings.service import record_alerts

    postures = evaluate_integration(
        session, integration_id, scan=scan, broad_edit_threshold=broad_edit_threshold, agent_ids=agent_ids
    )
    config_times = dict(
        session.execute(
            select(AgentConfig.config_id, AgentConfig.created_at).where(
                AgentConfig.integration_id == integration_id
            )
        ).all()
    )
    now = datetime.now(UTC)
    alerts = [
        hit_to_alert(integration_id, posture, hit, config_times.get(hit.config_id) or now)
        for posture in postures
        for hit in posture.hits
    ]
    return record_alerts(session, alerts)
