"""The reviews as blocks of the summary's document model: the pack for one review meeting
(a `SummaryDocument` of its own, rendered by the summary's page, PDF and Word renderers), and
the blocks the summary across the journey shows for each review."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from app.content.model import FrameworkContent
from app.models.accounts import User
from app.models.base import utcnow
from app.models.family import Family
from app.services.assessment_summary import Answered
from app.services.chronology import describe_event_date
from app.services.review_pack import Review, ReviewHistory, review_history
from app.summary.document import (
    THIRD_PARTY_LEFT_OUT,
    Block,
    BulletList,
    FactList,
    Paragraph,
    Provenance,
    Section,
    Subheading,
    SummaryDocument,
    Table,
)
from app.timeutil import LONDON, format_date, format_datetime

NOT_YET = "Not recorded yet"


def light_text(goal_light: object) -> str:
    """A traffic light in words (never by colour alone)."""
    return getattr(goal_light, "label", None) or "Not rated"


def goal_name(goal: object) -> str:
    title = str(getattr(goal, "title", ""))
    return title if getattr(goal, "in_agreement", True) else f"{title} (no longer in the agreement)"


def review_facts(review: Review) -> FactList:
    held = format_date(review.held_on) if review.held_on else NOT_YET
    period = (
        f"{format_date(review.since)} to {format_date(review.until)}"
        if review.since
        else f"Up to {format_date(review.until)}"
    )
    decision = review.decision
    classification = review.classification
    return FactList(
        (
            ("Due", format_date(review.due_on)),
            ("Meeting held", held),
            ("Period covered", period),
            ("Risk level", classification.level if classification else NOT_YET),
            ("Decision", decision.outcome if decision else NOT_YET),
            ("Next review due", format_date(review.next_due) if review.next_due else "Not set yet"),
        )
    )


def goals_table(review: Review, caption: str) -> Block:
    if not review.goals:
        return Paragraph("No progress on the goals has been recorded in this review.", "missing")
    return Table(
        caption=caption,
        headers=("Goal", "Area", "Progress", "Evidence of progress"),
        widths=(30, 15, 15, 40),
        rows=tuple(
            (goal_name(goal), goal.area or "Not recorded", light_text(goal.light), goal.note)
            for goal in review.goals
        ),
    )


def _answers(rows: tuple[Answered, ...]) -> FactList:
    return FactList(tuple((row.label, row.answer) for row in rows))


def entries_table(review: Review, labels: dict[str, str]) -> Block:
    if not review.entries:
        return Paragraph("No chronology entries were dated or recorded in this period.", "hint")
    return Table(
        caption="Chronology entries since the last review, oldest first",
        headers=("Date", "What happened", "Impact on the child", "Significance"),
        widths=(15, 45, 25, 15),
        rows=tuple(
            (
                describe_event_date(entry.occurred_on, entry.date_precision),
                entry.what_happened,
                entry.impact_on_child or "Not recorded",
                labels.get(entry.significance, entry.significance),
            )
            for entry in review.entries
        ),
    )


def across_reviews(history: ReviewHistory, up_to: int) -> Block | None:
    """Each goal's progress at every review up to `up_to`: the trend in words."""
    reviews = [item for item in history.reviews if item.number <= up_to and item.goals]
    if len(reviews) < 2:
        return None
    goals: dict[str, str] = {}
    for review in reviews:
        for goal in review.goals:
            goals.setdefault(goal.goal_id, goal_name(goal))
    rows = []
    for goal_id, name in goals.items():
        cells = []
        for review in reviews:
            found = next((goal for goal in review.goals if goal.goal_id == goal_id), None)
            cells.append(light_text(found.light) if found else "Not reviewed")
        rows.append((name, *cells))
    return Table(
        caption="Progress on each goal at each review",
        headers=("Goal", *(f"Review {review.number}" for review in reviews)),
        rows=tuple(rows),
    )


def pack_sections(
    history: ReviewHistory,
    review: Review,
    content: FrameworkContent,
    *,
    disclosure: bool,
) -> tuple[Section, ...]:
    labels = {grade.id: grade.label for grade in content.chronology.significance}
    goals: list[Block] = [goals_table(review, "Progress on each goal at this review")]
    trend = across_reviews(history, review.number)
    if trend is not None:
        goals.append(trend)
    events: list[Block] = []
    if disclosure:
        events.append(Paragraph(THIRD_PARTY_LEFT_OUT, "notice"))
    events.append(entries_table(review, labels))
    found: list[Block] = []
    for title, rows in review.answers:
        found += [Subheading(title), _answers(rows)]
    if not found:
        found.append(Paragraph("This review has no other questions.", "hint"))
    services: list[Block] = []
    if history.services:
        services.append(
            Paragraph(
                "As the support plan records them now, with how the family is using each.", "hint"
            )
        )
        for service in history.services:
            services += [Subheading(service.title), _answers(service.answers)]
    else:
        services.append(Paragraph("No services are recorded in the support plan.", "missing"))
    return (
        Section("review", "About this review", (review_facts(review),)),
        Section("goals", "Progress on each goal", tuple(goals)),
        Section("events", "Chronology entries since the last review", tuple(events)),
        Section("findings", "What the review found", tuple(found)),
        Section("services", "Engagement with each service", tuple(services)),
        Section("classification", "Risk classification", tuple(classification_blocks(review))),
        Section("decision", "Decision and next review", tuple(decision_blocks(review))),
    )


def classification_blocks(review: Review) -> list[Block]:
    item = review.classification
    if item is None:
        return [Paragraph("No classification has been submitted in this review yet.", "missing")]
    blocks: list[Block] = [
        FactList(
            (
                ("Classification", item.section_title),
                ("Suggested by the rules", item.suggested),
                (
                    "Practitioner",
                    item.practitioner + (f": {item.rationale}" if item.rationale else ""),
                ),
                ("Supervisor", item.supervisor),
                ("Level that stands", item.level),
            )
        )
    ]
    if item.explanation:
        blocks += [
            Paragraph("Why the rules suggested this level when it was submitted:"),
            BulletList(item.explanation),
        ]
    return blocks


def decision_blocks(review: Review) -> list[Block]:
    item = review.decision
    next_due = format_date(review.next_due) if review.next_due else "Not set yet"
    if item is None:
        return [
            Paragraph("No decision has been recorded in this review yet.", "missing"),
            FactList((("Next review due", next_due),)),
        ]
    return [
        FactList(
            (
                ("Decision", f"{item.title}: {item.outcome}"),
                ("Reasons", item.rationale),
                ("Decided by", f"{item.decided_by}, {format_datetime(item.decided_at)}"),
                ("Meeting held", format_date(item.held_on) if item.held_on else NOT_YET),
                ("Next review due", next_due),
            )
        )
    ]


def build_review_pack(
    session: Session,
    *,
    family: Family,
    content: FrameworkContent,
    produced_by: User,
    number: int,
    disclosure: bool = False,
    now: datetime | None = None,
) -> SummaryDocument:
    """The pack for review `number` of `family` (NotFound when it has no such review)."""
    now = now or utcnow()
    today = now.astimezone(LONDON).date()
    history = review_history(
        session, family=family, content=content, today=today, third_party=not disclosure
    )
    review = history.review(number)
    title = f"Review pack: review {review.number}"
    return SummaryDocument(
        family_name=family.display_name,
        reference=family.reference,
        title=f"{title} (for disclosure)" if disclosure else title,
        as_of=today,
        provenance=Provenance.of(content, now, produced_by, disclosure),
        sections=pack_sections(history, review, content, disclosure=disclosure),
    )
