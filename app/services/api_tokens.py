"""Service accounts and their API tokens: other council systems (case management, the data
warehouse) that use the JSON API.

A service account is a user with one role and a team, like a person, so that the one
permission rule and the audit trail apply to it unchanged; it never signs in with a password
or through the identity provider. An administrator makes tokens for it: each is shown once,
kept only as its SHA-256, may expire, and can be revoked. Every call made with a token is
audited under the service account.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.models.accounts import Role, Team, User, UserRole
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.models.tokens import ApiToken
from app.services import audit, role_changes
from app.services.errors import NotFound
from app.services.locking import check_version, saving
from app.services.records import Problems

# Roles a service account may hold. Administration is done by people, in the browser, with
# two-factor sign-in: no token can manage users or read the audit trail.
SERVICE_ROLES = (Role.PRACTITIONER, Role.SUPERVISOR, Role.TRAINER)
TOKEN_PREFIX = "hwt_"
NAME_MAX = 120
# How long a new token works, in days, as the administrator's page offers it (None: no expiry).
LIFETIMES: dict[str, int | None] = {"30": 30, "90": 90, "365": 365, "never": None}
# A token's last use is written at most this often, so that a busy integration does not
# rewrite its token's row on every call.
LAST_USED_EVERY = timedelta(minutes=1)
ACCOUNT_CHANGED = "Someone else changed this service account since you opened the page."


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


# --- service accounts -------------------------------------------------------------------------


@dataclass(frozen=True)
class AccountDetails:
    name: str
    role: str
    team_id: uuid.UUID | None
    active: bool = True


def _check(session: Session, details: AccountDetails, *, account_id: uuid.UUID | None) -> Role:
    problems = Problems()
    name = problems.text(
        "name",
        details.name,
        label="the name of the service account",
        max_length=NAME_MAX,
        missing="Enter the name of the system that will use the account, like ‘Mosaic import’",
    )
    if name:
        clash = session.exec(
            select(User.id).where(
                col(User.service_account).is_(True),
                func.lower(col(User.name)) == " ".join(name.split()).lower(),
            )
        ).first()
        if clash is not None and clash != account_id:
            problems.add("name", "Another service account already has this name")
    role = problems.choice(
        "role",
        details.role,
        {role.value: role.label for role in SERVICE_ROLES},
        missing="Select the role the service account acts in",
    )
    if role in (Role.PRACTITIONER, Role.SUPERVISOR) and details.team_id is None:
        problems.add("team_id", "Select a team: practitioners and supervisors work in a team")
    if details.team_id is not None and session.get(Team, details.team_id) is None:
        problems.add("team_id", "Select a team from the list")
    problems.raise_if_any()
    assert role is not None
    return Role(role)


def _snapshot(user: User) -> dict[str, object]:
    return {
        "name": user.name,
        "team_id": user.team_id,
        "roles": sorted(role.value for role in user.roles),
        "active": user.active,
    }


def create_account(session: Session, *, actor: audit.Actor, details: AccountDetails) -> User:
    """A service account with one role and (for casework) a team; it has no password."""
    role = _check(session, details, account_id=None)
    user_id = uuid.uuid4()
    user = User(
        id=user_id,
        name=" ".join(details.name.split()),
        # Not an email address: nobody can sign in as a service account, or be matched to one
        # by the identity provider.
        email="",
        email_key=f"service:{user_id}",
        team_id=details.team_id if role is not Role.TRAINER else None,
        password_hash="",
        service_account=True,
        active=details.active,
    )
    user.role_rows = [UserRole(user_id=user_id, role=role.value)]
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="service_account",
        entity_id=user.id,
        details=audit.changes({}, _snapshot(user)),
    )
    role_changes.record(session, actor, user=user, roles_before=frozenset(), team_before=None)
    return user


def update_account(
    session: Session,
    *,
    actor: audit.Actor,
    account: User,
    details: AccountDetails,
    expected_version: int,
) -> User:
    """Change a service account's name, role, team or whether it may be used."""
    role = _check(session, details, account_id=account.id)
    check_version(account, expected_version, ACCOUNT_CHANGED)
    before = _snapshot(account)
    roles_before, team_before = account.roles, account.team_id
    with saving(session, account, ACCOUNT_CHANGED):
        account.name = " ".join(details.name.split())
        account.team_id = details.team_id if role is not Role.TRAINER else None
        account.active = details.active
        account.updated_at = utcnow()
        if account.roles != {role}:
            account.role_rows = [UserRole(user_id=account.id, role=role.value)]
    difference = audit.changes(before, _snapshot(account))
    if difference:
        audit.record(
            session,
            actor,
            AuditAction.UPDATE,
            entity_type="service_account",
            entity_id=account.id,
            details=difference,
        )
    role_changes.record(
        session, actor, user=account, roles_before=roles_before, team_before=team_before
    )
    return account


