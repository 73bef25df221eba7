"""After the decision, in the JSON API: each child's return home, visits after the return,
each child's outcome at closure, and a child coming back into care (also after the case
closed). The same services, checks and audit trail as the journey's pages."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from app.deps import ActorDep, SessionDep
from app.models.journey import CareReentry, ChildOutcome, ChildReturn, MonitoringVisit
from app.routes.api.common import ApiRoute, conflict, stale
from app.routes.api.families import DeleteRequest
from app.routes.api.models import ApiModel
from app.routes.family_pages import EditPage, FollowUpPage, ViewPage
from app.services import returns
from app.services.errors import Conflict, InvalidInput

router = APIRouter(prefix="/families/{family_id}", tags=["journey"], route_class=ApiRoute)


# --- returns home -----------------------------------------------------------------------------


class ReturnPublic(BaseModel):
    """A child going home during the plan: when, to whom, how (a return type of the family's
    framework version) and until when they are monitored."""

    id: uuid.UUID
    child_id: uuid.UUID
    returned_on: date
    return_type: str
    planned: bool
    carer_adult_id: uuid.UUID | None
    carer_name: str
    carer_has_parental_responsibility: bool
    legal_status: str
    notes: str | None
    monitor_until: date
    content_version: str
    version: int
    updated_at: datetime


class ReturnIn(ApiModel):
    """`carer_adult_id` names a parent or carer of the family's record; otherwise give the
    carer's name and whether they have parental responsibility."""

    child_id: uuid.UUID
    returned_on: date
    return_type: str = Field(max_length=64)
    carer_adult_id: uuid.UUID | None = None
    carer_name: str = Field(default="", max_length=1000)
    carer_has_parental_responsibility: bool | None = None
    legal_status: str = Field(max_length=64)
    notes: str = Field(default="", max_length=10000)


class ReturnUpdate(ReturnIn):
    version: int = Field(ge=1)


def _return(row: ChildReturn) -> ReturnPublic:
    return ReturnPublic.model_validate(row, from_attributes=True)


def _return_details(body: ReturnIn) -> returns.ReturnDetails:
    return returns.ReturnDetails(
        child_id=str(body.child_id),
        returned_on=body.returned_on,
        return_type=body.return_type,
        carer=str(body.carer_adult_id) if body.carer_adult_id else returns.SOMEONE_ELSE,
        carer_name=body.carer_name,
        carer_has_parental_responsibility=body.carer_has_parental_responsibility,
        legal_status=body.legal_status,
        notes=body.notes,
    )


@router.get("/returns", response_model=list[ReturnPublic])
def list_returns(session: SessionDep, page: ViewPage) -> list[ReturnPublic]:
    """Each child's return home in this plan, oldest first."""
    return [_return(row) for row in returns.child_returns(session, page.family.id)]


@router.post(
    "/returns",
    response_model=ReturnPublic,
    status_code=201,
    responses=conflict(description="The child is already at home, or the plan has ended"),
)
def record_return(
    session: SessionDep, actor: ActorDep, page: EditPage, body: ReturnIn
) -> ReturnPublic:
    """Record that a child went home (once the decision it waits for is made)."""
    row = returns.record_return(
        session,
        actor=actor,
        family=page.family,
        content=page.content,
        details=_return_details(body),
    )
    return _return(row)


@router.get("/returns/{child_return_id}", response_model=ReturnPublic)
def get_return(session: SessionDep, page: ViewPage, child_return_id: uuid.UUID) -> ReturnPublic:
    """One return home."""
    return _return(returns.get_return(session, page.family, child_return_id))


