"""Family pages: the caseload, starting work with a family, its overview (the task list),
and the records of its children, adults, network and professionals."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app.content.registry import ContentRegistry
from app.deps import ActorDep, ContentDep, FormValues, SessionDep, SettingsDep, requires
from app.forms import FormState
from app.forms.family import (
    FAMILY_FIELDS,
    ParsedForm,
    family_details,
    form_state,
)
from app.models.accounts import Role, User
from app.models.family import Family
from app.models.journey import FAMILY_STATUS_LABELS, FamilyStatus
from app.routes.family_pages import (
    STALE_DELETE,
    EditPage,
    SupervisePage,
    ViewPage,
    compare_versions,
    delete_page,
)
from app.security.permissions import Permission
from app.services import audit, families, people, progress
from app.services.errors import Conflict, InvalidInput
from app.summary.text import markdown_to_text
from app.templating import render
from app.timeutil import london_today

router = APIRouter(prefix="/families", include_in_schema=False)

# Caseload ------------------------------------------------------------------------------------


@router.get("")
def caseload(
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    settings: SettingsDep,
    user: Annotated[User, requires(Permission.FAMILY_VIEW)],
    scope: str = "",
    search: str = "",
    stage: str = "",
    flag: str = "",
    practitioner: str = "",
    sort: str = "review",
    page: int = 1,
) -> Response:
    """My families; a supervisor's team view; families awaiting sign-off."""
    is_supervisor = Role.SUPERVISOR in user.roles
    if scope not in {"mine", "team", "sign-off"}:
        scope = "team" if is_supervisor and Role.PRACTITIONER not in user.roles else "mine"
    if scope == "sign-off" and not is_supervisor:
        scope = "mine"
    query = families.CaseloadQuery(
        scope=scope,
        search=search[:100],
        stage=stage[:64],
        flag=flag if flag in {"overdue", "sign-off"} else "",
        practitioner_id=_uuid(practitioner),
        sort=sort if sort in families.CASELOAD_SORTS else "review",
        page=max(1, page),
    )
    # Stage titles of every framework offered, so families on any of them show their stage.
    stage_titles = {
        stage.id: stage.title
        for framework_id in reversed(registry.offered())
        for stage in registry.latest(framework_id).stages
    }
    results = families.caseload(session, user=user, query=query)
    return render(
        request,
        "views/families/caseload.html",
        {
            "results": results,
            "query": query,
            "is_supervisor": is_supervisor,
            "stage_titles": stage_titles,
            "practitioners": families.team_practitioners(session, user.team_id),
            "today": london_today(),
            "params": {key: value for key, value in request.query_params.items() if key != "page"},
        },
        htmx_block="results",
    )


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


# Starting work with a family -----------------------------------------------------------------


def _family_form(
    request: Request,
    session: Session,
    user: User,
    form: FormState,
    *,
    family: Family | None = None,
    conflict: list[dict[str, str]] | None = None,
    change: str = "",
    registry: ContentRegistry | None = None,
) -> Response:
    team_id = family.team_id if family else user.team_id
    offered = (
        [registry.latest(framework_id) for framework_id in registry.offered()] if registry else []
    )
    return render(
        request,
        "views/families/family-form.html",
        {
            "form": form,
            "errors": form.error_list(),
            "family": family,
            "conflict": conflict,
            "frameworks": [
                (
                    content.id,
                    content.framework.title,
                    markdown_to_text(content.framework.summary).split("\n")[0],
                )
                for content in offered
            ],
            # What an existing family's form changes: "details" (the allocated practitioner's
            # name and reference) or "allocation" (the supervisor's); a new family has all.
            "change": change,
            "practitioners": [
                (person.id, person.name) for person in families.team_practitioners(session, team_id)
            ],
        },
    )


@router.get("/new")
def new_family(
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    settings: SettingsDep,
    user: Annotated[User, requires(Permission.FAMILY_CREATE)],
) -> Response:
    """The form to start work with a family."""
    allocated = str(user.id) if Role.PRACTITIONER in user.roles else ""
    values = {"allocated_practitioner_id": allocated, "framework_id": settings.default_framework}
    return _family_form(request, session, user, FormState(values=values), registry=registry)


