"""The summary as a PDF, typeset by Typst from `templates/documents/summary.typ`.

The document goes to the template as JSON data, never as markup: the template shows each
string as text, so nothing a person typed can be read as Typst code. A text is a string, or,
when it is written right to left or holds a run too long for its line, `{"parts": [...],
"rtl": bool}`: strings, and `{"long": run}` for each such run, which the template puts on a
line of its own and breaks between any two characters (as CSS's `overflow-wrap: anywhere`).
"""

from __future__ import annotations

import json
from typing import Any, TypeAlias

from app.summary import drawing
from app.summary.document import Block, SummaryDocument, Table, footer_text, provenance_text
from app.summary.text import LONG_WORD, clean, direction, long_runs, one_line

Text: TypeAlias = str | dict[str, Any]

# The template's text column on A4 (210 mm less two margins of 18), a cell's padding, and the
# width of a character of a table's text (0.6 em of DejaVu Sans, a little over its average)
# at 9 pt, or 16 pt in large print. Typst lets a word wider than its column run into the
# next, so a longer word gets a line of its own to break across.
TEXT_WIDTH_MM, CELL_PADDING_MM = 174, 2
CHARACTER_MM = {False: 0.6 * 9 * 25.4 / 72, True: 0.6 * 16 * 25.4 / 72}


def render_pdf(doc: SummaryDocument) -> bytes:
    """A tagged A4 PDF of `doc`: its headings are the PDF's bookmarks, and the provenance is
    in the footer of every page."""
    return drawing.draw_pdf(json.dumps(typst_data(doc)).encode())


def typst_data(doc: SummaryDocument) -> dict[str, Any]:
    """What the template reads: `doc` with every text cleaned and given its direction."""
    name, reference = one_line(doc.family_name), one_line(doc.reference)
    p = doc.provenance
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
        "sections": [
            {
                "id": section.id,
                "title": section.title,
                "heading": heading,
                "part": section.part,
                "blocks": [_block(b, doc.large_print) for b in section.blocks],
            }
            for section, heading in doc.headings()
        ],
    }


def _text(value: str, fits: int = LONG_WORD) -> Text:
    """`value` cleaned, with its direction and its runs longer than `fits` characters (or than
    any word) marked. Typst shows a tab as nothing; the page shows it as a space."""
    value = clean(value).replace("\t", " ")
    rtl = direction(value) == "rtl"
    parts: list[str | dict[str, str]] = []
    end = 0
    for run in long_runs(fits).finditer(value):
        parts += [value[end : run.start()], {"long": run.group()}]
        end = run.end()
    if not parts and not rtl:
        return value
    parts.append(value[end:])
    return {"parts": [part for part in parts if part], "rtl": rtl}


def column_characters(table: Table, large_print: bool) -> list[int]:
    """About how many characters each of `table`'s columns holds on a line."""
    columns = len(table.headers)
    widths = table.widths or (100 / max(columns, 1),) * columns
    return [
        max(1, int((TEXT_WIDTH_MM * width / 100 - CELL_PADDING_MM) / CHARACTER_MM[large_print]))
        for width in widths
    ]


def _block(block: Block, large_print: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"block": block.block}
    for name, value in vars(block).items():
        if isinstance(value, str) and name not in ("style", "rule"):
            data[name] = _text(value)
        elif name == "rows" and isinstance(block, Table):
            fits = [min(LONG_WORD, n) for n in column_characters(block, large_print)]
            data[name] = [
                [_text(cell, n) for cell, n in zip(row, fits, strict=True)] for row in value
            ]
        elif name == "rows":
            data[name] = [[_text(cell) for cell in row] for row in value]
        elif name in ("items", "inputs", "sources", "headers"):
            data[name] = [_text(item) for item in value]
        else:
            data[name] = value
    return data
