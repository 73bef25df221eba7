"""The written agreement with each parent and the support plan, read from the goal-setting and
support answers as plain data; the gaps between them (goals with no service, services that end
before a goal's date); and the strengths and concerns the assessment suggests for a new
agreement, each line saying where it came from.

The questions are found by their ids, as the review's `per_item` over `goals` finds the goals:
every version of the framework that asks them (1.1.0 and later, and a council's own versions
made from them) gets these views, whatever its wording. Questions a version does not ask are
simply empty (1.1.0 has no timescale, no "who agreed" and no areas for a service)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from app.content.model import FrameworkContent
from app.content.snapshot import AnswerValue, answer_key, parse_answer_key
from app.models.assessment import FactorStatus
from app.models.family import Family
from app.services import assessment_summary, questions
from app.timeutil import format_date

AGREEMENT = "agreement"
GOALS = "goals"
CONDITIONS = "non-negotiables"
CHILD_VIEWS = "child-agreement-views"
SERVICES = "services"
STRENGTHS = "agreement-strengths"
CONCERNS = "agreement-concerns"
# How a prefilled line names its origin; the family's copy leaves the origin off.
_ORIGIN = re.compile(r"\s*\[From the assessment[^\]]*\]\s*$")


@dataclass(frozen=True)
class Goal:
    item_id: str
    number: int
    title: str
    area_id: str
    area: str
    what_must_change: str
    evidence: str
    steps: str
    who: str
    due: date | None
    timescale: str
    support: str
    consequence: str

    @property
    def by_when(self) -> str:
        if self.due and self.timescale:
            return f"{format_date(self.due)} ({self.timescale})"
        if self.due:
            return format_date(self.due)
        return self.timescale or "Not set"


@dataclass(frozen=True)
class Condition:
    text: str
    before_return: bool | None


@dataclass(frozen=True)
class ParentAgreement:
    parent_id: str
    name: str
    strengths: str
    concerns: str
    goals: tuple[Goal, ...]
    conditions: tuple[Condition, ...]
    comments: str
    signed: bool | None
    agreed_on: date | None
    agreed_by: str

    @property
    def started(self) -> bool:
        return bool(self.strengths or self.concerns or self.goals or self.conditions)


@dataclass(frozen=True)
class ChildView:
    child_id: str
    name: str
    explained: bool | None
    view: str


@dataclass(frozen=True)
class Service:
    item_id: str
    number: int
    type_id: str
    kind: str
    for_whom: str
    area_ids: tuple[str, ...]
    areas: tuple[str, ...]
    provider: str
    timing: str
    start: date | None
    frequency: str
    end: date | None
    status: str
    engagement: str

    @property
    def name(self) -> str:
        return f"{self.kind} ({self.provider})" if self.provider else self.kind or "A service"


@dataclass(frozen=True)
class Gap:
    """A goal the support plan leaves without help: no service, or services that end early."""

    parent: str
    goal: Goal
    text: str


@dataclass(frozen=True)
class Agreement:
    parents: tuple[ParentAgreement, ...]
    children: tuple[ChildView, ...]
    services: tuple[Service, ...]
    # Whether the version links services to areas, so that gaps can be worked out at all.
    links_services: bool
    gaps: tuple[Gap, ...]

    def parent(self, parent_id: str) -> ParentAgreement | None:
        return next((p for p in self.parents if p.parent_id == parent_id), None)


def asks_agreement(content: FrameworkContent) -> bool:
    """Whether the version has a written agreement per parent with goals."""
    info = content.questions.get(AGREEMENT)
    goals = content.questions.get(GOALS)
    return bool(info and info.question.type == "per_parent" and goals and AGREEMENT in goals.groups)


def asks_services(content: FrameworkContent) -> bool:
    info = content.questions.get(SERVICES)
    return bool(info and info.question.type == "repeating")


class _Reader:
    """Answers by question id within given scopes, shown as a person reads them."""

    def __init__(self, content: FrameworkContent, answers: Mapping[str, AnswerValue]) -> None:
        self.content = content
        self.answers = answers
        self.items = questions.items_in(answers, content)

    def value(self, question_id: str, *scopes: tuple[str, str]) -> AnswerValue | None:
        if question_id not in self.content.questions:
            return None
        return self.answers.get(answer_key(question_id, *scopes))

    def text(self, question_id: str, *scopes: tuple[str, str]) -> str:
        value = self.value(question_id, *scopes)
        if questions.empty(value):
            return ""
        question = self.content.questions[question_id].question
        return assessment_summary.show_answer(self.content, question, value)

    def day(self, question_id: str, *scopes: tuple[str, str]) -> date | None:
        value = self.value(question_id, *scopes)
        return value if isinstance(value, date) else None

    def flag(self, question_id: str, *scopes: tuple[str, str]) -> bool | None:
        value = self.value(question_id, *scopes)
        return value if isinstance(value, bool) else None

    def choices(self, question_id: str, *scopes: tuple[str, str]) -> tuple[str, ...]:
        value = self.value(question_id, *scopes)
        if isinstance(value, tuple):
            return tuple(str(item) for item in value)
        return (str(value),) if isinstance(value, str) and value else ()

    def item_ids(self, group_id: str, *scopes: tuple[str, str]) -> list[str]:
        prefix = "".join(f"{group}[{instance}]." for group, instance in scopes) + group_id
        return self.items.get(prefix, [])


def _goal(reader: _Reader, number: int, *scopes: tuple[str, str]) -> Goal:
    area_ids = reader.choices("goal-area", *scopes)
    return Goal(
        item_id=scopes[-1][1],
        number=number,
        title=reader.text("goal-title", *scopes) or f"Goal {number}",
        area_id=area_ids[0] if area_ids else "",
        area=reader.text("goal-area", *scopes),
        what_must_change=reader.text("goal-what-must-change", *scopes),
        evidence=reader.text("goal-evidence", *scopes),
        steps=reader.text("goal-steps", *scopes),
        who=reader.text("goal-who", *scopes),
        due=reader.day("goal-by-when", *scopes),
        timescale=reader.text("goal-timescale", *scopes),
        support=reader.text("goal-support", *scopes),
        consequence=reader.text("goal-consequence", *scopes),
    )


def _parent(reader: _Reader, parent_id: str, name: str) -> ParentAgreement:
    scope = (AGREEMENT, parent_id)
    goals = tuple(
        _goal(reader, number, scope, (GOALS, item))
        for number, item in enumerate(reader.item_ids(GOALS, scope), start=1)
    )
    conditions = tuple(
        Condition(
            reader.text("condition-text", scope, (CONDITIONS, item)),
            reader.flag("condition-before-return", scope, (CONDITIONS, item)),
        )
        for item in reader.item_ids(CONDITIONS, scope)
    )
    return ParentAgreement(
        parent_id=parent_id,
        name=name,
        strengths=reader.text(STRENGTHS, scope),
        concerns=reader.text(CONCERNS, scope),
        goals=goals,
        conditions=tuple(c for c in conditions if c.text),
        comments=reader.text("parent-comments", scope),
        signed=reader.flag("agreement-signed-by-parent", scope),
        agreed_on=reader.day("agreement-date", scope),
        agreed_by=reader.text("agreement-agreed-by", scope),
    )


def _services(reader: _Reader) -> tuple[Service, ...]:
    found = []
    for number, item in enumerate(reader.item_ids(SERVICES), start=1):
        scope = (SERVICES, item)
        types = reader.choices("service-type", scope)
        area_ids = reader.choices("service-areas", scope)
        areas = reader.text("service-areas", scope)
        found.append(
            Service(
                item_id=item,
                number=number,
                type_id=types[0] if types else "",
                kind=reader.text("service-type", scope),
                for_whom=reader.text("service-for", scope),
                area_ids=area_ids,
                areas=tuple(areas.split("; ")) if areas else (),
                provider=reader.text("service-provider", scope),
                timing=reader.text("service-timing", scope),
                start=reader.day("service-start", scope),
                frequency=reader.text("service-frequency", scope),
                end=reader.day("service-end", scope),
                status=reader.text("service-status", scope),
                engagement=reader.text("service-engagement", scope),
            )
        )
    return tuple(found)


def gaps(
    parents: Sequence[ParentAgreement], services: Sequence[Service], links: bool
) -> tuple[Gap, ...]:
    """Goals with no service in their area, and goals whose services all end before the
    goal's date (a service with no end date carries on)."""
    if not links:
        return ()
    found = []
    for parent in parents:
        for goal in parent.goals:
            serving = [s for s in services if goal.area_id and goal.area_id in s.area_ids]
            if not serving:
                found.append(Gap(parent.name, goal, "No service supports this goal."))
                continue
            if goal.due and all(s.end and s.end < goal.due for s in serving):
                last = max(s.end for s in serving if s.end)
                found.append(
                    Gap(
                        parent.name,
                        goal,
                        f"Every service for this goal ends by {format_date(last)}, before the "
                        f"goal's date of {format_date(goal.due)}.",
                    )
                )
    return tuple(found)


