"""Detection engine: finds content risks in text. Knows nothing about HTTP or the database.

from aiwatch.detection import scan
for detection in scan("my card is 4539 6476 8858 6080"):
    print(detection.rule, detection.start, detection.end, detection.evidence)
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from aiwatch.detection.types import Detection, Where
from aiwatch.domain import Sensitivity

__all__ = ["Detection", "Where", "default_engine", "scan"]

_ENGINES: dict[tuple[tuple[str, ...] | None, str], object] = {}
_LOCK = threading.Lock()


def default_engine(rules: Iterable[str] | str | None = None, sensitivity: Sensitivity | str = "balanced"):
    """A cached Engine for the built-in catalog: built on first use, one per rules and sensitivity."""
    from aiwatch.detection.engine import Engine

    if isinstance(rules, str):
        rules = [g.strip() for g in rules.split(",") if g.strip()]
    key = (tuple(sorted(rules)) if rules else None, str(Sensitivity(sensitivity)))
    engine = _ENGINES.get(key)
    if engine is None:
        with _LOCK:
            engine = _ENGINES.get(key)
            if engine is None:
                engine = Engine(rules_glob=list(key[0]) if key[0] else None, sensitivity=key[1])
                _ENGINES[key] = engine
    return engine


def scan(
    text: str,
    *,
    rules: Iterable[str] | str | None = None,
    sensitivity: Sensitivity | str = "balanced",
    where: Where | str = Where.PROMPT,
) -> list[Detection]:
    """Detections in ``text``: ``rules`` are id globs (``["pii.*", "secret.*"]``), all rules when None."""
    return default_engine(rules, sensitivity).scan(text, where=where)
