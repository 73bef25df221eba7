"""Classifications, decisions and reviews in the JSON API: the suggested level with its
explanation, submitting the practitioner's level, the supervisor's sign-off or return, every
decision at the framework's gates with its option and reason (proposals too), and the review
cycles. The same services and checks as the pages: a supervisor never signs off their own
work, a stale or repeated request changes nothing."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field
from sqlmodel import Session, col, select

from app.content.journey import shape
from app.deps import ActorDep, SessionDep
from app.models.assessment import Classification
from app.models.progress import GateDecision, GateProposal, SectionStatus
from app.routes.api.common import ApiRoute, conflict
from app.routes.api.models import ApiModel
from app.routes.api.sections import ContentId, SectionStatusName
from app.routes.family_pages import EditPage, FamilyPage, SupervisePage, ViewPage
from app.services import classification, decisions, progress
from app.services.errors import Conflict, InvalidInput

router = APIRouter(prefix="/families/{family_id}", tags=["decisions"], route_class=ApiRoute)
DECIDED = conflict(
    description="Already submitted, reviewed or decided, or made from an older state of the "
    "record (`latest`, `version` or `basis`): nothing was changed"
)


# --- the explanation ----------------------------------------------------------------------------


class EvidenceBrief(BaseModel):
    kind: str
    on: str | None
    source: str | None
    description: str


class EntryBrief(BaseModel):
    id: str
    on: str
    source: str
    what_happened: str


class Reason(BaseModel):
    """A fact of the family's record that made a rule fire: an answer, a factor (with its
    evidence) or chronology entries (the most recent)."""

    kind: str
    ref: str
    text: str
    evidence: list[EvidenceBrief] | None = None
    entries: list[EntryBrief] | None = None


class SourceCitation(BaseModel):
    short: str
    citation: str
    url: str | None


class Finding(BaseModel):
    """A rule that fired: a minimum level (or one that lapsed), a step down or a caution, why,
    and the research behind it."""

    id: str
    kind: str
    title: str
    text: str
    advice: str | None
    level: str | None
    level_label: str | None
    # How many levels a step down lowers the suggestion; whether a minimum level is firm.
    steps: int = 0
    firm: bool = False
    reasons: list[Reason]
    sources: list[SourceCitation]


class ToolItem(BaseModel):
    label: str
    # The option chosen or matched, for an item scored by options.
    option: str | None = None
    points: int | float
    reasons: list[Reason]


class ToolResult(BaseModel):
    id: str
    title: str
    # Until every item is answered a tool is not completed: no score, band or level of its
    # own (`level` is then only a mandatory override's). Older explanations lack these.
    completed: bool = True
    unanswered: list[str] = []
    score: int | float
    band_label: str | None = None
    level: str | None
    # How many levels a practitioner may move the level from the suggestion (none: no limit).
    discretionary_levels: int | None = None
    items: list[ToolItem]
    overrides: list[Finding]


class Explanation(BaseModel):
    """The rules engine's suggestion and everything behind it, as the classification page and
    the summary show it."""

    as_of: date
    content_version: str
    level: str
    level_label: str
    default_level: str
    set_by: list[str]
    minimum_levels: list[Finding]
    # Content from 1.3.0 on: the level before any step down, the step downs that applied, the
    # minimum levels that lapsed because change has lasted (empty for older explanations).
    raised_level: str | None = None
    stepped_down: bool = False
    step_downs: list[Finding] = []
    lapsed: list[Finding] = []
    cautions: list[Finding]
    tools: list[ToolResult]
    lines: list[str]


# --- classifications ----------------------------------------------------------------------------


class ClassificationPublic(BaseModel):
    """One submission of a classification and its review. Every round is kept."""

    id: uuid.UUID
    section_id: str
    cycle: int
    timepoint_id: str
    content_version: str
    suggested_level: str
    practitioner_level: str
    rationale: str | None
    submitted_by_id: uuid.UUID
    submitted_at: datetime
    status: Literal["submitted", "agreed", "disagreed"]
    supervisor_agrees: bool | None
    supervisor_comments: str | None
    supervisor_level: str | None
    reviewed_by_id: uuid.UUID | None
    reviewed_at: datetime | None
    gate_id: str | None
    gate_option_id: str | None
    gate_decision_id: uuid.UUID | None
    version: int
    explanation: Explanation | None = Field(
        default=None, description="The explanation as it stood when it was submitted"
    )


class GateBrief(BaseModel):
    id: str
    question: str
    options: list[OptionEffect]


class ClassificationView(BaseModel):
    """A classification point: the suggestion now, what is still to finish, the submission
    waiting for sign-off (`current`) and every earlier round."""

    section_id: str
    title: str
    timepoint: str
    cycle: int
    status: SectionStatusName
    suggestion: Explanation
    missing: list[str] = Field(description="Titles of what must be finished before submitting")
    gate: GateBrief | None = Field(
        description="The decision the supervisor records while signing off, if any"
    )
    current: ClassificationPublic | None
    history: list[ClassificationPublic]


class Submission(ApiModel):
    level: str = Field(max_length=64)
    rationale: str = Field(default="", max_length=20000)
    latest: uuid.UUID | None = Field(
        default=None,
        description="The newest earlier submission you have seen (none for the first); a "
        "submission made from an older view is refused with 409",
    )


class ReviewIn(ApiModel):
    """The supervisor's review: agree (with the option of the decision that follows, where
    the supervisor records it here) or disagree (with their level and why)."""

    classification_id: uuid.UUID
    version: int = Field(ge=1)
    agrees: bool
    comments: str = Field(default="", max_length=20000)
    supervisor_level: str = Field(default="", max_length=64)
    gate_option: str = Field(default="", max_length=64)


def _classification(row: Classification, *, full: bool = False) -> ClassificationPublic:
    data = ClassificationPublic.model_validate(row, from_attributes=True).model_dump(
        exclude={"explanation"}
    )
    return ClassificationPublic(**data, explanation=row.explanation if full else None)


def _status(session: Session, page: FamilyPage, section_id: str, cycle: int) -> str:
    return (
        progress.section_statuses(session, page.family.id, cycle)
        .get(section_id, SectionStatus.NOT_STARTED)
        .value
    )


def _classification_cycle(page: FamilyPage, section_id: str, review: int | None) -> int:
    current = progress.current_cycle(page.content, page.family, section_id)
    if current == 0 or review is None or not 1 <= review <= current:
        return current
    return review


@router.get("/classifications/{classification_section}", response_model=ClassificationView)
def get_classification(
    session: SessionDep,
    page: ViewPage,
    classification_section: ContentId,
    review: Annotated[int | None, Query(ge=0, le=1000)] = None,
) -> ClassificationView:
    """The suggested level with its explanation (which rules fired on which answers, factors
    and chronology entries, with sources), and every submission with its review."""
    family, content = page.family, page.content
    section = classification.classification_section(content, classification_section)
    cycle = _classification_cycle(page, classification_section, review)
    suggestion = classification.suggest(
        session, family=family, content=content, cycle=cycle, timepoint=section.timepoint
    )
    rows = classification.history(session, family.id, classification_section, cycle)
    gate = classification.inline_gate(content, classification_section)
    return ClassificationView(
        section_id=section.id,
        title=section.title,
        timepoint=section.timepoint,
        cycle=cycle,
        status=_status(session, page, classification_section, cycle),
        suggestion=Explanation.model_validate(suggestion.explanation),
        missing=classification.missing_sections(
            session, family, content, classification_section, cycle
        ),
        gate=GateBrief(id=gate.id, question=gate.question, options=_options(page, gate.id))
        if gate
        else None,
        current=_classification(rows[0], full=True) if rows else None,
        history=[_classification(row, full=True) for row in rows],
    )


@router.post(
    "/classifications/{classification_section}",
    response_model=ClassificationPublic,
    status_code=201,
    responses=DECIDED,
)
def submit_classification(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    classification_section: ContentId,
    body: Annotated[
        Submission,
        Body(
            openapi_examples={
                "agrees": {"summary": "The suggested level", "value": {"level": "amber"}},
                "differs": {
                    "summary": "A different level, with the reasons",
                    "value": {
                        "level": "red",
                        "rationale": "A new partner has moved in and has not been assessed.",
                    },
                },
            }
        ),
    ],
) -> ClassificationPublic:
    """Submit the practitioner's level (and, where it differs from the suggestion, why) for a
    supervisor's sign-off."""
    classification.classification_section(page.content, classification_section)
    row = classification.submit(
        session,
        actor=actor,
        family=page.family,
        content=page.content,
        section_id=classification_section,
        level=body.level,
        rationale=body.rationale,
        latest_id=str(body.latest) if body.latest else "",
    )
    return _classification(row, full=True)


