"""The detection catalog as data: policy groups → policies → rules, one YAML file per policy.

Built-in files live beside this module; organisation-defined rules (ids ``custom.<slug>``, or instances of
``confidential.keyword`` / ``misuse.banned_topic``) load from a user file or directory with the same schema.
Validation errors name the file and the rule so a security team can fix their own rules.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from aiwatch.detection.types import Where
from aiwatch.domain import Sensitivity, Severity

BUILTIN_DIR = Path(__file__).parent
RULE_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_.-]+$")
# Organisations may only add rules in these namespaces (built-in ids are a public contract).
CUSTOM_PREFIXES = ("custom.", "confidential.keyword", "misuse.banned_topic")
REPLACEABLE = frozenset({"confidential.keyword", "misuse.banned_topic"})


class CatalogError(ValueError):
    """A catalog file is invalid; the message names the file, the rule and what to fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# `key: …, value: …` patterns expand to "a key-like name, an assignment operator, then the value" in every
# common syntax (.env, YAML, JSON, TOML, shell, code, HTTP headers). The key is case-insensitive; the value
# (capture group 1) keeps its case.
KEYED_TEMPLATE = (
    r"(?i:{key})[\w.-]*[ \t]*['\"\x60]?[ \t]*(?:=|:=|::|:|=>|\?=|,|\|\|=?)[ \t]*(?:\\?\r?\n[ \t]*)?"
    r"(?:['\"\x60]|(?i:bearer|token)[ \t]+)?[ \t]*({value})(?:[^A-Za-z0-9_+/=.~-]|$)"
)


class PatternSpec(_Strict):
    """One regular expression. Syntax is the common subset of Hyperscan and Python ``re``.

    Inside a character class, ``{W}`` means "a word character of any script" and ``{UPPER}`` "an upper-case
    letter" (see engine.CLASS_MACROS).
    """

    regex: str
    # Which capture group is the sensitive value (0 = the whole match). Python re extracts it after
    # Hyperscan found the match, so groups cost nothing on the hot path.
    value_group: int | str = 0
    caseless: bool = False
    unicode: bool = False  # UTF-8 + Unicode properties (\w matches letters of every script)
    score: float | None = None  # overrides the rule's base score for this pattern
    validators: list[str] | None = None  # overrides the rule's validators for this pattern
    requires_context: list[Sensitivity] | None = None  # overrides the rule's setting for this pattern
    label: str | None = None  # shown in details (e.g. which national ID)
    # Longest match to look for, in characters, when the regex itself is unbounded (default 512).
    max_length: int | None = Field(default=None, ge=1, le=1_000_000)
    # Reject a match whose preceding character is one of these (a decimal point before "14159 26535").
    not_preceded_by: str = ""

    @model_validator(mode="before")
    @classmethod
    def _expand_keyed(cls, data: object) -> object:
        if isinstance(data, dict) and "key" in data:
            data = dict(data)
            key, value = data.pop("key"), data.pop("value", r"[A-Za-z0-9_.~+/=-]{16,}")
            if "regex" in data:
                raise ValueError("give either regex or key/value, not both")
            data["regex"] = KEYED_TEMPLATE.replace("{key}", str(key)).replace("{value}", str(value))
            data.setdefault("value_group", 1)
        return data

    @field_validator("regex")
    @classmethod
    def _compiles_in_python(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from exc
        return value


class ContextSpec(_Strict):
    """Words near a match that raise or lower confidence."""

    window: int = Field(default=60, ge=0, le=1000)  # characters on each side
    positive: list[str] = Field(default_factory=list)
    negative: list[str] = Field(default_factory=list)
    negative_window: int | None = Field(
        default=None, ge=0, le=1000
    )  # set: negative words count only this far BEFORE
    boost: float = 0.2
    penalty: float = 0.45


class Thresholds(_Strict):
    balanced: float = 0.5
    high: float = 0.3


class RuleSpec(_Strict):
    id: str
    name: str
    meaning: str
    security_context: str
    severity: Severity
    sensitivity: list[Sensitivity] = Field(default_factory=lambda: [Sensitivity.BALANCED, Sensitivity.HIGH])
    applies_to: list[Where] | Literal["all"] = "all"
    enabled: bool = True
    score: float = Field(default=0.8, ge=0, le=1)
    patterns: list[PatternSpec] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)  # literal words/phrases, case-insensitive, whole words
    validators: list[str] = Field(default_factory=list)
    context: ContextSpec | None = None
    # At these sensitivities a match counts only with a positive context word nearby.
    requires_context: list[Sensitivity] = Field(default_factory=list)
    test_values: list[str] = Field(default_factory=list)
    mask: Literal["auto", "card", "email", "secret", "digits", "generic", "none"] = "auto"
    thresholds: Thresholds = Field(default_factory=Thresholds)
    # Merge consecutive matches of this rule separated by at most this many characters (addresses).
    merge_within: int = 0
    # Drop this rule's match when a match of a more specific rule (id globs) overlaps it.
    yields_to: list[str] = Field(default_factory=list)
    detector: str | None = None  # a whole-text detector in place of / in addition to patterns
    version: str = "1"

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not RULE_ID.match(value):
            raise ValueError(f"rule id {value!r} must look like 'family.name' (lowercase, dots)")
        return value

    @model_validator(mode="after")
    def _has_logic(self) -> RuleSpec:
        if not (self.patterns or self.keywords or self.detector):
            raise ValueError(f"rule {self.id} needs patterns, keywords or a detector")
        return self

    def applies(self, where: Where) -> bool:
        return self.applies_to == "all" or where in self.applies_to


