"""Signing in and out, the session timeout, and changing one's own password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from app.deps import (
    ActorDep,
    FormValues,
    SessionDep,
    SettingsDep,
    clear_cookie,
    requires,
    session_cookie_name,
)
from app.forms import FormState, validate_form
from app.forms.auth import ChangePasswordForm, SignInForm
from app.models.accounts import User
from app.security.csrf import ANONYMOUS_COOKIE
from app.security.permissions import Permission
from app.security.redirects import is_safe_next
from app.services import accounts, sessions
from app.services.errors import InvalidInput
from app.templating import render

router = APIRouter()

HOME = "/home"


def _sign_in_page(
    request: Request, form: FormState, *, expired: bool = False, status_code: int = 200
) -> Response:
    return render(
        request,
        "views/auth/sign-in.html",
        {"form": form, "errors": form.error_list(), "expired": expired},
        status_code=status_code,
    )


@router.get("/sign-in")
def sign_in_page(
    request: Request,
    user: Annotated[User | None, requires(Permission.PUBLIC)],
    next: str = "",
    expired: str = "",
) -> Response:
    """The sign-in page."""
    if user is not None:
        return RedirectResponse(next if is_safe_next(next) else HOME, status_code=303)
    return _sign_in_page(
        request,
        FormState(values={"next": next if is_safe_next(next) else ""}),
        expired=bool(expired),
    )


@router.post("/sign-in")
def sign_in(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    _: Annotated[User | None, requires(Permission.PUBLIC)],
) -> Response:
    """Check the email address and password, then start a new session."""
    values = form_data
    parsed, form = validate_form(SignInForm, values)
    form.values.pop("password", None)
    if parsed is None:
        return _sign_in_page(request, form)
    cookie = session_cookie_name(settings)
    result = sessions.sign_in(
        session,
        actor=actor,
        email=parsed.email,
        password=parsed.password,
        user_agent=request.headers.get("user-agent", ""),
        policy=sessions.policy_from(settings),
        replacing_token=request.cookies.get(cookie),
    )
    if result.token is None:
        form.errors["email"] = result.error or sessions.SIGN_IN_REFUSED
        return _sign_in_page(request, form)
    target = parsed.next if is_safe_next(parsed.next) else HOME
    response = RedirectResponse(target, status_code=303)
    # A new random session id at every sign-in: nothing from before sign-in carries over.
    response.set_cookie(
        cookie,
        result.token,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
        path="/",
    )
    clear_cookie(response, settings.cookie_name(ANONYMOUS_COOKIE), settings)
    return response


@router.post("/sign-out")
def sign_out(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    _: Annotated[User | None, requires(Permission.PUBLIC)],
) -> Response:
    """End this session everywhere (it is revoked in the database), then say so."""
    cookie = session_cookie_name(settings)
    token = request.cookies.get(cookie)
    if token:
        sessions.sign_out(session, actor=actor, token=token)
    response = RedirectResponse("/signed-out", status_code=303)
    clear_cookie(response, cookie, settings)
    return response


@router.get("/signed-out")
def signed_out(
    request: Request, _: Annotated[User | None, requires(Permission.PUBLIC)]
) -> Response:
    """Confirmation that the person has signed out."""
    return render(request, "views/auth/signed-out.html")


@router.post("/session/extend")
def extend_session(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _: Annotated[User, requires(Permission.SIGNED_IN)],
) -> Response:
    """Keep an idle session alive (the timeout warning's "Stay signed in")."""
    record = request.state.session_record
    sessions.keep_alive(session, record=record)
    seconds = sessions.seconds_until_idle_timeout(record, sessions.policy_from(settings))
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"seconds_left": seconds})
    return RedirectResponse(HOME, status_code=303)


def _password_page(request: Request, form: FormState, user: User) -> Response:
    return render(
        request,
        "views/account/password.html",
        {"form": form, "errors": form.error_list(), "forced": user.must_change_password},
    )


@router.get("/account/password")
def password_page(
    request: Request, user: Annotated[User, requires(Permission.SIGNED_IN)]
) -> Response:
    """The change-password page (the only page open to a user with a temporary password)."""
    return _password_page(request, FormState(), user)


@router.post("/account/password")
def change_password(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    user: Annotated[User, requires(Permission.SIGNED_IN)],
) -> Response:
    """Change one's own password; other sessions of this user are signed out."""
    parsed, form = validate_form(ChangePasswordForm, form_data)
    form.values.clear()  # passwords are never sent back to the browser
    if parsed is not None:
        try:
            accounts.change_own_password(
                session,
                actor=actor,
                user=user,
                current_password=parsed.current_password,
                new_password=parsed.new_password,
                confirmation=parsed.confirm_password,
                keep_session_id=request.state.session_id,
            )
        except InvalidInput as problem:
            form.add(problem.errors)
        else:
            return RedirectResponse(f"{HOME}?password=changed", status_code=303)
    return _password_page(request, form, user)
