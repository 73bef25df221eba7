"""Question section pages (every stage's guided forms, in each review for the sections answered
at each review), factor evidence, risk classification with sign-off, and moving a family to a
newer content version."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app.content.compare import compare
from app.content.model import FrameworkContent
from app.content.registry import ContentRegistry
from app.content.schema import ClassificationSection, FactorsSection, GateSection, Section
from app.deps import ActorDep, ContentDep, FormValues, SessionDep
from app.forms import FormState
from app.forms.family import ParsedForm
from app.models.assessment import EVIDENCE_KIND_LABELS, FACTOR_STATUS_LABELS, ClassificationStatus
from app.models.family import Family
from app.models.progress import SectionStatus
from app.routes.family_pages import EditPage, FamilyPage, SupervisePage, ViewPage, section_url
from app.services import (
    accounts,
    agreement,
    assessment_summary,
    classification,
    content_impact,
    content_move,
    prefill,
    progress,
    questions,
    record_suggestions,
)
from app.services import evidence as evidence_service
from app.services.audit import Actor
from app.services.errors import Conflict, InvalidInput, NotFound
from app.summary.sections import tool_block
from app.templating import is_htmx, render, with_notice
from app.timeutil import london_today

router = APIRouter(prefix="/families", include_in_schema=False)


def _cycle(page: FamilyPage, section_id: str, review: int | None) -> int:
    """The review cycle a page shows: the one asked for (an earlier review, read only), or
    the one under way; 0 for sections answered once."""
    current = progress.current_cycle(page.content, page.family, section_id)
    if current == 0:
        return 0
    if review is not None and 1 <= review <= current:
        return review
    return current


def _is_current(page: FamilyPage, section_id: str, cycle: int) -> bool:
    return cycle == progress.current_cycle(page.content, page.family, section_id)


# Section pages -------------------------------------------------------------------------------


def _section_response(
    request: Request,
    session: Session,
    page: FamilyPage,
    state: questions.SectionState,
    *,
    errors: dict[str, str] | None = None,
    editor: str = "",
    completed: str = "",
    next_is: str = "task",
    prefilled: list[str] | None = None,
    notes: dict[str, str] | None = None,
) -> Response:
    family, content = page.family, page.content
    form = FormState(values=state.values, errors=dict(errors or {}), notes=notes or {})
    section = state.section
    factor_evidence = (
        _factor_evidence(session, family.id, state) if isinstance(section, FactorsSection) else {}
    )
    retired = [
        row
        for row in questions.retired_answers(session, family, content)
        if row.section_id == section.id and row.cycle == state.cycle
    ]
    return render(
        request,
        "views/assessment/section.html",
        {
            **page.context,
            "section": section,
            "state": state,
            "form": form,
            "errors": form.error_list(),
            "can_edit": page.can_edit and _is_current(page, section.id, state.cycle),
            # What a task that cannot start yet waits for, said before anyone types into it.
            "held": progress.cannot_start(
                session, family, content, section.id, state.cycle, doing="marked as complete"
            )
            if page.can_edit
            else None,
            "review": state.cycle,
            "factor_evidence": factor_evidence,
            "suggestions": record_suggestions.factor_suggestions(
                session,
                family=family,
                content=content,
                factor_ids=[factor.factor_id for factor in state.factors],
            ),
            "flags": state.factor_flags(),
            "status_labels": FACTOR_STATUS_LABELS,
            "revisions": questions.revisions(session, family.id, section.id, state.cycle),
            "retired": retired,
            "show_answer": lambda node: assessment_summary.show_answer(
                content, node.question, _saved_value(state, node)
            ),
            "answer_of": questions.value_of,
            "section_status": state.status,
            "choices": _Choices(session, family, content),
            "walk": questions.walk,
            "retired_value": lambda row: assessment_summary.show_retired(row),
            # The same id across a re-rendered page keeps its saves from conflicting.
            "editor": editor or uuid.uuid4().hex,
            "completed": completed,
            "next_is": next_is,
            "prefilled": prefilled or [],
        },
    )


class _Choices:
    """A question's options for the form's macros; `staff` lists the people a question that
    names a member of staff may pick (None for other questions)."""

    def __init__(self, session: Session, family: Family, content: FrameworkContent) -> None:
        self.session, self.family, self.content = session, family, content

    def __call__(self, question: Any) -> list[tuple[str, str, str | None]]:
        return questions.choices(self.content, question)

    def staff(self, question: Any, current: str) -> list[prefill.StaffChoice] | None:
        return prefill.staff_choices(self.session, self.family, question, current)


def _factor_evidence(
    session: Session, family_id: uuid.UUID, state: questions.SectionState
) -> dict[str, list[evidence_service.EvidenceItem]]:
    """The evidence of the section's factors (not the whole family's), by factor: read once
    with their counts."""
    return evidence_service.by_factor(
        session, family_id, [factor.factor_id for factor in state.factors]
    )


def _saved_value(state: questions.SectionState, node: questions.Node) -> Any:
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
    page: ViewPage,
    section_id: str,
    review: int | None = None,
    completed: str = "",
) -> Response:
    """One section as a guided form (read-only for everyone but the practitioner the family is
    allocated to, and for earlier reviews)."""
    cycle = _cycle(page, section_id, review)
    state = questions.section_state(session, page.family, page.content, section_id, cycle)
    prefilled: list[str] = []
    notes: dict[str, str] = {}
    if page.can_edit:
        agreement.prefill_form(session, family=page.family, content=page.content, state=state)
        prefilled = prefill.fill_from_record(
            session, family=page.family, content=page.content, state=state
        )
        notes = prefill.fill_empty(session, family=page.family, content=page.content, state=state)
    done = page.content.sections.get(completed)
    return _section_response(
        request,
        session,
        page,
        state,
        completed=page.content.section_titles.get(completed, ""),
        next_is="domain"
        if done and done.section.kind == "factors" and state.section.kind == "factors"
        else "task",
        prefilled=prefilled,
        notes=notes,
    )


def _posted_cycle(page: FamilyPage, section_id: str, form_data: FormValues) -> int:
    """The review a form was made for: only the review under way can be changed."""
    cycle = progress.current_cycle(page.content, page.family, section_id)
    posted = ParsedForm(form_data).whole_number("review", "Review") or 0
    if posted != cycle:
        raise Conflict(
            "This review has finished, so its answers can no longer be changed; the page shows "
            "the review under way."
        )
    return cycle


@router.post("/{family_id}/sections/{section_id}")
def save_section(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    section_id: str,
) -> Response:
    """Save the section: "Save and come back later", "Mark as complete", or add or remove an
    item of a repeating group (which saves the draft first)."""
    family, content = page.family, page.content
    action = str(form_data.get("action") or "save")
    version = ParsedForm(form_data).whole_number("version", "Version") or 0
    fields = {key: value for key, value in form_data.items() if key != "action"}
    editor = questions.posted_editor(fields)
    if action.startswith("add:") and questions.is_repeating_group(content, action[4:]):
        group_key = action[4:]
        name = questions.ITEMS + group_key
        items = questions.posted_list(fields, name)
        fields[name] = [*items, questions.new_item_id()]
    elif action.startswith("remove:"):
        group_key, _, item = action[7:].rpartition(":")
        name = questions.ITEMS + group_key
        fields[name] = [i for i in questions.posted_list(fields, name) if i != item]
        marker = f"{questions.ANSWER}{group_key}[{item}]."
        fields = {key: value for key, value in fields.items() if not key.startswith(marker)}
    cycle = progress.current_cycle(content, family, section_id)
    try:
        cycle = _posted_cycle(page, section_id, form_data)
        _link_picked_evidence(session, actor, page, section_id, fields)
        result = questions.save_section(
            session,
            actor=actor,
            family=family,
            content=content,
            section_id=section_id,
            form=fields,
            expected_version=version,
            complete=action == "complete",
            cycle=cycle,
        )
    except (InvalidInput, Conflict) as problem:
        state, _parsed, _errors = questions.posted_state(
            session, family, content, section_id, fields, cycle
        )
        saved = questions.section_row(session, family.id, section_id, cycle)
        state.version = version
        if isinstance(problem, Conflict):
            state.version = saved.version if saved else 0
            state.seq = saved.editor_seq if saved else 0
            errors = {"section-form": str(problem)}
        else:
            errors = problem.errors
        return _section_response(request, session, page, state, errors=errors, editor=editor)
    if action == "complete" and not result.completed:
        return _section_response(
            request, session, page, result.state, errors=result.state.missing, editor=editor
        )
    if action.startswith("add:"):
        # An item with no answers yet exists only in the form, so the page is shown directly.
        return _section_response(request, session, page, result.state, editor=editor)
    if action.startswith("remove:"):
        url = section_url(family, result.state.section, cycle)
        return RedirectResponse(url, status_code=303)
    if action == "complete" and result.state.status is not SectionStatus.AWAITING_SIGN_OFF:
        following = _continue_url(session, page, section_id, cycle)
        if following is not None:
            return RedirectResponse(following, status_code=303)
    factor_id = action.removeprefix("evidence:")
    if factor_id != action and factor_id in {factor.factor_id for factor in result.state.factors}:
        # "Choose evidence" without JavaScript: the ratings are saved first, then its page.
        return RedirectResponse(_evidence_url(page, factor_id), status_code=303)
    if not result.completed:
        notice = "section-saved"
    elif result.state.status is SectionStatus.AWAITING_SIGN_OFF:
        notice = "submitted"
    else:
        notice = "section-completed"
    return RedirectResponse(with_notice(f"/families/{family.id}", notice), status_code=303)


# Tasks the practitioner does on a page of their own, which "Mark as complete" can open next.
_CONTINUES_TO = frozenset({"questions", "factors", "chronology", "classification"})


def _continue_url(session: Session, page: FamilyPage, section_id: str, cycle: int) -> str | None:
    """Where "Mark as complete" leads: the next domain still to rate, else the next task the
    practitioner can do now, saying which was completed (one page load, not two through the
    task list). None when the next step is someone else's (a decision, a sign-off)."""
    target: Section | None = _next_domain(session, page, section_id, cycle)
    if target is None:
        task = progress.family_journey(session, page.family, page.content).next_task()
        if (
            task is None
            or task.section.kind not in _CONTINUES_TO
            or task.status is SectionStatus.AWAITING_SIGN_OFF
            or task.section.id == section_id
        ):
            return None
        target, cycle = task.section, task.cycle
    url = section_url(page.family, target, cycle)
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}completed={section_id}"


