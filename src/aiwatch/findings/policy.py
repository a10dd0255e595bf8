"""A snapshot of the administrator's detection policy: rule settings, scope, exclusions, ignore rules and
organisation rules, read once per pipeline run and applied to every detection.

Precedence: a rule's own setting wins over its policy's, which wins over the catalog default. A scope lists
the integrations / agents / apps / users / user groups a rule applies to; an empty or missing list means
everywhere. Both the policy's and the rule's scope must let an alert through. User groups are resolved by the
subject user's email when the snapshot is loaded (see aiwatch.findings.groups).
"""

from __future__ import annotations

import fnmatch
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import select
from sqlalchemy.orm import Session

from aiwatch.detection.catalog import Catalog, PatternSpec, PolicyFile, PolicySpec, RuleSpec, builtin_catalog
from aiwatch.domain import Sensitivity, Severity
from aiwatch.findings.groups import GroupMatcher, user_emails
from aiwatch.findings.models import Exclusion, IgnoreRule, OrgRule, PolicySetting, UserGroup

ORG_GROUP = "Organisation"
ORG_POLICY = PolicySpec(id="organisation", name="Organisation rules")
# Rules recorded by other producers (posture, activity) are not in the detection catalog.
NON_CATALOG_POLICIES = {
    "agent": ("agent_posture", "Agent Posture"),
    "activity": ("suspicious_activity", "Activity"),
    "custom": (ORG_POLICY.id, ORG_GROUP),
}
CONTEXT_CHARS = 60  # keyword exclusions look this far around the match


def org_rule_spec(rule: OrgRule) -> RuleSpec:
    """The catalog rule an organisation rule compiles to (whole-word keywords or regexes)."""
    common = {
        "id": rule.rule_id,
        "name": rule.name,
        "meaning": f"Organisation rule {rule.name}",
        "security_context": "Defined by your organisation.",
        "severity": Severity(rule.severity),
        "score": 0.9,
        "mask": "generic",
    }
    if rule.kind == "keyword":
        return RuleSpec(**common, keywords=[str(p) for p in rule.patterns])
    return RuleSpec(**common, patterns=[PatternSpec(regex=str(p)) for p in rule.patterns])


def catalog_with(org_rules: list[OrgRule]) -> Catalog:
    base = builtin_catalog()
    if not org_rules:
        return base
    extra = PolicyFile(group=ORG_GROUP, policy=ORG_POLICY, rules=[org_rule_spec(r) for r in org_rules])
    return Catalog([*base.policies, extra])


@dataclass(frozen=True)
class ExclusionMatcher:
    id: int
    kind: str
    pattern: str
    scope_kind: str
    scope_id: str | None
    regex: re.Pattern[str] | None

    def applies_to(self, rule: str, policy: str) -> bool:
        if self.scope_kind == "rule":
            return fnmatch.fnmatchcase(rule, self.scope_id or "")
        if self.scope_kind == "policy":
            return policy == self.scope_id
        return True

    def matches(self, value_hash: str | None, matched: str | None, context: str | None) -> bool:
        if self.kind == "value":
            return value_hash is not None and value_hash == self.pattern
        if self.kind == "keyword":
            haystack = (context or matched or "").casefold()
            return bool(haystack) and self.pattern.casefold() in haystack
        return self.regex is not None and matched is not None and self.regex.search(matched) is not None


