"""The assessment (and every later stage's guided forms) in the JSON API: the family's task
list, each section's questions in the family's content version with their answers, saving
answers and factor ratings with the pages' validation (errors per answer), marking sections
complete, and the evidence behind each factor."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.content.model import FrameworkContent
from app.content.snapshot import parse_answer_key
from app.deps import ActorDep, SessionDep
from app.routes.api.common import ApiRoute, conflict
from app.routes.api.models import ApiModel
from app.routes.family_pages import EditPage, FamilyPage, ViewPage
from app.services import evidence as evidence_service
from app.services import progress, questions
from app.services.errors import Conflict, InvalidInput

router = APIRouter(prefix="/families/{family_id}", tags=["assessment"], route_class=ApiRoute)

AnswerValue = bool | int | float | str | list[str] | None
# The id of a section, factor or gate of the family's framework version.
ContentId = Annotated[str, Path(max_length=64)]
SectionStatusName = Literal[
    "not_started", "in_progress", "completed", "awaiting_sign_off", "signed_off"
]


# --- the task list ----------------------------------------------------------------------------


class DecisionBrief(BaseModel):
    option_id: str
    decided_at: datetime


class TaskPublic(BaseModel):
    """A section of the family's framework version as the task list shows it."""

    section_id: str
    title: str
    kind: str
    cycle: int = Field(description="The review it belongs to (0: answered once)")
    status: SectionStatusName
    can_start: bool
    waiting_for: list[str] = Field(description="Titles of what must be settled first")
    decision: DecisionBrief | None


class StagePublic(BaseModel):
    stage_id: str
    title: str
    tasks: list[TaskPublic]


class ReviewBrief(BaseModel):
    number: int
    phase: str
    due_on: date
    held_on: date | None


class JourneyPublic(BaseModel):
    """Where the family stands: the plan's status, the next thing to do, the review under way
    and every task of its framework version."""

    status: Literal["active", "plan_ended", "closed"]
    current_stage: str | None
    next_action: str
    next_review_due: date | None
    awaiting_sign_off: bool
    review: ReviewBrief | None
    stages: list[StagePublic]


@router.get("/journey", response_model=JourneyPublic)
def journey(session: SessionDep, page: ViewPage) -> JourneyPublic:
    """The family's task list, as its overview page shows it."""
    result = progress.family_journey(session, page.family, page.content)
    current = result.current_stage
    return JourneyPublic(
        status=result.status.value,
        current_stage=current.stage_id if current else None,
        next_action=result.next_action,
        next_review_due=page.family.next_review_due,
        awaiting_sign_off=result.awaiting_sign_off,
        review=ReviewBrief(
            number=result.review.number,
            phase=result.review.phase,
            due_on=result.review.due_on,
            held_on=result.review.held_on,
        )
        if result.review
        else None,
        stages=[
            StagePublic(
                stage_id=stage.stage_id,
                title=stage.title,
                tasks=[
                    TaskPublic(
                        section_id=task.section.id,
                        title=task.section.title,
                        kind=task.section.kind,
                        cycle=task.cycle,
                        status=task.status.value,
                        can_start=task.can_start,
                        waiting_for=list(task.waiting_for),
                        decision=DecisionBrief(
                            option_id=task.decision.option_id,
                            decided_at=task.decision.decided_at,
                        )
                        if task.decision
                        else None,
                    )
                    for task in stage.tasks
                ],
            )
            for stage in result.stages
        ],
    )


# --- a section --------------------------------------------------------------------------------


class OptionPublic(BaseModel):
    id: str
    label: str
    hint: str | None = None


class InstancePublic(BaseModel):
    """One parent, child or item a group asks its questions about."""

    id: str
    label: str
    questions: list[QuestionPublic]


