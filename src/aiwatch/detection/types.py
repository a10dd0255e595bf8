"""What the detection engine returns. Offsets are character (not byte) offsets into the scanned text."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
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
    """

    name: str

    def detect(self, text: str, sensitivity: Sensitivity) -> list[Detection]: ...
