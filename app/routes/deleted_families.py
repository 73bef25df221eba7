"""Deleted families for supervisors: find them, export them, restore them, while the retention
schedule keeps them (app.services.deleted_families)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import func
from sqlmodel import Session, col, select

from app.config import Settings
from app.deps import ActorDep, FormValues, SessionDep, SettingsDep, requires
from app.forms import FormState
from app.forms.family import ParsedForm
from app.models.accounts import User
from app.models.base import utcnow
from app.models.chronology import ChronologyEntry
from app.models.family import Adult, Child
from app.routes.family_pages import FamilyPage, RestorePage
from app.security.permissions import FamilyAction, Permission
from app.services import deleted_families
from app.services.errors import Conflict, InvalidInput
from app.services.retention import RetentionSchedule
from app.templating import render

router = APIRouter(prefix="/families", include_in_schema=False)


@router.get("/deleted")
def deleted_list(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    user: Annotated[User, requires(Permission.FAMILY_SUPERVISE)],
    search: str = "",
    page: int = 1,
) -> Response:
    """The team's deleted families, while the retention schedule keeps them (supervisors)."""
    schedule = RetentionSchedule.from_settings(settings)
    results = deleted_families.list_deleted(
        session, user=user, schedule=schedule, now=utcnow(), search=search[:100], page=page
    )
    return render(
        request,
        "views/families/deleted-families.html",
        {"results": results, "search": search[:100], "schedule": schedule},
        htmx_block="results",
    )


@router.get("/{family_id}/restore")
def restore_page(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    page: RestorePage,
) -> Response:
    """A deleted family: what it holds, its export, and restoring it (supervisors)."""
    return _page(request, session, settings, page, FormState())


@router.post("/{family_id}/restore")
def restore(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    actor: ActorDep,
    page: RestorePage,
) -> Response:
    """Restore a deleted family to everyday pages, with the reason (supervisors)."""
    family = page.family
    form = ParsedForm(form_data)
    try:
        deleted_families.restore(
            session,
            actor=actor,
            family=family,
            reason=form.text("reason"),
            expected_version=form.whole_number("version", "Version") or 0,
            schedule=RetentionSchedule.from_settings(settings),
            now=utcnow(),
        )
    except InvalidInput as problem:
        state = FormState(values=dict(form.values), errors=problem.errors)
        return _page(request, session, settings, page, state)
    except Conflict as conflict:
        state = FormState(values=dict(form.values), errors={"reason": str(conflict)})
        return _page(request, session, settings, page, state)
    return RedirectResponse(f"/families/{family.id}", status_code=303)


def _page(
    request: Request,
    session: Session,
    settings: Settings,
    page: FamilyPage,
    form: FormState,
) -> Response:
    family = page.family
    if family.deleted_at is None:  # never deleted, or restored by someone else meanwhile
        return RedirectResponse(f"/families/{family.id}", status_code=303)
    schedule = RetentionSchedule.from_settings(settings)
    counts = {
        label: session.exec(
            select(func.count()).select_from(model).where(col(model.family_id) == family.id)
        ).one()
        for label, model in (
            ("Children", Child),
            ("Parents and carers", Adult),
            ("Chronology entries", ChronologyEntry),
        )
    }
    return render(
        request,
        "views/families/restore.html",
        {
            "family": family,
            "deleted": deleted_families.describe(session, family, schedule=schedule, now=utcnow()),
            "counts": counts,
            "deleted_days": schedule.deleted_family_days,
            "can_export": FamilyAction.EXPORT in page.may,
            "form": form,
            "errors": form.error_list(),
        },
    )
