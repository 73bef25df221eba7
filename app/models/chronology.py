"""The analytical chronology: the family's history as dated events from every source."""

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, new_id, utcnow
from app.models.family import Versioned


class ChronologyEntry(Versioned, table=True):
    __tablename__ = "chronology_entry"
    # A family's entries in date order: the list, its pages, gaps and the analysis's windows.
    __table_args__ = (Index("ix_chronology_entry_family_day", "family_id", "occurred_on"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    # The date to sort and count by; `date_precision` says how exact it is: "day", "month"
    # (occurred_on is the 1st), "year" (1 January), "approximate" (about the month: the 1st) or
    # "approximate_year" (about the year: 1 January).
    occurred_on: date = Field(index=True)
    date_precision: str = Field(max_length=20)
    # Ids from the family's content version (chronology information sources, significance).
    source_id: str = Field(max_length=64, index=True)
    source_detail: str | None = Field(default=None, max_length=300)
    what_happened: str = Field(max_length=10000)
    who_was_involved: str | None = Field(default=None, max_length=2000)
    impact_on_child: str | None = Field(default=None, max_length=10000)
    response: str | None = Field(default=None, max_length=10000)
    outcome: str | None = Field(default=None, max_length=10000)
    significance: str = Field(max_length=64, index=True)
    parents_comments: str | None = Field(default=None, max_length=10000)
    # Information from or about people outside the family (left out of disclosure copies).
    third_party: bool = False
    author_id: uuid.UUID = Field(foreign_key="user_account.id")


class ChronologyEntryTheme(SQLModel, table=True):
    """A theme (from content) an entry shows; a row each, so SQL can count per theme."""

    __tablename__ = "chronology_entry_theme"

    entry_id: uuid.UUID = Field(foreign_key="chronology_entry.id", primary_key=True)
    theme_id: str = Field(max_length=64, primary_key=True, index=True)


class ChronologyEntryChild(SQLModel, table=True):
    """A child an entry concerns."""

    __tablename__ = "chronology_entry_child"

    entry_id: uuid.UUID = Field(foreign_key="chronology_entry.id", primary_key=True)
    child_id: uuid.UUID = Field(foreign_key="child.id", primary_key=True, index=True)


class ChronologyWrittenAnalysis(Versioned, table=True):
    """The practitioner's written analysis of one theme, or of the chronology as a whole."""

    __tablename__ = "chronology_written_analysis"
    __table_args__ = (UniqueConstraint("family_id", "scope"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    # A theme id from the family's content, or "overall".
    scope: str = Field(max_length=64)
    text: str = Field(max_length=20000)
    updated_by_id: uuid.UUID = Field(foreign_key="user_account.id")


class ChronologyComment(SQLModel, table=True):
    """A supervisor's comment on one entry, or (no entry) on the whole chronology."""

    __tablename__ = "chronology_comment"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    entry_id: uuid.UUID | None = Field(default=None, foreign_key="chronology_entry.id", index=True)
    author_id: uuid.UUID = Field(foreign_key="user_account.id")
    body: str = Field(max_length=5000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ChronologyReview(SQLModel, table=True):
    """A supervisor marked the chronology as reviewed. `snapshot` holds, per entry and per
    written analysis, its version and a short digest of each field, so that later changes can
    be listed field by field without keeping a copy of the text."""

    __tablename__ = "chronology_review"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    reviewed_by_id: uuid.UUID = Field(foreign_key="user_account.id")
    reviewed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    note: str | None = Field(default=None, max_length=5000)
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class ChronologyImport(SQLModel, table=True):
    """An uploaded CSV file, kept until its uploader confirms or discards the import."""

    __tablename__ = "chronology_import"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    uploaded_by_id: uuid.UUID = Field(foreign_key="user_account.id", index=True)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    filename: str = Field(max_length=255)
    # The decoded text of the file: the preview is worked out from it each time it is shown.
    csv_text: str = Field(sa_type=Text)
    # "pending", then "imported" or "discarded".
    status: str = Field(default="pending", max_length=20)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    imported_count: int = 0
