"""Where a family stands: the task list generated from its pinned content version, its review
cycles, the current stage, the next action and when the next review is due.

Features record section statuses (per review cycle for sections answered at each review),
decisions, returns, visits and outcomes; this module reads them, keeps the review cycles in
step with the content's cadence, and keeps the caseload's columns current. A section added to
the content appears in the task list without new code.

A section is *done* when its own work is finished (a decision made, a classification signed
off, a form completed). It is *settled* when it is done, its decision (if it is one) lets the
work after it go ahead, and everything it waits for is settled too: a section can start only
when everything it waits for is settled, so reopening an agreement holds back the decisions
and reviews that stand on it, without touching the answers in between.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    Date,
    Integer,
    String,
    Uuid,
    bindparam,
    cast,
    func,
    literal,
    null,
    union_all,
)
from sqlalchemy import select as select_rows
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from app.content.journey import PASSING, Effect, JourneyShape, shape
from app.content.model import FrameworkContent
from app.content.schema import GateSection, Section
from app.db import read_once, write_lock
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.models.chronology import ChronologyReview
from app.models.family import CareEpisode, Child, EarlierReturn, Family
from app.models.journey import (
    CareReentry,
    ChildReturn,
    CyclePhase,
    FamilyStatus,
    MonitoringVisit,
    ReviewCycle,
)
from app.models.progress import GateDecision, GateProposal, SectionProgress, SectionStatus
from app.services import audit
from app.timeutil import LONDON, add_months, london_today

DONE = frozenset({SectionStatus.COMPLETED, SectionStatus.SIGNED_OFF})
STATUS_LABELS = {
    SectionStatus.NOT_STARTED: "Not started",
    SectionStatus.IN_PROGRESS: "In progress",
    SectionStatus.COMPLETED: "Completed",
    SectionStatus.AWAITING_SIGN_OFF: "Awaiting sign-off",
    SectionStatus.SIGNED_OFF: "Signed off",
}
Key = tuple[str, int]  # (section id, review cycle; 0 for sections answered once)
NOTHING_TO_DO = "Nothing to do until the next review"
PLAN_NOT_ACTIVE = (
    "This family's return-home plan has ended or its case is closed: its record is kept as it "
    "is and can no longer be changed."
)


@dataclass(frozen=True)
class Task:
    section: Section
    stage_id: str
    cycle: int
    status: SectionStatus
    can_start: bool
    waiting_for: tuple[str, ...]  # titles of the sections that must be settled first
    decision: GateDecision | None
    proposal: GateProposal | None = None
    detail: str | None = None  # a count the status alone does not tell ("1 of 2 children")
    title: str = ""  # the section's name as a task (content.section_titles)

    @property
    def name(self) -> str:
        return self.title or self.section.title

    @property
    def is_gate(self) -> bool:
        return isinstance(self.section, GateSection)

    @property
    def status_label(self) -> str:
        if not self.can_start and self.status is SectionStatus.NOT_STARTED:
            return "Cannot start yet"
        return STATUS_LABELS[self.status]

    @property
    def outcome_label(self) -> str | None:
        if not self.decision or not isinstance(self.section, GateSection):
            return None
        for option in self.section.options:
            if option.id == self.decision.option_id:
                return option.label
        return self.decision.option_id


@dataclass(frozen=True)
class StageTasks:
    stage_id: str
    title: str
    tasks: tuple[Task, ...]

    @property
    def done(self) -> bool:
        return all(task.status in DONE for task in self.tasks)


@dataclass(frozen=True)
class Journey:
    stages: tuple[StageTasks, ...]
    status: FamilyStatus = FamilyStatus.ACTIVE
    review: ReviewCycle | None = None  # the review under way, if any
    settled_stage: str | None = None  # the stage the family has reached

    @property
    def current_stage(self) -> StageTasks | None:
        if self.status is not FamilyStatus.ACTIVE:
            return None
        return next((stage for stage in self.stages if stage.stage_id == self.settled_stage), None)

    @property
    def awaiting_sign_off(self) -> bool:
        return any(
            task.status is SectionStatus.AWAITING_SIGN_OFF
            for stage in self.stages
            for task in stage.tasks
        )

    def next_task(self) -> Task | None:
        if self.status is not FamilyStatus.ACTIVE:
            return None
        for stage in self.stages:
            for task in stage.tasks:
                if task.can_start and task.status not in DONE:
                    return task
        return None

    @property
    def next_action(self) -> str:
        if self.status is FamilyStatus.PLAN_ENDED:
            return "Plan ended: another route to permanence"
        if self.status is FamilyStatus.CLOSED:
            return "Case closed"
        task = self.next_task()
        if task is None:
            return NOTHING_TO_DO
        if task.status is SectionStatus.AWAITING_SIGN_OFF:
            return f"Sign off: {task.name}"
        if task.is_gate:
            # "Record the decision on working towards a return", not "Record: Decision on ...".
            return f"Record the {_lower_first(task.name)}"
        verb = "Continue" if task.status is SectionStatus.IN_PROGRESS else "Start"
        return f"{verb}: {task.name}"


def _lower_first(title: str) -> str:
    """A title inside a sentence: its first letter lower case, unless it starts an acronym."""
    if len(title) > 1 and title[1].isupper():
        return title
    return title[:1].lower() + title[1:]


# --- reading the state ------------------------------------------------------------------------


@dataclass
class State:
    """Everything the task list is made from, read in a handful of queries."""

    statuses: dict[Key, SectionStatus]
    decisions: dict[Key, GateDecision]  # the latest decision at each gate and cycle
    proposals: dict[Key, GateProposal]  # pending proposals
    cycles: list[ReviewCycle]
    children: int
    children_home: int
    returns: int
    visits: int
    first_home_on: date | None
    settled: dict[Key, bool] = field(default_factory=dict)

    @property
    def open_cycle(self) -> ReviewCycle | None:
        return next((cycle for cycle in reversed(self.cycles) if cycle.closed_at is None), None)

    def latest_cycle_of(self, section_id: str) -> int | None:
        """The most recent review in which a section has any record."""
        found = [cycle for sid, cycle in (*self.statuses, *self.decisions) if sid == section_id]
        return max(found) if found else None


# What the state is read from: a request that has written none of them reads it once, however
# many parts of its page ask (the summary's journey and its reviews).
STATE_TABLES = (
    "section_progress",
    "gate_decision",
    "gate_proposal",
    "review_cycle",
    "child_return",
    "care_reentry",
    "child",
    "monitoring_visit",
)


def load_state(session: Session, family: Family, *, fresh: bool = False) -> State:
    """The family's state, read once per request unless `fresh` (see STATE_TABLES)."""
    return read_once(
        session,
        ("load_state", family.id),
        STATE_TABLES,
        lambda: _read_state(session, family, fresh=fresh),
        fresh=fresh,
    )