def _next_domain(
    session: Session, page: FamilyPage, section_id: str, cycle: int
) -> FactorsSection | None:
    """The next domain of the same stage still to be completed, after `section_id`."""
    sections = page.content.sections
    info = sections.get(section_id)
    if info is None or not isinstance(info.section, FactorsSection):
        return None
    done = {
        key
        for key, status in progress.statuses_in(session, page.family, cycle).items()
        if status in progress.DONE
    }
    order = list(sections)
    for key in order[order.index(section_id) + 1 :] + order[: order.index(section_id)]:
        candidate = sections[key]
        if (
            isinstance(candidate.section, FactorsSection)
            and candidate.stage_id == info.stage_id
            and key not in done
        ):
            return candidate.section
    return None


def _link_picked_evidence(
    session: Session, actor: Actor, page: FamilyPage, section_id: str, fields: dict[str, Any]
) -> None:
    """Link and unlink the entries ticked in the page's evidence pickers (factor pages)."""
    section = page.content.sections.get(section_id)
    if section is None or not isinstance(section.section, FactorsSection):
        return
    domain = page.content.domain(section.section.domain)
    factor_ids = {factor.id for factor in (*domain.risk_factors, *domain.protective_factors)}
    evidence_service.sync_pickers(
        session,
        actor=actor,
        family=page.family,
        content=page.content,
        factor_ids=factor_ids,
        form=fields,
    )


