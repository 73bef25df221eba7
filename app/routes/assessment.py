"""Assessment pages: one guided form per content section, factor evidence, risk
classification with sign-off, and moving a family to a newer content version."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app.content.compare import compare
from app.content.model import FrameworkContent
from app.content.registry import ContentRegistry
from app.content.schema import ClassificationSection, FactorsSection, GateSection
from app.deps import ActorDep, ContentDep, FormValues, SessionDep, requires
from app.forms import FormState
from app.forms.family import ParsedForm
from app.models.accounts import Role, User
from app.models.assessment import (
    EVIDENCE_KIND_LABELS,
    FACTOR_STATUS_LABELS,
    ClassificationStatus,
)
from app.models.family import Family
from app.routes.families import SECTION_PAGES
from app.security.permissions import FamilyAction, Permission
from app.services import (
    assessment,
    assessment_summary,
    audit,
    classification,
    content_impact,
    content_move,
)
from app.services import evidence as evidence_service
from app.services.access import open_family
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.families import content_for
from app.templating import is_htmx, render
from app.timeutil import london_today

router = APIRouter(prefix="/families", include_in_schema=False)


def _section_page(family: Family, section: Any) -> str:
    return f"/families/{family.id}/sections/{section.id}"


def _classification_page(family: Family, section: Any) -> str:
    return f"/families/{family.id}/classification/{section.id}"


SECTION_PAGES.update(
    questions=_section_page,
    factors=_section_page,
    classification=_classification_page,
    gate=_classification_page,
)


def _open(
    session: Session,
    registry: ContentRegistry,
    actor: audit.Actor,
    family_id: uuid.UUID,
    action: FamilyAction,
) -> tuple[Family, FrameworkContent]:
    family = open_family(session, actor=actor, family_id=family_id, action=action)
    return family, content_for(registry, family)


# Section pages -------------------------------------------------------------------------------


def _section_response(
    request: Request,
    session: Session,
    family: Family,
    content: FrameworkContent,
    user: User,
    state: assessment.SectionState,
    *,
    errors: dict[str, str] | None = None,
    editor: str = "",
) -> Response:
    form = FormState(values=state.values, errors=dict(errors or {}))
    section = state.section
    factor_evidence: dict[str, list[evidence_service.EvidenceItem]] = {}
    if isinstance(section, FactorsSection):
        for item in evidence_service.evidence_for(session, family.id):
            factor_evidence.setdefault(item.factor_id, []).append(item)
    retired = [
        row
        for row in assessment.retired_answers(session, family, content)
        if row.section_id == section.id
    ]
    return render(
        request,
        "views/assessment/section.html",
        {
            "family": family,
            "content": content,
            "section": section,
            "state": state,
            "form": form,
            "errors": form.error_list(),
            "can_edit": family.allocated_practitioner_id == user.id,
            "factor_evidence": factor_evidence,
            "flags": state.factor_flags(),
            "status_labels": FACTOR_STATUS_LABELS,
            "revisions": assessment.revisions(session, family.id, section.id),
            "retired": retired,
            "show_answer": lambda node: assessment_summary.show_answer(
                content, node.question, _saved_value(state, node)
            ),
            "answer_of": assessment.value_of,
            "section_status": state.status,
            "choices": lambda question: assessment.choices(content, question),
            "walk": assessment.walk,
            "retired_value": lambda row: assessment_summary.show_retired(row),
            # The same id across a re-rendered page keeps its saves from conflicting.
            "editor": editor or uuid.uuid4().hex,
        },
    )


def _saved_value(state: assessment.SectionState, node: assessment.Node) -> Any:
    values = state.values
    name = node.name
    if node.question.type == "date":
        parts = [values.get(f"{name}-{part}") for part in ("year", "month", "day")]
        if all(parts):
            return date(*(int(str(part)) for part in parts))
        return None
    raw = values.get(name)
    if raw in (None, "", []):
        return None
    if node.question.type == "yes_no":
        return raw == "yes"
    if node.question.type in {"multiple_choice", "factor_checklist"}:
        return tuple(raw) if isinstance(raw, list) else (raw,)
    return raw


@router.get("/{family_id}/sections/{section_id}")
def section_page(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    family_id: uuid.UUID,
    section_id: str,
    user: Annotated[User, requires(Permission.FAMILY_VIEW)],
) -> Response:
    """One section of the assessment as a guided form (read-only for everyone but the
    practitioner the family is allocated to)."""
    family, content = _open(session, registry, actor, family_id, FamilyAction.VIEW)
    state = assessment.section_state(session, family, content, section_id)
    return _section_response(request, session, family, content, user, state)


@router.post("/{family_id}/sections/{section_id}")
def save_section(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    family_id: uuid.UUID,
    section_id: str,
    user: Annotated[User, requires(Permission.FAMILY_EDIT)],
) -> Response:
    """Save the section: "Save and come back later", "Mark as complete", or add or remove an
    item of a repeating group (which saves the draft first)."""
    family, content = _open(session, registry, actor, family_id, FamilyAction.EDIT)
    action = str(form_data.get("action") or "save")
    version = ParsedForm(form_data).whole_number("version", "Version") or 0
    fields = {key: value for key, value in form_data.items() if key != "action"}
    editor = assessment.posted_editor(fields)
    if action.startswith("add:") and assessment.is_repeating_group(content, action[4:]):
        group_key = action[4:]
        name = assessment.ITEMS + group_key
        items = assessment.posted_list(fields, name)
        fields[name] = [*items, assessment.new_item_id()]
    elif action.startswith("remove:"):
        group_key, _, item = action[7:].rpartition(":")
        name = assessment.ITEMS + group_key
        fields[name] = [i for i in assessment.posted_list(fields, name) if i != item]
        marker = f"{assessment.ANSWER}{group_key}[{item}]."
        fields = {key: value for key, value in fields.items() if not key.startswith(marker)}
    try:
        result = assessment.save_section(
            session,
            actor=actor,
            family=family,
            content=content,
            section_id=section_id,
            form=fields,
            expected_version=version,
            complete=action == "complete",
        )
    except (InvalidInput, Conflict) as problem:
        state, _parsed, _errors = assessment.posted_state(
            session, family, content, section_id, fields
        )
        saved = assessment.section_row(session, family.id, section_id)
        state.version = version
        if isinstance(problem, Conflict):
            state.version = saved.version if saved else 0
            errors = {"section-form": str(problem)}
        else:
            errors = problem.errors
        return _section_response(
            request, session, family, content, user, state, errors=errors, editor=editor
        )
    if action == "complete" and not result.completed:
        return _section_response(
            request,
            session,
            family,
            content,
            user,
            result.state,
            errors=result.state.missing,
            editor=editor,
        )
    if action.startswith("add:"):
        # An item with no answers yet exists only in the form, so the page is shown directly.
        return _section_response(
            request, session, family, content, user, result.state, editor=editor
        )
    if action.startswith("remove:"):
        return RedirectResponse(_section_page(family, result.state.section), status_code=303)
    return RedirectResponse(f"/families/{family.id}", status_code=303)


@router.post("/{family_id}/sections/{section_id}/complete")
def complete_section(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    family_id: uuid.UUID,
    section_id: str,
    user: Annotated[User, requires(Permission.FAMILY_EDIT)],
) -> Response:
    """Mark the analytical chronology complete (offered where a classification waits for it);
    a section with a guided form is completed on its own page instead."""
    family, content = _open(session, registry, actor, family_id, FamilyAction.EDIT)
    info = content.sections.get(section_id)
    if info is None:
        raise NotFound("This framework version has no such section.")
    if info.section.kind != "chronology":
        return RedirectResponse(_section_page(family, info.section), status_code=303)
    waiting = next(
        (
            item.section
            for item in content.sections.values()
            if isinstance(item.section, ClassificationSection)
            and section_id in item.section.requires
        ),
        None,
    )
    try:
        assessment.complete_chronology_section(
            session, actor=actor, family=family, content=content, section_id=section_id
        )
    except InvalidInput as problem:
        if waiting is None:
            raise
        return _classification_response(
            request,
            session,
            family,
            content,
            user,
            waiting.id,
            form=FormState(errors=problem.errors),
        )
    return RedirectResponse(f"/families/{family.id}", status_code=303)


@router.post("/{family_id}/sections/{section_id}/autosave")
def autosave_section(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    family_id: uuid.UUID,
    section_id: str,
    _: Annotated[User, requires(Permission.FAMILY_EDIT)],
) -> Response:
    """Save a draft as the user answers (htmx), and swap in the questions whose show_when
    the new answers changed. Without htmx, the page's own buttons do the same."""
    family, content = _open(session, registry, actor, family_id, FamilyAction.EDIT)
    version = ParsedForm(form_data).whole_number("version", "Version") or 0
    fields = {key: value for key, value in form_data.items() if key != "action"}
    shown = set(assessment.posted_list(fields, "shown"))
    message, failed = "Draft saved", False
    try:
        result = assessment.save_section(
            session,
            actor=actor,
            family=family,
            content=content,
            section_id=section_id,
            form=fields,
            expected_version=version,
        )
        state = result.state
    except (InvalidInput, Conflict) as problem:
        failed = True
        message = (
            str(problem)
            if isinstance(problem, Conflict)
            else "Not saved: " + "; ".join(problem.errors.values())
        )
        state, _parsed, _errors = assessment.posted_state(
            session, family, content, section_id, fields
        )
        state.version = version
    changed = [
        node
        for node, _labels in assessment.walk(state.nodes)
        if node.question.show_when is not None and node.visible != (node.id in shown)
    ]
    response = render(
        request,
        "views/assessment/autosave.html",
        {
            "family": family,
            "content": content,
            "state": state,
            "form": FormState(values=state.values),
            "message": message,
            "failed": failed,
            "changed": changed,
            "choices": lambda question: assessment.choices(content, question),
        },
    )
    if not is_htmx(request):
        # Only htmx posts here; a browser without it uses the page's own buttons.
        return RedirectResponse(_section_page(family, state.section), status_code=303)
    return response


