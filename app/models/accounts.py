"""People who use Homeward: teams, users and their roles, sessions, sign-in attempts."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Text
from sqlmodel import Field, Relationship, SQLModel

from app.models.base import Locked, UTCDateTime, new_id, utcnow


class Role(StrEnum):
    PRACTITIONER = "practitioner"
    SUPERVISOR = "supervisor"
    TRAINER = "trainer"
    ADMIN = "admin"
    # A head of service or service manager: reads the reports' figures, never a family's record.
    MANAGER = "manager"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.PRACTITIONER: "Practitioner",
    Role.SUPERVISOR: "Supervisor",
    Role.TRAINER: "Trainer",
    Role.ADMIN: "Administrator",
    Role.MANAGER: "Manager",
}


class Team(Locked, SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=120)
    # Lower-cased name, so "Team A" and "team a" cannot both exist.
    name_key: str = Field(max_length=120, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Teams can be renamed: two administrators renaming at once must not overwrite each other.
    version: int = 1


class ReportTeam(SQLModel, table=True):
    """A team whose reports a manager reads, where the administrator chose some for them; a
    manager with none chosen reads every team's."""

    __tablename__ = "report_team"

    user_id: uuid.UUID = Field(foreign_key="user_account.id", primary_key=True)
    team_id: uuid.UUID = Field(foreign_key="team.id", primary_key=True)


class UserRole(SQLModel, table=True):
    __tablename__ = "user_role"

    user_id: uuid.UUID = Field(foreign_key="user_account.id", primary_key=True)
    role: str = Field(max_length=20, primary_key=True)


class User(Locked, SQLModel, table=True):
    # "user" is a reserved word in PostgreSQL.
    __tablename__ = "user_account"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    email: str = Field(max_length=254)
    # Lower-cased email: unique, and what sign-in looks up.
    email_key: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=120)
    team_id: uuid.UUID | None = Field(default=None, foreign_key="team.id", index=True)
    # Empty for people who only sign in through the identity provider.
    password_hash: str = Field(max_length=255)
    must_change_password: bool = False
    # When a temporary password stops working (None: not a temporary password).
    password_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The identity provider's lasting id for the person (its subject claim): sign-in through
    # the provider matches on this, never on the email address once linked.
    sso_subject: str | None = Field(default=None, max_length=255, unique=True)
    # Two-factor sign-in: the authenticator app's secret (encrypted), one waiting to be
    # confirmed, when it was switched on, and the last time step used (a code works once).
    totp_secret: str | None = Field(default=None, max_length=255)
    totp_pending_secret: str | None = Field(default=None, max_length=255)
    totp_enabled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    totp_last_step: int | None = None
    active: bool = True
    # Another council system that uses the JSON API with tokens (app.models.tokens): it has
    # a role and a team like a person, and never signs in with a password or the provider.
    service_account: bool = Field(default=False, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_sign_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    version: int = 1

    role_rows: list[UserRole] = Relationship(
        sa_relationship_kwargs={"lazy": "selectin", "cascade": "all, delete-orphan"}
    )
    team: Team | None = Relationship(sa_relationship_kwargs={"lazy": "joined"})

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(row.role) for row in self.role_rows)

    def has_role(self, *roles: Role) -> bool:
        return not self.roles.isdisjoint(roles)

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None and self.totp_secret is not None


class UserSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored."""

    __tablename__ = "user_session"

    id: str = Field(primary_key=True, max_length=64)
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    client_address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)
    # How the person signed in: "password", "password and code", "identity provider".
    method: str = Field(default="password", max_length=30)
    # The provider's ID token, sent back to it when signing out there.
    id_token: str | None = Field(default=None, sa_type=Text)


class PendingSignIn(SQLModel, table=True):
    """A sign-in half done: waiting for the identity provider to send the person back
    (state, nonce, PKCE verifier), or for a one-time code after the password. The browser
    holds a random token in a cookie; only its SHA-256 is stored. Used once, then deleted."""

    __tablename__ = "pending_sign_in"

    id: str = Field(primary_key=True, max_length=64)
    purpose: str = Field(max_length=20)
    user_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id", index=True)
    state: str = Field(default="", max_length=128)
    nonce: str = Field(default="", max_length=128)
    code_verifier: str = Field(default="", max_length=128)
    next_path: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)


class RecoveryCode(SQLModel, table=True):
    """A single-use code for signing in without the authenticator app. Only its SHA-256 is
    kept: the codes are random and long, so a fast hash is enough."""

    __tablename__ = "recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True)
    code_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInAttempt(SQLModel, table=True):
    """Failed and successful sign-ins, counted to throttle guessing (kept in the database so
    that every app instance sees the same counts)."""

    __tablename__ = "sign_in_attempt"

    id: int | None = Field(default=None, primary_key=True)
    # A keyed hash of the email address typed, never the text itself: people type passwords
    # into the email box by mistake.
    account_digest: str = Field(max_length=64, index=True)
    client_address: str = Field(max_length=64, index=True)
    succeeded: bool
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