# The state's statements, built once: building and keying a statement afresh costs more in
# Python than sending it, and every family page reads the state.
_FAMILY: BindParameter[uuid.UUID] = bindparam("family_id")
_DECISIONS = (
    select(GateDecision)
    .where(col(GateDecision.family_id) == _FAMILY, col(GateDecision.superseded_at).is_(None))
    .order_by(col(GateDecision.decided_at))
)
_PROPOSALS = select(GateProposal).where(
    col(GateProposal.family_id) == _FAMILY, col(GateProposal.status) == "pending"
)
_CYCLES = (
    select(ReviewCycle)
    .where(col(ReviewCycle.family_id) == _FAMILY)
    .order_by(col(ReviewCycle.number))
)


def _no_text() -> list[Any]:
    return [cast(null(), String), cast(null(), String)]


def _numbers(*given: Any) -> list[Any]:
    """The eight number columns of _FACTS: those given, then nothing."""
    return [*given, *(cast(null(), Integer) for _ in range(8 - len(given)))]


def _moves_of(what: str, model: type[ChildReturn] | type[CareReentry], on: Any) -> Any:
    """The family's moves of one kind, as rows of _FACTS."""
    return select_rows(literal(what), col(model.child_id), col(on), *_no_text(), *_numbers()).where(
        col(model.family_id) == _FAMILY, col(model.deleted_at).is_(None)
    )


