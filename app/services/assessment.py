"""The assessment's guided forms: answers to the questions of the family's pinned content
version, risk and protective factor ratings, drafts, completion and frozen revisions.

A section page posts every field it shows. Answers are named `a.<answer key>` (dates add
`-day`, `-month`, `-year`), factor fields `f.<factor id>.status` and `f.<factor id>.notes`, and
the items of each repeating group `items.<group key>`. `show_when` is evaluated on what was
posted, so a question hidden by the new answers is not saved and its old answer is dropped.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.rules import show_when_holds
from app.content.schema import (
    FactorsSection,
    GateSection,
    PerChild,
    PerItem,
    PerParent,
    Question,
    QuestionsSection,
    Repeating,
    Section,
)
from app.content.snapshot import AnswerValue, Scope, answer_key, parse_answer_key
from app.db import atomic
from app.models.assessment import (
    AssessmentAnswer,
    AssessmentSection,
    FactorEvidence,
    FactorRating,
    FactorStatus,
    SectionRevision,
)
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.models.chronology import ChronologyEntry
from app.models.family import Adult, Child, Family
from app.models.progress import SectionStatus
from app.services import audit, progress
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.locking import check_version, saving
from app.services.records import Problems
from app.timeutil import london_today

ANSWER = "a."
FACTOR = "f."
ITEMS = "items."
FORM_SECTION_KINDS = ("questions", "factors")
GROUP_TYPES = ("per_parent", "per_child", "repeating", "per_item")
_ITEM_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
NOTES_MAX = 5000
STALE_SECTION = (
    "Someone else saved this section after you opened it. Your answers are below and have not "
    "been saved: check them, then save again to keep them."
)


def field_id(name: str) -> str:
    """An HTML id for a form field name (answer keys hold brackets and dots)."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-")


# --- people and items -----------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    """Whom per-parent and per-child questions are asked about: (id, name) pairs."""

    parents: tuple[tuple[str, str], ...] = ()
    children: tuple[tuple[str, str], ...] = ()

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.parents + self.children)


def people_of(session: Session, family: Family) -> People:
    adults = session.exec(
        select(Adult)
        .where(col(Adult.family_id) == family.id, col(Adult.deleted_at).is_(None))
        .order_by(col(Adult.created_at), col(Adult.name))
    ).all()
    children = session.exec(
        select(Child)
        .where(col(Child.family_id) == family.id, col(Child.deleted_at).is_(None))
        .order_by(col(Child.date_of_birth), col(Child.name))
    ).all()
    return People(
        parents=tuple((str(adult.id), adult.name) for adult in adults),
        children=tuple((str(child.id), child.name) for child in children),
    )


def _prefix(scopes: Sequence[Scope], group_id: str) -> str:
    return "".join(f"{group}[{instance}]." for group, instance in scopes) + group_id


def items_in(keys: Iterable[str], content: FrameworkContent) -> dict[str, list[str]]:
    """The item ids of each repeating group (by group key) that answer keys mention."""
    items: dict[str, list[str]] = {}
    for key in keys:
        parsed = parse_answer_key(key)
        if parsed is None:
            continue
        scopes = parsed[0]
        for depth, (group_id, instance) in enumerate(scopes):
            info = content.questions.get(group_id)
            if info is None or info.question.type != "repeating":
                continue
            found = items.setdefault(_prefix(scopes[:depth], group_id), [])
            if instance not in found:
                found.append(instance)
    return items


def new_item_id() -> str:
    return uuid.uuid4().hex[:12]


# --- the question tree ----------------------------------------------------------------------


@dataclass
class Instance:
    """One instance of a group: a parent, a child or an item, with its questions."""

    id: str
    label: str
    scopes: tuple[Scope, ...]
    nodes: list[Node]


@dataclass
class Node:
    """A question as shown for the family: its answer key, whether show_when shows it, and
    for a group its instances."""

    question: Question
    key: str
    visible: bool
    instances: list[Instance] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return self.question.type in GROUP_TYPES

    @property
    def name(self) -> str:
        return ANSWER + self.key

    @property
    def id(self) -> str:
        return field_id(self.name)


