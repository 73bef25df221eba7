"""Reading the summary's PDF and Word files back as text, as a person would see it."""

from __future__ import annotations

import subprocess
from collections import Counter
from datetime import UTC, date, datetime
from io import BytesIO
from typing import Any

from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

from app.summary.document import Block, Provenance, Section, SummaryDocument


def summary_of(*blocks: Block, large_print: bool = False) -> SummaryDocument:
    """A one-section summary of `blocks`, for the Kowalski family."""
    provenance = Provenance(
        "reunification",
        "Framework",
        "1.0.0",
        "0" * 64,
        datetime(2026, 12, 7, tzinfo=UTC),
        "Tess Tester",
        disclosure=False,
    )
    section = Section("notes", "Notes", blocks)
    return SummaryDocument(
        "Kowalski family",
        "K-1",
        "Summary",
        date(2026, 12, 7),
        provenance,
        (section,),
        large_print=large_print,
    )


def pdf_text(body: bytes) -> str:
    """The PDF's text in drawing order (pdftotext -raw, from poppler-utils), so table cells
    stay whole; whitespace collapsed."""
    assert body.startswith(b"%PDF-")
    command = ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"]
    result = subprocess.run(command, input=body, capture_output=True, check=True)
    return " ".join(result.stdout.decode("utf-8").split())


def pdf_structure(body: bytes) -> tuple[str, Counter[str]]:
    """The PDF's language, and how many of each kind of element (H1, Table, TH, LI...) its
    structure tree holds: what a screen reader navigates by."""
    root = PdfReader(BytesIO(body)).trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"], "the PDF is not tagged"
    kinds: Counter[str] = Counter()

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            if "/S" in node:
                kinds[str(node["/S"]).removeprefix("/")] += 1
            if "/K" in node:
                walk(node["/K"])

    walk(root["/StructTreeRoot"])
    return str(root["/Lang"]), kinds


def docx_paragraphs(body: bytes) -> list[tuple[str, str]]:
    """(style name, text) of every paragraph in the body, tables included, in order."""
    document = Document(BytesIO(body))
    styles = {style.style_id: style.name for style in document.styles}
    rows = []
    for paragraph in document.element.body.iter(qn("w:p")):
        style = paragraph.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")
        name = styles.get(style.get(qn("w:val")), "") if style is not None else "Normal"
        text = "".join(node.text or "" for node in paragraph.iter(qn("w:t")))
        rows.append((name, text.replace("\u200b", "")))
    return rows


def docx_text(body: bytes) -> str:
    return " ".join(" ".join(text for _, text in docx_paragraphs(body)).split())


def docx_headings(body: bytes, level: int) -> list[str]:
    return [text for style, text in docx_paragraphs(body) if style == f"Heading {level}"]
