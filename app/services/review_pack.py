"""What each review of the agreement held, read through the content's structures (never its
question ids), so that it holds for any framework version with reviews:

- the *goals* are the items of the repeating group a `per_item` group of a review section is
  asked about (the goals of every parent's agreement); a goal's *traffic light* is the first
  single choice of that `per_item` group, and its *note* the first long text;
- the *services* are the items of the repeating groups (not asked about each person) of the
  sections the reviews wait for (the support plan's services);
- the chronology entries dated or recorded after the previous review and up to this one;
- the review's classification, its decision, and when the next review is due.

The review pack, the trends and the summary's review sections all read this one model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, or_, select

from app.content.journey import shape
from app.content.model import FrameworkContent
from app.content.schema import PerItem, Question, Repeating
from app.content.snapshot import AnswerValue, answer_key, parse_answer_key
from app.models.assessment import Classification, SectionRevision
from app.models.chronology import ChronologyEntry
from app.models.family import Family
from app.models.journey import CyclePhase, ReviewCycle
from app.services import accounts, progress, questions
from app.services.assessment_summary import Answered, show_answer
from app.services.errors import NotFound
from app.timeutil import LONDON

PHASE_LABELS = {
    CyclePhase.BEFORE_RETURN.value: "before the return home",
    CyclePhase.AFTER_RETURN.value: "after the return home",
}


# --- where goals, traffic lights and services sit in the content -------------------------------


@dataclass(frozen=True)
class GoalShape:
    """Where a framework version keeps its goals and their progress at each review."""

    progress_group: PerItem  # asked at each review, once for each goal
    goals_group: Repeating  # the goals themselves (inside each parent's agreement)
    goals_section: str
    light: Question | None  # the traffic light: the first single choice of the progress group
    note: Question | None  # the first long text of the progress group
    title: Question | None  # a goal's name: the goals group's first short text
    area: Question | None  # a goal's area: the first choice among the domains
    due: Question | None  # by when: the goals group's first date


def goal_shape(content: FrameworkContent) -> GoalShape | None:
    """The goals and their traffic lights of `content`, or None if its reviews have none."""
    recurring = shape(content).recurring
    for info in content.questions.values():
        question = info.question
        if not isinstance(question, PerItem) or info.section_id not in recurring:
            continue
        goals = content.questions.get(question.of)
        if goals is None or not isinstance(goals.question, Repeating):
            continue
        inner = goals.question.questions
        return GoalShape(
            progress_group=question,
            goals_group=goals.question,
            goals_section=goals.section_id,
            light=_first(question.questions, "single_choice"),
            note=_first(question.questions, "long_text"),
            title=_first(inner, "short_text"),
            area=next(
                (
                    item
                    for item in inner
                    if item.type == "single_choice" and getattr(item, "options_from", None)
                ),
                None,
            ),
            due=_first(inner, "date"),
        )
    return None


def _first(asked: Sequence[Question], kind: str) -> Question | None:
    return next((item for item in asked if item.type == kind), None)


def service_groups(content: FrameworkContent) -> list[Repeating]:
    """The repeating groups of the sections the reviews wait for that are not asked about each
    person: the support plan's services."""
    journey = shape(content)
    waited_for: set[str] = set()
    for section_id in journey.recurring:
        waited_for |= journey.prerequisites.get(section_id, frozenset())
    waited_for -= journey.recurring
    return [
        info.question
        for info in content.questions.values()
        if isinstance(info.question, Repeating)
        and info.section_id in waited_for
        and not info.groups
    ]


# --- the model ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Light:
    """One option of the traffic light: its place on the scale (0 is the best)."""

    id: str
    label: str
    rank: int


@dataclass(frozen=True)
class GoalProgress:
    goal_id: str
    title: str  # "Goal (parent)"
    area: str  # the domain's title, or "" when not recorded
    due: date | None
    light: Light | None
    note: str
    in_agreement: bool  # False: removed from the agreement since (kept as recorded)


@dataclass(frozen=True)
class ServiceUse:
    title: str
    answers: tuple[Answered, ...]


@dataclass(frozen=True)
class ClassificationAt:
    section_title: str
    suggested: str
    practitioner: str
    rationale: str
    supervisor: str  # "Agreed (name, when)", or what is waiting
    level: str  # the level that stands: the supervisor's where they set one
    level_rank: int | None
    explanation: tuple[str, ...]


