"""Changes to who may do what: every change of a person's roles or team is its own audit
entry, with both people's names as they were at the time, and listed on the administrators'
"Role changes" page. Giving someone a casework role opens families' records to them, and
making someone an administrator lets them give roles (a second administrator account is
how one administrator could get round not changing their own): both kinds are marked."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models.accounts import Role, Team, User
from app.models.audit import AuditAction, AuditEvent
from app.services import audit
from app.services.paging import clamp_page, page_count

CASEWORK_ROLES = frozenset({Role.PRACTITIONER, Role.SUPERVISOR})
IDENTITY_PROVIDER = "the identity provider's groups"


def _team_name(session: Session, team_id: uuid.UUID | None) -> str | None:
    team = session.get(Team, team_id) if team_id else None
    return team.name if team else None


def record(
    session: Session,
    actor: audit.Actor,
    *,
    user: User,
    roles_before: frozenset[Role],
    team_before: uuid.UUID | None,
    source: str = "",
) -> None:
    """Audit a change of `user`'s roles or team (nothing when neither changed)."""
    roles_after = user.roles
    if roles_before == roles_after and team_before == user.team_id:
        return
    granted = roles_after - roles_before
    audit.record(
        session,
        actor,
        AuditAction.ROLE_CHANGE,
        entity_type="user",
        entity_id=user.id,
        details={
            "person": user.name,
            "changed_by": actor.user.name if actor.user else (source or "Homeward"),
            "roles": {
                "before": sorted(r.value for r in roles_before),
                "after": sorted(r.value for r in roles_after),
            },
            "team": {
                "before": _team_name(session, team_before),
                "after": _team_name(session, user.team_id),
            },
            "casework_granted": bool(
                granted & CASEWORK_ROLES
                or (roles_after & CASEWORK_ROLES and team_before != user.team_id)
            ),
            "administrator_granted": Role.ADMIN in granted,
        },
    )


@dataclass(frozen=True)
class RoleChange:
    at: datetime
    person: str
    changed_by: str
    roles_before: list[str]
    roles_after: list[str]
    team_before: str | None
    team_after: str | None
    casework_granted: bool
    administrator_granted: bool
    user_id: str


@dataclass(frozen=True)
class RoleChangePage:
    changes: Sequence[RoleChange]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.page_size)


# What the page can be narrowed to: the marked kinds of change.
MARKS = {"casework": "casework_granted", "administrator": "administrator_granted"}


def recent(
    session: Session, *, only: str = "", page: int = 1, page_size: int = 50
) -> RoleChangePage:
    """Role and team changes, newest first; with `only` (a key of MARKS), those marked so."""
    condition = col(AuditEvent.action) == AuditAction.ROLE_CHANGE.value
    events = select(AuditEvent).where(condition)
    counting = select(func.count()).select_from(AuditEvent).where(condition)
    if only in MARKS:
        flag = AuditEvent.details[MARKS[only]].as_boolean()
        events = events.where(flag.is_(True))
        counting = counting.where(flag.is_(True))
    total = session.exec(counting).one()
    page = clamp_page(page, total=total, page_size=page_size)
    rows = session.exec(
        events.order_by(col(AuditEvent.id).desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    changes = [
        RoleChange(
            at=event.at,
            person=str(event.details.get("person", "")),
            changed_by=str(event.details.get("changed_by", "")),
            roles_before=list(event.details.get("roles", {}).get("before", [])),
            roles_after=list(event.details.get("roles", {}).get("after", [])),
            team_before=event.details.get("team", {}).get("before"),
            team_after=event.details.get("team", {}).get("after"),
            casework_granted=bool(event.details.get("casework_granted")),
            administrator_granted=bool(event.details.get("administrator_granted")),
            user_id=event.entity_id,
        )
        for event in rows
    ]
    return RoleChangePage(changes=changes, total=total, page=page, page_size=page_size)
