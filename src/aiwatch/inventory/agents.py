"""Agents (custom GPTs and projects): the filtered list, one agent's details, its versions, diffs and reviews.

"Changed since reviewed" follows ``aiwatch.posture``: the baseline is the newest review mark (else the first
version); an agent changed when a newer version than the baseline exists, or — once reviewed — when its
sharing differs from the sharing recorded with the review. Marking reviewed moves the baseline to the latest
version, so later posture runs compare against it (``aiwatch.posture.service.mark_reviewed``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from aiwatch.detection.types import Where
from aiwatch.findings.models import Finding
from aiwatch.inventory.common import (
    InventoryError,
    NotFound,
    Page,
    integration_names,
    like_pattern,
    open_findings_subquery,
    risk_join,
    text_filter,
)
from aiwatch.inventory.risk import RiskExplanation, explain
from aiwatch.posture.diff import (
    ConfigDiff,
    ConfigSnapshot,
    Sharing,
    action_domain,
    diff_configs,
    is_unauthenticated,
)
from aiwatch.posture.models import AgentReview
from aiwatch.posture.rules import Scanner, mask_text
from aiwatch.posture.service import PostureError, data_exposure_scanner, get_diff, latest_review
from aiwatch.posture.service import mark_reviewed as posture_mark_reviewed
from aiwatch.risk.models import RiskScoreRow
from aiwatch.store.models import Agent, AgentConfig, AgentSharedUser, StoredFile

AGENT_SORTS = ("risk", "name", "findings", "versions", "changed_at")
AGENT_KINDS = ("gpt", "project")
# Sharing categories (filter values) and the API visibilities each covers.
SHARING_CATEGORIES = ("private", "shared", "link", "workspace", "public")
LINK_VISIBILITIES = ("workspace-with-link",)
WORKSPACE_VISIBILITIES = ("workspace",)
PUBLIC_VISIBILITIES = ("anyone-with-link", "gpt-store")
SHARING_LABELS = {
    "invite-only": "private",
    "workspace-with-link": "link (workspace)",
    "workspace": "workspace",
    "anyone-with-link": "public link",
    "gpt-store": "public (GPT Store)",
}
_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass
class AgentFilter:
    text: str | None = None  # in name, agent id, owner email
    kind: str | None = None
    sharing: str | None = None  # one of SHARING_CATEGORIES
    changed: bool | None = None  # True: only agents changed since reviewed
    min_risk: float | None = None
    owner: str | None = None  # owner user id
    include_deleted: bool = False
    integration_id: int | None = None
    page: Page = field(default_factory=lambda: Page("risk"))


@dataclass
class AgentRow:
    id: int
    integration_id: int
    integration: str
    agent_id: str
    kind: str
    name: str | None
    owner_id: str | None
    owner_email: str | None
    visibility: str | None
    sharing: str  # category
    sharing_label: str
    shared_with: int
    versions: int
    latest_config_id: str | None
    latest_at: datetime | None
    open_findings: int
    risk_score: float | None
    reviewed_config_id: str | None
    reviewed_at: datetime | None
    reviewed_by: str | None
    changed: bool
    deleted_at: datetime | None
    tools: list[str] = field(default_factory=list)
    action_domains: list[str] = field(default_factory=list)
    unauthenticated_domains: list[str] = field(default_factory=list)
    files: int = 0
    widens: bool = False  # the change since the baseline adds a tool, action, domain or wider sharing
    change_reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class SharedUser:
    user_id: str
    email: str | None
    name: str | None
    can_write: bool


@dataclass(frozen=True)
class ActionInfo:
    domain: str
    auth_type: str | None
    unauthenticated: bool


@dataclass(frozen=True)
class FileInfo:
    file_id: str
    name: str | None
    state: str | None  # pending | fetched | expired | deleted | error; None when not synced
    size: int | None


@dataclass(frozen=True)
class ReviewInfo:
    config_id: str
    reviewed_by: str | None
    reviewed_at: datetime
    note: str | None


@dataclass
class VersionInfo:
    config_id: str
    created_at: datetime | None
    name: str | None
    tools: list[str]
    action_domains: list[str]
    files: int
    is_latest: bool
    reviews: list[ReviewInfo]
    changes: list[str]  # what changed from the version before (readable, no instruction text)

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "reviews": [r.__dict__ for r in self.reviews]}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: str | None = None
    after: str | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class DiffLine:
    kind: str  # add | del | ctx | hunk | note
    text: str


@dataclass
class DiffView:
    from_config_id: str | None  # None: nothing before (the first version)
    to_config_id: str
    base: str  # reviewed | previous | chosen | none
    sharing_compared: bool
    widens: bool
    reasons: list[str]
    fields: list[FieldChange]
    instructions: list[DiffLine]

    @property
    def unchanged(self) -> bool:
        return not self.fields and not self.instructions

    def to_json(self) -> dict[str, Any]:
        return {
            "from_config_id": self.from_config_id,
            "to_config_id": self.to_config_id,
            "base": self.base,
            "sharing_compared": self.sharing_compared,
            "widens": self.widens,
            "reasons": self.reasons,
            "unchanged": self.unchanged,
            "fields": [
                {**f.__dict__, "added": list(f.added), "removed": list(f.removed)} for f in self.fields
            ],
            "instructions": [line.__dict__ for line in self.instructions],
        }


@dataclass(frozen=True)
class FindingBrief:
    id: int
    rule: str
    severity: str
    alert_count: int
    last_seen: datetime


@dataclass
class AgentDetail:
    agent: AgentRow
    description: str | None  # masked
    instructions: str | None  # masked
    shared_users: list[SharedUser]
    actions: list[ActionInfo]
    files: list[FileInfo]
    versions: list[VersionInfo]  # newest first
    reviews: list[ReviewInfo]  # newest first
    open_findings: list[FindingBrief]
    user_findings: int  # open findings of users that involve this agent
    risk: RiskExplanation | None


# --- list ---------------------------------------------------------------------------------------------------


def _config_scalar(column: Any) -> Any:
    return (
        select(column)
        .where(AgentConfig.integration_id == Agent.integration_id, AgentConfig.agent_id == Agent.agent_id)
        .order_by(AgentConfig.created_at.desc().nulls_last(), AgentConfig.config_id.desc())
        .limit(1)
        .correlate(Agent)
        .scalar_subquery()
    )


def _columns() -> dict[str, Any]:
    same_agent = and_(
        AgentConfig.integration_id == Agent.integration_id, AgentConfig.agent_id == Agent.agent_id
    )
    reviewed = (
        select(AgentReview.config_id)
        .where(AgentReview.integration_id == Agent.integration_id, AgentReview.agent_id == Agent.agent_id)
        .order_by(AgentReview.reviewed_at.desc(), AgentReview.id.desc())
        .limit(1)
        .correlate(Agent)
        .scalar_subquery()
    )
    return {
        "latest_config_id": _config_scalar(AgentConfig.config_id),
        "latest_at": _config_scalar(AgentConfig.created_at),
        "versions": select(func.count(AgentConfig.id)).where(same_agent).correlate(Agent).scalar_subquery(),
        "reviewed": reviewed,
        "shared": select(func.count(AgentSharedUser.id))
        .where(
            AgentSharedUser.integration_id == Agent.integration_id, AgentSharedUser.agent_id == Agent.agent_id
        )
        .correlate(Agent)
        .scalar_subquery(),
    }


def _sharing_changed_ids(session: Session) -> set[int]:
    """Row ids of reviewed agents whose sharing differs from the sharing recorded with their newest review."""
    newest: dict[tuple[int, str], AgentReview] = {}
    for review in session.scalars(select(AgentReview).order_by(AgentReview.reviewed_at, AgentReview.id)):
        newest[(review.integration_id, review.agent_id)] = review
    if not newest:
        return set()
    changed = set()
    agents = session.execute(
        select(Agent.id, Agent.integration_id, Agent.agent_id, Agent.visibility, Agent.recipients).where(
            Agent.agent_id.in_({agent_id for _, agent_id in newest})
        )
    ).all()
    for row_id, integration_id, agent_id, visibility, recipients in agents:
        review = newest.get((integration_id, agent_id))
        if review is not None and Sharing.from_json(review.sharing) != Sharing.from_api(
            visibility, recipients
        ):
            changed.add(row_id)
    return changed


def _sharing_condition(category: str, shared: Any) -> Any:
    if category == "private":
        return and_(or_(Agent.visibility.is_(None), Agent.visibility == "invite-only"), shared == 0)
    if category == "shared":
        return and_(or_(Agent.visibility.is_(None), Agent.visibility == "invite-only"), shared > 0)
    if category == "link":
        return Agent.visibility.in_(LINK_VISIBILITIES)
    if category == "workspace":
        return Agent.visibility.in_(WORKSPACE_VISIBILITIES)
    return Agent.visibility.in_(PUBLIC_VISIBILITIES)


def sharing_category(visibility: str | None, shared_with: int) -> tuple[str, str]:
    """(category, readable label) of an agent's sharing."""
    if visibility in PUBLIC_VISIBILITIES:
        category = "public"
    elif visibility in LINK_VISIBILITIES:
        category = "link"
    elif visibility in WORKSPACE_VISIBILITIES:
        category = "workspace"
    else:
        category = "shared" if shared_with else "private"
    people = f"shared with {shared_with} user{'s' if shared_with != 1 else ''}" if shared_with else ""
    if category == "shared":
        return category, people
    label = SHARING_LABELS.get(visibility or "", visibility or "private")
    return category, f"{label}, {people}" if people else label


