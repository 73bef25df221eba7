"""The summary as a PDF, rendered by WeasyPrint from the same template blocks as the page."""

from __future__ import annotations

from jinja2 import Environment

from app.summary import drawing
from app.summary.document import SummaryDocument

TEMPLATE = "documents/summary-pdf.html"
STYLESHEET = "documents/summary-pdf.css"


def render_pdf(environment: Environment, doc: SummaryDocument) -> bytes:
    """A tagged A4 PDF of `doc`: its headings are the PDF's bookmarks, and the provenance is
    in the footer of every page."""
    html = environment.get_template(TEMPLATE).render(doc=doc)
    assert environment.loader is not None
    css_source, _, _ = environment.loader.get_source(environment, STYLESHEET)
    return drawing.draw_pdf(html, css_source)
