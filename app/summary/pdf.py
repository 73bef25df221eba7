"""The summary as a PDF, rendered by WeasyPrint from the same template blocks as the page."""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache

from jinja2 import Environment
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from app.summary.document import SummaryDocument

TEMPLATE = "documents/summary-pdf.html"
STYLESHEET = "documents/summary-pdf.css"


# One PDF at a time per process. Drawn in several threads at once, Pango reported corrupted
# memory ("corrupted double-linked list", 16 PDFs at once in bench/run.py), and each layout
# held hundreds of megabytes (a process grew past 1 GB). Python runs one thread at a time
# anyway, so taking turns costs no throughput. Re-entrant, so that a caller can take its turn
# before it builds the document too (`turn`).
_DRAWING = threading.RLock()


@contextmanager
def turn() -> Iterator[None]:
    """Wait for this process's turn to build and draw a PDF: documents built while others
    are drawn would only wait, holding their memory (16 summaries of 5,000 entries at once
    took a worker to 534 MiB)."""
    with _DRAWING:
        yield


# glibc keeps memory a thread freed in that thread's arena for it to reuse; a PDF is drawn in
# whichever of the pool's threads serves the request, so each held a layout's worth until the
# worker reached 510 MiB. malloc_trim gives what is free back to the system (a few ms).
_LIBC = ctypes.CDLL(None)
_trim: Callable[[int], int] | None = getattr(_LIBC, "malloc_trim", None)


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
    with _DRAWING:
        pdf: bytes = document.write_pdf(
            stylesheets=[_stylesheet(css_source)], font_config=_fonts(), pdf_tags=True
        )
        del document
        if _trim is not None:
            _trim(0)
    return pdf
