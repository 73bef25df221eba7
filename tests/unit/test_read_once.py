"""Records several parts of one page read (a family's people, its task state) are read from
the database once per transaction, and afresh after the transaction writes them."""

from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlmodel import Session, col, select

from app.models.family import Child
from app.services import progress
from app.services.questions import people_of
from app.timeutil import now_utc
from tests.factories import make_child, make_family, make_team, make_user

T = TypeVar("T")


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