def _count(model: Any, *where: Any) -> Any:
    return (
        select(func.count()).select_from(model).where(col(model.family_id) == _FAMILY, *where)
    ).scalar_subquery()


def _count_of_children(model: type[CareEpisode] | type[EarlierReturn]) -> Any:
    """Records of the family's children (deleted children included: never fewer than a read
    of the children's records finds)."""
    return (
        select(func.count())
        .select_from(model)
        .join(Child, col(Child.id) == col(model.child_id))
        .where(col(Child.family_id) == _FAMILY, col(model.deleted_at).is_(None))
    ).scalar_subquery()


# What every family page needs first, in one statement. Rows: (kind, child, date, two texts,
# eight numbers):
# - each child's returns home and returns to care: ("home" or "care", child, date);
# - each section's status in each review: ("status", -, -, section, status, cycle);
# - how many children, visits, decisions, pending proposals and reviews the family has, and
#   how many earlier times in care, earlier returns and chronology reviews ("counts"): the
#   decisions, proposals and reviews are read only if there are any, and the chronology page
#   reads the last three only if there are any (see `records`).
_FACTS = union_all(
    _moves_of("home", ChildReturn, ChildReturn.returned_on),
    _moves_of("care", CareReentry, CareReentry.entered_on),
    select_rows(
        literal("status"),
        cast(null(), Uuid),
        cast(null(), Date),
        col(SectionProgress.section_id),
        col(SectionProgress.status),
        *_numbers(col(SectionProgress.cycle)),
    ).where(col(SectionProgress.family_id) == _FAMILY),
    select_rows(
        literal("counts"),
        cast(null(), Uuid),
        cast(null(), Date),
        *_no_text(),
        _count(Child, col(Child.deleted_at).is_(None)),
        _count(MonitoringVisit, col(MonitoringVisit.deleted_at).is_(None)),
        _count(GateDecision, col(GateDecision.superseded_at).is_(None)),
        _count(GateProposal, col(GateProposal.status) == "pending"),
        _count(ReviewCycle),
        _count_of_children(CareEpisode),
        _count_of_children(EarlierReturn),
        _count(ChronologyReview),
    ),
)
# The facts' tables: the state's, and those only counted.
_FACTS_TABLES = (*STATE_TABLES, "care_episode", "earlier_return", "chronology_review")


class Records(NamedTuple):
    """How many records of these kinds the family has: none means nothing to read."""

    care_episodes: int
    earlier_returns: int
    chronology_reviews: int


class Facts(NamedTuple):
    """What _FACTS reads: the moves, the statuses, and how many of each record there are."""

    moves: Moves
    statuses: dict[Key, SectionStatus]
    decisions: int
    proposals: int
    cycles: int
    records: Records


def _facts(session: Session, family_id: uuid.UUID, *, fresh: bool = False) -> Facts:
    """Read once per transaction unless `fresh`: the task state and the children at home both
    need them, on the same page."""

    def read() -> Facts:
        returns: list[Moved] = []
        reentries: list[Moved] = []
        # Columns, not rows: statuses are also claimed by single UPDATE statements, behind the
        # session, so its copies could be stale.
        statuses: dict[Key, SectionStatus] = {}
        counts = (0,) * 8
        for kind, child_id, on, section_id, status, *numbers in session.execute(
            _FACTS, {"family_id": family_id}
        ):
            if kind == "home":
                returns.append(Moved(child_id, on))
            elif kind == "care":
                reentries.append(Moved(child_id, on))
            elif kind == "status":
                statuses[(section_id, numbers[0])] = SectionStatus(status)
            else:
                counts = tuple(numbers)
        children, visits, decisions, proposals, cycles, *records = counts
        return Facts(
            Moves(returns, reentries, children, visits),
            statuses,
            decisions,
            proposals,
            cycles,
            Records(*records),
        )

    return read_once(session, ("facts", family_id), _FACTS_TABLES, read, fresh=fresh)


