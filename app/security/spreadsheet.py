"""CSV cells that a spreadsheet shows as text and never runs as a formula (CSV injection).

A cell starting with `=`, `+`, `-` or `@` (or tab or carriage return, which some programs
skip before looking) is a formula to Excel, LibreOffice and Google Sheets; so are the
full-width forms `＝＋－＠` that East Asian input methods type, because Excel folds them to
the ASCII ones. Such a cell gets a leading apostrophe, as OWASP advises. A cell that already
starts with an apostrophe gets one more, so that `restore` can undo `neutralise` exactly and an
exported chronology imports as it was.

A cell that joins several values (children's names separated by "; ") is neutralised per
value: a spreadsheet's "text to columns", or our own import, splits it again, and each part
must be safe on its own.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
APOSTROPHE = "'"
LIST_SEPARATOR = "; "


def starts_like_formula(value: str) -> bool:
    return value[:1] in FORMULA_START


def neutralise(value: str) -> str:
    """`value` as a cell a spreadsheet shows as text."""
    if starts_like_formula(value) or value.startswith(APOSTROPHE):
        return APOSTROPHE + value
    return value


def neutralise_joined(values: Iterable[str], separator: str = LIST_SEPARATOR) -> str:
    """Several values in one cell, each neutralised on its own."""
    return separator.join(neutralise(value) for value in values)


def restore(cell: str) -> str:
    """Undo `neutralise`: the value as it was before export."""
    if cell.startswith(APOSTROPHE) and (
        starts_like_formula(cell[1:]) or cell[1:].startswith(APOSTROPHE)
    ):
        return cell[1:]
    return cell
