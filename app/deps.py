"""Typed dependencies: the database session, the signed-in user, permissions, the actor."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app.config import Settings
from app.content.registry import ContentRegistry
from app.db import get_session, request_transaction
from app.forms import form_values, read_form_data
from app.models.accounts import User
from app.models.audit import AuditAction
from app.preview import PREVIEW
from app.security import csrf
from app.security.permissions import Permission, has_permission
from app.services import api_tokens, audit, sessions
from app.services.audit import Actor
from app.services.content_store import ContentStore


def request_session(
    request: Request, session: Annotated[Session, Depends(get_session)]
) -> Iterator[Session]:
    """The request's session, committed once when the route has returned (see
    app.db.request_transaction); "function" scope runs that before the response is sent.
    While a draft's preview is drawn, the preview's own session instead, which is never
    committed (see app.preview).

    Who is asking (`authenticate`) and, for someone signed in, the content the database holds
    now are read here, in the trip to the thread pool that opens the transaction: each
    dependency of its own made a trip of its own (docs/performance.md)."""
    preview = PREVIEW.get()
    if preview is not None:
        _identify(request, preview.session)
        yield preview.session
        return
    yield from request_transaction(request, session, first=_identify)


def _identify(request: Request, session: Session) -> None:
    authenticate(request, session)
    if request.state.user is not None:
        request.state.content_registry = _registry(request, session)


SessionDep = Annotated[Session, Depends(request_session, scope="function")]


async def read_form(request: Request) -> dict[str, Any]:
    """The posted form as a dict. Reading it here lets routes be plain functions, which FastAPI
    runs in its thread pool, so a database wait never blocks the event loop."""
    return form_values(await read_form_data(request))


FormValues = Annotated[dict[str, Any], Depends(read_form)]


async def get_content(request: Request, session: SessionDep) -> ContentRegistry:
    """The framework content the database holds now (see app.services.content_store): read
    with the session for someone signed in, and only a page open to anyone waits for it here."""
    registry: ContentRegistry | None = getattr(request.state, "content_registry", None)
    if registry is None:
        registry = await run_in_threadpool(_registry, request, session)
    return registry


def _registry(request: Request, session: Session) -> ContentRegistry:
    preview = PREVIEW.get()
    if preview is not None:
        return preview.registry
    store: ContentStore = request.app.state.content
    return store.registry(session)


ContentDep = Annotated[ContentRegistry, Depends(get_content)]

SESSION_COOKIE = "homeward_session"


def session_cookie_name(settings: Settings) -> str:
    return settings.cookie_name(SESSION_COOKIE)


def clear_cookie(response: Response, name: str, settings: Settings) -> None:
    """Delete a cookie with the attributes it was set with: browsers ignore a deletion of a
    __Host- cookie that is not itself Secure."""
    response.delete_cookie(
        name, path="/", secure=settings.secure_cookies, httponly=True, samesite="lax"
    )


API_PREFIX = "/api/"


class TokenRefused(Exception):
    """A request to the JSON API carried an API token that is unknown, expired or revoked, or
    an Authorization header that is not a bearer token."""


def authenticate(request: Request, session: Session) -> None:
    """Resolve the session cookie, or on the JSON API a bearer token (on every request), into
    request.state.user; done as the request's transaction opens (`request_session`)."""
    request.state.user = None
    request.state.session_record = None
    request.state.session_id = None
    request.state.api_token = None
    credentials = request.headers.get("authorization")
    if credentials is not None and request.url.path.startswith(API_PREFIX):
        # A token, not the browser's cookie: the request carries its own credentials, so no
        # other site can make a browser send it, and it needs no CSRF token.
        _authenticate_token(request, session, credentials)
        return
    preview = PREVIEW.get()
    if preview is not None:
        # A draft's preview: the invented family's practitioner, not the trainer's session.
        request.state.user = preview.user
        request.state.preview = preview
        request.state.session_id = preview.session_id
        return
    settings: Settings = request.app.state.settings
    token = request.cookies.get(session_cookie_name(settings))
    if not token:
        return
    resolved = sessions.resolve(session, token=token, policy=sessions.policy_from(settings))
    if resolved is None:
        request.state.session_expired = True
        return
    record, user = resolved
    request.state.user = user
    request.state.session_record = record
    request.state.session_id = record.id


