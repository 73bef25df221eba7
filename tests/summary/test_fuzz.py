"""Any text at all, in any part of a summary, renders in the page, the Word file and the PDF:
escaped, with nothing lost but the characters XML cannot hold."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bs4 import BeautifulSoup
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from app.config import PROJECT_ROOT, Environment, Settings
from app.summary.document import (
    BulletList,
    FactList,
    Paragraph,
    Provenance,
    Section,
    Subheading,
    Suggestion,
    SummaryDocument,
    Table,
)
from app.summary.pdf import render_pdf
from app.summary.text import clean
from app.summary.word import render_docx
from app.templating import create_templates
from tests.summary.support import docx_text, pdf_text

FUZZ = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
ENVIRONMENT = create_templates(
    Settings(environment=Environment.TEST, data_dir=PROJECT_ROOT / "data")
).env
PAGE_BLOCKS = ENVIRONMENT.from_string(
    '{% import "components/summary.html" as summary %}{{ summary.sections(doc) }}'
)
# Typst's markup and code characters, and letters between them.
TYPST_SYNTAX = "#$*_`<>@[]{}()=+-/\\~'\":;,.! abcxyz019"


def document(text: str) -> SummaryDocument:
    """A summary with `text` in every kind of block."""
    return SummaryDocument(
        family_name=text,
        reference=text[:40],
        title="Summary",
        as_of=date(2026, 1, 1),
        provenance=Provenance(
            framework_id="reunification",
            framework_title="Framework",
            framework_version="1.0.0",
            content_hash="0" * 64,
            data_as_at=datetime(2026, 1, 1, tzinfo=UTC),
            produced_by=text,
            disclosure=False,
        ),
        sections=(
            Section(
                "fuzz",
                "Fuzz",
                (
                    Paragraph(text),
                    Paragraph(text, "missing"),
                    Subheading(text),
                    BulletList((text,)),
                    Table(text, ("Column",), ((text,),), widths=(100,)),
                    FactList(((text, text),)),
                    Suggestion(text, text, "rule", (text,), (text,), advice=text),
                ),
            ),
        ),
    )


def visible(text: str) -> str:
    """What any rendering can show of `text`: cleaned, whitespace collapsed."""
    return " ".join(clean(text).split())


@FUZZ
@given(st.text(min_size=1, max_size=200))
def test_any_text_renders_escaped_in_the_page_blocks(text: str) -> None:
    html = PAGE_BLOCKS.render(doc=document(text))
    page = BeautifulSoup(html, "html.parser")
    paragraph = page.select_one(".hw-summary-section p.govuk-body .hw-summary-text")
    assert paragraph is not None
    assert " ".join(paragraph.get_text().split()) == visible(text)
    assert not page.select(".hw-summary-section script, .hw-summary-section img")


@FUZZ
@given(st.text(min_size=1, max_size=200))
def test_any_text_renders_in_word(text: str) -> None:
    assert visible(text).replace(" ", "") in docx_text(render_docx(document(text))).replace(" ", "")


@settings(deadline=None, max_examples=8, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=60))
def test_any_text_renders_in_the_pdf(text: str) -> None:
    assert pdf_text(render_pdf(document(text)))


@settings(deadline=None, max_examples=8, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=TYPST_SYNTAX, min_size=1, max_size=60))
@example('#read("summary.typ") #panic("x") $x^2$ *bold* _it_ <here> @here = Heading')
def test_text_in_typsts_syntax_is_shown_as_typed_in_the_pdf(text: str) -> None:
    # The template is given texts as data: none is read as markup or run as code.
    shown = pdf_text(render_pdf(document("Start " + text + " end")))
    assert "".join(f"Start {clean(text)} end".split()) in "".join(shown.split())


def test_a_tab_in_the_pdf_shows_as_a_space_as_on_the_page() -> None:
    assert "Tab here" in pdf_text(render_pdf(document("Tab\there")))
