"""Which format a file is in: magic bytes first, then the file name, then the declared content type."""

from __future__ import annotations

import io
import zipfile
from pathlib import PurePosixPath

PDF, DOCX, XLSX, PPTX, ODF = "pdf", "docx", "xlsx", "pptx", "odf"
CSV, HTML, JSON, XML, TEXT = "csv", "html", "json", "xml", "text"
IMAGE, ARCHIVE, LEGACY_OFFICE, BINARY = "image", "zip", "ole", "binary"

# Formats whose parsers are CPU-bound third-party code: they run in a worker process under a hard time limit.
ISOLATED_FORMATS = frozenset({PDF, DOCX, XLSX, PPTX, ODF})
TEXT_FORMATS = frozenset({CSV, HTML, JSON, XML, TEXT})

_IMAGE_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"II*\x00",
    b"MM\x00*",
    b"BM",
    b"\x00\x00\x01\x00",  # .ico
)
_TEXT_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")

_EXTENSIONS = {
    ".pdf": PDF,
    ".docx": DOCX,
    ".docm": DOCX,
    ".xlsx": XLSX,
    ".xlsm": XLSX,
    ".pptx": PPTX,
    ".pptm": PPTX,
    ".csv": CSV,
    ".tsv": CSV,
    ".html": HTML,
    ".htm": HTML,
    ".xhtml": HTML,
    ".json": JSON,
    ".jsonl": JSON,
    ".ndjson": JSON,
    ".xml": XML,
    ".svg": XML,
    ".odt": ODF,
    ".ods": ODF,
    ".odp": ODF,
    ".doc": LEGACY_OFFICE,
    ".xls": LEGACY_OFFICE,
    ".ppt": LEGACY_OFFICE,
}
_IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".ico", ".heic", ".heif", ".avif"}
)
_CONTENT_TYPES = {
    "application/pdf": PDF,
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": DOCX,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": XLSX,
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": PPTX,
    "text/csv": CSV,
    "text/tab-separated-values": CSV,
    "text/html": HTML,
    "application/xhtml+xml": HTML,
    "application/json": JSON,
    "application/xml": XML,
    "text/xml": XML,
}
_OOXML_MAIN_PARTS = (("word/document.xml", DOCX), ("xl/workbook.xml", XLSX), ("ppt/presentation.xml", PPTX))


def detect_format(data: bytes, filename: str | None = None, content_type: str | None = None) -> str:
    """Return one of the format names above; never raises."""
    head = data[:4096]
    by_name = _format_from_name(filename)
    by_type = _format_from_content_type(content_type)
    if not data:
        return by_name or by_type or TEXT
    if head.startswith(b"%PDF") or b"%PDF-" in head[:1024]:
        return PDF
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _zip_flavour(data, by_name or by_type)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return LEGACY_OFFICE
    if head.startswith(_IMAGE_MAGIC) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        return IMAGE
    if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypavif", b"ftypmif1"):
        return IMAGE
    if by_name == IMAGE:
        return IMAGE
    if _looks_binary(head):
        if by_name == LEGACY_OFFICE or by_type == IMAGE:
            return by_name or by_type or BINARY
        return BINARY
    if by_name in TEXT_FORMATS:
        return by_name
    if by_type in TEXT_FORMATS:
        return by_type
    return _text_flavour(head)


def _format_from_name(filename: str | None) -> str | None:
    if not filename:
        return None
    suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if suffix in _IMAGE_EXTENSIONS:
        return IMAGE
    return _EXTENSIONS.get(suffix)


def _format_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    essence = content_type.split(";", 1)[0].strip().lower()
    if essence.startswith("image/") and essence != "image/svg+xml":
        return IMAGE
    return _CONTENT_TYPES.get(essence)


def _zip_flavour(data: bytes, hint: str | None) -> str:
    """An Office document is a zip with a known main part (OOXML) or mimetype (OpenDocument); the name only
    breaks ties for broken archives."""
    from aiwatch.detection.extract.odf import is_odf

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if is_odf(archive):
                return ODF
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, NotImplementedError):
        return hint if hint in (DOCX, XLSX, PPTX, ODF) else ARCHIVE
    for part, fmt in _OOXML_MAIN_PARTS:
        if part in names:
            return fmt
    return ARCHIVE


def _looks_binary(head: bytes) -> bool:
    if head.startswith(_TEXT_BOMS) or not head:
        return False
    if b"\x00" not in head:
        return False
    # UTF-16 without a BOM: NULs on one parity only and mostly printable on the other.
    even_nuls = head[0::2].count(0)
    odd_nuls = head[1::2].count(0)
    half = max(1, len(head) // 2)
    return not (max(even_nuls, odd_nuls) > 0.3 * half and min(even_nuls, odd_nuls) < 0.02 * half)


def _text_flavour(head: bytes) -> str:
    start = head.lstrip(b"\xef\xbb\xbf\xff\xfe\t\r\n ").replace(b"\x00", b"")[:512].lower()
    if start.startswith((b"<!doctype html", b"<html")) or b"<html" in start[:256]:
        return HTML
    if start.startswith(b"<?xml") or start.startswith(b"<svg"):
        return XML
    if start.startswith((b"{", b"[")):
        return JSON
    return TEXT
