"""Forms administrators submit: users, teams, audit filters."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import Field, field_validator

from app.forms import FormState, PageForm, validate_form
from app.forms.family import ParsedForm
from app.models.accounts import Role
from app.models.audit import AuditAction


class UserForm(PageForm):
    name: str = ""
    email: str = ""
    team_id: uuid.UUID | None = None
    roles: list[Role] = Field(default_factory=list)
    active: bool = True
    report_team_ids: list[uuid.UUID] = Field(default_factory=list)
    version: int = 0

    @field_validator("team_id", mode="before")
    @classmethod
    def _team(cls, value: object) -> object:
        return value or None

    @field_validator("roles", "report_team_ids", mode="before")
    @classmethod
    def _roles(cls, value: object) -> object:
        if isinstance(value, str):
            return [value] if value else []
        return value

    @field_validator("active", mode="before")
    @classmethod
    def _active(cls, value: object) -> object:
        if value in ("yes", "no"):
            return value == "yes"
        raise ValueError("Select whether the account is active")


class TeamForm(PageForm):
    name: str = ""


class TeamRenameForm(TeamForm):
    version: int = 0


class RoleChangesForm(PageForm):
    show: str = ""
    page: int = 1

    @field_validator("page", mode="before")
    @classmethod
    def _page(cls, value: object) -> object:
        return value or 1


class AuditFilterForm(PageForm):
    """The audit trail's filters but its dates, which are GOV.UK date inputs (audit_filters)."""

    user_id: uuid.UUID | None = None
    action: AuditAction | None = None
    family: str = Field("", max_length=60, title="family reference")
    entity_type: str = ""
    page: int = 1

    @field_validator("user_id", "action", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return value or None

    @field_validator("page", mode="before")
    @classmethod
    def _page(cls, value: object) -> object:
        return value or 1

    @field_validator("entity_type", mode="after")
    @classmethod
    def _kind(cls, value: str) -> str:
        # As the trail shows it ("Chronology entry") or as stored ("chronology_entry").
        return "_".join(value.lower().replace("-", " ").split())[:40]


@dataclass(frozen=True)
class AuditFilters:
    form: AuditFilterForm
    date_from: date | None
    date_to: date | None


def audit_filters(params: Mapping[str, Any]) -> tuple[AuditFilters | None, FormState]:
    """The audit trail's filters from its query (None when a field cannot be read), with the
    form's problems: each date input's own, and a to date before the from date."""
    values = dict(params)
    # Links made before the reference could be typed name the family by its id.
    if values.get("family_id") and not values.get("family"):
        values["family"] = values.pop("family_id")
    parsed, state = validate_form(AuditFilterForm, values)
    dates = ParsedForm(values)
    date_from = dates.date("date_from", "The from date")
    date_to = dates.date("date_to", "The to date")
    if date_from and date_to and date_to < date_from:
        dates.errors["date_to"] = "The to date must be the same as or after the from date"
    state.errors.update(dates.errors)
    state.anchors.update({name: f"{name}-day" for name in dates.errors})
    if parsed is None:
        return None, state
    return AuditFilters(parsed, date_from, date_to), state
