"""Text as entered, made safe to show in a page, a PDF, a Word file or a spreadsheet.

Nothing here escapes markup: Jinja's autoescaping does that for HTML, python-docx writes text
nodes, and the PDF's template is given its texts as data. What these helpers handle is what
escaping does not: control characters that XML forbids, words too long to wrap, right-to-left
writing, Markdown from the framework content, and cells a spreadsheet would run as formulas.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from markdown_it import MarkdownIt

from app.security.spreadsheet import neutralise

# C0 controls other than tab and newline, DEL, C1 controls, lone surrogates and the two
# noncharacters XML names: XML 1.0 (and so Word) refuses most of them, and none of them means
# anything on paper.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
REPLACEMENT = "\ufffd"
# Longer than any real word: such a run is an identifier, a link or pasted noise.
LONG_WORD = 30
ZERO_WIDTH_SPACE = "\u200b"


def clean(text: str | None) -> str:
    """Text with control characters shown as U+FFFD and line endings made \\n."""
    if not text:
        return ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub(REPLACEMENT, text)


_ISOLATE_OPEN = {"\u2066", "\u2067", "\u2068"}  # LRI, RLI, FSI
_ISOLATE_CLOSE = "\u2069"  # PDI


def direction(text: str | None) -> str:
    """The writing direction of `text`: "rtl" when its first strongly directional character is
    right-to-left, else "ltr". Isolated runs (a name inside one of our sentences) are skipped,
    as the Unicode bidirectional algorithm does.

    Browsers understand dir="auto" but the PDF and Word need to be told, so the direction is
    worked out here and set explicitly in every format."""
    depth = 0
    for character in text or "":
        if character in _ISOLATE_OPEN:
            depth += 1
        elif character == _ISOLATE_CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            kind = unicodedata.bidirectional(character)
            if kind in {"R", "AL"}:
                return "rtl"
            if kind == "L":
                return "ltr"
    return "ltr"


def isolate(text: str) -> str:
    """Wrap right-to-left text in a Unicode first-strong isolate, so that a name inside one of
    our sentences cannot reorder the words around it, nor turn the sentence right-to-left."""
    if direction(text) == "rtl":
        return f"\u2068{text}{_ISOLATE_CLOSE}"
    return text


def isolate_names(text: str, names: Iterable[str]) -> str:
    """`text` with each right-to-left name in it isolated (for sentences built elsewhere, such
    as the rules engine's reasons)."""
    for name in names:
        isolated = isolate(name)
        if isolated != name:
            text = text.replace(name, isolated)
    return text


def one_line(text: str | None) -> str:
    """A short text as entered (a name, a reference, a title) on one line inside one of our
    sentences, isolated when written right to left: no element of its own around it, which
    is what makes a running footer on every page of a PDF slow to lay out."""
    return isolate(clean(text).replace("\n", " "))


def breakable(text: str) -> str:
    """Long runs without spaces given zero-width break opportunities, for Word, which otherwise
    widens a table column to fit them (HTML uses CSS overflow-wrap instead, and the PDF's
    template a line of their own: app.summary.pdf)."""

    def split(match: re.Match[str]) -> str:
        run = match.group(0)
        return ZERO_WIDTH_SPACE.join(run[i : i + LONG_WORD] for i in range(0, len(run), LONG_WORD))

    return long_runs(LONG_WORD).sub(split, text)


@lru_cache(maxsize=64)
def long_runs(longer_than: int) -> re.Pattern[str]:
    """Runs of more than `longer_than` characters without a space."""
    return re.compile(rf"\S{{{longer_than + 1},}}")


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    return MarkdownIt("zero").enable(["list", "emphasis", "link", "newline", "escape", "entity"])


@lru_cache(maxsize=512)
def markdown_to_text(source: str) -> str:
    """The framework content's Markdown (guidance subset) as plain text: emphasis dropped,
    links written as "text (address)", list items as lines starting with a bullet."""
    lines: list[str] = []
    bullet = ""
    for token in _markdown().parse(source):
        if token.type == "list_item_open":
            bullet = "• "
        elif token.type == "inline":
            parts: list[str] = []
            href = ""
            for child in token.children or []:
                if child.type in {"text", "html_inline"}:
                    parts.append(child.content)
                elif child.type in {"softbreak", "hardbreak"}:
                    parts.append(" " if child.type == "softbreak" else "\n")
                elif child.type == "link_open":
                    href = str(child.attrGet("href") or "")
                elif child.type == "link_close" and href:
                    parts.append(f" ({href})")
                    href = ""
            lines.append(bullet + "".join(parts))
            bullet = ""
    return "\n".join(lines)


def csv_cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula (see
    app.security.spreadsheet), with control characters shown as U+FFFD."""
    return neutralise(clean(value))


def first_words(text: str, count: int) -> str:
    """The first `count` words of `text` on one line, with an ellipsis when there are more."""
    words = text.split()
    if len(words) <= count:
        return " ".join(words)
    return " ".join(words[:count]) + "…"