@router.post("/{family_id}/sections/{section_id}/complete")
def complete_section(
    request: Request, session: SessionDep, actor: ActorDep, page: EditPage, section_id: str
) -> Response:
    """Mark the analytical chronology complete (offered where a classification waits for it);
    a section with a guided form is completed on its own page instead."""
    family, content = page.family, page.content
    info = content.sections.get(section_id)
    if info is None:
        raise NotFound("This framework version has no such section.")
    if info.section.kind != "chronology":
        return RedirectResponse(section_url(family, info.section), status_code=303)
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
        questions.complete_chronology_section(
            session, actor=actor, family=family, content=content, section_id=section_id
        )
    except InvalidInput as problem:
        if waiting is None:
            raise
        return _classification_response(
            request, session, page, waiting.id, form=FormState(errors=problem.errors)
        )
    following = _continue_url(session, page, section_id, 0)
    return RedirectResponse(
        following or with_notice(f"/families/{family.id}", "chronology-completed"),
        status_code=303,
    )


@router.post("/{family_id}/sections/{section_id}/autosave")
def autosave_section(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    section_id: str,
) -> Response:
    """Save a draft as the user answers (htmx), and swap in the questions whose show_when
    the new answers changed. Without htmx, the page's own buttons do the same."""
    family, content = page.family, page.content
    version = ParsedForm(form_data).whole_number("version", "Version") or 0
    fields = {key: value for key, value in form_data.items() if key != "action"}
    shown = set(questions.posted_list(fields, "shown"))
    message, failed = "Draft saved", False
    cycle = progress.current_cycle(content, family, section_id)
    try:
        cycle = _posted_cycle(page, section_id, form_data)
        _link_picked_evidence(session, actor, page, section_id, fields)
        result = questions.save_section(
            session,
            actor=actor,
            family=family,
            content=content,
            section_id=section_id,
            form=fields,
            expected_version=version,
            cycle=cycle,
        )
        state = result.state
    except questions.Superseded:
        # A later save from this page is already stored: this one changes nothing.
        state, _parsed, _errors = questions.posted_state(
            session, family, content, section_id, fields, cycle
        )
        saved = questions.section_row(session, family.id, section_id, cycle)
        state.version = saved.version if saved else version
        state.seq = saved.editor_seq if saved else state.seq
        message = "Draft saved"
    except (InvalidInput, Conflict) as problem:
        failed = True
        message = (
            str(problem)
            if isinstance(problem, Conflict)
            else "Not saved: " + "; ".join(problem.errors.values())
        )
        state, _parsed, _errors = questions.posted_state(
            session, family, content, section_id, fields, cycle
        )
        state.version = version
    changed = [
        node
        for node, _labels in questions.walk(state.nodes)
        if node.question.show_when is not None and node.visible != (node.id in shown)
    ]
    # A required question just shown with no answer starts from the record, if it holds one.
    notes = (
        prefill.fill_empty(session, family=family, content=content, state=state) if changed else {}
    )
    response = render(
        request,
        "views/assessment/autosave.html",
        {
            "family": family,
            "content": content,
            "state": state,
            "form": FormState(values=state.values, notes=notes),
            "message": message,
            "failed": failed,
            "changed": changed,
            "choices": _Choices(session, family, content),
            "evidence": _factor_evidence(session, family.id, state) if state.factors else {},
            "flags": state.factor_flags(),
        },
    )
    if not is_htmx(request):
        # Only htmx posts here; a browser without it uses the page's own buttons.
        return RedirectResponse(section_url(family, state.section, cycle), status_code=303)
    return response


