"""The detection engine: every pattern rule in ONE Hyperscan database, one pass, then Python validation.

Pipeline for one text: invisible-character pass (plug-in) → patterns on the visible text → whole-text
detectors (code, bulk PII, plug-in classifiers) → decode Base64/hex/… segments and scan them again (depth ≤ 3,
bounded work) → thresholds for the sensitivity → overlap resolution. Offsets are character offsets.
"""

from __future__ import annotations

import bisect
import fnmatch
import inspect
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from re import _parser as sre_parse  # width of a pattern; stable across 3.11-3.13
from typing import Any

import hyperscan

from aiwatch.detection import hyperscan_cache, plugins
from aiwatch.detection.builtin import AGGREGATES, BUILTIN_DETECTORS
from aiwatch.detection.catalog import Catalog, PatternSpec, RuleSpec, builtin_catalog
from aiwatch.detection.masking import hmac_hasher, mask, masker
from aiwatch.detection.types import Detection, Detector, EncodedSegment, Where
from aiwatch.detection.validators import Verdict, get_validator, hyperscan_narrowing
from aiwatch.domain import Sensitivity, Severity

log = logging.getLogger(__name__)

ENGINE_VERSION = "1.0"
MAX_DECODE_DEPTH = 3
TEST_VALUE_SCORE_CAP = 0.35  # below the balanced threshold: example values show only at high sensitivity
# Character-class macros for catalog patterns, as (Hyperscan byte-mode text, Python text): `[{W}.-]+` is
# "word characters of any script", `[{UPPER}]` "an upper-case letter". Hyperscan's side admits every UTF-8
# byte (a superset); Python re then applies the real Unicode meaning to the candidate.
CLASS_MACROS = {
    "{W}": (r"\w\x80-\xff", r"\w"),
    "{UPPER}": (r"A-Z\x80-\xff", "A-ZÀ-ÖØ-ÞĀ-ŽΑ-ΩА-Я"),
}


def _expand(regex: str, for_hyperscan: bool) -> str:
    for macro, (hyperscan_text, python_text) in CLASS_MACROS.items():
        regex = regex.replace(macro, hyperscan_text if for_hyperscan else python_text)
    return regex


INDIRECT_PLACES = frozenset({Where.FILE, Where.TOOL_OUTPUT, Where.AGENT_CONFIG})


@dataclass(frozen=True, slots=True)
class CompiledPattern:
    rule: RuleSpec
    spec: PatternSpec
    regex: re.Pattern[str]
    validators: tuple[tuple[str, Callable[[str, str], Verdict | None]], ...]
    requires_context: frozenset[Sensitivity]
    score: float
    # Hot-path copies of spec/rule fields, resolved once at compile time instead of per candidate.
    not_preceded_by: str = ""
    masker: Callable[[str], str] = mask
    version: str = ""


@dataclass(frozen=True, slots=True)
class _Context:
    window: int
    negative_window: int  # < 0: same window as positive words; else only this many characters before
    positive: re.Pattern[str] | None
    negative: re.Pattern[str] | None
    boost: float
    penalty: float


def _word_alternation(words: Sequence[str]) -> re.Pattern[str] | None:
    if not words:
        return None
    ordered = sorted({w.lower() for w in words}, key=len, reverse=True)
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(re.escape(w) for w in ordered) + r")(?![a-z0-9])")


def select_rules(
    catalog: Catalog, rules_glob: Iterable[str] | str | None, sensitivity: Sensitivity
) -> list[RuleSpec]:
    """Enabled rules that run at this sensitivity and match one of the id globs (all when None)."""
    if isinstance(rules_glob, str):
        rules_glob = [g.strip() for g in rules_glob.split(",") if g.strip()]
    globs = list(rules_glob) if rules_glob else None
    selected = []
    for rule in catalog:
        if globs is not None and not any(fnmatch.fnmatchcase(rule.id, g) for g in globs):
            continue
        if not rule.enabled and not (globs and rule.id in globs):  # disabled rules run only when named
            continue
        if sensitivity not in rule.sensitivity:
            continue
        selected.append(rule)
    return selected


