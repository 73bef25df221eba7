"""Two people saving the same record at once: one wins, the other gets a conflict and loses
nothing. Real separate database connections, on SQLite and PostgreSQL."""

import contextlib
import fcntl
import os
import subprocess
import sys
import threading
import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from app import db
from app.config import PROJECT_ROOT
from app.db import make_probe_engine, open_session, write_lock
from app.models.accounts import Role
from app.models.assessment import AssessmentAnswer
from app.models.audit import AuditEvent
from app.models.family import Family
from app.services import families, questions
from app.services.audit import Actor
from app.services.errors import Conflict
from tests.factories import (
    CONTENT,
    make_child,
    make_family,
    make_team,
    make_user,
    start_session,
)

V1 = CONTENT.latest("reunification")


def details(child, name: str) -> families.ChildDetails:  # type: ignore[no-untyped-def]
    return families.ChildDetails(
        name=name,
        date_of_birth=child.date_of_birth,
        gender=child.gender,
        ethnicity=None,
        legal_status=child.legal_status,
        legal_status_detail=None,
        date_entered_care=child.date_entered_care,
        entry_reason=child.entry_reason,
        entry_reason_detail=None,
        placement_type=child.placement_type,
        placement_moves=child.placement_moves,
    )


@pytest.fixture
def saved_child(engine: Engine):  # type: ignore[no-untyped-def]
    with open_session(engine) as session:
        team = make_team(session, f"Race {uuid.uuid4().hex[:8]}")
        user = make_user(session, roles=[Role.PRACTITIONER], team=team)
        family = make_family(session, team=team, allocated_to=user)
        child = make_child(session, family, name="Before")
        session.commit()
        return user.id, family.id, child.id


