"""Where a family stands in the framework: the status of each content section and the
outcome of each decision gate. Features write these; the family overview reads them."""

import uuid
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import Locked, UTCDateTime, new_id, utcnow


class SectionStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    AWAITING_SIGN_OFF = "awaiting_sign_off"
    SIGNED_OFF = "signed_off"


class SectionProgress(SQLModel, table=True):
    __tablename__ = "section_progress"
    __table_args__ = (UniqueConstraint("family_id", "section_id", "cycle"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    section_id: str = Field(max_length=64)
    # The review cycle for sections answered at each review; 0 for the others.
    cycle: int = 0
    status: str = Field(max_length=20, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")


class DecisionEffect(StrEnum):
    """What a decision's option did, kept as a column so that reports can count it."""

    NEXT_STAGE = "next_stage"  # the family moved on to the option's stage
    PROCEEDS = "proceeds"  # the work that waits for this decision may go ahead
    REOPENS = "reopens"  # sections were reopened to be answered again
    NEXT_REVIEW = "next_review"  # another review of the agreement follows
    ENDS_PLAN = "ends_plan"  # another route to permanence: the return-home plan ended
    CLOSES_CASE = "closes_case"  # the case closed with each child's outcome


class GateDecision(SQLModel, table=True):
    """A decision recorded at a gate of the framework. A later decision at the same gate and
    cycle (after the gate was reopened) supersedes the earlier, which stays as history."""

    __tablename__ = "gate_decision"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    gate_id: str = Field(max_length=64)
    cycle: int = 0
    option_id: str = Field(max_length=64)
    effect: str = Field(default=DecisionEffect.PROCEEDS.value, max_length=20, index=True)
    rationale: str = Field(max_length=10000)
    decided_by_id: uuid.UUID = Field(foreign_key="user_account.id")
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # For a review's decision: the date the review meeting was held.
    held_on: date | None = None
    # The practitioner's proposal this decision answered, if the content asks for one.
    proposal_id: uuid.UUID | None = Field(default=None, foreign_key="gate_proposal.id")
    superseded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    framework_version: str = Field(max_length=64)


class GateProposal(Locked, SQLModel, table=True):
    """A practitioner's proposed decision at a gate whose content says the practitioner
    proposes; a supervisor then records the decision (agreeing or not)."""

    __tablename__ = "gate_proposal"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    gate_id: str = Field(max_length=64)
    cycle: int = 0
    option_id: str = Field(max_length=64)
    reason: str = Field(max_length=10000)
    held_on: date | None = None
    proposed_by_id: uuid.UUID = Field(foreign_key="user_account.id")
    proposed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # "pending", then "decided" (the decision says whether it agreed) or "withdrawn".
    status: str = Field(default="pending", max_length=20, index=True)
    version: int = 1