def records(session: Session, family_id: uuid.UUID) -> Records:
    """How many earlier times in care, earlier returns and chronology reviews the family has,
    from the statement every family page sends first (pages skip reading what there is none
    of)."""
    return _facts(session, family_id).records


def _read_state(session: Session, family: Family, *, fresh: bool) -> State:
    given = {"family_id": family.id}
    # Afresh when the state is (under the family's lock, say); otherwise as another part of
    # the page read them already, if nothing they count was written since.
    facts = _facts(session, family.id, fresh=fresh)
    decisions: dict[Key, GateDecision] = {}
    if facts.decisions:
        for row in session.scalars(_DECISIONS, given):
            decisions[(row.gate_id, row.cycle)] = row
    proposals = (
        {(row.gate_id, row.cycle): row for row in session.scalars(_PROPOSALS, given)}
        if facts.proposals
        else {}
    )
    cycles = list(session.scalars(_CYCLES, given)) if facts.cycles else []
    moves = facts.moves
    home = _at_home(moves.returns, moves.reentries)
    return State(
        statuses=facts.statuses,
        decisions=decisions,
        proposals=proposals,
        cycles=cycles,
        children=moves.children,
        children_home=len(home),
        returns=len(moves.returns),
        visits=moves.visits,
        first_home_on=min(home.values()) if home else None,
    )


def children_at_home(
    session: Session, family_id: uuid.UUID, *, fresh: bool = False
) -> dict[uuid.UUID, date]:
    """Children at home now: gone home in this plan and not come back into care since (by the
    date they went home); read once per transaction unless `fresh`."""
    moves = _facts(session, family_id, fresh=fresh).moves
    return _at_home(moves.returns, moves.reentries)


class Moved(NamedTuple):
    """A child going home, or coming back into care, on a day."""

    child_id: uuid.UUID
    on: date


class Moves(NamedTuple):
    """A family's children going home and coming back into care; its children and visits."""

    returns: list[Moved]
    reentries: list[Moved]
    children: int
    visits: int


def _at_home(returns: Sequence[Moved], reentries: Sequence[Moved]) -> dict[uuid.UUID, date]:
    home: dict[uuid.UUID, date] = {}
    for item in sorted(returns, key=lambda row: row.on):
        back = any(entry.child_id == item.child_id and entry.on >= item.on for entry in reentries)
        if back:
            home.pop(item.child_id, None)
        else:
            home[item.child_id] = item.on
    return home


# --- settling -------------------------------------------------------------------------------