# Evidence ------------------------------------------------------------------------------------


def _evidence_page(
    request: Request,
    session: Session,
    family: Family,
    content: FrameworkContent,
    factor_id: str,
    *,
    search: str = "",
    form: FormState | None = None,
    link_errors: dict[str, str] | None = None,
) -> Response:
    info = evidence_service.factor_info(content, factor_id)
    section = next(
        (
            item.section
            for item in content.sections.values()
            if isinstance(item.section, FactorsSection) and item.section.domain == info.domain.id
        ),
        None,
    )
    entries, total = evidence_service.search_entries(session, family, text=search)
    form = form or FormState()
    form.add(link_errors or {})
    return render(
        request,
        "views/assessment/evidence.html",
        {
            "family": family,
            "content": content,
            "info": info,
            "section": section,
            "items": evidence_service.evidence_for(session, family.id, factor_id),
            "entries": entries,
            "total": total,
            "search": search,
            "form": form,
            "errors": form.error_list(),
            "kinds": [
                (kind.value, EVIDENCE_KIND_LABELS[kind]) for kind in evidence_service.OTHER_KINDS
            ],
            "linked": {
                item.chronology_entry_id
                for item in evidence_service.evidence_for(session, family.id, factor_id)
            },
        },
        htmx_block="results",
    )


