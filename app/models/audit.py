"""The audit trail: append-only. Nothing in the code updates or deletes a row, and database
triggers refuse it too."""

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Index
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
    RESTORE = "restore"
    RETENTION = "retention"
    # Someone's roles or team changed (kept apart from "update" for the role changes page).
    ROLE_CHANGE = "role_change"
    # Framework content: a version published, retired, or uploaded from a zip.
    PUBLISH = "publish"
    RETIRE = "retire"
    IMPORT = "import"
    # A call to the JSON API made with a service account's token.
    API_CALL = "api_call"


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    # A family's entries by kind and time: a family is opened far more often than changed, so
    # its changes since a date are found without reading its views.
    __table_args__ = (Index("ix_audit_event_family_action_at", "family_id", "action", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    user_id: uuid.UUID | None = Field(default=None, index=True)
    action: str = Field(max_length=20, index=True)
    entity_type: str = Field(default="", max_length=40)
    entity_id: str = Field(default="", max_length=64)
    family_id: uuid.UUID | None = None
    request_id: str = Field(default="", max_length=64)
    client_address: str = Field(default="", max_length=64)
    path: str = Field(default="", max_length=300)
    # What changed ({field: {"before": ..., "after": ...}}) or other facts of the event.
    details: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class AuditRetention(SQLModel, table=True):
    """What the retention job may remove from the append-only audit trail, written and removed
    again inside the job's own transaction, so no other transaction ever sees a row here. The
    database's triggers refuse every change to `audit_event` except deleting entries older
    than a row's `purge_before`, and emptying the `details` (only) of entries about a row's
    `redact_family_id`, a family removed for good."""

    __tablename__ = "audit_retention"

    id: int | None = Field(default=None, primary_key=True)
    purge_before: datetime | None = Field(default=None, sa_type=UTCDateTime)
    redact_family_id: uuid.UUID | None = None
