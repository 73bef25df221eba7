"""What a reader chooses on the reports pages: the team, the period, and how to group."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field, ValidationInfo, field_validator

from app.forms import PageForm


class ReportFilterForm(PageForm):
    framework: str = Field(default="", max_length=64)
    team_id: uuid.UUID | None = Field(default=None, title="team")
    date_from: date | None = Field(default=None, title="start of the period")
    date_to: date | None = Field(default=None, title="end of the period")
    cohort: str = Field(default="year", max_length=10)
    window: int = 12

    @field_validator("team_id", "date_from", "date_to", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return value or None

    @field_validator("cohort", mode="before")
    @classmethod
    def _cohort(cls, value: object) -> object:
        return value if value in {"year", "quarter"} else "year"

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: object) -> object:
        return value if value in {"3", "12", "24", 3, 12, 24} else 12

    @field_validator("date_to")
    @classmethod
    def _after_start(cls, value: date | None, info: ValidationInfo) -> date | None:
        start = info.data.get("date_from")
        if value is not None and start is not None and value < start:
            raise ValueError("The end of the period must be the same as or after its start")
        return value
