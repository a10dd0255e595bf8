"""A quick yes/no: does a (decoded or smuggled) text carry attack phrasing or command execution?"""

from __future__ import annotations

from aiwatch.detection.attacks import patterns
from aiwatch.detection.classifiers.features import normalize

_ALL_RULES = (
    patterns.INJECTION
    + patterns.JAILBREAK
    + patterns.SYSTEM_PROMPT_EXTRACTION
    + patterns.EXFILTRATION_INSTRUCTIONS
    + [patterns.COMMANDS]
)


def looks_suspicious(text: str) -> bool:
    normalized = normalize(text[:20_000])
    return any(rule.search(normalized) for rule in _ALL_RULES)
