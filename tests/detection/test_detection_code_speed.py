"""The fast source-code and configuration detectors give exactly the results of the plain versions.

The plain versions are kept as references: ``code._detect_line_by_line`` (every line of the text tested,
as ``str.splitlines()`` cuts them) for ``code.source``, and ``_reference_config`` below (every marker looked
for, every pattern run with ``finditer``) for ``code.config``. Each shortcut of the fast versions is also
checked on its own: the prefilters are necessary conditions, the gated substring checks equal the plain ones.
"""

from __future__ import annotations

import random
import re

import pytest
from detection_helpers import chat_turn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiwatch.detection.builtin import code
from aiwatch.detection.types import Detection
from aiwatch.domain import Sensitivity

SENSITIVITIES = (Sensitivity.BALANCED, Sensitivity.HIGH)
# Lines of every kind the detectors look at (code of several languages, config of every kind, prose, logs,
# blank and white-space lines, fences, over-long lines) and characters that end lines for str.splitlines().
LINES = [
    "def f(x):", "    return x + 1", "class A:", "    pass", "if (a == b) { x++; }", "// comment", "x := 3",
    "y <- 4", "SELECT * FROM t;", "-- note", "# heading", "#include <x>", "@decorator", "foo.bar(1, 2)",
    "Return the forms by Friday.", "Import duties apply to all orders from abroad.", "else: nothing",
    "The quick brown fox jumps over the lazy dog, again.", "", "   ", "\t", " \u00a0 ", "}", "{", ";",
    "x = 1", "value = compute(a, b)  # the total", "a -> b", "a::b", "a && b || c", "const x = 5;",
    "let y = [1, 2];", "    for i in range(10):", "        print(i)", "export FOO=bar", "API_KEY=abc",
    "DEBUG=1", "[server]", "port = 80", "bind = 10.0.0.1", "apiVersion: v1", "kind: Deployment",
    "kind: Pod", "metadata:", "  name: x", "  labels:", "    app: web", "  - name: A", "    value: b",
    "FROM python:3.11 AS base", "RUN pip install x", "COPY . /app", "ENV A=1", 'CMD ["x"]', "WORKDIR /app",
    "EXPOSE 80", 'resource "aws_s3_bucket" "b" {', '  bucket = "x"', "on:", "  push:", "jobs:", "  build:",
    "    runs-on: ubuntu-latest", "    steps:", "      - uses: actions/x", "    script:", "pipeline:",
    "image: node:20", "```", "```python", "```yaml", "```text", "~~~", "~~~md", "  ```", "````", "```  ",
    "\t~~~ yaml x", " ``` c++",
    "Name: John", "Subject: hello there", "key:", "a.b.c(d);", "x" * 450 + ";", "y = " + "z" * 420,
    "fn main() {", "func x() {", "impl A for B {", "  x += 1", "} else {", "while (true) {", "try:",
    "except ValueError:", "import os", "from a.b import c", "async def g():", "await x", "echo hi",
    "Some text with a semicolon; and more words here.", "Please call foo() when ready.", "terraform {",
    'variable "x" {', 'module "m"{', 'output "o"', "[db]", "host = x", "[ ok ]", "  - item", "  - 'quoted'",
    "stages:", "steps:", "script:", "workflow_dispatch:", "x==y", "a!=b", "i++", "p => q", "   x = 2;  ",
    "\t\tcall();", "call(x);  ", "obj.method(a)  ", "f(x) ;", "f (x) ; ",
    "();", "a();", "=", ":", ": ", " = ", "function g() {", "#define X 1",
    "public static void main(String[] a) {", "namespace x {", "using y;", "functional programming is fun",
    "2026-01-02T10:00:00.123Z INFO  [auth] req=0a1b2c3d-9f8e GET /v1/orders from 10.1.2.3 status=200",
    "Traceback (most recent call last):", '  File "/srv/app/x.py", line 3, in handle',
    "    result = service.process(payload)", "TimeoutError: upstream 10.0.0.1:5432 did not answer",
]  # fmt: skip
LINE_BREAKS = ["\n", "\n", "\n", "\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028"]


def _joined(rng: random.Random, count: int) -> str:
    newline_only = rng.random() < 0.8
    parts = []
    for _ in range(count):
        parts.append(rng.choice(LINES))
        parts.append("\n" if newline_only else rng.choice(LINE_BREAKS))
    return "".join(parts[: -1 if rng.random() < 0.5 else None])


def _texts(count: int = 1500, seed: int = 17) -> list[str]:
    """Chat turns from the emulator's templates (coding topics hold fences), planted risks (.env blocks,
    keys) and texts joined from the lines above."""
    rng = random.Random(seed)
    out = []
    for index in range(300):
        out.append(chat_turn(rng, plant=index % 3 == 0))
    out += [_joined(rng, rng.randrange(1, 40)) for _ in range(count)]
    return out


TEXTS = _texts()
NEWLINE_ONLY_TEXTS = [t for t in TEXTS if not any(b in t for b in code._OTHER_LINE_BREAKS)]


