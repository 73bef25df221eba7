"""Decisions at the framework's gates, as steps of their own: a practitioner's proposal where
the content asks for one, the decision recorded by the person the content names (with a
reason), and what the chosen option does to the family's journey.

An option moves the family to the next stage, lets the work that waits for it go ahead,
reopens sections to be answered again (their answers so far kept as a frozen revision, and the
decisions that stood on them made again), leads to the next review, ends the return-home plan
(another route to permanence: the record is kept, read-only) or closes the case with each
child's outcome.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.content.journey import Effect, OptionEffect, shape
from app.content.model import FrameworkContent
from app.content.schema import GateSection
from app.db import atomic
from app.models.accounts import Role, User
from app.models.assessment import Classification, ClassificationStatus
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.models.family import Child, Family
from app.models.journey import ChildOutcome, FamilyStatus, ReviewCycle
from app.models.progress import GateDecision, GateProposal, SectionProgress, SectionStatus
from app.services import access, audit, progress, questions
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.records import Problems
from app.timeutil import LONDON, format_date, london_today

REASON_MAX = 10000
ALREADY_DECIDED = (
    "This decision has already been recorded, so nothing was changed. The page shows it as it "
    "is now."
)
STALE_DECISION = (
    "Someone else proposed or recorded this decision after you opened the page, so nothing "
    "was changed. Check the page as it is now, then try again."
)
ALREADY_PROPOSED = "A proposal is already waiting for a manager's decision, so nothing was changed."
PLAN_NOT_ACTIVE = progress.PLAN_NOT_ACTIVE


def gate_section(content: FrameworkContent, gate_id: str) -> GateSection:
    info = content.sections.get(gate_id)
    if info is None or not isinstance(info.section, GateSection):
        raise NotFound("This framework version has no such decision.")
    return info.section


def decision_cycle(content: FrameworkContent, family: Family, gate_id: str) -> int:
    return progress.current_cycle(content, family, gate_id)


def history(session: Session, family_id: uuid.UUID, gate_id: str) -> list[GateDecision]:
    """Every decision recorded at a gate, newest first (superseded ones included)."""
    return list(
        session.exec(
            select(GateDecision)
            .where(col(GateDecision.family_id) == family_id, col(GateDecision.gate_id) == gate_id)
            .order_by(col(GateDecision.decided_at).desc())
        ).all()
    )


def pending_proposal(
    session: Session, family_id: uuid.UUID, gate_id: str, cycle: int
) -> GateProposal | None:
    return session.exec(
        select(GateProposal).where(
            col(GateProposal.family_id) == family_id,
            col(GateProposal.gate_id) == gate_id,
            col(GateProposal.cycle) == cycle,
            col(GateProposal.status) == "pending",
        )
    ).first()


def current_decision(
    session: Session, family_id: uuid.UUID, gate_id: str, cycle: int
) -> GateDecision | None:
    return session.exec(
        select(GateDecision).where(
            col(GateDecision.family_id) == family_id,
            col(GateDecision.gate_id) == gate_id,
            col(GateDecision.cycle) == cycle,
            col(GateDecision.superseded_at).is_(None),
        )
    ).first()


def basis(proposal: GateProposal | None, decision: GateDecision | None) -> str:
    """What a decision form was made from, so that a stale or repeated form changes nothing."""
    return f"{proposal.id if proposal else ''}/{decision.id if decision else ''}"


# --- who may decide ---------------------------------------------------------------------------


def may_record(user: User, family: Family, gate: GateSection) -> bool:
    if gate.recorded_by == "supervisor":
        return Role.SUPERVISOR in user.roles and user.id != family.allocated_practitioner_id
    return family.allocated_practitioner_id == user.id


def may_propose(user: User, family: Family, gate: GateSection) -> bool:
    return gate.proposed_by is not None and family.allocated_practitioner_id == user.id


def _check_recorder(
    session: Session,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    gate: GateSection,
    cycle: int,
    proposal: GateProposal | None,
) -> User:
    user = actor.user
    if user is None:
        raise Forbidden("Sign in to record a decision.")
    if gate.recorded_by == "supervisor":
        if Role.SUPERVISOR not in user.roles:
            raise Forbidden("Only a supervisor of this family's team can record this decision.")
        own = {family.allocated_practitioner_id}
        if proposal is not None:
            own.add(proposal.proposed_by_id)
        classified = [
            required
            for required in gate.requires
            if content.sections[required].section.kind == "classification"
        ]
        if classified:
            submitted = session.exec(
                select(Classification.submitted_by_id).where(
                    col(Classification.family_id) == family.id,
                    col(Classification.section_id).in_(classified),
                    col(Classification.cycle) == cycle,
                    col(Classification.status) == ClassificationStatus.AGREED.value,
                )
            ).all()
            own.update(submitted)
        if user.id in own:
            raise access.refuse(
                session,
                actor=actor,
                family=family,
                reason="supervisor recording a decision on their own work",
                message=(
                    "You cannot record a decision on work you proposed or submitted, or for a "
                    "family allocated to you: ask another supervisor."
                ),
            )
    elif family.allocated_practitioner_id != user.id:
        raise Forbidden("Only the practitioner this family is allocated to records this decision.")
    return user


# --- proposing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """What a decision form sends."""

    option: str
    reason: str
    held_on: date | None = None
    basis: str = ""


def _check_choice(
    session: Session,
    family: Family,
    content: FrameworkContent,
    gate: GateSection,
    cycle: int,
    choice: Choice,
    problems: Problems,
) -> tuple[str | None, str | None]:
    options = {option.id: option.label for option in gate.options}
    option = problems.choice("option", choice.option, options, missing=f"Select: {gate.question}")
    reason = problems.text(
        "reason",
        choice.reason,
        label="the reasons for the decision",
        max_length=REASON_MAX,
        required=gate.rationale_required,
        missing="Enter the reasons for the decision",
    )
    if gate.recurrence == "each_review":
        _check_review_date(session, family, content, cycle, choice.held_on, problems)
    waiting = progress.waiting_for(session, family, content, gate.id, cycle)
    if waiting:
        problems.add(
            "option", "Finish these before this decision can be made: " + ", ".join(waiting)
        )
    return option, reason


def _check_review_date(
    session: Session,
    family: Family,
    content: FrameworkContent,
    cycle: int,
    held_on: date | None,
    problems: Problems,
) -> None:
    """A review's meeting date: given, not in the future, and not before what it reviews (the
    decision that started the reviews, or the previous review)."""
    if held_on is None:
        problems.add("held_on", "Enter the date the review meeting was held")
        return
    if held_on > london_today():
        problems.add("held_on", "The date of the review meeting must be today or in the past")
        return
    earliest: tuple[date, str] | None = None
    start = content.cadence.first_review_from
    if start is not None:
        first = session.exec(
            select(GateDecision)
            .where(
                col(GateDecision.family_id) == family.id,
                col(GateDecision.gate_id) == start,
            )
            .order_by(col(GateDecision.decided_at))
        ).first()
        if first is not None:
            title = content.sections[start].section.title.lower()
            earliest = (first.decided_at.astimezone(LONDON).date(), f"the {title}")
    previous = session.exec(
        select(ReviewCycle)
        .where(
            col(ReviewCycle.family_id) == family.id,
            col(ReviewCycle.number) < cycle,
            col(ReviewCycle.held_on).is_not(None),
        )
        .order_by(col(ReviewCycle.number).desc())
    ).first()
    if (
        previous is not None
        and previous.held_on is not None
        and (earliest is None or previous.held_on > earliest[0])
    ):
        earliest = (previous.held_on, f"review {previous.number}")
    if earliest is not None and held_on < earliest[0]:
        problems.add(
            "held_on",
            f"The review meeting must be on or after {format_date(earliest[0])}, the date of "
            f"{earliest[1]}",
        )


@atomic
def propose(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    gate_id: str,
    choice: Choice,
) -> GateProposal:
    """The practitioner proposes a decision for the manager to make."""
    gate = gate_section(content, gate_id)
    user = actor.user
    if user is None or not may_propose(user, family, gate):
        raise Forbidden("Only the practitioner this family is allocated to can propose this.")
    if family.status != FamilyStatus.ACTIVE:
        raise Conflict(PLAN_NOT_ACTIVE)
    cycle = decision_cycle(content, family, gate_id)
    proposal = pending_proposal(session, family.id, gate_id, cycle)
    decision = current_decision(session, family.id, gate_id, cycle)
    if proposal is not None:
        raise Conflict(ALREADY_PROPOSED)
    if _decided(session, family, gate_id, cycle):
        raise Conflict(ALREADY_DECIDED)
    if choice.basis != basis(None, decision):
        raise Conflict(STALE_DECISION)
    problems = Problems()
    option, reason = _check_choice(session, family, content, gate, cycle, choice, problems)
    problems.raise_if_any()
    assert option is not None
    _claim(session, actor, family, gate_id, cycle, SectionStatus.AWAITING_SIGN_OFF)
    row = GateProposal(
        family_id=family.id,
        gate_id=gate_id,
        cycle=cycle,
        option_id=option,
        reason=reason or "",
        held_on=choice.held_on if gate.recurrence == "each_review" else None,
        proposed_by_id=user.id,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="gate_proposal",
        entity_id=row.id,
        family_id=family.id,
        details={"gate": gate_id, "option": option, **({"review": cycle} if cycle else {})},
    )
    progress.refresh_family(session, family, content)
    return row


def _decided(session: Session, family: Family, gate_id: str, cycle: int) -> bool:
    status = session.exec(
        select(SectionProgress.status).where(
            col(SectionProgress.family_id) == family.id,
            col(SectionProgress.section_id) == gate_id,
            col(SectionProgress.cycle) == cycle,
        )
    ).first()
    return status == SectionStatus.COMPLETED.value


def _claim(
    session: Session,
    actor: audit.Actor,
    family: Family,
    gate_id: str,
    cycle: int,
    status: SectionStatus,
) -> None:
    """Move the gate to `status` in one statement (or one unique insert), from any status but
    "completed": of two people deciding (or proposing) at once, only one gets through."""
    where = (
        col(SectionProgress.family_id) == family.id,
        col(SectionProgress.section_id) == gate_id,
        col(SectionProgress.cycle) == cycle,
    )
    guard = [col(SectionProgress.status) != SectionStatus.COMPLETED.value]
    if status is SectionStatus.AWAITING_SIGN_OFF:
        guard.append(col(SectionProgress.status) != SectionStatus.AWAITING_SIGN_OFF.value)
    row = session.exec(select(SectionProgress).where(*where)).first()
    before = row.status if row else None
    result = session.execute(
        update(SectionProgress)
        .where(*where, *guard)
        .values(status=status.value, updated_at=utcnow(), updated_by_id=actor.user_id)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        if row is not None:
            raise Conflict(ALREADY_DECIDED)
        try:
            with session.begin_nested():
                session.add(
                    SectionProgress(
                        family_id=family.id,
                        section_id=gate_id,
                        cycle=cycle,
                        status=status.value,
                        updated_by_id=actor.user_id,
                    )
                )
        except IntegrityError:
            raise Conflict(ALREADY_DECIDED) from None
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="section_progress",
        entity_id=gate_id,
        family_id=family.id,
        details={"status": {"before": before or "not_started", "after": status.value}},
    )
    if row is not None:
        session.refresh(row)


# --- deciding ---------------------------------------------------------------------------------


@atomic
def record(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    gate_id: str,
    choice: Choice,
    classification_id: uuid.UUID | None = None,
) -> GateDecision:
    """Record the decision at a gate and carry out what its option does."""
    gate = gate_section(content, gate_id)
    if family.status != FamilyStatus.ACTIVE:
        raise Conflict(PLAN_NOT_ACTIVE)
    cycle = decision_cycle(content, family, gate_id)
    proposal = pending_proposal(session, family.id, gate_id, cycle)
    user = _check_recorder(session, actor, family, content, gate, cycle, proposal)
    if _decided(session, family, gate_id, cycle):
        raise Conflict(ALREADY_DECIDED)
    previous = current_decision(session, family.id, gate_id, cycle)
    if classification_id is None and choice.basis != basis(proposal, previous):
        raise Conflict(STALE_DECISION)
    problems = Problems()
    if gate.proposed_by is not None and proposal is None:
        problems.add(
            "option",
            f"Wait for the {gate.proposed_by}'s proposal before recording this decision",
        )
    option, reason = _check_choice(session, family, content, gate, cycle, choice, problems)
    effect = shape(content).effect(gate_id, option) if option else None
    if effect is not None and effect.effect is Effect.CLOSES_CASE:
        _check_outcomes(session, family, problems)
    problems.raise_if_any()
    assert option is not None
    assert effect is not None
    _claim(session, actor, family, gate_id, cycle, SectionStatus.COMPLETED)
    now = utcnow()
    if previous is not None:
        previous.superseded_at = now
        session.add(previous)
    decision = GateDecision(
        family_id=family.id,
        gate_id=gate_id,
        cycle=cycle,
        option_id=option,
        effect=effect.effect.value,
        rationale=reason or "",
        decided_by_id=user.id,
        decided_at=now,
        held_on=choice.held_on if gate.recurrence == "each_review" else None,
        proposal_id=proposal.id if proposal else None,
        framework_version=content.version,
    )
    session.add(decision)
    if proposal is not None:
        proposal.status = "decided"
        session.add(proposal)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="gate_decision",
        entity_id=decision.id,
        family_id=family.id,
        details={
            "gate": gate_id,
            "option": option,
            "effect": effect.effect.value,
            **({"review": cycle} if cycle else {}),
            **({"agrees_with_proposal": proposal.option_id == option} if proposal else {}),
        },
    )
    if gate.recurrence == "each_review" and choice.held_on is not None:
        review = session.exec(
            select(ReviewCycle).where(
                col(ReviewCycle.family_id) == family.id, col(ReviewCycle.number) == cycle
            )
        ).first()
        if review is not None:
            review.held_on = choice.held_on
            session.add(review)
    _freeze_what_was_decided(session, actor, family, content, gate, cycle, decision)
    _carry_out(session, actor, family, content, gate, cycle, decision, effect)
    progress.refresh_family(session, family, content)
    return decision


def _check_outcomes(session: Session, family: Family, problems: Problems) -> None:
    children = session.exec(
        select(Child).where(col(Child.family_id) == family.id, col(Child.deleted_at).is_(None))
    ).all()
    recorded = set(
        session.exec(
            select(ChildOutcome.child_id).where(
                col(ChildOutcome.family_id) == family.id, col(ChildOutcome.deleted_at).is_(None)
            )
        ).all()
    )
    missing = [child.name for child in children if child.id not in recorded]
    if missing:
        problems.add(
            "option",
            "Record the outcome for "
            + ", ".join(missing)
            + " before the case is closed: every child in the plan needs one",
        )


def _freeze_what_was_decided(
    session: Session,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    gate: GateSection,
    cycle: int,
    decision: GateDecision,
) -> None:
    """The forms a decision was made on are kept as they stood (a frozen revision), and shown
    as signed off when the decision lets the work go on."""
    state = progress.load_state(session, family)
    keys = [
        key
        for key in progress.prerequisite_keys(content, state, gate.id, cycle)
        if state.statuses.get(key) in progress.DONE
    ]
    frozen = questions.freeze_sections(
        session, actor=actor, family=family, content=content, keys=keys, decision_id=decision.id
    )
    if Effect(decision.effect) in (Effect.NEXT_STAGE, Effect.PROCEEDS, Effect.CLOSES_CASE):
        for section_id, section_cycle in frozen:
            progress.set_section_status(
                session,
                actor=actor,
                family=family,
                content=content,
                section_id=section_id,
                status=SectionStatus.SIGNED_OFF,
                cycle=section_cycle,
                refresh=False,
            )


def _carry_out(
    session: Session,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    gate: GateSection,
    cycle: int,
    decision: GateDecision,
    effect: OptionEffect,
) -> None:
    if effect.effect in (Effect.ENDS_PLAN, Effect.CLOSES_CASE):
        family.status = (
            FamilyStatus.PLAN_ENDED if effect.effect is Effect.ENDS_PLAN else FamilyStatus.CLOSED
        ).value
        family.status_changed_on = london_today()
        session.add(family)
        audit.record(
            session,
            actor,
            AuditAction.UPDATE,
            entity_type="family",
            entity_id=family.id,
            family_id=family.id,
            details={"status": {"before": FamilyStatus.ACTIVE.value, "after": family.status}},
        )
    elif effect.effect is Effect.REOPENS:
        reopen(
            session,
            actor=actor,
            family=family,
            content=content,
            section_ids=effect.reopens,
            keep=decision,
        )


def reopen(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    section_ids: tuple[str, ...],
    keep: GateDecision,
) -> None:
    """Send sections back to be answered again, and make the decisions and classifications
    that stood on them (directly or through others) be made again. Reviews already held are
    history and are not touched; the decision just made stays as the latest at its gate."""
    journey = shape(content)
    open_cycle = family.current_cycle
    targets: list[tuple[str, int]] = []
    for section_id in section_ids:
        cycle = open_cycle if journey.is_recurring(section_id) else 0
        targets.append((section_id, cycle))
        for dependent in journey.dependents(section_id):
            kind = journey.section(dependent).kind
            if kind not in ("gate", "classification"):
                continue
            dependent_cycle = open_cycle if journey.is_recurring(dependent) else 0
            if journey.is_recurring(dependent) and dependent_cycle == keep.cycle:
                continue  # the review that made this decision is over
            targets.append((dependent, dependent_cycle))
    done: set[tuple[str, int]] = set()
    now = utcnow()
    for section_id, cycle in targets:
        if (section_id, cycle) in done:
            continue
        done.add((section_id, cycle))
        kind = journey.section(section_id).kind
        if kind in questions.FORM_SECTION_KINDS:
            questions.reopen_form_section(
                session,
                actor=actor,
                family=family,
                content=content,
                section_id=section_id,
                cycle=cycle,
            )
            continue
        if kind == "gate":
            current = current_decision(session, family.id, section_id, cycle)
            if current is not None and current.id != keep.id:
                current.superseded_at = now
                session.add(current)
        status = (
            SectionStatus.IN_PROGRESS
            if kind in ("returns", "monitoring", "outcomes")
            else SectionStatus.NOT_STARTED
        )
        progress.set_section_status(
            session,
            actor=actor,
            family=family,
            content=content,
            section_id=section_id,
            status=status,
            cycle=cycle,
            refresh=False,
        )
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="gate_decision",
        entity_id=keep.id,
        family_id=family.id,
        details={"reopened": [f"{sid}#{cycle}" if cycle else sid for sid, cycle in sorted(done)]},
    )