@router.put(
    "/returns/{child_return_id}", response_model=ReturnPublic, responses=conflict(ReturnPublic)
)
def update_return(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_return_id: uuid.UUID,
    body: ReturnUpdate,
) -> Any:
    """Correct a recorded return home (the whole record, with its `version`)."""
    row = returns.get_return(session, page.family, child_return_id)
    try:
        saved = returns.update_return(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            row=row,
            details=_return_details(body),
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(ReturnPublic, problem, _return)
    return _return(saved)


@router.delete("/returns/{child_return_id}", status_code=204, responses=conflict(ReturnPublic))
def delete_return(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_return_id: uuid.UUID,
    body: DeleteRequest,
) -> Response:
    """Delete a return recorded by mistake, with the reason."""
    row = returns.get_return(session, page.family, child_return_id)
    try:
        returns.delete_record(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            row=row,
            reason=body.reason,
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(ReturnPublic, problem, _return)
    return Response(status_code=204)


# --- visits -----------------------------------------------------------------------------------


class SeenChild(BaseModel):
    child_id: uuid.UUID
    seen_alone: bool


class VisitPublic(BaseModel):
    """A visit after a return: who was seen (and whether alone), concerns, what was done."""

    id: uuid.UUID
    visited_on: date
    seen: list[SeenChild]
    concerns: str | None
    actions: str | None
    support_in_place: bool
    recorded_by_id: uuid.UUID | None
    version: int
    updated_at: datetime


class VisitIn(ApiModel):
    visited_on: date
    seen: list[uuid.UUID] = Field(max_length=50, description="Children seen (who have gone home)")
    seen_alone: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    concerns: str = Field(default="", max_length=10000)
    actions: str = Field(default="", max_length=10000)
    support_in_place: bool


class VisitUpdate(VisitIn):
    version: int = Field(ge=1)


def _visit(row: MonitoringVisit, seen: list[Any]) -> VisitPublic:
    return VisitPublic(
        **{name: getattr(row, name) for name in VisitPublic.model_fields if name != "seen"},
        seen=[SeenChild(child_id=item.child_id, seen_alone=item.seen_alone) for item in seen],
    )


def _visit_of(session: SessionDep, family_id: uuid.UUID, row: MonitoringVisit) -> VisitPublic:
    seen = next(
        (children for visit, children in returns.visits(session, family_id) if visit.id == row.id),
        [],
    )
    return _visit(row, seen)


def _visit_details(body: VisitIn) -> returns.VisitDetails:
    return returns.VisitDetails(
        visited_on=body.visited_on,
        seen=[str(child) for child in body.seen],
        seen_alone=[str(child) for child in body.seen_alone],
        concerns=body.concerns,
        actions=body.actions,
        support_in_place=body.support_in_place,
    )


@router.get("/visits", response_model=list[VisitPublic])
def list_visits(session: SessionDep, page: ViewPage) -> list[VisitPublic]:
    """Visits after the return, newest first."""
    return [_visit(row, seen) for row, seen in returns.visits(session, page.family.id)]


@router.post(
    "/visits",
    response_model=VisitPublic,
    status_code=201,
    responses=conflict(description="The plan has ended, or no child has gone home yet"),
)
def record_visit(
    session: SessionDep, actor: ActorDep, page: EditPage, body: VisitIn
) -> VisitPublic:
    """Record a visit after a return."""
    row = returns.record_visit(
        session, actor=actor, family=page.family, content=page.content, details=_visit_details(body)
    )
    return _visit_of(session, page.family.id, row)


@router.get("/visits/{visit_id}", response_model=VisitPublic)
def get_visit(session: SessionDep, page: ViewPage, visit_id: uuid.UUID) -> VisitPublic:
    """One visit."""
    return _visit_of(session, page.family.id, returns.get_visit(session, page.family, visit_id))


@router.put("/visits/{visit_id}", response_model=VisitPublic, responses=conflict(VisitPublic))
def update_visit(
    session: SessionDep, actor: ActorDep, page: EditPage, visit_id: uuid.UUID, body: VisitUpdate
) -> Any:
    """Correct a recorded visit (the whole record, with its `version`)."""
    row = returns.get_visit(session, page.family, visit_id)
    try:
        saved = returns.update_visit(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            row=row,
            details=_visit_details(body),
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(
            VisitPublic, problem, lambda current: _visit_of(session, page.family.id, current)
        )
    return _visit_of(session, page.family.id, saved)


@router.delete("/visits/{visit_id}", status_code=204, responses=conflict(VisitPublic))
def delete_visit(
    session: SessionDep, actor: ActorDep, page: EditPage, visit_id: uuid.UUID, body: DeleteRequest
) -> Response:
    """Delete a visit recorded by mistake, with the reason."""
    row = returns.get_visit(session, page.family, visit_id)
    try:
        returns.delete_record(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            row=row,
            reason=body.reason,
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(
            VisitPublic, problem, lambda current: _visit_of(session, page.family.id, current)
        )
    return Response(status_code=204)


# --- outcomes ---------------------------------------------------------------------------------

OutcomeName = Literal["stayed-home", "returned-to-care", "other"]


class OutcomePublic(BaseModel):
    """A child's outcome when the case closes."""

    id: uuid.UUID
    child_id: uuid.UUID
    outcome: OutcomeName
    returned_to_care_on: date | None
    details: str | None
    version: int
    updated_at: datetime


class OutcomeIn(ApiModel):
    child_id: uuid.UUID
    outcome: OutcomeName
    returned_to_care_on: date | None = None
    details: str = Field(default="", max_length=10000)
    version: int = Field(default=0, ge=0, description="The outcome's version (0 for a new one)")


class OutcomesIn(ApiModel):
    outcomes: list[OutcomeIn] = Field(max_length=50)
    complete: bool = Field(
        default=False, description="Mark the outcomes complete (every child needs one)"
    )


def _outcome(row: ChildOutcome) -> OutcomePublic:
    return OutcomePublic.model_validate(row, from_attributes=True)


@router.get("/outcomes", response_model=list[OutcomePublic])
def list_outcomes(session: SessionDep, page: ViewPage) -> list[OutcomePublic]:
    """Each child's outcome recorded for the closure decision."""
    return [_outcome(row) for row in returns.outcomes(session, page.family.id).values()]


@router.put(
    "/outcomes",
    response_model=list[OutcomePublic],
    responses=conflict(description="Someone else saved an outcome since `version`"),
)
def save_outcomes(
    session: SessionDep, actor: ActorDep, page: EditPage, body: OutcomesIn
) -> list[OutcomePublic]:
    """Save the children's outcomes (children left out keep theirs); with `complete`, the
    outcomes section is marked complete when every child has one."""
    children = {child.id for child in returns.children(session, page.family)}
    unknown = [str(item.child_id) for item in body.outcomes if item.child_id not in children]
    if unknown:
        raise InvalidInput({"outcomes": "Send outcomes for this family's children only"})
    saved = returns.outcomes(session, page.family.id)
    posted = {
        str(child): returns.OutcomeDetails(
            outcome=row.outcome,
            returned_to_care_on=row.returned_to_care_on,
            details=row.details or "",
            version=row.version,
        )
        for child, row in saved.items()
    }
    posted.update(
        {
            str(item.child_id): returns.OutcomeDetails(
                outcome=item.outcome,
                returned_to_care_on=item.returned_to_care_on,
                details=item.details,
                version=item.version,
            )
            for item in body.outcomes
        }
    )
    try:
        result = returns.save_outcomes(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            posted=posted,
            complete=body.complete,
        )
    except InvalidInput as problem:
        raise InvalidInput(
            {
                field.replace("outcome-", "outcomes.")
                .replace("returned-", "outcomes.returned_to_care_on.")
                .replace("details-", "outcomes.details."): message
                for field, message in problem.errors.items()
            }
        ) from None
    return [_outcome(row) for row in result.values()]


# --- back into care ---------------------------------------------------------------------------


class ReentryPublic(BaseModel):
    """A child who went home coming back into care: during monitoring or after closure."""

    id: uuid.UUID
    child_id: uuid.UUID
    entered_on: date
    reason: str
    recorded_by_id: uuid.UUID | None
    created_at: datetime


class ReentryIn(ApiModel):
    child_id: uuid.UUID
    entered_on: date
    reason: str = Field(max_length=10000)


def _reentry(row: CareReentry) -> ReentryPublic:
    return ReentryPublic.model_validate(row, from_attributes=True)


@router.get("/reentries", response_model=list[ReentryPublic])
def list_reentries(session: SessionDep, page: ViewPage) -> list[ReentryPublic]:
    """Children who came back into care after going home, oldest first."""
    return [_reentry(row) for row in returns.reentries(session, page.family.id)]


@router.post("/reentries", response_model=ReentryPublic, status_code=201)
def record_reentry(
    session: SessionDep, actor: ActorDep, page: FollowUpPage, body: ReentryIn
) -> ReentryPublic:
    """Record that a child came back into care (the family's practitioner or a supervisor of
    its team; on a closed case too)."""
    row = returns.record_reentry(
        session,
        actor=actor,
        family=page.family,
        content=page.content,
        child_id=str(body.child_id),
        entered_on=body.entered_on,
        reason=body.reason,
    )
    return _reentry(row)
