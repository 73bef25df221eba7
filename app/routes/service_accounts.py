"""Administration of service accounts: other council systems that use the JSON API, each with
a role and a team, and the tokens they sign in with (shown once, revocable)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from app.deps import ActorDep, FormValues, SessionDep, requires
from app.forms import FormState
from app.forms.family import ParsedForm
from app.models.accounts import User
from app.security.permissions import Permission
from app.services import accounts, api_tokens
from app.services.errors import Conflict, InvalidInput
from app.templating import render

router = APIRouter(prefix="/admin/service-accounts", include_in_schema=False)
manage_users = requires(Permission.USERS_MANAGE)
ROLE_OPTIONS = [
    (
        role.value,
        role.label,
        {
            "practitioner": "Adds and changes the records of families allocated to it",
            "supervisor": "Reads its team's families, signs off and records decisions",
            "trainer": "Reads the framework content only",
        }[role.value],
    )
    for role in api_tokens.SERVICE_ROLES
]
LIFETIME_OPTIONS = [
    ("30", "30 days"),
    ("90", "90 days"),
    ("365", "1 year"),
    ("never", "Does not expire", "Only for a system that cannot be given new tokens: revoke it"),
]


def _base(account: User) -> str:
    return f"/admin/service-accounts/{account.id}"


def _details(form: ParsedForm) -> api_tokens.AccountDetails:
    return api_tokens.AccountDetails(
        name=form.text("name"),
        role=form.text("role"),
        team_id=form.uuid("team_id"),
        active=form.text("active") != "no",
    )


def _values(account: User) -> dict[str, object]:
    return {
        "name": account.name,
        "role": next(iter(sorted(role.value for role in account.roles)), ""),
        "team_id": str(account.team_id or ""),
        "active": "yes" if account.active else "no",
        "version": account.version,
    }


def _account_page(
    request: Request,
    session: SessionDep,
    account: User | None,
    form: FormState,
    token_form: FormState | None = None,
    *,
    conflict: bool = False,
) -> Response:
    token_form = token_form or FormState(values={"lifetime": "90"})
    tokens = api_tokens.tokens_of(session, account) if account else []
    return render(
        request,
        "views/admin/service-account.html",
        {
            "account": account,
            "form": form,
            "token_form": token_form,
            "errors": form.error_list() + token_form.error_list(),
            "conflict": conflict,
            "tokens": [(token, api_tokens.state_of(token)) for token in tokens],
            "team_options": [(team.id, team.name) for team in accounts.list_teams(session)],
            "role_options": ROLE_OPTIONS,
            "lifetime_options": LIFETIME_OPTIONS,
            "revoked": request.query_params.get("revoked") == "1",
        },
    )


@router.get("")
def service_accounts(
    request: Request, session: SessionDep, _: Annotated[User, manage_users]
) -> Response:
    """Every service account, with its role, team and tokens in use."""
    listed = api_tokens.list_accounts(session)
    return render(
        request,
        "views/admin/service-accounts.html",
        {
            "accounts": [
                (
                    account,
                    sum(
                        1
                        for token in api_tokens.tokens_of(session, account)
                        if api_tokens.state_of(token) is api_tokens.TokenState.ACTIVE
                    ),
                )
                for account in listed
            ]
        },
    )


@router.get("/new")
def new_account_page(
    request: Request, session: SessionDep, _: Annotated[User, manage_users]
) -> Response:
    """The form to add a service account."""
    return _account_page(request, session, None, FormState(values={"active": "yes"}))


@router.post("/new")
def create_account(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    _: Annotated[User, manage_users],
) -> Response:
    """Add a service account (it has no token until one is made for it)."""
    form = ParsedForm(form_data)
    try:
        account = api_tokens.create_account(session, actor=actor, details=_details(form))
    except InvalidInput as problem:
        state = FormState(values=dict(form.values), errors=problem.errors)
        return _account_page(request, session, None, state)
    return RedirectResponse(_base(account), status_code=303)


@router.get("/{account_id}")
def account_page(
    request: Request, session: SessionDep, account_id: uuid.UUID, _: Annotated[User, manage_users]
) -> Response:
    """A service account: its details, its tokens, and the form to make a new token."""
    account = api_tokens.get_account(session, account_id)
    return _account_page(request, session, account, FormState(values=_values(account)))


@router.post("/{account_id}")
def update_account(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    account_id: uuid.UUID,
    _: Annotated[User, manage_users],
) -> Response:
    """Change the account's name, role, team, or whether its tokens work at all."""
    account = api_tokens.get_account(session, account_id)
    form = ParsedForm(form_data)
    try:
        api_tokens.update_account(
            session,
            actor=actor,
            account=account,
            details=_details(form),
            expected_version=form.whole_number("version", "Version") or 0,
        )
    except InvalidInput as problem:
        state = FormState(values=dict(form.values), errors=problem.errors)
        return _account_page(request, session, account, state)
    except Conflict as conflict:
        session.refresh(account)
        state = FormState(
            values={**form.values, "version": account.version},
            errors={"name": f"{conflict} Check what is saved now, then save again"},
        )
        return _account_page(request, session, account, state, conflict=True)
    return RedirectResponse(_base(account), status_code=303)


@router.post("/{account_id}/tokens")
def issue_token(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    account_id: uuid.UUID,
    _: Annotated[User, manage_users],
) -> Response:
    """Make a token and show it, once."""
    account = api_tokens.get_account(session, account_id)
    form = ParsedForm(form_data)
    try:
        token, secret = api_tokens.issue_token(
            session,
            actor=actor,
            account=account,
            name=form.text("token_name"),
            lifetime=form.text("lifetime"),
        )
    except InvalidInput as problem:
        state = FormState(values=dict(form.values), errors=problem.errors)
        return _account_page(request, session, account, FormState(values=_values(account)), state)
    response = render(
        request,
        "views/admin/token-created.html",
        {"account": account, "token": token, "secret": secret},
    )
    # The token is on this page only: no copy may be kept by the browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/{account_id}/tokens/{token_id}/revoke")
def revoke_token(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    account_id: uuid.UUID,
    token_id: uuid.UUID,
    _: Annotated[User, manage_users],
) -> Response:
    """Stop a token working at once."""
    account = api_tokens.get_account(session, account_id)
    token = api_tokens.get_token(session, account, token_id)
    api_tokens.revoke_token(session, actor=actor, account=account, token=token)
    return RedirectResponse(f"{_base(account)}?revoked=1", status_code=303)
