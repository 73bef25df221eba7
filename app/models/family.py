"""Families and the people in them: children, adults, the wider network, professionals."""

import uuid
from datetime import date, datetime

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.models.base import Locked, UTCDateTime, new_id, utcnow


class Versioned(Locked, SQLModel):
    """Columns every editable record has: optimistic locking, timestamps, soft deletion."""

    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_reason: str | None = Field(default=None, max_length=500)
    deleted_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")


class Family(Versioned, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    reference: str = Field(max_length=40)
    # Upper-cased reference: unique, so "ab-1" and "AB-1" cannot both exist.
    reference_key: str = Field(max_length=40, unique=True)
    display_name: str = Field(max_length=120)
    team_id: uuid.UUID = Field(foreign_key="team.id", index=True)
    allocated_practitioner_id: uuid.UUID | None = Field(
        default=None, foreign_key="user_account.id", index=True
    )
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    # The framework content the family's work follows, pinned when work starts.
    framework_id: str = Field(max_length=64)
    framework_version: str = Field(max_length=64)
    content_hash: str = Field(max_length=64)
    work_started_on: date
    # Facts the caseload sorts and filters on, kept current by services.progress so that
    # lists and reports can use SQL rather than recompute them for every family.
    current_stage_id: str | None = Field(default=None, max_length=64)
    next_action: str | None = Field(default=None, max_length=200)
    next_review_due: date | None = Field(default=None, index=True)
    awaiting_sign_off: bool = Field(default=False, index=True)
    # Where the plan stands (app.models.journey.FamilyStatus) and since when; the review
    # cycle under way (0 before the first review).
    status: str = Field(default="active", max_length=20, index=True)
    status_changed_on: date | None = None
    current_cycle: int = 0


class Child(Versioned, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    name: str = Field(max_length=120)
    date_of_birth: date
    gender: str = Field(max_length=30)
    ethnicity: str | None = Field(default=None, max_length=120)
    # Ids from the family's content vocabulary (legal_statuses, entry_reasons).
    legal_status: str = Field(max_length=64)
    legal_status_detail: str | None = Field(default=None, max_length=200)
    date_entered_care: date
    entry_reason: str = Field(max_length=64)
    entry_reason_detail: str | None = Field(default=None, max_length=2000)
    placement_type: str = Field(max_length=40)
    placement_moves: int = 0


class EarlierReturn(Versioned, table=True):
    """An earlier return home of a child from care, and whether it broke down."""

    __tablename__ = "earlier_return"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    child_id: uuid.UUID = Field(foreign_key="child.id", index=True)
    returned_on: date
    ended_on: date | None = None
    broke_down: bool
    notes: str | None = Field(default=None, max_length=2000)
    # "planned", "unplanned" or "not-known"; None for returns recorded before it was asked.
    planned: str | None = Field(default=None, max_length=20)
    # Whom the child went home to, in the practitioner's words ("mother and her partner").
    returned_to: str | None = Field(default=None, max_length=200)
    # An id from the content's breakdown_causes vocabulary, when the return broke down.
    breakdown_cause: str | None = Field(default=None, max_length=64)


class CareEpisode(Versioned, table=True):
    """An earlier time in care of a child, ended by a return home or otherwise. The time in care
    under way now is the child's own record (date entered care, legal status, placement)."""

    __tablename__ = "care_episode"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    child_id: uuid.UUID = Field(foreign_key="child.id", index=True)
    started_on: date
    ended_on: date
    # An id from the content's legal_statuses vocabulary.
    legal_status: str = Field(max_length=64)
    placements: int = 1
    notes: str | None = Field(default=None, max_length=2000)


class Adult(Versioned, table=True):
    """A parent or carer."""

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    name: str = Field(max_length=120)
    relationship: str = Field(max_length=40)
    relationship_detail: str | None = Field(default=None, max_length=120)
    parental_responsibility: bool
    lives_in_household: bool
    # The adult's role toward each child: child id (text) -> an id of app.services.people.ROLES.
    # A child missing from it (added after the adult) takes the role people.default_role gives.
    child_roles: dict[str, str] = Field(default_factory=dict, sa_type=JSON)


class FamilyContact(Versioned, table=True):
    """Someone in the family's network, or a professional involved with the family."""

    __tablename__ = "family_contact"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    kind: str = Field(max_length=20)  # "network" or "professional"
    name: str = Field(max_length=120)
    role: str = Field(max_length=120)
    organisation: str | None = Field(default=None, max_length=120)
    contact_details: str | None = Field(default=None, max_length=300)
    notes: str | None = Field(default=None, max_length=2000)
