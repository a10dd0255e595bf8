"""The licensed dev sets in ``../shared/datasets`` as scoring units (never copied into the repository).

PII: presidio-research generated sentences with character spans.
Secrets: CredSweeper's sample files. They ship without line labels, so a labelling is derived here (the
protocol is printed with the results):
1. A line carrying an explicit marker is its own unit: ``# TP``/``TP:``/``positive:``/``...:T`` = positive,
   ``# FP``/``FP:``/``negative:``/``negative case:``/``...:F`` = negative. A marker alone on a line (``TP:``,
   ``# FP``, ``POSITIVE:``) heads a section that runs to the next such header; a section is one unit, and so
   is a ``>>> negative cases >>>`` ... ``<<< negative cases <<<`` block (negative).
2. The rest of a file is one unit, negative when the file name says it is a look-alike (``*_n``, ``*.n.*``,
   ``*_fp``, ``*_f``, ``*FALSE*``, ``false_positive``, or a file whose own comment says it must not be found),
   positive otherwise (a first line saying the key "should be not found" also makes it negative, and so does
   ``bad.xml``, a malformed-XML parser sample without any credential).
3. Files whose text cannot be reached without unpacking archives, compressed streams or binary containers
   (``.gz``, ``.jks``, ``.rpm``, images, ...) are excluded: that is CredSweeper's depth scanning, not message
   scanning. Office and PDF samples are included through ``aiwatch.detection.extract`` (same text for all).
A detector is right on a positive unit when it reports at least one secret in it, and on a negative unit when
it reports none. This is coarse (a positive file may also hold look-alikes) and says nothing about spans.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DATASETS = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets"


class DatasetsMissing(Exception):
    """The shared dev data is not beside the checkout (or not where --datasets points)."""


def require(datasets: Path, *parts: str) -> Path:
    path = datasets.joinpath(*parts)
    if not path.exists():
        raise DatasetsMissing(
            f"{path} not found. The benches read the licensed dev sets from ../shared/datasets beside the "
            "checkout; pass --datasets DIR to point elsewhere."
        )
    return path


# --- PII ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    type: str
    start: int
    end: int


@dataclass(frozen=True)
class PiiItem:
    id: str
    text: str
    spans: tuple[Span, ...]


def load_pii(datasets: Path, limit: int | None = None) -> list[PiiItem]:
    records = json.loads(require(datasets, "pii", "presidio-generated-large.json").read_text("utf-8"))
    items = [
        PiiItem(
            id=f"pii-{index}",
            text=record["full_text"],
            spans=tuple(
                Span(s["entity_type"], int(s["start_position"]), int(s["end_position"]))
                for s in record["spans"]
            ),
        )
        for index, record in enumerate(records)
    ]
    return items[:limit] if limit else items


# --- Secrets --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretUnit:
    id: str
    file: str
    text: str
    positive: bool
    how: str  # "line-marker", "block-marker" or "file-name"


_NEGATIVE_NAME = re.compile(r"(^|[_.\-])(n|fp|f)($|[_.\-])|FALSE|false_positive", re.IGNORECASE)
_SAYS_NOT_FOUND = re.compile(r"should be not found|must not be found|should not be found", re.IGNORECASE)
_POSITIVE_LINE = re.compile(r"#\s*tp\b|^\s*tp:|\bpositive\s*:|:T\s*$", re.IGNORECASE)
_NEGATIVE_LINE = re.compile(r"#\s*fp\b|^\s*fp:|\bnegative(\s+case)?\s*:", re.IGNORECASE)
_NEGATIVE_LINE_SUFFIX = re.compile(r":F\s*$")
_SECTION_HEADER = re.compile(r"^\s*(#\s*)?(tp|fp|positive|negative)\s*:?\s*$", re.IGNORECASE)
_BLOCK_START = re.compile(r">>>\s*negative cases\s*>>>", re.IGNORECASE)
_BLOCK_END = re.compile(r"<<<\s*negative cases\s*<<<", re.IGNORECASE)
# Samples that exercise CredSweeper's parsers rather than hold a credential.
_NO_CREDENTIAL = frozenset({"bad.xml"})
_TEXT_FORMATS = {"text", "json", "xml", "html", "csv", "pdf", "docx", "xlsx", "pptx", "odf"}


def load_secret_units(datasets: Path) -> tuple[list[SecretUnit], list[str]]:
    """Scoring units and the names of the excluded files."""
    from aiwatch.detection.extract import extract_text

    folder = require(datasets, "secrets", "credsweeper-samples")
    units: list[SecretUnit] = []
    excluded: list[str] = []
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.name == "SOURCE.md":
            continue
        result = extract_text(path.read_bytes(), path.name)
        if result.format not in _TEXT_FORMATS or not result.text.strip():
            excluded.append(path.name)
            continue
        units.extend(_units_of(path.name, result.text))
    return units, excluded


def _units_of(name: str, text: str) -> list[SecretUnit]:
    units: list[SecretUnit] = []
    rest: list[str] = []
    section: list[str] | None = None
    section_label = False
    section_id = ""
    section_how = ""

    def close_section() -> None:
        nonlocal section
        if section is not None and any(line.strip() for line in section):
            units.append(SecretUnit(section_id, name, "\n".join(section), section_label, section_how))
        section = None

    for number, line in enumerate(text.splitlines(), start=1):
        header = _SECTION_HEADER.match(line)
        if header or _BLOCK_START.search(line):
            close_section()
            section = []
            section_label = bool(header) and header.group(2).lower() in ("tp", "positive")
            section_id, section_how = f"{name}#S{number}", "section-marker" if header else "block-marker"
        elif _BLOCK_END.search(line) and section is not None:
            close_section()
        elif section is not None:
            section.append(line)
        elif _POSITIVE_LINE.search(line):
            units.append(SecretUnit(f"{name}#L{number}", name, line, True, "line-marker"))
        elif _NEGATIVE_LINE.search(line) or _NEGATIVE_LINE_SUFFIX.search(line):
            units.append(SecretUnit(f"{name}#L{number}", name, line, False, "line-marker"))
        else:
            rest.append(line)
    close_section()
    remainder = "\n".join(rest)
    if remainder.strip():
        first_line = remainder.strip().splitlines()[0]
        negative = bool(
            _NEGATIVE_NAME.search(name) or _SAYS_NOT_FOUND.search(first_line) or name in _NO_CREDENTIAL
        )
        units.append(SecretUnit(f"{name}#file", name, remainder, not negative, "file-name"))
    return units
