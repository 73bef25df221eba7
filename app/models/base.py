"""Column types and defaults shared by every table."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect
from sqlalchemy.orm import declared_attr
from sqlalchemy.types import TypeDecorator

from app.timeutil import now_utc


def utcnow() -> datetime:
    return now_utc()


def new_id() -> uuid.UUID:
    return uuid.uuid4()


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always read back timezone-aware, on SQLite as on
    PostgreSQL (SQLite keeps no offset, so one is attached on the way out)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("Timestamps must be timezone-aware; use app.models.base.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]
        return value.astimezone(UTC)  # type: ignore[no-any-return]


class Locked:
    """Optimistic locking, one mechanism for every editable table: SQLAlchemy checks the row's
    `version` in the WHERE of each UPDATE (and DELETE) it flushes and bumps it, raising
    StaleDataError when someone else changed the row since it was read. Services compare the
    version a form was made from with the loaded one (app.services.locking)."""

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]
