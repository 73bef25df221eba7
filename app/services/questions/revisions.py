"""Frozen revisions of a section: its answers and ratings as they stood when they were signed
off or decided on, kept as history when the section is changed or reopened afterwards."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.schema import FactorsSection, Section
from app.content.snapshot import AnswerValue
from app.db import write_lock
from app.models.assessment import AssessmentSection, SectionRevision
from app.models.audit import AuditAction
from app.models.family import Family
from app.models.progress import SectionStatus
from app.services import audit, progress
from app.services.questions.storage import (
    FORM_SECTION_KINDS,
    answer_rows,
    evidence_counts,
    factor_fields,
    ratings,
    section_question_ids,
)
from app.services.questions.values import value_of


def revisions(
    session: Session, family_id: uuid.UUID, section_id: str, cycle: int = 0
) -> list[SectionRevision]:
    return list(
        session.exec(
            select(SectionRevision)
            .where(
                col(SectionRevision.family_id) == family_id,
                col(SectionRevision.section_id) == section_id,
                col(SectionRevision.cycle) == cycle,
            )
            .order_by(col(SectionRevision.number))
        ).all()
    )


def section_snapshot(
    session: Session, family: Family, content: FrameworkContent, section: Section, cycle: int
) -> dict[str, Any]:
    """A section's answers and factor ratings in a cycle, as plain JSON, read afresh from the
    database (not from objects the request loaded earlier)."""
    answers = {
        row.answer_key: json_value(value_of(row, content.questions[row.question_id].question))
        for row in answer_rows(
            session,
            family.id,
            cycles=[cycle],
            question_ids=section_question_ids(content, section.id),
            fresh=True,
        )
    }
    factors: dict[str, Any] = {}
    if isinstance(section, FactorsSection):
        counts = evidence_counts(session, family.id, content, section, fresh=True)
        fields = factor_fields(content, section, counts)
        saved = ratings(session, family.id, cycle, [factor.factor_id for factor in fields])
        for factor in fields:
            rating = saved.get(factor.factor_id)
            if rating:
                factors[factor.factor_id] = {
                    "status": rating.status,
                    "notes": rating.notes,
                    "evidence": counts.get(factor.factor_id, 0),
                }
    return {"answers": answers, "factors": factors}


def json_value(value: AnswerValue | None) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def lock_sections(
    session: Session, family_id: uuid.UUID, keys: Iterable[tuple[str, int]]
) -> dict[tuple[str, int], AssessmentSection]:
    """Lock the sections' rows (on PostgreSQL; on SQLite, the database's one write lock) so that no
    save can change their answers between reading and freezing them: a save under way
    finishes first, and one that comes after finds the section signed off (a conflict)."""
    wanted = set(keys)
    if not wanted:
        return {}
    write_lock(session)
    rows = session.exec(
        select(AssessmentSection)
        .where(
            col(AssessmentSection.family_id) == family_id,
            col(AssessmentSection.section_id).in_(sorted({sid for sid, _ in wanted})),
        )
        .order_by(col(AssessmentSection.section_id), col(AssessmentSection.cycle))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {
        (row.section_id, row.cycle): row for row in rows if (row.section_id, row.cycle) in wanted
    }


def freeze_sections(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    keys: Iterable[tuple[str, int]],
    classification_id: uuid.UUID | None = None,
    decision_id: uuid.UUID | None = None,
) -> list[tuple[str, int]]:
    """Freeze each form section (by section and cycle) as a revision, once per revision: a
    section already frozen as it stands is left as it is. Returns what was frozen."""
    forms = [
        (section_id, cycle)
        for section_id, cycle in keys
        if section_id in content.sections
        and content.sections[section_id].section.kind in FORM_SECTION_KINDS
    ]
    rows = lock_sections(session, family.id, forms)
    frozen = []
    for section_id, cycle in forms:
        row = rows.get((section_id, cycle))
        if row is None:
            continue  # never saved: nothing to freeze
        number = row.revision
        done = {item.number for item in revisions(session, family.id, section_id, cycle)}
        if number in done:
            continue
        session.add(
            SectionRevision(
                family_id=family.id,
                section_id=section_id,
                cycle=cycle,
                number=number,
                content_version=content.version,
                snapshot=section_snapshot(
                    session, family, content, content.sections[section_id].section, cycle
                ),
                frozen_by_id=actor.user_id,
                classification_id=classification_id,
            )
        )
        row.status = SectionStatus.SIGNED_OFF.value
        session.add(row)
        frozen.append((section_id, cycle))
    session.flush()
    if decision_id is not None and frozen:
        audit.record(
            session,
            actor,
            AuditAction.UPDATE,
            entity_type="section_revision",
            entity_id=decision_id,
            family_id=family.id,
            details={"frozen": [f"{sid}#{cycle}" if cycle else sid for sid, cycle in frozen]},
        )
    return frozen


def reopen_form_section(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    cycle: int,
) -> None:
    """Open a form section to be answered again: what it holds now is frozen as a revision
    (history), and work continues on the next revision, starting from the same answers."""
    freeze_sections(
        session, actor=actor, family=family, content=content, keys=[(section_id, cycle)]
    )
    row = lock_sections(session, family.id, [(section_id, cycle)]).get((section_id, cycle))
    if row is not None:
        row.revision += 1
        row.status = SectionStatus.IN_PROGRESS.value
        row.completed_at = None
        session.add(row)
    progress.set_section_status(
        session,
        actor=actor,
        family=family,
        content=content,
        section_id=section_id,
        status=SectionStatus.IN_PROGRESS,
        cycle=cycle,
        refresh=False,
    )
