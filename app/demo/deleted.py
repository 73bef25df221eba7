"""A family its supervisor deleted: the Harper family opened a second time by mistake. The
retention schedule keeps it for a while, so that supervisors can find it under "Deleted
families", export it and restore it (docs/guide-families.md)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from app.content.registry import ContentRegistry
from app.models.accounts import User
from app.models.base import utcnow
from app.models.family import Family
from app.services import families
from app.services.audit import Actor
from app.timeutil import london_today

REFERENCE = "RIV-2026-019"


def _person(session: Session, email: str) -> User:
    return session.exec(select(User).where(col(User.email_key) == email)).one()


def load_demo_deleted_families(session: Session, registry: ContentRegistry) -> None:
    """Create the deleted duplicate if it does not exist yet."""
    exists = session.exec(select(Family.id).where(col(Family.reference_key) == REFERENCE)).first()
    if exists:
        return
    practitioner = _person(session, "priya.shah@homeward.test")
    supervisor = _person(session, "grace.okafor@homeward.test")
    opened_by = Actor(user=practitioner, request_id="demo-data", path="python -m app demo")
    family = families.create_family(
        session,
        actor=opened_by,
        registry=registry,
        framework_id="reunification",
        details=families.FamilyDetails(
            reference=REFERENCE,
            display_name="Harper family",
            allocated_practitioner_id=practitioner.id,
        ),
    )
    today = london_today()
    families.add_child(
        session,
        actor=opened_by,
        family=family,
        content=families.content_for(registry, family),
        details=families.ChildDetails(
            name="Amy Harper",
            date_of_birth=today.replace(year=today.year - 12) - timedelta(days=40),
            gender="girl",
            ethnicity="White British",
            legal_status="interim-care-order",
            legal_status_detail=None,
            date_entered_care=today - timedelta(days=270),
            entry_reason="neglect",
            entry_reason_detail=None,
            placement_type="foster-care",
            placement_moves=3,
        ),
    )
    session.flush()
    families.delete_family(
        session,
        actor=Actor(user=supervisor, request_id="demo-data", path="python -m app demo"),
        family=family,
        reason="Opened twice by mistake: the family's record is RIV-2026-014.",
        expected_version=family.version,
    )
    # Deleted twelve days ago, so that the demo shows when it will be removed for good.
    family.deleted_at = utcnow() - timedelta(days=12)
    session.add(family)
    session.commit()