def read(session: Session, *, family: Family, content: FrameworkContent) -> Agreement:
    """The family's agreements, the children's views of them and the support plan."""
    reader = _Reader(content, questions.family_answers(session, family, content, 0))
    people = questions.people_of(session, family)
    parents = (
        tuple(_parent(reader, pid, name) for pid, name in people.group_parents(content, AGREEMENT))
        if asks_agreement(content)
        else ()
    )
    children = tuple(
        ChildView(
            child_id,
            name,
            reader.flag("plan-explained", (CHILD_VIEWS, child_id)),
            reader.text("child-view-of-plan", (CHILD_VIEWS, child_id)),
        )
        for child_id, name in people.children
        if CHILD_VIEWS in content.questions
    )
    services = _services(reader) if asks_services(content) else ()
    links = "service-areas" in content.questions
    return Agreement(
        parents=parents,
        children=children,
        services=services,
        links_services=links,
        gaps=gaps(parents, services, links),
    )


def without_origins(text: str) -> str:
    """A prefilled text without the "[From the assessment: ...]" notes, for the family."""
    return "\n".join(_ORIGIN.sub("", line) for line in text.split("\n"))


# --- prefilling a new agreement from the assessment ----------------------------------------


@dataclass(frozen=True)
class Prefill:
    strengths: str
    concerns: str


