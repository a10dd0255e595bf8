"""Administration of the detection policy: rule/policy settings, exclusions, ignore rules, organisation rules
and their replay over stored history. Changes take effect at the next pipeline run (the fingerprint changes,
so affected items are rescanned) and through ``aiwatch rescan``."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from aiwatch.domain import Sensitivity, Severity
from aiwatch.findings.models import Alert, Exclusion, Finding, IgnoreRule, OrgRule, PolicySetting, UserGroup
from aiwatch.findings.policy import PolicySnapshot, catalog_with, org_rule_spec

SLUG = re.compile(r"^[a-z0-9][a-z0-9_]{0,60}$")
EXCLUSION_KINDS = ("keyword", "regex", "value")
IGNORE_TARGETS = ("agent", "app", "everywhere")
SCOPE_KEYS = ("integrations", "agents", "apps", "users", "groups")
DEFAULT = "default"  # a setting value that clears the override (back to the policy / catalog default)
REPLAY_MAX_ITEMS = 20_000
REPLAY_MAX_SECONDS = 20.0


class PolicyError(ValueError):
    """A policy change that cannot be applied; the message says what to fix."""


def _known_target(snapshot: PolicySnapshot, target_kind: str, target_id: str) -> None:
    catalog = catalog_with(snapshot.org_rules)
    if target_kind == "rule" and catalog.get(target_id) is None:
        raise PolicyError(f"unknown rule {target_id!r}; see `aiwatch policies list`")
    if target_kind == "policy" and target_id not in {p.policy.id for p in catalog.policies}:
        raise PolicyError(f"unknown policy {target_id!r}; see `aiwatch policies list`")
    if target_kind not in ("rule", "policy"):
        raise PolicyError("target must be a rule or a policy")


def set_policy(
    session: Session,
    target_kind: str,
    target_id: str,
    *,
    status: str | None = None,
    severity: str | None = None,
    sensitivity: str | None = None,
    scope: dict[str, list[str]] | None = None,
    by: str | None = None,
) -> PolicySetting:
    """Change a rule's or policy's setting; ``"default"`` for status/severity/sensitivity clears it."""
    _known_target(PolicySnapshot.load(session), target_kind, target_id)
    if status is not None and status not in ("enabled", "disabled", DEFAULT):
        raise PolicyError("status must be enabled or disabled")
    try:
        severity = severity if severity in (None, "", DEFAULT) else str(Severity(severity))
        sensitivity = sensitivity if sensitivity in (None, "", DEFAULT) else str(Sensitivity(sensitivity))
    except ValueError as exc:
        raise PolicyError(
            f"{exc}; severities: critical/high/medium/low, sensitivities: balanced/high"
        ) from None
    if scope is not None:
        scope = check_scope(session, scope)
    row = session.scalar(
        select(PolicySetting).where(
            PolicySetting.target_kind == target_kind, PolicySetting.target_id == target_id
        )
    )
    if row is None:
        row = PolicySetting(target_kind=target_kind, target_id=target_id)
        session.add(row)
    if status is not None:
        row.status = None if status == DEFAULT else status
    if severity:
        row.severity = None if severity == DEFAULT else severity
    if sensitivity:
        row.sensitivity = None if sensitivity == DEFAULT else sensitivity
    if scope is not None:
        row.scope = scope or None
    row.updated_by = by
    session.flush()
    return row


def check_scope(session: Session, scope: dict[str, Any]) -> dict[str, list[str]]:
    """A scope with known keys, ids as text, and integrations / user groups that exist."""
    from aiwatch.store.models import Integration

    unknown_keys = set(scope) - set(SCOPE_KEYS)
    if unknown_keys:
        raise PolicyError(
            f"unknown scope key {sorted(unknown_keys)[0]!r}; scope keys are {', '.join(SCOPE_KEYS)}"
        )
    clean: dict[str, list[str]] = {}
    for key, values in scope.items():
        if values is None:
            continue
        if not isinstance(values, list | tuple):
            raise PolicyError(f"scope {key} must be a list of ids")
        items = sorted({str(v).strip() for v in values if str(v).strip()})
        if items:
            clean[key] = items
    # Integrations by id or by name (the console shows names); stored as ids.
    by_name = {name: str(i) for i, name in session.execute(select(Integration.id, Integration.name))}
    known_integrations = set(by_name.values())
    if "integrations" in clean:
        ids = []
        for value in clean["integrations"]:
            resolved = value if value in known_integrations else by_name.get(value)
            if resolved is None:
                raise PolicyError(f"unknown integration {value!r} in scope (give its name or id)")
            ids.append(resolved)
        clean["integrations"] = sorted(set(ids))
    known_groups = {str(g) for g in session.scalars(select(UserGroup.id))}
    for value in clean.get("groups", []):
        if value not in known_groups:
            raise PolicyError(f"unknown user group {value!r} in scope; see `aiwatch groups list`")
    return clean


def bulk_set(
    session: Session,
    rule_ids: Iterable[str],
    *,
    status: str | None = None,
    severity: str | None = None,
    sensitivity: str | None = None,
    by: str | None = None,
) -> list[PolicySetting]:
    """The same status / severity / sensitivity on many rules at once; nothing changes if one id is wrong."""
    rule_ids = list(dict.fromkeys(r.strip() for r in rule_ids if r and r.strip()))
    if not rule_ids:
        raise PolicyError("select at least one rule")
    if status is None and not severity and not sensitivity:
        raise PolicyError("choose a status, severity or sensitivity to set")
    catalog = catalog_with(PolicySnapshot.load(session).org_rules)
    unknown = [r for r in rule_ids if catalog.get(r) is None]
    if unknown:
        raise PolicyError(f"unknown rule {unknown[0]!r}; see `aiwatch policies list`")
    return [
        set_policy(session, "rule", rule, status=status, severity=severity, sensitivity=sensitivity, by=by)
        for rule in rule_ids
    ]


def remove_exclusion(session: Session, exclusion_id: int) -> Exclusion:
    row = session.get(Exclusion, exclusion_id)
    if row is None:
        raise PolicyError(f"no exclusion {exclusion_id}")
    session.delete(row)
    session.flush()
    return row


def remove_ignore(session: Session, ignore_id: int) -> IgnoreRule:
    row = session.get(IgnoreRule, ignore_id)
    if row is None:
        raise PolicyError(f"no ignore rule {ignore_id}")
    session.delete(row)
    session.flush()
    return row


def delete_org_rule(session: Session, rule_id: str) -> OrgRule:
    """Remove an organisation rule; its past alerts and findings stay (under the Organisation policy)."""
    row = session.scalar(select(OrgRule).where(OrgRule.rule_id == rule_id))
    if row is None:
        raise PolicyError(f"no organisation rule {rule_id}")
    session.delete(row)
    session.flush()
    return row


def suppression_counts(session: Session) -> Counter[str]:
    """How many stored alerts each reason suppressed: ``exclusion:3``, ``ignore:2``, ``out_of_scope`` ..."""
    rows = session.execute(
        select(Alert.suppressed_by, func.count())
        .where(Alert.suppressed_by.is_not(None))
        .group_by(Alert.suppressed_by)
    )
    return Counter({str(reason): int(n) for reason, n in rows})


def rule_suppression_counts(session: Session) -> dict[str, Counter[str]]:
    """Per rule: suppressed alerts by reason."""
    out: dict[str, Counter[str]] = {}
    rows = session.execute(
        select(Alert.rule, Alert.suppressed_by, func.count())
        .where(Alert.suppressed_by.is_not(None))
        .group_by(Alert.rule, Alert.suppressed_by)
    )
    for rule, reason, n in rows:
        out.setdefault(str(rule), Counter())[str(reason)] = int(n)
    return out


def open_finding_counts(session: Session) -> Counter[str]:
    """Open findings per rule."""
    rows = session.execute(
        select(Finding.rule, func.count()).where(Finding.status == "open").group_by(Finding.rule)
    )
    return Counter({str(rule): int(n) for rule, n in rows})


def add_exclusion(
    session: Session,
    kind: str,
    value: str,
    *,
    hasher: Callable[[str], str],
    scope_kind: str = "everywhere",
    scope_id: str | None = None,
    note: str | None = None,
    by: str | None = None,
) -> Exclusion:
    """An exclusion; an exact value is stored only as its keyed hash (the same hash the engine computes)."""
    if kind not in EXCLUSION_KINDS:
        raise PolicyError(f"exclusion kind must be one of {', '.join(EXCLUSION_KINDS)}")
    if not value or not value.strip():
        raise PolicyError("an exclusion needs a non-empty value")
    if scope_kind not in ("everywhere", "rule", "policy") or (scope_kind != "everywhere" and not scope_id):
        raise PolicyError("scope must be everywhere, or rule/policy with an id")
    pattern = value
    if kind == "regex":
        try:
            re.compile(value)
        except re.error as exc:
            raise PolicyError(f"invalid regular expression: {exc}") from None
    elif kind == "value":
        pattern = hasher(value)
    row = Exclusion(
        kind=kind, pattern=pattern, scope_kind=scope_kind, scope_id=scope_id, note=note, created_by=by
    )
    session.add(row)
    session.flush()
    return row


def add_ignore(
    session: Session,
    rule: str,
    target_kind: str,
    target_id: str | None = None,
    *,
    note: str | None = None,
    by: str | None = None,
) -> IgnoreRule:
    if target_kind not in IGNORE_TARGETS:
        raise PolicyError(f"ignore target must be one of {', '.join(IGNORE_TARGETS)}")
    if target_kind != "everywhere" and not target_id:
        raise PolicyError(f"ignoring on one {target_kind} needs its id")
    if not rule.strip():
        raise PolicyError("give the rule id (or glob) to ignore")
    row = IgnoreRule(
        rule=rule.strip(), target_kind=target_kind, target_id=target_id, note=note, created_by=by
    )
    session.add(row)
    session.flush()
    return row


def add_org_rule(
    session: Session,
    slug: str,
    name: str,
    kind: str,
    patterns: list[str],
    *,
    severity: str = "medium",
    by: str | None = None,
) -> OrgRule:
    """A draft organisation rule ``custom.<slug>``; it detects nothing until enabled (replay it first)."""
    if not SLUG.match(slug):
        raise PolicyError("the slug must be lowercase letters, digits and underscores (e.g. project_falcon)")
    if kind not in ("regex", "keyword"):
        raise PolicyError("an organisation rule is a regex or a keyword list")
    patterns = [p for p in (p.strip() for p in patterns) if p]
    if not patterns:
        raise PolicyError("give at least one pattern")
    rule_id = f"custom.{slug}"
    if session.scalar(select(OrgRule.id).where(OrgRule.rule_id == rule_id)) is not None:
        raise PolicyError(f"rule {rule_id} already exists")
    row = OrgRule(
        rule_id=rule_id,
        name=name or slug,
        kind=kind,
        patterns=patterns,
        severity=str(Severity(severity)),
        status="draft",
        created_by=by,
    )
    try:
        from aiwatch.detection.engine import Engine

        Engine(catalog_with([row]), rules_glob=[rule_id], use_plugins=False)
    except Exception as exc:  # any compile failure (Hyperscan, re, catalog) is the pattern's fault
        raise PolicyError(f"the rule does not compile: {exc}") from None
    session.add(row)
    session.flush()
    return row


def set_org_rule_status(session: Session, rule_id: str, status: str) -> OrgRule:
    if status not in ("draft", "enabled", "disabled"):
        raise PolicyError("status must be draft, enabled or disabled")
    row = session.scalar(select(OrgRule).where(OrgRule.rule_id == rule_id))
    if row is None:
        raise PolicyError(f"no organisation rule {rule_id}; see `aiwatch policies rules list`")
    row.status = status
    session.flush()
    return row


@dataclass
class ReplayReport:
    rule_id: str
    items_scanned: int = 0
    matches: int = 0
    per_subject: Counter[str] = field(default_factory=Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)
    # Why the replay stopped before the end of stored history ("items" / "time"), or None if it saw it all.
    limited_by: str | None = None
    kinds_done: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "items_scanned": self.items_scanned,
            "matches": self.matches,
            "per_subject": dict(self.per_subject.most_common()),
            "samples": self.samples,
            "complete": self.limited_by is None,
            "limited_by": self.limited_by,
            "kinds_done": self.kinds_done,
            "seconds": round(self.seconds, 2),
        }


def replay(
    session: Session,
    rule_id: str,
    hasher: Callable[[str], str],
    *,
    max_samples: int = 10,
    max_items: int | None = None,
    max_seconds: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> ReplayReport:
    """What an organisation rule would have found in stored items, without recording anything.

    Bounded by ``max_items`` and ``max_seconds`` (None: unbounded, as the CLI runs it): the console runs a
    replay inside a request, so on a big store it stops early and the report says so (``limited_by``).
    """
    from aiwatch.detection.engine import Engine
    from aiwatch.pipeline.items import SOURCES
    from aiwatch.pipeline.runner import integration_ids

    row = session.scalar(select(OrgRule).where(OrgRule.rule_id == rule_id))
    if row is None:
        raise PolicyError(f"no organisation rule {rule_id}")
    spec = org_rule_spec(row)
    engine = Engine(catalog_with([row]), rules_glob=[spec.id], value_hasher=hasher, use_plugins=False)
    report = ReplayReport(rule_id)
    started = clock()
    integrations = integration_ids(session)
    for kind, source in SOURCES.items():
        for integration_id in integrations:
            after = 0
            while items := source(session, integration_id, "replay-never-matches", after, 500):
                after = items[-1].row_id
                for item in items:
                    if max_items is not None and report.items_scanned >= max_items:
                        report.limited_by = "items"
                    elif max_seconds is not None and clock() - started > max_seconds:
                        report.limited_by = "time"
                    if report.limited_by:
                        report.seconds = clock() - started
                        return report
                    report.items_scanned += 1
                    for field_name, text, where in item.texts:
                        for detection in engine.scan(text, where=where):
                            report.matches += 1
                            report.per_subject[f"{item.subject_kind}:{item.subject_id}"] += 1
                            if len(report.samples) < max_samples:
                                report.samples.append(
                                    {
                                        "item_kind": kind,
                                        "item_id": item.item_id,
                                        "field": field_name,
                                        "subject": item.subject_id,
                                        "evidence": detection.evidence,
                                    }
                                )
        report.kinds_done.append(kind)
    report.seconds = clock() - started
    return report


def _setting_json(setting: PolicySetting | None) -> dict[str, Any]:
    return {
        "status": setting.status if setting else None,
        "severity": setting.severity if setting else None,
        "sensitivity": setting.sensitivity if setting else None,
        "scope": dict(setting.scope or {}) if setting else {},
        "updated_by": setting.updated_by if setting else None,
        "updated_at": setting.updated_at if setting else None,
    }


def policy_tree(session: Session) -> list[dict[str, Any]]:
    """Groups → policies → rules with their overrides (``override``), effective values and counts.

    Built-in rules plus every organisation rule (a draft or disabled one shows as disabled). Counts: open
    findings per rule and suppressed alerts per rule by reason.
    """
    snapshot = PolicySnapshot.load(session)
    catalog = catalog_with(snapshot.org_rules)
    org_status = {r.rule_id: r.status for r in snapshot.org_rules}
    open_counts = open_finding_counts(session)
    suppressed = rule_suppression_counts(session)
    groups: dict[str, list[dict[str, Any]]] = {}
    for policy_file in catalog.policies:
        policy_id = policy_file.policy.id
        rules = []
        for rule in policy_file.rules:
            enabled = snapshot.enabled(rule.id)
            if rule.id in org_status:
                enabled = enabled and org_status[rule.id] == "enabled"
            rules.append(
                {
                    "id": rule.id,
                    "name": rule.name,
                    "meaning": rule.meaning,
                    "security_context": rule.security_context,
                    "kind": "organisation" if rule.id in org_status else "builtin",
                    "org_status": org_status.get(rule.id),
                    "status": "enabled" if enabled else "disabled",
                    "severity": str(snapshot.severity(rule.id, rule.severity)),
                    "default_severity": str(rule.severity),
                    "sensitivity": str(snapshot.sensitivity(rule.id)),
                    "default_enabled": rule.enabled,
                    "override": _setting_json(snapshot.settings.get(("rule", rule.id))),
                    "open_findings": open_counts.get(rule.id, 0),
                    "suppressed": dict(suppressed.get(rule.id, {})),
                }
            )
        groups.setdefault(policy_file.group, []).append(
            {
                "id": policy_id,
                "name": policy_file.policy.name,
                "group": policy_file.group,
                "override": _setting_json(snapshot.settings.get(("policy", policy_id))),
                "rules": rules,
                "enabled_rules": sum(1 for r in rules if r["status"] == "enabled"),
                "open_findings": sum(r["open_findings"] for r in rules),
            }
        )
    return [{"group": name, "policies": policies} for name, policies in groups.items()]


def find_rule(tree: list[dict[str, Any]], rule_id: str) -> dict[str, Any] | None:
    for group in tree:
        for policy in group["policies"]:
            for rule in policy["rules"]:
                if rule["id"] == rule_id:
                    return {
                        **rule,
                        "policy": policy["id"],
                        "policy_name": policy["name"],
                        "group": group["group"],
                    }
    return None


def find_policy(tree: list[dict[str, Any]], policy_id: str) -> dict[str, Any] | None:
    return next((p for g in tree for p in g["policies"] if p["id"] == policy_id), None)
