"""Users and teams: creating, changing and deactivating them; passwords."""

from __future__ import annotations

import re
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.db import read_once
from app.models.accounts import ReportTeam, Role, Team, User, UserRole
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.security.passwords import hash_password, password_problem, verify_password
from app.security.permissions import ROLE_PERMISSIONS, Permission
from app.services import audit, role_changes
from app.services.errors import InvalidInput, NotFound
from app.services.locking import check_version, saving
from app.services.records import LIKE_ESCAPE, contains_pattern
from app.services.sessions import (
    SessionPolicy,
    account_digest,
    is_throttled,
    record_attempt,
    revoke_all_sessions,
)

DEFAULT_TEMPORARY_PASSWORD_LIFETIME = timedelta(hours=72)
PASSWORD_CHECK_THROTTLED = (
    "There have been too many attempts to enter your current password. Wait 15 minutes, "
    "then try again"
)

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
NAME_MAX = 120
EMAIL_MAX = 254
_TEMPORARY_PASSWORD_WORDS = [
    "amber",
    "anchor",
    "badger",
    "beacon",
    "birch",
    "bramble",
    "canal",
    "cedar",
    "comet",
    "copper",
    "coral",
    "cricket",
    "dawn",
    "delta",
    "ember",
    "falcon",
    "fern",
    "fjord",
    "gable",
    "garnet",
    "glacier",
    "harbour",
    "hazel",
    "heron",
    "island",
    "ivy",
    "jasper",
    "juniper",
    "kestrel",
    "lagoon",
    "lantern",
    "larch",
    "linnet",
    "maple",
    "marble",
    "meadow",
    "merlin",
    "moss",
    "nettle",
    "oak",
    "orchid",
    "otter",
    "pebble",
    "pepper",
    "pine",
    "plover",
    "quartz",
    "raven",
    "reed",
    "river",
    "robin",
    "saffron",
    "salmon",
    "sorrel",
    "spruce",
    "swift",
    "thistle",
    "thorn",
    "tide",
    "topaz",
    "tulip",
    "valley",
    "willow",
    "wren",
    "yarrow",
]

USER_CHANGED = "Someone else changed this user since you opened the page."


def email_key(email: str) -> str:
    return email.strip().lower()


def name_key(name: str) -> str:
    return " ".join(name.split()).lower()


def generate_temporary_password() -> str:
    """Four random words and two digits: easy to pass on by phone, hard to guess."""
    words = [secrets.choice(_TEMPORARY_PASSWORD_WORDS) for _ in range(4)]
    return "-".join(words) + f"-{secrets.randbelow(90) + 10}"


# Teams ---------------------------------------------------------------------------------------


def list_teams(session: Session) -> Sequence[Team]:
    return session.exec(select(Team).order_by(col(Team.name_key))).all()


def _team_name(name: str) -> str:
    """A team name with its spaces tidied, or InvalidInput."""
    clean = " ".join(name.split())
    if not clean:
        raise InvalidInput({"name": "Enter the team name"})
    if len(clean) > NAME_MAX:
        raise InvalidInput({"name": f"Team name must be {NAME_MAX} characters or fewer"})
    return clean


DUPLICATE_TEAM = "A team with this name already exists"


def get_or_create_team(session: Session, *, actor: audit.Actor, name: str) -> Team:
    clean = _team_name(name)
    existing = session.exec(select(Team).where(col(Team.name_key) == name_key(clean))).first()
    if existing:
        return existing
    team = Team(name=clean, name_key=name_key(clean))
    session.add(team)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="team",
        entity_id=team.id,
        details={"name": clean},
    )
    return team


def create_team(session: Session, *, actor: audit.Actor, name: str) -> Team:
    clean = " ".join(name.split())
    if clean and session.exec(select(Team).where(col(Team.name_key) == name_key(clean))).first():
        raise InvalidInput({"name": DUPLICATE_TEAM})
    team = get_or_create_team(session, actor=actor, name=name)
    return team


def get_team(session: Session, team_id: uuid.UUID) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("There is no team at this address.")
    return team


def rename_team(
    session: Session, *, actor: audit.Actor, team: Team, name: str, expected_version: int
) -> Team:
    """Give a team a new name (not another team's, in any case); Conflict when someone renamed
    it since the form was opened. People and families stay in the team."""
    clean = _team_name(name)
    check_version(team, expected_version)
    key = name_key(clean)
    taken = session.exec(
        select(Team.id).where(col(Team.name_key) == key, col(Team.id) != team.id)
    ).first()
    if taken:
        raise InvalidInput({"name": DUPLICATE_TEAM})
    if clean == team.name:
        return team
    before = team.name
    try:
        with saving(session, team):
            team.name = clean
            team.name_key = key
    except IntegrityError:
        # Another administrator gave a second team this name at the same moment.
        raise InvalidInput({"name": DUPLICATE_TEAM}) from None
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="team",
        entity_id=team.id,
        details=audit.changes({"name": before}, {"name": clean}),
    )
    return team