@router.get("/{family_id}/factors/{factor_id}/evidence")
def evidence_page(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    family_id: uuid.UUID,
    factor_id: str,
    _: Annotated[User, requires(Permission.FAMILY_EDIT)],
    search: str = "",
) -> Response:
    """A factor's evidence: a searchable picker of the family's chronology entries, and a form
    for a report, an observation or other evidence."""
    family, content = _open(session, registry, actor, family_id, FamilyAction.EDIT)
    return _evidence_page(request, session, family, content, factor_id, search=search[:100])


@router.post("/{family_id}/factors/{factor_id}/evidence/link")
def link_evidence(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    family_id: uuid.UUID,
    factor_id: str,
    _: Annotated[User, requires(Permission.FAMILY_EDIT)],
) -> Response:
    """Link the chosen chronology entries to the factor."""
    family, content = _open(session, registry, actor, family_id, FamilyAction.EDIT)
    chosen = assessment.posted_list(form_data, "entries")
    try:
        evidence_service.link_entries(
            session,
            actor=actor,
            family=family,
            content=content,
            factor_id=factor_id,
            entry_ids=chosen,
        )
    except InvalidInput as problem:
        return _evidence_page(
            request,
            session,
            family,
            content,
            factor_id,
            search=str(form_data.get("search", ""))[:100],
            link_errors=problem.errors,
        )
    return RedirectResponse(f"/families/{family.id}/factors/{factor_id}/evidence", 303)


