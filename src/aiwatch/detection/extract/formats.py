"""One extractor per document format. Each writes into a ``Sink`` and raises ``Stop`` at a limit.

These run in the extraction worker process (see ``worker.py``) because the parsers are third-party,
CPU-bound and reachable by hostile files; the HTML reader is stdlib and linear, so it also runs in-process.
"""

from __future__ import annotations

import io
import logging
import warnings
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from typing import Any

from aiwatch.detection.extract import ooxml
from aiwatch.detection.extract.limits import ExtractionLimits
from aiwatch.detection.extract.sink import Sink, Stop


class ExtractError(Exception):
    """A file that cannot be read; the message tells the user why (never contains file content)."""


Extractor = Callable[[bytes, Sink, ExtractionLimits], None]


# --- PDF ----------

_INHERITABLE = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")
_MAX_TREE_DEPTH = 64


def extract_pdf(data: bytes, sink: Sink, limits: ExtractionLimits) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module="pypdf")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not _decrypt_without_password(reader):
            raise ExtractError("the PDF is password-protected; its text cannot be read")
        pages = _lazy_pages(reader)
        for number, page in enumerate(pages, start=1):
            if number > limits.max_pages:
                sink.limit(f"page limit ({limits.max_pages}) reached")
            sink.line(page.extract_text())
    except PdfReadError as exc:
        raise ExtractError(f"damaged PDF: {_short(exc)}") from exc


def _decrypt_without_password(reader: Any) -> bool:
    try:
        return bool(reader.decrypt(""))
    except Exception:  # pypdf raises several types for unsupported encryption
        return False


def _lazy_pages(reader: Any) -> Iterator[Any]:
    """Walk the page tree one page at a time (``reader.pages`` flattens all of it first, even a million).

    Inherited attributes are copied down as pypdf's own flattening does; loops are skipped.
    """
    from pypdf import PageObject
    from pypdf.generic import DictionaryObject, NameObject

    root = reader.trailer["/Root"].get_object()
    tree = root.get("/Pages")
    if tree is None:
        raise ExtractError("the PDF has no page tree")
    # Each entry carries the ids of its ancestors: a node inside its own ancestry is a loop and is skipped,
    # while a subtree shared by several parents is walked each time (as readers do).
    stack: list[tuple[Any, dict[str, Any], frozenset[int]]] = [(tree, {}, frozenset())]
    while stack:
        reference, inherited, ancestors = stack.pop()
        node = reference.get_object()
        if (
            not isinstance(node, DictionaryObject)
            or id(node) in ancestors
            or len(ancestors) > _MAX_TREE_DEPTH
        ):
            continue
        own = {key: node[key] for key in _INHERITABLE if key in node}
        context = {**inherited, **own}
        if node.get("/Type") == "/Pages" or "/Kids" in node:
            kids = node.get("/Kids") or []
            path = ancestors | {id(node)}
            stack.extend((kid, context, path) for kid in reversed(list(kids)))
            continue
        page = PageObject(reader, getattr(reference, "indirect_reference", None) or reference)
        page.update(node)
        for key, value in inherited.items():
            if key not in node:
                page[NameObject(key)] = value
        yield page


# --- DOCX ----------


def extract_docx(data: bytes, sink: Sink, limits: ExtractionLimits) -> None:
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    seen_parts: set[int] = set()
    for section in document.sections:
        for header in (section.header, section.first_page_header, section.even_page_header):
            _docx_story(header, seen_parts, sink, Table)
    for block in document.iter_inner_content():
        _docx_block(block, sink, Table)
    for section in document.sections:
        for footer in (section.footer, section.first_page_footer, section.even_page_footer):
            _docx_story(footer, seen_parts, sink, Table)


def _docx_story(story: Any, seen_parts: set[int], sink: Sink, table_type: type) -> None:
    if story.is_linked_to_previous:
        return
    part_id = id(story.part)
    if part_id in seen_parts:
        return
    seen_parts.add(part_id)
    for block in story.iter_inner_content():
        _docx_block(block, sink, table_type)


def _docx_block(block: Any, sink: Sink, table_type: type) -> None:
    if isinstance(block, table_type):
        _docx_table(block, sink, table_type)
    else:
        sink.line(block.text)


def _docx_table(table: Any, sink: Sink, table_type: type) -> None:
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell is reported once per grid column
                continue
            previous = cell._tc
            cells.append(" ".join(p.text for p in cell.paragraphs if p.text))
            for nested in cell.tables:
                _docx_table(nested, sink, table_type)
        sink.line("\t".join(cells).rstrip())


# --- XLSX ----------


