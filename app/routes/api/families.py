"""Families, children and adults in the JSON API: the same services, permissions and audit
trail as the pages. Changes carry the record's `version`; a stale one answers 409 with the
record as it is now."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from app.deps import ActorDep, ContentDep, SessionDep, SettingsDep, requires
from app.models.accounts import User
from app.routes.api.common import ApiRoute, conflict, stale
from app.routes.api.models import ApiModel
from app.routes.family_pages import EditPage, SupervisePage, ViewPage
from app.security.permissions import Permission
from app.services import families
from app.services.errors import Conflict

router = APIRouter(prefix="/families", tags=["families"], route_class=ApiRoute)
Public = TypeVar("Public", bound=BaseModel)


class FamilyPublic(BaseModel):
    id: uuid.UUID
    reference: str
    display_name: str
    team_id: uuid.UUID
    allocated_practitioner_id: uuid.UUID | None
    framework_id: str
    framework_version: str
    content_hash: str
    work_started_on: date
    current_stage_id: str | None
    next_action: str | None
    next_review_due: date | None
    awaiting_sign_off: bool
    version: int
    updated_at: datetime


class FamilyCreate(ApiModel):
    reference: str = Field(max_length=1000)
    display_name: str = Field(max_length=1000)
    allocated_practitioner_id: uuid.UUID | None = None
    # One of the frameworks offered; the deployment's default when left out.
    framework_id: str | None = Field(default=None, max_length=64)


class FamilyUpdate(ApiModel):
    version: int
    reference: str | None = Field(default=None, max_length=1000)
    display_name: str | None = Field(default=None, max_length=1000)
    allocated_practitioner_id: uuid.UUID | None = None


class DeleteRequest(ApiModel):
    version: int
    reason: str = Field(max_length=10000)


class ChildPublic(BaseModel):
    id: uuid.UUID
    family_id: uuid.UUID
    name: str
    date_of_birth: date
    gender: str
    ethnicity: str | None
    legal_status: str
    legal_status_detail: str | None
    date_entered_care: date
    entry_reason: str
    entry_reason_detail: str | None
    placement_type: str
    placement_moves: int
    version: int
    updated_at: datetime


class ChildCreate(ApiModel):
    name: str = Field(max_length=1000)
    date_of_birth: date
    gender: str = Field(max_length=100)
    ethnicity: str | None = Field(default=None, max_length=1000)
    legal_status: str = Field(max_length=100)
    legal_status_detail: str | None = Field(default=None, max_length=1000)
    date_entered_care: date
    entry_reason: str = Field(max_length=100)
    entry_reason_detail: str | None = Field(default=None, max_length=10000)
    placement_type: str = Field(max_length=100)
    placement_moves: int = Field(ge=0, le=200)


class ChildUpdate(ApiModel):
    version: int
    name: str | None = Field(default=None, max_length=1000)
    date_of_birth: date | None = None
    gender: str | None = Field(default=None, max_length=100)
    ethnicity: str | None = Field(default=None, max_length=1000)
    legal_status: str | None = Field(default=None, max_length=100)
    legal_status_detail: str | None = Field(default=None, max_length=1000)
    date_entered_care: date | None = None
    entry_reason: str | None = Field(default=None, max_length=100)
    entry_reason_detail: str | None = Field(default=None, max_length=10000)
    placement_type: str | None = Field(default=None, max_length=100)
    placement_moves: int | None = Field(default=None, ge=0, le=200)


class AdultPublic(BaseModel):
    id: uuid.UUID
    family_id: uuid.UUID
    name: str
    relationship: str
    relationship_detail: str | None
    parental_responsibility: bool
    lives_in_household: bool
    child_roles: dict[str, str] = Field(
        description="The adult's role toward each child, by child id: household-carer, "
        "parent-outside, partner, risk or other. A child added after the adult has the role "
        "their relationship and household suggest until one is recorded.",
        examples=[{"0f8fad5b-d9cb-469f-a165-70867728950e": "parent-outside"}],
    )
    version: int
    updated_at: datetime


ROLES_FIELD = Field(
    default=None,
    max_length=100,
    description="Role toward each child, by child id (household-carer, parent-outside, "
    "partner, risk or other). Left out: the roles the relationship and household suggest "
    "(on create) or those recorded (on update); given on update, it changes only the "
    "children it names.",
)


class AdultCreate(ApiModel):
    name: str = Field(max_length=1000)
    relationship: str = Field(max_length=100)
    relationship_detail: str | None = Field(default=None, max_length=1000)
    parental_responsibility: bool
    lives_in_household: bool
    child_roles: dict[str, str] | None = ROLES_FIELD


class AdultUpdate(ApiModel):
    version: int
    name: str | None = Field(default=None, max_length=1000)
    relationship: str | None = Field(default=None, max_length=100)
    relationship_detail: str | None = Field(default=None, max_length=1000)
    parental_responsibility: bool | None = None
    lives_in_household: bool | None = None
    child_roles: dict[str, str] | None = ROLES_FIELD


def _public(model: type[Public], record: Any) -> Public:
    return model.model_validate(record, from_attributes=True)


def _merged(record: Any, change: BaseModel) -> dict[str, Any]:
    """The record's current values with the fields the request set (a PATCH)."""
    values = {
        name: getattr(record, name) for name in type(change).model_fields if name != "version"
    }
    values.update(change.model_dump(exclude_unset=True, exclude={"version"}))
    return values


