"""Find Base64 / hex / URL-encoded / rot13 runs whose decoded text is readable, so it can be scanned again.

Nested encodings are unwrapped here (up to `MAX_DEPTH` layers): a segment carries the innermost readable
text and the chain of encodings outermost first, e.g. ``"base64>hex"``; the engine does not need to recurse.
Work is bounded: at most `MAX_CANDIDATES` runs per text and `MAX_SEGMENT_CHARS` characters decoded per run.
Things the secret rules own, or that are not payloads, are skipped: image data URIs, PEM bodies, JWTs,
UUIDs and hashes/colour codes (hex that does not decode to text).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import itertools
import re
import threading
from functools import lru_cache
from urllib.parse import unquote

import hyperscan

from aiwatch.detection import hyperscan_cache
from aiwatch.detection.attacks.suspicious import looks_suspicious
from aiwatch.detection.types import EncodedSegment

MIN_BASE64 = 16
MIN_HEX_BYTES = 8
MAX_CANDIDATES = 64
MAX_SEGMENT_CHARS = 65_536
MAX_DEPTH = 3

_BASE64 = re.compile(rf"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{{{MIN_BASE64},}}={{0,2}}")
_HEX_SPACED = re.compile(
    rf"(?<![0-9A-Za-z])(?:(?:\\x|0x)?[0-9A-Fa-f]{{2}}[ :,]?){{{MIN_HEX_BYTES},}}(?![0-9A-Za-z])"
)
_PERCENT = re.compile(r"[^\s%]*(?:%[0-9A-Fa-f]{2}[^\s%]*){4,}")
# rot13 of very common English words (the, and, you, your, is, to, of, this, that, with, for, ignore, ...).
_ROT13_HINT = re.compile(
    r"\b(?:gur|naq|lbh|lbhe|vf|gb|bs|guvf|gung|jvgu|sbe|vtaber|cerivbhf|vafgehpgvbaf|cebzcg|flfgrz|fnl|"
    r"gryy|zr|jung|ner|nyy|abj|erirny|cnffjbeq)\b",
    re.IGNORECASE,
)
_COMMON_WORDS = frozenset(
    """the and you your is to of a in it this that with for on are be as not all now me what how tell say
ignore previous instructions prompt system reveal password do can will from have has please""".split()  # noqa: SIM905
)
_WORD = re.compile(r"[A-Za-z]+")

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX_ONLY = re.compile(r"[0-9A-Fa-f]+")
_CODE_PUNCT = re.compile(r"[(){}\[\];=<>$|&]")


def find_encoded_segments(text: str) -> list[EncodedSegment]:
    """Decoded, readable Base64/hex/URL/rot13 runs on original offsets, innermost text of nested layers."""
    shapes, base64_starts = _shapes(text)
    if not shapes:
        return []
    segments: list[EncodedSegment] = []
    candidates = _candidates(text, shapes, base64_starts)
    if candidates:
        taken: list[tuple[int, int]] = []
        has_pem = "-----BEGIN " in text  # once per text, not a backward search per candidate
        for start, end, kind in candidates:
            raw = text[start : min(end, start + MAX_SEGMENT_CHARS)]  # what _decode_segment decodes
            if not _may_decode_to_text(raw, kind):
                continue  # cheapest skip first: most runs (trace ids, hashes, paths) decode to no text
            if _owned_elsewhere(text, start, end, has_pem) or _overlaps(start, end, taken):
                continue
            segment = _decode_segment(raw, kind, start, end)
            if segment is not None:
                segments.append(segment)
                taken.append((start, end))
    if "rot13" in shapes:
        segments.extend(_rot13_segments(text))
    return segments


def _candidates(text: str, shapes: set[str], base64_starts: list[int]) -> list[tuple[int, int, str]]:
    """The first `MAX_CANDIDATES` (start, end, kind) runs by start, the longer first at one start."""
    candidates: list[tuple[int, int, str]] = []
    if "base64" in shapes:
        if text.isascii():  # Hyperscan's byte offsets are character offsets: match only where runs start
            base64_runs = [_BASE64.match(text, start) for start in base64_starts]
        else:
            base64_runs = list(itertools.islice(_BASE64.finditer(text), MAX_CANDIDATES))
        candidates.extend((m.start(), m.end(), "base64") for m in base64_runs if m is not None)
    if "hex" in shapes:
        for match in _HEX_SPACED.finditer(text):
            candidates.append((match.start(), match.end(), "hex"))
            if len(candidates) >= MAX_CANDIDATES:  # Base64 runs count: after 64 of them one hex run is kept
                break
    if "url" in shapes:
        runs = itertools.islice(_PERCENT.finditer(text), MAX_CANDIDATES)
        candidates.extend((m.start(), m.end(), "url") for m in runs)
    if len(shapes - {"rot13"}) > 1:  # one kind's runs come from one left-to-right search: already in order
        candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    return candidates[:MAX_CANDIDATES]


# One Hyperscan pass tells which encodings could be present; only those run their (slower) Python regex.
# Base64 also gets its candidates from it: the shape matches once per run of >= MIN_BASE64 alphabet
# characters, ending MIN_BASE64 after the run's start, which is exactly where `_BASE64` matches.
_SHAPES = (
    ("base64", rb"(?:^|[^A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{%d}" % MIN_BASE64, 0),  # every match, not one
    (
        "hex",
        rb"(?:[0-9A-Fa-f]{2}[ :,]){7}[0-9A-Fa-f]{2}|(?:(?:\\x|0x)[0-9A-Fa-f]{2}[ ,]?){8}",
        hyperscan.HS_FLAG_SINGLEMATCH,
    ),
    ("url", rb"(?:%[0-9A-Fa-f]{2}[^\s%]*){4}", hyperscan.HS_FLAG_SINGLEMATCH),
    (
        "rot13",
        _ROT13_HINT.pattern.encode("ascii"),
        hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH,
    ),
)
_shape_lock = threading.Lock()


@lru_cache(maxsize=1)
def _shape_database() -> hyperscan.Database:
    return hyperscan_cache.compiled(
        [pattern for _, pattern, _ in _SHAPES], range(len(_SHAPES)), [flags for _, _, flags in _SHAPES]
    )


def _shapes(text: str) -> tuple[set[str], list[int]]:
    """The encodings that could be present, and the UTF-8 offsets of the first Base64 runs' starts."""
    found: set[str] = set()
    base64_ends: list[int] = []

    def on_match(shape_id: int, start: int, end: int, flags: int, context: object) -> None:
        del start, flags, context
        if shape_id:
            found.add(_SHAPES[shape_id][0])
        elif len(base64_ends) < MAX_CANDIDATES:
            base64_ends.append(end)

    with _shape_lock:  # one scratch space: one scan at a time
        _shape_database().scan(text.encode("utf-8", "surrogatepass"), match_event_handler=on_match)
    if base64_ends:
        found.add("base64")
    return found, [end - MIN_BASE64 for end in base64_ends]