def _regex_fences(text: str) -> list[tuple[int, int, str, int, int]]:
    """The fences as the original lazy regex finds them (the reference for ``code._fences``)."""
    return [(*m.span(), m.group(2).lower(), *m.span(3)) for m in code._FENCE.finditer(text)]


def _reference_source(text: str, sensitivity: Sensitivity) -> list[Detection]:
    minimum = 4 if sensitivity is Sensitivity.BALANCED else 3
    return code._detect_line_by_line(text, _regex_fences(text), minimum)


def _reference_config(text: str, sensitivity: Sensitivity) -> list[Detection]:
    """ConfigDetector as it was: every marker looked for, every pattern run over the whole text."""
    if "\n" not in text:
        return []
    found = []
    factor = 1 if sensitivity is Sensitivity.BALANCED else 0.7
    for kind, _typical, needed in code._CONFIG_KINDS:
        if not any(marker in text for marker in code._CONFIG_MARKERS[kind]):
            continue
        hits = [m for m in code._LINE_PATTERNS[kind].finditer(text) if m.end() - m.start() < 500]
        if len(hits) < max(1, round(needed * factor)):
            continue
        if kind == "yaml" and not code._yaml_nested(text, [m.span() for m in hits]):
            continue
        if kind == "ini" and len(code._INI_ASSIGNMENT.findall(text)) < 2:
            continue
        first, last = hits[0], hits[-1]
        start = first.start() + len(first.group(0)) - len(first.group(0).lstrip())
        end = last.start() + len(last.group(0).rstrip("\r\n"))
        score = min(0.95, 0.6 + 0.05 * len(hits))
        found.append(code._detection("code.config", start, end, score, kind))
    return found


def test_the_texts_exercise_every_path() -> None:
    source, config = code.SourceCodeDetector(), code.ConfigDetector()
    results = [
        d for t in TEXTS for d in source.detect(t, Sensitivity.HIGH) + config.detect(t, Sensitivity.HIGH)
    ]
    assert {d.details["kind"] for d in results} >= {
        "code",
        "python",
        "env",
        "ini",
        "yaml",
        "kubernetes",
        "ci",
    }
    assert 0 < len(NEWLINE_ONLY_TEXTS) < len(TEXTS)  # both the fast line pass and the plain one


@pytest.mark.parametrize("sensitivity", SENSITIVITIES)
def test_source_detector_equals_the_line_by_line_version(sensitivity: Sensitivity) -> None:
    detector = code.SourceCodeDetector()
    for text in TEXTS:
        assert detector.detect(text, sensitivity) == _reference_source(text, sensitivity), text[:200]


@pytest.mark.parametrize("sensitivity", SENSITIVITIES)
def test_config_detector_equals_the_finditer_version(sensitivity: Sensitivity) -> None:
    detector = code.ConfigDetector()
    for text in TEXTS:
        assert detector.detect(text, sensitivity) == _reference_config(text, sensitivity), text[:200]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(LINES),
            st.sampled_from(LINE_BREAKS),
            st.text(alphabet=" \t\n;{}()=:#/-*\"'.[]`~abcdefimnoprstxAEFMORSXZ_0123456789", max_size=12),
        ),
        max_size=40,
    ).map("".join)
)
def test_detectors_equal_the_plain_versions_on_any_text(text: str) -> None:
    for sensitivity in SENSITIVITIES:
        assert code.SourceCodeDetector().detect(text, sensitivity) == _reference_source(text, sensitivity)
        assert code.ConfigDetector().detect(text, sensitivity) == _reference_config(text, sensitivity)


def _line_starts(text: str) -> list[tuple[int, str]]:
    out, position = [], 0
    for line in text.split("\n"):
        out.append((position, line))
        position += len(line) + 1
    return out


def test_code_pattern_lines_are_the_lines_either_pattern_matches() -> None:
    for text in NEWLINE_ONLY_TEXTS:
        expected = {
            start
            for start, line in _line_starts(text)
            if code._CODE_LINE_AT_START.match(line) or code._CODE_LINE_ANYWHERE.search(line)
        }
        assert code._code_pattern_line_starts(text) == expected, text[:200]


ONE_LINE = st.lists(
    st.one_of(
        st.sampled_from(
            [line for line in LINES if not any(b in line for b in ("\n", *code._OTHER_LINE_BREAKS))]
        ),
        st.text(
            alphabet=" \t;{}()=:#/-*+<>%@\"'.[]_abcdefilmnoprstuvwxyzASCDEFILNRSTU0123456789", max_size=10
        ),
    ),
    max_size=6,
).map("".join)


@settings(max_examples=500, deadline=None)
@given(ONE_LINE)
def test_line_start_pattern_over_the_text_equals_the_one_for_a_line(line: str) -> None:
    at_start = code._CODE_LINE_AT_START.match(line) is not None
    assert (code._CODE_LINE_START_AFTER_NEWLINE.match("\n" + line) is not None) == at_start
    assert (code._CODE_LINE_START_AFTER_NEWLINE.match("\n" + line + "\nx") is not None) == at_start


