"""Pages of the journey after the first decision: each decision, the reviews, each child's
return home, visits after the return, outcomes at closure, and a later return to care."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session, col, select

from app.content.journey import shape
from app.deps import ActorDep, FormValues, SessionDep
from app.forms import FormState
from app.forms.family import ParsedForm, date_parts
from app.models.journey import OUTCOME_LABELS, ChildReturn, MonitoringVisit, Outcome, ReviewCycle
from app.models.progress import GateDecision
from app.routes.family_pages import (
    EditPage,
    FamilyPage,
    FollowUpPage,
    SupervisePage,
    ViewPage,
    confirm_delete,
    delete_page,
    section_url,
)
from app.services import accounts, audit, classification, decisions, prefill, progress, returns
from app.services.errors import Conflict, InvalidInput, NotFound
from app.templating import render

router = APIRouter(prefix="/families", include_in_schema=False)


# Decisions -----------------------------------------------------------------------------------


def _decision_response(
    request: Request,
    session: Session,
    page: FamilyPage,
    gate_id: str,
    *,
    review: int | None = None,
    form: FormState | None = None,
    proposal_form: FormState | None = None,
) -> Response:
    family, content, user = page.family, page.content, page.user
    gate = decisions.gate_section(content, gate_id)
    current_cycle = progress.current_cycle(content, family, gate_id)
    cycle = current_cycle if review is None or not 1 <= review <= current_cycle else review
    now = cycle == current_cycle
    proposal = decisions.pending_proposal(session, family.id, gate_id, cycle)
    decision = decisions.current_decision(session, family.id, gate_id, cycle)
    waiting = progress.waiting_for(session, family, content, gate_id, cycle)
    decided = (
        decision is not None
        and progress.load_state(session, family).statuses.get((gate_id, cycle)) in progress.DONE
    )
    history = [row for row in decisions.history(session, family.id, gate_id) if row.cycle == cycle]
    active = family.status == "active"
    own = user.id == family.allocated_practitioner_id or (
        proposal is not None and proposal.proposed_by_id == user.id
    )
    can_record = (
        now
        and active
        and not decided
        and not waiting
        and decisions.may_record(user, family, gate)
        and (gate.proposed_by is None or proposal is not None)
        and not own
    )
    can_propose = (
        now
        and active
        and not decided
        and not waiting
        and proposal is None
        and page.can_edit
        and decisions.may_propose(user, family, gate)
    )
    classification_before = next(
        (
            required
            for required in gate.requires
            if content.sections[required].section.kind == "classification"
        ),
        None,
    )
    classified = (
        classification.latest(session, family.id, classification_before, cycle)
        if classification_before
        else None
    )
    options = {option.id: option for option in gate.options}
    form = form or FormState(
        values={"option": proposal.option_id if proposal else "", **_held(proposal)}
    )
    proposal_form = proposal_form or FormState()
    review_row = session.exec(
        select(ReviewCycle).where(
            col(ReviewCycle.family_id) == family.id, col(ReviewCycle.number) == cycle
        )
    ).first()
    return render(
        request,
        "views/journey/decision.html",
        {
            **page.context,
            "gate": gate,
            "review": cycle,
            "review_row": review_row,
            "is_review": gate.recurrence == "each_review",
            "proposal": proposal,
            "decision": decision,
            "decided": decided,
            "history": history,
            "options": options,
            "option_items": [(option.id, option.label, option.hint) for option in gate.options],
            "effects": {
                option.id: shape(content).effect(gate_id, option.id) for option in gate.options
            },
            "waiting": waiting,
            "can_record": can_record,
            "can_propose": can_propose,
            "own": own and decisions.may_record(user, family, gate) is False,
            "classified": classified,
            "classification_section": classification_before,
            "levels": {level.id: level for level in content.levels},
            "basis": decisions.basis(proposal, decision),
            "names": accounts.staff_names(
                session,
                {row.decided_by_id for row in history}
                | {proposal.proposed_by_id if proposal else None},
            ),
            "form": form,
            "proposal_form": proposal_form,
            "errors": form.error_list() + proposal_form.error_list(),
            "section_url": section_url,
        },
    )


HELD_ANCHOR = {"held_on": "held_on-day"}


def _held(proposal: Any) -> dict[str, str]:
    return date_parts("held_on", proposal.held_on) if proposal and proposal.held_on else {}


@router.get("/{family_id}/decisions/{gate_id}")
def decision_page(
    request: Request, session: SessionDep, page: ViewPage, gate_id: str, review: int | None = None
) -> Response:
    """A decision of the framework: its options and what each leads to, the proposal, the
    decision with its reasons, and every earlier decision at this point."""
    return _decision_response(request, session, page, gate_id, review=review)


def _choice(form: ParsedForm, gate_recurs: bool) -> decisions.Choice:
    held_on = form.date("held_on", "The date of the review meeting") if gate_recurs else None
    return decisions.Choice(
        option=form.text("option"),
        reason=form.text("reason"),
        held_on=held_on,
        basis=form.text("basis"),
    )


@router.post("/{family_id}/decisions/{gate_id}/practitioner")
def practitioners_decision(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    gate_id: str,
) -> Response:
    """The practitioner's part in a decision: a proposal for a manager to decide on, or the
    decision itself where the content says the practitioner records it."""
    gate = decisions.gate_section(page.content, gate_id)
    form = ParsedForm(form_data)
    choice = _choice(form, gate.recurrence == "each_review")
    records = gate.recorded_by == "practitioner"
    try:
        if form.errors:
            raise InvalidInput(dict(form.errors))
        if not records and gate.proposed_by is None:
            raise InvalidInput({"option": "A manager records this decision; nothing to propose"})
        act = decisions.record if records else decisions.propose
        act(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            gate_id=gate_id,
            choice=choice,
        )
    except (InvalidInput, Conflict) as problem:
        errors = problem.errors if isinstance(problem, InvalidInput) else {"option": str(problem)}
        state = FormState(values=dict(form.values), errors=errors, anchors=HELD_ANCHOR)
        if records:
            return _decision_response(request, session, page, gate_id, form=state)
        return _decision_response(request, session, page, gate_id, proposal_form=state)
    if records:
        return RedirectResponse(f"/families/{page.family.id}?decided={gate_id}", 303)
    return RedirectResponse(f"/families/{page.family.id}/decisions/{gate_id}?proposed=1", 303)


@router.post("/{family_id}/decisions/{gate_id}")
def record_decision(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: SupervisePage,
    gate_id: str,
) -> Response:
    """A supervisor records the decision, and what the chosen option does is carried out."""
    gate = decisions.gate_section(page.content, gate_id)
    form = ParsedForm(form_data)
    choice = _choice(form, gate.recurrence == "each_review")
    try:
        if form.errors:
            raise InvalidInput(dict(form.errors))
        decisions.record(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            gate_id=gate_id,
            choice=choice,
        )
    except (InvalidInput, Conflict) as problem:
        errors = problem.errors if isinstance(problem, InvalidInput) else {"option": str(problem)}
        state = FormState(
            values=dict(form.values), errors=errors, anchors={"held_on": "held_on-day"}
        )
        return _decision_response(request, session, page, gate_id, form=state)
    return RedirectResponse(f"/families/{page.family.id}?decided={gate_id}", 303)


# Reviews -------------------------------------------------------------------------------------


@router.get("/{family_id}/reviews")
def reviews_page(request: Request, session: SessionDep, page: ViewPage) -> Response:
    """Every review of the agreement: when it was due and held, what each of its sections
    holds, and the decision; the review under way first."""
    family, content = page.family, page.content
    journey = shape(content)
    state = progress.load_state(session, family)
    cycles = list(reversed(state.cycles))
    decided = session.exec(
        select(GateDecision)
        .where(col(GateDecision.family_id) == family.id, col(GateDecision.cycle) > 0)
        .order_by(col(GateDecision.decided_at))
    ).all()
    rows = []
    for cycle in cycles:
        sections = []
        for section_id in journey.review_sections(cycle.phase):
            section = journey.section(section_id)
            status = state.statuses.get((section_id, cycle.number))
            decision = next(
                (
                    item
                    for item in reversed(decided)
                    if item.gate_id == section_id and item.cycle == cycle.number
                ),
                None,
            )
            sections.append(
                {
                    "section": section,
                    "href": section_url(family, section, cycle.number),
                    "status": progress.STATUS_LABELS[status] if status else "Not started",
                    "outcome": _option_label(section, decision.option_id) if decision else None,
                }
            )
        rows.append({"cycle": cycle, "sections": sections})
    return render(
        request,
        "views/journey/reviews.html",
        {
            **page.context,
            "rows": rows,
            "overdue": progress.is_overdue(family.next_review_due),
            "cadence": content.cadence,
        },
    )


def _option_label(section: Any, option_id: str) -> str:
    for option in getattr(section, "options", ()):
        if option.id == option_id:
            return str(option.label)
    return option_id


# Going home ----------------------------------------------------------------------------------


def _going_home_response(
    request: Request,
    session: Session,
    page: FamilyPage,
    *,
    form: FormState | None = None,
) -> Response:
    family, content = page.family, page.content
    section = returns.returns_section(content)
    children = returns.children(session, family)
    recorded = returns.child_returns(session, family.id)
    home = progress.children_at_home(session, family.id)
    back = returns.reentries(session, family.id)
    waiting = progress.waiting_for(session, family, content, section.id, 0)
    if form is None:
        # A fresh form starts from the record: the child, their legal status, the carer.
        values, notes = prefill.return_home(
            session, family=family, children=[child for child in children if child.id not in home]
        )
        form = FormState(values=values, notes=notes)
    return render(
        request,
        "views/journey/going-home.html",
        {
            **page.context,
            "section": section,
            "children": children,
            "names": {child.id: child.name for child in children},
            "returns": recorded,
            "home": home,
            "back": back,
            "waiting": waiting,
            "can_record": page.can_edit and not waiting,
            "types": {option.id: option for option in section.return_types},
            "type_items": [(o.id, o.label, o.hint) for o in section.return_types],
            "child_items": [
                (str(child.id), child.name) for child in children if child.id not in home
            ],
            "carer_items": [
                (
                    str(adult.id),
                    adult.name,
                    "Has parental responsibility"
                    if adult.parental_responsibility
                    else "Does not have parental responsibility",
                )
                for adult in returns.adults(session, family)
            ]
            + [(returns.SOMEONE_ELSE, "Someone else", "Give their name below")],
            "legal_items": [(term.id, term.label) for term in content.vocabulary.legal_statuses],
            "form": form,
            "errors": form.error_list(),
        },
    )


def _return_details(form: ParsedForm) -> returns.ReturnDetails:
    return returns.ReturnDetails(
        child_id=form.text("child_id"),
        returned_on=form.date("returned_on", "The date the child went home"),
        return_type=form.text("return_type"),
        carer=form.text("carer"),
        carer_name=form.text("carer_name"),
        carer_has_parental_responsibility=form.yes_no("carer_has_parental_responsibility"),
        legal_status=form.text("legal_status"),
        notes=form.text("notes"),
    )


def _form_errors(form: ParsedForm, problem: InvalidInput) -> FormState:
    state = FormState(values=dict(form.values), errors={**form.errors, **problem.errors})
    for name in ("returned_on", "visited_on", "entered_on", "held_on"):
        state.anchors[name] = f"{name}-day"
    return state


@router.get("/{family_id}/going-home")
def going_home(request: Request, session: SessionDep, page: ViewPage) -> Response:
    """Each child's return home in this plan, and the form to record one."""
    return _going_home_response(request, session, page)


