"""Real file bytes (PDF, DOCX, XLSX, CSV, text) rendered deterministically from a small document "
"description."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass

MIME_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "txt": "text/plain",
    "md": "text/markdown",
    "env": "text/plain",
    "py": "text/x-python",
    "png": "image/png",
}
_FIXED_DATE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, slots=True)
class Document:
    """What a file says; the extension of ``name`` decides the format."""

    name: str
    title: str
    paragraphs: tuple[str, ...] = ()
    table: tuple[tuple[str, ...], ...] = ()
    raw: str | None = None  # text formats: the exact file text (CSV exports keep their quoting)

    @property
    def extension(self) -> str:
        return self.name.rsplit(".", 1)[-1].lower() if "." in self.name else "txt"

    @property
    def mime_type(self) -> str:
        return MIME_TYPES.get(self.extension, "application/octet-stream")

    def plain_text(self) -> str:
        """The text a reader would extract (used for the labels and the tests)."""
        if self.raw is not None:
            return self.raw
        parts = [self.title, *self.paragraphs]
        parts += [",".join(row) for row in self.table]
        return "\n".join(parts)


def render(doc: Document) -> bytes:
    ext = doc.extension
    if doc.raw is not None:
        return doc.raw.encode()
    if ext == "pdf":
        return _pdf(doc)
    if ext == "docx":
        return _normalized_zip(_docx(doc))
    if ext == "xlsx":
        return _normalized_zip(_xlsx(doc))
    if ext == "csv":
        return _csv(doc)
    if ext == "png":
        return _png()
    return _text(doc)


def _text(doc: Document) -> bytes:
    body = "\n\n".join(doc.paragraphs)
    if doc.table:
        body += "\n\n" + "\n".join(",".join(row) for row in doc.table)
    if doc.extension in ("md", "txt"):
        return f"{doc.title}\n\n{body}\n".encode()
    return f"{body}\n".encode()


def _csv(doc: Document) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in doc.table:
        writer.writerow(row)
    for paragraph in doc.paragraphs:
        writer.writerow([paragraph])
    return out.getvalue().encode()


def _latin1(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def _pdf(doc: Document) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_creation_date(_FIXED_DATE)
    pdf.set_title(_latin1(doc.title))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, _latin1(doc.title))
    pdf.ln(2)
    pdf.set_font("Helvetica", size=10)
    for paragraph in doc.paragraphs:
        pdf.multi_cell(0, 5, _latin1(paragraph))
        pdf.ln(2)
    for row in doc.table:
        pdf.multi_cell(0, 5, _latin1(" | ".join(row)))
    return bytes(pdf.output())


def _docx(doc: Document) -> bytes:
    from docx import Document as WordDocument

    word = WordDocument()
    word.core_properties.created = _FIXED_DATE.replace(tzinfo=None)
    word.core_properties.modified = _FIXED_DATE.replace(tzinfo=None)
    word.core_properties.title = doc.title
    word.add_heading(doc.title, level=1)
    for paragraph in doc.paragraphs:
        word.add_paragraph(paragraph)
    if doc.table:
        table = word.add_table(rows=0, cols=len(doc.table[0]))
        for row in doc.table:
            cells = table.add_row().cells
            for cell, value in zip(cells, row, strict=False):
                cell.text = value
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def _xlsx(doc: Document) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.properties.created = _FIXED_DATE.replace(tzinfo=None)
    book.properties.modified = _FIXED_DATE.replace(tzinfo=None)
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append([doc.title])
    for row in doc.table:
        sheet.append(list(row))
    for paragraph in doc.paragraphs:
        sheet.append([paragraph])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _png() -> bytes:
    # A valid 1x1 PNG: images are only scanned by name, the bytes just have to be a real image.
    return bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
    )


def _normalized_zip(data: bytes) -> bytes:
    """Rewrite an OOXML zip with fixed entry timestamps so the same document always gives the same bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, source.read(info.filename))
    return out.getvalue()