@router.post("/{family_id}/factors/{factor_id}/evidence/other")
def add_other_evidence(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    family_id: uuid.UUID,
    factor_id: str,
    _: Annotated[User, requires(Permission.FAMILY_EDIT)],
) -> Response:
    """Add a report, an observation or other evidence to the factor."""
    family, content = _open(session, registry, actor, family_id, FamilyAction.EDIT)
    form = ParsedForm(form_data)
    details = evidence_service.OtherEvidence(
        kind=form.text("kind"),
        on=form.date("on", "The date of the evidence"),
        source=form.text("source"),
        description=form.text("description"),
    )
    try:
        if form.errors:
            raise InvalidInput(dict(form.errors))
        evidence_service.add_other(
            session,
            actor=actor,
            family=family,
            content=content,
            factor_id=factor_id,
            details=details,
        )
    except InvalidInput as problem:
        state = FormState(values=dict(form.values), errors=problem.errors)
        state.anchors["on"] = "on-day"
        return _evidence_page(request, session, family, content, factor_id, form=state)
    return RedirectResponse(f"/families/{family.id}/factors/{factor_id}/evidence", 303)


@router.post("/{family_id}/factors/{factor_id}/evidence/{evidence_id}/remove")
def remove_evidence(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    family_id: uuid.UUID,
    factor_id: str,
    evidence_id: uuid.UUID,
    _: Annotated[User, requires(Permission.FAMILY_EDIT)],
) -> Response:
    """Unlink a piece of evidence from the factor."""
    family, content = _open(session, registry, actor, family_id, FamilyAction.EDIT)
    try:
        evidence_service.remove(
            session,
            actor=actor,
            family=family,
            factor_id=factor_id,
            evidence_id=evidence_id,
            expected_version=ParsedForm(form_data).whole_number("version", "Version") or 0,
        )
    except (Conflict, NotFound) as problem:
        return _evidence_page(
            request, session, family, content, factor_id, link_errors={"evidence": str(problem)}
        )
    return RedirectResponse(f"/families/{family.id}/factors/{factor_id}/evidence", 303)


# Classification ------------------------------------------------------------------------------