class _Judge:
    """Whether sections are done and settled, for one family's state."""

    def __init__(self, journey: JourneyShape, state: State) -> None:
        self.journey = journey
        self.state = state
        self.memo: dict[Key, bool] = {}

    def scope(self, required: str, asking_cycle: int, asking_recurring: bool) -> int | None:
        """Which record of `required` a section answered in `asking_cycle` waits for."""
        if not self.journey.is_recurring(required):
            return 0
        if asking_recurring:
            return asking_cycle
        return self.state.latest_cycle_of(required)

    def done(self, section_id: str, cycle: int) -> bool:
        kind = self.journey.section(section_id).kind
        if kind == "gate":
            return (section_id, cycle) in self.state.decisions
        if kind == "returns":
            return self.state.returns > 0
        if kind == "monitoring":
            return self.state.visits > 0
        return self.state.statuses.get((section_id, cycle), SectionStatus.NOT_STARTED) in DONE

    def passes(self, section_id: str, cycle: int) -> bool:
        if not self.done(section_id, cycle):
            return False
        decision = self.state.decisions.get((section_id, cycle))
        return decision is None or Effect(decision.effect) in PASSING

    def settled(self, section_id: str, cycle: int | None) -> bool:
        if cycle is None:
            return False
        key = (section_id, cycle)
        if key not in self.memo:
            self.memo[key] = False  # guards against a loop while it is worked out
            self.memo[key] = self.passes(section_id, cycle) and not self.waiting_for(
                section_id, cycle
            )
        return self.memo[key]

    def waiting_for(self, section_id: str, cycle: int) -> tuple[str, ...]:
        recurring = self.journey.is_recurring(section_id)
        return tuple(
            self.journey.section(required).title
            for required in self.journey.section(section_id).requires
            if not self.settled(required, self.scope(required, cycle, recurring))
        )

    def blocked_outside_review(self, section_id: str) -> bool:
        """True when a section of a review cannot start because something outside the reviews
        (a section answered once) that it waits for, directly or through others, is not
        settled: the agreement not yet signed off, no child gone home yet."""
        return any(
            not self.journey.is_recurring(required) and not self.settled(required, 0)
            for required in self.journey.prerequisites.get(section_id, ())
        )


def _detail(journey: JourneyShape, state: State, section: Section) -> str | None:
    if section.kind == "returns" and state.children:
        return f"{state.children_home} of {state.children} children at home"
    if section.kind == "monitoring" and state.returns:
        return f"{state.visits} visit{'' if state.visits == 1 else 's'} recorded"
    return None


def journey(content: FrameworkContent, family: Family, state: State) -> Journey:
    """The task list: every stage and section of the content with its status; the sections
    answered at each review are shown for the review under way (or the first one, before
    reviews begin), in the reviews of its kind (before or after a child goes home)."""
    shape_ = shape(content)
    judge = _Judge(shape_, state)
    active = family.status == FamilyStatus.ACTIVE
    review = state.open_cycle
    phase = review.phase if review else _phase_now(state)
    review_number = (
        review.number if review else (state.cycles[-1].number + 1 if state.cycles else 1)
    )
    stages = []
    reached: str | None = None
    for stage in content.stages:
        tasks = []
        for section in stage.sections:
            recurring = shape_.is_recurring(section.id)
            if recurring and not shape_.in_phase(section.id, phase):
                continue
            cycle = review_number if recurring else 0
            waiting = judge.waiting_for(section.id, cycle)
            status = _status(shape_, state, section, cycle, judge)
            tasks.append(
                Task(
                    section=section,
                    stage_id=stage.id,
                    cycle=cycle,
                    status=status,
                    can_start=active and not waiting,
                    waiting_for=waiting,
                    decision=state.decisions.get((section.id, cycle)),
                    proposal=state.proposals.get((section.id, cycle)),
                    detail=_detail(shape_, state, section),
                    title=content.section_titles.get(section.id, section.title),
                )
            )
            if not waiting and reached is None and status not in DONE:
                reached = stage.id
        stages.append(StageTasks(stage_id=stage.id, title=stage.title, tasks=tuple(tasks)))
    if reached is None and stages:
        reached = stages[-1].stage_id
    return Journey(
        stages=tuple(stages),
        status=FamilyStatus(family.status),
        review=review,
        settled_stage=reached,
    )


def _status(
    journey: JourneyShape, state: State, section: Section, cycle: int, judge: _Judge
) -> SectionStatus:
    key = (section.id, cycle)
    if section.kind == "gate":
        if key in state.proposals:
            return SectionStatus.AWAITING_SIGN_OFF
        return state.statuses.get(key, SectionStatus.NOT_STARTED)
    if section.kind == "returns":
        if state.returns == 0:
            return SectionStatus.NOT_STARTED
        return (
            SectionStatus.COMPLETED
            if state.children_home >= state.children
            else SectionStatus.IN_PROGRESS
        )
    if section.kind == "monitoring":
        return SectionStatus.IN_PROGRESS if state.visits else SectionStatus.NOT_STARTED
    return state.statuses.get(key, SectionStatus.NOT_STARTED)


