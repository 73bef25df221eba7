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

from app.forms import is_form, read_form_data

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
    value = request.cookies.get(request.app.state.settings.cookie_name(ANONYMOUS_COOKIE), "")
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
    if sent is None and is_form(request):
        form = await read_form_data(request)
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a TypeError,
    # so a 500, for any forged token with an accent in it).
    expected = csrf_token(request).encode()
    if not sent or not hmac.compare_digest(sent.encode("utf-8", "replace"), expected):
        raise CsrfFailure
