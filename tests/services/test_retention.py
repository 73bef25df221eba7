"""The retention schedule, on SQLite and PostgreSQL: a family deleted longer ago than the
schedule allows is removed row by row from every table of its record, its audit entries keep
who and when but lose their content; old audit entries, ended sessions, sign-in attempts and
uploaded files go; everything else stays. The audit trail's triggers still refuse anything the
schedule does not allow."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, col, select

from app.models.accounts import Role, SignInAttempt, UserSession
from app.models.audit import AuditAction, AuditEvent, AuditRetention
from app.models.base import utcnow
from app.models.family import Family
from app.services import audit, families
from app.services.data_export import belongs_to, family_tables
from app.services.retention import REDACTED, RetentionSchedule, apply_schedule
from tests.factories import (
    account_digest,
    make_adult,
    make_child,
    make_contact,
    make_entry,
    make_family,
    make_import,
    make_return,
    make_team,
    make_user,
    start_session,
)
from tests.support.assessment import save

SCHEDULE = RetentionSchedule(
    deleted_family_days=90,
    audit_years=7,
    session_days=30,
    sign_in_attempt_days=90,
    upload_days=30,
)
CLI = audit.Actor(user=None, request_id="cli", path="python -m app retention")
IDENTIFICATION = {"a.identification-route": "court", "a.return-to": "same-parent"}


def full_family(db: Session, team: Any, user: Any, *, deleted_days_ago: int | None) -> Family:
    """A family with rows in most tables of a record, deleted that many days ago."""
    family = make_family(db, team=team, allocated_to=user)
    child = make_child(db, family)
    make_return(db, child)
    make_adult(db, family)
    make_contact(db, family)
    make_entry(db, family, author=user, children=[child])
    make_import(db, family, uploader=user)
    save(db, user, family, "identification", IDENTIFICATION)
    if deleted_days_ago is not None:
        families.delete_family(
            db,
            actor=audit.Actor(user=user),
            family=family,
            reason="Opened twice by mistake",
            expected_version=family.version,
        )
        family.deleted_at = utcnow() - timedelta(days=deleted_days_ago)
        db.add(family)
        db.flush()
    return family


def rows_of(db: Session, family_id: uuid.UUID) -> dict[str, int]:
    return {
        table.name: db.execute(
            select(func.count()).select_from(table).where(belongs_to(table, chain, family_id))
        ).scalar_one()
        for table, chain in family_tables()
    }


def audit_of(db: Session, family_id: uuid.UUID) -> list[AuditEvent]:
    db.expire_all()
    return list(
        db.exec(
            select(AuditEvent)
            .where(col(AuditEvent.family_id) == family_id)
            .order_by(col(AuditEvent.id))
        ).all()
    )


@pytest.fixture
def people(db: Session) -> tuple[Any, Any]:
    team = make_team(db)
    return team, make_user(db, roles=[Role.PRACTITIONER, Role.SUPERVISOR], team=team)


def test_a_family_deleted_past_the_schedule_is_removed_from_every_table(
    db: Session, people: tuple[Any, Any]
) -> None:
    team, user = people
    gone, recent, live = (
        full_family(db, team, user, deleted_days_ago=days).id for days in (91, 89, None)
    )
    before = {family_id: rows_of(db, family_id) for family_id in (gone, recent, live)}
    filled = [name for name, count in before[gone].items() if count]
    assert len(filled) >= 9, filled
    entries_before = audit_of(db, gone)

    report = apply_schedule(db, schedule=SCHEDULE, actor=CLI, now=utcnow())

    assert report.families_removed == [gone]
    assert rows_of(db, gone) == dict.fromkeys(before[gone], 0)
    assert report.family_rows_removed == {
        name: count for name, count in before[gone].items() if count
    }
    assert rows_of(db, recent) == before[recent]
    assert rows_of(db, live) == before[live]
    # Who did what and when is kept; what the record said is not.
    after = audit_of(db, gone)
    kept = after[: len(entries_before)]
    assert [(e.id, e.at, e.user_id, e.action) for e in kept] == [
        (e.id, e.at, e.user_id, e.action) for e in entries_before
    ]
    assert all(entry.details == REDACTED for entry in kept)
    assert report.audit_entries_redacted == len(entries_before)
    removal = after[len(entries_before) :]
    assert [(e.action, e.details["removed"]) for e in removal] == [
        (AuditAction.DELETE.value, "retention schedule")
    ]
    assert all(entry.details != REDACTED for entry in audit_of(db, recent))
    run = db.exec(
        select(AuditEvent).where(col(AuditEvent.action) == AuditAction.RETENTION.value)
    ).one()
    assert run.details["families_removed"] == 1
    assert db.exec(select(func.count()).select_from(AuditRetention)).one() == 0


def test_old_audit_entries_sessions_attempts_and_uploads_go(
    db: Session, people: tuple[Any, Any]
) -> None:
    team, user = people
    family = make_family(db, team=team, allocated_to=user)
    now = utcnow()

    def entry(at: datetime) -> int:
        event = audit.record(db, CLI, AuditAction.VIEW, entity_type="test", details={"at": "x"})
        event.at = at
        db.flush()
        assert event.id is not None
        return event.id

    old_entry = entry(now - timedelta(days=round(365.25 * 7) + 1))
    new_entry = entry(now - timedelta(days=round(365.25 * 7) - 1))

    def session_ending(expires: timedelta, revoked: timedelta | None = None) -> str:
        token = start_session(db, user)
        record = db.exec(select(UserSession).order_by(col(UserSession.created_at).desc())).first()
        assert record is not None
        record.expires_at = now - expires
        record.revoked_at = now - revoked if revoked else None
        db.flush()
        return token

    session_ending(timedelta(days=31))
    session_ending(timedelta(days=-1), revoked=timedelta(days=40))
    session_ending(timedelta(days=29))
    session_ending(timedelta(days=-1))
    for days in (91, 89):
        db.add(
            SignInAttempt(
                account_digest=account_digest("x@council.test"),
                client_address="1",
                succeeded=False,
                at=now - timedelta(days=days),
            )
        )
    old_pending = make_import(db, family, uploader=user)
    old_imported = make_import(db, family, uploader=user)
    old_imported.status = "imported"
    new_pending = make_import(db, family, uploader=user)
    for record in (old_pending, old_imported):
        record.uploaded_at = now - timedelta(days=31)
    db.flush()
    sessions_before = db.exec(select(func.count()).select_from(UserSession)).one()
    attempts_before = db.exec(select(func.count()).select_from(SignInAttempt)).one()

    report = apply_schedule(db, schedule=SCHEDULE, actor=CLI, now=now)

    assert db.get(AuditEvent, new_entry) is not None
    db.expire_all()
    assert db.get(AuditEvent, old_entry) is None
    assert report.audit_entries_removed >= 1
    assert report.sessions_removed == 2
    assert db.exec(select(func.count()).select_from(UserSession)).one() == sessions_before - 2
    assert report.sign_in_attempts_removed >= 1
    assert db.exec(select(func.count()).select_from(SignInAttempt)).one() == attempts_before - (
        report.sign_in_attempts_removed
    )
    assert report.uploads_cleared == 2
    for record, status in ((old_pending, "discarded"), (old_imported, "imported")):
        db.refresh(record)
        assert (record.status, record.csv_text) == (status, "")
        assert record.finished_at is not None
    db.refresh(new_pending)
    assert new_pending.csv_text
    assert new_pending.status == "pending"


def test_a_dry_run_counts_and_changes_nothing(db: Session, people: tuple[Any, Any]) -> None:
    team, user = people
    gone = full_family(db, team, user, deleted_days_ago=200).id
    before = rows_of(db, gone)
    with db.begin_nested() as attempt:
        report = apply_schedule(db, schedule=SCHEDULE, actor=CLI, now=utcnow(), dry_run=True)
        attempt.rollback()
    assert report.families_removed == [gone]
    assert rows_of(db, gone) == before
    assert all(entry.details != REDACTED for entry in audit_of(db, gone))


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET details = '{}' WHERE id = :id",
        "UPDATE audit_event SET action = 'export' WHERE id = :id",
        "DELETE FROM audit_event WHERE id = :id",
    ],
)
def test_the_audit_trail_refuses_what_the_schedule_does_not_allow(
    db: Session, people: tuple[Any, Any], statement: str
) -> None:
    """Without an allowance nothing changes; with one for this family, only its details may
    be emptied; with one for old entries, only older entries may be deleted."""
    team, user = people
    family = make_family(db, team=team, allocated_to=user)
    event = audit.record(db, CLI, AuditAction.VIEW, family_id=family.id, details={"a": 1})
    db.flush()
    allowances = [
        [],
        [AuditRetention(purge_before=event.at - timedelta(seconds=1))],
        [AuditRetention(redact_family_id=uuid.uuid4())],
    ]
    if not statement.startswith("UPDATE audit_event SET details"):
        allowances.append([AuditRetention(redact_family_id=family.id)])
    for allowance in allowances:
        with db.begin_nested() as attempt:
            db.add_all(allowance)
            db.flush()
            with pytest.raises(DatabaseError, match="append-only"):
                db.execute(text(statement), {"id": event.id})
            attempt.rollback()
