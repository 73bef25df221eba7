"""The summary as a PDF, typeset by Typst from `templates/documents/summary.typ`.

The document goes to the template as JSON data, never as markup: the template shows each
string as text, so nothing a person typed can be read as Typst code. Strings written right to
left come as `{"rtl": text}`, so that the template sets their direction.
"""

from __future__ import annotations

import json
from typing import Any, TypeAlias

from app.summary import drawing
from app.summary.document import Block, SummaryDocument, footer_text, provenance_text
from app.summary.text import breakable, clean, direction, one_line

Text: TypeAlias = str | dict[str, str]


def render_pdf(doc: SummaryDocument) -> bytes:
    """A tagged A4 PDF of `doc`: its headings are the PDF's bookmarks, and the provenance is
    in the footer of every page."""
    return drawing.draw_pdf(json.dumps(typst_data(doc)).encode())


def typst_data(doc: SummaryDocument) -> dict[str, Any]:
    """What the template reads: `doc` with every text cleaned and given its direction."""
    name, reference = one_line(doc.family_name), one_line(doc.reference)
    p = doc.provenance
    headings = doc.headings()
    return {
        "title": doc.title,
        "metadata": {
            "title": f"{doc.title}: {name} ({reference})",
            "author": one_line(p.produced_by),
            "description": f"{p.framework_title} {p.framework_version}",
        },
        "caption": f"For {name} ({reference})" if doc.family_copy else f"{name} ({reference})",
        "provenance": None if doc.family_copy else _text(provenance_text(p)),
        "footer": _text(footer_text(doc)),
        "large_print": doc.large_print,
        "contents": [
            {"id": section.id, "title": section.title, "heading": heading, "part": section.part}
            for section, heading in headings
        ],
        "sections": [
            {"id": section.id, "heading": heading, "blocks": [_block(b) for b in section.blocks]}
            for section, heading in headings
        ],
    }


def _text(value: str) -> Text:
    # A run longer than any word may break anywhere, so that pasted noise stays inside its
    # table cell: Typst lets a word it cannot break run out of its column.
    # Typst shows a tab as nothing; the page shows it as a space.
    value = breakable(clean(value).replace("\t", " "), every=1)
    return {"rtl": value} if direction(value) == "rtl" else value


def _block(block: Block) -> dict[str, Any]:
    data: dict[str, Any] = {"block": block.block}
    for name, value in vars(block).items():
        if isinstance(value, str) and name not in ("style", "rule"):
            data[name] = _text(value)
        elif name == "rows":
            data[name] = [[_text(cell) for cell in row] for row in value]
        elif name in ("items", "inputs", "sources", "headers"):
            data[name] = [_text(item) for item in value]
        else:
            data[name] = value
    return data
