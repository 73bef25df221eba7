"""The journey after the first decision: review cycles, each child's return home, monitoring
after the return, each child's outcome at closure, and a later return to care.

Facts that reports count (return dates and types, carers with or without parental
responsibility, outcomes, re-entry dates) are columns, so that SQL can aggregate them.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import Locked, UTCDateTime, new_id, utcnow
from app.models.family import Versioned


class FamilyStatus(StrEnum):
    ACTIVE = "active"  # work towards a return goes on
    PLAN_ENDED = "plan_ended"  # another route to permanence was chosen: kept, read-only
    CLOSED = "closed"  # closed with an outcome for each child: kept, read-only


FAMILY_STATUS_LABELS = {
    FamilyStatus.ACTIVE: "Working towards a return home",
    FamilyStatus.PLAN_ENDED: "Another route to permanence",
    FamilyStatus.CLOSED: "Case closed",
}


class CyclePhase(StrEnum):
    BEFORE_RETURN = "before_return"
    AFTER_RETURN = "after_return"


class ReviewCycle(Locked, SQLModel, table=True):
    """A numbered review of the agreement. Sections marked `recurrence: each_review` are
    answered afresh in each cycle; the cycle closes when its sections are done."""

    __tablename__ = "review_cycle"
    __table_args__ = (UniqueConstraint("family_id", "number"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    number: int
    phase: str = Field(max_length=20)
    due_on: date = Field(index=True)
    # The date the review meeting was held, recorded with the review's decision.
    held_on: date | None = None
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1


class ReturnType(StrEnum):
    PLANNED_GRADUAL = "planned-gradual"
    PLANNED_DIRECT = "planned-direct"
    UNPLANNED = "unplanned"


class ChildReturn(Versioned, table=True):
    """A child going home during the plan: when, to whom, and whether it was planned. It
    starts the child's monitoring on the content's after-return cadence."""

    __tablename__ = "child_return"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    child_id: uuid.UUID = Field(foreign_key="child.id", index=True)
    returned_on: date = Field(index=True)
    return_type: str = Field(max_length=64, index=True)
    planned: bool = Field(index=True)
    # Who the child went home to: an adult of the family's record, or someone named here.
    carer_adult_id: uuid.UUID | None = Field(default=None, foreign_key="adult.id")
    carer_name: str = Field(max_length=120)
    carer_has_parental_responsibility: bool = Field(index=True)
    legal_status: str = Field(max_length=64)
    notes: str | None = Field(default=None, max_length=5000)
    monitor_until: date
    content_version: str = Field(max_length=64)
    recorded_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")


class MonitoringVisit(Versioned, table=True):
    """A visit to the family after a return: who was seen (and whether alone), concerns and
    what was done about them."""

    __tablename__ = "monitoring_visit"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    visited_on: date = Field(index=True)
    concerns: str | None = Field(default=None, max_length=5000)
    actions: str | None = Field(default=None, max_length=5000)
    support_in_place: bool
    recorded_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")


class MonitoringVisitChild(SQLModel, table=True):
    __tablename__ = "monitoring_visit_child"

    visit_id: uuid.UUID = Field(foreign_key="monitoring_visit.id", primary_key=True)
    child_id: uuid.UUID = Field(foreign_key="child.id", primary_key=True, index=True)
    seen_alone: bool


class Outcome(StrEnum):
    STAYED_HOME = "stayed-home"
    RETURNED_TO_CARE = "returned-to-care"
    OTHER = "other"


OUTCOME_LABELS = {
    Outcome.STAYED_HOME: "Stayed at home",
    Outcome.RETURNED_TO_CARE: "Came back into care",
    Outcome.OTHER: "Another outcome",
}


class ChildOutcome(Versioned, table=True):
    """A child's outcome when the case closes."""

    __tablename__ = "child_outcome"
    __table_args__ = (UniqueConstraint("family_id", "child_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    child_id: uuid.UUID = Field(foreign_key="child.id", index=True)
    outcome: str = Field(max_length=30, index=True)
    # For a child who came back into care: when, and why the return broke down.
    returned_to_care_on: date | None = None
    details: str | None = Field(default=None, max_length=5000)
    recorded_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")


class CareReentry(Versioned, table=True):
    """A child coming back into care after going home: during monitoring, or after the case
    closed (which reopens nothing, but is kept for reports)."""

    __tablename__ = "care_reentry"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    child_id: uuid.UUID = Field(foreign_key="child.id", index=True)
    entered_on: date = Field(index=True)
    reason: str = Field(max_length=5000)
    recorded_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