class Engine:
    """A compiled set of rules. Build once, scan many texts; safe to share between threads and to fork."""

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        rules_glob: Iterable[str] | str | None = None,
        sensitivity: Sensitivity | str = Sensitivity.BALANCED,
        value_hasher: Callable[[str], str] | None = None,
        hash_key: bytes | None = None,
        use_plugins: bool = True,
    ) -> None:
        self.catalog = catalog or builtin_catalog()
        self.sensitivity = Sensitivity(sensitivity)
        # Values repeat (the same address in every log line): hashing is pure, so remember recent ones.
        self.value_hasher = lru_cache(maxsize=4096)(
            value_hasher or (hmac_hasher(hash_key) if hash_key else hmac_hasher())
        )
        self.rules = {rule.id: rule for rule in select_rules(self.catalog, rules_glob, self.sensitivity)}
        self._contexts = {rule.id: self._compile_context(rule) for rule in self.rules.values()}
        self._test_values = {rule.id: {v.lower() for v in rule.test_values} for rule in self.catalog}
        self._threshold = {
            rule.id: rule.thresholds.balanced
            if self.sensitivity is Sensitivity.BALANCED
            else rule.thresholds.high
            for rule in self.catalog
        }
        # Thresholds of the selected rules only: a detection of an unselected rule never passes.
        self._pass_threshold = {rule_id: self._threshold[rule_id] for rule_id in self.rules}
        # Selected rules per place, resolved once instead of per detection.
        self._applicable = {
            place: frozenset(rule_id for rule_id, rule in self.rules.items() if rule.applies(place))
            for place in Where
        }
        self._yields = {rule.id: tuple(rule.yields_to) for rule in self.rules.values() if rule.yields_to}
        self._merge_rules = frozenset(rid for rid, rule in self.rules.items() if rule.merge_within)
        self.patterns: list[CompiledPattern] = []
        self._has_pattern_rules = any(rule.patterns or rule.keywords for rule in self.rules.values())
        self.python_only: list[int] = []
        self._windows: list[int] = []  # indexes of patterns Hyperscan could not compile
        self._database: hyperscan.Database | None = None
        self._compile_patterns()
        self._detectors: list[tuple[str, Detector]] = []
        self._use_plugins = use_plugins
        self._plugin_names: set[str] = set()
        self._load_detectors()
        # (source name, bound detect, takes `where`?): files and tool output are read differently by some.
        self._detect_calls = [
            (name, detector.detect, "where" in inspect.signature(detector.detect).parameters)
            for name, detector in self._detectors
        ]
        self._hidden_finder = plugins.load(*plugins.HIDDEN_TEXT) if "hidden" in self._plugin_names else None
        self._encoded_finder = (
            plugins.load(*plugins.ENCODED_SEGMENTS) if "encoded" in self._plugin_names else None
        )
        self._local = threading.local()

    # ------------------------------------------------------------------------------------------ compile
    def _compile_context(self, rule: RuleSpec) -> _Context | None:
        spec = rule.context
        if spec is None:
            return None
        negative_window = -1 if spec.negative_window is None else spec.negative_window
        return _Context(
            spec.window,
            negative_window,
            _word_alternation(spec.positive),
            _word_alternation(spec.negative),
            spec.boost,
            spec.penalty,
        )

    def _compile_patterns(self) -> None:
        # Every pattern of the catalog goes into the database, selected or not: one compiled (and disk-cached)
        # database then serves every rule selection and sensitivity; unselected patterns are skipped on match.
        for rule in self.catalog:
            specs = list(rule.patterns)
            if rule.keywords:
                words = sorted({k.strip() for k in rule.keywords if k.strip()}, key=len, reverse=True)
                keyword_regex = r"\b(?:" + "|".join(_hs_escape(w) for w in words) + r")\b"
                specs.append(PatternSpec(regex=keyword_regex, caseless=True, unicode=True, label="keyword"))
            for spec in specs:
                names = spec.validators if spec.validators is not None else rule.validators
                flags = re.ASCII if not spec.unicode else 0
                flags |= re.IGNORECASE if spec.caseless else 0
                requires = (
                    spec.requires_context if spec.requires_context is not None else rule.requires_context
                )
                self.patterns.append(
                    CompiledPattern(
                        rule=rule,
                        spec=spec,
                        regex=re.compile(_expand(spec.regex, for_hyperscan=False), flags | re.MULTILINE),
                        validators=tuple((name, get_validator(name)) for name in names),
                        requires_context=frozenset(requires),
                        score=spec.score if spec.score is not None else rule.score,
                        not_preceded_by=spec.not_preceded_by or "",
                        masker=masker(rule.mask, rule.id),
                        version=f"{ENGINE_VERSION}/{rule.version}",
                    )
                )
        if not self.patterns:
            return
        expressions, ids, flags = [], [], []
        for index, pattern in enumerate(self.patterns):
            # No start-of-match tracking: it makes the database 3-4 times slower. Python re finds the start
            # by searching back from the reported end over the pattern's maximum width (self._windows).
            flag = hyperscan.HS_FLAG_MULTILINE
            if pattern.spec.caseless:
                flag |= hyperscan.HS_FLAG_CASELESS
            # Byte mode even for "unicode" patterns: UCP forbids \b, and {W} already admits every UTF-8 byte
            # of a non-ASCII letter; Python then checks the real Unicode semantics on the candidate.
            # A validator may allow a tighter candidate expression (see validators.hyperscan_narrowing).
            narrowed = hyperscan_narrowing(pattern.spec.regex, (name for name, _ in pattern.validators))
            expression = narrowed if narrowed is not None else pattern.spec.regex
            expressions.append(_loosen_repeats(_expand(expression, for_hyperscan=True)))
            ids.append(index)
            flags.append(flag)
        self._windows = [_max_width(p) for p in self.patterns]
        self._database, rejected = hyperscan_cache.compiled_tolerant(expressions, ids, flags)
        self.python_only.extend(rejected)
        if self.python_only:
            log.info("patterns scanned with Python re: %s", self.python_only_rules())

    def python_only_rules(self) -> list[str]:
        """Selected rules with a pattern Hyperscan cannot compile (scanned with Python re instead)."""
        return [self.patterns[i].rule.id for i in self.python_only if self.patterns[i].rule.id in self.rules]

    def _load_detectors(self) -> None:
        needed = {rule.detector for rule in self.rules.values() if rule.detector}
        for name in sorted(needed):
            if name in AGGREGATES:
                continue
            if name.startswith("plugin:"):
                plugin = name.removeprefix("plugin:")
                if plugin not in plugins.PLUGINS:
                    raise ValueError(f"unknown detection plug-in {plugin!r} in the catalog")
                if not self._use_plugins:
                    continue
                target = plugins.load(*plugins.PLUGINS[plugin])
                if target is None:
                    continue
                self._plugin_names.add(plugin)
                if plugin in ("attacks", "harmful"):
                    self._detectors.extend((plugin, detector) for detector in target)
            else:
                try:
                    factory = BUILTIN_DETECTORS[name]
                except KeyError:
                    raise ValueError(f"unknown detector {name!r} in the catalog") from None
                self._detectors.append((name, factory()))

    def _scratch(self) -> hyperscan.Scratch:
        # One scratch per thread and per process: scratch space is not shareable, and a forked worker must
        # not reuse its parent's.
        local = self._local
        pid = os.getpid()
        if getattr(local, "pid", None) != pid:
            local.scratch = hyperscan.Scratch(self._database)
            local.pid = pid
        return local.scratch

    # --------------------------------------------------------------------------------------------- scan
    def scan(self, text: str, where: Where | str = Where.PROMPT) -> list[Detection]:
        """All detections in ``text`` at this engine's sensitivity, sorted by position."""
        if not isinstance(text, str):
            raise TypeError(f"scan() needs a str, not {type(text).__name__}")
        if not text:
            return []
        if type(where) is not Where:
            where = Where(where)
        found: list[Detection] = []
        visible, index_map = text, None
        if self._hidden_finder is not None:
            hidden = self._hidden_finder(text)
            visible, index_map = hidden.clean_text, hidden.index_map
            found.extend(hidden.detections)
            for start, end, payload in hidden.payloads:
                for inner in self._scan_visible(payload, where, depth=1, budget=[len(text) * 2 + 65536]):
                    found.append(_relocate(inner, start, end, {"hidden_payload": True}))
        inner_found = self._scan_visible(visible, where, depth=0, budget=[len(text) * 2 + 65536])
        if index_map is not None:
            inner_found = [_map_offsets(d, index_map, len(text)) for d in inner_found]
        found.extend(inner_found)
        return self._finish(found, where)

    def _scan_visible(self, text: str, where: Where, depth: int, budget: list[int]) -> list[Detection]:
        found = self._match_patterns(text, where)
        sensitivity = self.sensitivity
        for name, detect, takes_where in self._detect_calls:
            detections = detect(text, sensitivity, where) if takes_where else detect(text, sensitivity)
            for detection in detections:
                found.append(self._normalise_plugin(detection, where, name))
        if self._encoded_finder is not None and depth < MAX_DECODE_DEPTH:
            found.extend(self._scan_encoded(text, where, depth, budget))
        return found

    def _scan_encoded(self, text: str, where: Where, depth: int, budget: list[int]) -> list[Detection]:
        out: list[Detection] = []
        segment: EncodedSegment
        for segment in self._encoded_finder(text):
            if budget[0] <= 0:
                break
            budget[0] -= len(segment.decoded)
            inner = [
                d for d in self._scan_visible(segment.decoded, where, depth + 1, budget) if self._passes(d)
            ]
            extra = {"encoding": segment.encoding}
            out.extend(_relocate(d, segment.start, segment.end, extra) for d in inner)
            if (segment.report or inner) and "attack.encoded_text" in self.rules:
                rule = self.rules["attack.encoded_text"]
                out.append(
                    Detection(
                        rule=rule.id,
                        start=segment.start,
                        end=segment.end,
                        score=max(segment.score, 0.75 if inner else 0.0),
                        severity=rule.severity,
                        evidence=f"{segment.encoding}-encoded text ({len(segment.decoded)} chars decoded)",
                        value_hash=self.value_hasher(segment.decoded),
                        detector_version=rule.version,
                        details={
                            "encoding": segment.encoding,
                            "inner_rules": sorted({d.rule for d in inner}),
                        },
                    )
                )
        return out

    def _normalise_plugin(self, detection: Detection, where: Where, source: str) -> Detection:
        rule_id = detection.rule
        if rule_id == "attack.prompt_injection" and where in INDIRECT_PLACES:
            rule_id = "attack.indirect_injection"
        rule = self.rules.get(rule_id) or self.catalog.get(rule_id)
        changes: dict[str, Any] = {}
        if rule_id != detection.rule:
            changes["rule"] = rule_id
        if rule is not None and detection.severity is not rule.severity:
            changes["severity"] = rule.severity
        if not detection.detector_version:
            changes["detector_version"] = f"{source}-{rule.version if rule else '1'}"
        return replace(detection, **changes) if changes else detection  # most need no copy

    def _match_patterns(self, text: str, where: Where) -> list[Detection]:
        if not self.patterns or not self._has_pattern_rules:
            return []
        data = text.encode("utf-8", "surrogatepass")
        regions: dict[int, list[list[int]]] = {}
        if self._database is not None:
            hits: list[tuple[int, int]] = []
            append = hits.append

            def on_match(pattern_id: int, start: int, end: int, flags: int, context: object) -> None:
                append((pattern_id, end))

            self._database.scan(data, match_event_handler=on_match, scratch=self._scratch())
            if hits:
                if len(data) != len(text):
                    to_char = _byte_to_char_map(data, {end for _, end in hits})
                    hits = [(pattern_id, to_char[end][1]) for pattern_id, end in hits]
                regions = _merge_regions(hits, self._windows)
        for index in self.python_only:
            if self.patterns[index].rule.id in self.rules:
                regions[index] = [[0, len(text)]]
        found: list[Detection] = []
        applicable = self._applicable[where]
        evaluate, length = self._evaluate, len(text)
        for pattern_id, spans in regions.items():
            pattern = self.patterns[pattern_id]
            if pattern.rule.id not in applicable:
                continue
            finditer = pattern.regex.finditer
            for start, end in spans:
                for match in finditer(text, start, end if end < length else length):
                    detection = evaluate(pattern, match, text)
                    if detection is not None:
                        found.append(detection)
        return found

    def _evaluate(self, pattern: CompiledPattern, match: re.Match[str], text: str) -> Detection | None:
        rule = pattern.rule
        spec = pattern.spec
        if pattern.not_preceded_by:
            begin = match.start()
            if begin > 0 and text[begin - 1] in pattern.not_preceded_by:
                return None
        group = spec.value_group
        value = match.group(group)
        if not value:
            return None
        start, end = match.span(group)
        score = pattern.score
        test_value = False
        details: dict[str, Any] = {"kind": spec.label} if spec.label else {}
        if pattern.validators:
            whole = match.group(0)
            for _name, check in pattern.validators:
                verdict = check(value, whole)
                if verdict is None:
                    return None
                score += verdict.score_delta
                test_value = test_value or verdict.test_value
                if verdict.details:
                    details.update(verdict.details)
        if rule.test_values and value.lower() in self._test_values[rule.id]:
            test_value = True
        context = self._contexts.get(rule.id)
        has_positive = False
        if context is not None:
            window = _window(text, start, end, context.window)
            if context.positive is not None and context.positive.search(window):
                has_positive = True
                score += context.boost
            if context.negative is not None and context.negative.search(
                window
                if context.negative_window < 0
                else text[max(0, start - context.negative_window) : start].lower()
            ):
                score -= context.penalty
        if not has_positive and self.sensitivity in pattern.requires_context:
            return None
        if test_value:
            score = min(score, TEST_VALUE_SCORE_CAP)
        if not rule.merge_within and score < self._threshold[rule.id]:
            return None  # below the reporting threshold: skip masking and hashing (merged rules decide later)
        return Detection(
            rule=rule.id,
            start=start,
            end=end,
            score=max(0.0, min(1.0, score)),
            severity=Severity.LOW if test_value else rule.severity,
            evidence=pattern.masker(value),
            value_hash=self.value_hasher(value),
            detector_version=pattern.version,
            test_value=test_value,
            details=details,
        )

    # ------------------------------------------------------------------------------------------ finish
    def _passes(self, detection: Detection) -> bool:
        threshold = self._pass_threshold.get(detection.rule)
        return threshold is not None and detection.score >= threshold

    def _finish(self, found: list[Detection], where: Where) -> list[Detection]:
        applicable = self._applicable[where]
        kept = [d for d in found if d.rule in applicable]
        thresholds = self._pass_threshold
        kept = [d for d in self._merge_adjacent(kept) if d.score >= thresholds[d.rule]]
        if "pii.bulk" in self.rules:
            kept.extend(self._bulk_pii(kept))
        kept = _best_per_span(kept)
        if self._yields:
            kept = self._drop_yielding(kept)
        kept.sort(key=lambda d: (d.start, d.end, d.rule))
        return kept

    def _bulk_pii(self, found: list[Detection]) -> list[Detection]:
        """`pii.bulk`: identifiers of many people in one item (a customer list, a CSV export)."""
        personal = [
            d
            for d in found
            if not d.test_value
            and d.rule.startswith(("pii.", "financial.", "health."))
            and d.rule != "pii.bulk"
        ]
        distinct = {(d.rule, d.value_hash) for d in personal}
        rule = self.rules["pii.bulk"]
        minimum = 10 if self.sensitivity is Sensitivity.BALANCED else 5
        if len(distinct) < minimum:
            return []
        kinds = sorted({d.rule for d in personal})
        start = min(d.start for d in personal)
        end = max(d.end for d in personal)
        return [
            Detection(
                rule=rule.id,
                start=start,
                end=end,
                score=min(0.99, 0.6 + 0.01 * len(distinct)),
                severity=rule.severity,
                evidence=f"{len(distinct)} distinct identifiers ({', '.join(kinds)})",
                detector_version=f"{ENGINE_VERSION}/{rule.version}",
                details={"identifiers": len(distinct), "kinds": kinds},
            )
        ]

    def _merge_adjacent(self, found: list[Detection]) -> list[Detection]:
        merge_rules = self._merge_rules
        if not merge_rules or not any(d.rule in merge_rules for d in found):
            return found
        out = [d for d in found if d.rule not in merge_rules]
        for rule_id in merge_rules:
            gap = self.rules[rule_id].merge_within
            group = sorted((d for d in found if d.rule == rule_id), key=lambda d: d.start)
            current: Detection | None = None
            for detection in group:
                if current is not None and detection.start - current.end <= gap:
                    current = replace(
                        current,
                        end=max(current.end, detection.end),
                        score=min(1.0, max(current.score, detection.score) + 0.1),
                        details={**current.details, "parts": current.details.get("parts", 1) + 1},
                    )
                else:
                    if current is not None:
                        out.append(current)
                    current = detection
            if current is not None:
                out.append(current)
        return out

    def _drop_yielding(self, found: list[Detection]) -> list[Detection]:
        """Drop a generic rule's match where a more specific rule (its `yields_to`) matched the same span."""
        ordered = sorted(found, key=lambda d: d.start)
        starts = [d.start for d in ordered]
        longest = max((d.end - d.start for d in ordered), default=0)
        out = []
        for detection in found:
            globs = self._yields.get(detection.rule)
            if globs:
                low = bisect.bisect_left(starts, detection.start - longest)
                high = bisect.bisect_left(starts, detection.end)
                if any(
                    other.rule != detection.rule
                    and other.end > detection.start
                    and other.start < detection.end
                    and any(fnmatch.fnmatchcase(other.rule, g) for g in globs)
                    for other in ordered[low:high]
                ):
                    continue
            out.append(detection)
        return out