@router.post("/new")
def create_family(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    settings: SettingsDep,
    user: Annotated[User, requires(Permission.FAMILY_CREATE)],
) -> Response:
    """Start work with a family in the user's team."""
    form = ParsedForm(form_data)
    try:
        family = families.create_family(
            session,
            actor=actor,
            registry=registry,
            framework_id=form.text("framework_id") or settings.default_framework,
            details=family_details(form),
        )
    except InvalidInput as problem:
        state = form_state(
            form.values, form.errors, problem.errors, (*FAMILY_FIELDS, "framework_id")
        )
        return _family_form(request, session, user, state, registry=registry)
    return RedirectResponse(f"/families/{family.id}/details", status_code=303)


# Overview ------------------------------------------------------------------------------------


@router.get("/{family_id}")
def overview(request: Request, session: SessionDep, page: ViewPage) -> Response:
    """The family's journey through the framework, as a task list from its content version:
    where the plan stands, the review under way, and who has gone home."""
    family, content = page.family, page.content
    journey = progress.family_journey(session, family, content)
    child_rows = families.children(session, family)
    returns = families.earlier_returns(session, [child.id for child in child_rows])
    practitioner = (
        session.get(User, family.allocated_practitioner_id)
        if family.allocated_practitioner_id
        else None
    )
    return render(
        request,
        "views/families/overview.html",
        {
            **page.context,
            "practitioner": practitioner,
            "journey": journey,
            "status_label": FAMILY_STATUS_LABELS[FamilyStatus(family.status)],
            "children": child_rows,
            "returns_by_child": _by_child(returns),
            "home": progress.children_at_home(session, family.id),
            "overdue": progress.is_overdue(family.next_review_due),
            "can_edit": page.can_edit,
            "can_supervise": page.can_supervise,
            "can_follow_up": page.can_follow_up,
            "today": london_today(),
        },
    )


def _by_child(returns: Sequence[Any]) -> dict[uuid.UUID, list[Any]]:
    grouped: dict[uuid.UUID, list[Any]] = {}
    for item in returns:
        grouped.setdefault(item.child_id, []).append(item)
    return grouped


@router.get("/{family_id}/details")
def details(request: Request, session: SessionDep, page: ViewPage) -> Response:
    """Everyone in the family's record: children, parents and carers, network, professionals."""
    family, content = page.family, page.content
    child_rows = families.children(session, family)
    return render(
        request,
        "views/families/details.html",
        {
            **page.context,
            "children": child_rows,
            "returns_by_child": _by_child(
                families.earlier_returns(session, [child.id for child in child_rows])
            ),
            "episodes_by_child": _by_child(
                families.care_episodes(session, [child.id for child in child_rows])
            ),
            "adults": families.adults(session, family),
            "describe_roles": people.describe_roles,
            "planned_labels": families.PLANNED,
            "breakdown_causes": families.breakdown_causes(content),
            "network": families.contacts(session, family, "network"),
            "professionals": families.contacts(session, family, "professional"),
            "legal_statuses": families.vocabulary(content, "legal_statuses"),
            "entry_reasons": families.vocabulary(content, "entry_reasons"),
            "genders": families.GENDERS,
            "placements": families.PLACEMENT_TYPES,
            "relationships": families.RELATIONSHIPS,
            "today": london_today(),
        },
    )


# Changing the family itself ------------------------------------------------------------------


def _family_values(family: Family) -> dict[str, Any]:
    return {
        "reference": family.reference,
        "display_name": family.display_name,
        "allocated_practitioner_id": str(family.allocated_practitioner_id or ""),
        "version": family.version,
    }


@router.get("/{family_id}/edit")
def edit_family(request: Request, session: SessionDep, page: EditPage) -> Response:
    """The form to change the family's reference and name."""
    return _family_form(
        request,
        session,
        page.user,
        FormState(values=_family_values(page.family)),
        family=page.family,
        change=DETAILS,
    )


@router.post("/{family_id}/edit")
def update_family(
    form_data: FormValues, request: Request, session: SessionDep, actor: ActorDep, page: EditPage
) -> Response:
    """Save the family's reference and name."""
    return _save_family(form_data, request, session, actor, page.user, page.family, change=DETAILS)


