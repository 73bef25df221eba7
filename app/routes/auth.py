"""Signing in (with a password and a one-time code, or through the council's identity
provider) and out, the session timeout, and changing one's own password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from app.config import Settings
from app.db import writes_on_get
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
from app.forms.auth import ChangePasswordForm, CodeForm, SignInForm
from app.models.accounts import User
from app.security.csrf import ANONYMOUS_COOKIE
from app.security.permissions import Permission
from app.security.redirects import is_safe_next
from app.services import accounts, audit, sessions, sso, two_factor
from app.services.errors import InvalidInput
from app.services.sessions import Method, Pending
from app.templating import landing_page, render, with_notice

router = APIRouter()

HOME = "/home"
PASSWORD_PAGE = "/account/password"
PENDING_COOKIE = "homeward_pending"
PASSWORDS_OFF = "Sign in with {provider}: Homeward passwords are switched off"


def _sign_in_page(
    request: Request, form: FormState, *, expired: bool = False, status_code: int = 200
) -> Response:
    return render(
        request,
        "views/auth/sign-in.html",
        {"form": form, "errors": form.error_list(), "expired": expired},
        status_code=status_code,
    )


def set_cookie(response: Response, name: str, value: str, settings: Settings) -> None:
    response.set_cookie(
        name, value, httponly=True, secure=settings.secure_cookies, samesite="lax", path="/"
    )


def signed_in(response: Response, token: str, settings: Settings) -> Response:
    """Give the browser its new session, and drop what it held before signing in."""
    # A new random session id at every sign-in: nothing from before sign-in carries over.
    set_cookie(response, session_cookie_name(settings), token, settings)
    clear_cookie(response, settings.cookie_name(ANONYMOUS_COOKIE), settings)
    clear_cookie(response, settings.cookie_name(PENDING_COOKIE), settings)
    return response


def after_sign_in(user: User, next_path: str | None) -> str:
    """Where a new session starts: changing a temporary password before anything else, then
    the page the person asked for, or their own landing page."""
    if user.must_change_password:
        return PASSWORD_PAGE
    return next_path if next_path and is_safe_next(next_path) else landing_page(user)


def pending_token(request: Request, settings: Settings) -> str | None:
    return request.cookies.get(settings.cookie_name(PENDING_COOKIE))


@router.get("/sign-in")
def sign_in_page(
    request: Request,
    user: Annotated[User | None, requires(Permission.PUBLIC)],
    next: str = "",
    expired: str = "",
) -> Response:
    """The sign-in page."""
    if user is not None:
        return RedirectResponse(after_sign_in(user, next), status_code=303)
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
    """Check the email address and password, then start a new session, or ask for a
    one-time code when the account needs one."""
    parsed, form = validate_form(SignInForm, form_data)
    form.values.pop("password", None)
    if not settings.password_sign_in:
        sessions.record_failure(session, actor=actor, user=None, reason="passwords switched off")
        form.errors["email"] = PASSWORDS_OFF.format(provider=settings.oidc_provider_name)
        return _sign_in_page(request, form, status_code=403)
    if parsed is None:
        return _sign_in_page(request, form)
    result = sessions.sign_in(
        session,
        actor=actor,
        email=parsed.email,
        password=parsed.password,
        user_agent=request.headers.get("user-agent", ""),
        policy=sessions.policy_from(settings),
        replacing_token=request.cookies.get(session_cookie_name(settings)),
    )
    target = parsed.next if is_safe_next(parsed.next) else ""
    if result.pending_token is not None:
        pending = sessions.find_pending(
            session, token=result.pending_token, purpose=result.pending or Pending.CODE
        )
        if pending is not None:
            pending.next_path = target
        step = "/sign-in/code" if result.pending is Pending.CODE else "/sign-in/set-up-code"
        response = RedirectResponse(step, status_code=303)
        set_cookie(response, settings.cookie_name(PENDING_COOKIE), result.pending_token, settings)
        return response
    if result.token is None or result.user is None:
        form.errors["email"] = result.error or sessions.SIGN_IN_REFUSED
        return _sign_in_page(request, form)
    return signed_in(
        RedirectResponse(after_sign_in(result.user, target), status_code=303),
        result.token,
        settings,
    )


def _code_page(request: Request, form: FormState) -> Response:
    return render(request, "views/auth/code.html", {"form": form, "errors": form.error_list()})


def _start_again(request: Request) -> Response:
    """The second step of a sign-in with no first step in this browser (or a stale one)."""
    return render(request, "views/auth/start-again.html")


@router.get("/sign-in/code")
def code_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _: Annotated[User | None, requires(Permission.PUBLIC)],
) -> Response:
    """The second step of signing in: a code from the person's authenticator app."""
    token = pending_token(request, settings)
    if sessions.find_pending(session, token=token, purpose=Pending.CODE) is None:
        return _start_again(request)
    return _code_page(request, FormState())


@router.post("/sign-in/code")
def check_code(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    _: Annotated[User | None, requires(Permission.PUBLIC)],
) -> Response:
    """Check the one-time (or recovery) code, then start the session."""
    pending = sessions.find_pending(
        session, token=pending_token(request, settings), purpose=Pending.CODE
    )
    user = session.get(User, pending.user_id) if pending and pending.user_id else None
    if pending is None or user is None or not user.active:
        return _start_again(request)
    parsed, form = validate_form(CodeForm, form_data)
    form.values.clear()  # a code is never sent back
    if parsed is None:
        return _code_page(request, form)
    policy = sessions.policy_from(settings)
    try:
        two_factor.verify_sign_in_code(
            session, actor=actor, user=user, code=parsed.code, policy=policy
        )
    except InvalidInput as problem:
        return _code_page(request, form.add(problem.errors))
    next_path = pending.next_path
    if not sessions.finish_pending(session, pending):
        return _start_again(request)
    token = sessions.start_session(
        session,
        actor=actor,
        user=user,
        user_agent=request.headers.get("user-agent", ""),
        policy=policy,
        method=Method.PASSWORD_AND_CODE,
        replacing_token=request.cookies.get(session_cookie_name(settings)),
    )
    return signed_in(
        RedirectResponse(after_sign_in(user, next_path), status_code=303), token, settings
    )