def list_agents(
    session: Session, f: AgentFilter | None = None, *, row_id: int | None = None
) -> tuple[list[AgentRow], int]:
    """One page of agents matching the filter, and how many match in all (``row_id``: only that agent)."""
    f = f or AgentFilter()
    f.page.check(AGENT_SORTS)
    if f.kind is not None and f.kind not in AGENT_KINDS:
        raise InventoryError(f"kind must be one of {', '.join(AGENT_KINDS)}")
    if f.sharing is not None and f.sharing not in SHARING_CATEGORIES:
        raise InventoryError(f"sharing must be one of {', '.join(SHARING_CATEGORIES)}")
    if f.min_risk is not None and not 0 <= f.min_risk <= 100:
        raise InventoryError("min_risk must be between 0 and 100")
    cols = _columns()
    open_counts = open_findings_subquery("agent")
    findings_col = func.coalesce(open_counts.c.open_findings, 0)
    sharing_changed = _sharing_changed_ids(session)
    changed_col = or_(
        and_(cols["reviewed"].is_(None), cols["versions"] > 1),
        and_(cols["reviewed"].is_not(None), cols["reviewed"] != cols["latest_config_id"]),
        Agent.id.in_(sharing_changed) if sharing_changed else False,
    )
    query: Select[Any] = select(
        Agent,
        findings_col,
        RiskScoreRow.score,
        cols["latest_config_id"],
        cols["latest_at"],
        cols["versions"],
        cols["reviewed"],
        cols["shared"],
    ).outerjoin(
        open_counts,
        (open_counts.c.integration_id == Agent.integration_id) & (open_counts.c.subject_id == Agent.agent_id),
    )
    query = risk_join(query, "agent", Agent.integration_id, Agent.agent_id)
    conditions: list[Any] = []
    if not f.include_deleted:
        conditions.append(Agent.deleted_at.is_(None))
    if f.text:
        conditions.append(text_filter(like_pattern(f.text), Agent.name, Agent.agent_id, Agent.owner_email))
    if f.kind:
        conditions.append(Agent.kind == f.kind)
    if f.sharing:
        conditions.append(_sharing_condition(f.sharing, cols["shared"]))
    if f.changed is not None:
        conditions.append(changed_col if f.changed else ~changed_col)
    if f.min_risk is not None:
        conditions.append(func.coalesce(RiskScoreRow.score, 0.0) >= f.min_risk)
    if f.owner:
        conditions.append(Agent.owner_id == f.owner)
    if f.integration_id is not None:
        conditions.append(Agent.integration_id == f.integration_id)
    if row_id is not None:
        conditions.append(Agent.id == row_id)
    query = query.where(*conditions)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    key: Any = {
        "risk": func.coalesce(RiskScoreRow.score, 0.0),
        "name": func.lower(func.coalesce(Agent.name, "")),
        "findings": findings_col,
        "versions": cols["versions"],
        "changed_at": cols["latest_at"],
    }[f.page.sort]
    ordered = key.desc().nulls_last() if f.page.descending else key.asc().nulls_last()
    rows = session.execute(
        query.order_by(ordered, Agent.name, Agent.id).limit(f.page.limit).offset(f.page.offset)
    ).all()
    names = integration_names(session)
    reviews = _newest_reviews(session, [(r[0].integration_id, r[0].agent_id) for r in rows])
    agents = []
    for agent, open_findings, score, latest_id, latest_at, versions, reviewed_id, shared in rows:
        category, label = sharing_category(agent.visibility, int(shared or 0))
        review = reviews.get((agent.integration_id, agent.agent_id))
        agents.append(
            AgentRow(
                id=agent.id,
                integration_id=agent.integration_id,
                integration=names.get(agent.integration_id, str(agent.integration_id)),
                agent_id=agent.agent_id,
                kind=agent.kind,
                name=agent.name,
                owner_id=agent.owner_id,
                owner_email=agent.owner_email,
                visibility=agent.visibility,
                sharing=category,
                sharing_label=label,
                shared_with=int(shared or 0),
                versions=int(versions or 0),
                latest_config_id=latest_id,
                latest_at=latest_at,
                open_findings=int(open_findings or 0),
                risk_score=round(score, 1) if score is not None else None,
                reviewed_config_id=reviewed_id,
                reviewed_at=review.reviewed_at if review else None,
                reviewed_by=review.reviewed_by if review else None,
                changed=(reviewed_id is None and int(versions or 0) > 1)
                or (reviewed_id is not None and reviewed_id != latest_id)
                or agent.id in sharing_changed,
                deleted_at=agent.deleted_at,
            )
        )
    _fill_configs(session, agents, {(a.integration_id, a.agent_id): a for a, *_ in rows})
    return agents, total


