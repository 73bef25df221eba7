"""ASGI middleware: a request id on every request, security headers on every response, and
limits on what a request may send."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit

import govuk_frontend_jinja
from fastapi import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.security.csrf import ANONYMOUS_COOKIE
from app.templating import STATIC_PATH
from app.timeutil import as_of

REQUEST_ID_HEADER = "x-request-id"
# A caller-supplied id is kept only if it is short and plain, so it cannot inject into logs
# (fullmatch: "$" alone would let a trailing line feed through).
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"")[:65]
        text = supplied.decode("latin-1")
        request_id = text if _SAFE_REQUEST_ID.fullmatch(text) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append(
                    (REQUEST_ID_HEADER.encode(), request_id.encode())
                )
            await send(message)

        await self.app(scope, receive, send_with_id)


def security_headers(settings: Settings) -> dict[str, str]:
    """The headers every response carries (the 500 page too, which is sent from outside
    this middleware)."""
    headers = {
        "content-security-policy": content_security_policy(settings),
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
        # Pages hold child-protection records: never keep them in a cache.
        "cache-control": "no-store",
    }
    if not settings.is_development:
        headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
    return headers


class SecurityHeadersMiddleware:
    """Security headers on every response, and the pre-sign-in CSRF cookie when one was made."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.headers = [
            (name.encode(), value.encode())
            for name, value in security_headers(settings).items()
            if name != "cache-control"
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith(STATIC_PATH + "/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in self.headers if item[0] not in present)
                if not is_static and b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                presession = scope.get("state", {}).get("new_presession")
                if presession:
                    headers.append((b"set-cookie", self._presession_cookie(presession)))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _presession_cookie(self, value: str) -> bytes:
        secure = "; Secure" if self.settings.secure_cookies else ""
        name = self.settings.cookie_name(ANONYMOUS_COOKIE)
        return f"{name}={value}; Path=/; HttpOnly; SameSite=Lax{secure}".encode()


MAX_QUERY_BYTES = 8 * 1024
FORBIDDEN_IN_ADDRESS = re.compile(rb"[\x00-\x1f\x7f]")
BAD_ADDRESS = "The address of this page contains characters that are not allowed."
Responder = Callable[[Request, int, str | None], Response]


class RequestBodyTooLarge(HTTPException):
    """Raised while the app reads a body that grows past the limit. An HTTPException, so that
    FastAPI's body parsing lets it through and the 413 handler answers."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(413, message)


@dataclass(frozen=True)
class UploadAllowance:
    """A page that takes a file upload may receive more than a form: up to `max_bytes` at
    addresses matching `path`, refused beyond that with the sentence `too_large`."""

    path: re.Pattern[str]
    max_bytes: int
    too_large: str


class RequestLimitsMiddleware:
    """Refuses what no page or API call needs, before any of the app sees it: bodies over
    HOMEWARD_MAX_REQUEST_BYTES (413, also when sent without a Content-Length, counted as they
    stream in), query strings over 8 KiB (414), and addresses with control characters or
    invalid UTF-8 (400; PostgreSQL would refuse them in a search)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        respond: Responder,
        uploads: Sequence[UploadAllowance] = (),
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.respond = respond
        self.uploads = tuple(uploads)

    def _body_limit(self, scope: Scope) -> tuple[int, str | None]:
        for upload in self.uploads:
            if upload.path.fullmatch(scope["path"]):
                return max(upload.max_bytes, self.max_body_bytes), upload.too_large
        return self.max_body_bytes, None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            status, message = refusal
            response = self.respond(Request(scope), status, message)
            await response(scope, receive, send)
            return
        received = 0
        limit, too_large = self._body_limit(scope)

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestBodyTooLarge(too_large)
            return message

        await self.app(scope, counting_receive, send)

    def _refusal(self, scope: Scope) -> tuple[int, str | None] | None:
        query: bytes = scope.get("query_string", b"")
        if len(query) > MAX_QUERY_BYTES:
            return 414, None
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode("utf-8", "replace")
        for part in (unquote_to_bytes(raw_path), unquote_to_bytes(query.replace(b"+", b" "))):
            if FORBIDDEN_IN_ADDRESS.search(part):
                return 400, BAD_ADDRESS
            try:
                part.decode("utf-8")
            except UnicodeDecodeError:
                return 400, BAD_ADDRESS
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None:
            if not length.isdigit():
                return 400, None
            # The digits are counted first: int() refuses strings of thousands of digits.
            limit, too_large = self._body_limit(scope)
            if len(length) > 12 or int(length) > limit:
                return 413, too_large
        return None


def content_security_policy(settings: Settings) -> str:
    """No inline script or style: only our own files, and the one fixed inline script of the
    GOV.UK template, allowed by its hash. Forms post only here, or to the identity provider
    where one is configured: signing out redirects there, and browsers apply form-action to
    the redirect after a form."""
    form_targets = " ".join(["'self'", *_origin(settings.oidc_issuer)])
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' '{govuk_template_script_hash()}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            f"form-action {form_targets}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


def _origin(url: str) -> list[str]:
    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme and parts.netloc else []


@lru_cache(maxsize=1)
def govuk_template_script_hash() -> str:
    """The CSP hash of the inline script in govuk-frontend-jinja's template (computed from the
    installed template, so an upgrade cannot silently break the policy)."""
    template = Path(govuk_frontend_jinja.__file__).parent / "templates" / "template.html"
    match = re.search(r"<script[^>]*>(.*?)</script>", template.read_text(), re.DOTALL)
    if match is None:
        raise RuntimeError("The GOV.UK template no longer has its inline script")
    digest = hashlib.sha256(match.group(1).encode()).digest()
    return "sha256-" + base64.b64encode(digest).decode()


TEST_CLOCK_HEADER = b"x-homeward-test-now"


class TestClockMiddleware:
    """In the test environment only (create_app never adds it elsewhere): serve a request as
    of the moment its X-Homeward-Test-Now header names (ISO 8601 with a zone), so that a
    browser test can walk a family's journey that takes months, step by step."""

    __test__ = False  # not a test class, whatever its name

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = (
            dict(scope.get("headers", [])).get(TEST_CLOCK_HEADER)
            if scope["type"] == "http"
            else None
        )
        moment = _moment(raw.decode("latin-1")) if raw else None
        if moment is None:
            await self.app(scope, receive, send)
            return
        with as_of(moment):
            await self.app(scope, receive, send)


def _moment(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None
