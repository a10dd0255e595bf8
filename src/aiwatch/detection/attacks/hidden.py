"""Invisible-character pass: strip zero-width, bidi-control, tag and variation-selector characters.

Runs before every other rule, so plain ASCII text leaves at once (`str.isascii` is O(1) in CPython) and
other text pays one precompiled-regex search. Benign uses are removed from the clean text but not reported:
a ZWJ/ZWNJ joining emoji or letters of scripts that need joiners, a BOM at the very start, direction marks
in genuinely right-to-left text, emoji presentation selectors and subdivision-flag tag sequences.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from aiwatch.detection.types import Detection, HiddenText
from aiwatch.domain import Severity

RULE = "attack.invisible_characters"
VERSION = "hidden-1"

# Zero-width and other default-ignorable format characters (not bidi, not tags, not selectors).
_ZERO_WIDTH = (
    "\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200d\u2060-\u2064\u2065\u206a-\u206f"
    "\u3164\ufeff\uffa0\ufff9-\ufffb\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
)
_DIRECTION_MARKS = "\u200e\u200f"
_BIDI_EMBEDDINGS = "\u202a\u202b\u202c\u2066-\u2069"
_BIDI_OVERRIDES = "\u202d\u202e"
_TAGS = "\U000e0000-\U000e007f"
_SELECTORS = "\ufe00-\ufe0f\U000e0100-\U000e01ef"

_REMOVABLE = re.compile(
    f"[{_ZERO_WIDTH}{_DIRECTION_MARKS}{_BIDI_EMBEDDINGS}{_BIDI_OVERRIDES}{_TAGS}{_SELECTORS}]+"
)
_SMUGGLING = re.compile(f"[{_TAGS}{_SELECTORS}]")
_RTL_LETTER = re.compile(
    "[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc\U00010800-\U00010fff\U0001e800-\U0001efff]"
)

# Scripts whose orthography uses ZWJ/ZWNJ inside words (Arabic, Indic, Sinhala, Myanmar, Khmer, ...).
_JOINING_SCRIPT = re.compile("[\u0600-\u08ff\u0900-\u0dff\u1000-\u109f\u1780-\u17ff\ufb50-\ufdff]")

_FLAG_BLACK = "\U0001f3f4"
_TAG_CANCEL = 0xE007F


def _is_emoji(ch: str) -> bool:
    if not ch:
        return False
    cp = ord(ch)
    return (
        0x1F000 <= cp <= 0x1FAFF
        or 0x2600 <= cp <= 0x27BF
        or 0x2B00 <= cp <= 0x2BFF
        or cp in (0xFE0F, 0x20E3, 0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139)
        or 0x2190 <= cp <= 0x21FF
        or 0x2300 <= cp <= 0x23FF
    )


@dataclass(slots=True)
class _Findings:
    format_chars: Counter[int]
    format_span: list[int]
    overrides: Counter[int]
    override_span: list[int]
    detections: list[Detection]
    payloads: list[tuple[int, int, str]]


def find_hidden_text(text: str) -> HiddenText:
    """Remove invisible characters; report the suspicious ones and decode smuggled payloads."""
    if text.isascii():
        return HiddenText(text, None, [], [])
    first = _REMOVABLE.search(text)
    if first is None:
        return HiddenText(text, None, [], [])

    rtl_text = _RTL_LETTER.search(text) is not None
    found = _Findings(Counter(), [], Counter(), [], [], [])
    kept: list[str] = []
    index_map: list[int] = []
    position = 0
    for match in _REMOVABLE.finditer(text, first.start()):
        start, end = match.span()
        if start > position:
            kept.append(text[position:start])
            index_map.extend(range(position, start))
        _classify_run(text, start, end, rtl_text, found)
        position = end
    if position < len(text):
        kept.append(text[position:])
        index_map.extend(range(position, len(text)))

    detections = found.detections
    if sum(found.format_chars.values()) >= 2:
        detections.append(_counted_detection(found.format_chars, found.format_span, "zero-width/format"))
    if found.overrides:
        detections.append(_counted_detection(found.overrides, found.override_span, "bidi override", 0.85))
    detections.sort(key=lambda d: (d.start, d.end))
    return HiddenText("".join(kept), index_map, detections, found.payloads)


def _classify_run(text: str, start: int, end: int, rtl_text: bool, found: _Findings) -> None:
    """Sort one maximal run of removable characters into benign, counted, override, tag or selector findings.

    The run is maximal, so the characters around it are visible ones: benign-use checks look at those, and
    plain runs are counted in bulk (a megabyte of zero-width spaces costs one Counter, not a Python loop).
    """
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    run = text[start:end]
    if not _SMUGGLING.search(run):
        counts = Counter(run)
        if start == 0 and run[0] == "\ufeff":
            counts["\ufeff"] -= 1  # byte-order mark at the start of a file
        for char, count in counts.items():
            if count > 0 and not _benign(ord(char), before, after, rtl_text):
                _count(found, ord(char), count, start, end)
        return
    i = start
    while i < end:
        cp = ord(text[i])
        if 0xE0000 <= cp <= 0xE007F:
            j = i
            while j < end and 0xE0000 <= ord(text[j]) <= 0xE007F:
                j += 1
            _tag_run(text, i, j, found)
            i = j
            continue
        if 0xFE00 <= cp <= 0xFE0F or 0xE0100 <= cp <= 0xE01EF:
            j = i
            while j < end and (0xFE00 <= ord(text[j]) <= 0xFE0F or 0xE0100 <= ord(text[j]) <= 0xE01EF):
                j += 1
            _selector_run(text, i, j, found)
            i = j
            continue
        if not (cp == 0xFEFF and i == 0) and not _benign(cp, before, after, rtl_text):
            _count(found, cp, 1, i, i + 1)
        i += 1


def _count(found: _Findings, cp: int, count: int, start: int, end: int) -> None:
    if cp in (0x202D, 0x202E):
        found.overrides[cp] += count
        _extend(found.override_span, start, end)
    else:
        found.format_chars[cp] += count
        _extend(found.format_span, start, end)


def _benign(cp: int, before: str, after: str, rtl_text: bool) -> bool:
    if rtl_text and (cp in (0x200E, 0x200F, 0x061C) or 0x202A <= cp <= 0x202E or 0x2066 <= cp <= 0x2069):
        return True  # direction marks, embeddings and overrides in genuinely right-to-left text
    if cp in (0x200C, 0x200D):
        if cp == 0x200D and (_is_emoji(before) or _is_emoji(after)):
            return True
        return bool(_JOINING_SCRIPT.match(before) or _JOINING_SCRIPT.match(after))
    if cp == 0x00AD:
        # soft hyphen between letters is a hyphenation hint from word processors
        return before.isalpha() and after.isalpha()
    return False


def _tag_run(text: str, start: int, end: int, found: _Findings) -> None:
    codes = [ord(ch) - 0xE0000 for ch in text[start:end]]
    is_flag = start > 0 and text[start - 1] == _FLAG_BLACK and codes[-1] == _TAG_CANCEL - 0xE0000
    if is_flag and len(codes) <= 8 and all(0x30 <= c <= 0x39 or 0x61 <= c <= 0x7A for c in codes[:-1]):
        return  # subdivision flag such as England or Scotland
    spelled = "".join(chr(c) for c in codes if 0x20 <= c <= 0x7E)
    if spelled.strip():
        found.payloads.append((start, end, spelled))
    found.detections.append(
        Detection(
            rule=RULE,
            start=start,
            end=end,
            score=0.97 if len(spelled.strip()) >= 3 else 0.8,
            severity=Severity.HIGH,
            evidence=f"U+E0000 tag block ×{end - start} spelling {len(spelled)} hidden characters",
            detector_version=VERSION,
            details={"kind": "tag_smuggling", "hidden_chars": len(spelled)},
        )
    )


def _selector_run(text: str, start: int, end: int, found: _Findings) -> None:
    """Variation selectors: one after a base character is normal; a run encodes bytes (emoji smuggling)."""
    if end - start == 1:
        return
    data = bytes(ord(ch) - 0xFE00 if ord(ch) <= 0xFE0F else ord(ch) - 0xE0100 + 16 for ch in text[start:end])
    try:
        decoded = data.decode("utf-8")
    except UnicodeDecodeError:
        decoded = ""
    readable = bool(decoded) and sum(ch.isprintable() or ch.isspace() for ch in decoded) >= 0.9 * len(decoded)
    if readable:
        found.payloads.append((start, end, decoded))
    found.detections.append(
        Detection(
            rule=RULE,
            start=start,
            end=end,
            score=0.95 if readable else 0.7,
            severity=Severity.HIGH if readable else Severity.MEDIUM,
            evidence=f"variation selectors ×{end - start}"
            + (f" encoding {len(decoded)} hidden characters" if readable else ""),
            detector_version=VERSION,
            details={"kind": "variation_selector_smuggling", "hidden_chars": len(decoded) if readable else 0},
        )
    )


def _extend(span: list[int], start: int, end: int) -> None:
    if span:
        span[0] = min(span[0], start)
        span[1] = max(span[1], end)
    else:
        span.extend((start, end))


def _counted_detection(counts: Counter[int], span: list[int], kind: str, base: float = 0.6) -> Detection:
    total = sum(counts.values())
    evidence = ", ".join(f"U+{cp:04X}×{n}" for cp, n in counts.most_common(6))
    return Detection(
        rule=RULE,
        start=span[0],
        end=span[1],
        score=min(0.95, base + 0.05 * total),
        severity=Severity.MEDIUM,
        evidence=f"{kind} characters: {evidence}",
        detector_version=VERSION,
        details={"kind": kind.replace(" ", "_").replace("/", "_"), "count": total},
    )