def _scoped_answers(
    values: Mapping[str, AnswerValue], scopes: tuple[Scope, ...]
) -> dict[str, AnswerValue]:
    """Answers a show_when in `scopes` may test: its own instance's and every enclosing one's
    (inner answers win), by question id."""
    by_depth: dict[int, dict[str, AnswerValue]] = {}
    for key, value in values.items():
        parsed = parse_answer_key(key)
        if parsed is None:
            continue
        key_scopes, question_id = parsed
        if key_scopes == scopes[: len(key_scopes)]:
            by_depth.setdefault(len(key_scopes), {})[question_id] = value
    merged: dict[str, AnswerValue] = {}
    for depth in sorted(by_depth):
        merged.update(by_depth[depth])
    return merged


def build_tree(
    questions: Sequence[Question],
    values: Mapping[str, AnswerValue],
    people: People,
    items: Mapping[str, Sequence[str]],
    scopes: tuple[Scope, ...] = (),
    parent_visible: bool = True,
) -> list[Node]:
    """The section's questions for this family, with show_when evaluated on `values`."""
    scoped = _scoped_answers(values, scopes)
    nodes = []
    for question in questions:
        visible = parent_visible and (
            question.show_when is None or show_when_holds(question.show_when, scoped)
        )
        node = Node(question=question, key=answer_key(question.id, *scopes), visible=visible)
        if isinstance(question, PerParent | PerChild | Repeating | PerItem):
            for instance_id, label in _instances(question, scopes, people, items):
                inner = (*scopes, (question.id, instance_id))
                node.instances.append(
                    Instance(
                        id=instance_id,
                        label=label,
                        scopes=inner,
                        nodes=build_tree(question.questions, values, people, items, inner, visible),
                    )
                )
        nodes.append(node)
    return nodes


def _instances(
    question: Question,
    scopes: tuple[Scope, ...],
    people: People,
    items: Mapping[str, Sequence[str]],
) -> list[tuple[str, str]]:
    if isinstance(question, PerParent):
        return list(people.parents)
    if isinstance(question, PerChild):
        return list(people.children)
    if isinstance(question, Repeating):
        noun = question.item_label[0].upper() + question.item_label[1:]
        ids = items.get(_prefix(scopes, question.id), [])
        return [(item, f"{noun} {number}") for number, item in enumerate(ids, start=1)]
    if isinstance(question, PerItem):
        ids = items.get(_prefix(scopes, question.of), [])
        return [(item, f"Item {number}") for number, item in enumerate(ids, start=1)]
    return []


def walk(nodes: Iterable[Node]) -> Iterable[tuple[Node, tuple[str, ...]]]:
    """Every node of a tree with the labels of the instances around it (outermost first)."""
    for node in nodes:
        yield node, ()
        for instance in node.instances:
            for inner, labels in walk(instance.nodes):
                yield inner, (instance.label, *labels)


# --- values: database rows, form fields ------------------------------------------------------


def value_of(row: AssessmentAnswer, question: Question | None) -> AnswerValue | None:
    """An answer's value as the rules engine reads it."""
    kind = question.type if question else None
    if kind in {"short_text", "long_text"} or (kind is None and row.value_text is not None):
        return row.value_text
    if kind == "yes_no" or (kind is None and row.value_bool is not None):
        return row.value_bool
    if kind == "single_choice" or (kind is None and row.value_choice is not None):
        return row.value_choice
    if kind in {"multiple_choice", "factor_checklist"} or (
        kind is None and row.value_choices is not None
    ):
        return tuple(row.value_choices or ())
    if kind == "date" or (kind is None and row.value_date is not None):
        return row.value_date
    if row.value_number is None:
        return None
    integer = kind == "scale" or getattr(question, "integer", False) or kind is None
    if integer and float(row.value_number).is_integer():
        return int(row.value_number)
    return row.value_number


def _columns(question: Question, value: AnswerValue) -> dict[str, Any]:
    columns: dict[str, Any] = {
        "value_text": None,
        "value_choice": None,
        "value_choices": None,
        "value_date": None,
        "value_number": None,
        "value_bool": None,
    }
    if question.type in {"short_text", "long_text"}:
        columns["value_text"] = value
    elif question.type == "yes_no":
        columns["value_bool"] = value
    elif question.type == "single_choice":
        columns["value_choice"] = value
    elif question.type in {"multiple_choice", "factor_checklist"}:
        columns["value_choices"] = list(value) if isinstance(value, tuple) else [value]
    elif question.type == "date":
        columns["value_date"] = value
    else:
        columns["value_number"] = float(value) if not isinstance(value, date | tuple) else None
    return columns


