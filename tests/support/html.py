"""Checks every HTML page the tests fetch: it parses, has a title, one h1 and unique ids."""

from __future__ import annotations

import hashlib
import re
from collections import Counter

import html5lib
import lxml.html
from html5lib.html5parser import ParseError


class HtmlProblem(AssertionError):
    pass


# html5lib's strict parse is pure Python and takes as long as drawing the page. It runs once per
# shape of markup: the page with the letters, digits, spaces and plain punctuation of its text
# and attribute values left out. Those never make a parse error, so two pages of one shape
# parse alike; the tags, attribute names and every other character (&, <, quotes, control
# characters...) stay in the shape.
_TAG = re.compile(r"<(/?[A-Za-z][^\s/>]*)([^>]*)>")
_VALUE = re.compile(r"""=("[^"]*"|'[^']*')""")
_PLAIN = re.compile(r"[\w .,:;!?()\-]+")
_parsed_shapes: set[bytes] = set()


def _shape(text: str) -> bytes:
    parts: list[str] = []
    position = 0
    for tag in _TAG.finditer(text):
        parts.append(_PLAIN.sub("", text[position : tag.start()]))
        attributes = _VALUE.sub(lambda value: "=" + _PLAIN.sub("", value.group(1)), tag.group(2))
        parts.append(f"<{tag.group(1)}{attributes}>")
        position = tag.end()
    parts.append(_PLAIN.sub("", text[position:]))
    return hashlib.blake2b("".join(parts).encode("utf-8", "surrogatepass")).digest()


def _strict_parse(text: str, where: str, fragment: bool) -> None:
    shape = _shape(text) + (b"f" if fragment else b"p")
    if shape in _parsed_shapes:
        return
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        if fragment:
            parser.parseFragment(text)
        else:
            parser.parse(text)
    except ParseError as error:
        line, column = parser.errors[-1][0] if parser.errors else ("?", "?")
        raise HtmlProblem(
            f"HTML does not parse{where}: {error} at line {line}, column {column}"
        ) from error
    _parsed_shapes.add(shape)


def check_html(text: str, *, url: str = "", fragment: bool = False) -> None:
    """Raise HtmlProblem naming what is wrong with a page (or htmx fragment)."""
    where = f" on {url}" if url else ""
    _strict_parse(text, where, fragment)

    # lxml (C) for the counts: BeautifulSoup took as long again as the strict parse.
    root = (
        lxml.html.fragment_fromstring(text, create_parent="div")
        if fragment
        else lxml.html.document_fromstring(text)
    )
    ids = Counter(
        str(element.get("id")) for element in root.iter() if element.get("id") is not None
    )
    duplicates = sorted(identifier for identifier, count in ids.items() if count > 1)
    if duplicates:
        raise HtmlProblem(f"Duplicate ids{where}: {', '.join(duplicates)}")
    if fragment:
        return

    title = (root.findtext(".//title") or "").strip()
    if not title:
        raise HtmlProblem(f"Page has no <title>{where}")
    headings = root.findall(".//h1")
    if len(headings) != 1:
        raise HtmlProblem(f"Page has {len(headings)} <h1> elements{where}; it needs exactly one")