def _classification_response(
    request: Request,
    session: Session,
    family: Family,
    content: FrameworkContent,
    user: User,
    section_id: str,
    *,
    form: FormState | None = None,
    review_form: FormState | None = None,
) -> Response:
    section = classification.classification_section(content, section_id)
    suggestion = classification.suggest(session, family=family, content=content)
    rows = classification.history(session, family.id, section_id)
    current = rows[0] if rows else None
    names = {
        person.id: person.name
        for person in (
            session.get(User, person_id)
            for person_id in {row.submitted_by_id for row in rows}
            | {row.reviewed_by_id for row in rows if row.reviewed_by_id}
        )
        if person
    }
    form = form or FormState()
    review_form = review_form or FormState()
    waiting = current is not None and current.status == ClassificationStatus.SUBMITTED
    can_review = (
        waiting
        and Role.SUPERVISOR in user.roles
        and current is not None
        and user.id not in {current.submitted_by_id, family.allocated_practitioner_id}
    )
    can_submit = family.allocated_practitioner_id == user.id and not waiting
    return render(
        request,
        "views/assessment/classification.html",
        {
            "family": family,
            "content": content,
            "section": section,
            "timepoint": content.timepoint(section.timepoint),
            "suggestion": suggestion.explanation,
            "levels": {level.id: level for level in content.levels},
            "rows": rows,
            "current": current,
            "names": names,
            "form": form,
            "review_form": review_form,
            "errors": form.error_list() + review_form.error_list(),
            "missing": classification.missing_sections(session, family, content, section_id),
            "chronology_waiting": [
                required
                for required in section.requires
                if content.sections[required].section.kind == "chronology"
                and content.sections[required].section.title
                in classification.missing_sections(session, family, content, section_id)
            ],
            "can_submit": can_submit,
            "can_review": can_review,
            "waiting": waiting,
            "is_own": current is not None
            and user.id in {current.submitted_by_id, family.allocated_practitioner_id},
            "gate": classification.gate_after(content, section_id),
            "level_options": [
                (level.id, level.label, _plain(level.meaning)) for level in content.levels
            ],
            "gate_options": [
                (option.id, option.label, option.hint)
                for option in getattr(classification.gate_after(content, section_id), "options", ())
            ],
        },
    )


def _plain(markdown: str) -> str:
    """Level meanings are short Markdown paragraphs; radios show them as plain hints."""
    return " ".join(markdown.replace("*", "").split())


def _classification_id(content: FrameworkContent, section_id: str) -> str:
    """A gate's page is the classification it waits for."""
    info = content.sections.get(section_id)
    if info is not None and isinstance(info.section, GateSection):
        found = classification.classification_for_gate(content, section_id)
        if found is None:
            raise NotFound("This decision has no classification page.")
        return found
    if info is None or not isinstance(info.section, ClassificationSection):
        raise NotFound("This framework version has no such classification.")
    return section_id


@router.get("/{family_id}/classification/{classification_section}")
def classification_page(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    family_id: uuid.UUID,
    classification_section: str,
    user: Annotated[User, requires(Permission.FAMILY_VIEW)],
) -> Response:
    """The suggested level with its explanation, the practitioner's classification, the
    supervisor's review and the decision at the gate, with every earlier submission."""
    family, content = _open(session, registry, actor, family_id, FamilyAction.VIEW)
    wanted = _classification_id(content, classification_section)
    if wanted != classification_section:
        return RedirectResponse(f"/families/{family.id}/classification/{wanted}", 303)
    return _classification_response(request, session, family, content, user, wanted)


@router.post("/{family_id}/classification/{classification_section}")
def submit_classification(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    family_id: uuid.UUID,
    classification_section: str,
    user: Annotated[User, requires(Permission.FAMILY_EDIT)],
) -> Response:
    """Submit the practitioner's level and rationale for sign-off."""
    family, content = _open(session, registry, actor, family_id, FamilyAction.EDIT)
    section_id = _classification_id(content, classification_section)
    form = ParsedForm(form_data)
    try:
        classification.submit(
            session,
            actor=actor,
            family=family,
            content=content,
            section_id=section_id,
            level=form.text("level"),
            rationale=form.text("rationale"),
            latest_id=form.text("latest"),
        )
    except (InvalidInput, Conflict) as problem:
        errors = problem.errors if isinstance(problem, InvalidInput) else {"level": str(problem)}
        state = FormState(values=dict(form.values), errors=errors)
        return _classification_response(
            request, session, family, content, user, section_id, form=state
        )
    return RedirectResponse(f"/families/{family.id}/classification/{section_id}", 303)