@router.get("/{family_id}/allocate")
def allocate_page(request: Request, session: SessionDep, page: SupervisePage) -> Response:
    """The supervisor's form to allocate the family to a practitioner."""
    return _family_form(
        request,
        session,
        page.user,
        FormState(values=_family_values(page.family)),
        family=page.family,
        change=ALLOCATION,
    )


@router.post("/{family_id}/allocate")
def allocate(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: SupervisePage,
) -> Response:
    """Save the allocation."""
    return _save_family(
        form_data, request, session, actor, page.user, page.family, change=ALLOCATION
    )


def _save_family(
    form_data: dict[str, Any],
    request: Request,
    session: Session,
    actor: audit.Actor,
    user: User,
    family: Family,
    *,
    change: str,
) -> Response:
    form = ParsedForm(form_data)
    version = form.whole_number("version", "Version") or 0
    posted = family_details(form)
    # Each form changes only its own fields, as the permission table says: the allocated
    # practitioner the name and reference, a supervisor the allocation. Anything else posted
    # is ignored, not saved.
    details = (
        replace(posted, allocated_practitioner_id=family.allocated_practitioner_id)
        if change == DETAILS
        else replace(posted, reference=family.reference, display_name=family.display_name)
    )
    fields = ("reference", "display_name") if change == DETAILS else ("allocated_practitioner_id",)
    try:
        families.update_family(
            session,
            actor=actor,
            family=family,
            details=details,
            expected_version=version,
        )
    except InvalidInput as problem:
        state = form_state(form.values, form.errors, problem.errors, FAMILY_FIELDS)
        return _family_form(request, session, user, state, family=family, change=change)
    except Conflict:
        state = FormState(values={**form.values, "version": family.version})
        rows = compare_versions(_family_values(family), form.values, FAMILY_LABELS, fields)
        return _family_form(
            request, session, user, state, family=family, conflict=rows, change=change
        )
    return RedirectResponse(f"/families/{family.id}", status_code=303)


FAMILY_LABELS = {
    "reference": "Reference",
    "display_name": "Family name",
    "allocated_practitioner_id": "Allocated practitioner",
}
DETAILS = "details"
ALLOCATION = "allocation"


# Deleting ------------------------------------------------------------------------------------


def _delete_family_page(
    request: Request, family: Family, form: FormState | None = None
) -> Response:
    return delete_page(
        request,
        family,
        f"the record of the {family.display_name}",
        f"/families/{family.id}",
        family.version,
        form,
    )


@router.get("/{family_id}/delete")
def delete_family_page(request: Request, page: SupervisePage) -> Response:
    """Confirm deleting the family's record, with a reason."""
    return _delete_family_page(request, page.family)


@router.post("/{family_id}/delete")
def delete_family(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: SupervisePage,
) -> Response:
    """Delete (softly: supervisors can still see it) the family's record."""
    form = ParsedForm(form_data)
    try:
        families.delete_family(
            session,
            actor=actor,
            family=page.family,
            reason=form.text("reason"),
            expected_version=form.whole_number("version", "Version") or 0,
        )
    except (InvalidInput, Conflict) as problem:
        errors = problem.errors if isinstance(problem, InvalidInput) else {"reason": STALE_DELETE}
        return _delete_family_page(
            request, page.family, FormState(values=dict(form.values), errors=errors)
        )
    return RedirectResponse("/families?deleted=1", status_code=303)


@router.get("/{family_id}/deleted")
def deleted_records(request: Request, session: SessionDep, page: SupervisePage) -> Response:
    """Records deleted from this family, with who deleted them and why (supervisors)."""
    rows = families.deleted_records(session, page.family)
    deleters = {row.deleted_by_id for _, row in rows if row.deleted_by_id}
    names = {user.id: user.name for user in (session.get(User, i) for i in deleters) if user}
    return render(
        request,
        "views/families/deleted.html",
        {"family": page.family, "rows": rows, "names": names},
    )


@router.get("/{family_id}/access-log")
def access_log(
    request: Request, session: SessionDep, family_page: SupervisePage, page: int = 1
) -> Response:
    """Who has accessed this family's record, and what they did (supervisors)."""
    family = family_page.family
    events = audit.search(
        session,
        filters=audit.AuditFilter(family_id=family.id),
        viewer=family_page.user,
        page=max(1, page),
    )
    return render(request, "views/families/access-log.html", {"family": family, "page": events})
