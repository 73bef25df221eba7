"""Type each fact once: a form never saved starts from what the family's record already holds,
each prefilled answer saying where it came from, for the practitioner to check and change.

- Capacity to change: each parent's problem areas start as the domains where a risk factor
  was rated present (one problem area per domain, per parent).
- Views: the professionals in family details start the list of professionals' views, with
  their names, roles and agencies; only their views are typed.
- The people a form names who are users (the manager who agreed the assessment, the author of
  the chronology) are picked from the team's staff (`staff_choices`), not typed.
- A required question shown empty (`fill_empty`): the date the manager agreed the assessment
  starts as the day work with the family started; what has changed for a parent, and when the
  change began, start from the chronology's positive entries that name the parent.
- The chronology is offered the events the children's records hold (`record_entries`): coming
  into care, earlier times in care, earlier returns home and their breakdowns, each added with
  a choice of significance and nothing typed again.

Questions are found by their facts and ids, as `app.services.agreement` finds its own, so every
version of the framework that asks them gets the same help."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.schema import Question
from app.content.snapshot import parse_answer_key
from app.models.accounts import Role, User, UserRole
from app.models.assessment import FactorStatus
from app.models.chronology import ChronologyEntry, ChronologyEntryChild, ChronologyEntryTheme
from app.models.family import Adult, Child, Family
from app.services import assessment_summary, audit, chronology, families, progress, questions
from app.services.errors import InvalidInput
from app.timeutil import format_date

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


# Required questions shown empty -------------------------------------------------------------

AGREED_DATE = "assessment-agreed-date"
CHANGE_DETAIL = "behaviour-change-detail"
CHANGE_SINCE = "change-since"
CHANGE_QUESTIONS = {CHANGE_DETAIL, CHANGE_SINCE}


def fill_empty(
    session: Session, *, family: Family, content: FrameworkContent, state: questions.SectionState
) -> dict[str, str]:
    """Fill the required questions shown with no answer that the record answers (whether or
    not the section was saved before: an empty required answer is never the practitioner's
    last word). Where each came from, by field id, for the page to show beside it."""
    notes: dict[str, str] = {}
    parents: dict[str, Adult] | None = None
    for node, instance_nodes in _shown_fields(state.nodes, ()):
        question = node.question
        if not question.required or _answered(state.values, node):
            continue
        if question.id == AGREED_DATE and question.type == "date":
            state.values.update(questions.form_fields(node.key, question, family.work_started_on))
            notes[node.id] = (
                f"Prefilled with the day work with the family started ("
                f"{format_date(family.work_started_on)}). Change it if the manager agreed "
                "on another day."
            )
        elif question.id in CHANGE_QUESTIONS:
            if parents is None:
                parents = {str(adult.id): adult for adult in families.adults(session, family)}
            parent = next(
                (parents[instance] for _id, instance in _scopes(node) if instance in parents), None
            )
            if parent is None:
                continue
            area = next(
                (
                    state.values.get(inner.name)
                    for inner in instance_nodes
                    if getattr(inner.question, "fact", None) == PROBLEM_AREA
                ),
                None,
            )
            entries = _change_entries(session, family, content, parent, area)
            if not entries:
                continue
            first = entries[0].occurred_on
            if question.id == CHANGE_SINCE and question.type == "date":
                state.values.update(questions.form_fields(node.key, question, first))
                notes[node.id] = (
                    "Prefilled from the chronology: the first positive entry naming "
                    f"{_first_name(parent)}, {format_date(first)}. Change it if the change "
                    "began on another day."
                )
            elif question.id == CHANGE_DETAIL and question.type == "long_text":
                sources = chronology.sources(content)
                state.values[node.name] = "\n".join(
                    f"{format_date(entry.occurred_on)}, "
                    f"{sources.get(entry.source_id, entry.source_id)}: {entry.what_happened}"
                    for entry in entries
                )
                count = len(entries)
                noun = "entry" if count == 1 else "entries"
                notes[node.id] = (
                    f"Prefilled from the chronology: {count} positive {noun} naming "
                    f"{_first_name(parent)}. Say who has seen the change, and change anything "
                    "that does not apply."
                )
    return notes


def _shown_fields(
    nodes: list[questions.Node], siblings: tuple[questions.Node, ...]
) -> Iterator[tuple[questions.Node, tuple[questions.Node, ...]]]:
    """Each visible question with the questions of the group instance it sits in."""
    for node in nodes:
        if node.is_group:
            for instance in node.instances:
                yield from _shown_fields(instance.nodes, tuple(instance.nodes))
        elif node.visible:
            yield node, siblings


def _scopes(node: questions.Node) -> tuple[tuple[str, str], ...]:
    parsed = parse_answer_key(node.key)
    return parsed[0] if parsed else ()


def _answered(values: dict[str, object], node: questions.Node) -> bool:
    if node.question.type == "date":
        return any(values.get(f"{node.name}-{part}") for part in ("day", "month", "year"))
    return values.get(node.name) not in (None, "", [])


def _first_name(adult: Adult) -> str:
    return adult.name.split()[0] if adult.name.split() else adult.name


def _change_entries(
    session: Session,
    family: Family,
    content: FrameworkContent,
    parent: Adult,
    domain_id: object,
) -> list[ChronologyEntry]:
    """The chronology's positive entries (the content's mildest significance) since the
    children came into care that name the parent, oldest first; with a problem area, those
    whose themes show another domain are left out."""
    grades = content.chronology.significance
    if not grades:
        return []
    names = {parent.name.strip(), _first_name(parent)} - {""}
    named = re.compile(r"\b(" + "|".join(re.escape(name) for name in names) + r")\b")
    since = min(
        (child.date_entered_care for child in families.children(session, family)), default=None
    )
    query = select(ChronologyEntry).where(
        col(ChronologyEntry.family_id) == family.id,
        col(ChronologyEntry.deleted_at).is_(None),
        col(ChronologyEntry.significance) == grades[-1].id,
    )
    if since is not None:
        query = query.where(col(ChronologyEntry.occurred_on) >= since)
    entries = [
        entry
        for entry in session.exec(query.order_by(col(ChronologyEntry.occurred_on))).all()
        if named.search(entry.what_happened) or named.search(entry.who_was_involved or "")
    ]
    if not entries or not domain_id:
        return entries
    theme_domains = {theme.id: set(theme.domains) for theme in content.chronology.themes}
    themes: dict[uuid.UUID, set[str]] = {}
    for entry_id, theme_id in session.exec(
        select(ChronologyEntryTheme.entry_id, ChronologyEntryTheme.theme_id).where(
            col(ChronologyEntryTheme.entry_id).in_([entry.id for entry in entries])
        )
    ).all():
        themes.setdefault(entry_id, set()).update(theme_domains.get(theme_id, ()))
    return [entry for entry in entries if entry.id not in themes or domain_id in themes[entry.id]]


# Chronology entries the children's records already hold ------------------------------------


@dataclass(frozen=True)
class RecordEntry:
    """An event in a child's record, offered to the chronology: `key` names the record."""

    key: str
    occurred_on: date
    what_happened: str
    child_id: uuid.UUID
    theme_ids: tuple[str, ...] = ()


