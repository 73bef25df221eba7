"""Families: the record every piece of casework belongs to."""

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow


class Family(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    reference: str = Field(max_length=40, unique=True)
    display_name: str = Field(max_length=120)
    team_id: uuid.UUID = Field(foreign_key="team.id", index=True)
    allocated_practitioner_id: uuid.UUID | None = Field(
        default=None, foreign_key="user_account.id", index=True
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    version: int = 1
    deleted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    deleted_reason: str | None = Field(default=None, max_length=500)
    deleted_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