def _set_up_page(
    request: Request, set_up: two_factor.SetUp, form: FormState, *, action: str
) -> Response:
    return render(
        request,
        "views/auth/set-up-code.html",
        {"form": form, "errors": form.error_list(), "set_up": set_up, "action": action},
    )


@router.get("/sign-in/set-up-code")
@writes_on_get
def set_up_code_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    _: Annotated[User | None, requires(Permission.PUBLIC)],
) -> Response:
    """Set up an authenticator app during sign-in, where the person's role requires one."""
    pending = sessions.find_pending(
        session, token=pending_token(request, settings), purpose=Pending.SET_UP_CODE
    )
    user = session.get(User, pending.user_id) if pending and pending.user_id else None
    if pending is None or user is None:
        return _start_again(request)
    set_up = two_factor.begin_set_up(session, user=user, secret_key=settings.secret_key)
    return _set_up_page(request, set_up, FormState(), action="/sign-in/set-up-code")


@router.post("/sign-in/set-up-code")
def confirm_set_up_code(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    _: Annotated[User | None, requires(Permission.PUBLIC)],
) -> Response:
    """Confirm the app shows the right codes, show the recovery codes once, and sign in."""
    pending = sessions.find_pending(
        session, token=pending_token(request, settings), purpose=Pending.SET_UP_CODE
    )
    user = session.get(User, pending.user_id) if pending and pending.user_id else None
    if pending is None or user is None or not user.active:
        return _start_again(request)
    parsed, form = validate_form(CodeForm, form_data)
    form.values.clear()
    try:
        if parsed is None:
            raise InvalidInput(form.errors)
        codes = two_factor.confirm_set_up(
            session,
            actor=audit_actor(actor, user),
            user=user,
            code=parsed.code,
            secret_key=settings.secret_key,
        )
    except InvalidInput as problem:
        set_up = two_factor.begin_set_up(session, user=user, secret_key=settings.secret_key)
        return _set_up_page(
            request, set_up, form.add(problem.errors), action="/sign-in/set-up-code"
        )
    next_path = pending.next_path
    if not sessions.finish_pending(session, pending):
        return _start_again(request)
    token = sessions.start_session(
        session,
        actor=actor,
        user=user,
        user_agent=request.headers.get("user-agent", ""),
        policy=sessions.policy_from(settings),
        method=Method.PASSWORD_AND_CODE,
        replacing_token=request.cookies.get(session_cookie_name(settings)),
    )
    response = render(
        request,
        "views/account/recovery-codes.html",
        {
            "codes": codes,
            "continue_to": after_sign_in(user, next_path),
            "signing_in": True,
        },
    )
    return signed_in(response, token, settings)


def audit_actor(actor: audit.Actor, user: User) -> audit.Actor:
    """The request's actor, as the person part-way through signing in."""
    return audit.Actor(
        user=user,
        request_id=actor.request_id,
        client_address=actor.client_address,
        path=actor.path,
    )


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
    record = sessions.sign_out(session, actor=actor, token=token) if token else None
    # Signed in through the identity provider: sign out there too, which comes back to
    # /signed-out. Homeward's own session has ended whether or not the provider answers.
    at_provider = (
        sso.sign_out_url(settings, id_token=record.id_token)
        if record is not None and record.method == Method.IDENTITY_PROVIDER.value
        else None
    )
    response = RedirectResponse(at_provider or "/signed-out", status_code=303)
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
    _: Annotated[User, requires(Permission.SIGNED_IN, before_password_change=True)],
) -> Response:
    """Keep an idle session alive (the timeout warning's "Stay signed in")."""
    record = request.state.session_record
    sessions.keep_alive(session, record=record)
    seconds = sessions.seconds_until_idle_timeout(record, sessions.policy_from(settings))
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"seconds_left": seconds})
    return RedirectResponse(HOME, status_code=303)


def _password_page(request: Request, form: FormState, user: User) -> Response:
    settings: Settings = request.app.state.settings
    return render(
        request,
        "views/account/password.html",
        {
            "form": form,
            "errors": form.error_list(),
            "forced": user.must_change_password,
            # People who sign in through the identity provider have no Homeward password.
            "has_password": settings.password_sign_in and bool(user.password_hash),
        },
    )


@router.get("/account/password")
def password_page(
    request: Request,
    user: Annotated[User, requires(Permission.SIGNED_IN, before_password_change=True)],
) -> Response:
    """The change-password page (the only page open to a user with a temporary password)."""
    return _password_page(request, FormState(), user)


@router.post("/account/password")
def change_password(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    user: Annotated[User, requires(Permission.SIGNED_IN, before_password_change=True)],
) -> Response:
    """Change one's own password; other sessions of this user are signed out."""
    parsed, form = validate_form(ChangePasswordForm, form_data)
    form.values.clear()  # passwords are never sent back to the browser
    if not (settings.password_sign_in and user.password_hash):
        return _password_page(request, form, user)
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
                policy=sessions.policy_from(settings),
            )
        except InvalidInput as problem:
            form.add(problem.errors)
        else:
            return RedirectResponse(
                with_notice(landing_page(user), "password-changed"), status_code=303
            )
    return _password_page(request, form, user)