def record_entries(
    session: Session, *, family: Family, content: FrameworkContent
) -> list[RecordEntry]:
    """The children's recorded events not yet in the chronology, oldest first. An entry of
    the same day about the child (or about no child in particular) already tells it."""
    children = list(families.children(session, family))
    if not children:
        return []
    names = {child.id: child.name for child in children}
    ids = list(names)
    # Most families have no earlier times in care or returns: then they are not asked for.
    has = progress.records(session, family.id)
    found: list[RecordEntry] = []
    for child in children:
        legal = content.term_label("legal_statuses", child.legal_status)
        reason = content.term_label("entry_reasons", child.entry_reason)
        found.append(
            RecordEntry(
                f"care:{child.id}",
                child.date_entered_care,
                f"{child.name} came into care ({legal}). Main reason: {reason}.",
                child.id,
            )
        )
    for episode in families.care_episodes(session, ids) if has.care_episodes else ():
        legal = content.term_label("legal_statuses", episode.legal_status)
        found.append(
            RecordEntry(
                f"episode:{episode.id}",
                episode.started_on,
                f"{names[episode.child_id]} came into care ({legal}).",
                episode.child_id,
            )
        )
    causes = families.breakdown_causes(content)
    known_themes = chronology.themes(content)
    for item in families.earlier_returns(session, ids) if has.earlier_returns else ():
        name = names[item.child_id]
        how = {"planned": " (a planned return)", "unplanned": " (an unplanned return)"}
        to = f" to {item.returned_to}" if item.returned_to else ""
        found.append(
            RecordEntry(
                f"return:{item.id}",
                item.returned_on,
                f"{name} went home{to}{how.get(item.planned or '', '')}.",
                item.child_id,
                tuple(
                    theme
                    for theme in ("unplanned-return",)
                    if item.planned == "unplanned" and theme in known_themes
                ),
            )
        )
        if item.broke_down and item.ended_on:
            cause = causes.get(item.breakdown_cause or "")
            found.append(
                RecordEntry(
                    f"breakdown:{item.id}",
                    item.ended_on,
                    f"{name}'s return home broke down" + (f": {cause}." if cause else "."),
                    item.child_id,
                    tuple(theme for theme in ("return-breakdown",) if theme in known_themes),
                )
            )
    told = _told(session, family, {entry.occurred_on for entry in found})
    return sorted(
        (
            entry
            for entry in found
            if entry.child_id not in told.get(entry.occurred_on, set())
            and None not in told.get(entry.occurred_on, set())
        ),
        key=lambda entry: (entry.occurred_on, entry.key),
    )