def _newest_reviews(session: Session, keys: list[tuple[int, str]]) -> dict[tuple[int, str], AgentReview]:
    if not keys:
        return {}
    out: dict[tuple[int, str], AgentReview] = {}
    rows = session.scalars(
        select(AgentReview)
        .where(AgentReview.agent_id.in_({agent_id for _, agent_id in keys}))
        .order_by(AgentReview.reviewed_at, AgentReview.id)
    )
    for review in rows:
        out[(review.integration_id, review.agent_id)] = review
    return out


def _ordered_configs(
    session: Session, integration_ids: set[int], agent_ids: set[str]
) -> dict[Any, list[AgentConfig]]:
    """Configs per (integration, agent), oldest first (the order ``aiwatch.posture`` uses)."""
    if not agent_ids:
        return {}
    out: dict[tuple[int, str], list[AgentConfig]] = {}
    for row in session.scalars(
        select(AgentConfig).where(
            AgentConfig.integration_id.in_(integration_ids), AgentConfig.agent_id.in_(agent_ids)
        )
    ):
        out.setdefault((row.integration_id, row.agent_id), []).append(row)
    for rows in out.values():
        rows.sort(key=lambda r: (r.created_at or _EPOCH, r.config_id))
    return out


def _snapshot(row: AgentConfig) -> ConfigSnapshot:
    return ConfigSnapshot.from_api(row.config_id, row.instructions, row.tools, row.files)


