"""Build the rules engine's `FamilySnapshot` of one family from the database.

One function every reader of the rules calls (the classification page, the family summary), so
they all see the same facts. Parts of the record that later stages add (answers, factors,
parents' capacity to change, earlier classifications) join here as they arrive.
"""

from __future__ import annotations

import uuid
from datetime import date

from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.snapshot import ChildFacts, FamilySnapshot
from app.models.family import Child, EarlierReturn, Family
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
        )
        for child in children
    )


def build_family_snapshot(
    session: Session, *, family: Family, content: FrameworkContent, as_of: date
) -> FamilySnapshot:
    """Everything the rules engine may read about `family` as of `as_of`."""
    return FamilySnapshot(
        as_of=as_of,
        children=children_facts(session, family.id, as_of=as_of),
        chronology=chronology_stats(
            session, family.id, as_of=as_of, windows=content.chronology_windows
        ),
    )