def list_accounts(session: Session) -> Sequence[User]:
    return (
        session.exec(
            select(User)
            .where(col(User.service_account).is_(True))
            .order_by(func.lower(col(User.name)))
        )
        .unique()
        .all()
    )


def get_account(session: Session, account_id: uuid.UUID) -> User:
    account = session.get(User, account_id)
    if account is None or not account.service_account:
        raise NotFound("There is no service account at this address.")
    return account


# --- tokens -----------------------------------------------------------------------------------


class TokenState(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"


def state_of(token: ApiToken, now: datetime | None = None) -> TokenState:
    now = now or utcnow()
    if token.revoked_at is not None:
        return TokenState.REVOKED
    if token.expires_at is not None and now >= token.expires_at:
        return TokenState.EXPIRED
    return TokenState.ACTIVE


def tokens_of(session: Session, account: User) -> Sequence[ApiToken]:
    """The account's tokens, newest first (revoked and expired ones too, as history)."""
    return session.exec(
        select(ApiToken)
        .where(col(ApiToken.user_id) == account.id)
        .order_by(col(ApiToken.created_at).desc())
    ).all()


def issue_token(
    session: Session, *, actor: audit.Actor, account: User, name: str, lifetime: str
) -> tuple[ApiToken, str]:
    """A new token for the account: the row, and the token itself, to be shown once."""
    problems = Problems()
    label = problems.text(
        "token_name",
        name,
        label="what the token is for",
        max_length=NAME_MAX,
        missing="Enter what the token is for, like ‘Nightly chronology import’",
    )
    if lifetime not in LIFETIMES:
        problems.add("lifetime", "Select how long the token works")
    problems.raise_if_any()
    if not account.service_account:
        raise NotFound("There is no service account at this address.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    days = LIFETIMES[lifetime]
    now = utcnow()
    token = ApiToken(
        user_id=account.id,
        name=label or "",
        token_hash=digest(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        created_at=now,
        created_by_id=actor.user_id,
        expires_at=now + timedelta(days=days) if days is not None else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="api_token",
        entity_id=token.id,
        details={
            "service_account": account.name,
            "token": token.name,
            "prefix": token.prefix,
            "expires_at": token.expires_at,
        },
        user_id=actor.user_id,
    )
    return token, secret


def get_token(session: Session, account: User, token_id: uuid.UUID) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != account.id:
        raise NotFound("The service account has no such token.")
    return token


def revoke_token(session: Session, *, actor: audit.Actor, account: User, token: ApiToken) -> None:
    """Stop a token working at once (revoking one already revoked changes nothing)."""
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    token.revoked_by_id = actor.user_id
    session.add(token)
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="api_token",
        entity_id=token.id,
        details={"service_account": account.name, "token": token.name, "revoked": True},
    )


@dataclass(frozen=True)
class Resolved:
    """What a bearer token turned out to be: the account and token, or why it is refused."""

    user: User | None
    token: ApiToken | None
    refusal: str = ""


def resolve(session: Session, secret: str) -> Resolved:
    """The service account a bearer token signs in, or the reason it does not."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return Resolved(None, None, "not a Homeward API token")
    token = session.exec(select(ApiToken).where(col(ApiToken.token_hash) == digest(secret))).first()
    if token is None:
        return Resolved(None, None, "unknown API token")
    user = session.get(User, token.user_id)
    now = utcnow()
    state = state_of(token, now)
    if user is None or not user.service_account:
        return Resolved(None, token, "unknown API token")
    if state is TokenState.REVOKED:
        return Resolved(user, token, "revoked API token")
    if state is TokenState.EXPIRED:
        return Resolved(user, token, "expired API token")
    if not user.active:
        return Resolved(user, token, "API token of a deactivated service account")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        token.last_used_at = now
        session.add(token)
    return Resolved(user, token)