def _fill_configs(session: Session, rows: list[AgentRow], agents: dict[tuple[int, str], Agent]) -> None:
    """Tools, domains and files of each row's latest version, and what the change since the baseline adds."""
    configs = _ordered_configs(session, {r.integration_id for r in rows}, {r.agent_id for r in rows})
    for row in rows:
        versions = configs.get((row.integration_id, row.agent_id), [])
        if not versions:
            continue
        latest = _snapshot(versions[-1])
        row.tools = list(latest.tools)
        row.action_domains = list(latest.action_domains)
        row.unauthenticated_domains = list(latest.unauthenticated_domains)
        row.files = len(latest.file_ids)
        if not row.changed:
            continue
        ids = [v.config_id for v in versions]
        base_index = ids.index(row.reviewed_config_id) if row.reviewed_config_id in ids else 0
        agent = agents[(row.integration_id, row.agent_id)]
        reviewed = row.reviewed_config_id is not None
        review = latest_review(session, row.integration_id, row.agent_id) if reviewed else None
        diff = diff_configs(
            _snapshot(versions[base_index]),
            latest,
            old_sharing=Sharing.from_json(review.sharing) if review else None,
            new_sharing=Sharing.from_api(agent.visibility, agent.recipients) if review else None,
        )
        row.widens = diff.widens
        row.change_reasons = diff.reasons()