@router.post(
    "/classifications/{classification_section}/review",
    response_model=ClassificationPublic,
    responses=DECIDED,
)
def review_classification(
    session: SessionDep,
    actor: ActorDep,
    page: SupervisePage,
    classification_section: ContentId,
    body: Annotated[
        ReviewIn,
        Body(
            openapi_examples={
                "sign_off": {
                    "summary": "Agree, and record the decision that follows",
                    "value": {
                        "classification_id": "3f1c1a52-7a55-4e7a-9b38-0d5c7d0e2b11",
                        "version": 1,
                        "agrees": True,
                        "gate_option": "work-towards-return",
                        "comments": "The evidence supports a planned return.",
                    },
                },
                "return": {
                    "summary": "Disagree: send it back with your level",
                    "value": {
                        "classification_id": "3f1c1a52-7a55-4e7a-9b38-0d5c7d0e2b11",
                        "version": 1,
                        "agrees": False,
                        "supervisor_level": "red",
                        "comments": "The domestic abuse evidence needs another look.",
                    },
                },
            }
        ),
    ],
) -> ClassificationPublic:
    """A supervisor (never the one who submitted it, nor the family's practitioner) agrees,
    signing the classification off and recording the decision that follows where the content
    has them record it here, or disagrees and sends it back."""
    family = page.family
    classification.classification_section(page.content, classification_section)
    cycle = progress.current_cycle(page.content, family, classification_section)
    current = classification.latest(session, family.id, classification_section, cycle)
    if current is None or current.id != body.classification_id:
        raise Conflict(classification.ALREADY_REVIEWED)
    row = classification.review(
        session,
        actor=actor,
        family=family,
        content=page.content,
        classification_id=current.id,
        details=classification.Review(
            agrees=body.agrees,
            comments=body.comments,
            level=body.supervisor_level,
            gate_option=body.gate_option,
        ),
        expected_version=body.version,
    )
    return _classification(row, full=True)


