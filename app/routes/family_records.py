"""Pages for the records inside a family: children and their earlier returns home, parents
and carers, the family network and professionals. Each is added, changed and (softly)
deleted by the practitioner the family is allocated to."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app.deps import ActorDep, FormValues, SessionDep
from app.forms import FormState
from app.forms.family import (
    ADULT_FIELDS,
    CHILD_FIELDS,
    CONTACT_FIELDS,
    EPISODE_FIELDS,
    RETURN_FIELDS,
    ParsedForm,
    adult_details,
    adult_fields,
    child_details,
    contact_details,
    date_parts,
    episode_details,
    form_state,
    return_details,
)
from app.models.family import Adult, CareEpisode, Child, EarlierReturn
from app.routes.family_pages import (
    EditPage,
    FamilyPage,
    compare_versions,
    confirm_delete,
    delete_page,
)
from app.services import audit, families, people
from app.services.errors import Conflict, InvalidInput, NotFound
from app.templating import render
from app.timeutil import format_date

router = APIRouter(prefix="/families", include_in_schema=False)


# Children, adults, contacts and earlier returns ---------------------------------------------


@dataclass(frozen=True)
class Editor:
    """How one kind of family record is edited through pages."""

    kind: str
    noun: str
    template: str
    fields: tuple[str, ...]
    labels: Mapping[str, str]
    values_of: Callable[[Any], dict[str, Any]]


def _child_values(child: Child) -> dict[str, Any]:
    return {
        "name": child.name,
        **date_parts("date_of_birth", child.date_of_birth),
        "gender": child.gender,
        "ethnicity": child.ethnicity or "",
        "legal_status": child.legal_status,
        "legal_status_detail": child.legal_status_detail or "",
        **date_parts("date_entered_care", child.date_entered_care),
        "entry_reason": child.entry_reason,
        "entry_reason_detail": child.entry_reason_detail or "",
        "placement_type": child.placement_type,
        "placement_moves": str(child.placement_moves),
        "version": child.version,
    }


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


CHILD = Editor(
    kind="child",
    noun="child",
    template="views/families/child-form.html",
    fields=CHILD_FIELDS,
    labels={
        "name": "Full name",
        "date_of_birth": "Date of birth",
        "gender": "Gender",
        "ethnicity": "Ethnicity",
        "legal_status": "Legal status",
        "legal_status_detail": "Legal status (details)",
        "date_entered_care": "Date came into care",
        "entry_reason": "Main reason for coming into care",
        "entry_reason_detail": "More about why",
        "placement_type": "Where the child lives now",
        "placement_moves": "Placement moves",
    },
    values_of=_child_values,
)
ADULT = Editor(
    kind="adult",
    noun="parent or carer",
    template="views/families/adult-form.html",
    fields=ADULT_FIELDS,
    labels={
        "name": "Full name",
        "relationship": "Relationship",
        "relationship_detail": "Relationship (details)",
        "parental_responsibility": "Parental responsibility",
        "lives_in_household": "Lives in the household",
    },
    values_of=lambda adult: {
        "name": adult.name,
        "relationship": adult.relationship,
        "relationship_detail": adult.relationship_detail or "",
        "parental_responsibility": _yes_no(adult.parental_responsibility),
        "lives_in_household": _yes_no(adult.lives_in_household),
        **{families.role_field(child): role for child, role in adult.child_roles.items()},
        "version": adult.version,
    },
)
CONTACT = Editor(
    kind="contact",
    noun="contact",
    template="views/families/contact-form.html",
    fields=CONTACT_FIELDS,
    labels={
        "name": "Name",
        "role": "Role or relationship",
        "organisation": "Organisation",
        "contact_details": "Contact details",
        "notes": "Notes",
    },
    values_of=lambda contact: {
        "name": contact.name,
        "role": contact.role,
        "organisation": contact.organisation or "",
        "contact_details": contact.contact_details or "",
        "notes": contact.notes or "",
        "version": contact.version,
    },
)
RETURN = Editor(
    kind="return",
    noun="earlier return home",
    template="views/families/return-form.html",
    fields=RETURN_FIELDS,
    labels={
        "returned_on": "Went home on",
        "ended_on": "Return ended on",
        "broke_down": "Broke down",
        "notes": "Notes",
    },
    values_of=lambda item: {
        **date_parts("returned_on", item.returned_on),
        **date_parts("ended_on", item.ended_on),
        "broke_down": _yes_no(item.broke_down),
        "notes": item.notes or "",
        "planned": item.planned or "",
        "returned_to": item.returned_to or "",
        "breakdown_cause": item.breakdown_cause or "",
        "version": item.version,
    },
)
EPISODE = Editor(
    kind="episode",
    noun="earlier time in care",
    template="views/families/episode-form.html",
    fields=EPISODE_FIELDS,
    labels={
        "started_on": "Came into care on",
        "ended_on": "Left care on",
        "legal_status": "Legal status",
        "placements": "Placements",
        "notes": "Notes",
    },
    values_of=lambda item: {
        **date_parts("started_on", item.started_on),
        **date_parts("ended_on", item.ended_on),
        "legal_status": item.legal_status,
        "placements": str(item.placements),
        "notes": item.notes or "",
        "version": item.version,
    },
)


def _adult_labels(kids: Sequence[Child]) -> dict[str, str]:
    return {
        **ADULT.labels,
        **{families.role_field(child.id): f"Role in {child.name}'s life" for child in kids},
    }


def _record_form(
    request: Request,
    editor: Editor,
    page: FamilyPage,
    form: FormState,
    *,
    record: Any = None,
    child: Child | None = None,
    kids: Sequence[Child] = (),
    action: str,
    conflict: list[dict[str, str]] | None = None,
) -> Response:
    content = page.content
    return render(
        request,
        editor.template,
        {
            **page.context,
            "editor": editor,
            "record": record,
            "child": child,
            "form": form,
            "errors": form.error_list(),
            "action": action,
            "conflict": conflict,
            "legal_statuses": list(families.vocabulary(content, "legal_statuses").items()),
            "entry_reasons": list(families.vocabulary(content, "entry_reasons").items()),
            "genders": list(families.GENDERS.items()),
            "placements": list(families.PLACEMENT_TYPES.items()),
            "relationships": list(families.RELATIONSHIPS.items()),
            "kids": kids,
            "roles": [
                (role, label, people.ROLE_HINTS[role]) for role, label in people.ROLES.items()
            ],
            "role_field": families.role_field,
            "planned_options": list(families.PLANNED.items()),
            "breakdown_causes": list(families.breakdown_causes(content).items()),
            "kind": request.path_params.get("kind"),
        },
    )


def _save_record(
    form_data: dict[str, Any],
    request: Request,
    editor: Editor,
    page: FamilyPage,
    *,
    save: Callable[[ParsedForm, int], Any],
    record: Any = None,
    child: Child | None = None,
    kids: Sequence[Child] = (),
    fields: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> Response:
    """Parse the form, save through `save`, and re-render with errors or the conflict."""
    form = ParsedForm(form_data)
    version = form.whole_number("version", "Version") or 0
    action = request.url.path
    try:
        save(form, version)
    except InvalidInput as problem:
        state = form_state(form.values, form.errors, problem.errors, fields or editor.fields)
        return _record_form(
            request, editor, page, state, record=record, child=child, kids=kids, action=action
        )
    except Conflict:
        saved = editor.values_of(record)
        rows = compare_versions(
            saved, form.values, labels or editor.labels, fields or editor.fields
        )
        # The user's text stays in the form; the new version lets them save it over the top.
        state = FormState(values={**form.values, "version": saved["version"]})
        return _record_form(
            request,
            editor,
            page,
            state,
            record=record,
            child=child,
            kids=kids,
            action=action,
            conflict=rows,
        )
    return RedirectResponse(_details(page), status_code=303)


def _details(page: FamilyPage) -> str:
    return f"/families/{page.family.id}/details"


@router.get("/{family_id}/children/new")
def new_child(request: Request, page: EditPage) -> Response:
    """The form to add a child."""
    return _record_form(request, CHILD, page, FormState(), action=request.url.path)


@router.post("/{family_id}/children/new")
def create_child(
    form_data: FormValues, request: Request, session: SessionDep, actor: ActorDep, page: EditPage
) -> Response:
    """Add a child to the family."""
    return _save_record(
        form_data,
        request,
        CHILD,
        page,
        save=lambda form, _v: families.add_child(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            details=child_details(form),
        ),
    )


@router.get("/{family_id}/children/{child_id}")
def edit_child(
    request: Request, session: SessionDep, page: EditPage, child_id: uuid.UUID
) -> Response:
    """The form to change a child's details."""
    child = families.get_child(session, page.family, child_id)
    return _record_form(
        request,
        CHILD,
        page,
        FormState(values=CHILD.values_of(child)),
        record=child,
        action=request.url.path,
    )


