"""What every JSON API operation shares: the error bodies, every status an operation can answer
documented with its schema (added by `ApiRoute` from what the operation takes), a 415 for a
body that is not JSON, and the 409 that carries the record as it is saved now."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Generic, TypeVar

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

from app.services.errors import Conflict, InvalidInput

Model = TypeVar("Model", bound=BaseModel)
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ErrorBody(BaseModel):
    """An error: one sentence that says what to do."""

    message: str


class FieldError(BaseModel):
    """What is wrong with one value sent: where it is (`body.date_of_birth`, `query.page`, or
    the id of a question or field) and what to do about it."""

    location: str
    message: str


class InvalidBody(BaseModel):
    """The values sent are not valid: a message per field. Nothing was saved."""

    message: str
    errors: list[FieldError] = Field(default_factory=list)


class Stale(BaseModel, Generic[Model]):
    """Someone else saved first (or the record has moved on): nothing was changed. `current`
    holds the record as it is saved now, where there is one to show."""

    message: str
    current: Model | None = None


def _error(description: str, example: str, model: type[BaseModel] = ErrorBody) -> dict[str, Any]:
    return {
        "model": model,
        "description": description,
        "content": {"application/json": {"example": {"message": example}}},
    }


BEARER = {
    "WWW-Authenticate": {
        "description": "The scheme to send: `Bearer` with a service account's API token",
        "schema": {"type": "string"},
    }
}
ERRORS: dict[int, dict[str, Any]] = {
    400: _error(
        "The request could not be read: control characters or bad UTF-8 in the address, or "
        "a body that could not be parsed",
        "The request could not be understood.",
    ),
    401: {
        **_error(
            "Not signed in: no session cookie and no API token, or a token that is unknown, "
            "expired or revoked",
            "Sign in, or send an API token, to continue.",
        ),
        "headers": BEARER,
    },
    403: _error(
        "Signed in, but the role does not allow this (or, for a family of the team, not "
        "this action: only its allocated practitioner changes it, only another supervisor "
        "signs off); a browser session's request without its CSRF token",
        "Only the practitioner this family is allocated to can change its record.",
    ),
    404: _error(
        "No such record that this account can see: families outside the account's team are "
        "not found either",
        "There is no family record at this address you can see.",
    ),
    409: _error(
        "Someone else changed the family's record at the same moment, or the record has moved "
        "on (an import already confirmed, a section already signed off): nothing was changed",
        "Someone else changed this record since you opened it.",
    ),
    413: _error("The body is larger than the service accepts", "What you sent is too large."),
    414: _error("The address is too long", "The address of this page is too long."),
    415: _error(
        "The body is not of a type this operation accepts (JSON, unless it says otherwise)",
        "Send the body as JSON, with the header Content-Type: application/json.",
    ),
    422: {
        "model": InvalidBody,
        "description": "The values sent are not valid, with a message for each; nothing was saved",
        "content": {
            "application/json": {
                "example": {
                    "message": "Some of the data sent is not valid.",
                    "errors": [
                        {"location": "body.occurred_on", "message": "Enter the date of the event"}
                    ],
                }
            }
        },
    },
    503: _error(
        "The database, or the family's framework version, is unavailable for now: try again",
        "Sorry, the service is unavailable. Try again in a few minutes.",
    ),
}
JSON_ONLY = "Send the body as JSON, with the header Content-Type: application/json."


def conflict(model: type[BaseModel] | None = None, description: str = "") -> dict[int | str, Any]:
    """The 409 of an operation: with the record as it is saved now when `model` is given."""
    body = Stale[model] if model is not None else ErrorBody  # type: ignore[valid-type]
    return {
        409: {
            "model": body,
            "description": description
            or "Someone else saved first, or the record has moved on: nothing was changed",
        }
    }


def stale(model: type[Model], problem: Conflict, convert: Callable[[Any], Model]) -> JSONResponse:
    """409 with the record as it is saved now (when the conflict carries one)."""
    current = convert(problem.current).model_dump(mode="json") if problem.current else None
    return JSONResponse({"message": str(problem), "current": current}, status_code=409)


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


class ApiRoute(APIRoute):
    """An API operation. Its OpenAPI entry lists every status it can answer: the ones every
    operation shares, 404 where the address names a record, 409 and 413 where it changes
    anything, 415/422 where it takes a body or values, beside its own (a 409 with the record
    as saved now, given with `conflict`). A JSON body sent as anything but JSON is refused
    with 415 rather than read as text; the services' errors are located in the body sent."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        responses: dict[int | str, Any] = dict(kwargs.pop("responses", None) or {})
        super().__init__(path, endpoint, **kwargs)
        dependant = self.dependant
        has_params = bool(
            _flatten(dependant, "path_params")
            or _flatten(dependant, "query_params")
            or self.body_field is not None
        )
        codes = {400, 401, 403, 503}
        if _flatten(dependant, "path_params"):
            codes.add(404)
        if _flatten(dependant, "query_params"):
            codes.add(414)
        writes = bool((self.methods or set()) & WRITE_METHODS)
        if writes:
            # Every change is committed with its rows' versions checked: a change made at the
            # same moment as another answers 409, whatever the operation.
            codes.update({409, 413})
        if self.body_field is not None:
            codes.add(415)
        if has_params or writes:
            codes.add(422)
        merged: dict[int | str, Any] = {code: ERRORS[code] for code in sorted(codes)}
        merged.update(responses)
        # Built again with the full list, so that FastAPI makes a schema for each model.
        super().__init__(path, endpoint, responses=merged, **kwargs)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler
        fields = _body_fields(self.body_field)

        async def checked(request: Request) -> Response:
            content_type = request.headers.get("content-type", "")
            if content_type and not _is_json(content_type):
                return JSONResponse({"message": JSON_ONLY}, status_code=415)
            try:
                return await handler(request)
            except InvalidInput as problem:
                # The services name the fields as the pages do; say where they are in the
                # body sent, as the request's own validation does (`body.<field>`).
                raise InvalidInput(
                    {_located(name, fields): text for name, text in problem.errors.items()}
                ) from None

        return checked


# Services' names for values that the API sends under another name.
SERVICE_FIELDS = {"carer": "carer_adult_id"}


def _body_fields(body_field: Any) -> frozenset[str]:
    names = getattr(body_field.field_info.annotation, "model_fields", None) or {}
    return frozenset(names)


def _located(name: str, fields: frozenset[str]) -> str:
    name = SERVICE_FIELDS.get(name, name)
    return f"body.{name}" if name in fields else name


def _flatten(dependant: Any, name: str) -> list[Any]:
    """Parameters of `name` anywhere in an operation's dependencies."""
    found = list(getattr(dependant, name))
    for inner in dependant.dependencies:
        found.extend(_flatten(inner, name))
    return found
