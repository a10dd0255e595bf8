"""Administration of the detection policy: rule/policy settings, exclusions, ignore rules, organisation rules
and their replay over stored history. Changes take effect at the next pipeline run (the fingerprint changes,
so affected items are rescanned) and through ``aiwatch rescan``."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aiwatch.domain import Sensitivity, Severity
from aiwatch.findings.models import Exclusion, IgnoreRule, OrgRule, PolicySetting
from aiwatch.findings.policy import PolicySnapshot, catalog_with, org_rule_spec

SLUG = re.compile(r"^[a-z0-9][a-z0-9_]{0,60}$")
EXCLUSION_KINDS = ("keyword", "regex", "value")
IGNORE_TARGETS = ("agent", "app", "everywhere")
SCOPE_KEYS = ("integrations", "agents", "users")


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
    _known_target(PolicySnapshot.load(session), target_kind, target_id)
    if status is not None and status not in ("enabled", "disabled"):
        raise PolicyError("status must be enabled or disabled")
    try:
        severity = str(Severity(severity)) if severity else None
        sensitivity = str(Sensitivity(sensitivity)) if sensitivity else None
    except ValueError as exc:
        raise PolicyError(
            f"{exc}; severities: critical/high/medium/low, sensitivities: balanced/high"
        ) from None
    if scope is not None and set(scope) - set(SCOPE_KEYS):
        raise PolicyError(f"scope keys must be among {', '.join(SCOPE_KEYS)}")
    row = session.scalar(
        select(PolicySetting).where(
            PolicySetting.target_kind == target_kind, PolicySetting.target_id == target_id
        )
    )
    if row is None:
        row = PolicySetting(target_kind=target_kind, target_id=target_id)
        session.add(row)
    if status is not None:
        row.status = status
    if severity is not None:
        row.severity = severity
    if sensitivity is not None:
        row.sensitivity = sensitivity
    if scope is not None:
        row.scope = {k: [str(v) for v in values] for k, values in scope.items() if values}
    row.updated_by = by
    session.flush()
    return row


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

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule_id,
            "items_scanned": self.items_scanned,
            "matches": self.matches,
            "per_subject": dict(self.per_subject.most_common()),
            "samples": self.samples,
        }


def replay(
    session: Session, rule_id: str, hasher: Callable[[str], str], *, max_samples: int = 10
) -> ReplayReport:
    """What an organisation rule would have found in every stored item, without recording anything."""
    from aiwatch.detection.engine import Engine
    from aiwatch.pipeline.items import SOURCES
    from aiwatch.pipeline.runner import integration_ids

    row = session.scalar(select(OrgRule).where(OrgRule.rule_id == rule_id))
    if row is None:
        raise PolicyError(f"no organisation rule {rule_id}")
    spec = org_rule_spec(row)
    engine = Engine(catalog_with([row]), rules_glob=[spec.id], value_hasher=hasher, use_plugins=False)
    report = ReplayReport(rule_id)
    for integration_id in integration_ids(session):
        for kind, source in SOURCES.items():
            after = 0
            while items := source(session, integration_id, "replay-never-matches", after, 500):
                after = items[-1].row_id
                for item in items:
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
    return report
