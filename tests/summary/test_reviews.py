"""Each review's pack (page, PDF, Word, disclosure copy), the trends across the reviews and the
summary's journey sections, for a family taken through two reviews and a return home by the
journey's real services; hostile text escaped everywhere; progress on a removed goal refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from app.demo.journey import Story
from app.models.assessment import AssessmentAnswer
from app.models.audit import AuditAction, AuditEvent
from app.services import questions
from app.services.errors import InvalidInput
from app.services.review_pack import review_history
from app.services.trends import trends
from app.summary.sections import SUMMARY_SECTIONS
from app.timeutil import london_today
from tests.factories import make_entry, make_team, make_user, sign_in_as
from tests.summary.support import docx_headings, docx_text, pdf_text
from tests.support.client import CheckingClient, soup
from tests.support.journey import agreed, assessed

PACK_SECTIONS = (
    "About this review",
    "Progress on each goal",
    "Chronology entries since the last review",
    "What the review found",
    "Engagement with each service",
    "Risk classification",
    "Decision and next review",
)
HOSTILE = "<b>Stop</b> =SUM(A1) قالت الأم 👨‍👩‍👧"


@pytest.fixture
def reviewed(story: Story) -> Story:
    """Two reviews (some progress, then on track) and Ann home after the second; a chronology
    entry in each review's period, one of them third-party."""
    assessed(story, 40)
    agreed(story, 36)
    today = london_today()
    with story.weeks_ago(31):
        make_entry(
            story.session,
            story.family,
            author=story.practitioner,
            occurred_on=today - timedelta(weeks=32),
            what="Missed two sessions at the recovery service",
            significance="amber",
        )
    with story.weeks_ago(30):
        story.review("amber", evidence="Two missed sessions; tests clear since.")
        story.classify("classification-before-return")
        story.sign_off("classification-before-return")
        story.decide("review-decision", "extend-timescale", "Needs three clear months.", held=True)
    with story.weeks_ago(21):
        entry = make_entry(
            story.session,
            story.family,
            author=story.practitioner,
            occurred_on=today - timedelta(weeks=22),
            what="Neighbour says the home is calm now",
            significance="green",
            themes=("good-contact",),
        )
    entry.third_party = True
    story.session.add(entry)
    with story.weeks_ago(18):
        story.review("green", evidence="Every goal on track for three months, says the school.")
        story.classify("classification-before-return")
        story.sign_off("classification-before-return")
        story.decide("review-decision", "proceed-gradual-return", "Weekend stays first.", held=True)
    with story.weeks_ago(16):
        story.go_home("Ann", "Cara", "planned-gradual", "Weekends first, then the school week.")
    with story.weeks_ago(15):
        story.visit("Ann", alone=("Ann",), concerns="Ann tired after school. " + HOSTILE)
    story.session.commit()
    return story


def files(client: CheckingClient, base: str, query: str = "") -> tuple[str, str, bytes]:
    page = client.get(base + query)
    pdf = client.get(base + ".pdf" + query)
    word = client.get(base + ".docx" + query)
    assert (page.status_code, pdf.status_code, word.status_code) == (200, 200, 200)
    assert pdf.headers["content-type"] == "application/pdf"
    main = soup(page).find("main")
    assert main is not None
    return " ".join(main.get_text(" ").split()), pdf_text(pdf.content), word.content


def test_the_pack_and_the_journey_summary_in_page_pdf_and_word(
    reviewed: Story, client: CheckingClient
) -> None:
    db = reviewed.session
    family = reviewed.family
    sign_in_as(client, db, reviewed.practitioner)
    reviews = client.get(f"/families/{family.id}/reviews")
    links = [a["href"] for a in soup(reviews).select("main a")]
    assert f"/families/{family.id}/reviews/2" in links
    assert f"/families/{family.id}/reviews/trends" in links

    base = f"/families/{family.id}/reviews/2"
    page, pdf, word = files(client, base)
    word_text = docx_text(word)
    assert docx_headings(word, 1) == ["Review pack: review 2"]
    for number, title in enumerate(PACK_SECTIONS, start=1):
        for text in (page, pdf):
            assert f"{number}. {title}" in text, (title, text[:200])
        assert f"{number}. {title}" in docx_headings(word, 2)
    facts = (
        "Met, or on track",  # this review's traffic light
        "Every goal on track for three months, says the school.",
        "Neighbour says the home is calm now",  # the entry of this review's period
        "Proceed with a return, in planned steps",
        "Weekend stays first.",
        "Progress on each goal at each review",  # the trend, review 1 beside review 2
        "Some progress",
        "Engaging well",  # a service's engagement (the demo's first option)
    )
    for fact in facts:
        assert fact in page, fact
        assert fact in pdf, fact
        assert fact in word_text, fact
    # Only the entries since the last review: review 1's entry is in its own pack.
    assert "Missed two sessions" not in page
    first = client.get(f"/families/{family.id}/reviews/1")
    assert "Missed two sessions at the recovery service" in first.text
    assert "Neighbour says the home is calm now" not in first.text

    # The disclosure copy leaves out the third-party entry, and says so.
    page, pdf, word = files(client, base, "?disclosure=1")
    assert "Neighbour says the home is calm now" not in page + pdf + docx_text(word)
    assert "marked as third-party" in page

    # The summary across the journey: the new sections with their facts in every format.
    page, pdf, word = files(client, f"/families/{family.id}/summary")
    word_text = docx_text(word)
    headings = docx_headings(word, 2)
    titles = [spec.title for spec in SUMMARY_SECTIONS]
    for wanted in ("Each review", "Going home and visits after the return", "Outcome"):
        number = titles.index(wanted) + 1
        assert f"{number}. {wanted}" in page
        assert f"{number}. {wanted}" in pdf
        assert f"{number}. {wanted}" in headings
    for fact in (
        "Review 2, before the return home",
        "Needs three clear months.",
        "Weekends first, then the school week.",
        "Ann tired after school.",
        "Working towards a return home",
    ):
        assert fact in page, fact
        assert fact in pdf, fact
        assert fact in word_text, fact

    # Hostile text in the new sections: shown as typed, never as markup.
    assert HOSTILE in page
    assert HOSTILE in word_text
    assert "<b>Stop</b> =SUM(A1)" in pdf
    assert soup(client.get(f"/families/{family.id}/summary")).find("b", string="Stop") is None

    # Every download is audited as an export, the disclosure copy marked as such.
    exports = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.family_id) == family.id, col(AuditEvent.action) == AuditAction.EXPORT
        )
    ).all()
    documents = {(row.details["document"], row.details["disclosure"]) for row in exports}
    assert ("review 2 pack", False) in documents
    assert ("review 2 pack", True) in documents

    # The trends: a chart per goal and per area with its text alternative, and the tables.
    trends_page = soup(client.get(f"/families/{family.id}/reviews/trends"))
    charts = trends_page.select("svg.hw-trend")
    assert charts
    for svg in charts:
        assert svg["role"] == "img"
        labelled = svg["aria-labelledby"].split()
        assert svg.find("title")["id"] == labelled[0]
        assert "Review 1: " in svg.find("desc").text
    goal_rows = trends_page.select("table")[0].select("tbody tr")
    assert len(goal_rows) == 2  # a goal in each parent's agreement
    assert [td.text for td in goal_rows[0].select("td")] == ["Some progress", "Met, or on track"]