@router.post("/{family_id}/children/{child_id}")
def update_child(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_id: uuid.UUID,
) -> Response:
    """Save a child's details."""
    child = families.get_child(session, page.family, child_id)
    return _save_record(
        form_data,
        request,
        CHILD,
        page,
        record=child,
        save=lambda form, version: families.update_child(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            child=child,
            details=child_details(form),
            expected_version=version,
        ),
    )


@router.get("/{family_id}/children/{child_id}/returns/new")
def new_return(
    request: Request, session: SessionDep, page: EditPage, child_id: uuid.UUID
) -> Response:
    """The form to record an earlier return home."""
    child = families.get_child(session, page.family, child_id)
    return _record_form(request, RETURN, page, FormState(), child=child, action=request.url.path)


@router.post("/{family_id}/children/{child_id}/returns/new")
def create_return(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_id: uuid.UUID,
) -> Response:
    """Record an earlier return home."""
    child = families.get_child(session, page.family, child_id)
    return _save_record(
        form_data,
        request,
        RETURN,
        page,
        child=child,
        save=lambda form, _v: families.add_return(
            session,
            actor=actor,
            family=page.family,
            child=child,
            details=return_details(form),
            content=page.content,
        ),
    )


@router.get("/{family_id}/children/{child_id}/returns/{return_id}")
def edit_return(
    request: Request, session: SessionDep, page: EditPage, child_id: uuid.UUID, return_id: uuid.UUID
) -> Response:
    """The form to change an earlier return home."""
    child = families.get_child(session, page.family, child_id)
    record = families.get_return(session, child, return_id)
    return _record_form(
        request,
        RETURN,
        page,
        FormState(values=RETURN.values_of(record)),
        record=record,
        child=child,
        action=request.url.path,
    )


