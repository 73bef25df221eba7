"""ASGI middleware: a request id on every request, and security headers on every response."""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from functools import lru_cache
from pathlib import Path

import govuk_frontend_jinja
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import Settings
from app.security.csrf import ANONYMOUS_COOKIE
from app.templating import STATIC_PATH

REQUEST_ID_HEADER = "x-request-id"
# A caller-supplied id is kept only if it is short and plain, so it cannot inject into logs.
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        supplied = dict(scope["headers"]).get(REQUEST_ID_HEADER.encode(), b"").decode("latin-1")
        request_id = supplied if _SAFE_REQUEST_ID.match(supplied) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", []).append(
                    (REQUEST_ID_HEADER.encode(), request_id.encode())
                )
            await send(message)

        await self.app(scope, receive, send_with_id)


class SecurityHeadersMiddleware:
    """Security headers on every response, and the pre-sign-in CSRF cookie when one was made."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        headers = {
            "content-security-policy": content_security_policy(),
            "x-content-type-options": "nosniff",
            "referrer-policy": "same-origin",
            "x-frame-options": "DENY",
            "cross-origin-opener-policy": "same-origin",
            "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
        }
        if not settings.is_development:
            headers["strict-transport-security"] = "max-age=31536000; includeSubDomains"
        self.headers = [(name.encode(), value.encode()) for name, value in headers.items()]

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
                    # Pages hold child-protection records: never keep them in a cache.
                    headers.append((b"cache-control", b"no-store"))
                presession = scope.get("state", {}).get("new_presession")
                if presession:
                    headers.append((b"set-cookie", self._presession_cookie(presession)))
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _presession_cookie(self, value: str) -> bytes:
        secure = "; Secure" if self.settings.secure_cookies else ""
        return f"{ANONYMOUS_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{secure}".encode()


def content_security_policy() -> str:
    """No inline script or style: only our own files, and the one fixed inline script of the
    GOV.UK template, allowed by its hash."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' '{govuk_template_script_hash()}'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
        ]
    )


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
