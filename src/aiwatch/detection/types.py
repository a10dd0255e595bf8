"""What the detection engine returns. Offsets are character (not byte) offsets into the scanned text."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from aiwatch.domain import Sensitivity, Severity


@dataclass(frozen=True, slots=True)
class Detection:
    rule: str  # stable rule id from the catalog, e.g. "secret.aws_access_key_id"
    start: int
    end: int
    score: float  # 0..1 confidence
    severity: Severity
    evidence: str  # masked, never the clear value
    value_hash: str | None = None  # keyed hash of the full matched value (same value -> same hash)
    detector_version: str = ""
    source_field: str | None = None  # which text field of a record (log events, agent configs)
    test_value: bool = False  # a known example/test value (4111 1111 1111 1111, AKIAIOSFODNN7EXAMPLE)
    details: dict[str, Any] = dataclasses.field(default_factory=dict)

    def to_contract(self) -> dict[str, Any]:
        """The JSON shape of the `aiwatch scan` contract."""
        out: dict[str, Any] = {
            "rule": self.rule,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
            "severity": str(self.severity),
            "evidence": self.evidence,
        }
        if self.source_field is not None:
            out["field"] = self.source_field
        return out


class Detector(Protocol):
    """A family of rules that looks at a whole text (classifiers, decoders, structural checks).

    Pattern rules do not implement this: they are compiled into the engine's single Hyperscan database.
    A detector may also accept an optional third argument ``where: Where | None`` (where the text lives); the
    engine passes it to detectors whose ``detect`` has a parameter named ``where``.
    """

    name: str

    def detect(self, text: str, sensitivity: Sensitivity) -> list[Detection]: ...


class Where(StrEnum):
    """Where a text lives; some rules apply only in some places (indirect injection: files, tool output)."""

    PROMPT = "prompt"
    RESPONSE = "response"
    TOOL_OUTPUT = "tool_output"
    FILE = "file"
    AGENT_CONFIG = "agent_config"
    MEMORY = "memory"
    CANVAS = "canvas"
    LOG_EVENT = "log_event"


@dataclass(frozen=True, slots=True)
class HiddenText:
    """Result of the invisible-character pass, run before every other rule.

    `clean_text` has zero-width, bidi-control and tag characters removed so other rules see the visible text;
    `index_map[i]` is the offset in the original text of `clean_text[i]` (None when nothing was removed);
    `detections` are `attack.invisible_characters` on original offsets; `payloads` are texts smuggled in
    invisibly (e.g. Unicode tag characters spelling ASCII) as (start, end, decoded) on original offsets: the
    engine scans them with every rule.
    """

    clean_text: str
    index_map: list[int] | None
    detections: list[Detection]
    payloads: list[tuple[int, int, str]]


@dataclass(frozen=True, slots=True)
class EncodedSegment:
    """A Base64 / hex / URL-encoded / rot13 run whose decoded text the engine scans again with every rule."""

    start: int
    end: int
    encoding: str  # "base64", "hex", "url", "rot13", or nested like "base64>hex"
    decoded: str
    report: bool  # True when the decoded text alone is worth an attack.encoded_text detection
    score: float = 0.5


class HiddenTextFinder(Protocol):
    def __call__(self, text: str) -> HiddenText: ...


class EncodedTextFinder(Protocol):
    def __call__(self, text: str) -> list[EncodedSegment]: ...