def test_racing_saves_of_one_version_cannot_both_win(engine: Engine, saved_child) -> None:  # type: ignore[no-untyped-def]
    user_id, family_id, child_id = saved_child
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def save(name: str) -> None:
        with open_session(engine) as session:
            from app.models.accounts import User
            from app.models.family import Child, Family

            user = session.get(User, user_id)
            family = session.get(Family, family_id)
            child = session.get(Child, child_id)
            assert user
            assert family
            assert child
            # On PostgreSQL both read version 1 before either saves. SQLite serialises writing
            # transactions, so there the second reads only after the first has finished.
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=2)
            try:
                families.update_child(
                    session,
                    actor=Actor(user=user),
                    family=family,
                    content=V1,
                    child=child,
                    details=details(child, name),
                    expected_version=1,
                )
                session.commit()  # as the request's one transaction does
                outcomes.append(f"saved {name}")
            except Conflict as conflict:
                outcomes.append(f"conflict, saved now: {conflict.current.name}")

    threads = [threading.Thread(target=save, args=(name,)) for name in ("Ann", "Bea")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2
    winners = [outcome for outcome in outcomes if outcome.startswith("saved")]
    assert len(winners) == 1, outcomes
    winner = winners[0].removeprefix("saved ")
    assert f"conflict, saved now: {winner}" in outcomes
    with open_session(engine) as session:
        from app.models.family import Child

        child = session.get(Child, child_id)
        assert child is not None
        assert (child.name, child.version) == (winner, 2)


def test_two_trainers_saving_one_draft_file_cannot_both_win(engine: Engine) -> None:
    from app.models.content import ContentFile, ContentOrigin, ContentStatus, ContentVersion
    from app.services import content_studio

    with open_session(engine) as session:
        trainers = [make_user(session, roles=[Role.TRAINER]) for _ in range(2)]
        draft = ContentVersion(
            framework_id=f"race-{uuid.uuid4().hex[:8]}",
            status=ContentStatus.DRAFT.value,
            origin=ContentOrigin.STUDIO.value,
            title="Race",
        )
        session.add(draft)
        session.flush()
        session.add(ContentFile(content_version_id=draft.id, name="levels.yaml", text="before\n"))
        session.commit()
        draft_id, trainer_ids = draft.id, [trainer.id for trainer in trainers]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def save(index: int, text: str) -> None:
        from app.models.accounts import User

        with open_session(engine) as session:
            user = session.get(User, trainer_ids[index])
            row = session.get(ContentVersion, draft_id)
            assert user
            assert row
            content_studio.get_file(session, draft_id, "levels.yaml")  # both read version 1
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=2)
            try:
                content_studio.save_file(
                    session,
                    actor=Actor(user=user),
                    draft=row,
                    name="levels.yaml",
                    text=text,
                    expected_version=1,
                )
                session.commit()
                outcomes.append(f"saved {text}")
            except Conflict as conflict:
                outcomes.append(f"conflict, saved now: {conflict.current.text}")

    threads = [
        threading.Thread(target=save, args=(index, text))
        for index, text in enumerate(("one\n", "two\n"))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 2
    winners = [outcome for outcome in outcomes if outcome.startswith("saved")]
    assert len(winners) == 1, outcomes
    winner = winners[0].removeprefix("saved ")
    assert f"conflict, saved now: {winner}" in outcomes
    with open_session(engine) as session:
        row = content_studio.get_file(session, draft_id, "levels.yaml")
        assert (row.text, row.version) == (winner, 2)


def test_pages_are_read_while_someone_else_is_writing(app: FastAPI, engine: Engine) -> None:
    """On SQLite a GET reads without the write lock and writes its audit entries after its
    reads; on PostgreSQL readers never wait for writers. Either way, a page opens while
    another connection holds a write to the same family."""
    with open_session(engine) as session:
        team = make_team(session, f"Readers {uuid.uuid4().hex[:8]}")
        user = make_user(session, roles=[Role.PRACTITIONER], team=team)
        family = make_family(session, team=team, allocated_to=user)
        family_id = family.id
        token = start_session(session, user)
        session.commit()
    results: dict[str, int] = {}
    with TestClient(app) as browser, engine.connect() as writer:
        browser.cookies.set("homeward_session", token)
        writing = writer.begin()  # SQLite: BEGIN IMMEDIATE, the database's one write lock
        writer.execute(
            update(Family).where(col(Family.id) == family_id).values(display_name="Written")
        )

        def read(path: str) -> None:
            results[path] = browser.get(path).status_code

        caseload = threading.Thread(target=read, args=("/families",))
        caseload.start()
        caseload.join(timeout=20)
        assert results.get("/families") == 200, "the caseload waited for the writer"
        # The overview's audit entry is a write: on SQLite it waits for the writer to finish.
        overview = threading.Thread(target=read, args=(f"/families/{family_id}",))
        overview.start()
        writing.commit()
        overview.join(timeout=40)
    assert results.get(f"/families/{family_id}") == 200
    with open_session(engine) as session:
        reads = session.exec(
            select(AuditEvent).where(
                col(AuditEvent.family_id) == family_id, col(AuditEvent.action) == "view"
            )
        ).all()
        assert [read.path for read in reads] == [f"/families/{family_id}"]
        assert session.get(Family, family_id).display_name == "Written"  # type: ignore[union-attr]


def _sqlite_only(backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's one write lock; PostgreSQL locks rows")


def test_a_form_reads_beside_a_writer_and_writes_after_it(backend: str, engine: Engine) -> None:
    """A request that writes (sqlite_begin="LATE") reads while another holds the write lock,
    waits for its turn only at its first write, and then sees what the other saved."""
    _sqlite_only(backend)
    with open_session(engine) as session:
        team = make_team(session, f"Late {uuid.uuid4().hex[:8]}")
        family_id = make_family(session, team=team, display_name="Before").id
        session.commit()
    name = select(Family.display_name).where(col(Family.id) == family_id)
    seen: list[str] = []
    with engine.connect() as writer, engine.connect() as late:
        writing = writer.begin()  # IMMEDIATE: the database's one write lock
        writer.execute(update(Family).where(col(Family.id) == family_id).values(display_name="B"))
        late = late.execution_options(sqlite_begin="LATE")
        form = late.begin()
        seen.append(late.execute(name).scalar_one())  # no wait for the writer

        def save() -> None:
            late.execute(
                update(Family)
                .where(col(Family.id) == family_id)
                .values(display_name=Family.display_name + " and C")
            )
            seen.append(late.execute(name).scalar_one())
            form.commit()

        saving = threading.Thread(target=save)
        saving.start()
        saving.join(timeout=1)
        assert saving.is_alive(), "the write did not wait for the other writer"
        writing.commit()
        saving.join(timeout=30)
    assert seen == ["Before", "B and C"]


def test_a_writer_waits_its_turn_at_most_the_busy_timeout(backend: str, database_url: str) -> None:
    """Writers of one process take turns (app.db._Writers); one that cannot get its turn in
    time fails as SQLite's own wait does, and the turn is free again after a rollback."""
    _sqlite_only(backend)
    engine = make_probe_engine(database_url, timeout=1)
    try:
        with engine.connect() as first, engine.connect() as second:
            holding = first.begin()
            with pytest.raises(OperationalError, match="database is locked"):
                second.begin()
            holding.rollback()
            second.begin().commit()
    finally:
        engine.dispose()


# Another app process's writer: it takes its turn (within `timeout` seconds), then says so.
OTHER_PROCESS_WRITER = """
import sys
from app.db import make_probe_engine
engine = make_probe_engine(sys.argv[1], timeout=float(sys.argv[2]))
with engine.connect() as connection:
    connection.begin()
    print("wrote", flush=True)
    connection.rollback()
"""


def _other_process_writes(database_url: str, timeout: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", OTHER_PROCESS_WRITER, database_url, str(timeout)],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_writers_of_two_processes_take_turns_through_a_lock_file(
    backend: str, database_url: str
) -> None:
    """Several app processes on one SQLite file: a writer holds the lock file beside it from
    its turn to its commit, and another process's writer waits for that file, not for
    SQLite's own polling: within its time limit, and writing as soon as the file is free."""
    _sqlite_only(backend)
    engine = make_probe_engine(database_url, timeout=30)
    turn_file = db._WRITERS[engine.pool].turn_file
    assert turn_file is not None
    mine = os.open(turn_file.path, os.O_RDWR | os.O_CREAT)
    try:
        with engine.connect() as connection:
            writing = connection.begin()
            with pytest.raises(BlockingIOError):
                fcntl.flock(mine, fcntl.LOCK_EX | fcntl.LOCK_NB)
            writing.rollback()
        # Free once the writer is done; held now by this test alone, as another process's
        # writer would hold it (SQLite's own lock stays free).
        fcntl.flock(mine, fcntl.LOCK_EX | fcntl.LOCK_NB)
        hurried = _other_process_writes(database_url, timeout=1)
        output, errors = hurried.communicate(timeout=60)
        assert hurried.returncode != 0
        assert "database is locked" in errors
        assert "wrote" not in output
        patient = _other_process_writes(database_url, timeout=60)
        with pytest.raises(subprocess.TimeoutExpired):
            patient.wait(timeout=2)
        fcntl.flock(mine, fcntl.LOCK_UN)
        output, errors = patient.communicate(timeout=60)
        assert patient.returncode == 0, errors
        assert output.strip() == "wrote"
    finally:
        os.close(mine)
        engine.dispose()


def test_a_read_that_decides_a_write_takes_the_lock_first(backend: str, engine: Engine) -> None:
    """write_lock: counting failed sign-ins or freezing a form reads under the write lock, so
    two such requests never both read before either writes."""
    _sqlite_only(backend)
    order: list[str] = []
    with engine.connect() as writer, engine.connect() as late:
        writing = writer.begin()
        late = late.execution_options(sqlite_begin="LATE")
        late.begin()

        def decide() -> None:
            with Session(bind=late) as session:
                write_lock(session)
                order.append("locked")

        deciding = threading.Thread(target=decide)
        deciding.start()
        deciding.join(timeout=1)
        order.append("writer done")
        writing.commit()
        deciding.join(timeout=30)
        late.rollback()
    assert order == ["writer done", "locked"]


def test_a_page_s_first_saves_racing_each_other_both_land(backend: str, engine: Engine) -> None:
    """A section's first autosave and the page's own button, both read before either stored
    the section: the later save (higher count) is not refused as someone else's change, and
    its answers are the ones kept. (Seen as a "Someone else saved this" page after typing and
    pressing "Mark as complete" straight away.) PostgreSQL only: on SQLite the button's save
    holds the write lock from its start, so the autosave cannot land in between."""
    if backend == "sqlite":
        pytest.skip("SQLite serialises the two saves")
    with open_session(engine) as session:
        team = make_team(session, f"First {uuid.uuid4().hex[:8]}")
        user = make_user(session, roles=[Role.PRACTITIONER], team=team)
        family = make_family(session, team=team, allocated_to=user)
        session.commit()
    editor = uuid.uuid4().hex
    content = CONTENT.get(family.framework_id, family.framework_version)

    def save(session: Session, seq: int, route: str) -> questions.SaveResult:
        return questions.save_section(
            session,
            actor=Actor(user=user, request_id="test", client_address="", path="/test"),
            family=session.get(Family, family.id),  # type: ignore[arg-type]
            content=content,
            section_id="identification",
            form={"a.identification-route": route, "editor": editor, "seq": str(seq)},
            expected_version=0,
        )

    # The button's save (the page's second) reads first; the autosave (its first) stores the
    # section just before the button's save inserts it.
    button = open_session(engine)

    landed: list[bool] = []

    def autosave_lands_first(session: Session, transaction: SessionTransaction) -> None:
        # The service runs in a savepoint, and the section's insert in one inside it: the
        # autosave lands as that one begins, after the button's save found no section.
        if transaction.nested and transaction.parent.nested and not landed:
            landed.append(True)
            with open_session(engine) as autosave:
                save(autosave, 1, "court")
                autosave.commit()

    event.listen(button, "after_transaction_create", autosave_lands_first)
    with button:
        result = save(button, 2, "parent-request")
        button.commit()
    assert landed
    assert result.state.version == 2
    with open_session(engine) as session:
        stored = session.exec(
            select(AssessmentAnswer).where(
                col(AssessmentAnswer.family_id) == family.id,
                col(AssessmentAnswer.answer_key) == "identification-route",
            )
        ).one()
        assert stored.value_choice == "parent-request"
        # The autosave arriving last is refused as older, never stored over the button's.
        with pytest.raises(questions.Superseded):
            save(session, 1, "court")


def test_saves_of_one_family_at_once_are_not_refused_as_changes_to_the_family(
    engine: Engine,
) -> None:
    """Two sections of one family saved at once both land: the caseload's columns that each
    save works out again (the next action, the stage) are not the family's own data, so they
    do not count as a change to the family, and its details form still saves after them."""
    with open_session(engine) as session:
        team = make_team(session, f"Both {uuid.uuid4().hex[:8]}")
        user = make_user(session, roles=[Role.PRACTITIONER], team=team)
        family_id = make_family(session, team=team, allocated_to=user).id
        session.commit()
    someone = Actor(user=user, request_id="test", client_address="", path="/test")

    def save(session: Session, family: Family, section_id: str, form: dict[str, str]) -> None:
        questions.save_section(
            session,
            actor=someone,
            family=family,
            content=CONTENT.get(family.framework_id, family.framework_version),
            section_id=section_id,
            form=form,
            expected_version=0,
        )

    # This request read the family before the other saved; it writes after.
    late = Session(engine.execution_options(sqlite_begin="LATE"), expire_on_commit=False)
    with late:
        family = late.get(Family, family_id)
        assert family is not None
        version = family.version
        with open_session(engine) as other:
            save(
                other,
                other.get(Family, family_id),
                "identification",
                {"a.identification-route": "court"},
            )  # type: ignore[arg-type]
            other.commit()
        save(late, family, "views", {"a.network-view": "The school sees a settled child"})
        late.commit()
    with open_session(engine) as session:
        family = session.get(Family, family_id)
        assert family is not None
        assert family.version == version
        assert family.next_action
        keys = set(
            session.exec(
                select(AssessmentAnswer.answer_key).where(
                    col(AssessmentAnswer.family_id) == family_id
                )
            ).all()
        )
        assert {"identification-route", "network-view"} <= keys
        families.update_family(
            session,
            actor=someone,
            family=family,
            details=families.FamilyDetails(
                reference=family.reference,
                display_name="Renamed family",
                allocated_practitioner_id=user.id,
            ),
            expected_version=version,
        )
        session.commit()