@router.post("/{family_id}/children/{child_id}/returns/{return_id}")
def update_return(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_id: uuid.UUID,
    return_id: uuid.UUID,
) -> Response:
    """Save an earlier return home."""
    child = families.get_child(session, page.family, child_id)
    record = families.get_return(session, child, return_id)
    return _save_record(
        form_data,
        request,
        RETURN,
        page,
        record=record,
        child=child,
        save=lambda form, version: families.update_return(
            session,
            actor=actor,
            family=page.family,
            child=child,
            record=record,
            details=return_details(form),
            expected_version=version,
            content=page.content,
        ),
    )


@router.get("/{family_id}/adults/new")
def new_adult(request: Request, session: SessionDep, page: EditPage) -> Response:
    """The form to add a parent, carer or another adult in the children's lives."""
    kids = families.children(session, page.family)
    return _record_form(request, ADULT, page, FormState(), kids=kids, action=request.url.path)


@router.post("/{family_id}/adults/new")
def create_adult(
    form_data: FormValues, request: Request, session: SessionDep, actor: ActorDep, page: EditPage
) -> Response:
    """Add an adult, with their role in each child's life."""
    kids = families.children(session, page.family)
    return _save_record(
        form_data,
        request,
        ADULT,
        page,
        kids=kids,
        fields=adult_fields(kids),
        save=lambda form, _v: families.add_adult(
            session, actor=actor, family=page.family, details=adult_details(form, kids)
        ),
    )


def _adult_values(adult: Adult, kids: Sequence[Child]) -> dict[str, Any]:
    """The adult's form as saved, with the suggested role for a child added since."""
    return {
        **ADULT.values_of(adult),
        **{families.role_field(cid): role for cid, role in people.roles_of(adult, kids).items()},
    }


@router.get("/{family_id}/adults/{adult_id}")
def edit_adult(
    request: Request, session: SessionDep, page: EditPage, adult_id: uuid.UUID
) -> Response:
    """The form to change an adult's details and roles."""
    adult = families.get_adult(session, page.family, adult_id)
    kids = families.children(session, page.family)
    return _record_form(
        request,
        ADULT,
        page,
        FormState(values=_adult_values(adult, kids)),
        record=adult,
        kids=kids,
        action=request.url.path,
    )


@router.post("/{family_id}/adults/{adult_id}")
def update_adult(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    adult_id: uuid.UUID,
) -> Response:
    """Save an adult's details and roles."""
    adult = families.get_adult(session, page.family, adult_id)
    kids = families.children(session, page.family)
    return _save_record(
        form_data,
        request,
        ADULT,
        page,
        record=adult,
        kids=kids,
        fields=adult_fields(kids),
        labels=_adult_labels(kids),
        save=lambda form, version: families.update_adult(
            session,
            actor=actor,
            family=page.family,
            adult=adult,
            details=adult_details(form, kids),
            expected_version=version,
        ),
    )


# Earlier times in care -----------------------------------------------------------------------


