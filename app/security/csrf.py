"""CSRF protection: every state-changing request carries a token that only our pages know.

The token is an HMAC, under the app's secret key, of the signed-in session (or, before
sign-in, of a random value in a cookie). Forms send it in a hidden `csrf_token` field; htmx
and the JSON API send it in the `X-CSRF-Token` header, which the layout sets on <body> with
`hx-headers`, so no inline script is needed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
ANONYMOUS_COOKIE = "homeward_presession"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailure(Exception):
    """The request's CSRF token is missing or wrong."""


def _sign(secret_key: str, binding: str) -> str:
    return hmac.new(secret_key.encode(), binding.encode(), hashlib.sha256).hexdigest()


def _binding(request: Request) -> str:
    session_id: str | None = getattr(request.state, "session_id", None)
    if session_id:
        return f"session:{session_id}"
    value = request.cookies.get(ANONYMOUS_COOKIE, "")
    if len(value) < 32:
        # First visit: make a value; the security middleware sets it as a cookie.
        value = getattr(request.state, "new_presession", None) or secrets.token_urlsafe(32)
        request.state.new_presession = value
    return f"anonymous:{value}"


def csrf_token(request: Request) -> str:
    """The token the current page must send back."""
    return _sign(request.app.state.settings.secret_key, _binding(request))


async def verify(request: Request) -> None:
    """Raise CsrfFailure unless a state-changing request carries the right token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
        ("application/x-www-form-urlencoded", "multipart/form-data")
    ):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, csrf_token(request)):
        raise CsrfFailure
