"""Text extraction: every supported format, the limits, and hostile or broken files."""

from __future__ import annotations

import io
import zipfile
import zlib

import docx
import openpyxl
import pptx
import pytest
from fpdf import FPDF
from pptx.util import Inches

from aiwatch.detection.extract import ExtractionLimits, ExtractionResult, detect_format, extract_text

# --- builders ----------


def make_pdf(pages: list[str], password: str | None = None) -> bytes:
    pdf = FPDF()
    if password:
        pdf.set_encryption(owner_password="owner-" + password, user_password=password)
    for text in pages:
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.multi_cell(w=0, text=text)
    return bytes(pdf.output())


def raw_pdf(objects: list[bytes]) -> bytes:
    """A PDF from numbered object bodies (object 1 is the catalog) with a correct cross-reference table."""
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def stream(content: bytes, compress: bool = False) -> bytes:
    if compress:
        content = zlib.compress(content, 9)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def million_page_pdf() -> bytes:
    """10^6 pages from a tiny file: six levels of page-tree nodes, ten kids each, one shared leaf page."""
    levels = 6
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    for level in range(levels):
        this, child = 2 + level, 3 + level
        parent = b"" if level == 0 else b" /Parent %d 0 R" % (this - 1)
        kids = b" ".join([b"%d 0 R" % child] * 10)
        objects.append(b"<< /Type /Pages /Kids [%s] /Count %d%s >>" % (kids, 10 ** (levels - level), parent))
    leaf_parent, content, font = 2 + levels - 1, 3 + levels, 4 + levels
    objects.append(
        b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
        b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (leaf_parent, content, font)
    )
    objects.append(stream(b"BT /F1 12 Tf 72 720 Td (page text) Tj ET"))
    objects.append(FONT)
    return raw_pdf(objects)


def slow_page_pdf(operations: int = 2_000_000) -> bytes:
    """One page whose compressed content stream makes the text extractor work for a long time."""
    content = b"BT /F1 12 Tf 72 720 Td " + b"(slow) Tj 1 0 Td " * operations + b"ET"
    return raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> >> >>",
            stream(content, compress=True),
            FONT,
        ]
    )


def save(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_docx() -> bytes:
    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = "Confidential header"
    document.add_heading("Quarterly report", level=1)
    document.add_paragraph("Contact alice@example.com for details.")
    table = document.add_table(rows=2, cols=3)
    table.cell(0, 0).text = "name"
    table.cell(0, 1).text = "ssn"
    table.cell(1, 0).text = "Bob"
    table.cell(1, 1).text = "123-45-6789"
    merged = table.cell(0, 2).merge(table.cell(1, 2))
    merged.text = "merged note"
    document.add_paragraph("After the table.")
    document.sections[0].footer.paragraphs[0].text = "Page footer"
    return save(document)


def zip_with(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def replace_member(package: bytes, name: str, content: bytes, chunks: int = 1, prefix: bytes = b"") -> bytes:
    """Copy an Office package with one part replaced (``chunks`` repeats ``content`` while streaming)."""
    source = zipfile.ZipFile(io.BytesIO(package))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for info in source.infolist():
            if info.filename != name:
                archive.writestr(info.filename, source.read(info.filename))
        with archive.open(name, "w", force_zip64=True) as member:
            member.write(prefix)
            for _ in range(chunks):
                member.write(content)
    return buffer.getvalue()


def docx_bomb(repeats: int) -> bytes:
    """A DOCX whose document.xml inflates to ~``repeats`` MiB of one repeated paragraph."""
    head = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>'
    )
    paragraph = b"<w:p><w:r><w:t>bomb text card 4111 1111 1111 1111</w:t></w:r></w:p>"
    block = paragraph * (1024 * 1024 // len(paragraph))
    base = save(docx.Document())
    source = zipfile.ZipFile(io.BytesIO(base))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for info in source.infolist():
            if info.filename != "word/document.xml":
                archive.writestr(info.filename, source.read(info.filename))
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            member.write(head)
            for _ in range(repeats):
                member.write(block)
            member.write(b"</w:body></w:document>")
    return buffer.getvalue()


# --- formats ----------


def test_pdf_text_of_every_page_in_order() -> None:
    result = extract_text(
        make_pdf(["First page alice@example.com", "Second page 4111 1111 1111 1111"]), "a.pdf"
    )
    assert result == ExtractionResult(result.text, "pdf", False, None)
    assert result.text.index("First page") < result.text.index("Second page")
    assert "alice@example.com" in result.text and "4111 1111 1111 1111" in result.text


def test_pdf_with_inherited_resources_in_hand_written_tree() -> None:
    pdf = raw_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
            stream(b"BT /F1 12 Tf 72 720 Td (inherited font works) Tj ET"),
            FONT,
        ]
    )
    assert "inherited font works" in extract_text(pdf, "x.pdf").text