def _told(session: Session, family: Family, days: set[date]) -> dict[date, set[uuid.UUID | None]]:
    """For each of `days`, the children the chronology's entries of that day are about (None
    for an entry about no child in particular)."""
    rows = session.exec(
        select(col(ChronologyEntry.occurred_on), col(ChronologyEntryChild.child_id))
        .join(
            ChronologyEntryChild,
            col(ChronologyEntryChild.entry_id) == col(ChronologyEntry.id),
            isouter=True,
        )
        .where(
            col(ChronologyEntry.family_id) == family.id,
            col(ChronologyEntry.deleted_at).is_(None),
            col(ChronologyEntry.occurred_on).in_(days),
        )
    ).all()
    told: dict[date, set[uuid.UUID | None]] = {}
    for day, child_id in rows:
        told.setdefault(day, set()).add(child_id)
    return told


def add_record_entry(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    key: str,
    significance: str,
) -> ChronologyEntry:
    """Add one of `record_entries` to the chronology with the significance chosen; its
    source is the council's case files (the children's records are kept there)."""
    entry = next(
        (
            item
            for item in record_entries(session, family=family, content=content)
            if item.key == key
        ),
        None,
    )
    if entry is None:
        raise InvalidInput({"record": "This event is in the chronology already"})
    sources = chronology.sources(content)
    source = "case-file" if "case-file" in sources else next(iter(sources), "")
    return chronology.add_entry(
        session,
        actor=actor,
        family=family,
        content=content,
        details=chronology.EntryDetails(
            occurred_on=entry.occurred_on,
            date_precision="day",
            source_id=source,
            what_happened=entry.what_happened,
            significance=significance,
            theme_ids=entry.theme_ids,
            child_ids=(entry.child_id,),
        ),
    )


# Recording a return home ---------------------------------------------------------------------


def return_home(
    session: Session, *, family: Family, children: list[Child]
) -> tuple[dict[str, str], dict[str, str]]:
    """The going-home form's start: with one child still in care, the child and their legal
    status from their record; with one parent or carer in the household holding parental
    responsibility, that carer. The values, and where each came from by field name."""
    values: dict[str, str] = {}
    notes: dict[str, str] = {}
    if len(children) == 1:
        child = children[0]
        values.update(child_id=str(child.id), legal_status=child.legal_status)
        notes["legal_status"] = (
            f"Prefilled from {child.name}'s record. Change it if it changed on going home."
        )
    carers = [
        adult
        for adult in families.adults(session, family)
        if adult.lives_in_household and adult.parental_responsibility
    ]
    if len(carers) == 1:
        values["carer"] = str(carers[0].id)
        notes["carer"] = "Prefilled from family details: the one parent in the household."
    return values, notes