@router.post("/{family_id}/going-home")
def record_return(
    form_data: FormValues, request: Request, session: SessionDep, actor: ActorDep, page: EditPage
) -> Response:
    """Record that a child went home."""
    form = ParsedForm(form_data)
    try:
        details = _return_details(form)
        if form.errors:
            raise InvalidInput(dict(form.errors))
        returns.record_return(
            session, actor=actor, family=page.family, content=page.content, details=details
        )
    except InvalidInput as problem:
        return _going_home_response(request, session, page, form=_form_errors(form, problem))
    except Conflict as problem:
        state = FormState(values=dict(form.values), errors={"child_id": str(problem)})
        return _going_home_response(request, session, page, form=state)
    return RedirectResponse(f"/families/{page.family.id}/going-home?recorded=1", 303)


def _carer_pr(row: ChildReturn) -> str:
    if row.carer_adult_id:
        return ""
    return "yes" if row.carer_has_parental_responsibility else "no"


def _return_form(
    request: Request,
    session: Session,
    page: FamilyPage,
    row: ChildReturn,
    form: FormState | None = None,
) -> Response:
    section = returns.returns_section(page.content)
    child = next(c for c in returns.children(session, page.family) if c.id == row.child_id)
    form = form or FormState(
        values={
            "child_id": str(row.child_id),
            **date_parts("returned_on", row.returned_on),
            "return_type": row.return_type,
            "carer": str(row.carer_adult_id) if row.carer_adult_id else returns.SOMEONE_ELSE,
            "carer_name": "" if row.carer_adult_id else row.carer_name,
            "carer_has_parental_responsibility": (
                ""
                if row.carer_adult_id
                else ("yes" if row.carer_has_parental_responsibility else "no")
            ),
            "legal_status": row.legal_status,
            "notes": row.notes or "",
            "version": row.version,
        }
    )
    return render(
        request,
        "views/journey/return-form.html",
        {
            **page.context,
            "row": row,
            "child": child,
            "type_items": [(o.id, o.label, o.hint) for o in section.return_types],
            "carer_items": [
                (str(adult.id), adult.name) for adult in returns.adults(session, page.family)
            ]
            + [(returns.SOMEONE_ELSE, "Someone else")],
            "legal_items": [(t.id, t.label) for t in page.content.vocabulary.legal_statuses],
            "form": form,
            "errors": form.error_list(),
        },
    )