class QuestionPublic(BaseModel):
    """A question as asked of this family. `key` is the answer's key (groups add
    `group[instance].` before the question id); `visible` is false when its show_when does
    not hold on the saved answers (such an answer is not kept)."""

    key: str
    question_id: str
    type: str
    label: str
    hint: str | None
    required: bool
    visible: bool
    options: list[OptionPublic] | None
    answer: AnswerValue
    instances: list[InstancePublic] | None = None


class FactorPublic(BaseModel):
    factor_id: str
    text: str
    kind: Literal["risk", "protective"]
    status: Literal["present", "absent", "not_known"] | None
    notes: str | None
    evidence: int = Field(description="How many pieces of evidence are linked")


class SectionPublic(BaseModel):
    """A guided section of the family's framework version with its answers and ratings.

    Save it by sending the whole section back (PUT) with `version`."""

    section_id: str
    title: str
    kind: Literal["questions", "factors"]
    framework_version: str
    cycle: int
    status: SectionStatusName
    version: int = Field(description="0 until the section is first saved")
    revision: int
    questions: list[QuestionPublic]
    items: dict[str, list[str]] = Field(
        description="The item ids of each repeating group, by the group's key"
    )
    factors: list[FactorPublic]
    present_without_evidence: list[str]


class SavedSection(SectionPublic):
    completed: bool = Field(description="Whether the section was saved as complete")
    missing: dict[str, str] = Field(
        description="What must be answered before it can be complete (by answer key or factor)"
    )


class FactorRatingIn(ApiModel):
    status: Literal["present", "absent", "not_known"] | None = None
    notes: str | None = Field(default=None, max_length=questions.NOTES_MAX)


class SectionSave(ApiModel):
    """The whole section as it should be saved: answers left out are cleared, as on the page.

    Answers are JSON values: text as strings, yes/no as booleans, a choice as the option's id,
    several choices as a list of ids, dates as `YYYY-MM-DD`, numbers as numbers. The items of
    a repeating group are taken from the answer keys (`group[item-id].question`); list them in
    `items` to keep an item with no answers yet."""

    version: int = Field(ge=0, description="The section's version as read (0 if never saved)")
    review: int | None = Field(
        default=None, ge=0, le=1000, description="The review the answers are for; the one under way"
    )
    answers: dict[str, AnswerValue] = Field(default_factory=dict, max_length=2000)
    items: dict[str, list[str]] = Field(default_factory=dict, max_length=200)
    factors: dict[str, FactorRatingIn] = Field(default_factory=dict, max_length=500)
    complete: bool = Field(default=False, description="Mark the section as complete")


def _options(content: FrameworkContent, question: Any) -> list[OptionPublic] | None:
    if question.type not in {"single_choice", "multiple_choice", "scale", "factor_checklist"}:
        return None
    return [
        OptionPublic(id=value, label=label, hint=hint)
        for value, label, hint in questions.choices(content, question)
    ]


def _answer(value: Any) -> AnswerValue:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value  # type: ignore[no-any-return]


def _nodes(
    content: FrameworkContent, nodes: list[questions.Node], answers: dict[str, Any]
) -> list[QuestionPublic]:
    return [
        QuestionPublic(
            key=node.key,
            question_id=node.question.id,
            type=node.question.type,
            label=node.question.label,
            hint=node.question.hint,
            required=node.question.required,
            visible=node.visible,
            options=_options(content, node.question),
            answer=None if node.is_group else _answer(answers.get(node.key)),
            instances=[
                InstancePublic(
                    id=instance.id,
                    label=instance.label,
                    questions=_nodes(content, instance.nodes, answers),
                )
                for instance in node.instances
            ]
            if node.is_group
            else None,
        )
        for node in nodes
    ]