def test_pdf_page_limit_truncates() -> None:
    result = extract_text(make_pdf([f"page {n}" for n in range(5)]), limits=ExtractionLimits(max_pages=2))
    assert result.truncated
    assert "page 1" in result.text and "page 2" not in result.text
    assert "page limit" in (result.error or "")


def test_million_page_pdf_stops_at_the_page_limit() -> None:
    data = million_page_pdf()
    assert len(data) < 10_000
    result = extract_text(data, "huge.pdf", limits=ExtractionLimits(max_pages=50, timeout_s=60))
    assert result.truncated
    assert result.text.count("page text") == 50


def test_cpu_bound_page_is_stopped_by_the_time_limit() -> None:
    result = extract_text(slow_page_pdf(), "slow.pdf", timeout_s=1.0)
    assert result.format == "pdf"
    assert result.truncated
    assert "time limit" in (result.error or "")


def test_time_limit_keeps_the_text_of_earlier_pages() -> None:
    result = extract_text(
        million_page_pdf(), "huge.pdf", limits=ExtractionLimits(max_pages=10**7, timeout_s=2)
    )
    assert result.truncated and "time limit" in (result.error or "")
    assert result.text.count("page text") > 0


def test_password_protected_pdf_is_an_error_not_an_exception() -> None:
    result = extract_text(make_pdf(["top secret"], password="hunter2"), "locked.pdf")
    assert result.format == "pdf" and result.text == ""
    assert "password" in (result.error or "")


def test_pdf_encrypted_with_empty_user_password_is_read() -> None:
    pdf = FPDF()
    pdf.set_encryption(owner_password="owner-only")
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="readable without a password")
    assert "readable without a password" in extract_text(bytes(pdf.output()), "x.pdf").text


@pytest.mark.parametrize("cut", [0.3, 0.6, 0.95])
def test_truncated_pdf_gives_error_or_partial_text(cut: float) -> None:
    data = make_pdf(["some text here", "more text"])
    result = extract_text(data[: int(len(data) * cut)], "broken.pdf")
    assert result.format == "pdf"
    assert result.error or "text" in result.text


def test_garbage_after_pdf_magic_is_an_error() -> None:
    result = extract_text(b"%PDF-1.7\n" + bytes(range(256)) * 10, "x.pdf")
    assert result.format == "pdf" and result.text == "" and result.error


def test_docx_paragraphs_tables_headers_footers() -> None:
    result = extract_text(make_docx(), "report.docx")
    assert result.format == "docx" and result.error is None and not result.truncated
    text = result.text
    assert (
        text.index("Confidential header") < text.index("Quarterly report") < text.index("alice@example.com")
    )
    assert "Bob\t123-45-6789\tmerged note" in text
    assert text.count("merged note") == 2  # once per row it spans, not once per grid column
    assert text.index("After the table.") < text.index("Page footer")


def test_docx_nested_table() -> None:
    document = docx.Document()
    outer = document.add_table(rows=1, cols=1)
    inner = outer.cell(0, 0).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "inner-left"
    inner.cell(0, 1).text = "inner-right"
    assert "inner-left\tinner-right" in extract_text(save(document)).text


def test_docx_zip_bomb_stops_at_the_archive_limit() -> None:
    bomb = docx_bomb(repeats=200)  # ~200 MiB of XML in a file of well under 1 MiB
    assert len(bomb) < 2 * 1024 * 1024
    limits = ExtractionLimits(max_unpacked_bytes=8 * 1024 * 1024, max_chars=10**8)
    result = extract_text(bomb, "bomb.docx", limits=limits)
    assert result.format == "docx" and result.truncated
    assert "expand" in (result.error or "")
    assert "bomb text card 4111 1111 1111 1111" in result.text
    assert len(result.text) < 8 * 1024 * 1024


