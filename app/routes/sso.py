"""Signing in through the council's identity provider (OpenID Connect). Registered only when
the provider is configured."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from app.admission import outside_queue
from app.config import Settings
from app.db import writes_on_get
from app.deps import (
    ActorDep,
    SessionDep,
    SettingsDep,
    clear_cookie,
    requires,
    session_cookie_name,
)
from app.models.accounts import User
from app.routes.auth import PENDING_COOKIE, after_sign_in, pending_token, set_cookie, signed_in
from app.security.permissions import Permission
from app.security.redirects import is_safe_next
from app.services import sso
from app.templating import render

router = APIRouter()


def _provider_problem(request: Request, refusal: sso.Refusal, settings: Settings) -> Response:
    response = render(
        request,
        "views/auth/provider-problem.html",
        {"message": refusal.message},
        status_code=refusal.status,
    )
    clear_cookie(response, settings.cookie_name(PENDING_COOKIE), settings)
    return response


@router.get("/sign-in/provider")
@outside_queue
@writes_on_get
def sign_in_with_provider(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    _: Annotated[User | None, requires(Permission.PUBLIC)],
    next: str = "",
) -> Response:
    """Send the person to the council's identity provider to sign in."""
    try:
        url, token = sso.begin(
            session, settings=settings, actor=actor, next_path=next if is_safe_next(next) else ""
        )
    except sso.Refusal as refusal:
        return _provider_problem(request, refusal, settings)
    response = RedirectResponse(url, status_code=303)
    set_cookie(response, settings.cookie_name(PENDING_COOKIE), token, settings)
    return response


@router.get("/sign-in/provider/callback")
@outside_queue
@writes_on_get
def provider_callback(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    _: Annotated[User | None, requires(Permission.PUBLIC)],
) -> Response:
    """Where the identity provider sends the person back: check everything, then sign in."""
    params = {key: value[:4096] for key, value in request.query_params.items()}
    try:
        completed = sso.complete(
            session,
            settings=settings,
            actor=actor,
            pending_token=pending_token(request, settings),
            params=params,
            user_agent=request.headers.get("user-agent", ""),
            replacing_token=request.cookies.get(session_cookie_name(settings)),
        )
    except sso.Refusal as refusal:
        return _provider_problem(request, refusal, settings)
    target = after_sign_in(completed.user, completed.next_path)
    return signed_in(RedirectResponse(target, status_code=303), completed.token, settings)
