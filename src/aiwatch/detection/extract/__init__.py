"""Text out of the files people attach to chats: PDF, Word, Excel, PowerPoint, OpenDocument, CSV, HTML, JSON,
XML and plain text.

``extract_text`` never raises for a bad file: it returns an ``ExtractionResult`` whose ``error`` says what
went wrong and whose ``truncated`` says a limit (size, characters, pages, rows, archive size, time) cut it
short.
Format is decided by magic bytes first, then the file name, then the declared content type. Images are
recognised and returned without text (no OCR).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from aiwatch.detection.extract import sniff
from aiwatch.detection.extract.limits import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_CHARS,
    DEFAULT_TIMEOUT_S,
    ExtractionLimits,
)
from aiwatch.detection.extract.sink import CHARACTER_LIMIT, Sink, Stop
from aiwatch.detection.extract.sniff import detect_format
from aiwatch.detection.extract.textdecode import decode_text

__all__ = ["ExtractionLimits", "ExtractionResult", "detect_format", "extract_text"]


@dataclass(frozen=True)
class ExtractionResult:
    text: str
    format: str
    truncated: bool = False
    error: str | None = None


def extract_text(
    data: bytes,
    filename: str | None = None,
    *,
    content_type: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_chars: int = DEFAULT_MAX_CHARS,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    limits: ExtractionLimits | None = None,
    isolate: bool = True,
) -> ExtractionResult:
    """Extract readable text from ``data``. ``limits`` overrides the three keyword limits when given.

    ``isolate=False`` parses PDF/Office files in this process with only a cooperative time budget (for
    callers that already run inside a disposable worker).
    """
    if limits is None:
        limits = ExtractionLimits(max_bytes=max_bytes, max_chars=max_chars, timeout_s=timeout_s)
    if not isinstance(data, bytes | bytearray | memoryview):
        return ExtractionResult("", sniff.BINARY, False, "expected bytes, got " + type(data).__name__)
    data = bytes(data)
    fmt = detect_format(data, filename, content_type)
    if fmt == sniff.IMAGE or not data:
        return ExtractionResult("", fmt)
    if fmt in sniff.TEXT_FORMATS:
        return _extract_plain(data, fmt, limits)
    if fmt not in sniff.ISOLATED_FORMATS:
        return ExtractionResult("", fmt, False, _UNSUPPORTED[fmt])
    if len(data) > limits.max_bytes:
        return ExtractionResult(
            "",
            fmt,
            True,
            f"the file is {len(data):,} bytes, over the {limits.max_bytes:,}-byte limit; it was not read",
        )
    from aiwatch.detection.extract import worker

    outcome = worker.run_isolated(fmt, data, limits) if isolate else worker.run_in_process(fmt, data, limits)
    text = "".join(outcome.pieces)
    truncated = outcome.truncated or len(text) > limits.max_chars
    return ExtractionResult(text[: limits.max_chars], fmt, truncated, outcome.error)


_UNSUPPORTED = {
    sniff.LEGACY_OFFICE: (
        "legacy binary Office files (.doc/.xls/.ppt) are not supported; save them as .docx/.xlsx/.pptx"
    ),
    sniff.ARCHIVE: "zip archives other than Office/OpenDocument files are not unpacked",
    sniff.BINARY: "binary content of an unknown format; no text extracted",
}


def _extract_plain(data: bytes, fmt: str, limits: ExtractionLimits) -> ExtractionResult:
    cut = len(data) > limits.max_bytes
    text, _encoding = decode_text(data[: limits.max_bytes], cut=cut)
    if fmt != sniff.HTML:
        truncated = cut or len(text) > limits.max_chars
        return ExtractionResult(text[: limits.max_chars], fmt, truncated)
    from aiwatch.detection.extract.formats import extract_html

    sink = Sink(limits.max_chars, time.monotonic() + limits.timeout_s)
    error = None
    try:
        extract_html(text, sink)
    except Stop as stop:
        error = None if stop.reason == CHARACTER_LIMIT else stop.reason
    return ExtractionResult(sink.text(), fmt, cut or sink.truncated, error)
