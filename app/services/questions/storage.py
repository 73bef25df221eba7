"""A section's answers and factor ratings: reading them as saved (in a review cycle for
sections answered at each review), the page's state as saved or as posted, what is missing,
and saving a draft or a completed section under optimistic locking.

`show_when` is evaluated on what was posted, so a question hidden by the new answers is not
saved and its old answer is dropped.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.content.journey import shape
from app.content.model import FrameworkContent
from app.content.schema import (
    Factor,
    FactorsSection,
    PerItem,
    QuestionsSection,
    Repeating,
    Section,
)
from app.content.snapshot import AnswerValue, parse_answer_key
from app.db import atomic, read_once
from app.models.assessment import (
    AssessmentAnswer,
    AssessmentSection,
    FactorRating,
    FactorStatus,
)
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.models.chronology import ChronologyEntry
from app.models.family import Family
from app.models.journey import FamilyStatus
from app.models.progress import SectionStatus
from app.services import audit, evidence, progress
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.locking import check_version, saving
from app.services.questions import plan_checks
from app.services.questions.tree import (
    ANSWER,
    FACTOR,
    ITEMS,
    Listing,
    Node,
    build_tree,
    field_id,
    items_elsewhere,
    items_in,
    new_item_id,
    people_of,
    walk,
)
from app.services.questions.values import (
    columns_for,
    empty,
    form_fields,
    parse_value,
    posted,
    posted_list,
    value_of,
)
from app.services.records import Problems

FORM_SECTION_KINDS = ("questions", "factors")
_ITEM_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
NOTES_MAX = 5000
STALE_SECTION = (
    "Someone else saved this section after you opened it. Your answers are below and have not "
    "been saved: check them, then save again to keep them."
)
SUPERSEDED = "A later save from this page has already been stored; this earlier one was not."


class Superseded(Conflict):
    """An earlier save from the same open page arrived after a later one was stored."""


# --- reading what is saved ------------------------------------------------------------------


def answer_rows(
    session: Session,
    family_id: uuid.UUID,
    cycles: Sequence[int] | None = None,
    *,
    question_ids: Collection[str] | None = None,
    fresh: bool = False,
) -> list[AssessmentAnswer]:
    """The family's answers, in the given review cycles (all when None), to the given questions
    (all when None); `fresh` reads them again from the database even where the session holds
    them already."""
    query = select(AssessmentAnswer).where(col(AssessmentAnswer.family_id) == family_id)
    if cycles is not None:
        query = query.where(col(AssessmentAnswer.cycle).in_(list(cycles)))
    if question_ids is not None:
        query = query.where(col(AssessmentAnswer.question_id).in_(list(question_ids)))
    # In the order given; answers saved at one moment (a save under a fixed clock, as the
    # demo's) by their keys, so the order is the same on every database.
    query = query.order_by(col(AssessmentAnswer.created_at), col(AssessmentAnswer.answer_key))
    if fresh:
        return list(session.exec(query.execution_options(populate_existing=True)).all())
    key = (
        "answer_rows",
        family_id,
        None if cycles is None else tuple(cycles),
        None if question_ids is None else frozenset(question_ids),
    )
    rows = read_once(session, key, ["assessment_answer"], lambda: session.exec(query).all())
    return list(rows)


def family_answers(
    session: Session, family: Family, content: FrameworkContent, cycle: int | None = None
) -> dict[str, AnswerValue]:
    """The answers to questions of `content` as they stand in review `cycle` (the review under
    way when None), by answer key: the sections answered once, and the review's own answers
    to the sections answered at each review. What the rules engine and the pages read."""
    review = family.current_cycle if cycle is None else cycle
    # Every cycle's answers: the same read as the page's other parts (answers_from takes the
    # cycles it needs).
    return answers_from(answer_rows(session, family.id), content, review)


def answers_from(
    rows: Sequence[AssessmentAnswer], content: FrameworkContent, review: int
) -> dict[str, AnswerValue]:
    """`family_answers` from rows already read (of cycles 0 and `review`): one read serves
    several versions of the content."""
    recurring = shape(content).recurring
    answers: dict[str, AnswerValue] = {}
    for row in rows:
        info = content.questions.get(row.question_id)
        if info is None or row.cycle != (review if info.section_id in recurring else 0):
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


def ratings(
    session: Session,
    family_id: uuid.UUID,
    cycle: int = 0,
    factor_ids: Collection[str] | None = None,
) -> dict[str, FactorRating]:
    """The family's factor ratings in review `cycle`, of the given factors (all when None)."""
    query = select(FactorRating).where(
        col(FactorRating.family_id) == family_id, col(FactorRating.cycle) == cycle
    )
    if factor_ids is not None:
        query = query.where(col(FactorRating.factor_id).in_(list(factor_ids)))
    return {row.factor_id: row for row in session.exec(query).all()}