def form_fields(key: str, question: Question, value: AnswerValue | None) -> dict[str, Any]:
    """The form fields that show one answer."""
    name = ANSWER + key
    if value is None:
        return {}
    if isinstance(value, bool):
        return {name: "yes" if value else "no"}
    if isinstance(value, date):
        return {
            f"{name}-day": str(value.day),
            f"{name}-month": str(value.month),
            f"{name}-year": str(value.year),
        }
    if isinstance(value, tuple):
        return {name: list(value)}
    if isinstance(value, float):
        return {name: f"{value:g}"}
    return {name: str(value)}


def _posted(form: Mapping[str, Any], name: str) -> str:
    raw = form.get(name, "")
    if isinstance(raw, list):
        raw = raw[0] if raw else ""
    return str(raw).strip()


def posted_list(form: Mapping[str, Any], name: str) -> list[str]:
    raw = form.get(name, [])
    values = raw if isinstance(raw, list) else [raw]
    return [str(item).strip() for item in values if str(item).strip()]


def option_ids(content: FrameworkContent, question: Question) -> list[str]:
    if question.type == "factor_checklist":
        wanted = set(getattr(question, "kinds", ()))
        domains = set(getattr(question, "domains", ()))
        return [
            factor_id
            for factor_id, info in content.factors.items()
            if info.domain.id in domains and info.kind in wanted
        ]
    if question.type == "scale":
        points = getattr(question, "points", None)
        if points:
            return [str(point.value) for point in points]
        low, high = getattr(question, "min", 0) or 0, getattr(question, "max", 0) or 0
        return [str(value) for value in range(low, high + 1)]
    return [option.id for option in content.options(question.id)]


def parse_value(
    content: FrameworkContent,
    question: Question,
    form: Mapping[str, Any],
    name: str,
    problems: Problems,
    *,
    where: str,
) -> AnswerValue | None:
    """One posted answer, checked against its question; None when left empty."""
    label = f"‘{question.label}’{where}"
    error_id = field_id(name)
    kind = question.type
    if kind in {"short_text", "long_text"}:
        text = problems.text(
            error_id,
            _posted(form, name),
            label=f"the answer to {label}",
            max_length=getattr(question, "max_length", 200),
            required=False,
        )
        return text or None
    if kind == "yes_no":
        raw = _posted(form, name)
        if raw in {"", "yes", "no"}:
            return None if raw == "" else raw == "yes"
        problems.add(error_id, f"Select yes or no for {label}")
        return None
    if kind in {"single_choice", "scale"}:
        raw = _posted(form, name)
        if not raw:
            return None
        if raw not in option_ids(content, question):
            problems.add(error_id, f"Select one of the options given for {label}")
            return None
        return int(raw) if kind == "scale" else raw
    if kind in {"multiple_choice", "factor_checklist"}:
        chosen = posted_list(form, name)
        allowed = option_ids(content, question)
        if any(item not in allowed for item in chosen):
            problems.add(error_id, f"Select only the options given for {label}")
            return None
        return tuple(item for item in allowed if item in chosen) or None
    if kind == "date":
        return _parse_date(question, form, name, problems, label, error_id)
    if kind == "number":
        return _parse_number(question, _posted(form, name), problems, label, error_id)
    return None


def _parse_date(
    question: Question,
    form: Mapping[str, Any],
    name: str,
    problems: Problems,
    label: str,
    error_id: str,
) -> date | None:
    parts = [_posted(form, f"{name}-{part}") for part in ("day", "month", "year")]
    if not any(parts):
        return None
    error_id = field_id(f"{name}-day")
    if not all(part.isdigit() for part in parts):
        problems.add(error_id, f"Enter a real date for {label}, for example 27 3 2025")
        return None
    day, month, year = (int(part) for part in parts)
    try:
        value = date(year, month, day)
    except (ValueError, OverflowError):  # date() overflows on a year like 10**30
        problems.add(error_id, f"Enter a real date for {label}, for example 27 3 2025")
        return None
    if year < 1900:
        problems.add(error_id, f"Enter a year after 1900 for {label}")
        return None
    if not getattr(question, "allow_future", True) and value > london_today():
        problems.add(error_id, f"The date for {label} must be today or in the past")
        return None
    return value