def _section(session: Session, page: FamilyPage, state: questions.SectionState) -> dict[str, Any]:
    answers = questions.family_answers(session, page.family, page.content, state.cycle)
    return {
        "section_id": state.section.id,
        "title": state.section.title,
        "kind": state.section.kind,
        "framework_version": page.content.version,
        "cycle": state.cycle,
        "status": state.status.value,
        "version": state.version,
        "revision": state.revision,
        "questions": _nodes(page.content, state.nodes, answers),
        "items": state.items,
        "factors": [
            FactorPublic(
                factor_id=factor.factor_id,
                text=factor.text,
                kind=factor.kind,
                status=state.values.get(factor.status_name) or None,
                notes=state.values.get(factor.notes_name) or None,
                evidence=factor.evidence,
            )
            for factor in state.factors
        ],
        "present_without_evidence": state.factor_flags(),
    }


def _cycle(page: FamilyPage, section_id: str, review: int | None) -> int:
    current = progress.current_cycle(page.content, page.family, section_id)
    if current == 0 or review is None or not 1 <= review <= current:
        return current
    return review


@router.get("/sections/{section_id}", response_model=SectionPublic)
def get_section(
    session: SessionDep,
    page: ViewPage,
    section_id: ContentId,
    review: Annotated[int | None, Query(ge=0, le=1000)] = None,
) -> SectionPublic:
    """A section's questions in the family's framework version, with their answers (in the
    review under way, or an earlier `review`, for sections answered at each review)."""
    questions.form_section(page.content, section_id)
    state = questions.section_state(
        session, page.family, page.content, section_id, _cycle(page, section_id, review)
    )
    return SectionPublic(**_section(session, page, state))


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _form(
    content: FrameworkContent, section_id: str, body: SectionSave
) -> tuple[dict[str, Any], dict[str, str]]:
    """The section as the page would post it, and where each of the page's field ids is in
    the request (for errors per answer). An answer to a question, or a rating of a factor,
    that the section does not have is refused where it was sent."""
    form: dict[str, Any] = {}
    where: dict[str, str] = {}
    problems: dict[str, str] = {}
    section = questions.form_section(content, section_id)
    rated = {factor.factor_id for factor in questions.factor_fields(content, section, {})}
    for key, value in body.answers.items():
        name = questions.ANSWER + key
        location = f"answers.{key}"
        where[questions.field_id(name)] = location
        where[questions.field_id(f"{name}-day")] = location
        parsed = parse_answer_key(key)
        info = content.questions.get(parsed[1]) if parsed else None
        if info is None or info.section_id != section_id:
            problems[location] = (
                f"This section of version {content.version} of the framework does not ask "
                "this question: use the keys of the section's questions (GET the section)"
            )
            continue
        if value is None:
            continue
        kind = info.question.type
        if kind == "date":
            if not (isinstance(value, str) and _DATE.fullmatch(value)):
                problems[location] = "Send the date as YYYY-MM-DD"
                continue
            year, month, day = value.split("-")
            form.update({f"{name}-day": day, f"{name}-month": month, f"{name}-year": year})
        elif isinstance(value, bool):
            form[name] = "yes" if value else "no"
        elif isinstance(value, list):
            form[name] = [str(item) for item in value]
        elif kind in {"yes_no", "number", "scale"} and isinstance(value, str):
            problems[location] = (
                "Send yes or no as true or false" if kind == "yes_no" else "Send a number"
            )
        else:
            form[name] = str(value)
    # Repeating groups: the items named in the answers' keys, after those listed.
    items = {key: list(ids) for key, ids in body.items.items()}
    for key, ids in questions.items_in(body.answers, content).items():
        listed = items.setdefault(key, [])
        listed.extend(item for item in ids if item not in listed)
    for key, ids in items.items():
        form[questions.ITEMS + key] = ids
    for factor_id, rating in body.factors.items():
        if factor_id not in rated:
            problems[f"factors.{factor_id}"] = (
                f"This section of version {content.version} of the framework does not rate "
                "this factor: use the ids of the section's factors (GET the section)"
            )
            continue
        status = f"{questions.FACTOR}{factor_id}.status"
        notes = f"{questions.FACTOR}{factor_id}.notes"
        where[questions.field_id(status)] = f"factors.{factor_id}.status"
        where[questions.field_id(notes)] = f"factors.{factor_id}.notes"
        form[status] = rating.status or ""
        form[notes] = rating.notes or ""
    if problems:
        raise InvalidInput(problems)
    return form, where


