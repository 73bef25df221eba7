"""What every family page shares: the family opened once for the page's action through the one
access rule, with its content and what the signed-in person may do there; the address of each
section's page; the family's own navigation; the delete page and the comparison shown when
someone else saved first."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from fastapi.responses import RedirectResponse

from app.content.model import FrameworkContent
from app.content.schema import Section
from app.deps import ActorDep, ContentDep, SessionDep, requires
from app.forms import FormState
from app.forms.family import ParsedForm
from app.models.accounts import User
from app.models.family import Family
from app.security.permissions import FamilyAction, Permission, family_permits, has_permission
from app.services.access import open_family
from app.services.errors import Conflict, InvalidInput
from app.services.families import content_for
from app.templating import render

# The permission a route declares for the family action it performs.
PERMISSION_FOR = {
    FamilyAction.VIEW: Permission.FAMILY_VIEW,
    FamilyAction.EDIT: Permission.FAMILY_EDIT,
    FamilyAction.SUPERVISE: Permission.FAMILY_SUPERVISE,
    FamilyAction.EXPORT: Permission.FAMILY_EXPORT,
    FamilyAction.FOLLOW_UP: Permission.FAMILY_VIEW,
}


@dataclass(frozen=True)
class FamilyPage:
    """A family opened for one page: the record, its pinned content, the person, and every
    action the one permission rule lets them take on it."""

    family: Family
    content: FrameworkContent
    user: User
    may: frozenset[FamilyAction]

    @property
    def can_edit(self) -> bool:
        return FamilyAction.EDIT in self.may

    @property
    def can_supervise(self) -> bool:
        return FamilyAction.SUPERVISE in self.may

    @property
    def can_review(self) -> bool:
        """Supervise, and not the family's own practitioner: nobody reviews their own work."""
        return self.can_supervise and self.family.allocated_practitioner_id != self.user.id

    @property
    def can_follow_up(self) -> bool:
        return FamilyAction.FOLLOW_UP in self.may

    @property
    def context(self) -> dict[str, Any]:
        """What every family page template is given."""
        return {"family": self.family, "content": self.content, "page": self}


def _opener(action: FamilyAction, *, include_deleted: bool = False) -> Any:
    # The requirement is a default value, not inside the annotation: annotations here are
    # strings resolved from the module's globals, which cannot see this closure's variables.
    requirement = requires(PERMISSION_FOR[action])

    def open_page(
        session: SessionDep,
        actor: ActorDep,
        registry: ContentDep,
        family_id: uuid.UUID,
        user: User = requirement,
    ) -> FamilyPage:
        family = open_family(
            session,
            actor=actor,
            family_id=family_id,
            action=action,
            include_deleted=include_deleted,
        )
        return FamilyPage(
            family=family,
            content=content_for(registry, family),
            user=user,
            may=frozenset(item for item in FamilyAction if family_permits(user, family, item)),
        )

    open_page.__doc__ = f"The family in the path, opened to {action.value}."
    return Depends(open_page)


ViewPage = Annotated[FamilyPage, _opener(FamilyAction.VIEW)]
EditPage = Annotated[FamilyPage, _opener(FamilyAction.EDIT)]
SupervisePage = Annotated[FamilyPage, _opener(FamilyAction.SUPERVISE)]
ExportPage = Annotated[FamilyPage, _opener(FamilyAction.EXPORT)]
FollowUpPage = Annotated[FamilyPage, _opener(FamilyAction.FOLLOW_UP)]
# A deleted family is still exported and restored while the retention schedule keeps it: a
# subject access request about it must be answered, and a deletion by mistake undone.
RecordExportPage = Annotated[FamilyPage, _opener(FamilyAction.EXPORT, include_deleted=True)]
RestorePage = Annotated[FamilyPage, _opener(FamilyAction.SUPERVISE, include_deleted=True)]


# --- where each kind of section is worked on ----------------------------------------------------


def section_url(family: Family, section: Section, cycle: int = 0) -> str:
    """The page of a section of the family's content (in a review cycle, for the sections
    answered at each review)."""
    base = f"/families/{family.id}"
    review = f"?review={cycle}" if cycle else ""
    kind = section.kind
    if kind in ("questions", "factors"):
        return f"{base}/sections/{section.id}{review}"
    if kind == "classification":
        return f"{base}/classification/{section.id}{review}"
    if kind == "gate":
        return f"{base}/decisions/{section.id}{review}"
    pages = {
        "chronology": "/chronology",
        "returns": "/going-home",
        "monitoring": "/visits",
        "outcomes": "/outcomes",
    }
    return base + pages[kind]


# --- the family's own navigation --------------------------------------------------------------

# After Overview and Family details: (label, path after /families/<id>, permission needed).
FAMILY_LINKS: list[tuple[str, str, Permission]] = [
    ("Chronology", "/chronology", Permission.FAMILY_VIEW),
    ("Reviews", "/reviews", Permission.FAMILY_VIEW),
    ("Agreement and support", "/agreement", Permission.FAMILY_VIEW),
    ("Summary", "/summary", Permission.FAMILY_VIEW),
    ("Who has accessed this record", "/access-log", Permission.FAMILY_SUPERVISE),
    ("Framework version", "/version", Permission.FAMILY_VIEW),
]


def family_links(family: Family, user: User | None) -> list[tuple[str, str]]:
    return [
        (f"/families/{family.id}{suffix}", label)
        for label, suffix, permission in FAMILY_LINKS
        if has_permission(user, permission)
    ]


# --- shared pages -----------------------------------------------------------------------------

STALE_DELETE = (
    "Someone else changed this record after you opened this page. Check it, then try again"
)


def delete_page(
    request: Request,
    family: Family,
    what: str,
    back: str,
    version: int,
    form: FormState | None = None,
) -> Response:
    """Confirm deleting a record of the family, with a reason."""
    form = form or FormState()
    return render(
        request,
        "views/families/delete.html",
        {
            "family": family,
            "what": what,
            "back": back,
            "version": version,
            "form": form,
            "errors": form.error_list(),
        },
    )


def confirm_delete(
    request: Request,
    form_data: Mapping[str, Any],
    family: Family,
    remove: Callable[[str, int], None],
    *,
    what: str,
    back: str,
    version: int,
) -> Response:
    """Carry out a delete confirmed on delete_page: `remove(reason, expected_version)`, then
    back to `back`; or the page again with the problem and the reason typed."""
    form = ParsedForm(form_data)
    try:
        remove(form.text("reason"), form.whole_number("version", "Version") or 0)
    except (InvalidInput, Conflict) as problem:
        errors = problem.errors if isinstance(problem, InvalidInput) else {"reason": STALE_DELETE}
        state = FormState(values=dict(form.values), errors=errors)
        return delete_page(request, family, what, back, version, state)
    return RedirectResponse(back, status_code=303)


def compare_versions(
    saved: Mapping[str, Any],
    mine: Mapping[str, Any],
    labels: Mapping[str, str],
    fields: Sequence[str],
) -> list[dict[str, str]]:
    """The fields where what is saved now differs from what the user typed."""
    rows = []
    for name in fields:
        keys = (
            [f"{name}-day", f"{name}-month", f"{name}-year"] if f"{name}-day" in saved else [name]
        )
        saved_text = "/".join(str(saved.get(key, "")) for key in keys)
        mine_text = "/".join(str(mine.get(key, "")) for key in keys)
        if saved_text != mine_text:
            rows.append({"label": labels.get(name, name), "saved": saved_text, "mine": mine_text})
    return rows