def test_bomb_under_default_limits_is_bounded_by_characters() -> None:
    result = extract_text(docx_bomb(repeats=300), "bomb.docx", max_chars=100_000)
    assert result.truncated and len(result.text) == 100_000
    assert "expand" in (result.error or "")  # 300 MiB is over the default archive limit


def test_character_limit_is_a_cut_not_an_error() -> None:
    result = extract_text(make_pdf(["x" * 500, "y" * 500]), "a.pdf", max_chars=600)
    assert result.truncated and result.error is None and len(result.text) == 600


def test_damaged_docx_recovers_text_from_raw_xml() -> None:
    package = replace_member(make_docx(), "word/_rels/document.xml.rels", b"not xml at all")
    result = extract_text(package, "damaged.docx")
    assert result.format == "docx"
    assert "alice@example.com" in result.text
    assert result.error and "damaged" in result.error


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9])
def test_truncated_docx_is_an_error(cut: float) -> None:
    data = make_docx()
    result = extract_text(data[: int(len(data) * cut)], "cut.docx")
    assert result.format == "docx" and result.error and result.text == ""


def test_xlsx_values_of_every_sheet() -> None:
    workbook = openpyxl.Workbook()
    first = workbook.active
    first.title = "People"
    first.append(["name", "card", "amount"])
    first.append(["Bob", "4111111111111111", 12.5])
    first["E9"] = "far away cell"
    second = workbook.create_sheet("Keys")
    second["A1"] = "AKIAIOSFODNN7EXAMPLE"
    second["B2"] = "=1+1"
    result = extract_text(save(workbook), "book.xlsx")
    assert result.format == "xlsx" and result.error is None
    assert "# People\nname\tcard\tamount\nBob\t4111111111111111\t12.5\n" in result.text
    assert "\t\t\t\tfar away cell" in result.text
    assert "# Keys\nAKIAIOSFODNN7EXAMPLE" in result.text
    assert "=1+1" not in result.text  # values only; an unsaved formula has no cached value


def test_xlsx_row_limit() -> None:
    workbook = openpyxl.Workbook()
    for row in range(100):
        workbook.active.append([f"row {row}"])
    result = extract_text(save(workbook), limits=ExtractionLimits(max_rows=10))
    assert result.truncated and "row limit" in (result.error or "")
    assert "row 9\n" in result.text and "row 10\n" not in result.text


def test_xlsx_forged_dimension_does_not_pad_rows() -> None:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "tiny"
    package = save(workbook)
    sheet = zipfile.ZipFile(io.BytesIO(package)).read("xl/worksheets/sheet1.xml")
    forged = sheet.replace(b'<dimension ref="A1:A1"/>', b'<dimension ref="A1:XFD1048576"/>')
    assert forged != sheet
    result = extract_text(replace_member(package, "xl/worksheets/sheet1.xml", forged), "forged.xlsx")
    assert result.text == "# Sheet\ntiny\n" and not result.truncated


def test_pptx_slides_tables_groups_and_notes() -> None:
    presentation = pptx.Presentation()
    slide = presentation.slides.add_slide(presentation.slide_layouts[1])
    slide.shapes.title.text = "Launch plan"
    slide.placeholders[1].text = "Budget owner: carol@example.com"
    slide.notes_slide.notes_text_frame.text = "Speaker notes: password is hunter2"
    second = presentation.slides.add_slide(presentation.slide_layouts[6])
    table = second.shapes.add_table(2, 2, Inches(1), Inches(1), Inches(4), Inches(2)).table
    table.cell(0, 0).text = "key"
    table.cell(0, 1).text = "value"
    group = second.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(4), Inches(2), Inches(1)).text_frame.text = "grouped text"
    result = extract_text(save(presentation), "deck.pptx")
    assert result.format == "pptx" and result.error is None
    text = result.text
    assert (
        text.index("# Slide 1")
        < text.index("Launch plan")
        < text.index("Speaker notes")
        < text.index("# Slide 2")
    )
    assert "carol@example.com" in text and "key\tvalue" in text and "grouped text" in text


def test_pptx_slide_limit() -> None:
    presentation = pptx.Presentation()
    for number in range(4):
        presentation.slides.add_slide(presentation.slide_layouts[5]).shapes.title.text = f"slide {number}"
    result = extract_text(save(presentation), limits=ExtractionLimits(max_pages=2))
    assert result.truncated and "slide 1" in result.text and "slide 2" not in result.text


