"""After the decision to go ahead: each child's return home (date, carer, whether it was
planned), visits after the return, each child's outcome when the case closes, and a child's
return to care (during monitoring, or after the case closed, kept for reports)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.content.journey import shape
from app.content.model import FrameworkContent
from app.content.schema import OutcomesSection, ReturnOption, ReturnsSection
from app.db import atomic
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.models.family import Adult, Child, Family
from app.models.journey import (
    OUTCOME_LABELS,
    CareReentry,
    ChildOutcome,
    ChildReturn,
    FamilyStatus,
    MonitoringVisit,
    MonitoringVisitChild,
    Outcome,
)
from app.models.progress import SectionStatus
from app.services import audit, progress
from app.services.decisions import PLAN_NOT_ACTIVE
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.locking import check_version, saving
from app.services.records import Problems, soft_delete
from app.timeutil import LONDON, format_date

TEXT_MAX = 5000
SOMEONE_ELSE = "someone-else"
OUTCOME_TAKEN = (
    "Someone else recorded outcomes for this family at the same time, so yours were not saved. "
    "Check the outcomes as they are now, then save again."
)


# --- reading -----------------------------------------------------------------------------------


def returns_section(content: FrameworkContent) -> ReturnsSection:
    section_id = shape(content).returns_section
    section = content.sections[section_id].section if section_id else None
    if not isinstance(section, ReturnsSection):
        raise NotFound("This framework version does not record returns home.")
    return section


def outcomes_section(content: FrameworkContent) -> OutcomesSection:
    section_id = shape(content).outcomes_section
    section = content.sections[section_id].section if section_id else None
    if not isinstance(section, OutcomesSection):
        raise NotFound("This framework version does not record outcomes.")
    return section


def children(session: Session, family: Family) -> list[Child]:
    return list(
        session.exec(
            select(Child)
            .where(col(Child.family_id) == family.id, col(Child.deleted_at).is_(None))
            .order_by(col(Child.date_of_birth), col(Child.name))
        ).all()
    )


def adults(session: Session, family: Family) -> list[Adult]:
    return list(
        session.exec(
            select(Adult)
            .where(col(Adult.family_id) == family.id, col(Adult.deleted_at).is_(None))
            .order_by(col(Adult.created_at), col(Adult.name))
        ).all()
    )


def child_returns(session: Session, family_id: uuid.UUID) -> list[ChildReturn]:
    return list(
        session.exec(
            select(ChildReturn)
            .where(col(ChildReturn.family_id) == family_id, col(ChildReturn.deleted_at).is_(None))
            .order_by(col(ChildReturn.returned_on), col(ChildReturn.created_at))
        ).all()
    )


def visits(
    session: Session, family_id: uuid.UUID
) -> list[tuple[MonitoringVisit, list[MonitoringVisitChild]]]:
    """Every visit after a return, newest first, with who was seen."""
    rows = session.exec(
        select(MonitoringVisit)
        .where(
            col(MonitoringVisit.family_id) == family_id, col(MonitoringVisit.deleted_at).is_(None)
        )
        .order_by(col(MonitoringVisit.visited_on).desc(), col(MonitoringVisit.created_at).desc())
    ).all()
    seen = session.exec(
        select(MonitoringVisitChild).where(
            col(MonitoringVisitChild.visit_id).in_([row.id for row in rows])
        )
    ).all()
    return [(row, [item for item in seen if item.visit_id == row.id]) for row in rows]


def outcomes(session: Session, family_id: uuid.UUID) -> dict[uuid.UUID, ChildOutcome]:
    rows = session.exec(
        select(ChildOutcome).where(
            col(ChildOutcome.family_id) == family_id, col(ChildOutcome.deleted_at).is_(None)
        )
    ).all()
    return {row.child_id: row for row in rows}


def reentries(session: Session, family_id: uuid.UUID) -> list[CareReentry]:
    return list(
        session.exec(
            select(CareReentry)
            .where(col(CareReentry.family_id) == family_id, col(CareReentry.deleted_at).is_(None))
            .order_by(col(CareReentry.entered_on))
        ).all()
    )


def return_type(section: ReturnsSection, type_id: str) -> ReturnOption | None:
    return next((option for option in section.return_types if option.id == type_id), None)


def _child_of(
    session: Session, family: Family, child_id: str, problems: Problems, field: str
) -> Child | None:
    try:
        wanted = uuid.UUID(child_id)
    except ValueError:
        wanted = None
    child = session.get(Child, wanted) if wanted else None
    if child is None or child.family_id != family.id or child.deleted_at is not None:
        problems.add(field, "Select a child from this family")
        return None
    return child


def _can_record(
    session: Session, family: Family, content: FrameworkContent, section_id: str | None
) -> None:
    if family.status != FamilyStatus.ACTIVE:
        raise Conflict(PLAN_NOT_ACTIVE)
    if section_id is None:
        raise NotFound("This framework version has no such section.")
    held = progress.cannot_start(session, family, content, section_id, 0, doing="recorded")
    if held:
        raise InvalidInput({"section": held})


# --- returns home ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnDetails:
    child_id: str
    returned_on: date | None
    return_type: str
    carer: str  # an adult's id, or SOMEONE_ELSE
    carer_name: str
    carer_has_parental_responsibility: bool | None
    legal_status: str
    notes: str


@dataclass(frozen=True)
class CheckedReturn:
    child: Child
    values: dict[str, object]


def _check_return(
    session: Session,
    family: Family,
    content: FrameworkContent,
    details: ReturnDetails,
    *,
    editing: ChildReturn | None = None,
) -> CheckedReturn:
    section = returns_section(content)
    problems = Problems()
    child = _child_of(session, family, details.child_id, problems, "child_id")
    option = return_type(section, details.return_type)
    if option is None:
        problems.add("return_type", "Select how the return happened")
    if details.returned_on is None:
        problems.add("returned_on", "Enter the date the child went home")
    problems.past_date("returned_on", details.returned_on, label="the date the child went home")
    if child is not None and details.returned_on is not None:
        if details.returned_on < child.date_entered_care:
            problems.add(
                "returned_on",
                f"The date must be after {child.name} came into care "
                f"({format_date(child.date_entered_care)})",
            )
        # What is stored now, not what the page read earlier in this transaction.
        home = progress.children_at_home(session, family.id, fresh=True)
        if editing is None and child.id in home:
            problems.add(
                "child_id",
                f"{child.name} is already recorded as at home (since "
                f"{format_date(home[child.id])}); record a return to care first if they came back",
            )
        if option is not None and option.planned:
            allowed = _allowed_from(session, family, content)
            if allowed is not None and details.returned_on < allowed:
                problems.add(
                    "returned_on",
                    "A planned return cannot be before the decision that allowed it "
                    f"({format_date(allowed)}); if the child went home earlier, the return was "
                    "not planned",
                )
    carer_name, has_pr, adult_id = "", None, None
    if details.carer == SOMEONE_ELSE:
        carer_name = (
            problems.text(
                "carer_name", details.carer_name, label="the carer's name", max_length=120
            )
            or ""
        )
        if details.carer_has_parental_responsibility is None:
            problems.add(
                "carer_has_parental_responsibility",
                "Select whether the carer has parental responsibility for the child",
            )
        has_pr = details.carer_has_parental_responsibility
    else:
        adult = next(
            (item for item in adults(session, family) if str(item.id) == details.carer), None
        )
        if adult is None:
            problems.add("carer", "Select who the child went home to")
        else:
            carer_name, has_pr, adult_id = adult.name, adult.parental_responsibility, adult.id
    statuses = {term.id: term.label for term in content.vocabulary.legal_statuses}
    legal = problems.choice(
        "legal_status",
        details.legal_status,
        statuses,
        missing="Select the child's legal status on going home",
    )
    notes = problems.text(
        "notes", details.notes, label="the notes", max_length=TEXT_MAX, required=False
    )
    problems.raise_if_any()
    assert child is not None
    assert option is not None
    assert details.returned_on is not None
    return CheckedReturn(
        child=child,
        values={
            "returned_on": details.returned_on,
            "return_type": option.id,
            "planned": option.planned,
            "carer_adult_id": adult_id,
            "carer_name": carer_name,
            "carer_has_parental_responsibility": bool(has_pr),
            "legal_status": legal,
            "notes": notes,
            "monitor_until": progress.monitoring_until(content, details.returned_on),
        },
    )


def _allowed_from(session: Session, family: Family, content: FrameworkContent) -> date | None:
    """The date the return home was allowed: the meeting at which the decision it waits for
    was made (a review's), or the day the decision was recorded."""
    section = returns_section(content)
    state = progress.load_state(session, family)
    dates = [
        decision.held_on or decision.decided_at.astimezone(LONDON).date()
        for (gate_id, _cycle), decision in state.decisions.items()
        if gate_id in section.requires
    ]
    return max(dates) if dates else None


@atomic
def record_return(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    details: ReturnDetails,
) -> ChildReturn:
    """Record that a child went home. It starts their monitoring, and the review under way
    becomes a review after the return (due sooner, on the content's after-return cadence)."""
    _can_record(session, family, content, shape(content).returns_section)
    checked = _check_return(session, family, content, details)
    row = ChildReturn(
        family_id=family.id,
        child_id=checked.child.id,
        content_version=content.version,
        recorded_by_id=actor.user_id,
        **checked.values,  # type: ignore[arg-type]
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="child_return",
        entity_id=row.id,
        family_id=family.id,
        details=audit.changes({}, {"child": checked.child.name, **checked.values}),
    )
    progress.refresh_family(session, family, content)
    return row


@atomic
def update_return(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    row: ChildReturn,
    details: ReturnDetails,
    expected_version: int,
) -> ChildReturn:
    """Correct a recorded return."""
    if family.status != FamilyStatus.ACTIVE:
        raise Conflict(PLAN_NOT_ACTIVE)
    check_version(row, expected_version)
    checked = _check_return(session, family, content, details, editing=row)
    if checked.child.id != row.child_id:
        raise InvalidInput({"child_id": "A return cannot be moved to another child; delete it"})
    before = {name: getattr(row, name) for name in checked.values}
    with saving(session, row):
        for name, value in checked.values.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        audit.record(
            session,
            actor,
            AuditAction.UPDATE,
            entity_type="child_return",
            entity_id=row.id,
            family_id=family.id,
            details=audit.changes(before, checked.values),
        )
    progress.refresh_family(session, family, content)
    return row


def get_return(session: Session, family: Family, return_id: uuid.UUID) -> ChildReturn:
    row = session.get(ChildReturn, return_id)
    if row is None or row.family_id != family.id or row.deleted_at is not None:
        raise NotFound("There is no such return home in this family's record.")
    return row


# --- visits after the return -------------------------------------------------------------------


@dataclass(frozen=True)
class VisitDetails:
    visited_on: date | None
    seen: Sequence[str]
    seen_alone: Sequence[str]
    concerns: str
    actions: str
    support_in_place: bool | None


def _check_visit(
    session: Session, family: Family, details: VisitDetails
) -> tuple[dict[str, object], list[tuple[uuid.UUID, bool]]]:
    problems = Problems()
    if details.visited_on is None:
        problems.add("visited_on", "Enter the date of the visit")
    problems.past_date("visited_on", details.visited_on, label="the date of the visit")
    went_home = {row.child_id: row.returned_on for row in child_returns(session, family.id)}
    names = {str(child.id): child for child in children(session, family)}
    seen: list[tuple[uuid.UUID, bool]] = []
    for child_id in dict.fromkeys(details.seen):
        child = names.get(child_id)
        if child is None or child.id not in went_home:
            problems.add("seen", "Select only children who have gone home")
            break
        if details.visited_on is not None and details.visited_on < went_home[child.id]:
            problems.add(
                "visited_on",
                f"The visit is before {child.name} went home "
                f"({format_date(went_home[child.id])}); check the date",
            )
        seen.append((child.id, child_id in details.seen_alone))
    if not seen and "seen" not in problems.errors:
        problems.add("seen", "Select each child you saw at this visit")
    if any(child_id not in details.seen for child_id in details.seen_alone):
        problems.add("seen_alone", "A child can only be seen alone if they were seen")
    if details.support_in_place is None:
        problems.add("support_in_place", "Select whether the planned support is still in place")
    concerns = problems.text(
        "concerns", details.concerns, label="the concerns", max_length=TEXT_MAX, required=False
    )
    actions = problems.text(
        "actions", details.actions, label="what was done", max_length=TEXT_MAX, required=False
    )
    problems.raise_if_any()
    return (
        {
            "visited_on": details.visited_on,
            "concerns": concerns,
            "actions": actions,
            "support_in_place": bool(details.support_in_place),
        },
        seen,
    )


@atomic
def record_visit(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    details: VisitDetails,
) -> MonitoringVisit:
    """Record a visit after a return."""
    _can_record(session, family, content, shape(content).monitoring_section)
    values, seen = _check_visit(session, family, details)
    row = MonitoringVisit(family_id=family.id, recorded_by_id=actor.user_id, **values)  # type: ignore[arg-type]
    session.add(row)
    session.flush()
    for child_id, alone in seen:
        session.add(MonitoringVisitChild(visit_id=row.id, child_id=child_id, seen_alone=alone))
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="monitoring_visit",
        entity_id=row.id,
        family_id=family.id,
        details=audit.changes(
            {},
            {
                **values,
                "seen": [str(child_id) for child_id, _ in seen],
                "seen_alone": [str(child_id) for child_id, alone in seen if alone],
            },
        ),
    )
    progress.refresh_family(session, family, content)
    return row