# --- decisions --------------------------------------------------------------------------------


class OptionEffect(BaseModel):
    """An answer to a decision and what choosing it does to the family's journey."""

    id: str
    label: str
    hint: str | None
    effect: Literal["next_stage", "proceeds", "reopens", "next_review", "ends_plan", "closes_case"]
    next_stage: str | None
    reopens: list[str]


class DecisionPublic(BaseModel):
    """A decision recorded at a gate: the option, the reason, who and when. A later decision
    at the same gate and review (after it was reopened) supersedes it; both are kept."""

    id: uuid.UUID
    gate_id: str
    cycle: int
    option_id: str
    effect: str
    rationale: str
    decided_by_id: uuid.UUID
    decided_at: datetime
    held_on: date | None
    proposal_id: uuid.UUID | None
    superseded_at: datetime | None
    framework_version: str


class ProposalPublic(BaseModel):
    id: uuid.UUID
    gate_id: str
    cycle: int
    option_id: str
    reason: str
    held_on: date | None
    proposed_by_id: uuid.UUID
    proposed_at: datetime
    status: Literal["pending", "decided", "withdrawn"]


class GateView(BaseModel):
    """A decision of the framework: its options and what each does, who proposes and who
    records it, the proposal waiting, the decision and every earlier one at this gate.
    Send `basis` back with a proposal or decision: it says what you decided from."""

    gate_id: str
    title: str
    question: str
    cycle: int
    is_review: bool
    recorded_by: str
    proposed_by: str | None
    rationale_required: bool
    status: SectionStatusName
    waiting_for: list[str]
    options: list[OptionEffect]
    proposal: ProposalPublic | None
    decision: DecisionPublic | None
    history: list[DecisionPublic]
    basis: str