@dataclass(frozen=True)
class DecisionAt:
    title: str
    outcome: str
    rationale: str
    decided_by: str
    decided_at: datetime
    held_on: date | None


@dataclass(frozen=True)
class Review:
    number: int
    phase: str
    due_on: date
    held_on: date | None
    closed: bool
    since: date | None  # the previous review's date (None for the first)
    until: date  # this review's date, or today while it is under way
    goals: tuple[GoalProgress, ...]
    answers: tuple[tuple[str, tuple[Answered, ...]], ...]  # other questions, by section title
    entries: tuple[ChronologyEntry, ...]
    classification: ClassificationAt | None
    decision: DecisionAt | None
    next_due: date | None

    @property
    def title(self) -> str:
        return f"Review {self.number}, {PHASE_LABELS.get(self.phase, self.phase)}"


@dataclass(frozen=True)
class ReviewHistory:
    lights: tuple[Light, ...]  # the traffic light's options, best first
    reviews: tuple[Review, ...]
    services: tuple[ServiceUse, ...]  # as recorded now (the support plan is answered once)

    def review(self, number: int) -> Review:
        for item in self.reviews:
            if item.number == number:
                return item
        raise NotFound("There is no review with that number for this family.")


# --- reading it -----------------------------------------------------------------------------


def review_history(
    session: Session,
    *,
    family: Family,
    content: FrameworkContent,
    today: date,
    third_party: bool = True,
) -> ReviewHistory:
    """Every review of the family, oldest first; `third_party=False` leaves out chronology
    entries marked as third-party information (the disclosure copy)."""
    cycles = progress.load_state(session, family).cycles
    goals = goal_shape(content)
    lights = _lights(content, goals)
    people = questions.people_of(session, family)
    now_answers = questions.family_answers(session, family, content, 0)
    titles, details = _known_goals(session, family, content, goals, people, now_answers)
    in_agreement = (
        [
            item
            for item, _ in questions.items_elsewhere(
                content, now_answers, people, goals.goals_group.id
            )
        ]
        if goals
        else []
    )
    decisions = _decisions(session, family, content)
    classifications = _classifications(session, family, content)
    reviews = []
    previous: date | None = None
    for index, cycle in enumerate(cycles):
        until = _review_date(cycle) or today
        answers = questions.family_answers(session, family, content, cycle.number)
        following = cycles[index + 1] if index + 1 < len(cycles) else None
        reviews.append(
            Review(
                number=cycle.number,
                phase=cycle.phase,
                due_on=cycle.due_on,
                held_on=cycle.held_on,
                closed=cycle.closed_at is not None,
                since=previous,
                until=until,
                goals=_goal_progress(goals, lights, answers, titles, details, in_agreement),
                answers=_other_answers(content, cycle, answers),
                entries=_entries(session, family, previous, until, third_party),
                classification=classifications.get(cycle.number),
                decision=decisions.get(cycle.number),
                next_due=following.due_on if following else None,
            )
        )
        previous = until
    return ReviewHistory(
        lights=lights,
        reviews=tuple(reviews),
        services=_services(session, family, content, people, now_answers),
    )


def _review_date(cycle: ReviewCycle) -> date | None:
    if cycle.held_on:
        return cycle.held_on
    if cycle.closed_at:
        return cycle.closed_at.astimezone(LONDON).date()
    return None


def _lights(content: FrameworkContent, goals: GoalShape | None) -> tuple[Light, ...]:
    if goals is None or goals.light is None:
        return ()
    return tuple(
        Light(option.id, option.label, rank)
        for rank, option in enumerate(content.options(goals.light.id))
    )


Details = dict[str, tuple[str, date | None]]  # each goal's area (in words) and date, by goal id