def test_line_start_pattern_over_the_text_on_every_line() -> None:
    for text in NEWLINE_ONLY_TEXTS:
        for _, line in _line_starts(text):
            at_start = code._CODE_LINE_AT_START.match(line) is not None
            assert (code._CODE_LINE_START_AFTER_NEWLINE.match("\n" + line) is not None) == at_start, line


def test_code_lines_and_blocks_equal_the_per_line_pass() -> None:
    for text in NEWLINE_ONLY_TEXTS:
        lines = code._CodeLines(text)
        expected, position = [], 0
        for line in text.split("\n"):
            if code._is_code_line(line):
                expected.append((position, position + len(line)))
            position += len(line) + 1
        assert lines.spans == expected, text[:200]
        for minimum in (3, 4):
            assert lines.blocks(minimum) == code._code_blocks(text, minimum), text[:200]


def test_gated_substring_checks_equal_the_plain_ones() -> None:
    for text in TEXTS:
        assert code._has_code_hint(text) == any(hint in text for hint in code._CODE_HINTS)
        for minimum in (3, 4):
            count = sum(text.count(marker) for marker in code._BLOCK_MARKERS)
            assert code._enough_block_markers(text, minimum) == (count >= minimum)
        for kind, markers in code._CONFIG_MARKERS.items():
            gated = code._GATED_CONFIG_MARKERS[kind]
            assert code._has_marker(text, gated) == any(marker in text for marker in markers)
            assert code._may_have_marker(text, gated) or not code._has_marker(text, gated)
    for gated in (
        code._GATED_CODE_HINTS,
        code._GATED_BLOCK_MARKERS,
        code._GATED_ANYWHERE_LITERALS,
        *code._GATED_CONFIG_MARKERS.values(),
    ):
        assert all(gate is None or gate in literal for gate, literal in gated)


def test_fences_equal_finditer() -> None:
    for text in TEXTS:
        assert code._fences(text) == _regex_fences(text), text[:200]


_FENCE_PIECES = st.sampled_from(
    ["```", "~~~", "```py", "~~~x", " ", "\t", "\n", "\r\n", "\r", "a", "x = 1;", "`"]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_FENCE_PIECES, max_size=40).map("".join))
def test_fences_equal_finditer_on_fence_heavy_text(text: str) -> None:
    # Unclosed openings of both marks, closings before and after other openings, CR line breaks.
    assert code._fences(text) == _regex_fences(text)


def test_unclosed_fence_openings_search_for_a_closing_line_once_per_mark(monkeypatch) -> None:
    # Each unclosed opening used to search to the end of the text for its closing line: 200 KB of them
    # took about a minute of CPU. Once a search from some point found none, later openings skip it.
    searches: list[int] = []

    class Counting:
        def __init__(self, pattern: re.Pattern[str]) -> None:
            self.pattern = pattern

        def search(self, text: str, position: int) -> re.Match[str] | None:
            searches.append(position)
            return self.pattern.search(text, position)

    counting = {mark: Counting(p) for mark, p in code._FENCE_CLOSING_AFTER_NEWLINE.items()}
    monkeypatch.setattr(code, "_FENCE_CLOSING_AFTER_NEWLINE", counting)
    text = "```\n" + "~~~x\n" * 2_000 + "```py\n" * 2_000
    assert code._fences(text) == _regex_fences(text) == []
    assert len(searches) == 2  # one per mark
    assert code.SourceCodeDetector().detect(text + "\r\n", Sensitivity.HIGH) == []
    assert len(searches) == 4


def test_indented_yaml_prefilter_counts_every_indented_yaml_line() -> None:
    for text in TEXTS:
        indented = [
            m for m in code._LINE_PATTERNS["yaml"].finditer(text) if text[m.start() : m.start() + 1] in " \t"
        ]
        assert len(code._INDENTED_YAML_LINE.findall("\n" + text)) >= len(indented), text[:200]


def test_rare_kind_line_start_is_found_wherever_those_kinds_have_a_line() -> None:
    for text in TEXTS:
        if any(next(code._LINE_PATTERNS[kind].finditer(text), None) for kind in code._RARE_KINDS):
            assert code._RARE_KIND_LINE_START.search("\n" + text), text[:200]


@pytest.mark.parametrize(
    ("kind", "line"),
    [
        ("terraform", 'resource "aws_s3_bucket" "b" {'),
        ("ci", "  runs-on: ubuntu-latest"),
        ("ci", "  script: make"),
    ],
)
def test_config_line_scans_start_at_the_line_of_the_key(kind: str, line: str) -> None:
    # Indentation before a key is blanks on its own line: a match that may start at any earlier newline
    # of a run of blank lines is retried from each of them (200 KB of blank lines before a Kubernetes
    # manifest took minutes of CPU).
    text = "\n" * 5 + line + "\n"
    match = code._LINE_PATTERNS_AFTER_NEWLINE[kind].search(text)
    assert match is not None and match.start() == 4
    assert code._RARE_KIND_LINE_START.search("\n" * 5 + "apiVersion: v1") is not None
    assert code._RARE_KIND_LINE_START.search("\n\n\n") is None