# Evidence ------------------------------------------------------------------------------------


def _evidence_page(
    request: Request,
    session: Session,
    page: FamilyPage,
    factor_id: str,
    *,
    search: str = "",
    form: FormState | None = None,
    link_errors: dict[str, str] | None = None,
) -> Response:
    family, content = page.family, page.content
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
    items = evidence_service.evidence_for(session, family.id, factor_id)
    return render(
        request,
        "views/assessment/evidence.html",
        {
            **page.context,
            "info": info,
            "section": section,
            "items": items,
            "entries": entries,
            "total": total,
            "search": search,
            "form": form,
            "errors": form.error_list(),
            "kinds": [
                (kind.value, EVIDENCE_KIND_LABELS[kind]) for kind in evidence_service.OTHER_KINDS
            ],
            "linked": {item.chronology_entry_id for item in items},
        },
        htmx_block="results",
    )


def _evidence_url(page: FamilyPage, factor_id: str) -> str:
    return f"/families/{page.family.id}/factors/{factor_id}/evidence"


@router.get("/{family_id}/factors/{factor_id}/evidence")
def evidence_page(
    request: Request, session: SessionDep, page: EditPage, factor_id: str, search: str = ""
) -> Response:
    """A factor's evidence: a searchable picker of the family's chronology entries, and a form
    for a report, an observation or other evidence."""
    return _evidence_page(request, session, page, factor_id, search=search[:100])


@router.get("/{family_id}/factors/{factor_id}/evidence/picker")
def evidence_picker(
    request: Request, session: SessionDep, page: EditPage, factor_id: str
) -> Response:
    """The family's newest chronology entries as checkboxes, swapped into a factor on its
    section page (htmx): ticking one links it with the page's next save. Opened as a page
    (a link followed without JavaScript), the factor's whole evidence page."""
    info = evidence_service.factor_info(page.content, factor_id)
    if not is_htmx(request):
        return RedirectResponse(request.url.path.removesuffix("/picker"), status_code=303)
    entries, total = evidence_service.search_entries(
        session, page.family, limit=evidence_service.INLINE_LIMIT
    )
    items = evidence_service.evidence_for(session, page.family.id, factor_id)
    return render(
        request,
        "views/assessment/evidence-picker.html",
        {
            **page.context,
            "info": info,
            "entries": entries,
            "total": total,
            "linked": {item.chronology_entry_id for item in items},
        },
    )


