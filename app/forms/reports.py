"""What a reader chooses on the reports pages: the team, the period, and how to group."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import Field, field_validator

from app.forms import FormState, PageForm, validate_form
from app.forms.family import ParsedForm


class ReportFilterForm(PageForm):
    """The reports' choices but the period, whose dates are GOV.UK date inputs."""

    framework: str = Field(default="", max_length=64)
    team_id: uuid.UUID | None = Field(default=None, title="team")
    cohort: str = Field(default="year", max_length=10)
    window: int = 12

    @field_validator("team_id", mode="before")
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


@dataclass(frozen=True)
class ReportFilters:
    form: ReportFilterForm
    date_from: date | None
    date_to: date | None


def report_filters(params: Mapping[str, Any]) -> tuple[ReportFilters | None, FormState]:
    """The choices from the query (None when one cannot be read), with the form's problems:
    each date input's own, and a period that ends before it starts."""
    values = dict(params)
    parsed, state = validate_form(ReportFilterForm, values)
    dates = ParsedForm(values)
    date_from = dates.date("date_from", "The start of the period")
    date_to = dates.date("date_to", "The end of the period")
    if date_from and date_to and date_to < date_from:
        dates.errors["date_to"] = "The end of the period must be the same as or after its start"
    state.errors.update(dates.errors)
    state.anchors.update({name: f"{name}-day" for name in dates.errors})
    if parsed is None or dates.errors:
        return None, state
    return ReportFilters(parsed, date_from, date_to), state
