"""Saving, validating and deleting editable records: optimistic locking, audit, soft delete."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any, TypeVar

from sqlmodel import Session, SQLModel

from app.models.audit import AuditAction
from app.models.base import utcnow
from app.security.input import has_control_characters
from app.services import audit
from app.services.errors import InvalidInput
from app.services.locking import check_version, saving
from app.timeutil import format_date, london_today

Record = TypeVar("Record", bound=SQLModel)

CONFLICT_MESSAGE = (
    "Someone else saved a change to this record after you opened it. Your changes have not "
    "been saved yet."
)


class Problems:
    """Collects validation problems (field id → instruction) and raises them together."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, message)

    def text(
        self,
        field: str,
        value: str | None,
        *,
        label: str,
        max_length: int,
        required: bool = True,
        missing: str | None = None,
    ) -> str | None:
        """The cleaned text, or None; records what is wrong with it."""
        cleaned = (value or "").strip()
        if not cleaned:
            if required:
                self.add(field, missing or f"Enter {label}")
            return None
        if has_control_characters(cleaned):
            # Returned as None so that no query (a uniqueness check, say) ever sees it:
            # PostgreSQL refuses NUL in text.
            self.add(field, f"Remove the hidden control characters from {label}")
            return None
        if len(cleaned) > max_length:
            self.add(
                field, f"{label[0].upper()}{label[1:]} must be {max_length} characters or fewer"
            )
        return cleaned

    def past_date(self, field: str, value: date | None, *, label: str) -> date | None:
        if value is not None and value > london_today():
            self.add(field, f"{label[0].upper()}{label[1:]} must be today or in the past")
        return value

    def choice(
        self, field: str, value: str | None, options: Mapping[str, str], *, missing: str
    ) -> str | None:
        if not value or value not in options:
            self.add(field, missing)
            return None
        return value

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


LIKE_ESCAPE = "\\"


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, case-folded, with its own % and _ taken
    literally (use with `escape=LIKE_ESCAPE`)."""
    escaped = text.strip().lower()
    for special in (LIKE_ESCAPE, "%", "_"):
        escaped = escaped.replace(special, LIKE_ESCAPE + special)
    return f"%{escaped}%"


def changes_between(record: SQLModel, values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `values` that differ from the record, with before and after."""
    before = {name: getattr(record, name) for name in values}
    return audit.changes(before, dict(values))


def save_changes(
    session: Session,
    *,
    actor: audit.Actor,
    record: Record,
    values: Mapping[str, Any],
    expected_version: int,
    entity_type: str,
    family_id: uuid.UUID,
) -> Record:
    """Apply `values` if nobody saved since `expected_version`; otherwise raise Conflict with the
    record as saved now (app.services.locking)."""
    check_version(record, expected_version, CONFLICT_MESSAGE)
    difference = changes_between(record, values)
    if not difference:
        return record
    with saving(session, record, CONFLICT_MESSAGE):
        for name, value in values.items():
            setattr(record, name, value)
        record.updated_at = utcnow()
        audit.record(
            session,
            actor,
            AuditAction.UPDATE,
            entity_type=entity_type,
            entity_id=record.id,  # type: ignore[attr-defined]
            family_id=family_id,
            details=difference,
        )
    return record


def soft_delete(
    session: Session,
    *,
    actor: audit.Actor,
    record: SQLModel,
    reason: str,
    expected_version: int,
    entity_type: str,
    family_id: uuid.UUID,
) -> None:
    """Mark a record deleted, with who, when and why; it stays visible to supervisors."""
    problems = Problems()
    cleaned = problems.text(
        "reason",
        reason,
        label="why you are deleting this",
        max_length=500,
        missing="Enter why you are deleting this record",
    )
    problems.raise_if_any()
    save_changes(
        session,
        actor=actor,
        record=record,
        values={"deleted_at": utcnow(), "deleted_reason": cleaned, "deleted_by_id": actor.user_id},
        expected_version=expected_version,
        entity_type=entity_type,
        family_id=family_id,
    )
    audit.record(
        session,
        actor,
        AuditAction.DELETE,
        entity_type=entity_type,
        entity_id=record.id,  # type: ignore[attr-defined]
        family_id=family_id,
        details={"reason": cleaned},
    )


def describe_date(value: date | None) -> str:
    return format_date(value) if value else "Not given"
