"""People who use Homeward: teams, users and their roles, sessions, sign-in attempts."""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, Relationship, SQLModel

from app.models.base import Locked, UTCDateTime, new_id, utcnow


class Role(StrEnum):
    PRACTITIONER = "practitioner"
    SUPERVISOR = "supervisor"
    TRAINER = "trainer"
    ADMIN = "admin"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.PRACTITIONER: "Practitioner",
    Role.SUPERVISOR: "Supervisor",
    Role.TRAINER: "Trainer",
    Role.ADMIN: "Administrator",
}


class Team(SQLModel, table=True):
    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=120)
    # Lower-cased name, so "Team A" and "team a" cannot both exist.
    name_key: str = Field(max_length=120, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


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
    password_hash: str = Field(max_length=255)
    must_change_password: bool = False
    active: bool = True
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


class SignInAttempt(SQLModel, table=True):
    """Failed and successful sign-ins, counted to throttle guessing (kept in the database so
    that every app instance sees the same counts)."""

    __tablename__ = "sign_in_attempt"

    id: int | None = Field(default=None, primary_key=True)
    email_key: str = Field(max_length=254, index=True)
    client_address: str = Field(max_length=64, index=True)
    succeeded: bool
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
