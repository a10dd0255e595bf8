"""One pass over a text for the four whole-text attack rules (rules + linear models), shared and cached.

The engine asks each `Detector` separately, so the analysis of a text is computed once and cached (keyed by
text, sensitivity and where). Flow: Hyperscan trigger prefilter -> windows around the hits (the whole text
when short) -> normalised windows -> phrase rules and linear models -> at most one detection per rule,
on the span it relied on (the matched phrase, or the window with the highest model score).
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass
from functools import lru_cache

from aiwatch.detection.attacks import patterns
from aiwatch.detection.attacks.exfiltration import judge_url
from aiwatch.detection.attacks.injection_embedded import find_embedded_instruction
from aiwatch.detection.attacks.prefilter import normalized, scan_text
from aiwatch.detection.attacks.rulescan import possible_rules
from aiwatch.detection.classifiers.features import ngrams, normalize, tokens
from aiwatch.detection.classifiers.linear import LinearModel, load_models
from aiwatch.detection.types import Detection, Where
from aiwatch.domain import Sensitivity, Severity

PROMPT_INJECTION = "attack.prompt_injection"
JAILBREAK = "attack.jailbreak"
SYSTEM_PROMPT_EXTRACTION = "attack.system_prompt_extraction"
DATA_EXFILTRATION = "attack.data_exfiltration"
# Phrase families only, reported as prompt_injection (the engine renames it for files and tool output).
INDIRECT_INJECTION = "attack.indirect_injection"
INDIRECT_INJECTION_WEAK = "attack.indirect_injection_weak"
RULES = (PROMPT_INJECTION, JAILBREAK, SYSTEM_PROMPT_EXTRACTION, DATA_EXFILTRATION)

SEVERITY = {
    PROMPT_INJECTION: Severity.HIGH,
    JAILBREAK: Severity.HIGH,
    SYSTEM_PROMPT_EXTRACTION: Severity.MEDIUM,
    DATA_EXFILTRATION: Severity.HIGH,
}
RULE_SCORE = 0.9
DISCUSSION_SCORE = 0.6  # an attack phrase quoted in a text that talks about attacks
MIN_SCORE = {Sensitivity.BALANCED: 0.7, Sensitivity.HIGH: 0.5}
SHORT_TEXT = 120  # characters; shorter texts skip the trigger prefilter
UNTRIGGERED_MIN_PROBABILITY = 0.9
MIN_TOKENS = 3
WHOLE_TEXT = 2_000  # texts up to this many characters are scored as one window
WINDOW = 400  # characters either side of a trigger hit in longer texts
MAX_WINDOWS = 12
MAX_SENTENCES = 64
MAX_BEACONS = 256  # images/links judged per text and per kind
INDIRECT_PLACES = frozenset({Where.FILE, Where.TOOL_OUTPUT})


_SENTENCE = re.compile(r"[^.!?\n]+[.!?]*")


@dataclass(frozen=True, slots=True)
class _Window:
    start: int
    end: int
    normalized: str


@dataclass(slots=True)
class _Candidate:
    start: int
    end: int
    score: float
    evidence: str
    source: str  # "rule" | "model" | "beacon"


def analyse(text: str, sensitivity: Sensitivity, where: Where | None = None) -> dict[str, Detection]:
    """Detections of the four whole-text attack rules, keyed by rule id."""
    return dict(analysis_of(text, sensitivity, where))


_recent = threading.local()


def clear_caches() -> None:
    """Forget remembered analyses (tests: prove a result is recomputed the same)."""
    _analyse.cache_clear()
    _recent.__dict__.clear()


def analysis_of(
    text: str, sensitivity: Sensitivity, where: Where | None = None
) -> tuple[tuple[str, Detection], ...]:
    """(rule, detection) pairs of `analyse`. The four detectors ask in a row about the same text object: the
    last answer per thread is kept in front of the cache (an identity check, no key hashing)."""
    last = getattr(_recent, "last", None)
    if last is not None and last[0] is text and last[1] is sensitivity and last[2] is where:
        return last[3]
    found = _analyse(text, Sensitivity(sensitivity), where)
    _recent.last = (text, sensitivity, where, found)
    return found


@lru_cache(maxsize=32)
def _analyse(text: str, sensitivity: Sensitivity, where: Where | None) -> tuple[tuple[str, Detection], ...]:
    scanned = scan_text(text)  # one Hyperscan pass: triggers, planted-line openings (and harmful triggers)
    hits = scanned.trigger_hits
    has_markup = scanned.markup  # "](" in text or "<img" in text.lower()
    untriggered = not hits and len(text) <= SHORT_TEXT
    if untriggered:
        hits = [len(text)]  # short prompts are cheap: the model reads them even without a trigger word
    # planted instruction lines in pasted documents carry no trigger words (task F owns this pass)
    embedded = find_embedded_instruction(text, load_models().injection, where, scanned)
    if not hits and not has_markup and embedded is None:
        return ()
    windows = _windows(text, hits)
    candidates: dict[str, _Candidate] = {}
    # Without any attack word the model alone must be very sure.
    margin = UNTRIGGERED_MIN_PROBABILITY if untriggered else 0.0
    for window in windows:
        if not untriggered:  # every phrase rule contains a trigger, so without one no rule can match
            _rules_in_window(window, where, candidates)
        _model_in_window(window, sensitivity, candidates, margin)
    if has_markup:
        _beacons(text, candidates)
    if embedded is not None:
        _offer(candidates, PROMPT_INJECTION, _Candidate(embedded.start, embedded.end, embedded.score,
                                                         embedded.evidence, "embedded"))  # fmt: skip
    _resolve_overlaps(candidates, sensitivity)
    version = load_models().version
    found: list[tuple[str, Detection]] = []
    for rule in RULES:
        candidate = candidates.get(rule)
        if candidate is None or candidate.score < _threshold(rule, candidate, sensitivity):
            continue
        detection = Detection(
            rule=rule,
            start=candidate.start,
            end=candidate.end,
            score=round(candidate.score, 4),
            severity=SEVERITY[rule],
            evidence=candidate.evidence,
            detector_version=f"attacks-1/{version}",
            details={"source": candidate.source},
        )
        found.append((rule, detection))
    return tuple(found)


def _threshold(rule: str, candidate: _Candidate, sensitivity: Sensitivity) -> float:
    if candidate.source == "model":
        models = load_models()
        model = models.jailbreak if rule == JAILBREAK else models.injection
        return model.threshold(sensitivity)
    return MIN_SCORE[sensitivity]


def _windows(text: str, hits: list[int]) -> list[_Window]:
    if len(text) <= WHOLE_TEXT or not hits:
        limit = min(len(text), WHOLE_TEXT if hits else len(text))
        return [_Window(0, limit, normalized(text[:limit]))] if hits else [_Window(0, len(text), "")]
    spans: list[list[int]] = []
    for end in hits:
        start, stop = max(0, end - WINDOW), min(len(text), end + WINDOW)
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], stop)
        else:
            spans.append([start, stop])
    windows: list[_Window] = []
    for start, stop in spans[:MAX_WINDOWS]:
        # long merged spans are cut into WHOLE_TEXT pieces so the model sees window-sized texts
        for piece in range(start, stop, WHOLE_TEXT):
            piece_end = min(stop, piece + WHOLE_TEXT)
            windows.append(_Window(piece, piece_end, normalize(text[piece:piece_end])))
    return windows


def _is_discussion(window: _Window, text_slice: str) -> bool:
    if len(window.normalized) > 1_000 or not patterns.DISCUSSION.search(window.normalized):
        return False
    return "?" in text_slice or patterns.QUOTED.search(text_slice) is not None


def _offer(candidates: dict[str, _Candidate], rule: str, candidate: _Candidate) -> None:
    """Keep the best evidence per rule; a strong phrase match keeps its precise span when the model agrees."""
    current = candidates.get(rule)
    if current is None:
        candidates[rule] = candidate
        return
    strong_new = candidate.source != "model" and candidate.score > DISCUSSION_SCORE
    strong_current = current.source != "model" and current.score > DISCUSSION_SCORE
    if strong_current and not strong_new:
        if candidate.source == "model":
            current.score = max(current.score, candidate.score)
        return
    if strong_new and not strong_current:
        if current.source == "model":
            candidate.score = max(candidate.score, current.score)
        candidates[rule] = candidate
        return
    if candidate.score > current.score:
        candidates[rule] = candidate


def _snippet(normalized: str, start: int, end: int) -> str:
    phrase = " ".join(normalized[start:end].split())
    return phrase if len(phrase) <= 80 else phrase[:77] + "..."


def _rules_in_window(window: _Window, where: Where | None, candidates: dict[str, _Candidate]) -> None:
    if not window.normalized:
        return
    possible = possible_rules(window.normalized)
    if not possible:
        return
    discussion: bool | None = None
    families = [PROMPT_INJECTION, JAILBREAK, SYSTEM_PROMPT_EXTRACTION, DATA_EXFILTRATION]
    if where in INDIRECT_PLACES:
        families += [INDIRECT_INJECTION, INDIRECT_INJECTION_WEAK]
    for family in families:
        for index in possible.get(family, ()):
            match = patterns.FAMILIES[family][index].search(window.normalized)
            if match is None:
                continue  # the Hyperscan prefilter over-approximates
            if discussion is None:
                discussion = _is_discussion(window, window.normalized)
            score = DISCUSSION_SCORE if discussion or family == INDIRECT_INJECTION_WEAK else RULE_SCORE
            start, end = window.start + match.start(), window.start + match.end()
            evidence = f'phrase "{_snippet(window.normalized, match.start(), match.end())}"'
            rule = PROMPT_INJECTION if family in (INDIRECT_INJECTION, INDIRECT_INJECTION_WEAK) else family
            _offer(candidates, rule, _Candidate(start, end, score, evidence, "rule"))
            break


def _model_in_window(
    window: _Window, sensitivity: Sensitivity, candidates: dict[str, _Candidate], minimum: float
) -> None:
    if not window.normalized:
        return
    models = load_models()
    toks = tokens(window.normalized)
    if len(toks) < MIN_TOKENS:
        return  # too little text for a word model to mean anything
    feats = ngrams(toks)
    discussion: bool | None = None
    both = models.score_both(feats)  # = (models.injection.score_features(feats), jailbreak's)
    for rule, model, probability in (
        (PROMPT_INJECTION, models.injection, both[0]),
        (JAILBREAK, models.jailbreak, both[1]),
    ):
        if probability < max(model.threshold(sensitivity), minimum):
            continue
        if discussion is None:
            discussion = _is_discussion(window, window.normalized)
        if discussion:
            probability *= 0.75  # talking about attacks is not attacking; still visible at high sensitivity
        if probability < model.threshold(sensitivity):
            continue
        start, end = _best_sentence(window, model)
        evidence = (
            f"classifier {model.name} p={probability:.2f}, strongest sentence of {end - start} characters"
        )
        _offer(candidates, rule, _Candidate(start, end, probability, evidence, "model"))


def _best_sentence(window: _Window, model: LinearModel) -> tuple[int, int]:
    """The sentence of the window the model scores highest (run only once a window has fired)."""
    best = (-1.0, window.start, window.end)
    for match in itertools.islice(_SENTENCE.finditer(window.normalized), MAX_SENTENCES):
        toks = tokens(match.group())
        if len(toks) < MIN_TOKENS:
            continue
        score = model.score_tokens(toks)
        if score > best[0]:
            best = (score, window.start + match.start(), window.start + match.end())
    return best[1], best[2]


def _beacons(text: str, candidates: dict[str, _Candidate]) -> None:
    for regex, is_image in (
        (patterns.MARKDOWN_IMAGE, True),
        (patterns.HTML_IMAGE, True),
        (patterns.MARKDOWN_LINK, False),
    ):
        for match in itertools.islice(regex.finditer(text), MAX_BEACONS):
            beacon = judge_url(match.group(1), is_image)
            if beacon is None:
                continue
            kind = "image" if is_image else "link"
            params = ", ".join(beacon.params[:5]) or "path"
            evidence = f"{kind} beacon to {beacon.host} ({beacon.reason}: {params})"
            _offer(
                candidates,
                DATA_EXFILTRATION,
                _Candidate(match.start(), match.end(), beacon.score, evidence, "beacon"),
            )


def _resolve_overlaps(candidates: dict[str, _Candidate], sensitivity: Sensitivity) -> None:
    """A model-only injection verdict is dropped when a more specific rule explains the same text."""
    injection = candidates.get(PROMPT_INJECTION)
    if injection is None or injection.source != "model":
        return
    for rule in (JAILBREAK, SYSTEM_PROMPT_EXTRACTION):
        other = candidates.get(rule)
        if other is not None and other.score >= _threshold(rule, other, sensitivity):
            del candidates[PROMPT_INJECTION]
            return
