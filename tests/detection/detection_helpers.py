"""Helpers for the detection-core tests."""

from __future__ import annotations

import random
import string


def fake_token(length: int, alphabet: str = string.ascii_letters + string.digits, seed: int = 7) -> str:
    """A random-looking value of the given shape, built at run time (no real credential in the repo)."""
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


def rules_at(found, text: str) -> set[tuple[str, str]]:
    return {(d.rule, text[d.start : d.end]) for d in found}


def rule_ids(found) -> set[str]:
    return {d.rule for d in found}
