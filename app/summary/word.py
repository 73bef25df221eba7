"""The summary as a Word document (python-docx), with the same content and structure as the
page: the title is Heading 1, sections Heading 2, and subheadings and suggestions Heading 3, so
Word's navigation pane lists them. The provenance is in the footer of every page."""

from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.document import Document as WordDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.table import Table as DocxTable
from docx.table import _Cell
from docx.text.paragraph import Paragraph as DocxParagraph

from app.summary.document import (
    Block,
    BulletList,
    FactList,
    Paragraph,
    Provenance,
    Subheading,
    Suggestion,
    SummaryDocument,
    Table,
)
from app.summary.text import breakable, clean, direction, isolate
from app.timeutil import format_date, format_datetime

MISSING_LABEL = "Not recorded yet: "


# Word's document properties hold at most 255 characters (python-docx refuses more); names
# people type can take a property past that.
MAX_PROPERTY_LENGTH = 255


def _property(text: str) -> str:
    if len(text) <= MAX_PROPERTY_LENGTH:
        return text
    return text[: MAX_PROPERTY_LENGTH - 1] + "…"


# The paragraph and table styles the document uses, by name.
STYLES = ("Caption", "Heading 1", "Heading 2", "Heading 3", "Intense Quote", "List Bullet")
TABLE_STYLE = "Table Grid"


class _Word:
    """The document being written, with its styles' ids looked up once: python-docx looks a
    style up by name, and checks it against the default style, for every paragraph it styles,
    which was nearly half the time of a long summary."""

    def __init__(self) -> None:
        self.document = Document()
        styles = self.document.styles
        self.style_ids = {name: styles[name].style_id for name in (*STYLES, TABLE_STYLE)}

    def paragraph(self, style: str | None = None) -> DocxParagraph:
        paragraph = self.document.add_paragraph()
        if style is not None:
            paragraph._p.style = self.style_ids[style]
        return paragraph

    def heading(self, level: int) -> DocxParagraph:
        return self.paragraph(f"Heading {level}")

    def table(self, columns: int) -> DocxTable:
        table: DocxTable = self.document.add_table(rows=0, cols=columns)
        table._tbl.tblPr.style = self.style_ids[TABLE_STYLE]
        return table


def render_docx(doc: SummaryDocument) -> bytes:
    """The .docx file of `doc`."""
    out = _Word()
    word = out.document
    properties = word.core_properties
    properties.title = _property(
        f"{doc.title}: {isolate(_plain(doc.family_name))} ({_plain(doc.reference)})"
    )
    properties.author = _property(_plain(doc.provenance.produced_by))
    properties.subject = _property(doc.provenance.framework_title)
    properties.comments = _property(provenance_text(doc.provenance))
    properties.language = "en-GB"
    if doc.large_print:
        _large_print(word)
    _footer(word, doc)
    caption = out.paragraph()
    if doc.family_copy:
        _add_text(caption, f"For {isolate(doc.family_name)} ({doc.reference})")
        out.heading(1).add_run(doc.title)
    else:
        _add_text(caption, f"{isolate(doc.family_name)} ({doc.reference})")
        out.heading(1).add_run(doc.title)
        _add_text(out.paragraph("Caption"), provenance_text(doc.provenance))
    for number, section in enumerate(doc.sections, start=1):
        out.heading(2).add_run(f"{number}. {section.title}")
        for block in section.blocks:
            _block(out, block)
    buffer = BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def provenance_text(p: Provenance) -> str:
    text = (
        f"Made with {p.framework_title} ({p.framework_id}) version {p.framework_version}, "
        f"content hash {p.short_hash}. Data as at {format_datetime(p.data_as_at)}. "
        f"Produced by {_plain(p.produced_by)}."
    )
    if p.disclosure:
        text += " Disclosure copy: information marked as third-party is left out."
    return text


def _plain(text: str) -> str:
    return clean(text).replace("\n", " ")