def _parse_number(
    question: Question, raw: str, problems: Problems, label: str, error_id: str
) -> int | float | None:
    if not raw:
        return None
    try:
        number = float(raw.replace(",", ""))
    except ValueError:
        number = math.nan
    integer = getattr(question, "integer", True)
    if math.isnan(number) or math.isinf(number) or (integer and not number.is_integer()):
        kind = "a whole number" if integer else "a number"
        problems.add(error_id, f"Enter {kind} for {label}")
        return None
    low, high = getattr(question, "min", None), getattr(question, "max", None)
    if (low is not None and number < low) or (high is not None and number > high):
        if low is not None and high is not None:
            allowed = f"from {low:g} to {high:g}"
        elif low is not None:
            allowed = f"of {low:g} or more"
        else:
            allowed = f"of {high:g} or less"
        problems.add(error_id, f"Enter a number {allowed} for {label}")
        return None
    return int(number) if integer else number


def empty(value: AnswerValue | None) -> bool:
    return value is None or value == "" or value == ()


# --- reading what is saved ------------------------------------------------------------------


def answer_rows(session: Session, family_id: uuid.UUID) -> list[AssessmentAnswer]:
    return list(
        session.exec(
            select(AssessmentAnswer)
            .where(col(AssessmentAnswer.family_id) == family_id)
            .order_by(col(AssessmentAnswer.created_at))
        ).all()
    )


def family_answers(
    session: Session, family: Family, content: FrameworkContent
) -> dict[str, AnswerValue]:
    """Every answer to a question of `content`, by answer key (what the rules engine reads)."""
    answers: dict[str, AnswerValue] = {}
    for row in answer_rows(session, family.id):
        info = content.questions.get(row.question_id)
        if info is None:
            continue
        value = value_of(row, info.question)
        if not empty(value):
            answers[row.answer_key] = value  # type: ignore[assignment]
    return answers


def retired_answers(
    session: Session, family: Family, content: FrameworkContent
) -> list[AssessmentAnswer]:
    """Answers to questions the pinned version no longer has: kept, shown read-only."""
    return [
        row for row in answer_rows(session, family.id) if row.question_id not in content.questions
    ]


def ratings(session: Session, family_id: uuid.UUID) -> dict[str, FactorRating]:
    rows = session.exec(select(FactorRating).where(col(FactorRating.family_id) == family_id)).all()
    return {row.factor_id: row for row in rows}


def evidence_counts(session: Session, family_id: uuid.UUID) -> dict[str, int]:
    from sqlalchemy import func

    rows = session.exec(
        select(col(FactorEvidence.factor_id), func.count())
        .where(col(FactorEvidence.family_id) == family_id, col(FactorEvidence.deleted_at).is_(None))
        .group_by(col(FactorEvidence.factor_id))
    ).all()
    return {factor_id: count for factor_id, count in rows}


def section_row(
    session: Session, family_id: uuid.UUID, section_id: str
) -> AssessmentSection | None:
    return session.exec(
        select(AssessmentSection).where(
            col(AssessmentSection.family_id) == family_id,
            col(AssessmentSection.section_id) == section_id,
        )
    ).first()


def revisions(session: Session, family_id: uuid.UUID, section_id: str) -> list[SectionRevision]:
    return list(
        session.exec(
            select(SectionRevision)
            .where(
                col(SectionRevision.family_id) == family_id,
                col(SectionRevision.section_id) == section_id,
            )
            .order_by(col(SectionRevision.number))
        ).all()
    )


def form_section(content: FrameworkContent, section_id: str) -> QuestionsSection | FactorsSection:
    """A section with a guided form, or NotFound."""
    info = content.sections.get(section_id)
    if info is None or not isinstance(info.section, QuestionsSection | FactorsSection):
        raise NotFound("This framework version has no such section.")
    return info.section


# --- the page's state -----------------------------------------------------------------------


@dataclass
class FactorField:
    """A factor on a section page: its rating fields and evidence count."""

    factor_id: str
    text: str
    guidance: str
    kind: str
    evidence: int

    @property
    def status_name(self) -> str:
        return f"{FACTOR}{self.factor_id}.status"

    @property
    def notes_name(self) -> str:
        return f"{FACTOR}{self.factor_id}.notes"


