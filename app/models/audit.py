"""The audit trail: append-only. Nothing in the code updates or deletes a row, and database
triggers refuse it too."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class AuditAction(StrEnum):
    VIEW = "view"
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_OUT = "sign_out"
    ACCESS_DENIED = "access_denied"
    # Framework content: a version published, retired, or uploaded from a zip.
    PUBLISH = "publish"
    RETIRE = "retire"
    IMPORT = "import"


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    user_id: uuid.UUID | None = Field(default=None, index=True)
    action: str = Field(max_length=20, index=True)
    entity_type: str = Field(default="", max_length=40)
    entity_id: str = Field(default="", max_length=64)
    family_id: uuid.UUID | None = Field(default=None, index=True)
    request_id: str = Field(default="", max_length=64)
    client_address: str = Field(default="", max_length=64)
    path: str = Field(default="", max_length=300)
    # What changed ({field: {"before": ..., "after": ...}}) or other facts of the event.
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