def rating_texts(
    session: Session, family_id: uuid.UUID, cycle: int = 0
) -> dict[str, tuple[str | None, str | None]]:
    """Each rated factor's status and notes in review `cycle`, by factor: what a summary shows
    of every factor, read as columns rather than records (a record for each cost more than
    the read)."""
    query = select(
        col(FactorRating.factor_id), col(FactorRating.status), col(FactorRating.notes)
    ).where(col(FactorRating.family_id) == family_id, col(FactorRating.cycle) == cycle)
    return {factor_id: (status, notes) for factor_id, status, notes in session.exec(query)}


def section_question_ids(content: FrameworkContent, section_id: str) -> list[str]:
    """The ids of every question in a section, nested ones included: what the section's own
    reads ask the database for, rather than the whole family's answers."""
    return [qid for qid, info in content.questions.items() if info.section_id == section_id]


def evidence_counts(
    session: Session,
    family_id: uuid.UUID,
    content: FrameworkContent,
    section: Section,
    *,
    fresh: bool = False,
) -> dict[str, int]:
    """How many pieces of evidence back each of the section's factors (none outside a factors
    section); read once per transaction unless `fresh`."""
    factor_ids = [factor.id for _kind, factor in _factors_of(content, section)]
    if not factor_ids:
        return {}
    found = evidence.by_factor(session, family_id, factor_ids, fresh=fresh)
    return {factor_id: len(items) for factor_id, items in found.items()}


def section_row(
    session: Session, family_id: uuid.UUID, section_id: str, cycle: int = 0
) -> AssessmentSection | None:
    return session.exec(
        select(AssessmentSection).where(
            col(AssessmentSection.family_id) == family_id,
            col(AssessmentSection.section_id) == section_id,
            col(AssessmentSection.cycle) == cycle,
        )
    ).first()


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
    cycle: int = 0
    # How many saves the page has sent (its script counts them); 0 without JavaScript.
    seq: int = 0
    missing: dict[str, str] = field(default_factory=dict)

    def factor_flags(self) -> list[str]:
        """Factors marked present with no evidence linked."""
        return [
            factor.factor_id
            for factor in self.factors
            if self.values.get(factor.status_name) == FactorStatus.PRESENT and not factor.evidence
        ]


def factor_fields(
    content: FrameworkContent, section: Section, counts: Mapping[str, int]
) -> list[FactorField]:
    return [
        FactorField(factor.id, factor.text, factor.guidance, kind, counts.get(factor.id, 0))
        for kind, factor in _factors_of(content, section)
    ]


def _factors_of(content: FrameworkContent, section: Section) -> list[tuple[str, Factor]]:
    """A factors section's factors with their kind, risks first; none for other sections."""
    if not isinstance(section, FactorsSection):
        return []
    domain = content.domain(section.domain)
    return [
        *(("risk", factor) for factor in domain.risk_factors),
        *(("protective", factor) for factor in domain.protective_factors),
    ]


