"""OpenDocument files (.odt, .ods, .odp): the text of ``content.xml``, streamed within the archive budget."""

from __future__ import annotations

import io
import zipfile
from xml.etree.ElementTree import Element, ParseError, XMLPullParser

from aiwatch.detection.extract.limits import ExtractionLimits
from aiwatch.detection.extract.sink import Sink

_CHUNK = 64 * 1024
_TEXT_NS = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE_NS = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_BLOCKS = {f"{_TEXT_NS}p", f"{_TEXT_NS}h"}
_CELL = f"{_TABLE_NS}table-cell"
_ROW = f"{_TABLE_NS}table-row"


def is_odf(archive: zipfile.ZipFile) -> bool:
    try:
        return archive.read("mimetype")[:46].startswith(b"application/vnd.oasis.opendocument.")
    except KeyError:
        return False


def extract_odf(data: bytes, sink: Sink, limits: ExtractionLimits) -> None:
    """Paragraphs and headings one per line; spreadsheet rows as tab-separated cells."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if "content.xml" not in archive.namelist():
            return
        declared = archive.getinfo("content.xml").file_size
        if declared > limits.max_unpacked_bytes:
            sink.truncated = True
            sink.error = (
                f"content.xml would expand to {declared:,} bytes (limit {limits.max_unpacked_bytes:,}); "
                "only the text before the limit was read"
            )
        parser = XMLPullParser(events=("start", "end"))
        row: list[str] = []
        depth_in_cell = 0
        read = 0
        with archive.open("content.xml") as member:
            while read < limits.max_unpacked_bytes:
                chunk = member.read(min(_CHUNK, limits.max_unpacked_bytes - read))
                if not chunk:
                    break
                read += len(chunk)
                try:
                    parser.feed(chunk)
                except ParseError:
                    return
                for event, element in parser.read_events():
                    depth_in_cell = _handle(event, element, row, depth_in_cell, sink)


def _handle(event: str, element: Element, row: list[str], depth_in_cell: int, sink: Sink) -> int:
    tag = element.tag
    if event == "start":
        return depth_in_cell + 1 if tag == _CELL else depth_in_cell
    if tag in _BLOCKS and not depth_in_cell:
        sink.line("".join(element.itertext()))
        element.clear()
    elif tag == _CELL:
        row.append(" ".join(p for p in ("".join(e.itertext()) for e in element) if p))
        element.clear()
        return depth_in_cell - 1
    elif tag == _ROW:
        sink.line("\t".join(row).rstrip())
        row.clear()
        element.clear()
    return depth_in_cell