class DecisionIn(ApiModel):
    option: str = Field(max_length=64)
    reason: str = Field(default="", max_length=20000)
    held_on: date | None = Field(
        default=None, description="For a review's decision: the date the meeting was held"
    )
    basis: str = Field(
        default="",
        max_length=100,
        description="The `basis` of the decision as read (GET); a stale one is refused",
    )


def _options(page: FamilyPage, gate_id: str) -> list[OptionEffect]:
    gate = decisions.gate_section(page.content, gate_id)
    journey = shape(page.content)
    result = []
    for option in gate.options:
        effect = journey.effect(gate_id, option.id)
        result.append(
            OptionEffect(
                id=option.id,
                label=option.label,
                hint=option.hint,
                effect=effect.effect.value,
                next_stage=option.next_stage,
                reopens=list(effect.reopens),
            )
        )
    return result


def _decision(row: GateDecision) -> DecisionPublic:
    return DecisionPublic.model_validate(row, from_attributes=True)


def _proposal(row: GateProposal) -> ProposalPublic:
    return ProposalPublic.model_validate(row, from_attributes=True)


@router.get("/decisions", response_model=list[DecisionPublic])
def list_decisions(session: SessionDep, page: ViewPage) -> list[DecisionPublic]:
    """Every decision recorded for the family, newest first (superseded ones too)."""
    rows = session.exec(
        select(GateDecision)
        .where(col(GateDecision.family_id) == page.family.id)
        .order_by(col(GateDecision.decided_at).desc())
    ).all()
    return [_decision(row) for row in rows]


def _gate_view(session: Session, page: FamilyPage, gate_id: str, review: int | None) -> GateView:
    family, content = page.family, page.content
    gate = decisions.gate_section(content, gate_id)
    current_cycle = progress.current_cycle(content, family, gate_id)
    cycle = current_cycle if review is None or not 1 <= review <= current_cycle else review
    proposal = decisions.pending_proposal(session, family.id, gate_id, cycle)
    decision = decisions.current_decision(session, family.id, gate_id, cycle)
    return GateView(
        gate_id=gate.id,
        title=gate.title,
        question=gate.question,
        cycle=cycle,
        is_review=gate.recurrence == "each_review",
        recorded_by=gate.recorded_by,
        proposed_by=gate.proposed_by,
        rationale_required=gate.rationale_required,
        status=_status(session, page, gate_id, cycle),
        waiting_for=list(progress.waiting_for(session, family, content, gate_id, cycle)),
        options=_options(page, gate_id),
        proposal=_proposal(proposal) if proposal else None,
        decision=_decision(decision) if decision else None,
        history=[
            _decision(row)
            for row in decisions.history(session, family.id, gate_id)
            if row.cycle == cycle
        ],
        basis=decisions.basis(proposal, decision),
    )


@router.get("/decisions/{gate_id}", response_model=GateView)
def get_decision(
    session: SessionDep,
    page: ViewPage,
    gate_id: ContentId,
    review: Annotated[int | None, Query(ge=0, le=1000)] = None,
) -> GateView:
    """A decision point with its options, proposal, decision and history."""
    return _gate_view(session, page, gate_id, review)


def _choice(body: DecisionIn) -> decisions.Choice:
    return decisions.Choice(
        option=body.option, reason=body.reason, held_on=body.held_on, basis=body.basis
    )


class PractitionersPart(BaseModel):
    """What the practitioner's call made: a proposal for a manager to decide on, or the
    decision itself where the content has the practitioner record it."""

    made: Literal["proposal", "decision"]
    proposal: ProposalPublic | None = None
    decision: DecisionPublic | None = None


