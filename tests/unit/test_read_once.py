"""Records several parts of one page read (a family's people, its task state) are read from
the database once per transaction, and afresh after the transaction writes them."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

from sqlalchemy import event
from sqlmodel import Session, col, select

from app.content.schema import FactorsSection, QuestionsSection
from app.models.accounts import Role
from app.models.family import Child
from app.models.journey import CareReentry, MonitoringVisit, ReviewCycle
from app.models.progress import GateDecision, GateProposal, SectionProgress, SectionStatus
from app.services import (
    accounts,
    chronology,
    chronology_review,
    evidence,
    families,
    prefill,
    progress,
    sessions,
)
from app.services.audit import Actor
from app.services.questions import evidence_counts, people_of
from app.timeutil import now_utc
from tests.factories import (
    CONTENT,
    make_adult,
    make_child,
    make_child_return,
    make_episode,
    make_family,
    make_report_evidence,
    make_return,
    make_team,
    make_user,
    start_session,
)

T = TypeVar("T")
REUNIFICATION = CONTENT.latest("reunification")


def statements(db: Session, work: Callable[[], T]) -> tuple[T, int]:
    """What `work` returns, and how many statements it sent (the test's savepoints aside)."""
    seen: list[str] = []

    def listener(*args: Any) -> None:
        if "SAVEPOINT" not in args[2]:
            seen.append(args[2])

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", listener)
    try:
        return work(), len(seen)
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def test_read_once_until_written(db: Session) -> None:
    team = make_team(db)
    family = make_family(db, team=team, allocated_to=make_user(db, team=team))
    make_child(db, family, name="Amy")
    db.commit()

    people, sent = statements(db, lambda: people_of(db, family))
    assert sent > 0
    assert [name for _id, name in people.children] == ["Amy"]
    state, sent = statements(db, lambda: progress.load_state(db, family))
    assert sent > 0
    assert state.children == 1
    # Asked again in the same transaction: nothing read.
    again, sent = statements(db, lambda: (people_of(db, family), progress.load_state(db, family)))
    assert again == (people, state)
    assert sent == 0

    # Once the transaction has written a child, both are read afresh, then kept again until
    # the next write.
    make_child(db, family, name="Ben")
    assert [name for _id, name in people_of(db, family).children] == ["Amy", "Ben"]
    assert progress.load_state(db, family).children == 2
    _, sent = statements(db, lambda: people_of(db, family))
    assert sent == 0

    # A write still waiting in the session counts too: it is flushed and read.
    ben = db.exec(select(Child).where(col(Child.name) == "Ben")).one()
    ben.deleted_at = now_utc()
    db.add(ben)
    assert progress.load_state(db, family).children == 1

    # A write to other tables keeps what was read.
    make_team(db, "Another team")
    _, sent = statements(db, lambda: progress.load_state(db, family))
    assert sent == 0

    # A savepoint rolled back may take rows a value came from: read afresh.
    with db.begin_nested() as savepoint:
        make_child(db, family, name="Cal")
        assert progress.load_state(db, family).children == 2
        savepoint.rollback()
    assert progress.load_state(db, family).children == 1

    # A new transaction reads once again.
    db.commit()
    _, sent = statements(db, lambda: people_of(db, family))
    assert sent > 0
    _, sent = statements(db, lambda: people_of(db, family))
    assert sent == 0


def test_the_state_and_the_children_at_home_read_returns_once(db: Session) -> None:
    team = make_team(db)
    family = make_family(db, team=team, allocated_to=make_user(db, team=team))
    make_child(db, family, name="Amy")
    db.commit()

    progress.load_state(db, family)
    home, sent = statements(db, lambda: progress.children_at_home(db, family.id))
    assert (home, sent) == ({}, 0)
    # Asked for what is stored now (after taking a lock, say): read again.
    _, sent = statements(db, lambda: progress.children_at_home(db, family.id, fresh=True))
    assert sent > 0


def test_the_task_state_reads_returns_visits_and_counts_in_one_statement(db: Session) -> None:
    """One statement for the children's moves, the sections' statuses and the counts of
    children, visits (deleted ones left out), decisions, pending proposals and reviews; one
    more for each of the last three only when there are some."""
    team = make_team(db)
    user = make_user(db, team=team)
    family = make_family(db, team=team, allocated_to=user)
    empty, sent = statements(db, lambda: progress.load_state(db, family, fresh=True))
    assert sent == 1
    assert (empty.statuses, empty.decisions, empty.proposals, empty.cycles) == ({}, {}, {}, [])
    assert (empty.children, empty.returns, empty.children_home, empty.visits) == (0, 0, 0, 0)
    assert empty.first_home_on is None

    amy, ben = make_child(db, family, name="Amy"), make_child(db, family, name="Ben")
    make_child(db, family, name="Cal")
    gone = make_child(db, family, name="Dee")
    gone.deleted_at = now_utc()
    make_child_return(db, amy, returned_on=date(2026, 2, 1))
    make_child_return(db, ben, returned_on=date(2026, 1, 10))
    db.add(
        CareReentry(family_id=family.id, child_id=ben.id, entered_on=date(2026, 3, 1), reason="x")
    )
    for deleted_at in (None, now_utc()):
        db.add(
            MonitoringVisit(
                family_id=family.id,
                visited_on=date(2026, 2, 5),
                support_in_place=True,
                deleted_at=deleted_at,
            )
        )
    db.flush()
    state, sent = statements(db, lambda: progress.load_state(db, family))
    assert sent == 1
    assert (state.children, state.returns, state.children_home, state.visits) == (3, 2, 1, 1)
    # Ben went home first but came back into care: Amy is the one at home.
    assert state.first_home_on == date(2026, 2, 1)
    home, sent = statements(db, lambda: progress.children_at_home(db, family.id))
    assert (home, sent) == ({amy.id: date(2026, 2, 1)}, 0)

    db.add(SectionProgress(family_id=family.id, section_id="chronology", status="completed"))
    db.add(
        SectionProgress(family_id=family.id, section_id="progress", cycle=1, status="in_progress")
    )
    for gate, superseded in (("first", None), ("second", now_utc())):
        db.add(
            GateDecision(
                family_id=family.id,
                gate_id=gate,
                option_id="proceed",
                rationale="Reasons",
                decided_by_id=user.id,
                framework_version="1.0.0",
                superseded_at=superseded,
            )
        )
    db.add(ReviewCycle(family_id=family.id, number=1, phase="before", due_on=date(2026, 4, 1)))
    db.add(
        GateProposal(
            family_id=family.id,
            gate_id="first",
            option_id="proceed",
            reason="Proposed",
            proposed_by_id=user.id,
            status="withdrawn",
        )
    )
    db.flush()
    state, sent = statements(db, lambda: progress.load_state(db, family))
    # The decision still standing and the review; no pending proposal, so no statement for it.
    assert sent == 3
    assert state.statuses == {
        ("chronology", 0): SectionStatus.COMPLETED,
        ("progress", 1): SectionStatus.IN_PROGRESS,
    }
    assert list(state.decisions) == [("first", 0)]
    assert [cycle.number for cycle in state.cycles] == [1]
    assert state.proposals == {}


def test_a_familys_people_are_read_once_for_every_part_that_lists_them(db: Session) -> None:
    team = make_team(db)
    family = make_family(db, team=team, allocated_to=make_user(db, team=team))
    make_child(db, family, name="Amy")
    make_adult(db, family, name="Zoe")
    db.commit()

    people, sent = statements(db, lambda: people_of(db, family))
    assert sent == 2  # the adults and the children
    names, sent = statements(
        db,
        lambda: (
            chronology.child_names(db, family),
            families.children(db, family),
            families.adults(db, family),
        ),
    )
    assert sent == 0
    assert list(names[0].values()) == ["Amy"]
    assert [adult.name for adult in names[2]] == ["Zoe"]
    assert [name for _id, name in people.parents] == ["Zoe"]
    # The deleted ones are a read of their own.
    _, sent = statements(db, lambda: families.children(db, family, include_deleted=True))
    assert sent == 1


def test_a_signed_in_request_reads_its_session_user_and_roles_in_one_statement(
    db: Session,
) -> None:
    team = make_team(db)
    user = make_user(db, team=team, roles=(Role.PRACTITIONER, Role.SUPERVISOR))
    token = start_session(db, user)
    db.commit()
    db.expunge_all()  # as a new request's session: nothing held

    def resolve() -> frozenset[Role]:
        found = sessions.resolve(
            db, token=token, policy=sessions.SessionPolicy(timedelta(hours=1), timedelta(days=1))
        )
        assert found is not None
        return found[1].roles

    roles, sent = statements(db, resolve)
    assert roles == {Role.PRACTITIONER, Role.SUPERVISOR}
    assert sent == 1


def test_staff_names_read_once_are_kept_and_only_new_ones_are_asked_for(db: Session) -> None:
    team = make_team(db)
    amy, ben, cat = (make_user(db, team=team, name=name) for name in ("Amy", "Ben", "Cat"))
    db.commit()

    names, sent = statements(db, lambda: accounts.staff_names(db, [amy.id, ben.id, None]))
    assert (names, sent) == ({amy.id: "Amy", ben.id: "Ben"}, 1)
    # The summary asks again for some of them (and for one more): only the new one is read.
    names, sent = statements(db, lambda: accounts.staff_names(db, [ben.id]))
    assert (names, sent) == ({ben.id: "Ben"}, 0)
    names, sent = statements(db, lambda: accounts.staff_names(db, [amy.id, cat.id]))
    assert (names, sent) == ({amy.id: "Amy", cat.id: "Cat"}, 1)
    # A change of name in the same transaction is read afresh.
    ben.name = "Benedict"
    db.add(ben)
    db.flush()
    names, sent = statements(db, lambda: accounts.staff_names(db, [ben.id]))
    assert (names, sent) == ({ben.id: "Benedict"}, 1)


def test_a_sections_evidence_is_counted_and_listed_from_one_read(db: Session) -> None:
    """A factors section's page counts its factors' evidence and lists it: one statement, read
    again after evidence is added. A section without factors counts nothing and reads nothing."""
    team = make_team(db)
    family = make_family(db, team=team, allocated_to=make_user(db, team=team))
    factors = next(
        info.section
        for info in REUNIFICATION.sections.values()
        if isinstance(info.section, FactorsSection)
    )
    questions_section = next(
        info.section
        for info in REUNIFICATION.sections.values()
        if isinstance(info.section, QuestionsSection)
    )
    factor = REUNIFICATION.domain(factors.domain).risk_factors[0].id

    def count_then_list() -> tuple[dict[str, int], list[str]]:
        counts = evidence_counts(db, family.id, REUNIFICATION, factors)
        listed = evidence.by_factor(db, family.id, list(counts))
        return counts, [item.description for item in listed[factor]]

    (counts, listed), sent = statements(db, count_then_list)
    assert (sum(counts.values()), listed, sent) == (0, [], 1)
    make_report_evidence(db, family, factor)
    (counts, listed), sent = statements(db, count_then_list)
    assert (counts[factor], listed, sent) == (1, ["Attendance report"], 1)
    assert statements(
        db, lambda: evidence_counts(db, family.id, REUNIFICATION, questions_section)
    ) == ({}, 0)


def test_records_a_family_has_none_of_are_not_asked_for(db: Session) -> None:
    """The statement every family page sends first also counts the children's earlier times in
    care and earlier returns home and the chronology's reviews. Where there are none (most
    families), the chronology page's events from the children's records and its latest review
    ask for none; once there are some, they are read and shown."""
    team = make_team(db)
    practitioner = make_user(db, team=team)
    supervisor = make_user(db, team=team, roles=(Role.SUPERVISOR,))
    family = make_family(db, team=team, allocated_to=practitioner)
    amy = make_child(db, family, name="Amy")
    # As the chronology page does first: the task state, the children.
    progress.load_state(db, family)
    families.children(db, family)

    def offered() -> list[str]:
        entries = prefill.record_entries(db, family=family, content=REUNIFICATION)
        return [entry.key.split(":")[0] for entry in entries]

    kinds, sent = statements(db, offered)
    assert kinds == ["care"]
    assert sent == 1  # which of them the chronology already tells
    assert statements(db, lambda: chronology_review.latest_review(db, family)) == (None, 0)

    make_episode(db, amy)
    make_return(db, amy)
    chronology_review.mark_reviewed(db, actor=Actor(user=supervisor), family=family, note=None)
    assert sorted(offered()) == ["breakdown", "care", "episode", "return"]
    latest = chronology_review.latest_review(db, family)
    assert latest is not None
    assert latest[1] == supervisor.name