@dataclass
class PolicySnapshot:
    settings: dict[tuple[str, str], PolicySetting] = field(default_factory=dict)
    exclusions: list[ExclusionMatcher] = field(default_factory=list)
    ignore_rules: list[IgnoreRule] = field(default_factory=list)
    org_rules: list[OrgRule] = field(default_factory=list)
    groups: dict[str, GroupMatcher] = field(default_factory=dict)  # by id (as text, like scope lists)
    emails: dict[tuple[int, str], str] = field(default_factory=dict)  # (integration, user id) -> email

    @classmethod
    def load(cls, session: Session) -> PolicySnapshot:
        settings = {(s.target_kind, s.target_id): s for s in session.scalars(select(PolicySetting))}
        exclusions = [
            ExclusionMatcher(
                e.id,
                e.kind,
                e.pattern,
                e.scope_kind,
                e.scope_id,
                re.compile(e.pattern) if e.kind == "regex" else None,
            )
            for e in session.scalars(select(Exclusion).order_by(Exclusion.id))
        ]
        ignores = list(session.scalars(select(IgnoreRule).order_by(IgnoreRule.id)))
        org = list(session.scalars(select(OrgRule).order_by(OrgRule.id)))
        groups: dict[str, GroupMatcher] = {}
        emails: dict[tuple[int, str], str] = {}
        if any((s.scope or {}).get("groups") for s in settings.values()):
            # Only scopes by group need the users' emails; most policies never pay for loading them.
            groups = {str(g.id): GroupMatcher.of(g) for g in session.scalars(select(UserGroup))}
            emails = user_emails(session)
        for row in (*settings.values(), *ignores, *org):
            session.expunge(row)  # the snapshot outlives the session
        return cls(settings, exclusions, ignores, org, groups, emails)

    @cached_property
    def catalog(self) -> Catalog:
        """Built-in rules plus enabled organisation rules."""
        return catalog_with([r for r in self.org_rules if r.status == "enabled"])

    def policy_and_group(self, rule: str) -> tuple[str, str]:
        full = catalog_with(self.org_rules) if rule.startswith("custom.") else self.catalog
        if rule in full.policy_of:
            return full.policy_of[rule].id, full.group_of[rule]
        return NON_CATALOG_POLICIES.get(rule.split(".", 1)[0], ("other", "Other"))

    def _setting(self, rule: str, attribute: str) -> str | None:
        for key in (("rule", rule), ("policy", self.policy_and_group(rule)[0])):
            value = getattr(self.settings.get(key), attribute, None) if key in self.settings else None
            if value:
                return value
        return None

    def enabled(self, rule: str) -> bool:
        status = self._setting(rule, "status")
        if status is not None:
            return status == "enabled"
        spec = self.catalog.get(rule)
        return spec.enabled if spec is not None else True

    def severity(self, rule: str, detected: Severity | str) -> Severity:
        override = self._setting(rule, "severity")
        return Severity(override or detected)

    def sensitivity(self, rule: str) -> Sensitivity:
        return Sensitivity(self._setting(rule, "sensitivity") or Sensitivity.BALANCED)

    def in_scope(
        self,
        rule: str,
        integration_id: int,
        agent_id: str | None,
        user_id: str | None,
        app_id: str | None = None,
    ) -> bool:
        for key in (("rule", rule), ("policy", self.policy_and_group(rule)[0])):
            setting = self.settings.get(key)
            scope = (setting.scope if setting else None) or {}
            if not _listed(scope.get("integrations"), integration_id):
                return False
            if not _listed(scope.get("agents"), agent_id):
                return False
            if not _listed(scope.get("apps"), app_id):
                return False
            if not _listed(scope.get("users"), user_id):
                return False
            if scope.get("groups") and not self.in_groups(scope["groups"], integration_id, user_id):
                return False
        return True

    def in_groups(self, group_ids: list[object], integration_id: int, user_id: str | None) -> bool:
        """Whether the user's email matches one of the groups (a user without a known email is in none)."""
        if user_id is None:
            return False
        email = self.emails.get((integration_id, str(user_id)))
        return any(g.matches(email) for gid in group_ids if (g := self.groups.get(str(gid))) is not None)

    def suppression(
        self,
        rule: str,
        *,
        value_hash: str | None,
        matched: str | None,
        context: str | None,
        agent_id: str | None,
        app_id: str | None,
    ) -> str | None:
        """Why an alert is suppressed (``ignore:<id>`` / ``exclusion:<id>``), or None."""
        for ignore in self.ignore_rules:
            if not fnmatch.fnmatchcase(rule, ignore.rule):
                continue
            if (
                ignore.target_kind == "everywhere"
                or (ignore.target_kind == "agent" and agent_id and ignore.target_id == agent_id)
                or (ignore.target_kind == "app" and app_id and ignore.target_id == app_id)
            ):
                return f"ignore:{ignore.id}"
        policy = self.policy_and_group(rule)[0]
        for exclusion in self.exclusions:
            if exclusion.applies_to(rule, policy) and exclusion.matches(value_hash, matched, context):
                return f"exclusion:{exclusion.id}"
        return None

    def engine_plan(self) -> dict[Sensitivity, list[str]]:
        """Enabled catalog rules grouped by the sensitivity they run at (one engine per sensitivity)."""
        plan: dict[Sensitivity, list[str]] = {}
        for rule in self.catalog:
            if self.enabled(rule.id):
                plan.setdefault(self.sensitivity(rule.id), []).append(rule.id)
        return plan

    @cached_property
    def fingerprint(self) -> str:
        """Changes whenever what the engine would detect changes (rules, sensitivities, engine version)."""
        from aiwatch.detection.engine import ENGINE_VERSION

        plan = {str(k): sorted(v) for k, v in self.engine_plan().items()}
        org = [(r.rule_id, r.kind, r.patterns, r.severity) for r in self.org_rules if r.status == "enabled"]
        data = json.dumps([ENGINE_VERSION, plan, org], sort_keys=True, default=str)
        return hashlib.sha256(data.encode()).hexdigest()


def _listed(allowed: list[object] | None, value: object) -> bool:
    if not allowed:
        return True
    return value is not None and str(value) in {str(a) for a in allowed}


def context_around(text: str, start: int, end: int, chars: int = CONTEXT_CHARS) -> str:
    return text[max(0, start - chars) : end + chars]


Hasher = Callable[[str], str]