# --- one agent ----------------------------------------------------------------------------------------------


def find_agent(session: Session, ref: str, integration_id: int | None = None) -> Agent:
    """An agent by API id (``g-…`` / ``g-p-…``, what findings and risk scores name) or row id."""
    query = select(Agent).where(Agent.agent_id == ref)
    if integration_id is not None:
        query = query.where(Agent.integration_id == integration_id)
    agent = session.scalars(query.order_by(Agent.integration_id)).first()
    if agent is None and ref.isdigit():
        agent = session.get(Agent, int(ref))
        if agent is not None and integration_id is not None and agent.integration_id != integration_id:
            agent = None
    if agent is None:
        raise NotFound(f"no GPT or project {ref!r} is stored")
    return agent


def _row_of(session: Session, agent: Agent) -> AgentRow:
    """The agent's list row (same columns as the list)."""
    rows, _ = list_agents(
        session, AgentFilter(include_deleted=True, page=Page("risk", limit=1)), row_id=agent.id
    )
    return rows[0]


def _reviews(session: Session, agent: Agent) -> list[ReviewInfo]:
    rows = session.scalars(
        select(AgentReview)
        .where(AgentReview.integration_id == agent.integration_id, AgentReview.agent_id == agent.agent_id)
        .order_by(AgentReview.reviewed_at.desc(), AgentReview.id.desc())
    )
    return [ReviewInfo(r.config_id, r.reviewed_by, r.reviewed_at, r.note) for r in rows]


def _configs_of(session: Session, agent: Agent) -> list[AgentConfig]:
    return _ordered_configs(session, {agent.integration_id}, {agent.agent_id}).get(
        (agent.integration_id, agent.agent_id), []
    )


def _change_summary(diff: ConfigDiff, old: AgentConfig | None, new: AgentConfig) -> list[str]:
    """Readable one-liners of what changed between two versions (never instruction text)."""
    if old is None:
        return ["first version"]
    out = [f"+ tool {t}" for t in diff.tools_added] + [f"- tool {t}" for t in diff.tools_removed]
    out += [f"+ action {d}" for d in diff.domains_added] + [f"- action {d}" for d in diff.domains_removed]
    out += [f"unauthenticated action {d}" for d in diff.unauthenticated_added]
    if diff.files_added:
        out.append(f"+ {len(diff.files_added)} file(s)")
    if diff.files_removed:
        out.append(f"- {len(diff.files_removed)} file(s)")
    if (old.name or "") != (new.name or ""):
        out.append("name changed")
    if (old.description or "") != (new.description or ""):
        out.append("description changed")
    if (old.instructions or "") != (new.instructions or ""):
        out.append("instructions changed")
    return out or ["no posture-relevant change"]