# Users ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UserDetails:
    """What an administrator sets for a user."""

    name: str
    email: str
    team_id: uuid.UUID | None
    roles: frozenset[Role]
    active: bool = True
    # For a manager: the teams whose reports they read (none: every team's).
    report_team_ids: frozenset[uuid.UUID] = frozenset()


def get_user(session: Session, user_id: uuid.UUID) -> User:
    """A person's account (service accounts have their own pages: app.services.api_tokens)."""
    user = session.get(User, user_id)
    if user is None or user.service_account:
        raise NotFound("There is no user at this address.")
    return user


def staff_names(session: Session, user_ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, str]:
    """Staff names by id, for "recorded by", "decided by" and the like. Names read once in a
    transaction are kept for its other parts (a summary asks for them three times), so only
    names not read yet cost a query."""
    wanted = {user_id for user_id in user_ids if user_id is not None}
    if not wanted:
        return {}
    known: dict[uuid.UUID, str] = read_once(session, "staff_names", ["user_account"], dict)
    if missing := wanted - known.keys():
        # The two columns, not the accounts: an account brings its roles in a second statement.
        rows = session.execute(select(User.id, User.name).where(col(User.id).in_(missing)))
        known.update((user_id, name) for user_id, name in rows)
    return {user_id: known[user_id] for user_id in wanted if user_id in known}


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.exec(select(User).where(col(User.email_key) == email_key(email))).first()


@dataclass(frozen=True)
class UserListFilter:
    search: str = ""
    team_id: uuid.UUID | None = None
    role: Role | None = None
    active: bool | None = None


def list_users(session: Session, *, filters: UserListFilter) -> Sequence[User]:
    query = select(User).where(col(User.service_account).is_(False))
    if filters.search:
        pattern = contains_pattern(filters.search)
        query = query.where(
            or_(
                func.lower(col(User.name)).like(pattern, escape=LIKE_ESCAPE),
                col(User.email_key).like(pattern, escape=LIKE_ESCAPE),
            )
        )
    if filters.team_id:
        query = query.where(col(User.team_id) == filters.team_id)
    if filters.role:
        query = query.where(
            col(User.id).in_(
                select(UserRole.user_id).where(col(UserRole.role) == filters.role.value)
            )
        )
    if filters.active is not None:
        query = query.where(col(User.active) == filters.active)
    return session.exec(query.order_by(func.lower(col(User.name)))).unique().all()


def _validate_details(session: Session, details: UserDetails, *, user_id: uuid.UUID | None) -> None:
    errors: dict[str, str] = {}
    name = details.name.strip()
    if not name:
        errors["name"] = "Enter the person's full name"
    elif len(name) > NAME_MAX:
        errors["name"] = f"Full name must be {NAME_MAX} characters or fewer"
    email = details.email.strip()
    if not email:
        errors["email"] = "Enter the person's email address"
    elif len(email) > EMAIL_MAX or not EMAIL_PATTERN.match(email):
        errors["email"] = "Enter an email address in the correct format, like name@council.gov.uk"
    else:
        other = find_user_by_email(session, email)
        if other is not None and other.id != user_id:
            errors["email"] = "Another user already has this email address"
    if not details.roles:
        errors["roles"] = "Select at least one role"
    needs_team = details.roles & {Role.PRACTITIONER, Role.SUPERVISOR}
    if needs_team and details.team_id is None:
        errors["team_id"] = "Select a team: practitioners and supervisors work in a team"
    if details.team_id is not None and session.get(Team, details.team_id) is None:
        errors["team_id"] = "Select a team from the list"
    if details.report_team_ids:
        if not any(Permission.REPORTS_ALL_TEAMS in ROLE_PERMISSIONS[r] for r in details.roles):
            errors["report_team_ids"] = (
                "Only managers read the reports of chosen teams: select the Manager role, or "
                "untick the teams"
            )
        elif len(
            session.exec(select(Team.id).where(col(Team.id).in_(details.report_team_ids))).all()
        ) != len(details.report_team_ids):
            errors["report_team_ids"] = "Select teams from the list"
    if errors:
        raise InvalidInput(errors)


def _snapshot(session: Session, user: User) -> dict[str, object]:
    return {
        "name": user.name,
        "email": user.email,
        "team_id": user.team_id,
        "roles": sorted(role.value for role in user.roles),
        "active": user.active,
        "report_teams": sorted(str(team_id) for team_id in report_team_ids(session, user.id)),
    }


def _snapshot_of(details: UserDetails) -> dict[str, object]:
    return {
        "name": details.name.strip(),
        "email": details.email.strip(),
        "team_id": details.team_id,
        "roles": sorted(role.value for role in details.roles),
        "active": details.active,
        "report_teams": sorted(str(team_id) for team_id in details.report_team_ids),
    }