def _known_goals(
    session: Session,
    family: Family,
    content: FrameworkContent,
    goals: GoalShape | None,
    people: questions.People,
    now_answers: dict[str, AnswerValue],
) -> tuple[dict[str, str], Details]:
    """Each goal's name, area and date, from the agreement as it is now and as it was at each
    sign-off, so that a goal removed since keeps what it had."""
    if goals is None:
        return {}, {}
    titles: dict[str, str] = {}
    details: Details = {}
    frozen = session.exec(
        select(SectionRevision)
        .where(
            col(SectionRevision.family_id) == family.id,
            col(SectionRevision.section_id) == goals.goals_section,
        )
        .order_by(col(SectionRevision.number))
    ).all()
    for revision in [*frozen, None]:
        values = now_answers if revision is None else revision.snapshot.get("answers", {})
        titles.update(questions.items_elsewhere(content, values, people, goals.goals_group.id))
        details.update(_goal_details(content, goals, values))
    return titles, details


def _goal_progress(
    goals: GoalShape | None,
    lights: tuple[Light, ...],
    answers: dict[str, AnswerValue],
    titles: dict[str, str],
    details: Details,
    in_agreement: list[str],
) -> tuple[GoalProgress, ...]:
    if goals is None:
        return ()
    by_id = {light.id: light for light in lights}
    group = goals.progress_group.id
    rated: list[str] = []
    for key in answers:
        parsed = parse_answer_key(key)
        if parsed and parsed[0] and parsed[0][-1][0] == group and parsed[0][-1][1] not in rated:
            rated.append(parsed[0][-1][1])
    # The goals in the agreement now, in its order, then any rated here that were removed since.
    order = in_agreement + [item for item in rated if item not in in_agreement]
    result = []
    for item in order:
        scope = ((group, item),)
        light = answers.get(answer_key(goals.light.id, *scope)) if goals.light else None
        note = answers.get(answer_key(goals.note.id, *scope)) if goals.note else None
        area, due = details.get(item, ("", None))
        result.append(
            GoalProgress(
                goal_id=item,
                title=titles.get(item, "A goal no longer in the agreement"),
                area=area,
                due=due,
                light=by_id.get(str(light)) if light else None,
                note=str(note or ""),
                in_agreement=item in in_agreement,
            )
        )
    return tuple(result)


def _goal_details(
    content: FrameworkContent, goals: GoalShape, answers: Mapping[str, Any]
) -> Details:
    """Each goal's area (in words) and date in `answers` (as saved, or as frozen in JSON)."""
    details: Details = {}
    wanted = {q.id for q in (goals.area, goals.due) if q is not None}
    for key, value in answers.items():
        parsed = parse_answer_key(key)
        if not parsed or parsed[1] not in wanted or not parsed[0]:
            continue
        group, item = parsed[0][-1]
        if group != goals.goals_group.id:
            continue
        area, due = details.get(item, ("", None))
        if goals.area is not None and parsed[1] == goals.area.id:
            area = show_answer(content, goals.area, value)
        elif isinstance(value, date):
            due = value
        elif isinstance(value, str):
            due = date.fromisoformat(value)
        details[item] = (area, due)
    return details


def _other_answers(
    content: FrameworkContent, cycle: ReviewCycle, answers: dict[str, AnswerValue]
) -> tuple[tuple[str, tuple[Answered, ...]], ...]:
    """The review's questions outside the goals' progress, section by section."""
    journey = shape(content)
    result = []
    for section_id in journey.review_sections(cycle.phase):
        section = journey.section(section_id)
        asked = [
            item
            for item in getattr(section, "questions", ())
            if item.type not in questions.GROUP_TYPES
        ]
        if not asked:
            continue
        rows = tuple(
            Answered(
                item.id,
                item.label,
                show_answer(content, item, answers.get(item.id)),
                item.id in answers,
            )
            for item in asked
        )
        result.append((section.title, rows))
    return tuple(result)


def _entries(
    session: Session,
    family: Family,
    since: date | None,
    until: date,
    third_party: bool,
) -> tuple[ChronologyEntry, ...]:
    """Entries dated after the previous review up to this one, and entries recorded in that
    time about earlier events (which the last review could not have seen)."""
    after = (
        datetime.combine(since + timedelta(days=1), datetime.min.time(), tzinfo=LONDON)
        if since
        else None
    )
    before = datetime.combine(until + timedelta(days=1), datetime.min.time(), tzinfo=LONDON)
    query = select(ChronologyEntry).where(
        col(ChronologyEntry.family_id) == family.id,
        col(ChronologyEntry.deleted_at).is_(None),
        col(ChronologyEntry.occurred_on) <= until,
        col(ChronologyEntry.created_at) < before,
    )
    if since is not None and after is not None:
        query = query.where(
            or_(col(ChronologyEntry.occurred_on) > since, col(ChronologyEntry.created_at) >= after)
        )
    if not third_party:
        query = query.where(col(ChronologyEntry.third_party).is_(False))
    return tuple(
        session.exec(
            query.order_by(col(ChronologyEntry.occurred_on), col(ChronologyEntry.created_at))
        ).all()
    )