# Families ------------------------------------------------------------------------------------


@router.get("", response_model=list[FamilyPublic])
def list_families(
    session: SessionDep,
    user: Annotated[User, requires(Permission.FAMILY_VIEW)],
    scope: str = "team",
    search: str = "",
    page: int = 1,
) -> list[FamilyPublic]:
    """The families of the user's team (scope=team) or allocated to them (scope=mine)."""
    results = families.caseload(
        session,
        user=user,
        query=families.CaseloadQuery(
            scope="mine" if scope == "mine" else "team",
            search=search[:100],
            page=max(1, page),
            page_size=100,
        ),
    )
    return [_public(FamilyPublic, row.family) for row in results.rows]


@router.post("", response_model=FamilyPublic, status_code=201)
def create_family(
    body: FamilyCreate,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    settings: SettingsDep,
    _: Annotated[User, requires(Permission.FAMILY_CREATE)],
) -> FamilyPublic:
    """Start work with a family in the user's team."""
    family = families.create_family(
        session,
        actor=actor,
        registry=registry,
        framework_id=body.framework_id or settings.default_framework,
        details=families.FamilyDetails(**body.model_dump(exclude={"framework_id"})),
    )
    return _public(FamilyPublic, family)


@router.get("/{family_id}", response_model=FamilyPublic)
def get_family(page: ViewPage) -> FamilyPublic:
    """One family's record."""
    return _public(FamilyPublic, page.family)


@router.patch("/{family_id}", response_model=FamilyPublic, responses=conflict(FamilyPublic))
def update_family(body: FamilyUpdate, session: SessionDep, actor: ActorDep, page: EditPage) -> Any:
    """Change the family's reference, name or allocation."""
    details = families.FamilyDetails(**_merged(page.family, body))
    try:
        return _public(
            FamilyPublic,
            families.update_family(
                session,
                actor=actor,
                family=page.family,
                details=details,
                expected_version=body.version,
            ),
        )
    except Conflict as problem:
        return stale(FamilyPublic, problem, lambda row: _public(FamilyPublic, row))


