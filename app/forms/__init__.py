"""Page forms: a pydantic model per form, and the state a page re-renders with on error.

Validators raise ValueError with the GOV.UK instruction ("Enter your email address"); any other
pydantic error falls back to a plain instruction built from the field's title.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from fastapi import HTTPException, Request
from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator
from python_multipart.multipart import parse_options_header
from starlette.datastructures import FormData

from app.security.input import value_problem

Model = TypeVar("Model", bound=BaseModel)

URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
# As many fields as Starlette's own parser accepts.
MAX_FORM_FIELDS = 1000
FORM_NOT_READ = (
    "The form could not be read. Go back, reload the page and try again; nothing was changed."
)


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def is_form(request: Request) -> bool:
    return media_type(request) in {URLENCODED, MULTIPART}


async def read_form_data(request: Request) -> FormData:
    """The posted form, read strictly: anything but a form is refused (415); a body that is
    not valid percent-encoded UTF-8 (which Starlette would quietly turn into other
    characters), or a multipart body cut short, is 400."""
    media = media_type(request)
    if media not in {URLENCODED, MULTIPART}:
        raise HTTPException(415, "Send this form from its page in Homeward.")
    if media == URLENCODED:
        body = await request.body()  # kept by the request, so the parser below reuses it
        try:
            # Browsers percent-encode every non-ASCII byte; Starlette would read raw ones as
            # Latin-1 and store mojibake, so they are refused too.
            parse_qsl(
                body.decode("ascii"),
                keep_blank_values=True,
                errors="strict",
                max_num_fields=MAX_FORM_FIELDS,
            )
        except ValueError as error:  # UnicodeDecodeError included
            raise HTTPException(400, FORM_NOT_READ) from error
    else:
        # Starlette refuses a malformed multipart body (400) but takes a truncated one, cut
        # before its closing boundary, as an empty form.
        _, options = parse_options_header(request.headers.get("content-type", ""))
        boundary = options.get(b"boundary", b"")
        if not boundary or b"--" + boundary + b"--" not in await request.body():
            raise HTTPException(400, FORM_NOT_READ)
    return await request.form()


class PageForm(BaseModel):
    """Base for page forms: strings are stripped; unknown fields (the CSRF token) ignored;
    every value is checked for control characters and out-of-range numbers."""

    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")

    @field_validator("*", mode="after")
    @classmethod
    def _safe_value(cls, value: Any, info: ValidationInfo) -> Any:
        name = info.field_name or ""
        problem = value_problem(value, _title(cls, name))
        if problem:
            raise ValueError(problem)
        return value


@dataclass
class FormState:
    """What a form page renders: the values to show and the errors to explain."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    # Where each error summary link points, when not at the field's own id (date inputs).
    anchors: dict[str, str] = field(default_factory=dict)
    # Where a prefilled value came from, by field id, shown with the field's hint.
    notes: dict[str, str] = field(default_factory=dict)

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
    title = _title(model, name)
    if problem["type"] in {"missing", "string_too_short"}:
        return f"Enter {title}"
    if problem["type"] == "string_too_long":
        return f"{title.capitalize()} must be {problem['ctx']['max_length']} characters or fewer"
    return f"Enter a valid {title}"


def _title(model: type[BaseModel], name: str) -> str:
    info = model.model_fields.get(name)
    return (info.title if info and info.title else name.replace("_", " ")).lower()
