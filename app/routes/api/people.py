"""The rest of the family's people in the JSON API, as the family's pages have them: each
child's earlier returns home (and whether they broke down), the family's network and the
professionals involved. The same services, permissions and audit trail as the pages."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from app.deps import ActorDep, SessionDep
from app.models.family import CareEpisode, Child, EarlierReturn, FamilyContact
from app.routes.api.common import ApiRoute, conflict, stale
from app.routes.api.families import DeleteRequest
from app.routes.api.models import ApiModel
from app.routes.family_pages import EditPage, ViewPage
from app.services import families
from app.services.errors import Conflict

router = APIRouter(prefix="/families/{family_id}", tags=["families"], route_class=ApiRoute)
ContactKind = Literal["network", "professional"]
Planned = Literal["planned", "unplanned", "not-known"]


class EarlierReturnPublic(BaseModel):
    """A return home before this plan: when, when it ended, and whether it broke down."""

    id: uuid.UUID
    child_id: uuid.UUID
    returned_on: date
    ended_on: date | None
    broke_down: bool
    notes: str | None
    planned: Planned | None = Field(description="None for returns recorded before it was asked")
    returned_to: str | None
    breakdown_cause: str | None = Field(
        description="An id of the content's breakdown_causes (GET /api/v1/content/…)"
    )
    version: int
    updated_at: datetime


class EarlierReturnCreate(ApiModel):
    returned_on: date
    ended_on: date | None = None
    broke_down: bool
    notes: str | None = Field(default=None, max_length=10000)
    planned: Planned
    returned_to: str | None = Field(default=None, max_length=1000)
    breakdown_cause: str | None = Field(
        default=None,
        max_length=100,
        description="Required when the return broke down and the family's content lists "
        "causes (from 1.3.0); otherwise left out",
    )


class EarlierReturnUpdate(ApiModel):
    version: int = Field(ge=1)
    returned_on: date | None = None
    ended_on: date | None = None
    broke_down: bool | None = None
    notes: str | None = Field(default=None, max_length=10000)
    planned: Planned | None = None
    returned_to: str | None = Field(default=None, max_length=1000)
    breakdown_cause: str | None = Field(default=None, max_length=100)


class CareEpisodePublic(BaseModel):
    """An earlier time in care of the child (the one under way is the child's own record)."""

    id: uuid.UUID
    child_id: uuid.UUID
    started_on: date
    ended_on: date
    legal_status: str
    placements: int
    notes: str | None
    version: int
    updated_at: datetime


class CareEpisodeCreate(ApiModel):
    started_on: date
    ended_on: date
    legal_status: str = Field(max_length=100)
    placements: int = Field(ge=1, le=100)
    notes: str | None = Field(default=None, max_length=10000)


class CareEpisodeUpdate(ApiModel):
    version: int = Field(ge=1)
    started_on: date | None = None
    ended_on: date | None = None
    legal_status: str | None = Field(default=None, max_length=100)
    placements: int | None = Field(default=None, ge=1, le=100)
    notes: str | None = Field(default=None, max_length=10000)


class ContactPublic(BaseModel):
    """Someone in the family's network (`network`), or a professional involved with the
    family (`professional`)."""

    id: uuid.UUID
    family_id: uuid.UUID
    kind: ContactKind
    name: str
    role: str
    organisation: str | None
    contact_details: str | None
    notes: str | None
    version: int
    updated_at: datetime


class ContactCreate(ApiModel):
    kind: ContactKind
    name: str = Field(max_length=1000)
    role: str = Field(max_length=1000)
    organisation: str | None = Field(default=None, max_length=1000)
    contact_details: str | None = Field(default=None, max_length=1000)
    notes: str | None = Field(default=None, max_length=10000)


class ContactUpdate(ApiModel):
    version: int = Field(ge=1)
    name: str | None = Field(default=None, max_length=1000)
    role: str | None = Field(default=None, max_length=1000)
    organisation: str | None = Field(default=None, max_length=1000)
    contact_details: str | None = Field(default=None, max_length=1000)
    notes: str | None = Field(default=None, max_length=10000)


def _return(row: EarlierReturn) -> EarlierReturnPublic:
    return EarlierReturnPublic.model_validate(row, from_attributes=True)


def _contact(row: FamilyContact) -> ContactPublic:
    return ContactPublic.model_validate(row, from_attributes=True)


def _merged(record: Any, change: BaseModel) -> dict[str, Any]:
    """The record's values with the fields the request set (a PATCH)."""
    values = {
        name: getattr(record, name) for name in type(change).model_fields if name != "version"
    }
    values.update(change.model_dump(exclude_unset=True, exclude={"version"}))
    return values


# Earlier returns -----------------------------------------------------------------------------


def _child(session: SessionDep, page: Any, child_id: uuid.UUID) -> Child:
    return families.get_child(session, page.family, child_id)


@router.get("/children/{child_id}/earlier-returns", response_model=list[EarlierReturnPublic])
def list_earlier_returns(
    session: SessionDep, page: ViewPage, child_id: uuid.UUID
) -> list[EarlierReturnPublic]:
    """The child's earlier returns home, oldest first."""
    child = _child(session, page, child_id)
    return [_return(row) for row in families.earlier_returns(session, [child.id])]


@router.post(
    "/children/{child_id}/earlier-returns", response_model=EarlierReturnPublic, status_code=201
)
def create_earlier_return(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_id: uuid.UUID,
    body: EarlierReturnCreate,
) -> EarlierReturnPublic:
    """Record an earlier return home of the child."""
    child = _child(session, page, child_id)
    row = families.add_return(
        session,
        actor=actor,
        family=page.family,
        child=child,
        details=families.ReturnDetails(**body.model_dump()),
        content=page.content,
    )
    return _return(row)


@router.get("/children/{child_id}/earlier-returns/{return_id}", response_model=EarlierReturnPublic)
def get_earlier_return(
    session: SessionDep, page: ViewPage, child_id: uuid.UUID, return_id: uuid.UUID
) -> EarlierReturnPublic:
    """One earlier return home."""
    child = _child(session, page, child_id)
    return _return(families.get_return(session, child, return_id))


@router.patch(
    "/children/{child_id}/earlier-returns/{return_id}",
    response_model=EarlierReturnPublic,
    responses=conflict(EarlierReturnPublic),
)
def update_earlier_return(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_id: uuid.UUID,
    return_id: uuid.UUID,
    body: EarlierReturnUpdate,
) -> Any:
    """Correct an earlier return home."""
    child = _child(session, page, child_id)
    row = families.get_return(session, child, return_id)
    try:
        saved = families.update_return(
            session,
            actor=actor,
            family=page.family,
            child=child,
            record=row,
            details=families.ReturnDetails(**_merged(row, body)),
            expected_version=body.version,
            content=page.content,
        )
    except Conflict as problem:
        return stale(EarlierReturnPublic, problem, _return)
    return _return(saved)


@router.delete(
    "/children/{child_id}/earlier-returns/{return_id}",
    status_code=204,
    responses=conflict(EarlierReturnPublic),
)
def delete_earlier_return(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_id: uuid.UUID,
    return_id: uuid.UUID,
    body: DeleteRequest,
) -> Response:
    """Delete an earlier return recorded by mistake, with the reason (softly)."""
    child = _child(session, page, child_id)
    row = families.get_return(session, child, return_id)
    try:
        families.delete_record(
            session,
            actor=actor,
            family=page.family,
            record=row,
            entity_type="earlier_return",
            reason=body.reason,
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(EarlierReturnPublic, problem, _return)
    return Response(status_code=204)


# Earlier times in care -----------------------------------------------------------------------


def _episode(row: CareEpisode) -> CareEpisodePublic:
    return CareEpisodePublic.model_validate(row, from_attributes=True)


@router.get("/children/{child_id}/earlier-care", response_model=list[CareEpisodePublic])
def list_earlier_care(
    session: SessionDep, page: ViewPage, child_id: uuid.UUID
) -> list[CareEpisodePublic]:
    """The child's earlier times in care, oldest first."""
    child = _child(session, page, child_id)
    return [_episode(row) for row in families.care_episodes(session, [child.id])]


@router.post("/children/{child_id}/earlier-care", response_model=CareEpisodePublic, status_code=201)
def create_earlier_care(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_id: uuid.UUID,
    body: CareEpisodeCreate,
) -> CareEpisodePublic:
    """Record an earlier time in care of the child."""
    child = _child(session, page, child_id)
    row = families.add_episode(
        session,
        actor=actor,
        family=page.family,
        content=page.content,
        child=child,
        details=families.EpisodeDetails(**body.model_dump()),
    )
    return _episode(row)


@router.get("/children/{child_id}/earlier-care/{episode_id}", response_model=CareEpisodePublic)
def get_earlier_care(
    session: SessionDep, page: ViewPage, child_id: uuid.UUID, episode_id: uuid.UUID
) -> CareEpisodePublic:
    """One earlier time in care."""
    child = _child(session, page, child_id)
    return _episode(families.get_episode(session, child, episode_id))


@router.patch(
    "/children/{child_id}/earlier-care/{episode_id}",
    response_model=CareEpisodePublic,
    responses=conflict(CareEpisodePublic),
)
def update_earlier_care(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_id: uuid.UUID,
    episode_id: uuid.UUID,
    body: CareEpisodeUpdate,
) -> Any:
    """Correct an earlier time in care."""
    child = _child(session, page, child_id)
    row = families.get_episode(session, child, episode_id)
    try:
        saved = families.update_episode(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            child=child,
            record=row,
            details=families.EpisodeDetails(**_merged(row, body)),
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(CareEpisodePublic, problem, _episode)
    return _episode(saved)


@router.delete(
    "/children/{child_id}/earlier-care/{episode_id}",
    status_code=204,
    responses=conflict(CareEpisodePublic),
)
def delete_earlier_care(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_id: uuid.UUID,
    episode_id: uuid.UUID,
    body: DeleteRequest,
) -> Response:
    """Delete an earlier time in care recorded by mistake, with the reason (softly)."""
    child = _child(session, page, child_id)
    row = families.get_episode(session, child, episode_id)
    try:
        families.delete_record(
            session,
            actor=actor,
            family=page.family,
            record=row,
            entity_type="care_episode",
            reason=body.reason,
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(CareEpisodePublic, problem, _episode)
    return Response(status_code=204)


# Network and professionals -------------------------------------------------------------------


@router.get("/contacts", response_model=list[ContactPublic])
def list_contacts(
    session: SessionDep,
    page: ViewPage,
    kind: Annotated[
        ContactKind | None, Query(description="Only the network, or only professionals")
    ] = None,
) -> list[ContactPublic]:
    """The family's network and the professionals involved."""
    kinds = [kind] if kind else ["network", "professional"]
    return [
        _contact(row) for name in kinds for row in families.contacts(session, page.family, name)
    ]


@router.post("/contacts", response_model=ContactPublic, status_code=201)
def create_contact(
    session: SessionDep, actor: ActorDep, page: EditPage, body: ContactCreate
) -> ContactPublic:
    """Add someone to the family's network, or a professional."""
    row = families.add_contact(
        session,
        actor=actor,
        family=page.family,
        details=families.ContactDetails(**body.model_dump()),
    )
    return _contact(row)


@router.get("/contacts/{contact_id}", response_model=ContactPublic)
def get_contact(session: SessionDep, page: ViewPage, contact_id: uuid.UUID) -> ContactPublic:
    """One contact."""
    return _contact(families.get_contact(session, page.family, contact_id))


@router.patch(
    "/contacts/{contact_id}", response_model=ContactPublic, responses=conflict(ContactPublic)
)
def update_contact(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    contact_id: uuid.UUID,
    body: ContactUpdate,
) -> Any:
    """Change a contact's details."""
    row = families.get_contact(session, page.family, contact_id)
    try:
        saved = families.update_contact(
            session,
            actor=actor,
            family=page.family,
            contact=row,
            details=families.ContactDetails(kind=row.kind, **_merged(row, body)),
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(ContactPublic, problem, _contact)
    return _contact(saved)


@router.delete("/contacts/{contact_id}", status_code=204, responses=conflict(ContactPublic))
def delete_contact(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    contact_id: uuid.UUID,
    body: DeleteRequest,
) -> Response:
    """Delete a contact (softly), with the reason."""
    row = families.get_contact(session, page.family, contact_id)
    try:
        families.delete_record(
            session,
            actor=actor,
            family=page.family,
            record=row,
            entity_type="contact",
            reason=body.reason,
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(ContactPublic, problem, _contact)
    return Response(status_code=204)