def listing_for(
    session: Session,
    family: Family,
    content: FrameworkContent,
    section: QuestionsSection | FactorsSection,
    items: Mapping[str, Sequence[str]],
    cycle: int,
) -> Listing:
    """Whom and what the section's groups ask about; a `per_item` group over another
    section's items (the goals of the agreements) lists them as they are saved."""
    people = people_of(session, family)
    wanted = {
        info.question.of
        for info in content.questions.values()
        if info.section_id == section.id and isinstance(info.question, PerItem)
    }
    elsewhere: dict[str, list[tuple[str, str]]] = {}
    if wanted:
        saved = family_answers(session, family, content, cycle)
        for group_id in wanted:
            other = content.questions.get(group_id)
            if other is not None and other.section_id != section.id:
                elsewhere[group_id] = items_elsewhere(content, saved, people, group_id)
    return Listing(people=people, items=items, elsewhere=elsewhere)


def section_state(
    session: Session,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    cycle: int = 0,
) -> SectionState:
    """A section as saved in review `cycle` (0 for sections answered once)."""
    section = form_section(content, section_id)
    answers = family_answers(session, family, content, cycle)
    items = items_in(answers, content)
    listing = listing_for(session, family, content, section, items, cycle)
    nodes = build_tree(section.questions, answers, listing)
    values: dict[str, Any] = {}
    for node, _labels in walk(nodes):
        if not node.is_group and node.key in answers:
            values.update(form_fields(node.key, node.question, answers[node.key]))
    factors = factor_fields(content, section, evidence_counts(session, family.id, content, section))
    saved = ratings(session, family.id, cycle, [factor.factor_id for factor in factors])
    for factor in factors:
        rating = saved.get(factor.factor_id)
        if rating:
            values[factor.status_name] = rating.status
            values[factor.notes_name] = rating.notes or ""
    row = section_row(session, family.id, section_id, cycle)
    status = progress.statuses_in(session, family, cycle).get(section_id, SectionStatus.NOT_STARTED)
    return SectionState(
        section=section,
        nodes=nodes,
        factors=factors,
        values=values,
        items=items,
        version=row.version if row else 0,
        status=status,
        revision=row.revision if row else 1,
        cycle=cycle,
        seq=row.editor_seq if row else 0,
    )


def posted_state(
    session: Session,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    form: Mapping[str, Any],
    cycle: int = 0,
) -> tuple[SectionState, dict[str, AnswerValue | None], dict[str, str]]:
    """The section as the user has filled it in (not saved): the tree evaluated on the posted
    answers, the parsed values by answer key, and what is wrong with them."""
    section = form_section(content, section_id)
    problems = Problems()
    items = _posted_items(form, problems)
    listing = listing_for(session, family, content, section, items, cycle)
    _check_names(content, section, form, listing, problems)
    # Two passes: show_when needs parsed values, and which fields count needs show_when.
    everything = build_tree(section.questions, {}, listing, parent_visible=True)
    parsed: dict[str, AnswerValue | None] = {}
    scratch = Problems()
    for node, labels in walk(everything):
        if not node.is_group:
            parsed[node.key] = parse_value(
                content, node.question, form, node.name, scratch, where=_where(labels)
            )
    present = {key: value for key, value in parsed.items() if not empty(value)}
    nodes = build_tree(section.questions, present, listing)  # type: ignore[arg-type]
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
    for target, message in plan_checks.service_problems(nodes, parsed).items():
        problems.add(target, message)
    factors = factor_fields(content, section, evidence_counts(session, family.id, content, section))
    for factor in factors:
        status = posted(form, factor.status_name)
        if status and status not in {item.value for item in FactorStatus}:
            problems.add(
                field_id(factor.status_name),
                f"Select present, not present or not known for ‘{factor.text}’",
            )
        values[factor.status_name] = status
        values[factor.notes_name] = problems.text(
            field_id(factor.notes_name),
            posted(form, factor.notes_name),
            label=f"the notes on ‘{factor.text}’",
            max_length=NOTES_MAX,
            required=False,
        ) or posted(form, factor.notes_name)
    state = SectionState(
        section=section,
        nodes=nodes,
        factors=factors,
        values=values,
        items=items,
        version=0,
        status=SectionStatus.IN_PROGRESS,
        revision=1,
        cycle=cycle,
        seq=posted_seq(form),
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
    listing: Listing,
    problems: Problems,
) -> None:
    """Refuse answers to questions this section of the pinned version does not ask."""
    questions = getattr(section, "questions", ())
    everything = build_tree(questions, {}, listing)
    known: set[str] = set()
    for node, _labels in walk(everything):
        if node.is_group:
            continue
        known.add(node.name)
        if node.question.type == "date":
            known.update(f"{node.name}-{part}" for part in ("day", "month", "year"))
    factor_ids = {factor.factor_id for factor in factor_fields(content, section, {})}
    version = content.version
    for name in form:
        if name.startswith(ANSWER) and name not in known:
            problems.add(
                "section-form",
                _gone_item(content, name[len(ANSWER) :])
                or f"This form has an answer to a question that is not in this section of "
                f"version {version} of the framework ({name[len(ANSWER) :][:80]}); reload the page",
            )
        elif name.startswith(FACTOR):
            factor_id = name[len(FACTOR) :].rsplit(".", 1)[0]
            if factor_id not in factor_ids:
                problems.add(
                    "section-form",
                    f"This form rates a factor that is not in this section of version {version} "
                    f"of the framework ({factor_id[:80]}); reload the page",
                )