@router.get("/{family_id}/going-home/{child_return_id}")
def edit_return(
    request: Request, session: SessionDep, page: EditPage, child_return_id: uuid.UUID
) -> Response:
    """Correct a recorded return home."""
    return _return_form(
        request, session, page, returns.get_return(session, page.family, child_return_id)
    )


@router.post("/{family_id}/going-home/{child_return_id}")
def update_return(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_return_id: uuid.UUID,
) -> Response:
    row = returns.get_return(session, page.family, child_return_id)
    form = ParsedForm(form_data)
    try:
        details = _return_details(form)
        if form.errors:
            raise InvalidInput(dict(form.errors))
        returns.update_return(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            row=row,
            details=details,
            expected_version=form.whole_number("version", "Version") or 0,
        )
    except InvalidInput as problem:
        return _return_form(request, session, page, row, _form_errors(form, problem))
    except Conflict as problem:
        state = FormState(
            values={**form.values, "version": row.version}, errors={"child_id": str(problem)}
        )
        return _return_form(request, session, page, row, state)
    return RedirectResponse(f"/families/{page.family.id}/going-home", 303)


@router.get("/{family_id}/going-home/{child_return_id}/delete")
def delete_return_page(
    request: Request, session: SessionDep, page: EditPage, child_return_id: uuid.UUID
) -> Response:
    row = returns.get_return(session, page.family, child_return_id)
    return delete_page(
        request,
        page.family,
        "this return home",
        f"/families/{page.family.id}/going-home",
        row.version,
    )


