"""The summary's sections for the journey after the plan is agreed: each review, the children's
returns home with the visits after them, and the outcome. Registered in
app.summary.sections.SUMMARY_SECTIONS like every other section."""

from __future__ import annotations

import uuid

from app.content.journey import shape
from app.content.model import FrameworkContent
from app.models.journey import FAMILY_STATUS_LABELS, FamilyStatus
from app.models.progress import DecisionEffect
from app.services import returns
from app.summary.context import SummaryContext
from app.summary.document import THIRD_PARTY_LEFT_OUT, Block, FactList, Paragraph, Subheading, Table
from app.summary.reviews import across_reviews, goals_table, review_facts
from app.summary.text import isolate
from app.timeutil import format_date, format_datetime


def has_reviews(content: FrameworkContent) -> bool:
    return bool(shape(content).recurring)


def has_returns(content: FrameworkContent) -> bool:
    return shape(content).returns_section is not None


def has_outcomes(content: FrameworkContent) -> bool:
    return shape(content).outcomes_section is not None


def each_review(ctx: SummaryContext) -> list[Block]:
    history = ctx.reviews
    if not history.reviews:
        return [
            Paragraph(
                "No review has started yet: the first is scheduled when the plan is agreed.",
                "missing",
            )
        ]
    blocks: list[Block] = []
    if ctx.disclosure:
        blocks.append(Paragraph(THIRD_PARTY_LEFT_OUT, "notice"))
    for review in history.reviews:
        entries = len(review.entries)
        blocks += [
            Subheading(review.title),
            review_facts(review),
            goals_table(review, f"Progress on each goal at review {review.number}"),
        ]
        if review.decision is not None:
            blocks.append(Paragraph(f"Reasons for the decision: {review.decision.rationale}"))
        blocks.append(
            Paragraph(
                f"{entries} chronology {'entry' if entries == 1 else 'entries'} since the "
                "previous review (listed in the review's pack).",
                "hint",
            )
        )
    trend = across_reviews(history, history.reviews[-1].number)
    if trend is not None:
        blocks += [Subheading("Progress across the reviews"), trend]
    return blocks


def returns_and_monitoring(ctx: SummaryContext) -> list[Block]:
    names = {child.id: child.name for child in ctx.children}
    adults = {adult.id: adult.name for adult in ctx.adults}
    section = returns.returns_section(ctx.content)
    types = {option.id: option.label for option in section.return_types}
    went_home = returns.child_returns(ctx.session, ctx.family.id)
    blocks: list[Block] = []
    if not went_home:
        return [Paragraph("No child has gone home in this plan yet.", "missing")]
    blocks.append(
        Table(
            caption="Each child's return home",
            headers=("Child", "Went home", "To", "How", "Monitoring until", "Notes"),
            widths=(15, 15, 20, 20, 15, 15),
            rows=tuple(
                (
                    names.get(item.child_id, "A child no longer on the record"),
                    format_date(item.returned_on),
                    (
                        adults.get(item.carer_adult_id, item.carer_name)
                        if item.carer_adult_id
                        else item.carer_name
                    )
                    + (
                        ""
                        if item.carer_has_parental_responsibility
                        else " (no parental responsibility)"
                    ),
                    types.get(item.return_type, item.return_type)
                    + ("" if item.planned else " (unplanned)"),
                    format_date(item.monitor_until),
                    item.notes or "",
                )
                for item in went_home
            ),
        )
    )
    visits = returns.visits(ctx.session, ctx.family.id)
    blocks.append(Subheading("Visits after the return"))
    if not visits:
        blocks.append(Paragraph("No visit has been recorded since the return.", "missing"))
    else:
        rows = []
        for visit, seen in reversed(visits):
            who = "; ".join(
                isolate(names.get(item.child_id, "A child no longer on the record"))
                + (" (seen alone)" if item.seen_alone else "")
                for item in seen
            )
            rows.append(
                (
                    format_date(visit.visited_on),
                    who or "No child seen",
                    visit.concerns or "None recorded",
                    visit.actions or "",
                    "Yes" if visit.support_in_place else "No",
                )
            )
        blocks.append(
            Table(
                caption="Visits, oldest first",
                headers=("Date", "Children seen", "Concerns", "What was done", "Support in place"),
                widths=(15, 25, 25, 25, 10),
                rows=tuple(rows),
            )
        )
    blocks += _reentries(ctx, names)
    return blocks


def _reentries(ctx: SummaryContext, names: dict[uuid.UUID, str]) -> list[Block]:
    back = returns.reentries(ctx.session, ctx.family.id)
    if not back:
        return []
    return [
        Subheading("Back into care"),
        Table(
            caption="Children who came back into care after going home",
            headers=("Child", "Date", "Why"),
            widths=(25, 20, 55),
            rows=tuple(
                (
                    names.get(item.child_id, "A child no longer on the record"),
                    format_date(item.entered_on),
                    item.reason,
                )
                for item in back
            ),
        ),
    ]


def outcome(ctx: SummaryContext) -> list[Block]:
    status = FamilyStatus(ctx.family.status)
    blocks: list[Block] = [FactList((("Where the plan stands", FAMILY_STATUS_LABELS[status]),))]
    ending = [
        decision
        for decision in ctx.decisions
        if decision.superseded_at is None
        and decision.effect in (DecisionEffect.ENDS_PLAN.value, DecisionEffect.CLOSES_CASE.value)
    ]
    for decision in ending:
        info = ctx.content.sections.get(decision.gate_id)
        section = info.section if info else None
        labels = {option.id: option.label for option in getattr(section, "options", ())}
        who = ctx.names([decision.decided_by_id]).get(decision.decided_by_id, "Unknown")
        blocks.append(
            FactList(
                (
                    ("Decision", section.title if section else decision.gate_id),
                    ("Outcome", labels.get(decision.option_id, decision.option_id)),
                    ("Reasons", decision.rationale),
                    ("Decided by", f"{who}, {format_datetime(decision.decided_at)}"),
                )
            )
        )
    recorded = returns.outcomes(ctx.session, ctx.family.id)
    if not recorded:
        text = (
            "No outcome has been recorded for the children yet: outcomes are recorded when "
            "the case is ready to close."
        )
        blocks.append(Paragraph(text, "missing"))
        return blocks
    blocks.append(
        Table(
            caption="Each child's outcome",
            headers=("Child", "Outcome", "Back into care on", "Details"),
            widths=(25, 20, 20, 35),
            rows=tuple(
                (
                    child.name,
                    returns.outcome_label(recorded[child.id].outcome),
                    format_date(recorded[child.id].returned_to_care_on)
                    if recorded[child.id].returned_to_care_on
                    else "",
                    recorded[child.id].details or "",
                )
                for child in ctx.children
                if child.id in recorded
            ),
        )
    )
    return blocks
