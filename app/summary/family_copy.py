"""The family's own copy of a parent's written agreement: the same agreement in plain English,
short sentences and no jargon, in the words recorded with the family, with the practitioner's
name and how to reach them. One `SummaryDocument`, so the page, the PDF and the Word file (and
their large-print variants) come from the renderers the summary uses.

Reading ease is measured on this text in the tests (Flesch reading ease, see
docs/guide-goal-setting.md for the target): the fixed wording here is kept short for that."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from app.content.model import FrameworkContent
from app.models.accounts import User
from app.models.base import utcnow
from app.models.family import Family
from app.services import agreement as agreements
from app.services import questions
from app.services.agreement import Agreement, ParentAgreement
from app.services.errors import NotFound
from app.summary.document import (
    Block,
    BulletList,
    FactList,
    Paragraph,
    Provenance,
    Section,
    Subheading,
    SummaryDocument,
)
from app.summary.text import isolate
from app.timeutil import LONDON, format_date

TITLE = "Your agreement"
NOT_WRITTEN = "We have not written this part yet."


def _names(names: Sequence[str]) -> str:
    shown = [isolate(name) for name in names]
    if len(shown) < 2:
        return "".join(shown) or "your children"
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def _lines(text: str) -> list[Block]:
    lines = tuple(
        line.strip() for line in agreements.without_origins(text).split("\n") if line.strip()
    )
    return [BulletList(lines)] if lines else [Paragraph(NOT_WRITTEN)]


def _about(parent: ParentAgreement, children: Sequence[str]) -> list[Block]:
    return [
        Paragraph(f"This agreement is for {isolate(parent.name)}."),
        Paragraph(f"It is about {_names(children)} coming home."),
        Paragraph("It says what needs to change, and by when."),
        Paragraph("It says what help you will get."),
        Paragraph("It also says what will happen if things do not change."),
        Paragraph("We wrote it with you. If something is wrong, tell your social worker."),
    ]


def _goals(parent: ParentAgreement) -> list[Block]:
    if not parent.goals:
        return [Paragraph(NOT_WRITTEN)]
    blocks: list[Block] = []
    for goal in parent.goals:
        blocks.append(Subheading(f"Goal {goal.number}: {goal.title}"))
        rows = (
            ("What needs to change", goal.what_must_change),
            ("How we will know", goal.evidence),
            ("The steps", goal.steps),
            ("Who will do what", goal.who),
            ("By when", goal.by_when),
            ("Help you will get", goal.support),
            ("If this does not happen", goal.consequence),
        )
        blocks.append(FactList(tuple((label, text) for label, text in rows if text)))
    return blocks


def _conditions(parent: ParentAgreement, children: Sequence[str]) -> list[Block]:
    before = tuple(c.text for c in parent.conditions if c.before_return)
    always = tuple(c.text for c in parent.conditions if not c.before_return)
    if not before and not always:
        return [Paragraph("There are no extra rules in this agreement.")]
    blocks: list[Block] = []
    if before:
        blocks += [
            Paragraph(f"These must happen before {_names(children)} can come home:"),
            BulletList(before),
        ]
    if always:
        blocks += [Paragraph("These must happen all the time:"), BulletList(always)]
    return blocks


def _help(found: Agreement) -> list[Block]:
    if not found.services:
        return [Paragraph("We have not planned the help yet. We will talk to you about it.")]
    items = []
    for service in found.services:
        parts = [service.name + "."]
        if service.frequency:
            parts.append(f"How often: {service.frequency}.")
        if service.start:
            parts.append(f"Starts: {format_date(service.start)}.")
        if service.end:
            parts.append(f"Ends: {format_date(service.end)}.")
        items.append(" ".join(parts))
    return [BulletList(tuple(items))]


def _children(found: Agreement) -> list[Block]:
    views = [child for child in found.children if child.view]
    if not views:
        return [Paragraph("We have not written down what your children think yet.")]
    return [FactList(tuple((child.name, child.view) for child in views))]


def _agreed(parent: ParentAgreement) -> list[Block]:
    if not parent.signed:
        return [Paragraph("You have not signed this agreement yet.")]
    blocks: list[Block] = []
    if parent.agreed_on:
        blocks.append(Paragraph(f"You signed this agreement on {format_date(parent.agreed_on)}."))
    else:
        blocks.append(Paragraph("You signed this agreement."))
    if parent.agreed_by:
        blocks.append(Paragraph(f"Agreed by: {parent.agreed_by}"))
    return blocks


def _contact(practitioner: User | None) -> list[Block]:
    if practitioner is None:
        return [Paragraph("Call children's services and ask for your social worker.")]
    return [
        Paragraph(f"Your social worker is {isolate(practitioner.name)}."),
        Paragraph(f"Email: {practitioner.email}"),
        Paragraph("Please get in touch if you have a question, or if things change."),
    ]


def build_family_copy(
    session: Session,
    *,
    family: Family,
    content: FrameworkContent,
    parent_id: str,
    produced_by: User,
    large_print: bool = False,
    now: datetime | None = None,
) -> SummaryDocument:
    """The plain-English copy of one parent's agreement, or NotFound for someone who is not a
    parent or carer of the family."""
    found = agreements.read(session, family=family, content=content)
    parent = found.parent(parent_id)
    if parent is None:
        raise NotFound("There is no agreement for this person.")
    children = [name for _id, name in questions.people_of(session, family).children]
    practitioner = (
        session.get(User, family.allocated_practitioner_id)
        if family.allocated_practitioner_id
        else None
    )
    parts: list[tuple[str, str, list[Block]]] = [
        ("about", "About this agreement", _about(parent, children)),
        ("going-well", "What is going well", _lines(parent.strengths)),
        ("worries", "What we are worried about", _lines(parent.concerns)),
        ("goals", "What needs to change", _goals(parent)),
        ("rules", "Things that must happen", _conditions(parent, children)),
        ("help", "Help you will get", _help(found)),
        ("children", "What your children think", _children(found)),
        (
            "your-words",
            "What you said",
            [Paragraph(parent.comments)] if parent.comments else [Paragraph(NOT_WRITTEN)],
        ),
        ("signed", "Signing the agreement", _agreed(parent)),
        ("contact", "Who to contact", _contact(practitioner)),
    ]
    now = now or utcnow()
    return SummaryDocument(
        family_name=parent.name,
        reference=family.reference,
        title=TITLE,
        as_of=now.astimezone(LONDON).date(),
        provenance=Provenance(
            framework_id=content.id,
            framework_title=content.framework.title,
            framework_version=content.version,
            content_hash=content.content_hash,
            data_as_at=now,
            produced_by=produced_by.name,
            disclosure=True,
        ),
        sections=tuple(Section(sid, title, tuple(blocks)) for sid, title, blocks in parts),
        family_copy=True,
        large_print=large_print,
    )
