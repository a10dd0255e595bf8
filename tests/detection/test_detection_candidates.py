"""Hyperscan candidate narrowing: a tighter Hyperscan expression never loses a value its validator accepts.

The reference is the catalog pattern itself: every match Python re finds for it that the validator accepts
must end where the narrowed expression also matches, and an engine with the narrowing must report exactly
what an engine scanning the catalog pattern reports.
"""

from __future__ import annotations

import random
import re

import hyperscan
import pytest

from aiwatch.detection import engine as engine_module
from aiwatch.detection.catalog import builtin_catalog
from aiwatch.detection.engine import Engine, _loosen_repeats
from aiwatch.detection.hyperscan_cache import accepts as _hyperscan_accepts
from aiwatch.detection.validators import HYPERSCAN_NARROWING, PHONE_PATTERN, _phone, hyperscan_narrowing


def _phone_texts(count: int = 400, seed: int = 5) -> list[str]:
    """Log lines, timestamps, versions, IP addresses and phone numbers in many spellings, side by side."""
    rng = random.Random(seed)

    def digits(n: int) -> str:
        return "".join(rng.choice("0123456789") for _ in range(n))

    def ip() -> str:
        return ".".join(str(rng.randrange(256)) for _ in range(4))

    def us() -> tuple[str, str, str]:  # valid US numbers: real area codes, exchange 2-9xx
        area = rng.choice(["212", "312", "415", "617", "512", "919", "704", "206", "303"])
        return area, f"{rng.randrange(2, 10)}{digits(2)}", digits(4)

    def uk() -> str:
        return f"020 7{digits(3)} {digits(4)}"

    shapes = [
        lambda: "+1 {} {} {}".format(*us()),
        lambda: "+1.{}.{}.{}".format(*us()),
        lambda: "({}) {}-{}".format(*us()),
        lambda: "{}.{}.{}".format(*us()),
        lambda: "{}-{}-{}".format(*us()),
        lambda: "{} {} {} ext. {}".format(*us(), digits(3)),
        lambda: "{}-{}-{} x{}".format(*us(), digits(2)),
        lambda: f"+44 {uk()[1:]}",
        lambda: f"0044 {uk()[1:]}",
        lambda: uk(),
        lambda: f"{digits(3)}.{digits(3)}.{digits(3)}",
        lambda: f"{digits(3)}-{digits(3)} ext.{digits(2)}",
        lambda: f"00{digits(2)}.{digits(2)}.{digits(3)}",
        lambda: f"{digits(2)}.{digits(2)}.{digits(2)}.{digits(2)}.{digits(2)}",
        lambda: f"{digits(4)}.{digits(2)}",
        lambda: f"v{digits(1)}.{digits(2)}.{digits(3)}",
        lambda: f"{ip()}:{rng.randrange(1, 65535)}",
        lambda: ip(),
        lambda: f"2026-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T{digits(2)}:{digits(2)}:00Z",
        lambda: f"{digits(5)}.{digits(3)}",
        lambda: f"{rng.choice(['19', '20'])}{digits(2)}{rng.choice('.-')}{digits(2)}",
        lambda: f"20{digits(2)}-{digits(2)}-{digits(2)}{rng.choice(['T10:00', ' 10:00', '-' + digits(3)])}",
        lambda: (
            f"{rng.choice(['19', '20', '21', '18'])}{digits(2)}.{digits(2)}.{digits(rng.randrange(2, 5))}"
        ),
        lambda: f"{digits(4)}-{digits(2)}",
        lambda: f"{digits(3)}.{digits(2)}-{digits(3)}",
    ]
    glue = [" ", ", ", " call ", " from ", "\n", " tel. ", " | ", "/", " - ", ".", "\t"]
    out = []
    for _ in range(count):
        parts = [rng.choice(shapes)() for _ in range(rng.randrange(1, 6))]
        out.append("".join(part + rng.choice(glue) for part in parts))
    return out


def test_the_catalog_phone_pattern_is_the_narrowed_one() -> None:
    # If the catalog pattern is edited, the narrowing silently stops applying: update PHONE_PATTERN with it.
    rule = builtin_catalog().get("pii.phone")
    assert rule is not None
    assert rule.patterns[0].regex == PHONE_PATTERN
    assert hyperscan_narrowing(PHONE_PATTERN, rule.validators) is not None
    assert hyperscan_narrowing(PHONE_PATTERN, ["ipv4"]) is None  # only under the validator that allows it
    # Hyperscan must accept it: a rejected expression would silently fall back to a Python scan of every text.
    narrowed = HYPERSCAN_NARROWING[("phone", PHONE_PATTERN)]
    assert _hyperscan_accepts(_loosen_repeats(narrowed), hyperscan.HS_FLAG_MULTILINE)
    assert "pii.phone" not in Engine(rules_glob="pii.phone").python_only_rules()


def _match_ends(expression: re.Pattern[str], text: str) -> set[int]:
    """Every offset where some match of ``expression`` ends, from any start (what Hyperscan reports).

    Both expressions end in a digit and \\b: with `endpos` the string end counts as a word boundary, so only
    ends followed by a non-word character (or the real end) are real ones.
    """
    ends = set()
    for end in range(1, len(text) + 1):
        if not text[end - 1].isdigit() or (end < len(text) and (text[end].isalnum() or text[end] == "_")):
            continue
        if any(expression.fullmatch(text, start, end) for start in range(max(0, end - 80), end)):
            ends.add(end)
    return ends


def test_narrowed_phone_ends_are_pattern_ends_and_keep_every_accepted_value() -> None:
    pattern = re.compile(PHONE_PATTERN, re.ASCII | re.MULTILINE)
    narrowed = re.compile(HYPERSCAN_NARROWING[("phone", PHONE_PATTERN)], re.ASCII | re.MULTILINE)
    accepted = left_out = 0
    for text in _phone_texts(count=150):
        pattern_ends, narrowed_ends = _match_ends(pattern, text), _match_ends(narrowed, text)
        assert narrowed_ends <= pattern_ends, text  # no region the catalog pattern would not give
        left_out += len(pattern_ends - narrowed_ends)
        for match in pattern.finditer(text):
            if _phone(match.group(0), match.group(0)) is not None:
                accepted += 1
                assert match.end() in narrowed_ends, (text, match.group(0))
    assert accepted > 100  # the texts do hold accepted phone numbers
    assert left_out > 100  # and the narrowing does leave out IP addresses, versions and dates


def test_engine_with_narrowing_reports_what_the_catalog_pattern_reports(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = _phone_texts(count=300, seed=9)
    narrowed_engine = Engine(sensitivity="high", rules_glob="pii.*")
    monkeypatch.setattr(engine_module, "hyperscan_narrowing", lambda regex, names: None)
    plain_engine = Engine(sensitivity="high", rules_glob="pii.*")
    assert narrowed_engine._database is not plain_engine._database
    found = 0
    for text in texts:
        for where in ("prompt", "file"):
            expected = plain_engine.scan(text, where)
            assert narrowed_engine.scan(text, where) == expected, text
            found += sum(d.rule == "pii.phone" for d in expected)
    assert found > 100
