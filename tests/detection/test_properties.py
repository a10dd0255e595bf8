"""Property tests: scanning never raises, spans stay inside the text, evidence never leaks the value."""

from __future__ import annotations

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiwatch.detection.engine import Engine

# Text with everything hostile: lone surrogates, NUL, controls, astral characters, invisible characters.
ANY_TEXT = st.text(alphabet=st.characters(codec=None, categories=None), max_size=400)
SECRETISH = st.text(alphabet=string.ascii_letters + string.digits + "_-+/=", min_size=20, max_size=60)
FRAGMENTS = st.sampled_from(
    [
        "password: ",
        "api_key=",
        "ghp_",
        "AKIA",
        "sk-proj-",
        "4539 6476 8858 6080",
        "@acme-corp.io",
        "-----BEGIN PRIVATE KEY-----\n",
        "\u200b",
        "\U000e0041",
        "postgres://u:",
        "eyJ",
        " ",
        "\n",
    ]
)
MIXED = st.lists(st.one_of(ANY_TEXT, FRAGMENTS, SECRETISH), max_size=12).map("".join)

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check(engine: Engine, text: str) -> None:
    found = engine.scan(text)
    for detection in found:
        assert 0 <= detection.start <= detection.end <= len(text)
        assert 0.0 <= detection.score <= 1.0
        value = text[detection.start : detection.end]
        if detection.rule.startswith("secret.") and len(value) >= 8:
            assert detection.evidence != value
            assert value not in detection.evidence
    assert found == sorted(found, key=lambda d: (d.start, d.end, d.rule))


@SETTINGS
@given(text=MIXED)
def test_never_raises_and_spans_are_valid(engine, text):
    _check(engine, text)


@SETTINGS
@given(text=MIXED)
def test_high_sensitivity_never_raises(high_engine, text):
    _check(high_engine, text)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(unit=st.sampled_from(["a", "1", " ", "\u200b", "é", "ghp_", "x@y.io ", "\ud800", "\x00", "{;\n"]))
def test_huge_repeats(engine, unit):
    _check(engine, unit * (200_000 // len(unit)))
