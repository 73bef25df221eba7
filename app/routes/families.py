"""Family pages."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Request, Response

from app.deps import ActorDep, SessionDep, requires
from app.models.accounts import User
from app.security.permissions import FamilyAction, Permission
from app.services import audit
from app.services.access import open_family
from app.templating import render

router = APIRouter(prefix="/families", include_in_schema=False)


@router.get("/{family_id}/access-log")
def access_log(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    family_id: uuid.UUID,
    _: Annotated[User, requires(Permission.FAMILY_SUPERVISE)],
    page: int = 1,
) -> Response:
    """Who has accessed this family's record, and what they did (supervisors)."""
    family = open_family(session, actor=actor, family_id=family_id, action=FamilyAction.SUPERVISE)
    events = audit.search(
        session, filters=audit.AuditFilter(family_id=family.id), page=max(1, page)
    )
    return render(request, "views/families/access-log.html", {"family": family, "page": events})
