"""The children several reports count: each return home in the period, with the date the child
came back into care after it (if they did) and how long they have been followed since.

A child is back in care from the first later date recorded as a return to care (during
monitoring, or after the case closed) or as the child's outcome at closure. A child whose case
closed with another outcome (moving away, for example) is followed only until the closure;
everyone else until the day the report is counted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, union_all
from sqlalchemy.sql.expression import Subquery
from sqlmodel import col

from app.models.family import Child, Family
from app.models.journey import CareReentry, ChildOutcome, ChildReturn, Outcome
from app.services.reports.scope import Scope
from app.services.reports.sql import months_between

# How each return stood at the end of an observation window.
BACK = "back"  # came back into care within the window
STAYED = "stayed"  # followed for the whole window and did not
OBSERVING = "observing"  # not followed that long yet
OBSERVING_BACK = "observing_back"  # not followed that long yet, but already back in care


def back_in_care() -> Subquery:
    """Every recorded date a child came back into care after going home."""
    reentries: Any = select(
        col(CareReentry.child_id).label("child_id"), col(CareReentry.entered_on).label("on")
    ).where(col(CareReentry.deleted_at).is_(None))
    outcomes: Any = select(
        col(ChildOutcome.child_id).label("child_id"),
        col(ChildOutcome.returned_to_care_on).label("on"),
    ).where(
        col(ChildOutcome.deleted_at).is_(None),
        col(ChildOutcome.outcome) == Outcome.RETURNED_TO_CARE.value,
        col(ChildOutcome.returned_to_care_on).is_not(None),
    )
    return union_all(reentries, outcomes).subquery("back_in_care")


def returns(scope: Scope) -> Subquery:
    """One row per return home in the period: the child, the family, the facts of the
    return, when the child came back into care after it, and until when they are followed."""
    back = back_in_care()
    # Joined, not correlated: a scalar subquery in the select list is worked out again
    # wherever a report's expressions use the column, once per return each time.
    first_back = (
        select(col(ChildReturn.id).label("return_id"), func.min(back.c.on).label("back_on"))
        .join(
            back,
            and_(
                back.c.child_id == col(ChildReturn.child_id),
                back.c.on >= col(ChildReturn.returned_on),
            ),
        )
        .group_by(col(ChildReturn.id))
        .subquery("first_back")
    )
    other = (
        select(col(ChildOutcome.family_id), col(ChildOutcome.child_id))
        .where(
            col(ChildOutcome.deleted_at).is_(None),
            col(ChildOutcome.outcome) == Outcome.OTHER.value,
        )
        .subquery("other_outcome")
    )
    followed_until = case(
        (
            and_(other.c.child_id.is_not(None), col(Family.status_changed_on).is_not(None)),
            col(Family.status_changed_on),
        ),
        else_=literal(scope.today),
    )
    return (
        select(
            col(ChildReturn.id).label("return_id"),
            col(ChildReturn.child_id).label("child_id"),
            col(ChildReturn.family_id).label("family_id"),
            col(ChildReturn.returned_on).label("returned_on"),
            col(ChildReturn.return_type).label("return_type"),
            col(ChildReturn.planned).label("planned"),
            col(ChildReturn.carer_has_parental_responsibility).label("with_pr"),
            col(ChildReturn.legal_status).label("legal_status"),
            col(Child.date_of_birth).label("born"),
            col(Child.entry_reason).label("entry_reason"),
            col(Child.date_entered_care).label("entered_care"),
            col(Family.team_id).label("team_id"),
            col(Family.work_started_on).label("work_started"),
            first_back.c.back_on.label("back_on"),
            followed_until.label("followed_until"),
        )
        .join(Family, col(Family.id) == col(ChildReturn.family_id))
        .join(Child, col(Child.id) == col(ChildReturn.child_id))
        .outerjoin(first_back, first_back.c.return_id == col(ChildReturn.id))
        .outerjoin(
            other,
            and_(
                other.c.child_id == col(ChildReturn.child_id),
                other.c.family_id == col(ChildReturn.family_id),
            ),
        )
        .where(
            col(ChildReturn.deleted_at).is_(None),
            col(Child.deleted_at).is_(None),
            *scope.families(),
            *scope.within(col(ChildReturn.returned_on)),
        )
        .subquery("returns")
    )


def families_with_returns(scope: Scope) -> Subquery:
    """The families (family_id) with a child who went home in the period."""
    return (
        scope.counted(
            select(col(ChildReturn.family_id).label("family_id")).distinct(),
            col(ChildReturn.family_id),
        )
        .join(Child, col(Child.id) == col(ChildReturn.child_id))
        .where(
            col(ChildReturn.deleted_at).is_(None),
            col(Child.deleted_at).is_(None),
            *scope.within(col(ChildReturn.returned_on)),
        )
        .subquery("families")
    )


def standing(rows: Subquery, months: int) -> Any:
    """How each return of `rows` stood `months` after it (BACK, STAYED, OBSERVING or
    OBSERVING_BACK): back in care within the window counts only once the child has been
    followed for the whole window, so that recent returns are never counted as stable."""
    followed = months_between(rows.c.returned_on, rows.c.followed_until) >= months
    came_back = and_(
        rows.c.back_on.is_not(None), months_between(rows.c.returned_on, rows.c.back_on) < months
    )
    return case(
        (and_(followed, came_back), BACK),
        (followed, STAYED),
        (came_back, OBSERVING_BACK),
        else_=OBSERVING,
    )


def count_where(condition: Any) -> Any:
    """COUNT of the rows where `condition` holds (0, not NULL, when none do)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def is_without_pr(rows: Subquery) -> Any:
    return rows.c.with_pr.is_(False)


def is_any(*conditions: Any) -> Any:
    return or_(*conditions)
