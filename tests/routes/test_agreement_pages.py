"""The written agreements, the support plan and a parent's own copy of their agreement through
the pages, the PDF and the Word file (and their large print), with hostile text in the fields
shown as text everywhere; the support plan's refusals on its form; on both databases."""

from __future__ import annotations

from io import BytesIO

import pytest
from docx import Document
from pypdf import PdfReader
from sqlmodel import Session, col, select

from app.content.snapshot import answer_key
from app.demo.agreement import plan_support, write_agreement
from app.demo.journey import Story
from app.models.audit import AuditAction, AuditEvent
from app.services import questions
from app.summary.family_copy import TITLE
from tests.factories import post_form, sign_in_as
from tests.summary.support import docx_text, pdf_text
from tests.support.client import CheckingClient, soup
from tests.support.journey import assessed

# Markup, a formula, right-to-left writing and an emoji, in fields of every kind of output.
LATIN = '<script>alert("x")</script> =HYPERLINK("evil") +1 @SUM(A1)'
HOSTILE = LATIN + " שלום 🏠"

COPY_SECTIONS = (
    "About this agreement",
    "What is going well",
    "What we are worried about",
    "What needs to change",
    "Things that must happen",
    "Help you will get",
    "What your children think",
    "What you said",
    "Signing the agreement",
    "Who to contact",
)


def _answer(story: Story, section_id: str, changes: dict[str, object]) -> None:
    """Change some saved answers of a section, as the form would post them."""
    state = questions.section_state(story.session, story.family, story.content, section_id)
    form: dict[str, object] = dict(state.values)
    form |= {f"{questions.ITEMS}{key}": ids for key, ids in state.items.items()}
    for key, value in changes.items():
        question = story.content.questions[key.rsplit(".", 1)[-1]].question
        form |= questions.form_fields(key, question, value)  # type: ignore[arg-type]
    questions.save_section(
        story.session,
        actor=story.worker,
        family=story.family,
        content=story.content,
        section_id=section_id,
        form=form,
        expected_version=state.version,
        complete=True,
    )


@pytest.fixture
def planned(story: Story, client: CheckingClient) -> Story:
    """The demo agreement and support plan, with hostile text in a goal, the comments and a
    provider; signed in as the practitioner."""
    # A task is completed only once what it waits for is settled: the assessment's decision
    # before the agreement, the agreement's sign-off before the support plan.
    assessed(story, 10)
    write_agreement(
        story.session, story.worker, story.family, story.content, supervisor=story.supervisor
    )
    story.decide("agreement-sign-off", "signed-off", "Clear goals.")
    plan_support(story.session, story.worker, story.family, story.content)
    cara = str(story.adult("Cara").id)
    goal = ("goals", f"{cara[:8]}g1")
    _answer(
        story,
        "written-agreement",
        {
            answer_key("goal-title", ("agreement", cara), goal): "Stay well " + HOSTILE,
            answer_key("parent-comments", ("agreement", cara)): "My words: " + HOSTILE,
        },
    )
    first = questions.section_state(
        story.session, story.family, story.content, "support-plan"
    ).items["services"][0]
    _answer(
        story,
        "support-plan",
        {answer_key("service-provider", ("services", first)): "Provider " + HOSTILE},
    )
    story.session.commit()
    sign_in_as(client, story.session, story.practitioner)
    return story


