"""Framework content kept in the database: every published version and every draft, file by
file, so that all app instances serve the same content and trainers can change it in the app.

A version row starts as a draft (no number, files editable), becomes published (number and
hash fixed, files never change again) and may later be retired (no new families start on it;
families already on it carry on).
"""

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import Locked, UTCDateTime, new_id, utcnow


class ContentStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


class ContentOrigin(StrEnum):
    BUNDLED = "bundled"  # imported from framework_content/ at start-up
    STUDIO = "studio"  # a draft made and published in the app
    IMPORT = "import"  # uploaded as a zip


class ContentVersion(SQLModel, table=True):
    """One version of a framework: a draft being written, or a published (or retired) one."""

    __tablename__ = "content_version"
    __table_args__ = (UniqueConstraint("framework_id", "number"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    framework_id: str = Field(max_length=64, index=True)
    # The semantic version number, given when the version is published (None for a draft).
    number: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=20, index=True)
    origin: str = Field(max_length=20)
    # What a draft is for, in the trainer's words ("Reword the substance misuse factors").
    title: str = Field(max_length=200)
    # The SHA-256 of every file, fixed at publication and checked whenever it is loaded.
    content_hash: str | None = Field(default=None, max_length=64, index=True)
    based_on_id: uuid.UUID | None = Field(default=None, foreign_key="content_version.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retired_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    version: int = 1


class ContentFile(Locked, SQLModel, table=True):
    """One YAML file of a version, as text (`framework.yaml`, `domains/substance-misuse.yaml`).
    Trainers edit a draft's files, so saving one checks its version like every editable row."""

    __tablename__ = "content_file"
    __table_args__ = (UniqueConstraint("content_version_id", "name"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    content_version_id: uuid.UUID = Field(foreign_key="content_version.id", index=True)
    name: str = Field(max_length=200)
    text: str = Field(sa_type=Text)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    version: int = 1


class ContentState(SQLModel, table=True):
    """One row: a token that changes whenever the served content changes (a version is
    published, retired or imported), so every app instance knows to reload without a restart."""

    __tablename__ = "content_state"

    id: int = Field(default=1, primary_key=True)
    generation: uuid.UUID = Field(default_factory=new_id)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