@router.post("/{family_id}/going-home/{child_return_id}/delete")
def delete_return(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    child_return_id: uuid.UUID,
) -> Response:
    """Delete a return recorded by mistake, with the reason."""
    row = returns.get_return(session, page.family, child_return_id)
    return _delete(request, form_data, session, actor, page, row, "this return home", "going-home")


def _delete(
    request: Request,
    form_data: dict[str, Any],
    session: Session,
    actor: audit.Actor,
    page: FamilyPage,
    row: ChildReturn | MonitoringVisit,
    what: str,
    listing: str,
) -> Response:
    def remove(reason: str, expected_version: int) -> None:
        returns.delete_record(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            row=row,
            reason=reason,
            expected_version=expected_version,
        )

    back = f"/families/{page.family.id}/{listing}"
    return confirm_delete(
        request, form_data, page.family, remove, what=what, back=back, version=row.version
    )


# Visits after the return ------------------------------------------------------------------------


def _visits_response(
    request: Request,
    session: Session,
    page: FamilyPage,
    *,
    form: FormState | None = None,
    row: MonitoringVisit | None = None,
) -> Response:
    family, content = page.family, page.content
    section_id = shape(content).monitoring_section
    if section_id is None:
        raise NotFound("This framework version does not record visits after a return.")
    children = returns.children(session, family)
    gone_home = {item.child_id for item in returns.child_returns(session, family.id)}
    recorded = returns.visits(session, family.id)
    waiting = progress.waiting_for(session, family, content, section_id, 0)
    form = form or FormState(values={"version": row.version} if row else {})
    return render(
        request,
        "views/journey/visits.html",
        {
            **page.context,
            "section": content.sections[section_id].section,
            "visits": [
                (
                    visit,
                    ", ".join(
                        f"{_child_name(children, item.child_id)}"
                        + (" (alone)" if item.seen_alone else "")
                        for item in seen
                    ),
                )
                for visit, seen in recorded
            ],
            "row": row,
            "names": {child.id: child.name for child in children},
            "child_items": [(str(c.id), c.name) for c in children if c.id in gone_home],
            "monitoring": [
                (next((c.name for c in children if c.id == item.child_id), ""), item)
                for item in returns.child_returns(session, family.id)
            ],
            "waiting": waiting,
            "can_record": page.can_edit and not waiting,
            "recorders": accounts.staff_names(
                session, {visit.recorded_by_id for visit, _ in recorded}
            ),
            "form": form,
            "errors": form.error_list(),
        },
    )