def _main_text(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200
    main = soup(response).find("main")
    assert main is not None
    assert main.find("script") is None
    return " ".join(main.get_text(" ").split())


def test_the_agreement_and_support_plan_pages(client: CheckingClient, planned: Story) -> None:
    base = f"/families/{planned.family.id}"
    agreement = _main_text(client.get(base + "/agreement"))
    for fact in (
        "Agreement with Cara",
        "Agreement with Dev",
        "Stay well " + HOSTILE,
        "My words: " + HOSTILE,
        "Within three months, and then for good",
        "Before any return: No one who uses drugs stays at your home.",
        "I want to go home.",
        "Cara's copy of their agreement",
    ):
        assert fact in agreement, fact
    support = _main_text(client.get(base + "/support-plan"))
    for fact in (
        "Provider " + HOSTILE,
        "Parenting programme",
        "Weekly for 10 weeks",
        "Partly engaging",
        "4 goals without enough support",
        "Cara: Get the children to school every day. No service supports this goal.",
    ):
        assert fact in support, fact
    overview = soup(client.get(base)).select_one(f'a[href="{base}/agreement"]')
    assert overview is not None
    assert overview.get_text(strip=True) == "Agreement and support"
    # A copy is only for a parent or carer of the family.
    child = planned.child("Ann")
    assert client.get(f"{base}/agreement/{child.id}/copy").status_code == 404


def test_a_parents_copy_as_page_pdf_and_word_in_plain_words_and_large_print(
    client: CheckingClient, db: Session, planned: Story
) -> None:
    copy = f"/families/{planned.family.id}/agreement/{planned.adult('Cara').id}/copy"
    page = _main_text(client.get(copy))
    pdf, large_pdf = client.get(copy + ".pdf"), client.get(copy + ".pdf?large=1")
    word, large_word = client.get(copy + ".docx"), client.get(copy + ".docx?large=1")
    texts = {"page": page, "pdf": pdf_text(pdf.content), "word": docx_text(word.content)}
    facts = (
        TITLE,
        "Stay well " + HOSTILE,
        "My words: " + HOSTILE,
        "Provider " + HOSTILE,
        "Keep a calm evening routine",
        "These must happen before Ann and Ben can come home:",
        "You signed this agreement on",
        f"Your social worker is {planned.practitioner.name}.",
        planned.practitioner.email,
    )
    for where, text in texts.items():
        for number, title in enumerate(COPY_SECTIONS, start=1):
            assert f"{number}. {title}" in text, (where, title)
        for fact in facts:
            # A PDF's text comes back with right-to-left runs in visual order.
            fact = fact.replace(HOSTILE, LATIN) if where == "pdf" else fact
            assert fact in text, (where, fact)
        assert any("\u05d0" <= character <= "\u05ea" for character in text), where
        # No staff jargon: where each line came from, or the content's hash.
        assert "[From the assessment" not in text, where
        assert "hash" not in text, where
    assert docx_text(large_word.content) == texts["word"]
    normal = Document(BytesIO(word.content)).styles["Normal"].font.size
    assert normal is None or normal.pt < 16
    assert Document(BytesIO(large_word.content)).styles["Normal"].font.size.pt == 16
    assert len(PdfReader(BytesIO(large_pdf.content)).pages) > len(
        PdfReader(BytesIO(pdf.content)).pages
    )
    exports = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.family_id) == planned.family.id,
            col(AuditEvent.action) == AuditAction.EXPORT,
        )
    ).all()
    assert sorted((e.details["document"], e.details["format"]) for e in exports) == [
        ("family's copy of the agreement", "docx"),
        ("family's copy of the agreement", "pdf"),
        ("family's copy of the agreement (large print)", "docx"),
        ("family's copy of the agreement (large print)", "pdf"),
    ]


def test_the_support_plan_form_refuses_a_service_ending_before_it_starts(
    client: CheckingClient, story: Story
) -> None:
    # The form page is open before the stage starts: no assessment needed first.
    story.session.commit()
    sign_in_as(client, story.session, story.practitioner)
    url = f"/families/{story.family.id}/sections/support-plan"
    form = {
        f"{questions.ITEMS}services": "s1",
        "a.services[s1].service-type": "respite",
        "a.services[s1].service-provider": "Provider " + HOSTILE,
        "a.services[s1].service-start-day": "10",
        "a.services[s1].service-start-month": "3",
        "a.services[s1].service-start-year": "2026",
        "a.services[s1].service-end-day": "1",
        "a.services[s1].service-end-month": "3",
        "a.services[s1].service-end-year": "2026",
        "version": "0",
        "action": "save",
    }
    response = post_form(client, url, form)
    assert response.status_code == 200
    page = soup(response)
    summary = [a.get_text(strip=True) for a in page.select(".govuk-error-summary a")]
    assert summary == [
        "Service 1: the planned end date must be the same as or after the start date"
    ]
    link = page.select_one(".govuk-error-summary a")
    assert link is not None
    assert link["href"] == "#a-services-s1-service-end-day"
    provider = page.select_one('[name="a.services[s1].service-provider"]')
    assert provider is not None
    assert provider["value"] == "Provider " + HOSTILE
    assert questions.section_row(story.session, story.family.id, "support-plan", 0) is None
