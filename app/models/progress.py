"""Where a family stands in the framework: the status of each content section and the
outcome of each decision gate. Features write these; the family overview reads them."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow


class SectionStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    AWAITING_SIGN_OFF = "awaiting_sign_off"
    SIGNED_OFF = "signed_off"


class SectionProgress(SQLModel, table=True):
    __tablename__ = "section_progress"
    __table_args__ = (UniqueConstraint("family_id", "section_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    section_id: str = Field(max_length=64)
    status: str = Field(max_length=20, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")


class GateDecision(SQLModel, table=True):
    """A decision recorded at a gate of the framework; later decisions supersede earlier."""

    __tablename__ = "gate_decision"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    gate_id: str = Field(max_length=64)
    option_id: str = Field(max_length=64)
    rationale: str = Field(max_length=10000)
    decided_by_id: uuid.UUID = Field(foreign_key="user_account.id")
    decided_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    framework_version: str = Field(max_length=64)