def _child_name(children: list[Any], child_id: uuid.UUID) -> str:
    return next((child.name for child in children if child.id == child_id), "")


def _visit_details(form: ParsedForm, form_data: FormValues) -> returns.VisitDetails:
    def listed(name: str) -> list[str]:
        raw = form_data.get(name, [])
        return [str(item) for item in (raw if isinstance(raw, list) else [raw]) if item]

    return returns.VisitDetails(
        visited_on=form.date("visited_on", "The date of the visit"),
        seen=listed("seen"),
        seen_alone=listed("seen_alone"),
        concerns=form.text("concerns"),
        actions=form.text("actions"),
        support_in_place=form.yes_no("support_in_place"),
    )


@router.get("/{family_id}/visits")
def visits_page(request: Request, session: SessionDep, page: ViewPage) -> Response:
    """Visits after the return, newest first, and the form to record one."""
    return _visits_response(request, session, page)


@router.post("/{family_id}/visits")
def record_visit(
    form_data: FormValues, request: Request, session: SessionDep, actor: ActorDep, page: EditPage
) -> Response:
    form = ParsedForm(form_data)
    try:
        details = _visit_details(form, form_data)
        if form.errors:
            raise InvalidInput(dict(form.errors))
        returns.record_visit(
            session, actor=actor, family=page.family, content=page.content, details=details
        )
    except InvalidInput as problem:
        return _visits_response(request, session, page, form=_form_errors(form, problem))
    except Conflict as problem:
        state = FormState(values=dict(form.values), errors={"visited_on": str(problem)})
        return _visits_response(request, session, page, form=state)
    return RedirectResponse(f"/families/{page.family.id}/visits?recorded=1", 303)


