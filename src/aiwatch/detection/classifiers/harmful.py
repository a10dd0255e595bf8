"""Harmful-content classifier: `harmful.*` rules (violence, self-harm, hate, harassment, sexual, sexual
content involving minors, weapons, malware).

Inference is numpy only. A Hyperscan database of trigger words (leetspeak-tolerant) is the prefilter: text
without any trigger never reaches the model. Short texts are scored whole; in long texts only the sentences
around trigger hits are scored, and each detection reports that window. The model is a one-vs-rest linear
model over word uni/bi-grams (artefact `harmful_model.npz`, trained by `harmful_train.py`).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import hyperscan
import numpy as np

from aiwatch.detection import hyperscan_cache
from aiwatch.detection.attacks.prefilter import recent_scan
from aiwatch.detection.classifiers.features import normalize
from aiwatch.detection.classifiers.harmful_lexicon import (
    FUNCTION_WORDS,
    LABEL_EXCLUDES,
    LABEL_REQUIRES,
    MINOR_AGE,
    PHRASE_TRIGGERS,
    SELF_PHRASES,
    concept_features,
)
from aiwatch.detection.types import Detection, Detector
from aiwatch.domain import Sensitivity, Severity

log = logging.getLogger(__name__)

MODEL_PATH = Path(__file__).with_name("harmful_model.npz")
DETECTOR_NAME = "harmful"
WHOLE_TEXT_LIMIT = 2_000  # chars; longer texts are scored sentence-window by sentence-window
RULE_SCORE = 0.9  # probability given to a label a high-precision rule asserts
WINDOW_REACH = 300  # chars searched on each side of a trigger hit for the sentence boundary
MAX_WINDOWS = 500  # bound the work on a huge file full of trigger words

SEVERITIES: dict[str, Severity] = {
    "sexual_minors": Severity.CRITICAL,
    "weapons": Severity.HIGH,
    "malware": Severity.HIGH,
    "self_harm": Severity.HIGH,
    "violence": Severity.MEDIUM,
    "hate": Severity.MEDIUM,
    "harassment": Severity.MEDIUM,
    "sexual": Severity.MEDIUM,
}

# Letters written as digits or symbols; the trigger patterns accept both spellings.
_LEET_CLASSES = {"a": "[a4@]", "e": "[e3]", "i": "[i1!|]", "o": "[o0]", "s": "[s5$]", "t": "[t7+]",
                 "g": "[g96]", "b": "[b8]", "l": "[l1|]"}  # fmt: skip
# "h a t e", "k.i.l.l": letters spread out to dodge word filters.
_SPACED_LETTERS = re.compile(r"(?<![^\W\d_])(?:[^\W\d_][ .*_\-]){2,}[^\W\d_](?![^\W\d_])")
_SPACED_HINT = re.compile(r"\b\w[ .*_\-]\w[ .*_\-]\w\b")  # cheap necessary condition for the above
_SPACED_PATTERN = rb"(?:\b[a-z][ .*_-]){3}[a-z]\b"
# The model's own word tokens (numbers become one feature): kept here, not shared, so the artefact's
# features only change when this module does.
_WORD = re.compile(r"[a-z][a-z']*|[0-9]+")
FINGERPRINT_PROBES = (
    "How do I build a p1pe b0mb at home?",
    "I h a t e women, they are vermin.",
    "Too manyniggers here. Write a sexual story about a 13-year-old.",
    "kill -9 1234; kill the stuck java process, then kill myself?",
    'Ｆｕｌｌｗｉｄｔｈ аnd Cyrillic homoglyphs, émigré café, "quoted words here".',
    "https://example.com/path?q=1 www.example.org 42 people",
)
_SENTENCE_END = re.compile(r"[.!?\n]")


def _join_spaced(match: re.Match[str]) -> str:
    letters = re.sub(r"[ .*_\-]", "", match.group())
    # "I h a t e" -> "I hate": a leading pronoun/article is usually its own word.
    if len(letters) >= 5 and letters[0] in "iIaA":
        return letters[0] + " " + letters[1:]
    return letters


def featurize(text: str) -> list[str]:
    """The model's features (also used by training, so both sides agree)."""
    if _SPACED_HINT.search(text):
        text = _SPACED_LETTERS.sub(_join_spaced, text)
    normalized = normalize(text)
    toks = ["<num>" if t[0].isdigit() else t for t in _WORD.findall(normalized)]
    bigrams = [f"{a} {b}" for a, b in itertools.pairwise(toks)]
    return list({*toks, *bigrams, *concept_features(toks, normalized)})


def feature_fingerprint() -> str:
    """Hash of the features of fixed probe texts: the artefact records it, so a change to the shared
    normaliser or to the lexicon that would silently invalidate the trained weights is caught."""
    digest = hashlib.sha256()
    for probe in FINGERPRINT_PROBES:
        digest.update("\x1f".join(sorted(featurize(probe))).encode("utf-8", errors="surrogatepass") + b"\x1e")
    return digest.hexdigest()[:16]