def report_team_ids(session: Session, user_id: uuid.UUID) -> frozenset[uuid.UUID]:
    """The teams whose reports a manager reads, where some were chosen for them."""
    return frozenset(
        session.exec(select(ReportTeam.team_id).where(col(ReportTeam.user_id) == user_id)).all()
    )


def _set_report_teams(session: Session, user: User, team_ids: frozenset[uuid.UUID]) -> None:
    rows = session.exec(select(ReportTeam).where(col(ReportTeam.user_id) == user.id)).all()
    for row in rows:
        if row.team_id not in team_ids:
            session.delete(row)
    kept = {row.team_id for row in rows}
    for team_id in sorted(team_ids - kept):
        session.add(ReportTeam(user_id=user.id, team_id=team_id))
    session.flush()


def _set_roles(user: User, roles: Iterable[Role]) -> None:
    wanted = {role.value for role in roles}
    user.role_rows = [row for row in user.role_rows if row.role in wanted] + [
        UserRole(user_id=user.id, role=role)
        for role in sorted(wanted - {row.role for row in user.role_rows})
    ]


def create_user(
    session: Session,
    *,
    actor: audit.Actor,
    details: UserDetails,
    password: str | None = None,
    temporary_password_lifetime: timedelta | None = DEFAULT_TEMPORARY_PASSWORD_LIFETIME,
) -> tuple[User, str | None]:
    """Create a user. Without a password, a temporary one is generated and returned (to be
    shown once; it expires after `temporary_password_lifetime` and must be changed at first
    sign-in). With no lifetime either (sign-in through the identity provider), the user gets
    no password at all."""
    _validate_details(session, details, user_id=None)
    temporary = None
    if password is None:
        if temporary_password_lifetime is not None:
            temporary = generate_temporary_password()
    else:
        problem = password_problem(password, email=details.email, name=details.name)
        if problem:
            raise InvalidInput({"password": problem})
    secret = password or temporary
    user = User(
        name=details.name.strip(),
        email=details.email.strip(),
        email_key=email_key(details.email),
        team_id=details.team_id,
        password_hash=hash_password(secret) if secret else "",
        must_change_password=temporary is not None,
        password_expires_at=(
            utcnow() + temporary_password_lifetime
            if temporary is not None and temporary_password_lifetime is not None
            else None
        ),
        active=details.active,
    )
    _set_roles(user, details.roles)
    session.add(user)
    session.flush()
    _set_report_teams(session, user, details.report_team_ids)
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="user",
        entity_id=user.id,
        details=audit.changes({}, _snapshot(session, user)),
    )
    role_changes.record(session, actor, user=user, roles_before=frozenset(), team_before=None)
    return user, temporary


def create_from_identity_provider(
    session: Session, *, actor: audit.Actor, name: str, email: str, subject: str
) -> User:
    """An account for someone the identity provider vouches for, at their first sign-in: no
    password and no role until an administrator (or the provider's groups) gives one."""
    user = User(
        name=name.strip()[:NAME_MAX],
        email=email.strip(),
        email_key=email_key(email),
        password_hash="",
        sso_subject=subject,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="user",
        entity_id=user.id,
        user_id=user.id,
        details={
            **audit.changes({}, _snapshot(session, user)),
            "identity_provider": "created at first sign-in, with no role",
        },
    )
    return user


def set_roles_and_team(
    session: Session,
    *,
    actor: audit.Actor,
    user: User,
    roles: frozenset[Role],
    team_id: uuid.UUID | None,
    source: str,
) -> None:
    """Give the user exactly these roles and this team (from the identity provider's groups);
    a change is audited as a role change."""
    roles_before, team_before = user.roles, user.team_id
    if roles_before == roles and team_before == team_id:
        return
    _set_roles(user, roles)
    user.team_id = team_id
    user.updated_at = utcnow()
    session.add(user)
    session.flush()
    role_changes.record(
        session, actor, user=user, roles_before=roles_before, team_before=team_before, source=source
    )


