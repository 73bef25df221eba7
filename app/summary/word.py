"""The summary as a Word document (python-docx), with the same content and structure as the
page: the title is Heading 1, sections Heading 2, and subheadings and suggestions Heading 3, so
Word's navigation pane lists them. The provenance is in the footer of every page."""

from __future__ import annotations

from io import BytesIO

from docx import Document
from docx.document import Document as WordDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Pt
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph as DocxParagraph
from lxml.etree import SubElement

from app.summary import turns
from app.summary.document import (
    Block,
    BulletList,
    FactList,
    Paragraph,
    SourceList,
    Subheading,
    Suggestion,
    SummaryDocument,
    Table,
    footer_text,
    provenance_text,
    references,
)
from app.summary.text import breakable, clean, direction, isolate

MISSING_LABEL = "Not recorded yet: "
W_B, W_BR, W_P, W_R, W_RPR, W_RTL, W_T, W_TAB = (
    qn(f"w:{name}") for name in ("b", "br", "p", "r", "rPr", "rtl", "t", "tab")
)
W_TC, W_TCPR, W_TCW, W_TR, W_TRPR, W_TBLHEADER, W_TYPE, W_W = (
    qn(f"w:{name}") for name in ("tc", "tcPr", "tcW", "tr", "trPr", "tblHeader", "type", "w")
)
XML_SPACE = qn("xml:space")


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
    return turns.draw(_render_docx, doc)


def _render_docx(doc: SummaryDocument) -> bytes:
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
    for section, heading in doc.headings():
        out.heading(2).add_run(heading)
        for block in section.blocks:
            _block(out, block)
    buffer = BytesIO()
    word.save(buffer)
    return buffer.getvalue()


def _plain(text: str) -> str:
    return clean(text).replace("\n", " ")


def _add_text(paragraph: DocxParagraph, text: str, *, bold: bool = False) -> None:
    """Add text as entered: control characters replaced, line breaks kept, long words given
    break opportunities, and right-to-left text marked so that Word lays it out that way."""
    text = breakable(clean(text))
    rtl = direction(text) == "rtl"
    if rtl:
        paragraph._p.get_or_add_pPr().append(OxmlElement("w:bidi"))
    _runs(paragraph._p, text, bold=bold, rtl=rtl)


def _runs(p: BaseOxmlElement, text: str, *, bold: bool, rtl: bool) -> None:
    """One run of `text` in paragraph `p`, its lines parted by breaks and tabs kept. Written
    as XML directly: python-docx's `add_run` goes through the text a character at a time and
    places each element by the schema, most of a long summary's time."""
    run = SubElement(p, W_R)
    if bold or rtl:
        properties = SubElement(run, W_RPR)
        if bold:
            SubElement(properties, W_B)
        if rtl:
            SubElement(properties, W_RTL)
    for number, line in enumerate(text.split("\n")):
        if number:
            SubElement(run, W_BR)
        for index, part in enumerate(line.split("\t")):
            if index:
                SubElement(run, W_TAB)
            if part:
                node = SubElement(run, W_T)
                node.text = part
                node.set(XML_SPACE, "preserve")


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
        widths = _widths(table)
        _row(table, block.headers, widths, header=True)
        for row in block.rows:
            _row(table, row, widths)
    elif isinstance(block, FactList):
        table = word.table(2)
        widths = _widths(table)
        for key, value in block.rows:
            _row(table, (key, value), widths, key_column=True)
    elif isinstance(block, Suggestion):
        _suggestion(word, block)
    elif isinstance(block, SourceList):
        for number, item in enumerate(block.items, start=1):
            _add_text(word.paragraph(), f"{number}. {item}")


def _widths(table: DocxTable) -> list[str | None]:
    """Each column's width in twentieths of a point, as Word's cells give them."""
    return [str(column.w.twips) if column.w else None for column in table._tbl.tblGrid.gridCol_lst]


def _row(
    table: DocxTable,
    values: tuple[str, ...],
    widths: list[str | None],
    *,
    header: bool = False,
    key_column: bool = False,
) -> None:
    # The row written as XML directly, as `_runs` does (python-docx's `add_row` places each
    # element by the schema), each cell as wide as its column.
    row = SubElement(table._tbl, W_TR)
    if header:
        # Repeat the header row at the top of each page the table runs onto.
        SubElement(SubElement(row, W_TRPR), W_TBLHEADER)
    for index, (value, width) in enumerate(zip(values, widths, strict=True)):
        cell = SubElement(row, W_TC)
        if width is not None:
            cell_width = SubElement(SubElement(cell, W_TCPR), W_TCW)
            cell_width.set(W_W, width)
            cell_width.set(W_TYPE, "dxa")
        paragraph = DocxParagraph(SubElement(cell, W_P), table)
        _add_text(paragraph, value, bold=header or (key_column and index == 0))


def _suggestion(word: _Word, block: Suggestion) -> None:
    _add_text(word.heading(3), f"{block.label}: {block.title}")
    _add_text(word.paragraph(), block.text)
    if block.advice:
        paragraph = word.paragraph()
        paragraph.add_run("What to do: ").bold = True
        _add_text(paragraph, block.advice)
    word.paragraph().add_run("Why it applies to this family").bold = True
    for item in block.inputs:
        _add_text(word.paragraph("List Bullet"), item)
    if block.source_numbers:
        # In a document each source is cited once, in its list of sources at the end.
        paragraph = word.paragraph()
        paragraph.add_run("Sources: ").bold = True
        paragraph.add_run(references(block.source_numbers))
        return
    word.paragraph().add_run("Sources").bold = True
    for item in block.sources:
        _add_text(word.paragraph("List Bullet"), item)


# Large print: 16 pt body text and headings in proportion (the PDF's large print matches).
LARGE_PRINT = {"Normal": 16, "Caption": 14, "Heading 1": 28, "Heading 2": 22, "Heading 3": 18}


def _large_print(word: WordDocument) -> None:
    for name, size in LARGE_PRINT.items():
        word.styles[name].font.size = Pt(size)


def _footer(word: WordDocument, doc: SummaryDocument) -> None:
    paragraph = word.sections[0].footer.paragraphs[0]
    run = paragraph.add_run(breakable(footer_text(doc)) + " · page ")
    run.font.size = Pt(12 if doc.large_print else 8)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    page_run = OxmlElement("w:r")
    page_text = OxmlElement("w:t")
    page_text.text = "1"
    page_run.append(page_text)
    field.append(page_run)
    paragraph._p.append(field)