_LONG_REPEAT = re.compile(r"(?<!\\)\{(\d+)(?:,(\d*))?\}")


def _loosen_repeats(expression: str) -> str:
    """Long bounded repeats make Hyperscan's start-of-match tracking huge (or uncompilable). Hyperscan only
    finds candidates and Python re re-checks the exact pattern, so {m,n} with large m or n may become {8,}."""

    def loosen(match: re.Match[str]) -> str:
        low, high = int(match.group(1)), match.group(2)
        upper = low if high is None else (int(high) if high else None)
        if (upper is None or upper <= 12) and low <= 8:
            return match.group(0)
        return f"{{{min(low, 8)},}}"

    return _LONG_REPEAT.sub(loosen, expression)


UNBOUNDED_WINDOW = 512  # characters searched back for an unbounded pattern without its own max_length


def _max_width(pattern: CompiledPattern) -> int:
    if pattern.spec.max_length:
        return pattern.spec.max_length
    try:
        _low, high = sre_parse.parse(pattern.regex.pattern, pattern.regex.flags).getwidth()
    except (re.error, OverflowError, RecursionError):
        return UNBOUNDED_WINDOW
    return min(high, UNBOUNDED_WINDOW)


def _window(text: str, start: int, end: int, size: int) -> str:
    return text[max(0, start - size) : start].lower() + " \n " + text[end : end + size].lower()


