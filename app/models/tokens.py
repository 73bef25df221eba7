"""API tokens: how a service account (another council system) signs in to the JSON API."""

import uuid
from datetime import datetime

from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow


class ApiToken(SQLModel, table=True):
    """A token a service account sends as `Authorization: Bearer <token>`. The token is shown
    once when it is made; only its SHA-256 is kept (tokens are long and random, so a fast hash
    is enough, as for recovery codes), with its first characters to tell tokens apart."""

    __tablename__ = "api_token"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="user_account.id", index=True)
    # What the token is for ("Mosaic nightly import"), chosen by the administrator.
    name: str = Field(max_length=120)
    token_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    # None: the token does not expire (it can still be revoked).
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