def test_no_such_review_and_another_team(reviewed: Story, client: CheckingClient) -> None:
    db = reviewed.session
    sign_in_as(client, db, reviewed.practitioner)
    assert client.get(f"/families/{reviewed.family.id}/reviews/9").status_code == 404
    outsider = make_user(db, team=make_team(db))
    db.commit()
    sign_in_as(client, db, outsider)
    for suffix in ("/reviews/1", "/reviews/1.pdf", "/reviews/1.docx", "/reviews/trends"):
        assert client.get(f"/families/{reviewed.family.id}{suffix}").status_code in (403, 404)


def test_hostile_text_is_escaped_and_progress_on_a_removed_goal_is_refused(
    story: Story, client: CheckingClient
) -> None:
    db: Session = story.session
    assessed(story, 20)
    with story.weeks_ago(16):
        story.fill("written-agreement", {"goal-title": HOSTILE})
        story.fill("child-view-of-agreement")
        story.decide("agreement-sign-off", "signed-off", "Clear goals.")
        story.fill("support-plan", {"service-provider": HOSTILE})
        story.decide("support-plan-agreed", "agreed", "Services in place.")
    with story.weeks_ago(8):
        story.review("red", evidence=HOSTILE)
    db.commit()

    # A goal removed from the agreement (here: its answers gone) cannot be given progress.
    state = questions.section_state(db, story.family, story.content, "goal-progress", 1)
    form = {name: value for name, value in state.values.items()}
    gone = next(
        row
        for row in db.exec(
            select(AssessmentAnswer).where(
                col(AssessmentAnswer.family_id) == story.family.id,
                col(AssessmentAnswer.question_id) == "goal-title",
            )
        )
    )
    goal_id = gone.answer_key.split("goals[")[1].split("]")[0]
    for row in db.exec(
        select(AssessmentAnswer).where(col(AssessmentAnswer.answer_key).contains(goal_id))
    ).all():
        if row.cycle == 0:
            db.delete(row)
    db.flush()
    before = {
        row.answer_key: row.value_text
        for row in db.exec(select(AssessmentAnswer).where(col(AssessmentAnswer.cycle) == 1)).all()
    }
    form = {k: ("Changed" if "evidence" in k else v) for k, v in form.items()}
    with pytest.raises(InvalidInput) as refused:
        questions.save_section(
            db,
            actor=story.worker,
            family=story.family,
            content=story.content,
            section_id="goal-progress",
            form=form,
            expected_version=state.version,
            complete=False,
            cycle=1,
        )
    message = " ".join(refused.value.errors.values())
    assert "progress on a goal that is no longer in the written agreement" in message
    after = {
        row.answer_key: row.value_text
        for row in db.exec(select(AssessmentAnswer).where(col(AssessmentAnswer.cycle) == 1)).all()
    }
    assert after == before  # nothing partial saved

    history = review_history(db, family=story.family, content=story.content, today=london_today())
    # The removed goal keeps the name and area it had when the agreement was signed off.
    (removed,) = [goal for goal in history.reviews[0].goals if not goal.in_agreement]
    assert removed.title.startswith(HOSTILE)
    assert removed.area
    assert trends(history, story.content).goals

    sign_in_as(client, db, story.practitioner)
    db.commit()
    base = f"/families/{story.family.id}/reviews/1"
    page = client.get(base)
    html = soup(page)
    assert html.find("b", string="Stop") is None
    main_text = html.find("main").get_text(" ")
    assert HOSTILE in main_text
    assert [tag for tag in html.select('[dir="rtl"]') if "قالت" in tag.text] == []  # ltr first
    word = docx_text(client.get(base + ".docx").content)
    assert HOSTILE in word
    pdf = pdf_text(client.get(base + ".pdf").content)
    assert "<b>Stop</b> =SUM(A1)" in pdf
    trends_page = client.get(f"/families/{story.family.id}/reviews/trends")
    assert "<b>Stop</b>" not in trends_page.text
    assert "&lt;b&gt;Stop&lt;/b&gt;" in trends_page.text