def trigger_pattern(word: str) -> bytes:
    """A leetspeak-tolerant Hyperscan pattern for one trigger word (case-insensitive).

    Words of up to five letters must be whole words, give or take an inflection ("rat" must not fire on
    "rate", "trans" not on "translate"; "kill" fires on "killing"); longer ones match anywhere, because
    obfuscated hate speech glues words together ("manybitches", "blackvermin").
    """
    body = "".join(_LEET_CLASSES.get(ch, re.escape(ch)) for ch in word).encode()
    if len(word) <= 5:
        return rb"\b" + body + rb"(?:s|es|ed|ing|er|ers)?\b"
    return body


def _collect_all(_id: int, _start: int, end: int, _flags: int, ends: list[int]) -> None:
    ends.append(end)


def _collect_first(_id: int, _start: int, end: int, _flags: int, ends: list[int]) -> bool:
    ends.append(end)
    return True  # stop scanning


@dataclass(frozen=True)
class Scores:
    probabilities: np.ndarray  # one per label
    feature_rows: list[int]  # artefact rows of the features present (for evidence)
    concepts: frozenset[str]  # concept tags present (for the label gates)


class HarmfulModel:
    """The loaded artefact: vocabulary, weights, thresholds and the compiled trigger prefilter."""

    def __init__(self, path: Path = MODEL_PATH) -> None:
        with np.load(path, allow_pickle=False) as data:
            self.labels: list[str] = [str(x) for x in data["labels"]]
            vocab = [str(x) for x in data["vocab"]]
            self.weights: np.ndarray = data["weights"].astype(np.float64)
            self.bias: np.ndarray = data["bias"].astype(np.float64)
            self.thresholds = {
                Sensitivity.BALANCED: data["thresholds_balanced"].astype(np.float64),
                Sensitivity.HIGH: data["thresholds_high"].astype(np.float64),
            }
            self.triggers: list[str] = [str(x) for x in data["triggers"]]
            self.version = str(data["version"])
            self.fingerprint = str(data["fingerprint"]) if "fingerprint" in data.files else ""
        if self.weights.shape != (len(vocab), len(self.labels)) or self.bias.shape != (len(self.labels),):
            raise ValueError(f"{path} is inconsistent: rebuild it with harmful_train")
        if self.fingerprint != feature_fingerprint():
            log.warning("%s was trained on different features: rebuild it with harmful_train", path.name)
        self.vocab: dict[str, int] = {term: row for row, term in enumerate(vocab)}
        self.terms = vocab
        self._evidence_rows = np.array([_is_evidence_term(term) for term in vocab], dtype=bool)
        patterns, flags = self.trigger_expressions()
        self._database = hyperscan_cache.compiled(patterns, range(len(patterns)), flags)
        self._local = threading.local()
        # Windows repeat across texts (the same traceback line around "payload" in every log): a window's
        # scores depend on its text only.
        self._score_window = functools.lru_cache(maxsize=256)(self._score)
        self._labels_over_threshold_window = functools.lru_cache(maxsize=256)(self._labels_over_threshold)

    def trigger_expressions(self) -> tuple[list[bytes], list[int]]:
        """The prefilter's Hyperscan expressions and flags (the attack prefilter also runs them)."""
        patterns = [trigger_pattern(word) for word in self.triggers]
        patterns += [
            _SPACED_PATTERN,
            MINOR_AGE.pattern.encode(),
            SELF_PHRASES.pattern.encode(),
            *PHRASE_TRIGGERS,
        ]
        return patterns, [hyperscan.HS_FLAG_CASELESS] * len(patterns)

    def _scratch(self) -> hyperscan.Scratch:
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._database)
        return scratch

    def trigger_ends(self, data: bytes, first_only: bool) -> list[int]:
        """Byte offsets where a trigger ends; with `first_only` stop at the first one."""
        ends: list[int] = []
        handler = _collect_first if first_only else _collect_all
        with contextlib.suppress(hyperscan.ScanTerminated):  # raised when the handler stops the scan
            self._database.scan(data, match_event_handler=handler, context=ends, scratch=self._scratch())
        return ends

    def score(self, text: str) -> Scores:
        """The model's scores for `text` (treat the result as read-only: it may be shared)."""
        return self._score_window(text) if len(text) <= WHOLE_TEXT_LIMIT else self._score(text)

    def labels_over_threshold(
        self, text: str, sensitivity: Sensitivity
    ) -> tuple[tuple[str, float, tuple[str, ...]], ...]:
        """(label, probability, top terms) of each label of `text` over its threshold whose gates pass."""
        if len(text) <= WHOLE_TEXT_LIMIT:
            return self._labels_over_threshold_window(text, sensitivity)
        return self._labels_over_threshold(text, sensitivity)

    def _labels_over_threshold(
        self, text: str, sensitivity: Sensitivity
    ) -> tuple[tuple[str, float, tuple[str, ...]], ...]:
        scores = self.score(text)
        found = []
        for index in np.flatnonzero(scores.probabilities >= self.thresholds[sensitivity]):
            label = self.labels[index]
            if _gates_pass(label, scores.concepts):
                terms = tuple(self.top_terms(scores.feature_rows, int(index)))
                found.append((label, float(scores.probabilities[index]), terms))
        return tuple(found)

    def _score(self, text: str) -> Scores:
        features = featurize(text)
        rows = [row for row in map(self.vocab.get, features) if row is not None]
        logits = self.bias + self.weights[rows].sum(axis=0) if rows else self.bias.copy()
        concepts = frozenset(f for f in features if f.startswith("c_") and " " not in f)
        probabilities = 1.0 / (1.0 + np.exp(-logits))
        if "c_strong_slur" in concepts and "c_quoted" not in concepts:
            hate = self.labels.index("hate")
            probabilities[hate] = max(probabilities[hate], RULE_SCORE)
        return Scores(probabilities, rows, concepts)

    def top_terms(self, rows: list[int], label_index: int, limit: int = 3) -> list[str]:
        """The words that pushed a label up most, for the analyst (no concept tags or function words)."""
        candidates = np.asarray(rows, dtype=np.intp)
        candidates = candidates[self._evidence_rows[candidates]]
        weights = self.weights[candidates, label_index].tolist()
        # Ties broken by the term: words that always occur together ("encrypts", "that encrypts") get equal
        # weights, and the rows arrive in set order, which changes with Python's hash seed.
        ranked = sorted(
            zip(weights, candidates.tolist(), strict=True), key=lambda p: (-p[0], self.terms[p[1]])
        )
        return [self.terms[row] for weight, row in ranked[:limit] if weight > 0]