def _decisions(
    session: Session, family: Family, content: FrameworkContent
) -> dict[int, DecisionAt]:
    """The decision that stands in each review (the latest, where one was reopened)."""
    rows = [
        row
        for row in progress.decision_rows(session, family)
        if row.cycle > 0 and row.superseded_at is None
    ]
    names = accounts.staff_names(session, (row.decided_by_id for row in rows))
    found: dict[int, DecisionAt] = {}
    for row in rows:
        info = content.sections.get(row.gate_id)
        section = info.section if info else None
        labels = {option.id: option.label for option in getattr(section, "options", ())}
        found[row.cycle] = DecisionAt(
            title=section.title if section else row.gate_id,
            outcome=labels.get(row.option_id, row.option_id),
            rationale=row.rationale,
            decided_by=names.get(row.decided_by_id, "Unknown"),
            decided_at=row.decided_at,
            held_on=row.held_on,
        )
    return found


def _classifications(
    session: Session, family: Family, content: FrameworkContent
) -> dict[int, ClassificationAt]:
    """The latest classification submitted in each review, with its supervisor's review."""
    rows = session.exec(
        select(Classification)
        .where(col(Classification.family_id) == family.id, col(Classification.cycle) > 0)
        .order_by(col(Classification.submitted_at))
    ).all()
    names = accounts.staff_names(
        session, [*(row.submitted_by_id for row in rows), *(row.reviewed_by_id for row in rows)]
    )
    found: dict[int, ClassificationAt] = {}
    for row in rows:
        info = content.sections.get(row.section_id)
        stands = row.supervisor_level or row.practitioner_level
        if row.reviewed_at is None:
            supervisor = "Waiting for a supervisor"
        else:
            verdict = "Agreed" if row.supervisor_agrees else "Did not agree"
            if row.supervisor_level and row.supervisor_level != row.practitioner_level:
                verdict += f", level {_level(content, row.supervisor_level)}"
            reviewer = names.get(row.reviewed_by_id) if row.reviewed_by_id else None
            supervisor = f"{verdict} ({reviewer or 'Unknown'})"
            if row.supervisor_comments:
                supervisor += f": {row.supervisor_comments}"
        found[row.cycle] = ClassificationAt(
            section_title=info.section.title if info else row.section_id,
            suggested=_level(content, row.suggested_level),
            practitioner=_level(content, row.practitioner_level),
            rationale=row.rationale or "",
            supervisor=supervisor,
            level=_level(content, stands),
            level_rank=_rank(content, stands),
            explanation=tuple(line.strip() for line in row.explanation.get("lines", ())),
        )
    return found


def _level(content: FrameworkContent, level_id: str | None) -> str:
    if not level_id:
        return "Not given"
    try:
        return content.level(level_id).label
    except KeyError:
        return level_id


def _rank(content: FrameworkContent, level_id: str | None) -> int | None:
    if not level_id:
        return None
    try:
        return content.level(level_id).rank
    except KeyError:
        return None


def _services(
    session: Session,
    family: Family,
    content: FrameworkContent,
    people: questions.People,
    answers: dict[str, AnswerValue],
) -> tuple[ServiceUse, ...]:
    result = []
    for group in service_groups(content):
        noun = group.item_label[0].upper() + group.item_label[1:]
        for number, item in enumerate(questions.items_in(answers, content).get(group.id, []), 1):
            rows = tuple(
                Answered(
                    question.id,
                    question.label,
                    show_answer(
                        content, question, answers.get(answer_key(question.id, (group.id, item)))
                    ),
                    answer_key(question.id, (group.id, item)) in answers,
                )
                for question in group.questions
                if question.type not in questions.GROUP_TYPES
            )
            named = [row.answer for row in rows if row.answered][:2]
            title = f"{noun} {number}" + (f": {', '.join(named)}" if named else "")
            result.append(ServiceUse(title=title, answers=rows))
    return tuple(result)