def _hs_escape(word: str) -> str:
    return re.sub(r"([^\w\s])", r"\\\1", word).replace(" ", r"\s+")


def _merge_regions(hits: list[tuple[int, int]], windows: list[int]) -> dict[int, list[list[int]]]:
    """Per pattern, the character regions Python re must search: each reported match end, back by the
    pattern's longest possible match, with overlapping regions united."""
    hits.sort()
    regions: dict[int, list[list[int]]] = {}
    for pattern_id, end in hits:
        start = max(0, end - windows[pattern_id])
        spans = regions.setdefault(pattern_id, [])
        if spans and start <= spans[-1][1]:
            if end > spans[-1][1]:
                spans[-1][1] = end
        else:
            spans.append([start, end])
    return regions


def _byte_to_char_map(data: bytes, offsets: set[int]) -> dict[int, tuple[int, int]]:
    """Character offsets for UTF-8 byte offsets, decoding only the stretches between them.

    Byte-mode Hyperscan can report an offset inside a multi-byte character; it maps to the character that
    contains it for a start and to the next character boundary for an end (Python re re-checks the region).
    """
    boundaries: dict[int, tuple[int, int]] = {}
    for offset in offsets:
        back = offset
        while 0 < back < len(data) and 0x80 <= data[back] < 0xC0:
            back -= 1
        forward = offset
        while forward < len(data) and 0x80 <= data[forward] < 0xC0:
            forward += 1
        boundaries[offset] = (back, forward)
    chars_at: dict[int, int] = {}
    previous_byte, chars = 0, 0
    for boundary in sorted({b for pair in boundaries.values() for b in pair}):
        chars += len(data[previous_byte:boundary].decode("utf-8", "surrogatepass"))
        chars_at[boundary] = chars
        previous_byte = boundary
    return {offset: (chars_at[back], chars_at[forward]) for offset, (back, forward) in boundaries.items()}