def _phase_now(state: State) -> str:
    return (CyclePhase.AFTER_RETURN if state.children_home else CyclePhase.BEFORE_RETURN).value


def family_journey(session: Session, family: Family, content: FrameworkContent) -> Journey:
    return journey(content, family, load_state(session, family))


def statuses_in(session: Session, family: Family, cycle: int = 0) -> dict[str, SectionStatus]:
    """The status of each section in one review cycle (0: the sections answered once), from
    the state the page reads anyway."""
    return {
        section_id: status
        for (section_id, in_cycle), status in load_state(session, family).statuses.items()
        if in_cycle == cycle
    }


def section_statuses(
    session: Session, family_id: uuid.UUID, cycle: int = 0
) -> dict[str, SectionStatus]:
    """The status of each section in one review cycle (0: the sections answered once), read
    afresh: what a save checks against."""
    rows = session.exec(
        select(SectionProgress)
        .where(col(SectionProgress.family_id) == family_id, col(SectionProgress.cycle) == cycle)
        .execution_options(populate_existing=True)
    ).all()
    return {row.section_id: SectionStatus(row.status) for row in rows}


def decision_rows(session: Session, family: Family) -> Sequence[GateDecision]:
    """Every decision recorded at the family's gates, superseded ones included, oldest first;
    read once per transaction (a summary's history, reviews and outcome each list them)."""
    return read_once(
        session,
        ("decision_rows", family.id),
        ["gate_decision"],
        lambda: tuple(
            session.exec(
                select(GateDecision)
                .where(col(GateDecision.family_id) == family.id)
                .order_by(col(GateDecision.decided_at))
            ).all()
        ),
    )


def latest_decisions(session: Session, family_id: uuid.UUID) -> dict[str, GateDecision]:
    """The latest decision (not superseded) at each gate, whichever review it was made in."""
    rows = session.exec(
        select(GateDecision)
        .where(col(GateDecision.family_id) == family_id, col(GateDecision.superseded_at).is_(None))
        .order_by(col(GateDecision.decided_at))
    ).all()
    return {row.gate_id: row for row in rows}


def current_cycle(content: FrameworkContent, family: Family, section_id: str) -> int:
    """The cycle a section is answered in now: the review under way for a section answered at
    each review (the first, before reviews begin), 0 for the others."""
    if not shape(content).is_recurring(section_id):
        return 0
    return family.current_cycle or 1


def is_overdue(due: date | None) -> bool:
    return due is not None and due < london_today()


# --- keeping the review cycles and the caseload in step ----------------------------------------


def refresh_family(session: Session, family: Family, content: FrameworkContent) -> Journey:
    """Bring the review cycles up to date (open the first when reviews can begin, close one
    whose work is done and schedule the next), then recompute the caseload columns.

    Saves of one family take turns here (the family's row is locked), so each works from what
    the others stored. The caseload columns are worked out from the record, not typed, so they
    are written without the family's version: saving a section is never refused as a change
    someone else made to the family, and the family's own forms conflict only with changes to
    the family itself."""
    session.flush()
    write_lock(session)
    session.execute(select(Family.id).where(col(Family.id) == family.id).with_for_update())
    # Read under the lock, not kept from before it.
    state = load_state(session, family, fresh=True)
    for _ in range(len(state.cycles) + 3):  # each pass opens or closes at most one cycle
        if not _step_cycles(session, family, content, state):
            break
        session.flush()
        state = load_state(session, family, fresh=True)
    current = journey(content, family, state)
    open_cycle = state.open_cycle
    stage = current.current_stage
    columns = {
        "current_stage_id": stage.stage_id if stage else None,
        "next_action": current.next_action[:200],
        "next_review_due": open_cycle.due_on if open_cycle else None,
        "current_cycle": open_cycle.number if open_cycle else family.current_cycle,
        "awaiting_sign_off": current.awaiting_sign_off,
    }
    session.execute(
        Family.__table__.update().where(Family.__table__.c.id == family.id).values(**columns)  # type: ignore[attr-defined]
    )
    for name, value in columns.items():
        set_committed_value(family, name, value)
    return current