def _gone_item(content: FrameworkContent, key: str) -> str | None:
    """The message for an answer about an item of another section that is no longer there (a
    goal's progress, after the goal was removed from the agreement), or None."""
    parsed = parse_answer_key(key.removesuffix("-day").removesuffix("-month").removesuffix("-year"))
    if parsed is None:
        return None
    for group_id, _instance in parsed[0]:
        info = content.questions.get(group_id)
        if info is None or not isinstance(info.question, PerItem):
            continue
        items = content.questions.get(info.question.of)
        if items is None or not isinstance(items.question, Repeating):
            continue
        noun = items.question.item_label
        where = content.sections[items.section_id].section.title
        return (
            f"This form records progress on a {noun} that is no longer in the "
            f"{where[:1].lower() + where[1:]}: it was removed or replaced after this page was "
            f"opened. Nothing has been saved. Reload the page to see the {noun}s as they are now"
        )
    return None


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
    missing.update(plan_checks.goals_without_timescale(state.nodes, parsed))
    for factor in state.factors:
        if not state.values.get(factor.status_name):
            missing[field_id(factor.status_name)] = (
                f"Select whether ‘{factor.text}’ is present, not present or not known"
            )
    return missing


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
    cycle: int = 0,
) -> SaveResult:
    """Save the posted section as a draft, or as complete when nothing required is missing.

    Bad input (an unknown question, a value outside the options, a stale version) raises
    and saves nothing. A section marked complete with answers missing is saved as a draft
    and the result lists what is missing.
    """
    if family.status != FamilyStatus.ACTIVE:
        raise Conflict(progress.PLAN_NOT_ACTIVE)
    if complete:
        # A task that says "Cannot start yet" cannot be completed; a draft can be saved (and
        # nothing typed is lost) while what it waits for is finished.
        held = progress.cannot_start(
            session, family, content, section_id, cycle, doing="marked as complete"
        )
        if held:
            raise Conflict(held)
    state, parsed, errors = posted_state(session, family, content, section_id, form, cycle)
    if errors:
        raise InvalidInput(errors)
    row = _claim_section(
        session, actor, family, section_id, cycle, expected_version, posted_editor(form), state.seq
    )
    changed = _store_answers(session, actor, family, content, section_id, cycle, parsed)
    changed += _store_ratings(session, actor, family, content, section_id, cycle, state)
    missing = missing_answers(state, parsed) if complete else {}
    done = complete and not missing
    before = progress.section_statuses(session, family.id, cycle).get(
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
            details={
                "changed": changed[:200],
                "revision": row.revision,
                **({"review": cycle} if cycle else {}),
            },
        )
    session.flush()
    progress.set_section_status(
        session,
        actor=actor,
        family=family,
        content=content,
        section_id=section_id,
        status=status,
        cycle=cycle,
    )
    state.version = row.version
    state.status = status
    state.revision = row.revision
    state.missing = missing
    return SaveResult(state=state, completed=done)


