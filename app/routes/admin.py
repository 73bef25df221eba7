"""Administration: users, teams, role changes and the audit trail."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from app.config import Settings
from app.deps import ActorDep, FormValues, SessionDep, SettingsDep, requires
from app.forms import FormState, validate_form
from app.forms.admin import (
    RoleChangesForm,
    TeamForm,
    TeamRenameForm,
    UserForm,
    audit_filters,
)
from app.models.accounts import ROLE_LABELS, Role, Team, User
from app.models.audit import AuditAction
from app.security.permissions import Permission
from app.services import accounts, audit, role_changes, two_factor
from app.services.errors import Conflict, InvalidInput, NotFound
from app.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
manage_users = requires(Permission.USERS_MANAGE)
ROLE_OPTIONS = [(role.value, ROLE_LABELS[role]) for role in Role]
ROLES_FROM_PROVIDER = (
    "Roles and teams come from the identity provider's groups: leave them empty here and "
    "change the person's groups there"
)


def _temporary_password_lifetime(settings: Settings) -> timedelta | None:
    """How long a temporary password works; None when administrators give out none (people
    sign in through the identity provider)."""
    if settings.sso_enabled:
        return None
    return timedelta(hours=settings.temporary_password_hours)


def _user_form_page(
    request: Request,
    session: SessionDep,
    form: FormState,
    *,
    user: User | None,
    conflict: bool = False,
    done: str = "",
) -> Response:
    teams = [(team.id, team.name) for team in accounts.list_teams(session)]
    chosen = accounts.report_team_ids(session, user.id) if user else frozenset()
    return render(
        request,
        "views/admin/user-form.html",
        {
            "form": form,
            "errors": form.error_list(),
            "user": user,
            "conflict": conflict,
            "done": done,
            "team_options": teams,
            "report_teams": [name for team_id, name in teams if team_id in chosen],
            "role_options": ROLE_OPTIONS,
            "is_self": user is not None and user.id == request.state.user.id,
        },
    )


def _details(form: UserForm) -> accounts.UserDetails:
    return accounts.UserDetails(
        name=form.name,
        email=form.email,
        team_id=form.team_id,
        roles=frozenset(form.roles),
        active=form.active,
        report_team_ids=frozenset(form.report_team_ids),
    )


@router.get("/users")
def users(
    request: Request,
    session: SessionDep,
    _: Annotated[User, manage_users],
    search: str = "",
    team: str = "",
    role: str = "",
    status: str = "",
) -> Response:
    """Every user, filtered by name or email, team, role and status."""
    filters = accounts.UserListFilter(
        search=search[:100],
        team_id=_uuid_or_none(team),
        role=Role(role) if role in Role.__members__.values() else None,
        active={"active": True, "inactive": False}.get(status),
    )
    return render(
        request,
        "views/admin/users.html",
        {
            "users": accounts.list_users(session, filters=filters),
            "filters": {"search": search, "team": team, "role": role, "status": status},
            "team_options": [(t.id, t.name) for t in accounts.list_teams(session)],
            "role_options": ROLE_OPTIONS,
        },
    )


@router.get("/users/new")
def new_user_page(
    request: Request, session: SessionDep, _: Annotated[User, manage_users]
) -> Response:
    """The form to add a user."""
    return _user_form_page(request, session, FormState(values={"active": "yes"}), user=None)


@router.post("/users/new")
def create_user(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
    _: Annotated[User, manage_users],
) -> Response:
    """Add a user with a temporary password, shown once (none when people sign in through
    the identity provider)."""
    values = form_data
    values.setdefault("roles", [])
    values.setdefault("report_team_ids", [])
    parsed, form = validate_form(UserForm, values)
    if parsed is not None and settings.roles_from_provider and (parsed.roles or parsed.team_id):
        form.add({"roles": ROLES_FROM_PROVIDER})
        parsed = None
    if parsed is not None:
        try:
            user, temporary = accounts.create_user(
                session,
                actor=actor,
                details=_details(parsed),
                temporary_password_lifetime=_temporary_password_lifetime(settings),
            )
        except InvalidInput as problem:
            form.add(problem.errors)
        else:
            return render(
                request,
                "views/admin/temporary-password.html",
                {"user": user, "temporary_password": temporary, "created": True},
            )
    return _user_form_page(request, session, form, user=None)


@router.get("/users/{user_id}")
def edit_user_page(
    request: Request, session: SessionDep, user_id: uuid.UUID, _: Annotated[User, manage_users]
) -> Response:
    """The form to change a user."""
    user = accounts.get_user(session, user_id)
    done = request.query_params.get("done", "")[:20]
    values = {
        "name": user.name,
        "email": user.email,
        "team_id": str(user.team_id or ""),
        "roles": sorted(role.value for role in user.roles),
        "active": "yes" if user.active else "no",
        "report_team_ids": sorted(
            str(team_id) for team_id in accounts.report_team_ids(session, user.id)
        ),
        "version": user.version,
    }
    return _user_form_page(request, session, FormState(values=values), user=user, done=done)


@router.post("/users/{user_id}")
def update_user(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    user_id: uuid.UUID,
    settings: SettingsDep,
    _: Annotated[User, manage_users],
) -> Response:
    """Save changes to a user; deactivating ends their sessions."""
    user = accounts.get_user(session, user_id)
    values = form_data
    values.setdefault("roles", [])
    values.setdefault("report_team_ids", [])
    parsed, form = validate_form(UserForm, values)
    if parsed is not None:
        try:
            accounts.update_user(
                session,
                actor=actor,
                user_id=user_id,
                details=_details(parsed),
                expected_version=parsed.version,
                roles_locked=settings.roles_from_provider,
            )
        except InvalidInput as problem:
            form.add(problem.errors)
        except Conflict as conflict:
            session.refresh(user)
            form.errors["name"] = (
                f"{conflict} Check the details saved now, shown above the form, then save "
                "again to keep your changes"
            )
            form.values["version"] = user.version
            return _user_form_page(request, session, form, user=user, conflict=True)
        else:
            return RedirectResponse(f"/admin/users?updated={user_id}", status_code=303)
    return _user_form_page(request, session, form, user=user)


@router.post("/users/{user_id}/reset-password")
def reset_password(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    user_id: uuid.UUID,
    settings: SettingsDep,
    _: Annotated[User, manage_users],
) -> Response:
    """Give the user a new temporary password and sign them out everywhere."""
    lifetime = _temporary_password_lifetime(settings)
    if lifetime is None:
        raise NotFound("People sign in through the identity provider: there are no passwords.")
    temporary = accounts.reset_password(session, actor=actor, user_id=user_id, lifetime=lifetime)
    return render(
        request,
        "views/admin/temporary-password.html",
        {"user": accounts.get_user(session, user_id), "temporary_password": temporary},
    )


@router.post("/users/{user_id}/reset-two-factor")
def reset_two_factor(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    user_id: uuid.UUID,
    _: Annotated[User, manage_users],
) -> Response:
    """Switch off someone's two-factor sign-in (a lost phone) and sign them out everywhere;
    where their role requires it, they set up a new app when they next sign in."""
    user = accounts.get_user(session, user_id)
    if user.id == request.state.user.id:
        return _user_form_page(
            request,
            session,
            FormState(
                errors={"two_factor": "Ask another administrator to reset your two-factor sign-in"}
            ),
            user=user,
        )
    if user.has_two_factor:
        two_factor.switch_off(session, actor=actor, user=user, by_administrator=True)
    return RedirectResponse(f"/admin/users/{user_id}?done=two-factor", status_code=303)


def _teams_page(request: Request, session: SessionDep, form: FormState) -> Response:
    renamed = _uuid_or_none(request.query_params.get("renamed", "")[:40])
    teams = accounts.list_teams(session)
    return render(
        request,
        "views/admin/teams.html",
        {
            "teams": teams,
            "renamed": next((team for team in teams if team.id == renamed), None),
            "form": form,
            "errors": form.error_list(),
        },
    )


@router.get("/teams")
def teams(request: Request, session: SessionDep, _: Annotated[User, manage_users]) -> Response:
    """The teams, and a form to add one."""
    return _teams_page(request, session, FormState())


@router.post("/teams")
def create_team(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    _: Annotated[User, manage_users],
) -> Response:
    """Add a team."""
    parsed, form = validate_form(TeamForm, form_data)
    if parsed is not None:
        try:
            accounts.create_team(session, actor=actor, name=parsed.name)
        except InvalidInput as problem:
            form.add(problem.errors)
        else:
            return RedirectResponse("/admin/teams", status_code=303)
    return _teams_page(request, session, form)


def _rename_page(
    request: Request, team: Team, form: FormState, *, conflict: bool = False
) -> Response:
    return render(
        request,
        "views/admin/team-form.html",
        {"team": team, "form": form, "errors": form.error_list(), "conflict": conflict},
    )


@router.get("/teams/{team_id}")
def rename_team_page(
    request: Request, session: SessionDep, team_id: uuid.UUID, _: Annotated[User, manage_users]
) -> Response:
    """The form to rename a team."""
    team = accounts.get_team(session, team_id)
    return _rename_page(
        request, team, FormState(values={"name": team.name, "version": team.version})
    )


@router.post("/teams/{team_id}")
def rename_team(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    team_id: uuid.UUID,
    _: Annotated[User, manage_users],
) -> Response:
    """Rename a team; its people and families stay in it."""
    team = accounts.get_team(session, team_id)
    parsed, form = validate_form(TeamRenameForm, form_data)
    if parsed is not None:
        try:
            accounts.rename_team(
                session,
                actor=actor,
                team=team,
                name=parsed.name,
                expected_version=parsed.version,
            )
        except InvalidInput as problem:
            form.add(problem.errors)
        except Conflict as conflict:
            session.refresh(team)
            form.errors["name"] = (
                f"{conflict} The team is now called ‘{team.name}’: save again to use your name "
                "instead"
            )
            form.values["version"] = team.version
            return _rename_page(request, team, form, conflict=True)
        else:
            return RedirectResponse(f"/admin/teams?renamed={team.id}", status_code=303)
    return _rename_page(request, team, form)


@router.get("/audit")
def audit_trail(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    viewer: Annotated[User, requires(Permission.AUDIT_READ)],
) -> Response:
    """The audit trail, newest first, filtered by person, action, family, record and date.
    Reading it is itself audited; what changed in a family's record is shown only to people
    who may see that family."""
    parsed, form = audit_filters(request.query_params)
    page = None
    if parsed is not None:
        family = audit.find_family(session, parsed.form.family) if parsed.form.family else None
        if parsed.form.family and family is None:
            # First in the summary, as on the page: before the dates' problems.
            form.errors = {
                "family": f"There is no family with the reference ‘{parsed.form.family}’: "
                "check it on the family's page",
                **form.errors,
            }
        if not form.errors:
            criteria = audit.AuditFilter(
                user_id=parsed.form.user_id,
                action=parsed.form.action,
                family_id=family.id if family else None,
                entity_type=parsed.form.entity_type,
                on_or_after=parsed.date_from,
                on_or_before=parsed.date_to,
            )
            page = audit.search(
                session, filters=criteria, viewer=viewer, page=max(1, parsed.form.page)
            )
            audit.record_reading(session, actor, criteria, page=page.page)
    return render(
        request,
        "views/admin/audit.html",
        {
            "page": page,
            "form": form,
            "errors": form.error_list(),
            "user_options": [
                (u.id, u.name)
                for u in accounts.list_users(session, filters=accounts.UserListFilter())
            ],
            "action_options": [
                (a.value, a.value.replace("_", " ").capitalize()) for a in AuditAction
            ],
            "query": {k: v for k, v in request.query_params.items() if k != "page"},
        },
    )


def _uuid_or_none(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


@router.get("/role-changes")
def role_changes_page(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    _: Annotated[User, requires(Permission.AUDIT_READ)],
) -> Response:
    """Recent changes to people's roles and teams, with who made them; those that open
    families' records to someone (a casework role) or make them an administrator are
    marked."""
    parsed, form = validate_form(RoleChangesForm, dict(request.query_params))
    filters = parsed or RoleChangesForm()
    page = role_changes.recent(session, only=filters.show, page=max(1, filters.page))
    audit.record_reading(
        session, actor, audit.AuditFilter(action=AuditAction.ROLE_CHANGE), page=page.page
    )
    return render(
        request,
        "views/admin/role-changes.html",
        {
            "page": page,
            "form": form,
            "role_labels": {role.value: role.label for role in Role},
            "query": {k: v for k, v in request.query_params.items() if k != "page"},
        },
    )
