"""The summary as a PDF, rendered by WeasyPrint from the same template blocks as the page."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from jinja2 import Environment

from app.summary import turns
from app.summary.document import SummaryDocument

if TYPE_CHECKING:
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

# WeasyPrint is imported when the first PDF is drawn, not with the app: it takes most of a
# second and about 40 MiB, which every process paid, most of which never draws a PDF.

TEMPLATE = "documents/summary-pdf.html"
STYLESHEET = "documents/summary-pdf.css"


@lru_cache(maxsize=1)
def _fonts() -> FontConfiguration:
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@lru_cache(maxsize=4)
def _stylesheet(source: str) -> CSS:
    from weasyprint import CSS

    return CSS(string=source, font_config=_fonts())


def render_pdf(environment: Environment, doc: SummaryDocument) -> bytes:
    """A tagged A4 PDF of `doc`: its headings are the PDF's bookmarks, and the provenance is
    in the footer of every page."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    html = environment.get_template(TEMPLATE).render(doc=doc)
    assert environment.loader is not None
    css_source, _, _ = environment.loader.get_source(environment, STYLESHEET)
    # The document is ours and fetches nothing: no address in anyone's text is ever opened.
    document = HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=()))
    pdf: bytes = turns.draw(
        document.write_pdf,
        stylesheets=[_stylesheet(css_source)],
        font_config=_fonts(),
        pdf_tags=True,
    )
    return pdf