def _owned_elsewhere(text: str, start: int, end: int, has_pem: bool = True) -> bool:
    """Image data URIs, PEM bodies, JWTs and UUIDs: checked around the candidate, not over the whole text."""
    if text[max(0, start - 7) : start] == "base64," and text.rfind("data:", max(0, start - 120), start) >= 0:
        return True
    begin = text.rfind("-----BEGIN ", 0, start) if has_pem else -1
    if begin >= 0 and text.find("-----END ", begin, start) < 0:
        return True
    run = text[start:end]
    if run.startswith("eyJ") and (text[end : end + 1] == "." or text[start - 1 : start] == "."):
        return True
    if text[start - 1 : start] == "." and text.rfind("eyJ", max(0, start - 2048), start) >= 0:
        return True  # signature or payload segment of a JWT
    return _UUID.fullmatch(run) is not None


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < b and a < end for a, b in spans)


# Bytes of text `_printable` can accept: tab/newline/CR, printable ASCII or a well-formed UTF-8 multibyte
# sequence (whose printability only the full decoder judges). `_TEXT_UTF8_HEX` is the same language written
# as hex digits, two per byte, so a hex run is judged without decoding it. Necessary conditions only.
_TEXT_UTF8 = re.compile(
    rb"(?:[\t\n\r\x20-\x7e]|[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3})+"
)
_CONTINUATION_HEX = "[89abAB][0-9a-fA-F]"
_TEXT_UTF8_HEX = re.compile(
    r"(?:0[9aAdD]|[2-6][0-9a-fA-F]|7[0-9a-eA-E]"  # tab, newline, CR, printable ASCII
    rf"|(?:[cC][2-9a-fA-F]|[dD][0-9a-fA-F]){_CONTINUATION_HEX}"
    rf"|[eE][0-9a-fA-F](?:{_CONTINUATION_HEX}){{2}}"
    rf"|[fF][0-4](?:{_CONTINUATION_HEX}){{3}})+"
)


def _may_decode_to_text(raw: str, kind: str) -> bool:
    """False only when `_decode_once(raw, kind)` cannot succeed: its first layer is not UTF-8 text.

    Most Base64-shaped runs (trace ids, hashes, paths) decode to no text; judging them with C calls and one
    regex skips `_decode_once`'s Python decodes and exceptions. Hex and URL runs are rare: always decoded.
    """
    if kind != "base64":
        return True
    if _TEXT_UTF8_HEX.fullmatch(raw):
        return True  # hex digits that are text as hex: `_decode_once` tries hex first
    body = raw.rstrip("=")
    if len(body) % 4 == 1:
        return False
    standard = body.replace("-", "+").replace("_", "/")  # as urlsafe_b64decode reads it
    return _TEXT_UTF8.fullmatch(binascii.a2b_base64(standard + "=" * (-len(body) % 4))) is not None


