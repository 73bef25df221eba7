"""Families in the JSON API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel

from app.deps import ActorDep, SessionDep, requires
from app.models.accounts import User
from app.security.permissions import FamilyAction, Permission
from app.services.access import open_family

router = APIRouter(prefix="/families", tags=["families"])


class FamilyPublic(BaseModel):
    id: uuid.UUID
    reference: str
    display_name: str
    team_id: uuid.UUID
    allocated_practitioner_id: uuid.UUID | None
    version: int
    updated_at: datetime


@router.get("/{family_id}", response_model=FamilyPublic)
def get_family(
    session: SessionDep,
    actor: ActorDep,
    family_id: uuid.UUID,
    _: Annotated[User, requires(Permission.FAMILY_VIEW)],
) -> FamilyPublic:
    """One family's record."""
    family = open_family(session, actor=actor, family_id=family_id, action=FamilyAction.VIEW)
    return FamilyPublic.model_validate(family, from_attributes=True)