def save_at_stored_version(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    form: Mapping[str, Any],
    complete: bool = False,
    cycle: int = 0,
) -> SaveResult:
    """save_section over whatever version is stored now: for the app's own writers (demo
    data, the validation set), which have no page that could be out of date."""
    row = section_row(session, family.id, section_id, cycle)
    return save_section(
        session,
        actor=actor,
        family=family,
        content=content,
        section_id=section_id,
        form=form,
        expected_version=row.version if row else 0,
        complete=complete,
        cycle=cycle,
    )


_EDITOR = re.compile(r"[a-f0-9]{32}")
_SEQ = re.compile(r"[1-9][0-9]{0,8}")


def posted_editor(form: Mapping[str, Any]) -> str:
    """The posted page's editor id, or "" when there is none (or it is malformed)."""
    editor = posted(form, "editor")
    return editor if _EDITOR.fullmatch(editor) else ""


def posted_seq(form: Mapping[str, Any]) -> int:
    """How many saves the posting page had sent, this one included (0: a page without its
    script, or a malformed count)."""
    seq = posted(form, "seq")
    return int(seq) if _SEQ.fullmatch(seq) else 0


def _claim_section(
    session: Session,
    actor: audit.Actor,
    family: Family,
    section_id: str,
    cycle: int,
    expected_version: int,
    editor: str,
    seq: int,
) -> AssessmentSection:
    """Take the section for this save, or raise Conflict: the version is checked in the
    UPDATE (or the unique insert), so two racing saves cannot both win.

    Saves from one opened page (its autosaves, then a button) each post the whole form and
    count up: a later one is not a conflict with an earlier one, but an earlier one that
    arrives after a later one was stored is refused (Superseded), never stored over it."""
    row = section_row(session, family.id, section_id, cycle)
    if row is None:
        if expected_version != 0:
            raise Conflict(STALE_SECTION)
        first = AssessmentSection(
            family_id=family.id,
            section_id=section_id,
            cycle=cycle,
            status=SectionStatus.IN_PROGRESS.value,
            editor=editor or None,
            editor_seq=seq,
            updated_by_id=actor.user_id,
        )
        try:
            with session.begin_nested():
                session.add(first)
            return first
        except IntegrityError:
            # Another first save was stored since this one read: often the same page's
            # autosave racing its own button. It is judged below as any later save is.
            row = section_row(session, family.id, section_id, cycle)
            if row is None:
                raise Conflict(STALE_SECTION) from None
    same_page = bool(editor) and seq > 0 and row.editor == editor
    if same_page and seq <= row.editor_seq:
        raise Superseded(SUPERSEDED)
    if not (same_page and row.version > expected_version):
        check_version(row, expected_version, STALE_SECTION)
    with saving(session, row, STALE_SECTION):
        row.editor = editor or None
        row.editor_seq = seq
        row.updated_at = utcnow()
        row.updated_by_id = actor.user_id
    return row


def _store_answers(
    session: Session,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    cycle: int,
    parsed: Mapping[str, AnswerValue | None],
) -> list[str]:
    existing = {
        row.answer_key: row
        for row in answer_rows(
            session,
            family.id,
            cycles=[cycle],
            question_ids=section_question_ids(content, section_id),
        )
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
        columns = columns_for(question, value)
        if row is None:
            session.add(
                AssessmentAnswer(
                    family_id=family.id,
                    cycle=cycle,
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
    cycle: int,
    state: SectionState,
) -> list[str]:
    saved = ratings(session, family.id, cycle, [factor.factor_id for factor in state.factors])
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
                    cycle=cycle,
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
    held = progress.cannot_start(
        session, family, content, section_id, 0, doing="marked as complete"
    )
    if held:
        raise Conflict(held)
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
