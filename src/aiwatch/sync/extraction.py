"""Text of a fetched file, through the detection package's extractor when it is installed.

``aiwatch.detection.extract`` (bounded PDF/DOCX/XLSX/PPTX/CSV/HTML/text extraction) is owned by another
package; until it is importable, plain UTF-8 text files are decoded here and other formats record why
they have no text yet, so a later re-extraction can fill them in.
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_PLAIN_TEXT_CHARS = 2_000_000


@dataclass(frozen=True)
class ExtractedText:
    text: str | None
    error: str | None


def extract(content: bytes, name: str | None) -> ExtractedText:
    try:
        from aiwatch.detection.extract import extract_text
    except ImportError:
        return _plain_text(content)
    try:
        result = extract_text(content, name or "")
    except Exception as exc:  # a hostile file must never stop the sync
        return ExtractedText(None, f"extraction failed: {type(exc).__name__}")
    text = getattr(result, "text", None)
    error = getattr(result, "error", None)
    if getattr(result, "truncated", False) and not error:
        error = "truncated"
    return ExtractedText(text, error)


def _plain_text(content: bytes) -> ExtractedText:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return ExtractedText(None, "no extractor available for this format")
    if "\x00" in text:
        return ExtractedText(None, "binary content")
    return ExtractedText(
        text[:MAX_PLAIN_TEXT_CHARS], "truncated" if len(text) > MAX_PLAIN_TEXT_CHARS else None
    )