@dataclass
class SectionState:
    """What a section page shows: the tree, the factor fields, the form values and status."""

    section: QuestionsSection | FactorsSection
    nodes: list[Node]
    factors: list[FactorField]
    values: dict[str, Any]
    items: dict[str, list[str]]
    version: int
    status: SectionStatus
    revision: int
    missing: dict[str, str] = field(default_factory=dict)

    def factor_flags(self) -> list[str]:
        """Factors marked present with no evidence linked."""
        return [
            factor.factor_id
            for factor in self.factors
            if self.values.get(factor.status_name) == FactorStatus.PRESENT and not factor.evidence
        ]


def _factor_fields(
    content: FrameworkContent, section: Section, counts: Mapping[str, int]
) -> list[FactorField]:
    if not isinstance(section, FactorsSection):
        return []
    domain = content.domain(section.domain)
    return [
        FactorField(factor.id, factor.text, factor.guidance, kind, counts.get(factor.id, 0))
        for kind, factors in (
            ("risk", domain.risk_factors),
            ("protective", domain.protective_factors),
        )
        for factor in factors
    ]


def section_state(
    session: Session, family: Family, content: FrameworkContent, section_id: str
) -> SectionState:
    """A section as saved."""
    section = form_section(content, section_id)
    answers = family_answers(session, family, content)
    items = items_in(answers, content)
    nodes = build_tree(section.questions, answers, people_of(session, family), items)
    values: dict[str, Any] = {}
    for node, _labels in walk(nodes):
        if not node.is_group and node.key in answers:
            values.update(form_fields(node.key, node.question, answers[node.key]))
    factors = _factor_fields(content, section, evidence_counts(session, family.id))
    saved = ratings(session, family.id)
    for factor in factors:
        rating = saved.get(factor.factor_id)
        if rating:
            values[factor.status_name] = rating.status
            values[factor.notes_name] = rating.notes or ""
    row = section_row(session, family.id, section_id)
    status = progress.section_statuses(session, family.id).get(
        section_id, SectionStatus.NOT_STARTED
    )
    return SectionState(
        section=section,
        nodes=nodes,
        factors=factors,
        values=values,
        items=items,
        version=row.version if row else 0,
        status=status,
        revision=row.revision if row else 1,
    )


def posted_state(
    session: Session,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    form: Mapping[str, Any],
) -> tuple[SectionState, dict[str, AnswerValue | None], dict[str, str]]:
    """The section as the user has filled it in (not saved): the tree evaluated on the posted
    answers, the parsed values by answer key, and what is wrong with them."""
    section = form_section(content, section_id)
    people = people_of(session, family)
    problems = Problems()
    items = _posted_items(form, problems)
    _check_names(content, section, form, people, items, problems)
    # Two passes: show_when needs parsed values, and which fields count needs show_when.
    everything = build_tree(section.questions, {}, people, items, parent_visible=True)
    parsed: dict[str, AnswerValue | None] = {}
    scratch = Problems()
    for node, labels in walk(everything):
        if not node.is_group:
            parsed[node.key] = parse_value(
                content, node.question, form, node.name, scratch, where=_where(labels)
            )
    present = {key: value for key, value in parsed.items() if not empty(value)}
    nodes = build_tree(section.questions, present, people, items)  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for node, labels in walk(nodes):
        if node.is_group:
            continue
        if not node.visible:
            parsed[node.key] = None  # an answer hidden by the new answers is dropped on save
            continue
        parse_value(content, node.question, form, node.name, problems, where=_where(labels))
        for suffix in ("", "-day", "-month", "-year"):
            if node.name + suffix in form:
                values[node.name + suffix] = form[node.name + suffix]
    factors = _factor_fields(content, section, evidence_counts(session, family.id))
    for factor in factors:
        status = _posted(form, factor.status_name)
        if status and status not in {item.value for item in FactorStatus}:
            problems.add(
                field_id(factor.status_name),
                f"Select present, not present or not known for ‘{factor.text}’",
            )
        values[factor.status_name] = status
        values[factor.notes_name] = problems.text(
            field_id(factor.notes_name),
            _posted(form, factor.notes_name),
            label=f"the notes on ‘{factor.text}’",
            max_length=NOTES_MAX,
            required=False,
        ) or _posted(form, factor.notes_name)
    state = SectionState(
        section=section,
        nodes=nodes,
        factors=factors,
        values=values,
        items=items,
        version=0,
        status=SectionStatus.IN_PROGRESS,
        revision=1,
    )
    return state, parsed, problems.errors


