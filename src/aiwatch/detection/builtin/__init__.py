"""Whole-text detectors shipped with the engine, by the name the catalog's ``detector:`` field uses."""

from __future__ import annotations

from collections.abc import Callable

from aiwatch.detection.builtin.code import ConfigDetector, SourceCodeDetector
from aiwatch.detection.types import Detector

BUILTIN_DETECTORS: dict[str, Callable[[], Detector]] = {
    "code_source": SourceCodeDetector,
    "code_config": ConfigDetector,
}
# Aggregates look at the other rules' detections instead of the text (see Engine._aggregate).
AGGREGATES = frozenset({"aggregate:pii_bulk"})
