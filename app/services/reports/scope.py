"""What a report covers: the framework, the teams the reader may see (all of them for a service
manager, their own for a team's supervisor), the period, and the day it is counted on; and the
conditions every report's queries share."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlmodel import Session, col, select

from app.models.accounts import ReportTeam, Team, User
from app.models.family import Family
from app.security.permissions import Permission, has_permission
from app.services.errors import Forbidden
from app.services.reports.sql import london_date

# Any select: counted() hands back the query's own type, whatever its columns.
Query = TypeVar("Query", bound=Select[*tuple[Any, ...]])

ALL_TEAMS = "All teams"
NO_TEAM = (
    "Reports show your team's families, and your account is not in a team. Ask your "
    "administrator to put you in one."
)


@dataclass(frozen=True)
class Scope:
    framework_id: str
    # The teams counted; None for every team.
    team_ids: tuple[uuid.UUID, ...] | None
    team_name: str
    start: date
    end: date
    today: date
    # Stability: cohorts of returns by financial year or by quarter.
    cohort: str = "year"
    # Characteristics: the months after a return within which coming back into care counts.
    window: int = 12

    def families(self) -> list[Any]:
        """Conditions on Family for every report: not deleted, this framework, these teams."""
        conditions: list[Any] = [
            col(Family.deleted_at).is_(None),
            col(Family.framework_id) == self.framework_id,
        ]
        if self.team_ids is not None:
            conditions.append(col(Family.team_id).in_(self.team_ids))
        return conditions

    def within(self, day: Any) -> list[Any]:
        """Conditions that a date column falls in the period."""
        return [day >= self.start, day <= self.end]

    def during(self, moment: Any) -> list[Any]:
        """Conditions that a stored timestamp falls in the period, by its London date."""
        return self.within(london_date(moment))

    def counted(self, query: Query, family_id: Any) -> Query:
        """`query` joined to the family of its rows (`family_id`), limited to the families
        counted."""
        return query.join(Family, col(Family.id) == family_id).where(*self.families())


def readable_teams(session: Session, user: User) -> Sequence[Team] | None:
    """The teams whose reports `user` may read: for a manager, the teams an administrator chose
    for them, or every team (None) where none were chosen; otherwise their own team only."""
    if has_permission(user, Permission.REPORTS_ALL_TEAMS):
        chosen = session.exec(
            select(Team)
            .join(ReportTeam, col(ReportTeam.team_id) == col(Team.id))
            .where(col(ReportTeam.user_id) == user.id)
            .order_by(col(Team.name))
        ).all()
        return chosen or None
    if user.team_id is None:
        raise Forbidden(NO_TEAM)
    team = session.get(Team, user.team_id)
    return [team] if team else []


def all_teams(session: Session) -> Sequence[Team]:
    return session.exec(select(Team).order_by(col(Team.name))).all()