def _where(labels: tuple[str, ...]) -> str:
    return f" ({', '.join(labels)})" if labels else ""


def _posted_items(form: Mapping[str, Any], problems: Problems) -> dict[str, list[str]]:
    items: dict[str, list[str]] = {}
    for name in form:
        if not name.startswith(ITEMS):
            continue
        ids = posted_list(form, name)
        if any(not _ITEM_ID.fullmatch(item) for item in ids):
            problems.add(
                "section-form", "The form lists an item that cannot exist; reload the page"
            )
            continue
        items[name[len(ITEMS) :]] = list(dict.fromkeys(ids))
    return items


def _check_names(
    content: FrameworkContent,
    section: Section,
    form: Mapping[str, Any],
    people: People,
    items: Mapping[str, Sequence[str]],
    problems: Problems,
) -> None:
    """Refuse answers to questions this section of the pinned version does not ask."""
    questions = getattr(section, "questions", ())
    everything = build_tree(questions, {}, people, items)
    known: set[str] = set()
    for node, _labels in walk(everything):
        if node.is_group:
            continue
        known.add(node.name)
        if node.question.type == "date":
            known.update(f"{node.name}-{part}" for part in ("day", "month", "year"))
    factor_ids = {factor.factor_id for factor in _factor_fields(content, section, {})}
    version = content.version
    for name in form:
        if name.startswith(ANSWER) and name not in known:
            problems.add(
                "section-form",
                f"This form has an answer to a question that is not in this section of version "
                f"{version} of the framework ({name[len(ANSWER) :][:80]}); reload the page",
            )
        elif name.startswith(FACTOR):
            factor_id = name[len(FACTOR) :].rsplit(".", 1)[0]
            if factor_id not in factor_ids:
                problems.add(
                    "section-form",
                    f"This form rates a factor that is not in this section of version {version} "
                    f"of the framework ({factor_id[:80]}); reload the page",
                )


def missing_answers(
    state: SectionState, parsed: Mapping[str, AnswerValue | None]
) -> dict[str, str]:
    """What must be answered before the section can be marked as complete."""
    missing: dict[str, str] = {}
    for node, labels in walk(state.nodes):
        if not node.visible:
            continue
        who = f"{', '.join(labels)}: " if labels else ""
        question = node.question
        if isinstance(question, Repeating):
            if len(node.instances) < question.min_items:
                missing[node.id + "-add"] = (
                    f"{who}Add at least {question.min_items} {question.item_label}"
                    f"{'s' if question.min_items != 1 else ''} to ‘{question.label}’"
                )
            continue
        if node.is_group or not question.required or not empty(parsed.get(node.key)):
            continue
        target = node.id + ("-day" if question.type == "date" else "")
        verb = (
            "Enter" if question.type in {"short_text", "long_text", "number", "date"} else "Select"
        )
        missing[target] = f"{who}{verb} an answer to ‘{question.label}’"
    for factor in state.factors:
        if not state.values.get(factor.status_name):
            missing[field_id(factor.status_name)] = (
                f"Select whether ‘{factor.text}’ is present, not present or not known"
            )
    return missing


# --- saving ---------------------------------------------------------------------------------


@dataclass
class SaveResult:
    state: SectionState
    completed: bool


@atomic
def save_section(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    form: Mapping[str, Any],
    expected_version: int,
    complete: bool = False,
) -> SaveResult:
    """Save the posted section as a draft, or as complete when nothing required is missing.

    Bad input (an unknown question, a value outside the options, a stale version) raises
    and saves nothing. A section marked complete with answers missing is saved as a draft
    and the result lists what is missing.
    """
    state, parsed, errors = posted_state(session, family, content, section_id, form)
    if errors:
        raise InvalidInput(errors)
    editor = posted_editor(form)
    row = _claim_section(session, actor, family, section_id, expected_version, editor)
    changed = _store_answers(session, actor, family, content, section_id, parsed)
    changed += _store_ratings(session, actor, family, content, section_id, state)
    missing = missing_answers(state, parsed) if complete else {}
    done = complete and not missing
    before = progress.section_statuses(session, family.id).get(
        section_id, SectionStatus.NOT_STARTED
    )
    if before is SectionStatus.SIGNED_OFF and changed:
        # The signed-off revision stays frozen in section_revision; work continues on the next.
        row.revision += 1
    if done:
        row.completed_at = utcnow()
        row.completed_by_id = actor.user_id
        status = SectionStatus.COMPLETED
    elif (before is SectionStatus.SIGNED_OFF and not changed) or (
        before in progress.DONE and not changed and not complete
    ):
        status = before
    else:
        status = SectionStatus.IN_PROGRESS
    row.status = status.value
    session.add(row)
    if changed:
        audit.record(
            session,
            actor,
            AuditAction.UPDATE,
            entity_type="assessment_section",
            entity_id=section_id,
            family_id=family.id,
            details={"changed": changed[:200], "revision": row.revision},
        )
    session.flush()
    progress.set_section_status(
        session, actor=actor, family=family, content=content, section_id=section_id, status=status
    )
    state.version = row.version
    state.status = status
    state.revision = row.revision
    state.missing = missing
    return SaveResult(state=state, completed=done)