def prefill(session: Session, *, family: Family, content: FrameworkContent) -> dict[str, Prefill]:
    """Per parent id: strengths (protective factors present, problem areas the parent is
    working on) and concerns (risk factors present, problem areas and how ready the parent is
    to change), one line each, with where it came from."""
    strengths: list[str] = []
    concerns: list[str] = []
    for domain in assessment_summary.factors_by_domain(session, family=family, content=content):
        for factor in (*domain.risk, *domain.protective):
            if factor.status != FactorStatus.PRESENT:
                continue
            origin = f"[From the assessment: {domain.title}]"
            line = f"{factor.text.rstrip('.')}. {origin}"
            (concerns if factor.kind == "risk" else strengths).append(line)
    result = {
        parent_id: Prefill("\n".join(strengths), "\n".join(concerns))
        for parent_id, _name in questions.people_of(session, family).group_parents(
            content, AGREEMENT
        )
    }
    for parent in assessment_summary.capacity_to_change(session, family=family, content=content):
        own_strengths: list[str] = []
        own_concerns: list[str] = []
        origin = f"[From the assessment: {parent.name}'s capacity to change]"
        for area in parent.problem_areas:
            said = {
                content.questions[row.question_id].question.fact: row
                for row in area.answers
                if row.answered
            }
            stage = said.get("parent-readiness-stage")
            if stage:
                own_concerns.append(f"{area.label} (readiness to change: {stage.answer}). {origin}")
            engaged = said.get("parent-engaged")
            months = said.get("parent-months-sustained")
            since = said.get("parent-change-since")
            if engaged and engaged.answer == "Yes":
                kept = f", with change kept up for {months.answer}" if months else ""
                kept = f", with change kept up since {since.answer}" if since else kept
                own_strengths.append(f"Working with services on {area.label}{kept}. {origin}")
        result[parent.parent_id] = Prefill(
            strengths="\n".join([*strengths, *own_strengths]),
            concerns="\n".join([*concerns, *own_concerns]),
        )
    return result


def prefill_form(
    session: Session, *, family: Family, content: FrameworkContent, state: questions.SectionState
) -> None:
    """Fill the strengths and concerns of an agreement never saved with what the assessment
    found, for the practitioner to change."""
    if state.version or not any(
        node.question.id in (STRENGTHS, CONCERNS) for node, _ in questions.walk(state.nodes)
    ):
        return
    suggested = prefill(session, family=family, content=content)
    for node, _labels in questions.walk(state.nodes):
        if node.question.id not in (STRENGTHS, CONCERNS) or state.values.get(node.name):
            continue
        parsed = parse_answer_key(node.key)
        scopes = parsed[0] if parsed else ()
        parent_id = next((instance for group, instance in scopes if group == AGREEMENT), None)
        found = suggested.get(parent_id or "")
        if found:
            text = found.strengths if node.question.id == STRENGTHS else found.concerns
            if text:
                state.values[node.name] = text
