"""Forms administrators submit: users, teams, audit filters."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field, field_validator

from app.forms import PageForm
from app.models.accounts import Role
from app.models.audit import AuditAction


class UserForm(PageForm):
    name: str = ""
    email: str = ""
    team_id: uuid.UUID | None = None
    roles: list[Role] = Field(default_factory=list)
    active: bool = True
    version: int = 0

    @field_validator("team_id", mode="before")
    @classmethod
    def _team(cls, value: object) -> object:
        return value or None

    @field_validator("roles", mode="before")
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


class RoleChangesForm(PageForm):
    show: str = ""
    page: int = 1

    @field_validator("page", mode="before")
    @classmethod
    def _page(cls, value: object) -> object:
        return value or 1


class AuditFilterForm(PageForm):
    user_id: uuid.UUID | None = None
    action: AuditAction | None = None
    family_id: uuid.UUID | None = None
    entity_type: str = ""
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    @field_validator("user_id", "action", "family_id", "date_from", "date_to", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return value or None

    @field_validator("page", mode="before")
    @classmethod
    def _page(cls, value: object) -> object:
        return value or 1