_EDITOR = re.compile(r"[a-f0-9]{32}")


def posted_editor(form: Mapping[str, Any]) -> str:
    """The posted page's editor id, or "" when there is none (or it is malformed)."""
    editor = _posted(form, "editor")
    return editor if _EDITOR.fullmatch(editor) else ""


def _claim_section(
    session: Session,
    actor: audit.Actor,
    family: Family,
    section_id: str,
    expected_version: int,
    editor: str,
) -> AssessmentSection:
    """Bump the section's version if it is still `expected_version`, or raise Conflict: the
    check is in the UPDATE (or the unique insert), so two racing saves cannot both win.

    A save from the same opened page as the last one (the same `editor`) is not a conflict:
    a button pressed while that page's autosave was on its way posts the whole form too."""
    row = section_row(session, family.id, section_id)
    if row is None:
        if expected_version != 0:
            raise Conflict(STALE_SECTION)
        row = AssessmentSection(
            family_id=family.id,
            section_id=section_id,
            status=SectionStatus.IN_PROGRESS.value,
            editor=editor or None,
            updated_by_id=actor.user_id,
        )
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:
            raise Conflict(STALE_SECTION) from None
        return row
    if not (editor and row.editor == editor and row.version > expected_version):
        check_version(row, expected_version, STALE_SECTION)
    with saving(session, row, STALE_SECTION):
        row.editor = editor or None
        row.updated_at = utcnow()
        row.updated_by_id = actor.user_id
    return row


def _store_answers(
    session: Session,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    parsed: Mapping[str, AnswerValue | None],
) -> list[str]:
    existing = {
        row.answer_key: row
        for row in answer_rows(session, family.id)
        if row.question_id in content.questions
        and content.questions[row.question_id].section_id == section_id
    }
    changed = []
    for key, value in parsed.items():
        parsed_key = parse_answer_key(key)
        if parsed_key is None:
            continue
        question = content.questions[parsed_key[1]].question
        row = existing.pop(key, None)
        if empty(value):
            if row is not None:
                session.delete(row)
                changed.append(key)
            continue
        assert value is not None
        columns = _columns(question, value)
        if row is None:
            session.add(
                AssessmentAnswer(
                    family_id=family.id,
                    section_id=section_id,
                    answer_key=key,
                    question_id=question.id,
                    content_version=content.version,
                    content_hash=content.content_hash,
                    updated_by_id=actor.user_id,
                    **columns,
                )
            )
            changed.append(key)
        elif value_of(row, question) != value:
            for name, column in columns.items():
                setattr(row, name, column)
            row.content_version = content.version
            row.content_hash = content.content_hash
            row.updated_at = utcnow()
            row.updated_by_id = actor.user_id
            session.add(row)
            changed.append(key)
    # Answers of removed items or people, not posted any more: dropped with the item.
    for key, row in existing.items():
        session.delete(row)
        changed.append(key)
    return changed


def _store_ratings(
    session: Session,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    state: SectionState,
) -> list[str]:
    saved = ratings(session, family.id)
    changed = []
    for factor in state.factors:
        status = state.values.get(factor.status_name) or ""
        notes = (state.values.get(factor.notes_name) or "").strip() or None
        row = saved.get(factor.factor_id)
        if not status and not notes:
            if row is not None:
                session.delete(row)
                changed.append(factor.factor_id)
            continue
        if row is None:
            session.add(
                FactorRating(
                    family_id=family.id,
                    section_id=section_id,
                    factor_id=factor.factor_id,
                    content_version=content.version,
                    content_hash=content.content_hash,
                    status=status,
                    notes=notes,
                    updated_by_id=actor.user_id,
                )
            )
            changed.append(factor.factor_id)
        elif (row.status, row.notes) != (status, notes):
            row.status, row.notes = status, notes
            row.content_version = content.version
            row.content_hash = content.content_hash
            row.updated_at = utcnow()
            row.updated_by_id = actor.user_id
            session.add(row)
            changed.append(factor.factor_id)
    return changed


