"""The one way to open a family's record: checks the person's role and team, and audits."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from app.models.audit import AuditAction
from app.models.family import Family
from app.models.journey import FamilyStatus
from app.security.permissions import FamilyAction, can_see_family, family_permits
from app.services import audit
from app.services.errors import Forbidden, NotFound

NOT_FOUND_MESSAGE = "There is no family record at this address you can see."


def open_family(
    session: Session,
    *,
    actor: audit.Actor,
    family_id: uuid.UUID,
    action: FamilyAction,
    include_deleted: bool = False,
) -> Family:
    """Load a family for `action`, or refuse; either way the attempt is in the audit trail.

    Families outside the person's team are "not found", so that their existence is not
    revealed; families they can see but not change are "forbidden".
    """
    user = actor.user
    family = session.get(Family, family_id)
    deleted_hidden = family is not None and family.deleted_at is not None and not include_deleted
    if user is None or family is None or deleted_hidden or not can_see_family(user, family):
        _deny(session, actor, family_id if family else None, action, requested=family_id)
        raise NotFound(NOT_FOUND_MESSAGE)
    if not family_permits(user, family, action):
        _deny(session, actor, family.id, action, requested=family_id)
        raise Forbidden(_forbidden_message(action, family))
    audit.record(
        session,
        actor,
        AuditAction.VIEW,
        entity_type="family",
        entity_id=family.id,
        family_id=family.id,
        details={"purpose": action.value} if action is not FamilyAction.VIEW else None,
        # A read is audited even when the rest of the request fails.
        keep=True,
    )
    return family


def _deny(
    session: Session,
    actor: audit.Actor,
    family_id: uuid.UUID | None,
    action: FamilyAction,
    *,
    requested: uuid.UUID,
) -> None:
    audit.record(
        session,
        actor,
        AuditAction.ACCESS_DENIED,
        entity_type="family",
        entity_id=requested,
        family_id=family_id,
        details={"purpose": action.value},
        keep=True,
    )


def _forbidden_message(action: FamilyAction, family: Family) -> str:
    if action is FamilyAction.EDIT and family.status != FamilyStatus.ACTIVE:
        return (
            "This family's return-home plan has ended or its case is closed, so its record is "
            "kept as it is and cannot be changed."
        )
    if action is FamilyAction.EDIT:
        return "Only the practitioner this family is allocated to can change its record."
    return "Only a supervisor of this family's team can do this."


def record_export(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    document: str,
    file_format: str,
    disclosure: bool = False,
) -> None:
    """Audit a copy of a family's information leaving the service (a download or a printout's
    source), beside the view `open_family` already recorded."""
    audit.record(
        session,
        actor,
        AuditAction.EXPORT,
        entity_type="family",
        entity_id=family.id,
        family_id=family.id,
        details={"document": document, "format": file_format, "disclosure": disclosure},
    )


def refuse(
    session: Session, *, actor: audit.Actor, family: Family, reason: str, message: str
) -> Forbidden:
    """Record a refusal the role table alone cannot make (a supervisor signing off or
    reviewing their own work) as `access_denied`, like every other; returns the Forbidden
    for the caller to raise."""
    audit.record(
        session,
        actor,
        AuditAction.ACCESS_DENIED,
        entity_type="family",
        entity_id=family.id,
        family_id=family.id,
        details={"reason": reason},
        # Kept although the request fails with the refusal.
        keep=True,
    )
    return Forbidden(message)


def is_own_work(actor: audit.Actor, family: Family) -> bool:
    """The person is the family's allocated practitioner: they may not supervise their own
    work, whatever other role they hold."""
    return actor.user_id is not None and actor.user_id == family.allocated_practitioner_id