def list_versions(session: Session, agent: Agent) -> list[VersionInfo]:
    """Every stored version, newest first, each with what changed from the one before."""
    configs = _configs_of(session, agent)
    reviews = _reviews(session, agent)
    out = []
    previous: AgentConfig | None = None
    for index, row in enumerate(configs):
        snapshot = _snapshot(row)
        diff = diff_configs(
            _snapshot(previous) if previous else None,
            snapshot,
            old_sharing=None,
            new_sharing=None,
            old_instructions_masked="",
            new_instructions_masked="",  # only the structured fields are summarised here
        )
        out.append(
            VersionInfo(
                config_id=row.config_id,
                created_at=row.created_at,
                name=row.name,
                tools=list(snapshot.tools),
                action_domains=list(snapshot.action_domains),
                files=len(snapshot.file_ids),
                is_latest=index == len(configs) - 1,
                reviews=[r for r in reviews if r.config_id == row.config_id],
                changes=_change_summary(diff, previous, row),
            )
        )
        previous = row
    return list(reversed(out))


def _file_names(configs: list[AgentConfig]) -> dict[str, str]:
    names: dict[str, str] = {}
    for row in configs:
        for item in row.files if isinstance(row.files, list) else []:
            if (
                isinstance(item, dict)
                and isinstance(item.get("id"), str)
                and isinstance(item.get("name"), str)
            ):
                names[item["id"]] = item["name"]
    return names


def _mask(text: str | None, scan: Scanner) -> str | None:
    if not text:
        return text
    return mask_text(text, scan(text, Where.AGENT_CONFIG))


def default_base(session: Session, agent: Agent, to_config_id: str | None = None) -> tuple[str | None, str]:
    """The version a diff starts from when none is chosen: the reviewed one, else the one before."""
    ids = [c.config_id for c in _configs_of(session, agent)]
    if not ids:
        raise InventoryError(f"{agent.agent_id} has no stored configuration")
    target = to_config_id or ids[-1]
    if target not in ids:
        raise InventoryError(f"{agent.agent_id} has no version {target!r}; known: {', '.join(ids)}")
    review = latest_review(session, agent.integration_id, agent.agent_id)
    if review is not None and review.config_id in ids and ids.index(review.config_id) <= ids.index(target):
        return review.config_id, "reviewed"
    index = ids.index(target)
    return (ids[index - 1], "previous") if index > 0 else (None, "none")