class PolicySpec(_Strict):
    id: str
    name: str


class PolicyFile(_Strict):
    group: str
    policy: PolicySpec
    defaults: dict[str, object] = Field(default_factory=dict)  # fields every rule of the file inherits
    rules: list[RuleSpec]

    @model_validator(mode="before")
    @classmethod
    def _apply_defaults(cls, data: object) -> object:
        if (
            isinstance(data, dict)
            and isinstance(data.get("defaults"), dict)
            and isinstance(data.get("rules"), list)
        ):
            defaults = data["defaults"]
            data = {**data, "rules": [{**defaults, **r} if isinstance(r, dict) else r for r in data["rules"]]}
        return data


class Catalog:
    """All rules, with their policy and group, in load order. Rule ids are unique."""

    def __init__(self, files: Iterable[PolicyFile]) -> None:
        self.policies: list[PolicyFile] = list(files)
        self.rules: dict[str, RuleSpec] = {}
        self.policy_of: dict[str, PolicySpec] = {}
        self.group_of: dict[str, str] = {}
        for policy_file in self.policies:
            for rule in policy_file.rules:
                if rule.id in self.rules:
                    raise CatalogError(f"rule id {rule.id} is defined twice (policy {policy_file.policy.id})")
                self.rules[rule.id] = rule
                self.policy_of[rule.id] = policy_file.policy
                self.group_of[rule.id] = policy_file.group

    def __iter__(self):
        return iter(self.rules.values())

    def __len__(self) -> int:
        return len(self.rules)

    def get(self, rule_id: str) -> RuleSpec | None:
        return self.rules.get(rule_id)

    def with_organisation_rules(self, path: Path | str) -> Catalog:
        """This catalog plus the organisation's rules from a YAML file or a directory of them."""
        extra = load_policy_files(_yaml_files(Path(path)))
        replaced: set[str] = set()
        for policy_file in extra:
            for rule in policy_file.rules:
                if not rule.id.startswith(CUSTOM_PREFIXES):
                    raise CatalogError(
                        f"{path}: organisation rule {rule.id} must start with 'custom.', "
                        "'confidential.keyword' or 'misuse.banned_topic' (built-in ids are reserved)"
                    )
                if rule.id in REPLACEABLE:
                    replaced.add(rule.id)
        # The organisation's confidential.keyword / misuse.banned_topic replace the shipped (disabled) ones.
        kept = [
            policy.model_copy(update={"rules": [r for r in policy.rules if r.id not in replaced]})
            for policy in self.policies
        ]
        return Catalog([*kept, *extra])


def _yaml_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")])
        if not files:
            raise CatalogError(f"{path}: no .yaml rule files in this directory")
        return files
    if not path.is_file():
        raise CatalogError(f"{path}: rule file not found")
    return [path]


def load_policy_files(paths: Iterable[Path]) -> list[PolicyFile]:
    loaded = []
    for path in paths:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
            raise CatalogError(f"{path}: cannot read rule file: {exc}") from exc
        try:
            loaded.append(PolicyFile.model_validate(raw))
        except ValidationError as exc:
            raise CatalogError(f"{path}: invalid rule file:\n{_explain(exc, raw)}") from exc
    return loaded


def _explain(exc: ValidationError, raw: object) -> str:
    lines = []
    for error in exc.errors():
        loc = error["loc"]
        where = ".".join(str(part) for part in loc)
        if len(loc) >= 2 and loc[0] == "rules" and isinstance(loc[1], int) and isinstance(raw, dict):
            with contextlib.suppress(KeyError, IndexError, TypeError, AttributeError):
                rule_id = raw["rules"][loc[1]].get("id", f"#{loc[1]}")
                where = f"rule {rule_id}: " + ".".join(str(part) for part in loc[2:])
        lines.append(f"  {where}: {error['msg']}")
    return "\n".join(lines)


@lru_cache(maxsize=1)
def builtin_catalog() -> Catalog:
    """The rules shipped with aiwatch."""
    return Catalog(load_policy_files(sorted(BUILTIN_DIR.glob("*.yaml"))))


def load_catalog(organisation_rules: Path | str | None = None) -> Catalog:
    catalog = builtin_catalog()
    return catalog.with_organisation_rules(organisation_rules) if organisation_rules else catalog