def _step_cycles(session: Session, family: Family, content: FrameworkContent, state: State) -> bool:
    """Make one change to the review cycles if one is due; say whether anything changed."""
    journey_ = shape(content)
    if not journey_.recurring:
        return False
    open_cycle = state.open_cycle
    now = utcnow()
    if family.status != FamilyStatus.ACTIVE:
        if open_cycle is not None:
            open_cycle.closed_at = now
            session.add(open_cycle)
            return True
        return False
    judge = _Judge(journey_, state)
    if open_cycle is None:
        number = state.cycles[-1].number + 1 if state.cycles else 1
        phase = _phase_now(state)
        sections = journey_.review_sections(phase)
        if all(judge.blocked_outside_review(sid) for sid in sections):
            return False
        session.add(
            ReviewCycle(
                family_id=family.id,
                number=number,
                phase=phase,
                due_on=_due_on(session, family, content, state, phase),
            )
        )
        return True
    if state.children_home and open_cycle.phase == CyclePhase.BEFORE_RETURN.value:
        # A child has gone home: this review looks at the return, and comes sooner.
        after = content.cadence.after_return
        assert state.first_home_on is not None
        open_cycle.phase = CyclePhase.AFTER_RETURN.value
        open_cycle.due_on = min(
            open_cycle.due_on,
            state.first_home_on + timedelta(weeks=after.first_review_after_weeks),
        )
        session.add(open_cycle)
        return True
    sections = journey_.review_sections(open_cycle.phase)
    number = open_cycle.number
    finished = [sid for sid in sections if judge.done(sid, number)]
    if finished and all(
        judge.done(sid, number) or judge.blocked_outside_review(sid) for sid in sections
    ):
        open_cycle.closed_at = now
        session.add(open_cycle)
        return True
    return False


def _due_on(
    session: Session, family: Family, content: FrameworkContent, state: State, phase: str
) -> date:
    cadence = content.cadence
    today = london_today()
    previous = state.cycles[-1] if state.cycles else None
    if previous is None:
        start = today
        if cadence.first_review_from is not None:
            decision = next(
                (
                    item
                    for (gate_id, _cycle), item in sorted(
                        state.decisions.items(), key=lambda pair: pair[1].decided_at
                    )
                    if gate_id == cadence.first_review_from and Effect(item.effect) in PASSING
                ),
                None,
            )
            if decision is not None:
                start = decision.decided_at.astimezone(LONDON).date()
        return start + timedelta(weeks=cadence.first_review_after_weeks)
    held = previous.held_on or (
        previous.closed_at.astimezone(LONDON).date() if previous.closed_at else today
    )
    if phase == CyclePhase.AFTER_RETURN.value:
        after = cadence.after_return
        if previous.phase == CyclePhase.BEFORE_RETURN.value and state.first_home_on:
            return max(held, state.first_home_on) + timedelta(weeks=after.first_review_after_weeks)
        return held + timedelta(weeks=after.review_every_weeks)
    return held + timedelta(weeks=cadence.review_every_weeks)


def monitoring_until(content: FrameworkContent, returned_on: date) -> date:
    """The end of a child's monitoring after going home, on the content's cadence."""
    return add_months(returned_on, content.cadence.after_return.monitor_for_months)


