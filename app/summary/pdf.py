"""The summary as a PDF, rendered by WeasyPrint from the same template blocks as the page."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Environment
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from app.summary import turns
from app.summary.document import SummaryDocument

TEMPLATE = "documents/summary-pdf.html"
STYLESHEET = "documents/summary-pdf.css"


@lru_cache(maxsize=1)
def _fonts() -> FontConfiguration:
    return FontConfiguration()


@lru_cache(maxsize=4)
def _stylesheet(source: str) -> CSS:
    return CSS(string=source, font_config=_fonts())


def render_pdf(environment: Environment, doc: SummaryDocument) -> bytes:
    """A tagged A4 PDF of `doc`: its headings are the PDF's bookmarks, and the provenance is
    in the footer of every page."""
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
