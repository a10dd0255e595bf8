"""All phrase rules in one Hyperscan database, so a window costs one scan instead of ~30 regex searches.

Compiled with HS_FLAG_PREFILTER: Hyperscan may report a rule that does not really match (never the other way
round), so each reported rule is confirmed with its Python regex, which also gives the exact span.
"""

from __future__ import annotations

import threading
from functools import lru_cache

import hyperscan

from aiwatch.detection import hyperscan_cache
from aiwatch.detection.attacks.patterns import FAMILIES

_RULES: list[tuple[str, int]] = [
    (family, index) for family, regexes in FAMILIES.items() for index in range(len(regexes))
]
_lock = threading.Lock()


@lru_cache(maxsize=1)
def _database() -> hyperscan.Database:
    expressions = [FAMILIES[family][index].pattern.encode("utf-8") for family, index in _RULES]
    flags = hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH | hyperscan.HS_FLAG_CASELESS
    return hyperscan_cache.compiled(expressions, range(len(expressions)), [flags] * len(expressions))


def possible_rules(normalized: str) -> dict[str, list[int]]:
    """Family -> indexes of its regexes that may match `normalized` (a superset of the real matches)."""
    found: dict[str, list[int]] = {}

    def on_match(rule_id: int, start: int, end: int, flags: int, context: object) -> None:
        del start, end, flags, context
        family, index = _RULES[rule_id]
        found.setdefault(family, []).append(index)

    with _lock:  # one scratch space: one scan at a time
        _database().scan(normalized.encode("utf-8", "surrogatepass"), match_event_handler=on_match)
    for indexes in found.values():
        indexes.sort()
    return found