def _add_text(paragraph: DocxParagraph, text: str, *, bold: bool = False) -> None:
    """Add text as entered: control characters replaced, line breaks kept, long words given
    break opportunities, and right-to-left text marked so that Word lays it out that way."""
    text = breakable(clean(text))
    rtl = direction(text) == "rtl"
    if rtl:
        paragraph._p.get_or_add_pPr().append(OxmlElement("w:bidi"))
    for index, line in enumerate(text.split("\n")):
        run = paragraph.add_run(line)
        if bold:
            run.bold = True
        if index:
            run._r.addprevious(OxmlElement("w:br"))
        if rtl:
            run._r.get_or_add_rPr().append(OxmlElement("w:rtl"))


def _block(word: _Word, block: Block) -> None:
    if isinstance(block, Paragraph):
        paragraph = word.paragraph("Intense Quote" if block.style == "notice" else None)
        if block.style == "missing":
            paragraph.add_run(MISSING_LABEL).bold = True
        _add_text(paragraph, block.text)
    elif isinstance(block, Subheading):
        _add_text(word.heading(3), block.text)
    elif isinstance(block, BulletList):
        for item in block.items:
            _add_text(word.paragraph("List Bullet"), item)
    elif isinstance(block, Table):
        _add_text(word.paragraph("Caption"), block.caption)
        table = word.table(len(block.headers))
        _row(table, block.headers, header=True)
        for row in block.rows:
            _row(table, row)
    elif isinstance(block, FactList):
        table = word.table(2)
        for key, value in block.rows:
            _row(table, (key, value), key_column=True)
    elif isinstance(block, Suggestion):
        _suggestion(word, block)


def _row(
    table: DocxTable, values: tuple[str, ...], *, header: bool = False, key_column: bool = False
) -> None:
    row = table.add_row()  # type: ignore[no-untyped-call]
    if header:
        # Repeat the header row at the top of each page the table runs onto.
        row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    # The row's own cells: `row.cells` walks the whole table for each row.
    cells = [_Cell(tc, table) for tc in row._tr.tc_lst]
    for index, (cell, value) in enumerate(zip(cells, values, strict=True)):
        _add_text(cell.paragraphs[0], value, bold=header or (key_column and index == 0))


def _suggestion(word: _Word, block: Suggestion) -> None:
    _add_text(word.heading(3), f"{block.label}: {block.title}")
    _add_text(word.paragraph(), block.text)
    if block.advice:
        paragraph = word.paragraph()
        paragraph.add_run("What to do: ").bold = True
        _add_text(paragraph, block.advice)
    why = (("Why it applies to this family", block.inputs), ("Sources", block.sources))
    for label, items in why:
        word.paragraph().add_run(label).bold = True
        for item in items:
            _add_text(word.paragraph("List Bullet"), item)


# Large print: 16 pt body text and headings in proportion (the PDF's large print matches).
LARGE_PRINT = {"Normal": 16, "Caption": 14, "Heading 1": 28, "Heading 2": 22, "Heading 3": 18}


def _large_print(word: WordDocument) -> None:
    for name, size in LARGE_PRINT.items():
        word.styles[name].font.size = Pt(size)


def _footer(word: WordDocument, doc: SummaryDocument) -> None:
    p = doc.provenance
    paragraph = word.sections[0].footer.paragraphs[0]
    if doc.family_copy:
        text = f"{doc.title} · {isolate(_plain(doc.family_name))} · {format_date(doc.as_of)}"
    else:
        text = (
            f"{isolate(_plain(doc.family_name))} ({_plain(doc.reference)}) · {p.framework_id} "
            f"{p.framework_version} ({p.short_hash}) · data as at "
            f"{format_datetime(p.data_as_at)} · produced by {_plain(p.produced_by)}"
        )
        if p.disclosure:
            text += " · disclosure copy"
    run = paragraph.add_run(breakable(text) + " · page ")
    run.font.size = Pt(12 if doc.large_print else 8)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    page_run = OxmlElement("w:r")
    page_text = OxmlElement("w:t")
    page_text.text = "1"
    page_run.append(page_text)
    field.append(page_run)
    paragraph._p.append(field)