def _visit_values(row: MonitoringVisit, seen: list[Any]) -> dict[str, Any]:
    return {
        **date_parts("visited_on", row.visited_on),
        "seen": [str(item.child_id) for item in seen],
        "seen_alone": [str(item.child_id) for item in seen if item.seen_alone],
        "concerns": row.concerns or "",
        "actions": row.actions or "",
        "support_in_place": "yes" if row.support_in_place else "no",
        "version": row.version,
    }


@router.get("/{family_id}/visits/{visit_id}")
def edit_visit(
    request: Request, session: SessionDep, page: EditPage, visit_id: uuid.UUID
) -> Response:
    """Correct a recorded visit."""
    row = returns.get_visit(session, page.family, visit_id)
    seen = next(
        children
        for visit, children in returns.visits(session, page.family.id)
        if visit.id == row.id
    )
    return _visits_response(
        request, session, page, form=FormState(values=_visit_values(row, seen)), row=row
    )


@router.post("/{family_id}/visits/{visit_id}")
def update_visit(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    visit_id: uuid.UUID,
) -> Response:
    row = returns.get_visit(session, page.family, visit_id)
    form = ParsedForm(form_data)
    try:
        details = _visit_details(form, form_data)
        if form.errors:
            raise InvalidInput(dict(form.errors))
        returns.update_visit(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            row=row,
            details=details,
            expected_version=form.whole_number("version", "Version") or 0,
        )
    except InvalidInput as problem:
        return _visits_response(request, session, page, form=_form_errors(form, problem), row=row)
    except Conflict as problem:
        state = FormState(
            values={**form.values, "version": row.version}, errors={"visited_on": str(problem)}
        )
        return _visits_response(request, session, page, form=state, row=row)
    return RedirectResponse(f"/families/{page.family.id}/visits", 303)


@router.get("/{family_id}/visits/{visit_id}/delete")
def delete_visit_page(
    request: Request, session: SessionDep, page: EditPage, visit_id: uuid.UUID
) -> Response:
    row = returns.get_visit(session, page.family, visit_id)
    back = f"/families/{page.family.id}/visits"
    return delete_page(request, page.family, "this visit", back, row.version)


@router.post("/{family_id}/visits/{visit_id}/delete")
def delete_visit(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    visit_id: uuid.UUID,
) -> Response:
    """Delete a visit recorded by mistake, with the reason."""
    row = returns.get_visit(session, page.family, visit_id)
    return _delete(request, form_data, session, actor, page, row, "this visit", "visits")


# Outcomes ------------------------------------------------------------------------------------


def _outcomes_response(
    request: Request,
    session: Session,
    page: FamilyPage,
    *,
    form: FormState | None = None,
) -> Response:
    family, content = page.family, page.content
    section = returns.outcomes_section(content)
    children = returns.children(session, family)
    saved = returns.outcomes(session, family.id)
    back: dict[uuid.UUID, Any] = {}
    for item in returns.reentries(session, family.id):
        back.setdefault(item.child_id, item)
    values: dict[str, Any] = {}
    for child in children:
        row = saved.get(child.id)
        key = str(child.id)
        values[f"version-{key}"] = row.version if row else 0
        if row is not None:
            values[f"outcome-{key}"] = row.outcome
            values[f"details-{key}"] = row.details or ""
            if row.returned_to_care_on:
                values.update(date_parts(f"returned-{key}", row.returned_to_care_on))
        elif child.id in back:
            # A return to care already recorded: offered, to confirm.
            values[f"outcome-{key}"] = Outcome.RETURNED_TO_CARE.value
            values[f"details-{key}"] = back[child.id].reason
            values.update(date_parts(f"returned-{key}", back[child.id].entered_on))
    form = form or FormState(values=values)
    waiting = progress.waiting_for(session, family, content, section.id, 0)
    return render(
        request,
        "views/journey/outcomes.html",
        {
            **page.context,
            "section": section,
            "children": children,
            "saved": saved,
            "outcome_items": [(item.value, OUTCOME_LABELS[item]) for item in Outcome],
            "labels": {item.value: OUTCOME_LABELS[item] for item in Outcome},
            "waiting": waiting,
            "can_record": page.can_edit and not waiting,
            "form": form,
            "errors": form.error_list(),
        },
    )


