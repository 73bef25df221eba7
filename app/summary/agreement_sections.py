"""The summary sections of the goal-setting and support stages: each parent's written agreement
with the children's views of it, and the support plan with the goals it leaves without help."""

from __future__ import annotations

from collections.abc import Sequence

from app.content.model import FrameworkContent
from app.services import agreement as agreements
from app.services.agreement import ParentAgreement
from app.summary.context import SummaryContext
from app.summary.document import Block, BulletList, FactList, Paragraph, Subheading, Table
from app.summary.text import isolate
from app.timeutil import format_date

NOT_LINKED = (
    "This version of the framework does not say which areas each service supports, so goals "
    "without a service are not worked out. Moving the family to a later version adds this."
)


def has_agreement(content: FrameworkContent) -> bool:
    return agreements.asks_agreement(content)


def has_services(content: FrameworkContent) -> bool:
    return agreements.asks_services(content)


def _agreed(parent: ParentAgreement) -> str:
    if parent.signed is None:
        return "Not recorded"
    if not parent.signed:
        return "Not yet agreed"
    when = f" on {format_date(parent.agreed_on)}" if parent.agreed_on else ""
    who = f" by {parent.agreed_by}" if parent.agreed_by else ""
    return f"Agreed and signed{when}{who}"


def _conditions(parent: ParentAgreement) -> list[Block]:
    if not parent.conditions:
        return []
    items = tuple(
        ("Before any return: " if condition.before_return else "At all times: ") + condition.text
        for condition in parent.conditions
    )
    return [Paragraph("Conditions that must be kept:"), BulletList(items)]


def _goals(parent: ParentAgreement) -> list[Block]:
    if not parent.goals:
        return [Paragraph(f"No goals have been written for {isolate(parent.name)} yet.", "missing")]
    rows = tuple(
        (
            f"{goal.number}. {goal.title}\n{goal.area}",
            f"{goal.what_must_change}\nShown by: {goal.evidence}",
            f"{goal.steps}\nWho does what: {goal.who}",
            goal.by_when,
            f"{goal.support}\nIf not met: {goal.consequence}",
        )
        for goal in parent.goals
    )
    return [
        Table(
            caption=f"Goals agreed with {isolate(parent.name)}",
            headers=(
                "Goal and area",
                "What must change, and how it will be shown",
                "Steps, and who does what",
                "By when",
                "Support offered, and what happens if it is not met",
            ),
            widths=(20, 25, 25, 10, 20),
            rows=rows,
        )
    ]


def written_agreement(ctx: SummaryContext) -> list[Block]:
    found = ctx.agreement
    started = [parent for parent in found.parents if parent.started]
    if not started:
        names = ", ".join(isolate(parent.name) for parent in found.parents)
        who = f" ({names})" if names else ": no parents or carers are recorded yet"
        return [Paragraph(f"No written agreement has been started{who}.", "missing")]
    blocks: list[Block] = []
    for parent in found.parents:
        blocks.append(Subheading(f"Agreement with {isolate(parent.name)}"))
        if not parent.started:
            blocks.append(Paragraph("This agreement has not been started yet.", "missing"))
            continue
        blocks.append(
            FactList(
                (
                    ("Agreed", _agreed(parent)),
                    ("Strengths to build on", parent.strengths or "Not recorded"),
                    ("Concerns that must change", parent.concerns or "Not recorded"),
                )
            )
        )
        blocks += _goals(parent)
        blocks += _conditions(parent)
        blocks.append(
            FactList(((f"{isolate(parent.name)}'s comments", parent.comments or "None recorded"),))
        )
    views = [child for child in found.children if child.view or child.explained is not None]
    if views:
        blocks.append(Subheading("The children's views of the plan"))
        blocks.append(
            FactList(
                tuple(
                    (
                        child.name,
                        (child.view or "Not recorded")
                        + ("" if child.explained else " (The plan has not been explained yet.)"),
                    )
                    for child in views
                )
            )
        )
    return blocks


def _dates(service: agreements.Service) -> str:
    start = format_date(service.start) if service.start else "No start date"
    end = format_date(service.end) if service.end else "no end date set"
    often = f"\n{service.frequency}" if service.frequency else ""
    return f"{start} to {end}{often}"


def _gaps(gaps: Sequence[agreements.Gap]) -> list[Block]:
    if not gaps:
        return [Paragraph("Every goal has a service that lasts until the goal's date.")]
    return [
        Paragraph(
            f"{len(gaps)} goal{'s' if len(gaps) != 1 else ''} without enough support:", "notice"
        ),
        BulletList(tuple(f"{isolate(gap.parent)}: {gap.goal.title}. {gap.text}" for gap in gaps)),
    ]


def support_plan(ctx: SummaryContext) -> list[Block]:
    found = ctx.agreement
    if not found.services:
        return [Paragraph("No services have been planned yet.", "missing")]
    rows = tuple(
        (
            f"{service.number}. {service.kind}\n{service.provider}",
            "\n".join(part for part in (service.for_whom, "; ".join(service.areas)) if part),
            service.timing,
            _dates(service),
            "\n".join(part for part in (service.status, service.engagement) if part),
        )
        for service in found.services
    )
    blocks: list[Block] = [
        Table(
            caption="Services",
            headers=(
                "Service and provider",
                "For whom, and the areas it supports",
                "Before or after the return",
                "Dates and how often",
                "Status and how the family is using it",
            ),
            widths=(25, 20, 15, 20, 20),
            rows=rows,
        )
    ]
    if not found.links_services:
        return [*blocks, Paragraph(NOT_LINKED, "hint")]
    return blocks + _gaps(found.gaps)
