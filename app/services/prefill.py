"""Type each fact once: a form never saved starts from what the family's record already holds,
each prefilled answer saying where it came from, for the practitioner to check and change.

- Capacity to change: each parent's problem areas start as the domains where a risk factor
  was rated present (one problem area per domain, per parent).
- Views: the professionals in family details start the list of professionals' views, with
  their names, roles and agencies; only their views are typed.
- The people a form names who are users (the manager who agreed the assessment, the author of
  the chronology) are picked from the team's staff (`staff_choices`), not typed.

Questions are found by their facts and ids, as `app.services.agreement` finds its own, so every
version of the framework that asks them gets the same help."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.schema import Question
from app.content.snapshot import parse_answer_key
from app.models.accounts import Role, User, UserRole
from app.models.assessment import FactorStatus
from app.models.family import Family
from app.services import assessment_summary, families, questions

PROBLEM_AREA = "parent-problem-area"
PROFESSIONAL_NAME = "professional-name"
PROFESSIONAL_ROLE = "professional-role"
# Questions whose answer is one of the council's staff: who may be picked for each.
STAFF_QUESTIONS: dict[str, tuple[Role, ...]] = {
    "assessment-agreed-by": (Role.SUPERVISOR, Role.MANAGER),
    "chronology-author": (Role.PRACTITIONER,),
}
ROLE_WORDS = {
    Role.SUPERVISOR: "team manager",
    Role.MANAGER: "service manager",
    Role.PRACTITIONER: "social worker",
}


def fill_from_record(
    session: Session, *, family: Family, content: FrameworkContent, state: questions.SectionState
) -> list[str]:
    """Prefill a section never saved from the record; what was prefilled, in words, for the
    page to say (nothing when the section has been saved before)."""
    if state.version:
        return []
    return [
        *_problem_areas(session, family, content, state),
        *_professionals(session, family, content, state),
    ]


def _empty_groups(state: questions.SectionState, ids: set[str]) -> list[questions.Node]:
    """The repeating groups, with no items yet, that ask any of the questions `ids` (by fact
    or by id)."""
    return [
        node
        for node, _labels in questions.walk(state.nodes)
        if node.question.type == "repeating"
        and not node.instances
        and any(
            inner.id in ids or getattr(inner, "fact", None) in ids
            for inner in getattr(node.question, "questions", ())
        )
    ]


def _with_items(
    session: Session,
    family: Family,
    content: FrameworkContent,
    state: questions.SectionState,
    groups: list[questions.Node],
    count: int,
) -> tuple[dict[str, int], list[questions.Node]]:
    """Give each group `count` new items; the position of each new item by its id, and the
    section's tree rebuilt with them."""
    items = dict(state.items)
    position: dict[str, int] = {}
    for group in groups:
        items[group.key] = [questions.new_item_id() for _ in range(count)]
        position.update({item: number for number, item in enumerate(items[group.key])})
    listing = questions.listing_for(session, family, content, state.section, items, state.cycle)
    state.items = items
    state.nodes = questions.build_tree(state.section.questions, {}, listing)
    return position, [node for node, _labels in questions.walk(state.nodes) if not node.is_group]


def _item_of(node: questions.Node) -> str | None:
    parsed = parse_answer_key(node.key)
    return parsed[0][-1][1] if parsed and parsed[0] else None


def _professionals(
    session: Session, family: Family, content: FrameworkContent, state: questions.SectionState
) -> list[str]:
    groups = _empty_groups(state, {PROFESSIONAL_NAME})
    people = families.contacts(session, family, "professional") if groups else ()
    if not people:
        return []
    position, fields = _with_items(session, family, content, state, groups, len(people))
    for node in fields:
        number = position.get(_item_of(node) or "")
        if number is None:
            continue
        person = people[number]
        if node.question.id == PROFESSIONAL_NAME:
            state.values[node.name] = person.name
        elif node.question.id == PROFESSIONAL_ROLE:
            state.values[node.name] = ", ".join(
                part for part in (person.role, person.organisation) if part
            )
    return [
        "The professionals come from family details: "
        + ", ".join(person.name for person in people)
        + ". Add each one's view, or remove anyone who has not given one."
    ]


def _problem_areas(
    session: Session, family: Family, content: FrameworkContent, state: questions.SectionState
) -> list[str]:
    groups = _empty_groups(state, {PROBLEM_AREA})
    rated = (
        [
            domain
            for domain in assessment_summary.factors_by_domain(
                session, family=family, content=content
            )
            if any(factor.status == FactorStatus.PRESENT for factor in domain.risk)
        ]
        if groups
        else []
    )
    if not rated:
        return []
    position, fields = _with_items(session, family, content, state, groups, len(rated))
    for node in fields:
        number = position.get(_item_of(node) or "")
        if number is not None and getattr(node.question, "fact", None) == PROBLEM_AREA:
            domain = rated[number].domain_id
            state.values.update(questions.form_fields(node.key, node.question, domain))
    return [
        "Problem areas for each parent come from the domains with a risk factor rated "
        f"present: {', '.join(domain.title for domain in rated)}. Remove any that do not apply "
        "to a parent."
    ]


@dataclass(frozen=True)
class StaffChoice:
    value: str  # what is saved: the person's name and role, as the question always kept it
    text: str


def staff_choices(
    session: Session, family: Family, question: Question, current: str
) -> list[StaffChoice] | None:
    """The people a staff question may name, from the family's team (None for any other
    question). The answer saved before stays a choice even when it names someone else."""
    roles = STAFF_QUESTIONS.get(question.id)
    if roles is None:
        return None
    rows = session.exec(
        select(User, UserRole.role)
        .join(UserRole, col(UserRole.user_id) == col(User.id))
        .where(
            col(User.active).is_(True),
            col(User.service_account).is_(False),
            col(UserRole.role).in_([role.value for role in roles]),
            # Service managers work across teams; everyone else is the family's team's.
            (col(User.team_id) == family.team_id) | (col(UserRole.role) == Role.MANAGER.value),
        )
        .order_by(col(User.name))
    ).all()
    choices: list[StaffChoice] = []
    seen: set[str] = set()
    for user, role in rows:
        value = f"{user.name}, {ROLE_WORDS[Role(role)]}"
        if value not in seen:
            seen.add(value)
            choices.append(StaffChoice(value, value))
    if current and current not in seen:
        choices.insert(0, StaffChoice(current, current))
    return choices
