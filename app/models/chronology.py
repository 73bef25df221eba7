"""The analytical chronology: the family's history as dated events from every source."""

import uuid
from datetime import date

from sqlmodel import Field, SQLModel

from app.models.base import new_id
from app.models.family import Versioned


class ChronologyEntry(Versioned, table=True):
    __tablename__ = "chronology_entry"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    # The date to sort and count by; `date_precision` says how exact it is: "day", "month"
    # (occurred_on is the 1st), "year" (1 January) or "approximate".
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