def get_visit(session: Session, family: Family, visit_id: uuid.UUID) -> MonitoringVisit:
    row = session.get(MonitoringVisit, visit_id)
    if row is None or row.family_id != family.id or row.deleted_at is not None:
        raise NotFound("There is no such visit in this family's record.")
    return row


@atomic
def update_visit(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    row: MonitoringVisit,
    details: VisitDetails,
    expected_version: int,
) -> MonitoringVisit:
    if family.status != FamilyStatus.ACTIVE:
        raise Conflict(PLAN_NOT_ACTIVE)
    check_version(row, expected_version)
    values, seen = _check_visit(session, family, details)
    before = {name: getattr(row, name) for name in values}
    with saving(session, row):
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        session.flush()
        for old in session.exec(
            select(MonitoringVisitChild).where(col(MonitoringVisitChild.visit_id) == row.id)
        ).all():
            session.delete(old)
        session.flush()
        for child_id, alone in seen:
            session.add(MonitoringVisitChild(visit_id=row.id, child_id=child_id, seen_alone=alone))
        audit.record(
            session,
            actor,
            AuditAction.UPDATE,
            entity_type="monitoring_visit",
            entity_id=row.id,
            family_id=family.id,
            details=audit.changes(before, values),
        )
    progress.refresh_family(session, family, content)
    return row