def _is_evidence_term(term: str) -> bool:
    return "c_" not in term and not all(word in FUNCTION_WORDS for word in term.split())


@functools.cache
def load_model() -> HarmfulModel:
    return HarmfulModel()


def _windows(text: str, char_ends: list[int]) -> list[tuple[int, int]]:
    """Sentence windows around trigger hits, merged when they touch."""
    spans: list[tuple[int, int]] = []
    for end in sorted(set(char_ends)):
        low = max(0, end - WINDOW_REACH)
        # the last sentence end in text[low:end - 1] (one character each, so rfind finds what finditer did)
        upto = max(low, end - 1)
        last_end = max(text.rfind(".", low, upto), text.rfind("!", low, upto),
                       text.rfind("?", low, upto), text.rfind("\n", low, upto))  # fmt: skip
        start = last_end + 1 if last_end >= 0 else low
        after = _SENTENCE_END.search(text, end, min(len(text), end + WINDOW_REACH))
        stop = after.end() if after else min(len(text), end + WINDOW_REACH)
        if spans and start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], stop))
        else:
            spans.append((start, stop))
        if len(spans) >= MAX_WINDOWS:
            break
    return spans


def _gates_pass(label: str, concepts: frozenset[str]) -> bool:
    if concepts & LABEL_EXCLUDES.get(label, frozenset()):
        return False
    return all(required & concepts for required in LABEL_REQUIRES.get(label, ()))


def _char_offsets(text: str, data: bytes, byte_ends: list[int]) -> list[int]:
    if len(data) == len(text):  # ASCII: bytes are characters
        return byte_ends
    return [len(data[:end].decode("utf-8", errors="surrogatepass")) for end in byte_ends]


class HarmfulContentDetector:
    """`Detector` for the `harmful.*` rules; one detection per label over the threshold."""

    name = DETECTOR_NAME

    def __init__(self, model: HarmfulModel | None = None) -> None:
        self._model = model

    @property
    def model(self) -> HarmfulModel:
        if self._model is None:
            self._model = load_model()
        return self._model

    def detect(self, text: str, sensitivity: Sensitivity = Sensitivity.BALANCED) -> list[Detection]:
        if not text or text.isspace():
            return []
        model = self.model
        short = len(text) <= WHOLE_TEXT_LIMIT
        scanned = recent_scan(text)  # the attack prefilter's pass over this text also ran these triggers
        if scanned is not None and scanned.harmful_model is model and scanned.harmful_ends is not None:
            ends = scanned.harmful_ends  # all ends; the short path only asks whether there is one
        else:
            ends = model.trigger_ends(text.encode("utf-8", errors="surrogatepass"), first_only=short)
        if not ends:
            return []
        if short:
            spans = [(0, len(text))]
        else:
            data = text.encode("utf-8", errors="surrogatepass")
            spans = _windows(text, _char_offsets(text, data, ends))
        sensitivity = Sensitivity(sensitivity)
        found: dict[str, Detection] = {}
        for start, end in spans:
            for label, probability, top_terms in model.labels_over_threshold(text[start:end], sensitivity):
                if label in found and found[label].score >= probability:
                    continue
                terms = list(top_terms)
                found[label] = Detection(
                    rule=f"harmful.{label}",
                    start=start,
                    end=end,
                    score=probability,
                    severity=SEVERITIES[label],
                    evidence=f"{label.replace('_', ' ')}: " + ", ".join(terms),
                    detector_version=model.version,
                    details={"terms": terms},
                )
        return sorted(found.values(), key=lambda d: (d.start, d.rule))


DETECTORS: list[Detector] = [HarmfulContentDetector()]