@router.post("/{family_id}/factors/{factor_id}/evidence/link")
def link_evidence(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    factor_id: str,
) -> Response:
    """Link the chosen chronology entries to the factor."""
    try:
        evidence_service.link_entries(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            factor_id=factor_id,
            entry_ids=questions.posted_list(form_data, "entries"),
        )
    except InvalidInput as problem:
        return _evidence_page(
            request,
            session,
            page,
            factor_id,
            search=str(form_data.get("search", ""))[:100],
            link_errors=problem.errors,
        )
    return RedirectResponse(_evidence_url(page, factor_id), 303)


@router.post("/{family_id}/factors/{factor_id}/evidence/other")
def add_other_evidence(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    factor_id: str,
) -> Response:
    """Add a report, an observation or other evidence to the factor."""
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
            family=page.family,
            content=page.content,
            factor_id=factor_id,
            details=details,
        )
    except InvalidInput as problem:
        state = FormState(values=dict(form.values), errors=problem.errors)
        state.anchors["on"] = "on-day"
        return _evidence_page(request, session, page, factor_id, form=state)
    return RedirectResponse(_evidence_url(page, factor_id), 303)


@router.post("/{family_id}/factors/{factor_id}/evidence/{evidence_id}/remove")
def remove_evidence(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    factor_id: str,
    evidence_id: uuid.UUID,
) -> Response:
    """Unlink a piece of evidence from the factor."""
    try:
        evidence_service.remove(
            session,
            actor=actor,
            family=page.family,
            factor_id=factor_id,
            evidence_id=evidence_id,
            expected_version=ParsedForm(form_data).whole_number("version", "Version") or 0,
        )
    except (Conflict, NotFound) as problem:
        return _evidence_page(
            request, session, page, factor_id, link_errors={"evidence": str(problem)}
        )
    return RedirectResponse(_evidence_url(page, factor_id), 303)


# Classification ------------------------------------------------------------------------------


def _classification_response(
    request: Request,
    session: Session,
    page: FamilyPage,
    section_id: str,
    *,
    cycle: int | None = None,
    form: FormState | None = None,
    review_form: FormState | None = None,
    completed: str = "",
) -> Response:
    family, content, user = page.family, page.content, page.user
    section = classification.classification_section(content, section_id)
    cycle = _cycle(page, section_id, None) if cycle is None else cycle
    current_review = _is_current(page, section_id, cycle)
    suggestion = classification.suggest(
        session, family=family, content=content, cycle=cycle, timepoint=section.timepoint
    )
    rows = classification.history(session, family.id, section_id, cycle)
    current = rows[0] if rows else None
    names = accounts.staff_names(
        session, [row.submitted_by_id for row in rows] + [row.reviewed_by_id for row in rows]
    )
    form = form or FormState()
    review_form = review_form or FormState()
    waiting = current is not None and current.status == ClassificationStatus.SUBMITTED
    own = current is not None and user.id in {
        current.submitted_by_id,
        family.allocated_practitioner_id,
    }
    missing = classification.missing_sections(session, family, content, section_id, cycle)
    gate = classification.inline_gate(content, section_id)
    return render(
        request,
        "views/assessment/classification.html",
        {
            **page.context,
            "section": section,
            "review": cycle,
            "timepoint": content.timepoint(section.timepoint),
            "suggestion": suggestion.explanation,
            # Shown with the summary's own block, in the summary's words.
            "tool_blocks": [tool_block(tool) for tool in suggestion.result.tools],
            "discretionary": classification.discretionary_limit(suggestion.result),
            "levels": {level.id: level for level in content.levels},
            "rows": rows,
            "current": current,
            "names": names,
            "form": form,
            "review_form": review_form,
            "errors": form.error_list() + review_form.error_list(),
            "missing": missing,
            "completed": completed,
            "chronology_waiting": [
                required
                for required in section.requires
                if content.sections[required].section.kind == "chronology"
                and content.sections[required].section.title in missing
            ],
            "can_submit": page.can_edit and current_review and not waiting,
            "can_review": waiting and page.can_supervise and not own,
            "waiting": waiting,
            "is_own": own,
            "gate": gate,
            "level_options": [
                (level.id, level.label, _plain(level.meaning)) for level in content.levels
            ],
            "gate_options": [
                (option.id, option.label, option.hint) for option in getattr(gate, "options", ())
            ],
        },
    )