@atomic
def delete_record(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    row: ChildReturn | MonitoringVisit,
    reason: str,
    expected_version: int,
) -> None:
    """Delete a return or a visit recorded by mistake (softly, with who and why)."""
    if family.status != FamilyStatus.ACTIVE:
        raise Conflict(PLAN_NOT_ACTIVE)
    soft_delete(
        session,
        actor=actor,
        record=row,
        reason=reason,
        expected_version=expected_version,
        entity_type="child_return" if isinstance(row, ChildReturn) else "monitoring_visit",
        family_id=family.id,
    )
    progress.refresh_family(session, family, content)


# --- outcomes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeDetails:
    outcome: str
    returned_to_care_on: date | None
    details: str
    version: int  # of the saved outcome (0 when there is none)


@atomic
def save_outcomes(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    posted: Mapping[str, OutcomeDetails],
    complete: bool,
) -> dict[uuid.UUID, ChildOutcome]:
    """Save each child's outcome (by child id). Marked complete only when every child has one
    (each returned to care with its date and why)."""
    section = outcomes_section(content)
    _can_record(session, family, content, section.id)
    saved = outcomes(session, family.id)
    went_home = {row.child_id: row.returned_on for row in child_returns(session, family.id)}
    problems = Problems()
    cleaned: dict[uuid.UUID, dict[str, object]] = {}
    for child in children(session, family):
        details = posted.get(str(child.id))
        field = f"outcome-{child.id}"
        if details is None or not details.outcome:
            if complete:
                problems.add(field, f"Select the outcome for {child.name}")
            continue
        if details.outcome not in {item.value for item in Outcome}:
            problems.add(field, f"Select one of the outcomes given for {child.name}")
            continue
        on = None
        if details.outcome == Outcome.RETURNED_TO_CARE:
            on = details.returned_to_care_on
            date_field = f"returned-{child.id}"
            if on is None:
                problems.add(date_field, f"Enter the date {child.name} came back into care")
            problems.past_date(date_field, on, label=f"the date {child.name} came back into care")
            start = went_home.get(child.id)
            if on is not None and start is not None and on < start:
                problems.add(
                    date_field,
                    f"{child.name} came back into care after going home on {format_date(start)}",
                )
        required = details.outcome != Outcome.STAYED_HOME
        text = problems.text(
            f"details-{child.id}",
            details.details,
            label=(
                f"why the return broke down for {child.name}"
                if details.outcome == Outcome.RETURNED_TO_CARE
                else f"the outcome for {child.name}"
            ),
            max_length=TEXT_MAX,
            required=required,
        )
        current = saved.get(child.id)
        if (current.version if current else 0) != details.version:
            raise Conflict(OUTCOME_TAKEN)
        cleaned[child.id] = {"outcome": details.outcome, "returned_to_care_on": on, "details": text}
    problems.raise_if_any()
    for child_id, values in cleaned.items():
        current = saved.get(child_id)
        if current is None:
            row = ChildOutcome(
                family_id=family.id,
                child_id=child_id,
                recorded_by_id=actor.user_id,
                **values,  # type: ignore[arg-type]
            )
            try:
                with session.begin_nested():
                    session.add(row)
            except IntegrityError:
                raise Conflict(OUTCOME_TAKEN) from None
            change = audit.changes({}, values)
            entity_id = row.id
        else:
            before = {name: getattr(current, name) for name in values}
            if before == values:
                continue
            with saving(session, current, OUTCOME_TAKEN):
                for name, value in values.items():
                    setattr(current, name, value)
                current.updated_at = utcnow()
                current.recorded_by_id = actor.user_id
            change = audit.changes(before, values)
            entity_id = current.id
        audit.record(
            session,
            actor,
            AuditAction.UPDATE,
            entity_type="child_outcome",
            entity_id=entity_id,
            family_id=family.id,
            details=change,
        )
    all_recorded = set(outcomes(session, family.id)) >= {
        child.id for child in children(session, family)
    }
    status = SectionStatus.COMPLETED if complete and all_recorded else SectionStatus.IN_PROGRESS
    progress.set_section_status(
        session, actor=actor, family=family, content=content, section_id=section.id, status=status
    )
    return outcomes(session, family.id)


