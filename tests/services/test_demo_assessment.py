"""The demo assessments: drafts, one waiting for sign-off, one signed off after a
disagreement; loading twice adds nothing."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from app.config import PLACEHOLDER_SECRET_KEY
from app.demo import load_demo
from app.models.assessment import AssessmentAnswer, Classification, SectionRevision
from app.models.family import Family
from app.services import progress
from tests.factories import CONTENT


def family(db: Session, reference: str) -> Family:
    return db.exec(select(Family).where(col(Family.reference_key) == reference)).one()


def test_demo_families_show_assessments_at_different_stages(db: Session) -> None:
    load_demo(db, CONTENT, secret_key=PLACEHOLDER_SECRET_KEY)
    answers = db.exec(select(func.count()).select_from(AssessmentAnswer)).one()
    load_demo(db, CONTENT, secret_key=PLACEHOLDER_SECRET_KEY)
    assert db.exec(select(func.count()).select_from(AssessmentAnswer)).one() == answers

    drafts = family(db, "RIV-2026-014")
    statuses = progress.section_statuses(db, drafts.id)
    assert statuses["identification"].value == "completed"
    assert statuses["factors-substance-misuse"].value == "in_progress"

    waiting = family(db, "RIV-2025-102")
    (submitted,) = db.exec(
        select(Classification).where(col(Classification.family_id) == waiting.id)
    )
    assert submitted.status == "submitted"
    assert submitted.explanation["lines"]

    signed = family(db, "RIV-2025-088")
    rounds = db.exec(
        select(Classification)
        .where(col(Classification.family_id) == signed.id)
        .order_by(col(Classification.submitted_at))
    ).all()
    assert [row.status for row in rounds] == ["disagreed", "agreed"]
    assert rounds[1].gate_decision_id is not None
    frozen = db.exec(
        select(func.count())
        .select_from(SectionRevision)
        .where(col(SectionRevision.family_id) == signed.id)
    ).one()
    assert frozen >= 17
    assert progress.section_statuses(db, signed.id)["identification"].value == "signed_off"

    # A family further on was signed off first time.
    later = family(db, "RIV-2024-051")
    (row,) = db.exec(
        select(Classification).where(
            col(Classification.family_id) == later.id,
            col(Classification.section_id) == "classification-before-plan",
        )
    )
    assert row.status == "agreed"
    assert row.supervisor_level == row.practitioner_level