@router.get("/{family_id}/children/{child_id}/care-episodes/new")
def new_episode(
    request: Request, session: SessionDep, page: EditPage, child_id: uuid.UUID
) -> Response:
    """The form to record an earlier time in care."""
    child = families.get_child(session, page.family, child_id)
    return _record_form(request, EPISODE, page, FormState(), child=child, action=request.url.path)


@router.post("/{family_id}/children/{child_id}/care-episodes/new")
def create_episode(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_id: uuid.UUID,
) -> Response:
    """Record an earlier time in care."""
    child = families.get_child(session, page.family, child_id)
    return _save_record(
        form_data,
        request,
        EPISODE,
        page,
        child=child,
        save=lambda form, _v: families.add_episode(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            child=child,
            details=episode_details(form),
        ),
    )


@router.get("/{family_id}/children/{child_id}/care-episodes/{episode_id}")
def edit_episode(
    request: Request,
    session: SessionDep,
    page: EditPage,
    child_id: uuid.UUID,
    episode_id: uuid.UUID,
) -> Response:
    """The form to change an earlier time in care."""
    child = families.get_child(session, page.family, child_id)
    record = families.get_episode(session, child, episode_id)
    return _record_form(
        request,
        EPISODE,
        page,
        FormState(values=EPISODE.values_of(record)),
        record=record,
        child=child,
        action=request.url.path,
    )


@router.post("/{family_id}/children/{child_id}/care-episodes/{episode_id}")
def update_episode(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_id: uuid.UUID,
    episode_id: uuid.UUID,
) -> Response:
    """Save an earlier time in care."""
    child = families.get_child(session, page.family, child_id)
    record = families.get_episode(session, child, episode_id)
    return _save_record(
        form_data,
        request,
        EPISODE,
        page,
        record=record,
        child=child,
        save=lambda form, version: families.update_episode(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            child=child,
            record=record,
            details=episode_details(form),
            expected_version=version,
        ),
    )


@router.get("/{family_id}/contacts/new/{kind}")
def new_contact(request: Request, page: EditPage, kind: str) -> Response:
    """The form to add someone from the family's network, or a professional."""
    _check_kind(kind)
    return _record_form(request, CONTACT, page, FormState(), action=request.url.path)


@router.post("/{family_id}/contacts/new/{kind}")
def create_contact(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    kind: str,
) -> Response:
    """Add someone from the family's network, or a professional."""
    _check_kind(kind)
    return _save_record(
        form_data,
        request,
        CONTACT,
        page,
        save=lambda form, _v: families.add_contact(
            session, actor=actor, family=page.family, details=contact_details(form, kind)
        ),
    )


@router.get("/{family_id}/contacts/{contact_id}")
def edit_contact(
    request: Request, session: SessionDep, page: EditPage, contact_id: uuid.UUID
) -> Response:
    """The form to change a contact."""
    contact = families.get_contact(session, page.family, contact_id)
    request.path_params["kind"] = contact.kind
    return _record_form(
        request,
        CONTACT,
        page,
        FormState(values=CONTACT.values_of(contact)),
        record=contact,
        action=request.url.path,
    )


@router.post("/{family_id}/contacts/{contact_id}")
def update_contact(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    contact_id: uuid.UUID,
) -> Response:
    """Save a contact."""
    contact = families.get_contact(session, page.family, contact_id)
    request.path_params["kind"] = contact.kind
    return _save_record(
        form_data,
        request,
        CONTACT,
        page,
        record=contact,
        save=lambda form, version: families.update_contact(
            session,
            actor=actor,
            family=page.family,
            contact=contact,
            details=contact_details(form, contact.kind),
            expected_version=version,
        ),
    )


def _check_kind(kind: str) -> None:
    if kind not in families.CONTACT_KINDS:
        raise NotFound("There is no such list of contacts.")


# Deleting a child, adult, contact or earlier return -----------------------------------------


def _delete(
    form_data: dict[str, Any],
    request: Request,
    session: Session,
    actor: audit.Actor,
    page: FamilyPage,
    *,
    record: Any,
    entity_type: str,
    what: str,
) -> Response:
    """Delete a record of the family with the reason given, or show the page again."""

    def remove(reason: str, expected_version: int) -> None:
        families.delete_record(
            session,
            actor=actor,
            family=page.family,
            record=record,
            entity_type=entity_type,
            reason=reason,
            expected_version=expected_version,
        )

    return confirm_delete(
        request,
        form_data,
        page.family,
        remove,
        what=what,
        back=_details(page),
        version=record.version,
    )


