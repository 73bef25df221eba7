"""The return-home assessment: answers to content questions, risk and protective factor
ratings with their evidence, section revisions frozen at sign-off, and risk classifications.

Answers are stored against content item ids together with the content version they were
given under, in typed columns (not only JSON) so that reports can aggregate them in SQL.
"""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, UniqueConstraint
from sqlmodel import Field, SQLModel

from app.models.base import Locked, UTCDateTime, new_id, utcnow
from app.models.family import Versioned


class FactorStatus(StrEnum):
    PRESENT = "present"
    ABSENT = "absent"
    UNKNOWN = "unknown"


FACTOR_STATUS_LABELS = {
    FactorStatus.PRESENT: "Present",
    FactorStatus.ABSENT: "Not present",
    FactorStatus.UNKNOWN: "Not known",
}


class EvidenceKind(StrEnum):
    CHRONOLOGY = "chronology"
    REPORT = "report"
    OBSERVATION = "observation"
    OTHER = "other"


EVIDENCE_KIND_LABELS = {
    EvidenceKind.CHRONOLOGY: "Chronology entry",
    EvidenceKind.REPORT: "A report",
    EvidenceKind.OBSERVATION: "An observation",
    EvidenceKind.OTHER: "Other evidence",
}


class ClassificationStatus(StrEnum):
    SUBMITTED = "submitted"  # waiting for a supervisor
    AGREED = "agreed"  # signed off
    DISAGREED = "disagreed"  # sent back to the practitioner


class AssessmentAnswer(Locked, SQLModel, table=True):
    """One answer: `answer_key` places it (see app.content.snapshot.answer_key)."""

    __tablename__ = "assessment_answer"
    __table_args__ = (UniqueConstraint("family_id", "cycle", "answer_key"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    # The review cycle the answer belongs to; 0 for sections answered once.
    cycle: int = 0
    section_id: str = Field(max_length=64, index=True)
    answer_key: str = Field(max_length=400)
    question_id: str = Field(max_length=64, index=True)
    # The content version the answer was given under, so it can be shown in that wording.
    content_version: str = Field(max_length=64)
    # That version's hash (None for answers given before hashes were recorded).
    content_hash: str | None = Field(default=None, max_length=64)
    value_text: str | None = Field(default=None, max_length=50000)
    value_choice: str | None = Field(default=None, max_length=64, index=True)
    value_choices: list[str] | None = Field(default=None, sa_type=JSON)
    value_date: date | None = None
    value_number: float | None = None
    value_bool: bool | None = None
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")


class FactorRating(Locked, SQLModel, table=True):
    """Whether a risk or protective factor of the content is present for the family."""

    __tablename__ = "factor_rating"
    __table_args__ = (UniqueConstraint("family_id", "cycle", "factor_id"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    cycle: int = 0
    section_id: str = Field(max_length=64)
    factor_id: str = Field(max_length=64, index=True)
    content_version: str = Field(max_length=64)
    content_hash: str | None = Field(default=None, max_length=64)
    # A FactorStatus, or "" while only notes have been written.
    status: str = Field(max_length=20, index=True)
    notes: str | None = Field(default=None, max_length=5000)
    version: int = 1
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")


class FactorEvidence(Versioned, table=True):
    """A piece of evidence for a factor: a chronology entry of the same family, or a report,
    an observation or other evidence with its date and source."""

    __tablename__ = "factor_evidence"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    factor_id: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=20)
    chronology_entry_id: uuid.UUID | None = Field(
        default=None, foreign_key="chronology_entry.id", index=True
    )
    evidence_date: date | None = None
    source: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=2000)
    added_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")


class AssessmentSection(Locked, SQLModel, table=True):
    """A section of the assessment as one editable unit: its version guards every save of
    the section's page, and `revision` counts the frozen revisions made at sign-off."""

    __tablename__ = "assessment_section"
    __table_args__ = (UniqueConstraint("family_id", "section_id", "cycle"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    section_id: str = Field(max_length=64)
    cycle: int = 0
    status: str = Field(max_length=20, index=True)
    # The revision being worked on: 1 until the first sign-off, then one more after each.
    revision: int = 1
    version: int = 1
    # A random id per opened page: saves from the same page (its autosaves, then its buttons)
    # never conflict with each other, since each posts the whole form.
    editor: str | None = Field(default=None, max_length=40)
    # How many saves that page has sent (its autosaves count up): an older save from the same
    # page arriving after a newer one is refused, never stored over it.
    editor_seq: int = 0
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")


class SectionRevision(SQLModel, table=True):
    """A section as it stood when it was signed off, frozen: later changes make a new one."""

    __tablename__ = "section_revision"
    __table_args__ = (UniqueConstraint("family_id", "section_id", "cycle", "number"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    section_id: str = Field(max_length=64)
    cycle: int = 0
    number: int
    content_version: str = Field(max_length=64)
    # {"answers": {key: value}, "factors": {id: {status, notes, evidence: [...]}}}
    snapshot: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    frozen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    frozen_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    classification_id: uuid.UUID | None = Field(default=None, foreign_key="classification.id")


class Classification(Locked, SQLModel, table=True):
    """One submission of a risk classification at a content timepoint, and its review.

    A new row per submission, so the suggested, practitioner's and supervisor's levels of
    every round are kept."""

    __tablename__ = "classification"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    family_id: uuid.UUID = Field(foreign_key="family.id", index=True)
    section_id: str = Field(max_length=64)
    cycle: int = 0
    timepoint_id: str = Field(max_length=64, index=True)
    content_version: str = Field(max_length=64)
    content_hash: str | None = Field(default=None, max_length=64)
    suggested_level: str = Field(max_length=64, index=True)
    # The rules engine's explanation at submission: fired rules, their reasons and sources.
    explanation: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    # The ids of the rules that set the suggested level (also in the explanation): kept apart
    # so that reports count them without reading every explanation (about 20 KB each).
    level_set_by: list[str] = Field(default_factory=list, sa_type=JSON)
    practitioner_level: str = Field(max_length=64, index=True)
    rationale: str | None = Field(default=None, max_length=10000)
    submitted_by_id: uuid.UUID = Field(foreign_key="user_account.id")
    submitted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    status: str = Field(max_length=20, index=True)
    supervisor_agrees: bool | None = None
    supervisor_comments: str | None = Field(default=None, max_length=10000)
    supervisor_level: str | None = Field(default=None, max_length=64, index=True)
    reviewed_by_id: uuid.UUID | None = Field(default=None, foreign_key="user_account.id")
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    gate_id: str | None = Field(default=None, max_length=64)
    gate_option_id: str | None = Field(default=None, max_length=64)
    gate_decision_id: uuid.UUID | None = Field(default=None, foreign_key="gate_decision.id")
    version: int = 1