def update_user(
    session: Session,
    *,
    actor: audit.Actor,
    user_id: uuid.UUID,
    details: UserDetails,
    expected_version: int,
    roles_locked: bool = False,
) -> User:
    """Change a user. With `roles_locked` (roles from the identity provider's groups) their
    roles and team cannot change here."""
    user = get_user(session, user_id)
    check_version(user, expected_version, USER_CHANGED)
    if actor.user_id == user.id:
        # Administrators run the service, not the cases: nobody gives themselves a way into
        # families' records, or takes away their own way to run the service.
        if details.roles != user.roles:
            raise InvalidInput(
                {"roles": "You cannot change your own roles. Ask another administrator"}
            )
        if details.team_id != user.team_id:
            raise InvalidInput(
                {"team_id": "You cannot change your own team. Ask another administrator"}
            )
        if details.report_team_ids != report_team_ids(session, user.id):
            raise InvalidInput(
                {
                    "report_team_ids": "You cannot change whose reports you read. Ask another "
                    "administrator"
                }
            )
        if not details.active:
            raise InvalidInput({"active": "You cannot deactivate your own account"})
    if roles_locked and (details.roles != user.roles or details.team_id != user.team_id):
        raise InvalidInput(
            {"roles": "Roles and teams come from the identity provider's groups: change them there"}
        )
    _validate_details(session, details, user_id=user.id)
    roles_before, team_before = user.roles, user.team_id
    before = _snapshot(session, user)
    if before == _snapshot_of(details):
        return user  # nothing changed: no new version, nothing to audit
    # The user's row is updated first, its version checked: of two administrators saving the
    # same person at once (roles included), the second gets a conflict, not a lost change.
    with saving(session, user, USER_CHANGED):
        user.name = details.name.strip()
        user.email = details.email.strip()
        user.email_key = email_key(details.email)
        user.team_id = details.team_id
        user.active = details.active
        user.updated_at = utcnow()
        session.flush()
        _set_roles(user, details.roles)
        _set_report_teams(session, user, details.report_team_ids)
        if before["active"] and not user.active:
            # Deactivating someone ends every session they have, on every app instance.
            revoke_all_sessions(session, user_id=user.id)
        audit.record(
            session,
            actor,
            AuditAction.UPDATE,
            entity_type="user",
            entity_id=user.id,
            details=audit.changes(before, _snapshot(session, user)),
        )
        role_changes.record(
            session, actor, user=user, roles_before=roles_before, team_before=team_before
        )
    return user


def drop_temporary_password(session: Session, *, actor: audit.Actor, user: User) -> None:
    """Someone given a temporary password signed in through the identity provider instead:
    the temporary password stops working (with the provider on there are none), and nothing
    asks them to change a password they do not use."""
    user.password_hash = ""
    user.must_change_password = False
    user.password_expires_at = None
    user.updated_at = utcnow()
    session.add(user)
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="user",
        entity_id=user.id,
        details={"password": "temporary password dropped at sign-in through the identity provider"},
    )


def reset_password(
    session: Session,
    *,
    actor: audit.Actor,
    user_id: uuid.UUID,
    lifetime: timedelta = DEFAULT_TEMPORARY_PASSWORD_LIFETIME,
) -> str:
    """Give the user a new temporary password (returned, to show once, working for
    `lifetime`) and end their sessions."""
    user = get_user(session, user_id)
    temporary = generate_temporary_password()
    user.password_hash = hash_password(temporary)
    user.must_change_password = True
    user.password_expires_at = utcnow() + lifetime
    user.updated_at = utcnow()
    session.add(user)
    revoke_all_sessions(session, user_id=user.id)
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="user",
        entity_id=user.id,
        details={"password": "reset by an administrator"},
    )
    return temporary


def change_own_password(
    session: Session,
    *,
    actor: audit.Actor,
    user: User,
    current_password: str,
    new_password: str,
    confirmation: str,
    keep_session_id: str | None,
    policy: SessionPolicy,
) -> None:
    errors: dict[str, str] = {}
    # The current password is a guess like any sign-in: someone at an unlocked screen must
    # not be able to try passwords without limit. Failures count towards the same limits.
    now = utcnow()
    digest = account_digest(policy, user.email_key)
    if is_throttled(session, digest=digest, client_address=actor.client_address, now=now):
        raise InvalidInput({"current_password": PASSWORD_CHECK_THROTTLED})
    if not verify_password(user.password_hash, current_password):
        record_attempt(
            session, digest=digest, client_address=actor.client_address, succeeded=False, now=now
        )
        audit.record(
            session,
            actor,
            AuditAction.SIGN_IN_FAILED,
            entity_type="user",
            entity_id=user.id,
            user_id=user.id,
            details={"reason": "wrong current password when changing password"},
        )
        errors["current_password"] = "Enter your current password correctly"
    problem = password_problem(new_password, email=user.email, name=user.name)
    if problem:
        errors["new_password"] = problem
    elif new_password == current_password:
        errors["new_password"] = "Choose a new password that is different from your current one"
    if not errors and new_password != confirmation:
        errors["confirm_password"] = "Enter the same new password twice"
    if errors:
        raise InvalidInput(errors)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.password_expires_at = None
    user.updated_at = utcnow()
    session.add(user)
    # Other browsers signed in as this person are signed out; this one stays.
    revoke_all_sessions(session, user_id=user.id, except_id=keep_session_id)
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="user",
        entity_id=user.id,
        details={"password": "changed by the user"},
    )