def agent_diff(
    session: Session,
    agent: Agent,
    from_config_id: str | None = None,
    to_config_id: str | None = None,
    *,
    scan: Scanner | None = None,
) -> DiffView:
    """Field-by-field diff between two versions (default: reviewed or previous → latest), instructions masked.

    Sharing is compared only from the reviewed version to the latest (the API keeps no sharing history).
    """
    configs = _configs_of(session, agent)
    by_id = {c.config_id: c for c in configs}
    if not configs:
        raise InventoryError(f"{agent.agent_id} has no stored configuration")
    for wanted in (from_config_id, to_config_id):
        if wanted is not None and wanted not in by_id:
            raise InventoryError(f"{agent.agent_id} has no version {wanted!r}; known: {', '.join(by_id)}")
    to_id = to_config_id or configs[-1].config_id
    if from_config_id is None:
        from_id, base = default_base(session, agent, to_id)
    else:
        from_id, base = from_config_id, "chosen"
        review = latest_review(session, agent.integration_id, agent.agent_id)
        if review is not None and review.config_id == from_id:
            base = "reviewed"
    scan = scan or data_exposure_scanner()
    new = by_id[to_id]
    if from_id is None:
        diff = diff_configs(
            None,
            _snapshot(new),
            old_sharing=None,
            new_sharing=None,
            old_instructions_masked="",
            new_instructions_masked=_mask(new.instructions, scan) or "",
        )
    else:
        try:
            diff = get_diff(session, agent.integration_id, agent.agent_id, from_id, to_id, scan=scan)
        except PostureError as exc:
            raise InventoryError(str(exc)) from exc
    old = by_id.get(from_id) if from_id else None
    return DiffView(
        from_config_id=from_id,
        to_config_id=to_id,
        base=base,
        sharing_compared=_compares_sharing(session, agent, from_id, to_id, configs),
        widens=diff.widens,
        reasons=diff.reasons(),
        fields=_field_changes(session, agent, diff, old, new, scan, _file_names(configs)),
        instructions=_lines(diff.instructions_diff),
    )


def _compares_sharing(
    session: Session, agent: Agent, from_id: str | None, to_id: str, configs: list[AgentConfig]
) -> bool:
    review = latest_review(session, agent.integration_id, agent.agent_id)
    return review is not None and review.config_id == from_id and to_id == configs[-1].config_id


def _field_changes(
    session: Session,
    agent: Agent,
    diff: ConfigDiff,
    old: AgentConfig | None,
    new: AgentConfig,
    scan: Scanner,
    file_names: dict[str, str],
) -> list[FieldChange]:
    out: list[FieldChange] = []
    if (old.name if old else None) != new.name:
        out.append(FieldChange("Name", old.name if old else None, new.name))
    old_description = _mask(old.description, scan) if old else None
    new_description = _mask(new.description, scan)
    if (old_description or "") != (new_description or ""):
        out.append(FieldChange("Description", old_description, new_description))
    for label, added, removed in (
        ("Tools", diff.tools_added, diff.tools_removed),
        ("Action domains", diff.domains_added, diff.domains_removed),
        ("Unauthenticated actions", diff.unauthenticated_added, []),
        (
            "Knowledge files",
            [file_names.get(f, f) for f in diff.files_added],
            [file_names.get(f, f) for f in diff.files_removed],
        ),
    ):
        if added or removed:
            out.append(FieldChange(label, added=tuple(added), removed=tuple(removed)))
    if diff.visibility_from != diff.visibility_to:
        out.append(FieldChange("Visibility", diff.visibility_from, diff.visibility_to))
    if diff.recipients_added or diff.recipients_removed or diff.writers_added:
        emails = dict(
            session.execute(
                select(AgentSharedUser.user_id, AgentSharedUser.email).where(
                    AgentSharedUser.integration_id == agent.integration_id,
                    AgentSharedUser.agent_id == agent.agent_id,
                )
            ).all()
        )
        if diff.recipients_added or diff.recipients_removed:
            out.append(
                FieldChange(
                    "Shared with",
                    added=tuple(emails.get(u) or u for u in diff.recipients_added),
                    removed=tuple(emails.get(u) or u for u in diff.recipients_removed),
                )
            )
        if diff.writers_added:
            out.append(
                FieldChange("Edit rights", added=tuple(emails.get(u) or u for u in diff.writers_added))
            )
    return out


def _lines(unified: list[str]) -> list[DiffLine]:
    out = []
    for line in unified:
        if line.startswith(("+++", "---")):
            continue  # file headers: the versions are named above the diff
        if line.startswith("@@"):
            out.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            out.append(DiffLine("add", line[1:]))
        elif line.startswith("-"):
            out.append(DiffLine("del", line[1:]))
        elif line.startswith(" "):
            out.append(DiffLine("ctx", line[1:]))
        else:
            out.append(DiffLine("note", line))
    return out