@router.post("/{family_id}/classification/{classification_section}/sign-off")
def review_classification(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    family_id: uuid.UUID,
    classification_section: str,
    user: Annotated[User, requires(Permission.FAMILY_SUPERVISE)],
) -> Response:
    """The supervisor agrees (and records the decision at the gate) or disagrees."""
    family, content = _open(session, registry, actor, family_id, FamilyAction.SUPERVISE)
    section_id = _classification_id(content, classification_section)
    form = ParsedForm(form_data)
    agrees_text = form.text("agrees")
    details = classification.Review(
        agrees={"yes": True, "no": False}.get(agrees_text),
        comments=form.text("comments"),
        level=form.text("supervisor_level"),
        gate_option=form.text("gate_option"),
    )
    try:
        current = classification.latest(session, family.id, section_id)
        if current is None or str(current.id) != form.text("classification"):
            raise Conflict(classification.ALREADY_REVIEWED)
        classification.review(
            session,
            actor=actor,
            family=family,
            content=content,
            classification_id=current.id,
            details=details,
            expected_version=form.whole_number("version", "Version") or 0,
        )
    except (InvalidInput, Conflict) as problem:
        errors = problem.errors if isinstance(problem, InvalidInput) else {"agrees": str(problem)}
        state = FormState(values=dict(form.values), errors=errors)
        return _classification_response(
            request, session, family, content, user, section_id, review_form=state
        )
    return RedirectResponse(f"/families/{family.id}/classification/{section_id}", 303)


# Content version -----------------------------------------------------------------------------


@router.get("/{family_id}/version")
def version_page(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    family_id: uuid.UUID,
    user: Annotated[User, requires(Permission.FAMILY_VIEW)],
) -> Response:
    """The family's content version, and what moving to a newer one would change."""
    family, content = _open(session, registry, actor, family_id, FamilyAction.VIEW)
    return _version_response(request, session, registry, family, content, user)


def _version_response(
    request: Request,
    session: Session,
    registry: ContentRegistry,
    family: Family,
    content: FrameworkContent,
    user: User,
    form: FormState | None = None,
) -> Response:
    newer = content_move.newer_version(registry, family)
    changes = compare(content, newer) if newer else None
    effect = (
        content_impact.family_effect(
            session, family=family, current=content, new=newer, as_of=london_today()
        )
        if newer
        else None
    )
    form = form or FormState()
    return render(
        request,
        "views/assessment/version.html",
        {
            "family": family,
            "content": content,
            "newer": newer,
            "changes": changes,
            "effect": effect,
            "affected": content_move.answered_items(session, family, changes) if changes else {},
            "can_edit": family.allocated_practitioner_id == user.id,
            "form": form,
            "errors": form.error_list(),
        },
    )


@router.post("/{family_id}/version")
def move_version(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    registry: ContentDep,
    family_id: uuid.UUID,
    user: Annotated[User, requires(Permission.FAMILY_EDIT)],
) -> Response:
    """Move the family to the newer version, once the practitioner has confirmed."""
    family, content = _open(session, registry, actor, family_id, FamilyAction.EDIT)
    form = ParsedForm(form_data)
    try:
        content_move.move(
            session,
            actor=actor,
            registry=registry,
            family=family,
            target_version=form.text("target"),
            confirmed=form.text("confirm") == "yes",
            expected_version=form.whole_number("version", "Version") or 0,
        )
    except (InvalidInput, Conflict) as problem:
        errors = problem.errors if isinstance(problem, InvalidInput) else {"confirm": str(problem)}
        state = FormState(values=dict(form.values), errors=errors)
        return _version_response(request, session, registry, family, content, user, state)
    return RedirectResponse(f"/families/{family.id}/version?moved=1", status_code=303)