@router.post(
    "/decisions/{gate_id}/practitioner",
    response_model=PractitionersPart,
    status_code=201,
    responses=DECIDED,
)
def practitioners_decision(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    gate_id: ContentId,
    body: Annotated[
        DecisionIn,
        Body(
            openapi_examples={
                "proposal": {
                    "summary": "Propose a review's decision for a manager",
                    "value": {
                        "option": "continue-plan",
                        "reason": "The children are settled and the parents keep to the plan.",
                        "held_on": "2026-03-02",
                        "basis": "/",
                    },
                }
            }
        ),
    ],
) -> PractitionersPart:
    """The family's practitioner's part in a decision, as on the decision page: a proposal
    for a manager to decide on, or the decision itself where the content says the
    practitioner records it. A decision a manager records without a proposal is refused."""
    gate = decisions.gate_section(page.content, gate_id)
    records = gate.recorded_by == "practitioner"
    if not records and gate.proposed_by is None:
        raise InvalidInput({"option": "A manager records this decision; nothing to propose"})
    act = decisions.record if records else decisions.propose
    row = act(
        session,
        actor=actor,
        family=page.family,
        content=page.content,
        gate_id=gate_id,
        choice=_choice(body),
    )
    if isinstance(row, GateDecision):
        return PractitionersPart(made="decision", decision=_decision(row))
    return PractitionersPart(made="proposal", proposal=_proposal(row))


@router.post(
    "/decisions/{gate_id}",
    response_model=DecisionPublic,
    status_code=201,
    responses=DECIDED,
)
def record_decision(
    session: SessionDep,
    actor: ActorDep,
    page: SupervisePage,
    gate_id: ContentId,
    body: Annotated[
        DecisionIn,
        Body(
            openapi_examples={
                "decision": {
                    "value": {
                        "option": "signed-off",
                        "reason": "The goals are clear and the parents agreed them.",
                        "basis": "/",
                    }
                }
            }
        ),
    ],
) -> DecisionPublic:
    """A supervisor of the family's team records the decision (never on their own work: not
    the family's practitioner, nor the one who proposed it or submitted what it rests on), and
    what the chosen option does to the family's journey is carried out."""
    row = decisions.record(
        session,
        actor=actor,
        family=page.family,
        content=page.content,
        gate_id=gate_id,
        choice=_choice(body),
    )
    return _decision(row)


# --- reviews ----------------------------------------------------------------------------------


class ReviewSection(BaseModel):
    section_id: str
    title: str
    kind: str
    status: SectionStatusName
    decision: DecisionPublic | None


class ReviewPublic(BaseModel):
    """A review of the agreement: when it was due and held, and each of its sections."""

    number: int
    phase: Literal["before_return", "after_return"]
    due_on: date
    held_on: date | None
    opened_at: datetime
    closed_at: datetime | None
    overdue: bool
    sections: list[ReviewSection]


@router.get("/reviews", response_model=list[ReviewPublic])
def list_reviews(session: SessionDep, page: ViewPage) -> list[ReviewPublic]:
    """Every review cycle, the one under way first, with each section's status and the
    review's decision."""
    family, content = page.family, page.content
    journey = shape(content)
    state = progress.load_state(session, family)
    result = []
    for cycle in reversed(state.cycles):
        sections = []
        for section_id in journey.review_sections(cycle.phase):
            section = journey.section(section_id)
            status = state.statuses.get((section_id, cycle.number))
            decision = state.decisions.get((section_id, cycle.number))
            sections.append(
                ReviewSection(
                    section_id=section_id,
                    title=section.title,
                    kind=section.kind,
                    status=(status or SectionStatus.NOT_STARTED).value,
                    decision=_decision(decision) if decision else None,
                )
            )
        result.append(
            ReviewPublic(
                number=cycle.number,
                phase=cycle.phase,
                due_on=cycle.due_on,
                held_on=cycle.held_on,
                opened_at=cycle.opened_at,
                closed_at=cycle.closed_at,
                overdue=cycle.closed_at is None and progress.is_overdue(cycle.due_on),
                sections=sections,
            )
        )
    return result


GateBrief.model_rebuild()
ClassificationView.model_rebuild()
