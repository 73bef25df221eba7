"""The signed-in person's own account: how they sign in, and two-factor sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from app.config import Settings
from app.db import writes_on_get
from app.deps import ActorDep, FormValues, SessionDep, SettingsDep, requires
from app.forms import FormState, validate_form
from app.forms.auth import CodeForm
from app.models.accounts import User
from app.security.permissions import Permission
from app.services import sessions, two_factor
from app.services.errors import InvalidInput
from app.services.sessions import Method
from app.templating import render

router = APIRouter(prefix="/account", include_in_schema=False)
signed_in = requires(Permission.SIGNED_IN)


def _uses_password(request: Request, user: User, settings: Settings) -> bool:
    """Two-factor sign-in is for Homeward passwords; the identity provider has its own."""
    record = request.state.session_record
    return (
        settings.password_sign_in
        and bool(user.password_hash)
        and record.method != Method.IDENTITY_PROVIDER.value
    )


def _account_page(
    request: Request, session: SessionDep, user: User, settings: Settings, **extra: object
) -> Response:
    form = extra.pop("form", FormState())
    assert isinstance(form, FormState)
    return render(
        request,
        "views/account/index.html",
        {
            "form": form,
            "errors": form.error_list(),
            "uses_password": _uses_password(request, user, settings),
            "method": request.state.session_record.method,
            "required": sessions.needs_two_factor(user, sessions.policy_from(settings)),
            "recovery_codes_left": (
                two_factor.unused_recovery_codes(session, user=user) if user.has_two_factor else 0
            ),
            **extra,
        },
    )


@router.get("")
def account(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, signed_in],
    done: str = "",
) -> Response:
    """How the person signs in: password, two-factor sign-in, recovery codes."""
    return _account_page(request, session, user, settings, done=done[:20])


@router.get("/two-factor")
@writes_on_get
def set_up_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, signed_in],
) -> Response:
    """Set up (or move to a new phone) an authenticator app."""
    if not _uses_password(request, user, settings):
        return RedirectResponse("/account", status_code=303)
    set_up = two_factor.begin_set_up(session, user=user, secret_key=settings.secret_key)
    return _set_up_page(request, set_up, FormState())


def _set_up_page(request: Request, set_up: two_factor.SetUp, form: FormState) -> Response:
    return render(
        request,
        "views/account/two-factor.html",
        {"form": form, "errors": form.error_list(), "set_up": set_up},
    )


@router.post("/two-factor")
def confirm_set_up(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    user: Annotated[User, signed_in],
) -> Response:
    """Switch two-factor sign-in on once the app's code is right; show recovery codes once."""
    if not _uses_password(request, user, settings):
        return RedirectResponse("/account", status_code=303)
    parsed, form = validate_form(CodeForm, form_data)
    form.values.clear()
    try:
        if parsed is None:
            raise InvalidInput(form.errors)
        codes = two_factor.confirm_set_up(
            session, actor=actor, user=user, code=parsed.code, secret_key=settings.secret_key
        )
    except InvalidInput as problem:
        set_up = two_factor.begin_set_up(session, user=user, secret_key=settings.secret_key)
        return _set_up_page(request, set_up, form.add(problem.errors))
    return render(
        request,
        "views/account/recovery-codes.html",
        {"codes": codes, "continue_to": "/account", "switched_on": True},
    )


def _checked_code(
    form_data: dict[str, object],
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: Settings,
    user: User,
) -> FormState | None:
    """Check a current code before a change to two-factor sign-in itself (someone at an
    unlocked screen must not turn it off); the form with errors when it is wrong."""
    parsed, form = validate_form(CodeForm, form_data)
    form.values.clear()
    if parsed is None:
        return form
    try:
        two_factor.verify_sign_in_code(
            session, actor=actor, user=user, code=parsed.code, policy=sessions.policy_from(settings)
        )
    except InvalidInput as problem:
        return form.add(problem.errors)
    return None


@router.post("/two-factor/recovery-codes")
def new_recovery_codes(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    user: Annotated[User, signed_in],
) -> Response:
    """Replace the recovery codes (the old ones stop working); show the new ones once."""
    if not (user.has_two_factor and _uses_password(request, user, settings)):
        return RedirectResponse("/account", status_code=303)
    problem = _checked_code(form_data, request, session, actor, settings, user)
    if problem is not None:
        return _account_page(request, session, user, settings, form=problem)
    codes = two_factor.new_recovery_codes(session, actor=actor, user=user)
    return render(
        request, "views/account/recovery-codes.html", {"codes": codes, "continue_to": "/account"}
    )


@router.post("/two-factor/off")
def switch_off(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    user: Annotated[User, signed_in],
) -> Response:
    """Switch two-factor sign-in off, where the person's role does not require it."""
    if not user.has_two_factor or sessions.needs_two_factor(user, sessions.policy_from(settings)):
        return RedirectResponse("/account", status_code=303)
    problem = _checked_code(form_data, request, session, actor, settings, user)
    if problem is not None:
        return _account_page(request, session, user, settings, form=problem)
    two_factor.switch_off(session, actor=actor, user=user, keep_session_id=request.state.session_id)
    return RedirectResponse("/account?done=off", status_code=303)