@router.get("/{family_id}/children/{child_id}/delete")
def delete_child_page(
    request: Request, session: SessionDep, page: EditPage, child_id: uuid.UUID
) -> Response:
    """Confirm deleting a child's record, with a reason."""
    child = families.get_child(session, page.family, child_id)
    return delete_page(request, page.family, child.name, _details(page), child.version)


@router.post("/{family_id}/children/{child_id}/delete")
def delete_child(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_id: uuid.UUID,
) -> Response:
    """Delete a child's record (supervisors can still see it)."""
    child = families.get_child(session, page.family, child_id)
    return _delete(
        form_data, request, session, actor, page, record=child, entity_type="child", what=child.name
    )


@router.get("/{family_id}/adults/{adult_id}/delete")
def delete_adult_page(
    request: Request, session: SessionDep, page: EditPage, adult_id: uuid.UUID
) -> Response:
    """Confirm deleting a parent's or carer's record, with a reason."""
    adult = families.get_adult(session, page.family, adult_id)
    return delete_page(request, page.family, adult.name, _details(page), adult.version)


@router.post("/{family_id}/adults/{adult_id}/delete")
def delete_adult(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    adult_id: uuid.UUID,
) -> Response:
    """Delete a parent's or carer's record (supervisors can still see it)."""
    adult = families.get_adult(session, page.family, adult_id)
    return _delete(
        form_data, request, session, actor, page, record=adult, entity_type="adult", what=adult.name
    )


@router.get("/{family_id}/contacts/{contact_id}/delete")
def delete_contact_page(
    request: Request, session: SessionDep, page: EditPage, contact_id: uuid.UUID
) -> Response:
    """Confirm deleting a contact, with a reason."""
    contact = families.get_contact(session, page.family, contact_id)
    return delete_page(request, page.family, contact.name, _details(page), contact.version)


@router.post("/{family_id}/contacts/{contact_id}/delete")
def delete_contact(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    contact_id: uuid.UUID,
) -> Response:
    """Delete a contact (supervisors can still see it)."""
    contact = families.get_contact(session, page.family, contact_id)
    return _delete(
        form_data,
        request,
        session,
        actor,
        page,
        record=contact,
        entity_type="contact",
        what=contact.name,
    )


def _earlier_return(
    session: Session, page: FamilyPage, child_id: uuid.UUID, return_id: uuid.UUID
) -> tuple[EarlierReturn, str]:
    """An earlier return home of one of the family's children, and how to name it."""
    child = families.get_child(session, page.family, child_id)
    record = families.get_return(session, child, return_id)
    return record, f"the return home on {format_date(record.returned_on)}"


@router.get("/{family_id}/children/{child_id}/returns/{return_id}/delete")
def delete_return_page(
    request: Request, session: SessionDep, page: EditPage, child_id: uuid.UUID, return_id: uuid.UUID
) -> Response:
    """Confirm deleting an earlier return home, with a reason."""
    record, what = _earlier_return(session, page, child_id, return_id)
    return delete_page(request, page.family, what, _details(page), record.version)


@router.post("/{family_id}/children/{child_id}/returns/{return_id}/delete")
def delete_return(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_id: uuid.UUID,
    return_id: uuid.UUID,
) -> Response:
    """Delete an earlier return home."""
    record, what = _earlier_return(session, page, child_id, return_id)
    return _delete(
        form_data,
        request,
        session,
        actor,
        page,
        record=record,
        entity_type="earlier_return",
        what=what,
    )


def _episode(
    session: Session, page: FamilyPage, child_id: uuid.UUID, episode_id: uuid.UUID
) -> tuple[CareEpisode, str]:
    """An earlier time in care of one of the family's children, and how to name it."""
    child = families.get_child(session, page.family, child_id)
    record = families.get_episode(session, child, episode_id)
    return record, f"{child.name}'s time in care from {format_date(record.started_on)}"


@router.get("/{family_id}/children/{child_id}/care-episodes/{episode_id}/delete")
def delete_episode_page(
    request: Request,
    session: SessionDep,
    page: EditPage,
    child_id: uuid.UUID,
    episode_id: uuid.UUID,
) -> Response:
    """Confirm deleting an earlier time in care, with a reason."""
    record, what = _episode(session, page, child_id, episode_id)
    return delete_page(request, page.family, what, _details(page), record.version)


@router.post("/{family_id}/children/{child_id}/care-episodes/{episode_id}/delete")
def delete_episode(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_id: uuid.UUID,
    episode_id: uuid.UUID,
) -> Response:
    """Delete an earlier time in care."""
    record, what = _episode(session, page, child_id, episode_id)
    return _delete(
        form_data,
        request,
        session,
        actor,
        page,
        record=record,
        entity_type="care_episode",
        what=what,
    )