def test_html_text_without_scripts_styles_and_tags() -> None:
    markup = (
        b"<!DOCTYPE html><html><head><title>Doc title</title><style>p{color:red}</style>"
        b"<script>var apiKey = 'not text';</script></head><body><p>Hello &amp; welcome,<br>"
        b"<b>dave@example.com</b></p><img src=x alt='diagram of network'><noscript>enable js</noscript>"
        b"<script>unterminated"
    )
    result = extract_text(markup, "page.html")
    assert result.format == "html" and result.error is None
    assert (
        "Doc title" in result.text and "Hello & welcome," in result.text and "dave@example.com" in result.text
    )
    assert "diagram of network" in result.text
    for hidden in ("color:red", "apiKey", "enable js", "unterminated", "<b>"):
        assert hidden not in result.text


def test_html_detected_by_content_without_a_name() -> None:
    assert extract_text(b"  <html><body>x</body></html>").format == "html"


@pytest.mark.parametrize(
    ("name", "data", "fmt"),
    [
        ("people.csv", b"name,email\nEve,eve@example.com\n", "csv"),
        ("data.json", b'{"token": "abc"}', "json"),
        ("feed.xml", b"<?xml version='1.0'?><a>b</a>", "xml"),
        (None, b'[{"k": 1}]', "json"),
        (None, b"<?xml version='1.0'?><a/>", "xml"),
        ("notes.md", b"# title\nplain", "text"),
    ],
)
def test_text_formats_are_returned_verbatim(name: str | None, data: bytes, fmt: str) -> None:
    result = extract_text(data, name)
    assert (result.text, result.format, result.truncated, result.error) == (data.decode(), fmt, False, None)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Grüße, 東京 🙂".encode(), "Grüße, 東京 🙂"),
        (b"\xef\xbb\xbf" + "bom ünïcode".encode(), "bom ünïcode"),
        ("utf16 bom ü".encode("utf-16"), "utf16 bom ü"),
        (b"\xfe\xff" + "big endian ü".encode("utf-16-be"), "big endian ü"),
        ("no bom here, little endian".encode("utf-16-le"), "no bom here, little endian"),
        ("naïve café €5".encode("cp1252"), "naïve café €5"),
        (b"latin \x81\x8d byte", "latin \x81\x8d byte"),
    ],
)
def test_plain_text_encodings(data: bytes, expected: str) -> None:
    result = extract_text(data, "note.txt")
    assert result.text == expected and result.format == "text" and result.error is None


def test_plain_text_cut_at_max_bytes_drops_the_split_character() -> None:
    data = "€" * 10  # three bytes each
    result = extract_text(data.encode(), "x.txt", max_bytes=7)
    assert result.text == "€€" and result.truncated


def test_plain_text_max_chars() -> None:
    result = extract_text(b"a" * 1000, "x.txt", max_chars=10)
    assert result.text == "a" * 10 and result.truncated


def test_empty_input() -> None:
    assert extract_text(b"") == ExtractionResult("", "text", False, None)
    assert extract_text(b"", "empty.pdf").format == "pdf"


def test_binary_formats_over_max_bytes_are_refused_with_a_reason() -> None:
    result = extract_text(make_pdf(["x"]), "a.pdf", max_bytes=100)
    assert result.format == "pdf" and result.truncated and result.text == ""
    assert "limit" in (result.error or "")


def test_images_only_by_type_without_text() -> None:
    assert extract_text(b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "shot.png") == ExtractionResult("", "image")
    assert extract_text(b"\xff\xd8\xff\xe0 jpeg", None).format == "image"
    assert extract_text(b"whatever", "photo.JPG").format == "image"
    assert extract_text(b"RIFF\x00\x00\x00\x00WEBPVP8 ", None).format == "image"


