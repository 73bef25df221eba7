"""Error responses: GOV.UK pages for people, JSON with a message for the API."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.middleware import REQUEST_ID_HEADER
from app.templating import render

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
ERROR_PAGES = {403: "errors/403.html", 404: "errors/404.html", 500: "errors/500.html"}
PLAIN_MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have permission to do this.",
    404: "Page not found.",
    405: "This address does not accept that kind of request.",
    409: "Someone else changed this record since you opened it.",
    413: "What you sent is too large.",
    500: "Sorry, there is a problem with the service.",
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(API_PREFIX)


def error_response(request: Request, status_code: int, message: str | None = None) -> Response:
    text = message or PLAIN_MESSAGES.get(status_code, "Sorry, there is a problem.")
    if wants_json(request):
        return JSONResponse({"message": text}, status_code=status_code)
    template = ERROR_PAGES.get(status_code, "errors/other.html")
    return render(
        request, template, {"status_code": status_code, "message": text}, status_code=status_code
    )


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    # Starlette's default detail is the bare status phrase ("Not Found"): use our wording then.
    default_detail = HTTPStatus(exc.status_code).phrase
    message = exc.detail if isinstance(exc.detail, str) and exc.detail != default_detail else None
    response = error_response(request, exc.status_code, message)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if not wants_json(request):
        return error_response(request, 400)
    errors = [
        {
            "location": ".".join(str(part) for part in error["loc"]),
            "message": error["msg"],
        }
        for error in exc.errors()
    ]
    return JSONResponse(
        {"message": "Some of the data sent is not valid.", "errors": errors}, status_code=422
    )


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Logged with the request id; the person sees no details (no stack traces, no secrets).
    request_id = getattr(request.state, "request_id", "-")
    logger.exception(
        "Unhandled error on %s %s (request %s)", request.method, request.url.path, request_id
    )
    response = error_response(request, 500)
    # This handler runs outside the other middleware, so it sets the id header itself.
    response.headers[REQUEST_ID_HEADER] = request_id
    return response


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