def _located(errors: dict[str, str], where: dict[str, str]) -> dict[str, str]:
    return {
        where.get(field, "body" if field == "section-form" else field): message
        for field, message in errors.items()
    }


@router.put(
    "/sections/{section_id}",
    response_model=SavedSection,
    responses=conflict(
        SectionPublic,
        "Someone else saved the section since `version`, the review has finished, the "
        "plan has ended, or the section cannot be completed yet (the message says what it "
        "waits for): nothing was saved; `current` is the section as saved now",
    ),
)
def save_section(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    section_id: ContentId,
    body: Annotated[
        SectionSave,
        Body(
            openapi_examples={
                "answers": {
                    "summary": "Answers, a parent's repeated group and a factor",
                    "value": {
                        "version": 0,
                        "answers": {"return-considered-reason": "The parents asked."},
                        "factors": {"sm-r3": {"status": "present", "notes": "Relapse in May"}},
                        "complete": False,
                    },
                }
            }
        ),
    ],
) -> Any:
    """Save the section's answers and factor ratings with the page's validation: an answer to
    a question the section does not ask, a value outside the options or a bad date is refused
    with an error at its answer key, and nothing is saved. With `complete`, the section is
    marked complete when nothing required is missing; otherwise it is saved as a draft and
    `missing` says what to answer."""
    family, content = page.family, page.content
    questions.form_section(content, section_id)
    cycle = progress.current_cycle(content, family, section_id)
    if body.review is not None and body.review != cycle:
        return _stale_section(
            session,
            page,
            section_id,
            cycle,
            "This review has finished, so its answers can no longer be changed; the review "
            "under way is shown.",
        )
    form, where = _form(content, section_id, body)
    try:
        result = questions.save_section(
            session,
            actor=actor,
            family=family,
            content=content,
            section_id=section_id,
            form=form,
            expected_version=body.version,
            complete=body.complete,
            cycle=cycle,
        )
    except InvalidInput as problem:
        raise InvalidInput(_located(problem.errors, where)) from None
    except Conflict as problem:
        return _stale_section(session, page, section_id, cycle, str(problem))
    # The section as saved, with the items sent (an item with no answers yet is listed, so
    # that its questions can be answered next).
    return SavedSection(
        **_section(session, page, result.state),
        completed=result.completed,
        missing=_located(result.state.missing, _missing_where(result.state)),
    )


def _missing_where(state: questions.SectionState) -> dict[str, str]:
    where = {}
    for node, _labels in questions.walk(state.nodes):
        where[node.id] = node.key
        where[node.id + "-day"] = node.key
        where[node.id + "-add"] = node.key
    for factor in state.factors:
        where[questions.field_id(factor.status_name)] = f"factors.{factor.factor_id}"
    return where


def _stale_section(
    session: Session, page: FamilyPage, section_id: str, cycle: int, message: str
) -> Response:
    state = questions.section_state(session, page.family, page.content, section_id, cycle)
    current = SectionPublic(**_section(session, page, state)).model_dump(mode="json")
    return JSONResponse({"message": message, "current": current}, status_code=409)


class Completed(BaseModel):
    section_id: str
    status: SectionStatusName


@router.post("/sections/{section_id}/complete", response_model=Completed)
def complete_chronology(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    section_id: ContentId,
) -> Completed:
    """Mark a chronology section complete: the practitioner says the history is gathered (it
    needs at least one entry). Guided sections are completed by saving them with `complete`."""
    info = page.content.sections.get(section_id)
    if info is not None and info.section.kind != "chronology":
        raise InvalidInput(
            {
                "path.section_id": "This section is not a chronology: save it with "
                "`complete` set to true to mark it complete"
            }
        )
    questions.complete_chronology_section(
        session, actor=actor, family=page.family, content=page.content, section_id=section_id
    )
    return Completed(section_id=section_id, status="completed")


