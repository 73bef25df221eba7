"""Checks every HTML page the tests fetch: it parses, has a title, one h1 and unique ids."""

from __future__ import annotations

from collections import Counter

import html5lib
from bs4 import BeautifulSoup
from html5lib.html5parser import ParseError


class HtmlProblem(AssertionError):
    pass


def check_html(text: str, *, url: str = "", fragment: bool = False) -> BeautifulSoup:
    """Raise HtmlProblem naming what is wrong with a page (or htmx fragment)."""
    where = f" on {url}" if url else ""
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

    soup = BeautifulSoup(text, "html.parser")
    ids = Counter(element["id"] for element in soup.find_all(id=True))
    duplicates = sorted(identifier for identifier, count in ids.items() if count > 1)
    if duplicates:
        raise HtmlProblem(f"Duplicate ids{where}: {', '.join(duplicates)}")
    if fragment:
        return soup

    title = soup.title.get_text(strip=True) if soup.title else ""
    if not title:
        raise HtmlProblem(f"Page has no <title>{where}")
    headings = soup.find_all("h1")
    if len(headings) != 1:
        raise HtmlProblem(f"Page has {len(headings)} <h1> elements{where}; it needs exactly one")
    return soup