def _plain(markdown: str) -> str:
    """Level meanings are short Markdown paragraphs; radios show them as plain hints."""
    return " ".join(markdown.replace("*", "").split())


def _classification_id(page: FamilyPage, section_id: str) -> str:
    info = page.content.sections.get(section_id)
    if info is None or not isinstance(info.section, ClassificationSection):
        raise NotFound("This framework version has no such classification.")
    return section_id


@router.get("/{family_id}/classification/{classification_section}")
def classification_page(
    request: Request,
    session: SessionDep,
    page: ViewPage,
    classification_section: str,
    review: int | None = None,
    completed: str = "",
) -> Response:
    """The suggested level with its explanation, the practitioner's classification and the
    supervisor's review, with every earlier submission."""
    info = page.content.sections.get(classification_section)
    if info is not None and isinstance(info.section, GateSection):
        # Decisions have their own page (older links pointed here).
        return RedirectResponse(section_url(page.family, info.section), 303)
    section_id = _classification_id(page, classification_section)
    cycle = _cycle(page, section_id, review)
    return _classification_response(
        request,
        session,
        page,
        section_id,
        cycle=cycle,
        completed=page.content.section_titles.get(completed, ""),
    )


@router.post("/{family_id}/classification/{classification_section}")
def submit_classification(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    classification_section: str,
) -> Response:
    """Submit the practitioner's level and rationale for sign-off."""
    section_id = _classification_id(page, classification_section)
    form = ParsedForm(form_data)
    try:
        _posted_cycle(page, section_id, form_data)
        classification.submit(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            section_id=section_id,
            level=form.text("level"),
            rationale=form.text("rationale"),
            latest_id=form.text("latest"),
        )
    except (InvalidInput, Conflict) as problem:
        errors = problem.errors if isinstance(problem, InvalidInput) else {"level": str(problem)}
        state = FormState(values=dict(form.values), errors=errors)
        return _classification_response(request, session, page, section_id, form=state)
    url = f"/families/{page.family.id}/classification/{section_id}"
    return RedirectResponse(with_notice(url, "submitted"), 303)


@router.post("/{family_id}/classification/{classification_section}/sign-off")
def review_classification(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: SupervisePage,
    classification_section: str,
) -> Response:
    """The supervisor agrees (and, where nobody proposes it first, records the decision that
    follows) or disagrees."""
    family, content = page.family, page.content
    section_id = _classification_id(page, classification_section)
    form = ParsedForm(form_data)
    details = classification.Review(
        agrees={"yes": True, "no": False}.get(form.text("agrees")),
        comments=form.text("comments"),
        level=form.text("supervisor_level"),
        gate_option=form.text("gate_option"),
    )
    try:
        cycle = _posted_cycle(page, section_id, form_data)
        current = classification.latest(session, family.id, section_id, cycle)
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
        return _classification_response(request, session, page, section_id, review_form=state)
    url = f"/families/{family.id}/classification/{section_id}"
    return RedirectResponse(with_notice(url, "signed-off" if details.agrees else "sent-back"), 303)


# Content version -----------------------------------------------------------------------------


@router.get("/{family_id}/version")
def version_page(
    request: Request, session: SessionDep, registry: ContentDep, page: ViewPage
) -> Response:
    """The family's content version, and what moving to a newer one would change."""
    return _version_response(request, session, registry, page)


def _version_response(
    request: Request,
    session: Session,
    registry: ContentRegistry,
    page: FamilyPage,
    form: FormState | None = None,
) -> Response:
    family, content = page.family, page.content
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
            **page.context,
            "newer": newer,
            "changes": changes,
            "affected": content_move.answered_items(session, family, changes) if changes else {},
            "effect": effect,
            "can_edit": page.can_edit,
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
    page: EditPage,
) -> Response:
    """Move the family to the newer version, once the practitioner has confirmed."""
    form = ParsedForm(form_data)
    try:
        content_move.move(
            session,
            actor=actor,
            registry=registry,
            family=page.family,
            target_version=form.text("target"),
            confirmed=form.text("confirm") == "yes",
            expected_version=form.whole_number("version", "Version") or 0,
        )
    except (InvalidInput, Conflict) as problem:
        errors = problem.errors if isinstance(problem, InvalidInput) else {"confirm": str(problem)}
        state = FormState(values=dict(form.values), errors=errors)
        return _version_response(request, session, registry, page, state)
    return RedirectResponse(f"/families/{page.family.id}/version?moved=1", status_code=303)
