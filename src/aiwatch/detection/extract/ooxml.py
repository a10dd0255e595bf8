"""Office Open XML archives: a size check before any part is inflated, and a bounded raw-XML text reader.

The raw reader is used when an archive declares more uncompressed bytes than allowed (a zip bomb, or just a
huge document) or when the regular library rejects a damaged file: it streams the main XML parts through an
incremental parser up to the byte budget, so the text before the limit is still scanned.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree.ElementTree import ParseError, XMLPullParser

from aiwatch.detection.extract.limits import ExtractionLimits
from aiwatch.detection.extract.sink import Sink

_CHUNK = 64 * 1024
_TEXT_ELEMENTS = {"docx": {"t", "tab"}, "pptx": {"t"}, "xlsx": {"t", "v"}}
_BREAK_ELEMENTS = {"p", "br", "tr", "si", "row", "txBody"}


def declared_size(data: bytes) -> int:
    """Sum of the uncompressed sizes the archive declares (zipfile never inflates a member past it)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())


def text_parts(names: list[str], fmt: str) -> list[str]:
    """The XML parts that hold a document's text, in reading order."""

    def numbered(prefix: str) -> list[str]:
        found = [n for n in names if n.startswith(prefix) and n.endswith(".xml") and "/_rels/" not in n]
        return sorted(found, key=lambda n: [int(d) if d.isdigit() else d for d in re.split(r"(\d+)", n)])

    if fmt == "docx":
        body = [n for n in names if n == "word/document.xml"]
        return body + numbered("word/header") + numbered("word/footer") + numbered("word/footnotes")
    if fmt == "pptx":
        return numbered("ppt/slides/slide") + numbered("ppt/notesSlides/notesSlide")
    return [n for n in names if n == "xl/sharedStrings.xml"] + numbered("xl/worksheets/sheet")


def read_raw_text(data: bytes, fmt: str, sink: Sink, limits: ExtractionLimits) -> None:
    """Stream text nodes of the document's parts into ``sink``, reading at most ``max_unpacked_bytes``."""
    budget = limits.max_unpacked_bytes
    text_names = _TEXT_ELEMENTS[fmt]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in text_parts(archive.namelist(), fmt):
            if budget <= 0:
                sink.limit("archive size limit reached")
            budget -= _stream_part(archive, name, budget, text_names, sink)


def _stream_part(archive: zipfile.ZipFile, name: str, budget: int, text_names: set[str], sink: Sink) -> int:
    parser = XMLPullParser(events=("end",))
    consumed = 0
    with archive.open(name) as member:
        while consumed < budget:
            chunk = member.read(min(_CHUNK, budget - consumed))
            if not chunk:
                break
            consumed += len(chunk)
            try:
                parser.feed(chunk)
            except ParseError:
                return consumed  # keep what was read before the damage
            _drain(parser, text_names, sink)
    return consumed


def _drain(parser: XMLPullParser, text_names: set[str], sink: Sink) -> None:
    for _event, element in parser.read_events():
        local = element.tag.rsplit("}", 1)[-1]
        if local in text_names:
            sink.add("\t" if local == "tab" else element.text)
            if local == "v":
                sink.add("\t")
        elif local in _BREAK_ELEMENTS:
            sink.add("\n")
        element.clear()