def test_unsupported_binaries_have_an_actionable_error() -> None:
    legacy = extract_text(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.doc")
    assert legacy.format == "ole" and ".docx" in (legacy.error or "")
    archive = extract_text(zip_with({"a.txt": b"hello"}), "files.zip")
    assert archive.format == "zip" and archive.error
    blob = extract_text(bytes(range(256)) * 4, "blob.bin")
    assert blob.format == "binary" and blob.text == "" and blob.error


def test_not_bytes_is_an_error_not_an_exception() -> None:
    result = extract_text("a str", "x.txt")  # type: ignore[arg-type]
    assert result.error and "bytes" in result.error


def test_magic_bytes_win_over_the_file_name() -> None:
    assert detect_format(make_pdf(["x"]), "innocent.txt") == "pdf"
    assert detect_format(make_docx(), "report.pdf") == "docx"
    assert extract_text(make_docx(), "renamed.xlsx").format == "docx"


def test_content_type_is_the_last_resort() -> None:
    assert detect_format(b"a,b\n1,2\n", None, "text/csv; charset=utf-8") == "csv"
    assert detect_format(b"a,b\n1,2\n", "x.json", "text/csv") == "json"
    assert detect_format(b"\x00\x01binary", None, "image/png") == "image"


def test_invalid_limits_are_rejected() -> None:
    with pytest.raises(ValueError):
        ExtractionLimits(max_chars=-1)
    with pytest.raises(ValueError):
        ExtractionLimits(timeout_s=0)


def test_in_process_mode_gives_the_same_text() -> None:
    data = make_docx()
    assert extract_text(data, isolate=False) == extract_text(data)


def _extract_docx_text(data: bytes) -> tuple[str, str | None]:
    result = extract_text(data, "in-daemon.docx")
    return result.text, result.error


def test_inside_a_daemonic_worker_extraction_runs_in_process() -> None:
    import multiprocessing

    # Pool workers are daemonic and may not start children: the extractor must notice and still work.
    with multiprocessing.get_context("fork").Pool(1) as pool:
        text, error = pool.apply(_extract_docx_text, (make_docx(),))
    assert error is None and "alice@example.com" in text


def test_xlsx_bomb_is_read_only_up_to_the_archive_limit() -> None:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "header"
    row = b'<row><c t="inlineStr"><is><t>bomb cell 123-45-6789</t></is></c></row>'
    head = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    rows = row * (1024 * 1024 // len(row))
    package = replace_member(save(workbook), "xl/worksheets/sheet1.xml", rows, chunks=64, prefix=head)
    assert len(package) < 2 * 1024 * 1024
    result = extract_text(package, "bomb.xlsx", limits=ExtractionLimits(max_unpacked_bytes=4 * 1024 * 1024))
    assert result.format == "xlsx" and result.truncated and "expand" in (result.error or "")
    assert "bomb cell 123-45-6789" in result.text
    # Streamed up to the 4 MiB budget: far more rows than the first chunk, far fewer than the 64 MiB.
    assert 30_000 < result.text.count("bomb cell") < 4 * 1024 * 1024 // len(row) + 1


ODF_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    b'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    b'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    b'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"><office:body>'
)
ODF_TAIL = b"</office:body></office:document-content>"


def make_odf(kind: str, body: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("mimetype", f"application/vnd.oasis.opendocument.{kind}", zipfile.ZIP_STORED)
        archive.writestr("content.xml", ODF_HEAD + body + ODF_TAIL)
    return buffer.getvalue()


def test_opendocument_text_and_spreadsheet() -> None:
    odt = make_odf(
        "text",
        b"<office:text><text:h>Heading</text:h><text:p>Mail <text:span>erin@example.com</text:span> now"
        b"</text:p></office:text>",
    )
    result = extract_text(odt, "notes.odt")
    assert result == ExtractionResult("Heading\nMail erin@example.com now\n", "odf", False, None)
    ods = make_odf(
        "spreadsheet",
        b"<office:spreadsheet><table:table><table:table-row><table:table-cell><text:p>user</text:p>"
        b"</table:table-cell><table:table-cell><text:p>pass</text:p></table:table-cell></table:table-row>"
        b"<table:table-row><table:table-cell><text:p>root</text:p></table:table-cell>"
        b'<table:table-cell table:number-columns-repeated="16384"/></table:table-row>'
        b"</table:table></office:spreadsheet>",
    )
    assert extract_text(ods, "renamed.bin").text == "user\tpass\nroot\n"


def test_opendocument_bomb_and_damage() -> None:
    paragraph = b"<text:p>odf bomb line</text:p>"
    body = b"<office:text>" + paragraph * 200_000 + b"</office:text>"
    result = extract_text(
        make_odf("text", body), "big.odt", limits=ExtractionLimits(max_unpacked_bytes=100_000)
    )
    assert result.truncated and "expand" in (result.error or "")
    assert 1_000 < result.text.count("odf bomb line") < 100_000 // len(paragraph) + 1
    broken = make_odf("text", b"<office:text><text:p>kept</text:p><text:p>unterminated")
    assert extract_text(broken, "broken.odt").text == "kept\n"
