"""Families a supervisor deleted, while the retention schedule keeps them: their team's
supervisors can find them, export their whole record (a subject access request about a
deleted family must still be answered) and restore them, until the schedule's period ends and
`python -m app retention` removes them (app.services.retention)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from app.models.accounts import User
from app.models.audit import AuditAction
from app.models.family import Child, Family
from app.services import audit
from app.services.errors import Conflict
from app.services.paging import clamp_page, page_count
from app.services.records import LIKE_ESCAPE, Problems, contains_pattern, save_changes
from app.services.retention import RetentionSchedule

PAGE_SIZE = 25
PAST_THE_SCHEDULE = (
    "This record was deleted more than {days} days ago, so the retention schedule no longer "
    "allows it to be restored. It will be removed for good; you can still export it until then."
)
NOT_DELETED = "This family's record is not deleted: someone may have restored it already."


@dataclass(frozen=True)
class DeletedFamily:
    family: Family
    deleted_by: str | None
    removed_on: date
    restorable: bool


@dataclass(frozen=True)
class DeletedPage:
    rows: Sequence[DeletedFamily]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, PAGE_SIZE)


def describe(
    session: Session, family: Family, *, schedule: RetentionSchedule, now: datetime
) -> DeletedFamily:
    assert family.deleted_at is not None
    deleter = session.get(User, family.deleted_by_id) if family.deleted_by_id else None
    return DeletedFamily(
        family=family,
        deleted_by=deleter.name if deleter else None,
        removed_on=schedule.family_removed_on(family.deleted_at),
        restorable=schedule.family_removed_on(family.deleted_at) > now.date(),
    )


def list_deleted(
    session: Session,
    *,
    user: User,
    schedule: RetentionSchedule,
    now: datetime,
    search: str = "",
    page: int = 1,
) -> DeletedPage:
    """The deleted families of the user's team, most recently deleted first, searched by
    family name, reference or a child's name."""
    if user.team_id is None:
        return DeletedPage(rows=[], total=0, page=1)
    conditions = [col(Family.team_id) == user.team_id, col(Family.deleted_at).is_not(None)]
    if search.strip():
        pattern = contains_pattern(search)
        children = select(Child.family_id).where(
            func.lower(col(Child.name)).like(pattern, escape=LIKE_ESCAPE)
        )
        conditions.append(
            or_(
                func.lower(col(Family.display_name)).like(pattern, escape=LIKE_ESCAPE),
                func.lower(col(Family.reference)).like(pattern, escape=LIKE_ESCAPE),
                col(Family.id).in_(children),
            )
        )
    total = session.exec(select(func.count()).select_from(Family).where(*conditions)).one()
    page = clamp_page(page, total=total, page_size=PAGE_SIZE)
    found = session.exec(
        select(Family)
        .where(*conditions)
        .order_by(col(Family.deleted_at).desc(), col(Family.id))
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    ).all()
    return DeletedPage(
        rows=[describe(session, family, schedule=schedule, now=now) for family in found],
        total=total,
        page=page,
    )


def restore(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    reason: str,
    expected_version: int,
    schedule: RetentionSchedule,
    now: datetime,
) -> None:
    """Bring a deleted family back to everyday pages, with why, while the schedule allows."""
    problems = Problems()
    cleaned = problems.text(
        "reason",
        reason,
        label="why you are restoring this record",
        max_length=500,
        missing="Enter why you are restoring this family's record",
    )
    problems.raise_if_any()
    if family.deleted_at is None:
        raise Conflict(NOT_DELETED, current=family)
    if schedule.family_removed_on(family.deleted_at) <= now.date():
        raise Conflict(PAST_THE_SCHEDULE.format(days=schedule.deleted_family_days))
    deleted = {"deleted_at": family.deleted_at, "deleted_reason": family.deleted_reason}
    save_changes(
        session,
        actor=actor,
        record=family,
        values={"deleted_at": None, "deleted_reason": None, "deleted_by_id": None},
        expected_version=expected_version,
        entity_type="family",
        family_id=family.id,
    )
    audit.record(
        session,
        actor,
        AuditAction.RESTORE,
        entity_type="family",
        entity_id=family.id,
        family_id=family.id,
        details={"reason": cleaned, **deleted},
    )