def get_agent(
    session: Session, ref: str, *, integration_id: int | None = None, scan: Scanner | None = None
) -> AgentDetail:
    """One agent: its list row plus sharing, actions, files, versions, reviews, open findings and risk."""
    agent = find_agent(session, ref, integration_id)
    row = _row_of(session, agent)
    configs = _configs_of(session, agent)
    latest = configs[-1] if configs else None
    scan = scan or data_exposure_scanner()
    sharing = Sharing.from_api(agent.visibility, agent.recipients)
    shared_users = [
        SharedUser(u.user_id, u.email, u.name, sharing.recipients.get(u.user_id, False))
        for u in session.scalars(
            select(AgentSharedUser)
            .where(
                AgentSharedUser.integration_id == agent.integration_id,
                AgentSharedUser.agent_id == agent.agent_id,
            )
            .order_by(AgentSharedUser.email, AgentSharedUser.user_id)
        )
    ]
    actions = []
    for tool in latest.tools if latest is not None and isinstance(latest.tools, list) else []:
        if isinstance(tool, dict) and tool.get("type") == "custom_action":
            auth = tool.get("auth_type")
            actions.append(
                ActionInfo(
                    action_domain(tool), auth if isinstance(auth, str) else None, is_unauthenticated(tool)
                )
            )
    files = _files(session, agent, latest, _file_names(configs))
    findings = session.scalars(
        select(Finding)
        .where(
            Finding.integration_id == agent.integration_id,
            Finding.subject_kind == "agent",
            Finding.subject_id == agent.agent_id,
            Finding.status == "open",
        )
        .order_by(Finding.last_seen.desc(), Finding.id.desc())
    ).all()
    user_findings = session.scalar(
        select(func.count(Finding.id)).where(
            Finding.integration_id == agent.integration_id,
            Finding.subject_kind == "user",
            Finding.agent_id == agent.agent_id,
            Finding.status == "open",
        )
    )
    return AgentDetail(
        agent=row,
        description=_mask(latest.description, scan) if latest else None,
        instructions=_mask(latest.instructions, scan) if latest else None,
        shared_users=shared_users,
        actions=actions,
        files=files,
        versions=list_versions(session, agent),
        reviews=_reviews(session, agent),
        open_findings=[FindingBrief(f.id, f.rule, f.severity, f.alert_count, f.last_seen) for f in findings],
        user_findings=int(user_findings or 0),
        risk=explain(session, agent.integration_id, "agent", agent.agent_id),
    )


def _files(
    session: Session, agent: Agent, latest: AgentConfig | None, names: dict[str, str]
) -> list[FileInfo]:
    ids = list(_snapshot(latest).file_ids) if latest is not None else []
    if not ids:
        return []
    stored = {
        f.file_id: f
        for f in session.scalars(
            select(StoredFile).where(
                StoredFile.integration_id == agent.integration_id,
                StoredFile.kind == agent.kind,
                StoredFile.file_id.in_(ids),
            )
        )
    }
    return sorted(
        (
            FileInfo(
                file_id,
                names.get(file_id) or (stored[file_id].name if file_id in stored else None),
                stored[file_id].state if file_id in stored else None,
                stored[file_id].size if file_id in stored else None,
            )
            for file_id in ids
        ),
        key=lambda f: ((f.name or "").lower(), f.file_id),
    )


def mark_reviewed(
    session: Session, agent: Agent, config_id: str | None = None, *, reviewed_by: str, note: str | None = None
) -> ReviewInfo:
    """Mark a version (default: the latest) reviewed with the sharing seen now; later diffs start there."""
    try:
        review = posture_mark_reviewed(
            session, agent.integration_id, agent.agent_id, config_id, reviewed_by=reviewed_by, note=note
        )
    except PostureError as exc:
        raise InventoryError(str(exc)) from exc
    return ReviewInfo(review.config_id, review.reviewed_by, review.reviewed_at, review.note)
