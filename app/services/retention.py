"""The retention schedule (UK GDPR storage limitation): what is kept how long, and the job that
removes what is past its time (`python -m app retention`, run daily; see docs/operations.md).

- A **deleted family** stays findable by its team's supervisors, who can export it (a subject
  access request) or restore it, for `deleted_family_days` after its deletion; then every row
  of its record is removed, found from the schema as the subject access export finds them, so
  tables added later are removed too. Its audit entries are kept, as the trail of who saw and
  changed the record, but their details (which hold values from the record) are emptied.
- **Audit entries** are kept `audit_years`, then removed.
- **Sessions** are kept `session_days` after they ended (expired or signed out), **sign-in
  attempts** `sign_in_attempt_days`, and the text of **uploaded chronology files**
  `upload_days` (an import not confirmed by then is discarded).

The audit trail is append-only in the database; the job writes an allowance into
`audit_retention` for exactly what the schedule removes, inside its own transaction, and
removes it again before that transaction ends (see app.models.audit.AuditRetention).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, func, or_, update
from sqlmodel import Session, SQLModel, col, select

from app.config import Settings
from app.models.accounts import SignInAttempt, UserSession
from app.models.audit import AuditAction, AuditEvent, AuditRetention
from app.models.chronology import ChronologyImport
from app.models.family import Family
from app.services import audit
from app.services.data_export import belongs_to, family_tables

REDACTED = {"removed": "The family's record was removed under the retention schedule."}


@dataclass(frozen=True)
class RetentionSchedule:
    deleted_family_days: int
    audit_years: int
    session_days: int
    sign_in_attempt_days: int
    upload_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionSchedule:
        return cls(
            deleted_family_days=settings.retention_deleted_family_days,
            audit_years=settings.retention_audit_years,
            session_days=settings.retention_session_days,
            sign_in_attempt_days=settings.retention_sign_in_attempt_days,
            upload_days=settings.retention_upload_days,
        )

    def family_removed_on(self, deleted_at: datetime) -> date:
        """The day a family deleted at `deleted_at` is removed for good (by the first run of
        the job on or after it)."""
        return (deleted_at + timedelta(days=self.deleted_family_days)).date()

    def audit_cutoff(self, now: datetime) -> datetime:
        # 365.25 days a year: a leap day never keeps an entry a day short.
        return now - timedelta(days=round(365.25 * self.audit_years))


@dataclass
class RetentionReport:
    """What a run removed (or, in a dry run, would remove)."""

    families_removed: list[uuid.UUID] = field(default_factory=list)
    family_rows_removed: dict[str, int] = field(default_factory=dict)
    audit_entries_redacted: int = 0
    audit_entries_removed: int = 0
    sessions_removed: int = 0
    sign_in_attempts_removed: int = 0
    uploads_cleared: int = 0

    def as_details(self) -> dict[str, Any]:
        return {
            "families_removed": len(self.families_removed),
            "family_rows_removed": dict(sorted(self.family_rows_removed.items())),
            "audit_entries_redacted": self.audit_entries_redacted,
            "audit_entries_removed": self.audit_entries_removed,
            "sessions_removed": self.sessions_removed,
            "sign_in_attempts_removed": self.sign_in_attempts_removed,
            "uploads_cleared": self.uploads_cleared,
        }


def apply_schedule(
    session: Session,
    *,
    schedule: RetentionSchedule,
    actor: audit.Actor,
    now: datetime,
    dry_run: bool = False,
) -> RetentionReport:
    """Remove everything past its time, in the session's transaction, and audit the run. A
    dry run counts the same things and changes nothing (the caller rolls it back)."""
    report = RetentionReport()
    deleted_before = now - timedelta(days=schedule.deleted_family_days)
    due = session.exec(
        select(Family.id).where(
            col(Family.deleted_at).is_not(None), col(Family.deleted_at) < deleted_before
        )
    ).all()
    audit_cutoff = schedule.audit_cutoff(now)
    allowances = [AuditRetention(purge_before=audit_cutoff)] + [
        AuditRetention(redact_family_id=family_id) for family_id in due
    ]
    session.add_all(allowances)
    session.flush()
    for family_id in due:
        _remove_family(session, family_id, report, actor)
    report.audit_entries_removed = _count(
        session.execute(delete(AuditEvent).where(col(AuditEvent.at) < audit_cutoff))
    )
    for allowance in allowances:
        session.delete(allowance)
    session.flush()

    session_cutoff = now - timedelta(days=schedule.session_days)
    report.sessions_removed = _count(
        session.execute(
            delete(UserSession).where(
                or_(
                    col(UserSession.expires_at) < session_cutoff,
                    col(UserSession.revoked_at) < session_cutoff,
                )
            )
        )
    )
    report.sign_in_attempts_removed = _count(
        session.execute(
            delete(SignInAttempt).where(
                col(SignInAttempt.at) < now - timedelta(days=schedule.sign_in_attempt_days)
            )
        )
    )
    upload_cutoff = now - timedelta(days=schedule.upload_days)
    report.uploads_cleared = _count(
        session.execute(
            update(ChronologyImport)
            .where(col(ChronologyImport.uploaded_at) < upload_cutoff)
            .where(col(ChronologyImport.csv_text) != "")
            .values(
                csv_text="",
                status=_discarded_if_pending(),
                finished_at=_now_if_unfinished(now),
            )
        )
    )
    if not dry_run:
        audit.record(
            session,
            actor,
            AuditAction.RETENTION,
            entity_type="retention schedule",
            details=report.as_details(),
        )
    session.flush()
    return report


def _remove_family(
    session: Session, family_id: uuid.UUID, report: RetentionReport, actor: audit.Actor
) -> None:
    """Every row of the family's record, children first; its audit entries emptied."""
    order = {table.name: index for index, table in enumerate(SQLModel.metadata.sorted_tables)}
    rows = 0
    for table, chain in sorted(family_tables(), key=lambda item: -order[item[0].name]):
        removed = _count(session.execute(delete(table).where(belongs_to(table, chain, family_id))))
        if removed:
            report.family_rows_removed[table.name] = (
                report.family_rows_removed.get(table.name, 0) + removed
            )
            rows += removed
    report.audit_entries_redacted += _count(
        session.execute(
            update(AuditEvent)
            .where(col(AuditEvent.family_id) == family_id)
            .values(details=REDACTED)
        )
    )
    report.families_removed.append(family_id)
    # Recorded after the redaction, so this entry keeps its (impersonal) details.
    audit.record(
        session,
        actor,
        AuditAction.DELETE,
        entity_type="family",
        entity_id=family_id,
        family_id=family_id,
        details={"removed": "retention schedule", "rows": rows},
    )
    session.flush()


def _discarded_if_pending() -> Any:
    return case(
        (col(ChronologyImport.status) == "pending", "discarded"),
        else_=col(ChronologyImport.status),
    )


def _now_if_unfinished(now: datetime) -> Any:
    return func.coalesce(col(ChronologyImport.finished_at), now)


def _count(result: Any) -> int:
    return int(result.rowcount or 0)
