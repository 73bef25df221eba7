"""Build the rules engine's `FamilySnapshot` of one family from the database.

One function every reader of the rules calls (the classification page, the family summary), so
they all see the same facts: children, chronology counts, the assessment's answers and factor
ratings (with evidence counts), parents' capacity to change, and the levels of earlier
classifications that were signed off.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.snapshot import (
    ChildFacts,
    FactorState,
    FamilySnapshot,
    parent_problems_from_answers,
)
from app.models.assessment import Classification, ClassificationStatus, FactorStatus
from app.models.family import Child, EarlierReturn, Family
from app.models.journey import ChildReturn, MonitoringVisit, MonitoringVisitChild
from app.services import questions
from app.services.chronology_stats import chronology_stats
from app.timeutil import age_in_years, months_between


def children_facts(
    session: Session, family_id: uuid.UUID, *, as_of: date
) -> tuple[ChildFacts, ...]:
    """What the rules may ask about each child of the family (deleted children left out)."""
    children = session.exec(
        select(Child)
        .where(col(Child.family_id) == family_id, col(Child.deleted_at).is_(None))
        .order_by(col(Child.date_of_birth), col(Child.name))
    ).all()
    returns = session.exec(
        select(EarlierReturn).where(
            col(EarlierReturn.child_id).in_([child.id for child in children]),
            col(EarlierReturn.deleted_at).is_(None),
        )
    ).all()
    home = _latest_returns(session, family_id)
    seen_alone = _seen_alone_at_latest_visit(session, family_id, home)
    return tuple(
        ChildFacts(
            id=str(child.id),
            label=child.name,
            age_years=age_in_years(child.date_of_birth, as_of),
            legal_status=child.legal_status,
            entry_reasons=frozenset({child.entry_reason}),
            months_in_care=months_between(child.date_entered_care, as_of),
            placement_moves=child.placement_moves,
            earlier_returns=sum(1 for item in returns if item.child_id == child.id),
            earlier_breakdowns=sum(
                1 for item in returns if item.child_id == child.id and item.broke_down
            ),
            return_type=home[child.id].return_type if child.id in home else None,
            legal_status_on_return=home[child.id].legal_status if child.id in home else None,
            seen_alone_since_return=seen_alone.get(child.id),
        )
        for child in children
    )


def _latest_returns(session: Session, family_id: uuid.UUID) -> dict[uuid.UUID, ChildReturn]:
    """Each child's latest return home in this plan."""
    rows = session.exec(
        select(ChildReturn)
        .where(col(ChildReturn.family_id) == family_id, col(ChildReturn.deleted_at).is_(None))
        .order_by(col(ChildReturn.returned_on))
    ).all()
    return {row.child_id: row for row in rows}


def _seen_alone_at_latest_visit(
    session: Session, family_id: uuid.UUID, home: dict[uuid.UUID, ChildReturn]
) -> dict[uuid.UUID, bool]:
    """Whether each child who went home was seen alone at their latest visit since."""
    rows = session.exec(
        select(
            col(MonitoringVisit.visited_on),
            col(MonitoringVisitChild.child_id),
            col(MonitoringVisitChild.seen_alone),
        )
        .join(MonitoringVisitChild, col(MonitoringVisitChild.visit_id) == col(MonitoringVisit.id))
        .where(
            col(MonitoringVisit.family_id) == family_id,
            col(MonitoringVisit.deleted_at).is_(None),
        )
        .order_by(col(MonitoringVisit.visited_on))
    ).all()
    seen: dict[uuid.UUID, bool] = {}
    for visited_on, child_id, alone in rows:
        if child_id in home and visited_on >= home[child_id].returned_on:
            seen[child_id] = alone
    return seen


def build_family_snapshot(
    session: Session,
    *,
    family: Family,
    content: FrameworkContent,
    as_of: date,
    cycle: int | None = None,
) -> FamilySnapshot:
    """Everything the rules engine may read about `family` as of `as_of`, with the answers of
    review `cycle` (the review under way when None)."""
    answers = questions.family_answers(session, family, content, cycle)
    return FamilySnapshot(
        as_of=as_of,
        answers=answers,
        factors=factor_states(session, family.id),
        children=children_facts(session, family.id, as_of=as_of),
        parents=parent_problems_from_answers(
            content, answers, questions.people_of(session, family).labels
        ),
        chronology=chronology_stats(
            session, family.id, as_of=as_of, windows=content.chronology_windows
        ),
        earlier_levels=earlier_levels(session, family.id),
    )


def factor_states(session: Session, family_id: uuid.UUID) -> dict[str, FactorState]:
    """Each rated factor's status and how much evidence backs it."""
    counts = questions.evidence_counts(session, family_id)
    statuses = {status.value for status in FactorStatus}
    return {
        factor_id: FactorState(status=row.status, evidence_count=counts.get(factor_id, 0))  # type: ignore[arg-type]
        for factor_id, row in questions.ratings(session, family_id).items()
        if row.status in statuses
    }


def earlier_levels(session: Session, family_id: uuid.UUID) -> tuple[str, ...]:
    """The levels of the classifications signed off so far, oldest first: the supervisor's
    where they gave one, otherwise the practitioner's."""
    rows = session.exec(
        select(Classification)
        .where(
            col(Classification.family_id) == family_id,
            col(Classification.status) == ClassificationStatus.AGREED.value,
        )
        .order_by(col(Classification.reviewed_at))
    ).all()
    return tuple(row.supervisor_level or row.practitioner_level for row in rows)