def extract_xlsx(data: bytes, sink: Sink, limits: ExtractionLimits) -> None:
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = 0
    try:
        for sheet in workbook.worksheets:
            sink.line(f"# {sheet.title}")
            if hasattr(sheet, "reset_dimensions"):
                sheet.reset_dimensions()  # a forged dimension must not pad every row to 16,384 cells
            for row in sheet.iter_rows(values_only=True):
                rows += 1
                if rows > limits.max_rows:
                    sink.limit(f"row limit ({limits.max_rows}) reached")
                values = ["" if value is None else str(value) for value in row[: limits.max_columns]]
                sink.line("\t".join(values).rstrip("\t"))
    finally:
        workbook.close()


# --- PPTX ----------


def extract_pptx(data: bytes, sink: Sink, limits: ExtractionLimits) -> None:
    import pptx

    presentation = pptx.Presentation(io.BytesIO(data))
    for number, slide in enumerate(presentation.slides, start=1):
        if number > limits.max_pages:
            sink.limit(f"slide limit ({limits.max_pages}) reached")
        sink.line(f"# Slide {number}")
        for shape in slide.shapes:
            _pptx_shape(shape, sink)
        if slide.has_notes_slide:
            notes = slide.notes_slide.notes_text_frame
            if notes is not None:
                sink.line(notes.text)


def _pptx_shape(shape: Any, sink: Sink) -> None:
    if hasattr(shape, "shapes"):  # group shape
        for inner in shape.shapes:
            _pptx_shape(inner, sink)
        return
    if getattr(shape, "has_text_frame", False) and shape.has_text_frame:
        for paragraph in shape.text_frame.paragraphs:
            sink.line("".join(run.text for run in paragraph.runs) or paragraph.text)
    if getattr(shape, "has_table", False) and shape.has_table:
        for row in shape.table.rows:
            sink.line("\t".join(cell.text for cell in row.cells).rstrip())


# --- HTML ----------

_SKIPPED_ELEMENTS = frozenset({"script", "style", "noscript", "template", "svg", "math"})
_BLOCK_ELEMENTS = frozenset(
    {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section", "article"}
    | {"header", "footer", "pre", "blockquote", "ul", "ol", "dd", "dt", "hr", "title", "form"}
)
_TEXT_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")


class _HtmlText(HTMLParser):
    def __init__(self, sink: Sink) -> None:
        super().__init__(convert_charrefs=True)
        self.sink = sink
        self.skip_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag in _BLOCK_ELEMENTS:
            self.sink.add("\n")
        for name, value in attrs:
            if name in _TEXT_ATTRIBUTES and value:
                self.sink.add(f" {value} ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_ELEMENTS:
            self.skip_depth = max(0, self.skip_depth - 1)
        elif not self.skip_depth and tag in _BLOCK_ELEMENTS:
            self.sink.add("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip_depth:
            self.sink.add(data)


def extract_html(markup: str, sink: Sink) -> None:
    parser = _HtmlText(sink)
    # Fed in slices so the time and character budgets are checked while parsing a huge page.
    for start in range(0, len(markup), 256 * 1024):
        parser.feed(markup[start : start + 256 * 1024])
    parser.close()


# --- Office archives: size check, library extraction, raw fallback ----------

_OFFICE_EXTRACTORS: dict[str, Extractor] = {"docx": extract_docx, "xlsx": extract_xlsx, "pptx": extract_pptx}


def extract_office(data: bytes, fmt: str, sink: Sink, limits: ExtractionLimits) -> None:
    import zipfile

    try:
        unpacked = ooxml.declared_size(data)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ExtractError(f"damaged {fmt.upper()} archive: {_short(exc)}") from exc
    if unpacked > limits.max_unpacked_bytes:
        sink.error = (
            f"the {fmt.upper()} would expand to {unpacked:,} bytes (limit {limits.max_unpacked_bytes:,}); "
            "only the text before the limit was read"
        )
        sink.truncated = True
        ooxml.read_raw_text(data, fmt, sink, limits)
        return
    try:
        _OFFICE_EXTRACTORS[fmt](data, sink, limits)
    except Stop:
        raise
    except Exception as exc:  # the libraries raise many types for malformed packages
        # The library rejected the structure; the raw reader still recovers readable text.
        if sink.chars:
            raise ExtractError(f"damaged {fmt.upper()}: {_short(exc)}") from exc
        sink.error = f"damaged {fmt.upper()} ({_short(exc)}); text recovered from the raw XML"
        ooxml.read_raw_text(data, fmt, sink, limits)


OFFICE_FORMATS = frozenset(_OFFICE_EXTRACTORS)


def _short(exc: BaseException) -> str:
    message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return message[:200]
