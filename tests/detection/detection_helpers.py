"""Helpers for the detection-core tests."""

from __future__ import annotations

import random
import string

from aiwatch.emulator import content, risks


def fake_token(length: int, alphabet: str = string.ascii_letters + string.digits, seed: int = 7) -> str:
    """A random-looking value of the given shape, built at run time (no real credential in the repo)."""
    rng = random.Random(seed)
    return "".join(rng.choice(alphabet) for _ in range(length))


def rules_at(found, text: str) -> set[tuple[str, str]]:
    return {(d.rule, text[d.start : d.end]) for d in found}


def rule_ids(found) -> set[str]:
    return {d.rule for d in found}


PLANTERS = [getattr(risks, name) for name in sorted(dir(risks)) if name.startswith("plant_")]


def chat_turn(rng: random.Random, *, plant: bool = False, followup: bool = False) -> str:
    """A prompt and its answer from the emulator's work-topic templates, optionally followed by a follow-up
    question and by one of the emulator's planted risks (keys, .env blocks, cards, injections, ...)."""
    topic = rng.choice(content.TOPICS)
    values = content.slot_values(rng)
    text = content.fill(rng.choice(topic.openers), values) + "\n\n"
    text += content.fill(rng.choice(topic.answers), values)
    if followup:
        text += "\n" + content.fill(rng.choice(topic.followups), values)
    if plant:
        text += "\n" + rng.choice(PLANTERS)(rng).text
    return text