def _relocate(detection: Detection, start: int, end: int, extra: dict[str, Any]) -> Detection:
    """An inner detection (decoded or hidden payload), reported at the span of its carrier."""
    return replace(detection, start=start, end=end, details={**detection.details, **extra})


def _map_offsets(detection: Detection, index_map: list[int], text_length: int) -> Detection:
    if not index_map:
        return detection
    start = index_map[detection.start] if detection.start < len(index_map) else text_length
    last = detection.end - 1
    end = index_map[last] + 1 if 0 <= last < len(index_map) else text_length
    return replace(detection, start=start, end=max(end, start))


def _best_per_span(found: list[Detection]) -> list[Detection]:
    """Overlapping detections of the same rule collapse into the highest-scoring (then longest) one."""
    by_rule: dict[str, list[Detection]] = {}
    for detection in found:
        by_rule.setdefault(detection.rule, []).append(detection)
    out: list[Detection] = []
    for group in by_rule.values():
        if len(group) == 1:
            out.extend(group)
            continue
        group.sort(key=lambda d: (-d.score, -(d.end - d.start), d.start))
        taken = _IntervalSet()
        for detection in group:
            if not taken.overlaps(detection.start, detection.end):
                taken.add(detection.start, detection.end)
                out.append(detection)
    return out


class _IntervalSet:
    """Disjoint intervals kept sorted by start: overlap checks in O(log n) instead of scanning them all."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        index = bisect.bisect_right(self.starts, start)
        if index > 0 and self.ends[index - 1] > start:
            return True
        if index < len(self.starts) and self.starts[index] < end:
            return True
        # zero-length spans only collide with an identical position
        return start == end and index > 0 and self.starts[index - 1] == start

    def add(self, start: int, end: int) -> None:
        index = bisect.bisect_right(self.starts, start)
        self.starts.insert(index, start)
        self.ends.insert(index, end)
