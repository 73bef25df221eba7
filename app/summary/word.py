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


def render_docx(doc: SummaryDocument) -> bytes:
    """The .docx file of `doc`."""
    word = Document()
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
    caption = word.add_paragraph()
    if doc.family_copy:
        _add_text(caption, f"For {isolate(doc.family_name)} ({doc.reference})")
        word.add_heading(doc.title, level=1)
    else:
        _add_text(caption, f"{isolate(doc.family_name)} ({doc.reference})")
        word.add_heading(doc.title, level=1)
        _add_text(word.add_paragraph(style="Caption"), provenance_text(doc.provenance))
    for number, section in enumerate(doc.sections, start=1):
        word.add_heading(f"{number}. {section.title}", level=2)
        for block in section.blocks:
            _block(word, block)
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
        run.bold = bold or None
        if index:
            run._r.addprevious(OxmlElement("w:br"))
        if rtl:
            run._r.get_or_add_rPr().append(OxmlElement("w:rtl"))


def _block(word: WordDocument, block: Block) -> None:
    if isinstance(block, Paragraph):
        paragraph = word.add_paragraph(style="Intense Quote" if block.style == "notice" else None)
        if block.style == "missing":
            paragraph.add_run(MISSING_LABEL).bold = True
        _add_text(paragraph, block.text)
    elif isinstance(block, Subheading):
        _add_text(word.add_heading(level=3), block.text)
    elif isinstance(block, BulletList):
        for item in block.items:
            _add_text(word.add_paragraph(style="List Bullet"), item)
    elif isinstance(block, Table):
        _add_text(word.add_paragraph(style="Caption"), block.caption)
        table = _table(word, len(block.headers))
        _row(table, block.headers, header=True)
        for row in block.rows:
            _row(table, row)
    elif isinstance(block, FactList):
        table = _table(word, 2)
        for key, value in block.rows:
            cells = table.add_row().cells  # type: ignore[no-untyped-call]
            _add_text(cells[0].paragraphs[0], key, bold=True)
            _add_text(cells[1].paragraphs[0], value)
    elif isinstance(block, Suggestion):
        _suggestion(word, block)


def _table(word: WordDocument, columns: int) -> DocxTable:
    table: DocxTable = word.add_table(rows=0, cols=columns)
    table.style = "Table Grid"
    return table


def _row(table: DocxTable, values: tuple[str, ...], *, header: bool = False) -> None:
    row = table.add_row()  # type: ignore[no-untyped-call]
    if header:
        # Repeat the header row at the top of each page the table runs onto.
        row._tr.get_or_add_trPr().append(OxmlElement("w:tblHeader"))
    for cell, value in zip(row.cells, values, strict=True):
        _add_text(cell.paragraphs[0], value, bold=header)


def _suggestion(word: WordDocument, block: Suggestion) -> None:
    _add_text(word.add_heading(level=3), f"{block.label}: {block.title}")
    _add_text(word.add_paragraph(), block.text)
    if block.advice:
        paragraph = word.add_paragraph()
        paragraph.add_run("What to do: ").bold = True
        _add_text(paragraph, block.advice)
    why = (("Why it applies to this family", block.inputs), ("Sources", block.sources))
    for label, items in why:
        word.add_paragraph().add_run(label).bold = True
        for item in items:
            _add_text(word.add_paragraph(style="List Bullet"), item)


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