@router.get("/{family_id}/outcomes")
def outcomes_page(request: Request, session: SessionDep, page: ViewPage) -> Response:
    """Each child's outcome, recorded for the closure decision."""
    return _outcomes_response(request, session, page)


@router.post("/{family_id}/outcomes")
def save_outcomes(
    form_data: FormValues, request: Request, session: SessionDep, actor: ActorDep, page: EditPage
) -> Response:
    form = ParsedForm(form_data)
    posted: dict[str, returns.OutcomeDetails] = {}
    for child in returns.children(session, page.family):
        key = str(child.id)
        posted[key] = returns.OutcomeDetails(
            outcome=form.text(f"outcome-{key}"),
            returned_to_care_on=form.date(
                f"returned-{key}", "The date the child came back into care"
            ),
            details=form.text(f"details-{key}"),
            version=form.whole_number(f"version-{key}", "Version") or 0,
        )
    try:
        if form.errors:
            raise InvalidInput(dict(form.errors))
        returns.save_outcomes(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            posted=posted,
            complete=form.text("action") == "complete",
        )
    except InvalidInput as problem:
        state = FormState(values=dict(form.values), errors={**form.errors, **problem.errors})
        for key in posted:
            state.anchors[f"returned-{key}"] = f"returned-{key}-day"
        return _outcomes_response(request, session, page, form=state)
    except Conflict as problem:
        state = FormState(values=dict(form.values), errors={"outcomes": str(problem)})
        return _outcomes_response(request, session, page, form=state)
    return RedirectResponse(f"/families/{page.family.id}", 303)


# Back into care ------------------------------------------------------------------------------


def _back_response(
    request: Request, session: Session, page: FamilyPage, form: FormState | None = None
) -> Response:
    family = page.family
    gone_home = {item.child_id for item in returns.child_returns(session, family.id)}
    children = returns.children(session, family)
    form = form or FormState()
    return render(
        request,
        "views/journey/back-into-care.html",
        {
            **page.context,
            "child_items": [(str(c.id), c.name) for c in children if c.id in gone_home],
            "recorded": returns.reentries(session, family.id),
            "names": {child.id: child.name for child in children},
            "form": form,
            "errors": form.error_list(),
        },
    )


@router.get("/{family_id}/back-into-care")
def back_into_care(request: Request, session: SessionDep, page: FollowUpPage) -> Response:
    """Record that a child who went home came back into care, also after the case closed."""
    return _back_response(request, session, page)


@router.post("/{family_id}/back-into-care")
def record_back_into_care(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: FollowUpPage,
) -> Response:
    form = ParsedForm(form_data)
    try:
        entered_on = form.date("entered_on", "The date the child came back into care")
        if form.errors:
            raise InvalidInput(dict(form.errors))
        returns.record_reentry(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            child_id=form.text("child_id"),
            entered_on=entered_on,
            reason=form.text("reason"),
        )
    except InvalidInput as problem:
        return _back_response(request, session, page, _form_errors(form, problem))
    return RedirectResponse(f"/families/{page.family.id}?back_into_care=1", 303)