def set_section_status(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    status: SectionStatus,
    cycle: int = 0,
    refresh: bool = True,
) -> None:
    """Record a section's new status in a cycle (features call this) and refresh the family."""
    row = session.exec(
        select(SectionProgress)
        .where(
            col(SectionProgress.family_id) == family.id,
            col(SectionProgress.section_id) == section_id,
            col(SectionProgress.cycle) == cycle,
        )
        .execution_options(populate_existing=True)
    ).first()
    before = row.status if row else SectionStatus.NOT_STARTED.value
    if before == status.value:
        return
    if row is None:
        row = SectionProgress(
            family_id=family.id, section_id=section_id, cycle=cycle, status=status.value
        )
    row.status = status.value
    row.updated_at = utcnow()
    row.updated_by_id = actor.user_id
    session.add(row)
    session.flush()
    details: dict[str, object] = {"status": {"before": before, "after": status.value}}
    if cycle:
        details["review"] = cycle
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="section_progress",
        entity_id=section_id,
        family_id=family.id,
        details=details,
    )
    if refresh:
        refresh_family(session, family, content)


def waiting_for(
    session: Session, family: Family, content: FrameworkContent, section_id: str, cycle: int
) -> tuple[str, ...]:
    """Titles of what a section (in a review cycle) waits for that is not settled yet."""
    return _Judge(shape(content), load_state(session, family)).waiting_for(section_id, cycle)


def cannot_start(
    session: Session,
    family: Family,
    content: FrameworkContent,
    section_id: str,
    cycle: int,
    *,
    doing: str,
) -> str | None:
    """Why `doing` (words such as "added to") cannot be done to a section yet, in a social
    worker's words, or None when it can. Names what it waits for and, where that in turn waits,
    the step to take first: "How the return went cannot be completed yet: it waits for the
    decision after the return, and first Risk classification 3 needs a supervisor's sign-off."
    Pages, imports and the API show the same sentence."""
    journey_ = shape(content)
    if section_id not in journey_.order:
        return None
    state = load_state(session, family)
    judge = _Judge(journey_, state)
    waiting = judge.waiting_for(section_id, cycle)
    if not waiting:
        return None
    title = content.section_titles.get(section_id, journey_.section(section_id).title)
    message = f"‘{title}’ cannot be {doing} yet: it waits for {_listed(waiting)}."
    first = _first_steps(journey_, judge, section_id, cycle)
    if first and [name for name, _ in first] != list(waiting):
        message += " First: " + "; ".join(f"{name} {why}" for name, why in first) + "."
    return message


def _listed(titles: tuple[str, ...]) -> str:
    quoted = [f"‘{title}’" for title in titles]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _first_steps(
    journey_: JourneyShape, judge: _Judge, section_id: str, cycle: int
) -> list[tuple[str, str]]:
    """The unsettled sections a section waits for (directly or through others) that can
    themselves go ahead now, each with what they need."""
    recurring = journey_.is_recurring(section_id)
    steps: list[tuple[str, str]] = []
    for required in journey_.order:
        if required not in journey_.prerequisites.get(section_id, ()):
            continue
        scope = judge.scope(required, cycle, recurring)
        if judge.settled(required, scope) or judge.waiting_for(required, scope or 0):
            continue
        section = journey_.section(required)
        status = judge.state.statuses.get((required, scope or 0), SectionStatus.NOT_STARTED)
        if status is SectionStatus.AWAITING_SIGN_OFF:
            why = "needs a supervisor's sign-off"
        elif section.kind == "gate":
            why = "needs its decision recorded"
        elif status is SectionStatus.NOT_STARTED:
            why = "has not been started"
        else:
            why = "is not finished"
        steps.append((f"‘{section.title}’", why))
    return steps


def prerequisite_keys(
    content: FrameworkContent, state: State, section_id: str, cycle: int
) -> list[Key]:
    """Every section a section waits for, directly or through others, each with the cycle of
    the record it waits for (the same review for sections answered at each review)."""
    shape_ = shape(content)
    judge = _Judge(shape_, state)
    recurring = shape_.is_recurring(section_id)
    keys: list[Key] = []
    for required in shape_.order:
        if required not in shape_.prerequisites.get(section_id, ()):
            continue
        scope = judge.scope(required, cycle, recurring)
        if scope is not None:
            keys.append((required, scope))
    return keys