@router.delete("/{family_id}", status_code=204, responses=conflict(FamilyPublic))
def delete_family(
    body: DeleteRequest, session: SessionDep, actor: ActorDep, page: SupervisePage
) -> Response:
    """Delete the family's record (softly: supervisors can still see it)."""
    try:
        families.delete_family(
            session,
            actor=actor,
            family=page.family,
            reason=body.reason,
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(FamilyPublic, problem, lambda row: _public(FamilyPublic, row))
    return Response(status_code=204)


# Children ------------------------------------------------------------------------------------


@router.get("/{family_id}/children", response_model=list[ChildPublic])
def list_children(session: SessionDep, page: ViewPage) -> list[ChildPublic]:
    """The family's children."""
    return [_public(ChildPublic, child) for child in families.children(session, page.family)]


@router.post("/{family_id}/children", response_model=ChildPublic, status_code=201)
def create_child(
    body: ChildCreate, session: SessionDep, actor: ActorDep, page: EditPage
) -> ChildPublic:
    """Add a child to the family."""
    child = families.add_child(
        session,
        actor=actor,
        family=page.family,
        content=page.content,
        details=families.ChildDetails(**body.model_dump()),
    )
    return _public(ChildPublic, child)


@router.get("/{family_id}/children/{child_id}", response_model=ChildPublic)
def get_child(session: SessionDep, page: ViewPage, child_id: uuid.UUID) -> ChildPublic:
    """One child."""
    return _public(ChildPublic, families.get_child(session, page.family, child_id))


@router.patch(
    "/{family_id}/children/{child_id}", response_model=ChildPublic, responses=conflict(ChildPublic)
)
def update_child(
    body: ChildUpdate, session: SessionDep, actor: ActorDep, page: EditPage, child_id: uuid.UUID
) -> Any:
    """Change a child's details."""
    child = families.get_child(session, page.family, child_id)
    details = families.ChildDetails(**_merged(child, body))
    try:
        updated = families.update_child(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            child=child,
            details=details,
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(ChildPublic, problem, lambda row: _public(ChildPublic, row))
    return _public(ChildPublic, updated)


@router.delete("/{family_id}/children/{child_id}", status_code=204, responses=conflict(ChildPublic))
def delete_child(
    body: DeleteRequest, session: SessionDep, actor: ActorDep, page: EditPage, child_id: uuid.UUID
) -> Response:
    """Delete a child's record (softly: supervisors can still see it)."""
    child = families.get_child(session, page.family, child_id)
    try:
        families.delete_record(
            session,
            actor=actor,
            family=page.family,
            record=child,
            entity_type="child",
            reason=body.reason,
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(ChildPublic, problem, lambda row: _public(ChildPublic, row))
    return Response(status_code=204)


# Adults --------------------------------------------------------------------------------------


@router.get("/{family_id}/adults", response_model=list[AdultPublic])
def list_adults(session: SessionDep, page: ViewPage) -> list[AdultPublic]:
    """The family's parents and carers."""
    return [_public(AdultPublic, adult) for adult in families.adults(session, page.family)]


@router.post("/{family_id}/adults", response_model=AdultPublic, status_code=201)
def create_adult(
    body: AdultCreate, session: SessionDep, actor: ActorDep, page: EditPage
) -> AdultPublic:
    """Add a parent or carer."""
    adult = families.add_adult(
        session, actor=actor, family=page.family, details=families.AdultDetails(**body.model_dump())
    )
    return _public(AdultPublic, adult)


@router.get("/{family_id}/adults/{adult_id}", response_model=AdultPublic)
def get_adult(session: SessionDep, page: ViewPage, adult_id: uuid.UUID) -> AdultPublic:
    """One parent or carer."""
    return _public(AdultPublic, families.get_adult(session, page.family, adult_id))


@router.patch(
    "/{family_id}/adults/{adult_id}", response_model=AdultPublic, responses=conflict(AdultPublic)
)
def update_adult(
    body: AdultUpdate, session: SessionDep, actor: ActorDep, page: EditPage, adult_id: uuid.UUID
) -> Any:
    """Change a parent's or carer's details."""
    adult = families.get_adult(session, page.family, adult_id)
    # Roles the request leaves out stay as recorded (families._check_roles merges them).
    details = families.AdultDetails(**{**_merged(adult, body), "child_roles": body.child_roles})
    try:
        updated = families.update_adult(
            session,
            actor=actor,
            family=page.family,
            adult=adult,
            details=details,
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(AdultPublic, problem, lambda row: _public(AdultPublic, row))
    return _public(AdultPublic, updated)


@router.delete("/{family_id}/adults/{adult_id}", status_code=204, responses=conflict(AdultPublic))
def delete_adult(
    body: DeleteRequest, session: SessionDep, actor: ActorDep, page: EditPage, adult_id: uuid.UUID
) -> Response:
    """Delete a parent's or carer's record (softly)."""
    adult = families.get_adult(session, page.family, adult_id)
    try:
        families.delete_record(
            session,
            actor=actor,
            family=page.family,
            record=adult,
            entity_type="adult",
            reason=body.reason,
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(AdultPublic, problem, lambda row: _public(AdultPublic, row))
    return Response(status_code=204)