def outcome_label(outcome: str) -> str:
    try:
        return OUTCOME_LABELS[Outcome(outcome)]
    except ValueError:
        return outcome


# --- back into care ----------------------------------------------------------------------------


@atomic
def record_reentry(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    child_id: str,
    entered_on: date | None,
    reason: str,
) -> CareReentry:
    """Record that a child who went home came back into care: during monitoring, or after the
    case closed (which reopens nothing; it is kept for reports)."""
    problems = Problems()
    child = _child_of(session, family, child_id, problems, "child_id")
    if entered_on is None:
        problems.add("entered_on", "Enter the date the child came back into care")
    problems.past_date("entered_on", entered_on, label="the date the child came back into care")
    cleaned = problems.text(
        "reason", reason, label="why the child came back into care", max_length=TEXT_MAX
    )
    if child is not None and entered_on is not None:
        went_home = [
            row.returned_on for row in child_returns(session, family.id) if row.child_id == child.id
        ]
        if not went_home:
            problems.add("child_id", f"{child.name} has not gone home in this plan")
        elif entered_on < min(went_home):
            problems.add(
                "entered_on",
                f"{child.name} went home on {format_date(min(went_home))}; the date must be after",
            )
    problems.raise_if_any()
    assert child is not None
    assert entered_on is not None
    row = CareReentry(
        family_id=family.id,
        child_id=child.id,
        entered_on=entered_on,
        reason=cleaned or "",
        recorded_by_id=actor.user_id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="care_reentry",
        entity_id=row.id,
        family_id=family.id,
        details={"child": child.name, "entered_on": entered_on, "case": family.status},
    )
    progress.refresh_family(session, family, content)
    return row