def add_item(state: SectionState, group_key: str) -> str:
    """Add an item to a repeating group of the posted form (saved with the next save)."""
    item = new_item_id()
    state.items.setdefault(group_key, []).append(item)
    return item


def is_repeating_group(content: FrameworkContent, group_key: str) -> bool:
    group_id = group_key.rsplit(".", 1)[-1]
    info = content.questions.get(group_id)
    return info is not None and info.question.type == "repeating"


# --- freezing revisions ---------------------------------------------------------------------


def section_snapshot(
    session: Session, family: Family, content: FrameworkContent, section: Section
) -> dict[str, Any]:
    """A section's answers and factor ratings, as plain JSON."""
    answers = {
        row.answer_key: _json_value(value_of(row, content.questions[row.question_id].question))
        for row in answer_rows(session, family.id)
        if row.question_id in content.questions
        and content.questions[row.question_id].section_id == section.id
    }
    factors: dict[str, Any] = {}
    if isinstance(section, FactorsSection):
        saved = ratings(session, family.id)
        counts = evidence_counts(session, family.id)
        for factor in _factor_fields(content, section, counts):
            rating = saved.get(factor.factor_id)
            if rating:
                factors[factor.factor_id] = {
                    "status": rating.status,
                    "notes": rating.notes,
                    "evidence": counts.get(factor.factor_id, 0),
                }
    return {"answers": answers, "factors": factors}


def _json_value(value: AnswerValue | None) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def freeze_sections(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    section_ids: Iterable[str],
    classification_id: uuid.UUID,
) -> None:
    """Freeze each section as a revision at sign-off; the caller commits."""
    for section_id in section_ids:
        info = content.sections.get(section_id)
        if info is None or isinstance(info.section, GateSection):
            continue
        row = section_row(session, family.id, section_id)
        number = row.revision if row else 1
        session.add(
            SectionRevision(
                family_id=family.id,
                section_id=section_id,
                number=number,
                content_version=content.version,
                snapshot=section_snapshot(session, family, content, info.section),
                frozen_by_id=actor.user_id,
                classification_id=classification_id,
            )
        )
        if row is not None:
            row.status = SectionStatus.SIGNED_OFF.value
            session.add(row)


def choices(content: FrameworkContent, question: Question) -> list[tuple[str, str, str | None]]:
    """A choice question's options as (value, label, hint), for its radios or checkboxes."""
    if question.type == "factor_checklist":
        return [
            (factor_id, content.factors[factor_id].factor.text, None)
            for factor_id in option_ids(content, question)
        ]
    points = getattr(question, "points", None)
    if question.type == "scale":
        if points:
            return [(str(point.value), point.label, None) for point in points]
        low, high = getattr(question, "min", 0), getattr(question, "max", 0)
        ends = {
            low: getattr(question, "min_label", None),
            high: getattr(question, "max_label", None),
        }
        return [(str(value), str(value), ends.get(value)) for value in range(low, high + 1)]
    return [
        (option.id, option.label, getattr(option, "hint", None))
        for option in content.options(question.id)
    ]


def complete_chronology_section(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    section_id: str,
) -> None:
    """Mark a chronology section complete: the practitioner says the history is gathered.
    A chronology with no entries cannot be complete."""
    info = content.sections.get(section_id)
    if info is None or info.section.kind != "chronology":
        raise NotFound("This framework version has no such chronology section.")
    first = session.exec(
        select(ChronologyEntry.id).where(
            col(ChronologyEntry.family_id) == family.id, col(ChronologyEntry.deleted_at).is_(None)
        )
    ).first()
    if first is None:
        raise InvalidInput(
            {"chronology": "Add the family's history to the chronology before marking it complete"}
        )
    progress.set_section_status(
        session,
        actor=actor,
        family=family,
        content=content,
        section_id=section_id,
        status=SectionStatus.COMPLETED,
    )