# --- evidence ---------------------------------------------------------------------------------


class EvidencePublic(BaseModel):
    """A piece of evidence for a factor: a chronology entry of the family, or a report, an
    observation or other evidence with its date and source."""

    id: uuid.UUID
    factor_id: str
    kind: Literal["chronology", "report", "observation", "other"]
    kind_label: str
    on: date | None
    source: str | None
    description: str
    chronology_entry_id: uuid.UUID | None
    version: int


class LinkEntries(ApiModel):
    entries: list[uuid.UUID] = Field(min_length=1, max_length=200)


class OtherEvidenceIn(ApiModel):
    kind: Literal["report", "observation", "other"]
    on: date
    source: str = Field(max_length=1000)
    description: str = Field(max_length=5000)


class RemoveEvidence(ApiModel):
    version: int = Field(ge=1)


def _evidence(item: evidence_service.EvidenceItem) -> EvidencePublic:
    return EvidencePublic(
        id=item.id,
        factor_id=item.factor_id,
        kind=item.kind,
        kind_label=item.kind_label,
        on=item.on,
        source=item.source,
        description=item.description,
        chronology_entry_id=item.chronology_entry_id,
        version=item.version,
    )


def _factor_evidence(session: Session, page: FamilyPage, factor_id: str) -> list[EvidencePublic]:
    return [
        _evidence(item)
        for item in evidence_service.evidence_for(session, page.family.id, factor_id)
    ]


@router.get("/factors/{factor_id}/evidence", response_model=list[EvidencePublic])
def list_evidence(
    session: SessionDep, page: ViewPage, factor_id: ContentId
) -> list[EvidencePublic]:
    """The evidence linked to a factor."""
    evidence_service.factor_info(page.content, factor_id)
    return _factor_evidence(session, page, factor_id)


@router.post(
    "/factors/{factor_id}/evidence/chronology",
    response_model=list[EvidencePublic],
    status_code=201,
)
def link_entries(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    factor_id: ContentId,
    body: LinkEntries,
) -> list[EvidencePublic]:
    """Link entries of the family's own chronology to the factor (an entry of another family
    is refused); answers with the factor's evidence."""
    evidence_service.link_entries(
        session,
        actor=actor,
        family=page.family,
        content=page.content,
        factor_id=factor_id,
        entry_ids=[str(entry) for entry in body.entries],
    )
    return _factor_evidence(session, page, factor_id)


@router.post("/factors/{factor_id}/evidence/other", response_model=EvidencePublic, status_code=201)
def add_other_evidence(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    factor_id: ContentId,
    body: OtherEvidenceIn,
) -> EvidencePublic:
    """Add a report, an observation or other evidence to the factor."""
    row = evidence_service.add_other(
        session,
        actor=actor,
        family=page.family,
        content=page.content,
        factor_id=factor_id,
        details=evidence_service.OtherEvidence(
            kind=body.kind, on=body.on, source=body.source, description=body.description
        ),
    )
    found = [item for item in _factor_evidence(session, page, factor_id) if item.id == row.id]
    return found[0]


@router.delete(
    "/factors/{factor_id}/evidence/{evidence_id}",
    status_code=204,
    responses=conflict(description="The evidence was changed since `version`"),
)
def remove_evidence(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    factor_id: ContentId,
    evidence_id: uuid.UUID,
    body: RemoveEvidence,
) -> Response:
    """Unlink a piece of evidence from the factor (kept, marked removed, for the record)."""
    evidence_service.remove(
        session,
        actor=actor,
        family=page.family,
        factor_id=factor_id,
        evidence_id=evidence_id,
        expected_version=body.version,
    )
    return Response(status_code=204)


InstancePublic.model_rebuild()
