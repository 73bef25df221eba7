"""Page forms: a pydantic model per form, and the state a page re-renders with on error.

Validators raise ValueError with the GOV.UK instruction ("Enter your email address"); any other
pydantic error falls back to a plain instruction built from the field's title.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.datastructures import FormData

Model = TypeVar("Model", bound=BaseModel)


class PageForm(BaseModel):
    """Base for page forms: strings are stripped; unknown fields (the CSRF token) ignored."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")


@dataclass
class FormState:
    """What a form page renders: the values to show and the errors to explain."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # Where each error summary link points, when not at the field's own id (date inputs).
    anchors: dict[str, str] = field(default_factory=dict)

    def error_list(self) -> list[dict[str, str]]:
        return [
            {"text": message, "href": f"#{self.anchors.get(name, name)}"}
            for name, message in self.errors.items()
        ]

    def add(self, errors: Mapping[str, str]) -> FormState:
        self.errors.update(errors)
        return self


def form_values(form: FormData) -> dict[str, Any]:
    """Form fields as a dict; repeated fields (checkboxes) become lists."""
    values: dict[str, Any] = {}
    for key in form:
        items = [item for item in form.getlist(key) if isinstance(item, str)]
        values[key] = items if len(items) > 1 or key.endswith("[]") else (items[0] if items else "")
    return values


def validate_form(model: type[Model], values: Mapping[str, Any]) -> tuple[Model | None, FormState]:
    state = FormState(values=dict(values))
    try:
        return model.model_validate(values), state
    except ValidationError as error:
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "form"
            if name not in state.errors:
                state.errors[name] = _message(model, name, problem)
        return None, state


def _message(model: type[BaseModel], name: str, problem: Any) -> str:
    if problem["type"] == "value_error":
        return str(problem["ctx"]["error"])
    info = model.model_fields.get(name)
    title = (info.title if info and info.title else name.replace("_", " ")).lower()
    if problem["type"] in {"missing", "string_too_short"}:
        return f"Enter {title}"
    if problem["type"] == "string_too_long":
        return f"{title.capitalize()} must be {problem['ctx']['max_length']} characters or fewer"
    return f"Enter a valid {title}"