def _authenticate_token(request: Request, session: Session, credentials: str) -> None:
    scheme, _, secret = credentials.strip().partition(" ")
    resolved = (
        api_tokens.resolve(session, secret.strip())
        if scheme.lower() == "bearer"
        else api_tokens.Resolved(None, None, "Authorization header is not a bearer token")
    )
    if resolved.refusal or resolved.user is None or resolved.token is None:
        audit.record(
            session,
            actor_for(request),
            AuditAction.ACCESS_DENIED,
            entity_type="api_token",
            entity_id=resolved.token.id if resolved.token else "",
            details={"reason": resolved.refusal},
            user_id=resolved.user.id if resolved.user else None,
            keep=True,
        )
        raise TokenRefused(resolved.refusal)
    request.state.user = resolved.user
    request.state.api_token = resolved.token
    # Every call made with a token is in the audit trail under the service account, beside
    # the entries for the family records it reads or changes.
    audit.record(
        session,
        actor_for(request),
        AuditAction.API_CALL,
        entity_type="api_token",
        entity_id=resolved.token.id,
        details={"method": request.method, "token": resolved.token.prefix},
        keep=True,
    )


async def protect_from_csrf(request: Request, session: SessionDep) -> None:
    """Refuse state-changing requests without the right CSRF token, and audit the refusal."""
    if request.state.api_token is not None:
        return
    try:
        await csrf.verify(request)
    except csrf.CsrfFailure:
        await _refuse(request, session, reason="missing or wrong CSRF token")
        raise


class SignInRequired(Exception):
    """The route needs a signed-in user and there is none (or the session has ended)."""


class PasswordChangeRequired(Exception):
    """The user must change a temporary password before doing anything else."""


class PermissionDenied(Exception):
    """The signed-in user's roles do not grant the route's permission."""

    def __init__(self, permission: Permission) -> None:
        super().__init__(permission.value)
        self.permission = permission


class Requirement:
    """A route's declared permission. Routes declare one with `requires(...)`; a test walks
    every route and fails if one has none."""

    def __init__(self, permission: Permission, *, before_password_change: bool = False) -> None:
        self.permission = permission
        self.before_password_change = before_password_change

    async def __call__(self, request: Request, session: SessionDep) -> User | None:
        # Async: only a refusal waits for the database (its audit entry: _refuse).
        user: User | None = request.state.user
        if self.permission is Permission.PUBLIC:
            return user
        if user is None:
            raise SignInRequired
        if user.must_change_password and not self.before_password_change:
            raise PasswordChangeRequired
        if not has_permission(user, self.permission):
            await _refuse(request, session, reason=f"needs permission {self.permission.value}")
            raise PermissionDenied(self.permission)
        return user


def requires(permission: Permission, *, before_password_change: bool = False) -> Any:
    """Declare the permission a route needs, as `user: Annotated[User, requires(...)]` (the
    user is None only on PUBLIC routes) or `dependencies=[requires(...)]`. A person with a
    temporary password reaches only the routes marked `before_password_change` (changing it,
    keeping the session alive) until they have changed it."""
    return Depends(Requirement(permission, before_password_change=before_password_change))


async def _refuse(request: Request, session: Session, *, reason: str) -> None:
    """Record a refusal from an async dependency: its audit entry waits for the database, so
    it is written in the thread pool, not on the event loop."""
    await run_in_threadpool(_record_denial, request, session, reason=reason)


def _record_denial(request: Request, session: Session, *, reason: str) -> None:
    # A refused request for a family's page is recorded against that family, so that its
    # "who has accessed this record" view shows attempts from people without the role too.
    try:
        family_id = uuid.UUID(str(request.path_params.get("family_id", "")))
    except ValueError:
        family_id = None
    audit.record(
        session,
        actor_for(request),
        AuditAction.ACCESS_DENIED,
        entity_type="family" if family_id else "",
        entity_id=family_id or "",
        family_id=family_id,
        details={"reason": reason},
        keep=True,
    )


def actor_for(request: Request) -> Actor:
    return Actor(
        user=request.state.user,
        request_id=getattr(request.state, "request_id", ""),
        client_address=request.client.host if request.client else "",
        path=request.url.path,
    )


# The next two are async because they wait for nothing: see app.db.get_session.
async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_actor(request: Request, _: SessionDep) -> Actor:
    return actor_for(request)


ActorDep = Annotated[Actor, Depends(get_actor)]


SettingsDep = Annotated[Settings, Depends(get_settings)]
