"""The base of every JSON API request body."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from app.security.input import value_problem


class ApiModel(BaseModel):
    """Unknown fields are refused; every value is checked for control characters and
    out-of-range numbers, so that the database never sees one (a 422, not a 500)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _safe_value(cls, value: Any, info: ValidationInfo) -> Any:
        problem = value_problem(value, info.field_name or "the value")
        if problem:
            raise ValueError(problem)
        return value