def _decode_segment(raw: str, kind: str, start: int, end: int) -> EncodedSegment | None:
    chain: list[str] = []
    current = raw[:MAX_SEGMENT_CHARS]
    decoded = _decode_once(current, kind)
    if decoded is None:
        return None
    chain.append(decoded[1])
    current = decoded[0]
    for _ in range(MAX_DEPTH - 1):
        inner = _decode_whole(current.strip())
        if inner is None:
            break
        chain.append(inner[1])
        current = inner[0]
    if not _readable(current):
        return None
    report, score = _assess(current)
    return EncodedSegment(start, end, ">".join(chain), current, report, score)


def _decode_whole(text: str) -> tuple[str, str] | None:
    """Decode `text` again only when it is entirely one encoded run (a nested layer)."""
    if len(text) >= MIN_BASE64 and _BASE64.fullmatch(text):
        return _decode_once(text, "base64")
    if _HEX_SPACED.fullmatch(text):
        return _decode_once(text, "hex")
    if _PERCENT.fullmatch(text):
        return _decode_once(text, "url")
    return None


def _decode_once(raw: str, kind: str) -> tuple[str, str] | None:
    """(readable decoded text, encoding name), trying hex before Base64 for runs of hex digits."""
    if kind == "base64" and _HEX_ONLY.fullmatch(raw) and len(raw) % 2 == 0:
        found = _try_hex(raw)
        if found is not None:
            return found, "hex"
    if kind == "base64":
        found = _try_base64(raw)
        return (found, "base64") if found is not None else None
    if kind == "hex":
        found = _try_hex(raw)
        return (found, "hex") if found is not None else None
    decoded = unquote(raw, errors="strict") if _valid_percent_utf8(raw) else None
    return (decoded, "url") if decoded is not None and _printable(decoded) else None


def _valid_percent_utf8(raw: str) -> bool:
    try:
        unquote(raw, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def _try_base64(raw: str) -> str | None:
    body = raw.rstrip("=")
    if len(body) % 4 == 1:
        return None
    padded = body + "=" * (-len(body) % 4)
    try:
        if "-" in body or "_" in body:
            data = base64.urlsafe_b64decode(padded)
        else:
            data = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _as_text(data)


def _try_hex(raw: str) -> str | None:
    digits = re.sub(r"\\x|0x|[ :,]", "", raw)
    if len(digits) % 2:
        return None
    try:
        data = bytes.fromhex(digits)
    except ValueError:
        return None
    return _as_text(data)


def _as_text(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if _printable(text) else None


def _printable(text: str) -> bool:
    return len(text) >= 4 and all(ch.isprintable() or ch in "\n\r\t" for ch in text)


def _readable(text: str) -> bool:
    """Valid text that looks like language or code, not random bytes that happen to be printable."""
    if not _printable(text):
        return False
    letters = sum(ch.isalpha() for ch in text)
    if letters < 0.5 * len(text.replace(" ", "")):
        return False
    if " " in text.strip() or "\n" in text.strip():
        return True
    return bool(_CODE_PUNCT.search(text)) or (text.isalpha() and len(text) >= 6 and text.islower())


def _english_score(text: str) -> float:
    words = _WORD.findall(text.lower())
    if not words:
        return 0.0
    return sum(word in _COMMON_WORDS for word in words) / len(words)


def _assess(decoded: str) -> tuple[bool, float]:
    """Whether the decoded text alone deserves an `attack.encoded_text` detection, with a confidence."""
    if looks_suspicious(decoded):
        return True, 0.9
    words = _WORD.findall(decoded)
    letters_and_spaces = sum(ch.isalpha() or ch == " " for ch in decoded)
    if len(words) >= 4 and letters_and_spaces >= 0.8 * len(decoded) and _english_score(decoded) >= 0.15:
        return True, 0.65
    return False, 0.4


def _rot13_segments(text: str) -> list[EncodedSegment]:
    """Lines that read as English after rot13 and clearly better than before."""
    segments: list[EncodedSegment] = []
    for line in re.finditer(r"[^\n]+", text[:MAX_SEGMENT_CHARS]):
        raw = line.group()
        words = _WORD.findall(raw)
        if len(words) < 3:
            continue
        decoded = codecs.decode(raw, "rot13")
        before, after = _english_score(raw), _english_score(decoded)
        if after >= 0.25 and after >= before + 0.2:
            _, score = _assess(decoded)  # rot13-ing a readable sentence is itself the signal: always report
            segments.append(EncodedSegment(line.start(), line.end(), "rot13", decoded, True, max(score, 0.6)))
    return segments
