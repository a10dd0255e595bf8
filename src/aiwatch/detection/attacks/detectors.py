"""The `Detector` objects the engine runs: one per whole-text attack rule, sharing one cached analysis."""

from __future__ import annotations

from dataclasses import dataclass

from aiwatch.detection.attacks.analysis import (
    DATA_EXFILTRATION,
    JAILBREAK,
    PROMPT_INJECTION,
    SYSTEM_PROMPT_EXTRACTION,
    analysis_of,
)
from aiwatch.detection.types import Detection, Where
from aiwatch.domain import Sensitivity


@dataclass(frozen=True, slots=True)
class AttackDetector:
    """Implements the `Detector` protocol; optional `where` (file, tool output) enables indirect phrasing."""

    name: str
    rule: str

    def detect(self, text: str, sensitivity: Sensitivity, where: Where | None = None) -> list[Detection]:
        for rule, found in analysis_of(text, sensitivity, where):
            if rule == self.rule:
                return [found]
        return []


DETECTORS: list[AttackDetector] = [
    AttackDetector("attacks.prompt_injection", PROMPT_INJECTION),
    AttackDetector("attacks.jailbreak", JAILBREAK),
    AttackDetector("attacks.system_prompt_extraction", SYSTEM_PROMPT_EXTRACTION),
    AttackDetector("attacks.data_exfiltration", DATA_EXFILTRATION),
]
