"""Error responses: GOV.UK pages for people, JSON with a message for the API."""

from __future__ import annotations

import logging
from http import HTTPStatus
from urllib.parse import urlencode, urlsplit

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from sqlalchemy.exc import DataError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.admission import ClientGone
from app.content.registry import UnknownContentError
from app.deps import (
    PasswordChangeRequired,
    PermissionDenied,
    SignInRequired,
    TokenRefused,
    clear_cookie,
    session_cookie_name,
)
from app.middleware import REQUEST_ID_HEADER, security_headers
from app.security.csrf import CsrfFailure
from app.security.redirects import is_safe_next
from app.services.errors import Conflict, Forbidden, InvalidInput, NotFound
from app.summary.drawing import DrawingFailed
from app.templating import is_htmx, render

logger = logging.getLogger(__name__)

API_PREFIX = "/api/"
# The database is down, unreachable, dropped the connection or timed out; not bad input.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeout)
ERROR_PAGES = {
    403: "errors/403.html",
    404: "errors/404.html",
    500: "errors/500.html",
    503: "errors/503.html",
}
PLAIN_MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have permission to do this.",
    404: "Page not found.",
    405: "This address does not accept that kind of request.",
    409: "Someone else changed this record since you opened it.",
    413: "What you sent is too large. Nothing was changed.",
    414: "The address of this page is too long.",
    415: "This address does not accept that kind of content.",
    500: "Sorry, there is a problem with the service.",
    503: "Sorry, the service is unavailable. Try again in a few minutes.",
}
# Title and advice of the fixed page sent if an error page cannot be drawn.
FAILURE_TEXT = {
    500: (
        "Sorry, there is a problem with the service",
        "Try again later. Anything you saved before this message is safe.",
    ),
    503: (
        "Sorry, the service is unavailable",
        "Try again in a few minutes. Anything you saved before this message is safe.",
    ),
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


def _logged(request: Request) -> str:
    """The request as the log names it: method, path and request id."""
    request_id = getattr(request.state, "request_id", "-")
    return f"{request.method} {request.url.path} (request {request_id})"


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Logged with the request id; the person sees no details (no stack traces, no secrets).
    logger.exception("Unhandled error on %s", _logged(request))
    # This handler runs outside the other middleware, so it sets their headers itself.
    response = failure_response(request, 500)
    response.headers.update(security_headers(request.app.state.settings))
    response.headers[REQUEST_ID_HEADER] = getattr(request.state, "request_id", "-")
    return response


def _database_unavailable(request: Request, exc: Exception) -> Response:
    """The database refused a connection, dropped one, timed out or is in recovery: the
    person is told the service is unavailable for now (503), not that it is broken, and the
    next request tries a fresh connection (the pool checks each one before use)."""
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    logger.error(
        "Database unavailable on %s: %s: %s",
        _logged(request),
        type(exc).__name__,
        reason[0] if reason else "",
    )
    return failure_response(request, 503)


FALLBACK_PAGE = """<!DOCTYPE html>
<html lang="en-GB" class="govuk-template">
<head><meta charset="utf-8"><title>{title} – Homeward</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/css/homeward.css"></head>
<body class="govuk-template__body"><div class="govuk-width-container">
<main class="govuk-main-wrapper" id="main-content">
<h1 class="govuk-heading-l">{title}</h1>
<p class="govuk-body">{advice}</p>
<p class="govuk-body">If you contact the service desk, give them this reference:
<strong>{request_id}</strong>.</p>
</main></div></body></html>
"""


def failure_response(request: Request, status_code: int) -> Response:
    """The 500 or 503 page. It never fails itself: it is drawn without the signed-in person
    (their details might have to be reloaded from the database, which may be what failed),
    and if drawing it fails all the same, a fixed page is sent."""
    request_id = getattr(request.state, "request_id", "-")
    request.state.user = None
    request.state.session_record = None
    try:
        response = error_response(request, status_code)
    except Exception:
        logger.exception("The error page itself failed (request %s)", request_id)
        title, advice = FAILURE_TEXT[status_code]
        response = HTMLResponse(
            FALLBACK_PAGE.format(title=title, advice=advice, request_id=request_id),
            status_code=status_code,
        )
    if status_code == 503:
        response.headers["retry-after"] = "30"
    return response


UNSTORABLE = (
    "Something you sent cannot be stored: a hidden control character, or a number or date "
    "out of range. Check what you entered and try again. Nothing was changed."
)


def _unstorable_input(request: Request, exc: Exception) -> Response:
    """The backstop for a value that got past validation to the database (PostgreSQL refuses
    NUL in text and numbers beyond its column types) or to date arithmetic: the person is
    told, not shown a 500. Validation should have caught it, so it is logged."""
    logger.warning("Unstorable input on %s: %s", _logged(request), type(exc).__name__)
    session = getattr(request.state, "db", None)
    if session is not None:
        # The failed statement aborted the transaction; the error page must still render.
        session.rollback()
    if wants_json(request):
        return JSONResponse({"message": UNSTORABLE}, status_code=422)
    return error_response(request, 400, UNSTORABLE)


# RFC 6750: a 401 from the JSON API names the scheme it takes.
BEARER_CHALLENGE = 'Bearer realm="Homeward API"'
TOKEN_REFUSED = (
    "The API token was not accepted: it is unknown, has expired or has been revoked. Ask a "
    "Homeward administrator for a new token."
)


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    if wants_json(request):
        return JSONResponse(
            {"message": "Sign in, or send an API token, to continue."},
            status_code=401,
            headers={"WWW-Authenticate": BEARER_CHALLENGE},
        )
    expired = bool(getattr(request.state, "session_expired", False))
    if is_htmx(request):
        # A fragment must not be swapped into the page: htmx follows HX-Redirect instead.
        page = urlsplit(request.headers.get("HX-Current-URL", "")).path or "/"
        target = sign_in_url(page, expired=expired)
        response: Response = Response(status_code=200, headers={"HX-Redirect": target})
    else:
        page = request.url.path if request.method == "GET" else _referring_path(request)
        response = RedirectResponse(sign_in_url(page, expired=expired), status_code=303)
    if expired:
        settings = request.app.state.settings
        clear_cookie(response, session_cookie_name(settings), settings)
    return response


def sign_in_url(next_path: str, *, expired: bool = False) -> str:
    query = {}
    if is_safe_next(next_path) and next_path != "/":
        query["next"] = next_path
    if expired:
        query["expired"] = "1"
    return "/sign-in" + (f"?{urlencode(query)}" if query else "")


def _referring_path(request: Request) -> str:
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = referer.netloc in {"", request.url.netloc}
    return referer.path if same_site and referer.path else "/"


async def _token_refused(request: Request, exc: Exception) -> Response:
    return JSONResponse(
        {"message": TOKEN_REFUSED},
        status_code=401,
        headers={"WWW-Authenticate": f'{BEARER_CHALLENGE}, error="invalid_token"'},
    )


async def _password_change_required(request: Request, exc: Exception) -> Response:
    if wants_json(request):
        return JSONResponse(
            {"message": "Change your temporary password before using the service."},
            status_code=403,
        )
    if is_htmx(request):
        return Response(status_code=200, headers={"HX-Redirect": "/account/password"})
    return RedirectResponse("/account/password", status_code=303)


async def _permission_denied(request: Request, exc: Exception) -> Response:
    return error_response(request, 403)


async def _csrf_failure(request: Request, exc: Exception) -> Response:
    return error_response(
        request,
        403,
        "This form has expired or did not come from Homeward. Go back, reload the page and "
        "try again. Nothing was changed.",
    )


async def _not_found(request: Request, exc: Exception) -> Response:
    return error_response(request, 404, str(exc) or None)


async def _forbidden(request: Request, exc: Exception) -> Response:
    return error_response(request, 403, str(exc) or None)


async def _invalid_input(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InvalidInput)
    if wants_json(request):
        return JSONResponse(
            {
                "message": "Some of the data sent is not valid.",
                "errors": [
                    {"location": field, "message": message} for field, message in exc.errors.items()
                ],
            },
            status_code=422,
        )
    return error_response(request, 400, str(exc))


CONTENT_UNAVAILABLE = (
    "This family's work follows version {version} of its framework, which Homeward cannot use "
    "at the moment because the version's files have a problem. Nothing in the family's record "
    "has been lost. Tell a trainer or your administrator: the version is marked as unavailable "
    "on the framework content pages. The family's pages open again once it is put right."
)


async def _content_unavailable(request: Request, exc: Exception) -> Response:
    """A version families are pinned to that fails to load: their pages say so, not 500."""
    assert isinstance(exc, UnknownContentError)
    logger.warning(
        "Content %s/%s unavailable on %s: %s",
        exc.framework_id,
        exc.version,
        request.url.path,
        exc.message,
    )
    message = CONTENT_UNAVAILABLE.format(version=exc.version or "unknown")
    if wants_json(request):
        return JSONResponse({"message": message}, status_code=503)
    return render(
        request,
        "errors/content-unavailable.html",
        {"status_code": 503, "message": message},
        status_code=503,
    )


DRAWING_FAILED = (
    "Nothing in the family's record has changed. Try again in a few minutes, or download the "
    "Word file, which has the same content."
)


async def _drawing_failed(request: Request, exc: Exception) -> Response:
    """A PDF whose drawing crashed or ran too long: the person is told what to do instead."""
    logger.error(
        "PDF not drawn on %s (request %s): %s",
        request.url.path,
        getattr(request.state, "request_id", "-"),
        exc,
    )
    if wants_json(request):
        return JSONResponse({"message": "The PDF could not be made. " + DRAWING_FAILED}, 503)
    return render(
        request,
        "errors/pdf-not-made.html",
        # The page the PDF was asked for from: every PDF's address is its page's plus ".pdf".
        {"message": DRAWING_FAILED, "back": request.url.path.removesuffix(".pdf")},
        status_code=503,
    )


# nginx's status for a request whose client closed the connection first: nothing is sent, as
# there is no one to send it to; it is for the logs.
CLIENT_CLOSED_REQUEST = 499


async def _client_gone(request: Request, exc: Exception) -> Response:
    logger.info("Not served, the browser had gone while it waited: %s", _logged(request))
    return Response(status_code=CLIENT_CLOSED_REQUEST)


async def _conflict(request: Request, exc: Exception) -> Response:
    return error_response(request, 409, str(exc) or None)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(SignInRequired, _sign_in_required)
    app.add_exception_handler(TokenRefused, _token_refused)
    app.add_exception_handler(PasswordChangeRequired, _password_change_required)
    app.add_exception_handler(PermissionDenied, _permission_denied)
    app.add_exception_handler(CsrfFailure, _csrf_failure)
    app.add_exception_handler(NotFound, _not_found)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(InvalidInput, _invalid_input)
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(ClientGone, _client_gone)
    app.add_exception_handler(DrawingFailed, _drawing_failed)
    app.add_exception_handler(UnknownContentError, _content_unavailable)
    app.add_exception_handler(DataError, _unstorable_input)
    app.add_exception_handler(OverflowError, _unstorable_input)
    for unavailable in DATABASE_UNAVAILABLE:
        app.add_exception_handler(unavailable, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
