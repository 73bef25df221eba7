"""Races between two app processes on one PostgreSQL database, as production runs: two people
saving at the same moment. Every acknowledged write stays, and every loser gets a conflict
page with what they typed still in it. (SQLite serialises writers, so these are PostgreSQL
only: run with TEST_DATABASE_URL set.)"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import httpx2 as httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import Engine
from sqlmodel import col, select

from app.db import make_engine, migrate, open_session
from app.demo.journey import Story
from app.models.accounts import Role, Team, User
from app.models.assessment import AssessmentAnswer, Classification, SectionRevision
from app.models.family import Family
from app.services import questions
from app.timeutil import london_today
from tests.factories import (
    CONTENT,
    make_adult,
    make_child,
    make_entry,
    make_family,
    make_team,
    make_user,
    start_session,
)
from tests.support.postgres import scratch_database
from tests.support.processes import AppProcess

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL") and os.environ.get("REQUIRE_POSTGRES") != "1",
    reason="races between processes need PostgreSQL (TEST_DATABASE_URL)",
)


@dataclass
class Cluster:
    engine: Engine
    servers: tuple[AppProcess, AppProcess]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    with scratch_database("races") as url:
        engine = make_engine(url)
        migrate(engine)
        data = tmp_path_factory.mktemp("races")
        environment = {
            "HOMEWARD_ENVIRONMENT": "test",
            "HOMEWARD_DATA_DIR": str(data),
            "HOMEWARD_DATABASE_URL": url,
        }
        servers = (AppProcess("one", data, environment), AppProcess("two", data, environment))
        try:
            for server in servers:
                server.start()
            for server in servers:
                server.wait_until_healthy()
            yield Cluster(engine=engine, servers=servers)
        finally:
            for server in servers:
                server.stop()
            engine.dispose()


def client(cluster: Cluster, which: int, user: User) -> httpx.Client:
    with open_session(cluster.engine) as session:
        token = start_session(session, session.get(User, user.id))  # type: ignore[arg-type]
        session.commit()
    browser = httpx.Client(base_url=cluster.servers[which].url, timeout=60)
    browser.cookies.set("homeward_session", token)
    return browser


def csrf(browser: httpx.Client) -> str:
    page = BeautifulSoup(browser.get("/accessibility").text, "html.parser")
    assert page.body is not None
    return str(json.loads(str(page.body["hx-headers"]))["X-CSRF-Token"])


def at_once(*calls: Callable[[], httpx.Response]) -> list[httpx.Response]:
    """Send the requests together: each waits at a barrier, then goes."""
    barrier = threading.Barrier(len(calls))
    results: list[httpx.Response | None] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait(timeout=30)
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(result is not None for result in results)
    return results  # type: ignore[return-value]


def test_two_administrators_saving_the_same_person_cannot_both_win(cluster: Cluster) -> None:
    with open_session(cluster.engine) as session:
        team = make_team(session)
        admins = [make_user(session, roles=[Role.ADMIN]) for _ in range(2)]
        person = make_user(session, roles=[Role.PRACTITIONER], team=team, name="Before")
        session.commit()
    browsers = [client(cluster, which, admin) for which, admin in enumerate(admins)]
    tokens = [csrf(browser) for browser in browsers]

    def save(which: int, name: str, roles: list[str]) -> Callable[[], httpx.Response]:
        def post() -> httpx.Response:
            return browsers[which].post(
                f"/admin/users/{person.id}",
                data={
                    "csrf_token": tokens[which],
                    "name": name,
                    "email": person.email,
                    "team_id": str(team.id),
                    "roles": roles,
                    "active": "yes",
                    "version": "1",
                },
            )

        return post

    # Different names, and the same new role added by both.
    responses = at_once(
        save(0, "Name from one", ["practitioner", "supervisor"]),
        save(1, "Name from two", ["practitioner", "supervisor"]),
    )
    assert sorted(response.status_code for response in responses) == [200, 303]
    names = ("Name from one", "Name from two")
    lost = next(index for index, response in enumerate(responses) if response.status_code == 200)
    loser, winner, lost_name = responses[lost], responses[1 - lost], names[lost]
    assert "Someone else changed this user" in loser.text
    assert f'value="{lost_name}"' in loser.text  # the loser's typing is still in the form
    assert winner.headers["location"].startswith("/admin/users")
    with open_session(cluster.engine) as session:
        saved = session.get(User, person.id)
        assert saved is not None
        assert saved.name != lost_name
        assert saved.version == 2
        assert sorted(row.role for row in saved.role_rows) == ["practitioner", "supervisor"]


def test_two_administrators_renaming_teams_at_once_cannot_both_win(cluster: Cluster) -> None:
    """The same team renamed by both (the version in the UPDATE decides), and two teams given
    one name by both (the unique name decides): one is saved, the other is told why."""
    with open_session(cluster.engine) as session:
        teams = [make_team(session, name) for name in ("Race North", "Race South", "Race East")]
        admins = [make_user(session, roles=[Role.ADMIN]) for _ in range(2)]
        session.commit()
    browsers = [client(cluster, which, admin) for which, admin in enumerate(admins)]
    tokens = [csrf(browser) for browser in browsers]

    def rename(which: int, team: Team, name: str) -> Callable[[], httpx.Response]:
        def post() -> httpx.Response:
            return browsers[which].post(
                f"/admin/teams/{team.id}",
                data={"csrf_token": tokens[which], "name": name, "version": "1"},
            )

        return post

    same_team = at_once(rename(0, teams[0], "Race One"), rename(1, teams[0], "Race Two"))
    assert sorted(response.status_code for response in same_team) == [200, 303]
    loser = next(response for response in same_team if response.status_code == 200)
    assert "Renamed by someone else" in loser.text
    same_name = at_once(rename(0, teams[1], "Race Shared"), rename(1, teams[2], "race shared"))
    assert sorted(response.status_code for response in same_name) == [200, 303]
    loser = next(response for response in same_name if response.status_code == 200)
    assert "A team with this name already exists" in loser.text
    with open_session(cluster.engine) as session:
        saved = [session.get(Team, team.id) for team in teams]
        keys = [team.name_key if team else "" for team in saved]
        versions = [team.version if team else 0 for team in saved]
    assert keys[0] in {"race one", "race two"}
    assert versions[0] == 2
    # Exactly one of the two teams took the shared name; the other kept its own.
    assert sorted(keys[1:]) in (["race east", "race shared"], ["race shared", "race south"])


@pytest.fixture
def submitted(cluster: Cluster) -> Story:
    """A family whose classification 1 waits for a supervisor's sign-off."""
    with open_session(cluster.engine) as session:
        team = make_team(session)
        practitioner = make_user(session, roles=[Role.PRACTITIONER], team=team)
        supervisor = make_user(session, roles=[Role.SUPERVISOR], team=team)
        family = make_family(session, team=team, allocated_to=practitioner)
        today = london_today()
        family.work_started_on = today - timedelta(weeks=20)
        make_child(session, family, name="Ann", entered_care=today - timedelta(weeks=40))
        make_adult(session, family, name="Cara")
        make_entry(session, family, author=practitioner, occurred_on=date(2024, 3, 1))
        session.commit()
        story = Story(
            session=session,
            family=family,
            content=CONTENT.get(family.framework_id, family.framework_version),
            practitioner=practitioner,
            supervisor=supervisor,
        )
        with story.weeks_ago(2):
            story.assess()
            story.classify("classification-before-plan")
        session.commit()
        return story


def test_a_sign_off_racing_a_save_never_freezes_answers_other_than_the_live_ones(
    cluster: Cluster, submitted: Story
) -> None:
    family = submitted.family
    worker = client(cluster, 0, submitted.practitioner)
    manager = client(cluster, 1, submitted.supervisor)
    with open_session(cluster.engine) as session:
        row = questions.section_row(session, family.id, "identification")
        assert row is not None
        version = row.version
        classified = session.exec(
            select(Classification).where(col(Classification.family_id) == family.id)
        ).one()
    state_form = _identification_form(cluster, family.id, "Changed while the manager signed off")
    responses = at_once(
        lambda: worker.post(
            f"/families/{family.id}/sections/identification",
            data={
                "csrf_token": csrf(worker),
                **state_form,
                "version": str(version),
                "action": "save",
            },
        ),
        lambda: manager.post(
            f"/families/{family.id}/classification/classification-before-plan/sign-off",
            data={
                "csrf_token": csrf(manager),
                "classification": str(classified.id),
                "version": str(classified.version),
                "agrees": "yes",
                "comments": "Agreed.",
                "gate_option": "work-towards-return",
            },
        ),
    )
    assert all(response.status_code in (200, 303) for response in responses), [
        (response.status_code, response.text[:3000]) for response in responses
    ]
    save = responses[0]
    if save.status_code == 200:  # the save lost: its text is on the page to save again
        assert "Changed while the manager signed off" in save.text
    with open_session(cluster.engine) as session:
        live = {
            answer.answer_key: answer.value_text
            for answer in session.exec(
                select(AssessmentAnswer).where(
                    col(AssessmentAnswer.family_id) == family.id,
                    col(AssessmentAnswer.section_id) == "identification",
                )
            ).all()
        }
        section = questions.section_row(session, family.id, "identification")
        assert section is not None
        frozen = session.exec(
            select(SectionRevision).where(
                col(SectionRevision.family_id) == family.id,
                col(SectionRevision.section_id) == "identification",
            )
        ).all()
        current = [item for item in frozen if item.number == section.revision]
        signed = responses[1].status_code == 303
        if not signed:
            # The save came first (or at the same moment): the sign-off is refused with its
            # reason and the manager's words kept, and nothing was frozen.
            assert "There is a problem" in responses[1].text
            assert ">Agreed.</textarea>" in responses[1].text
            assert frozen == []
        elif section.status == "signed_off":
            # Signed off as it stands: the frozen revision is exactly what is live.
            assert len(current) == 1
            snapshot = current[0].snapshot["answers"]
            for key, text in live.items():
                if text is not None:
                    assert snapshot[key] == text
        else:
            # The save came after the sign-off: it is a new revision, the old one frozen.
            assert section.revision == 2
            assert [item.number for item in frozen] == [1]


def _identification_form(cluster: Cluster, family_id: uuid.UUID, reason: str) -> dict[str, str]:
    """The identification form as saved, with a changed reason."""
    with open_session(cluster.engine) as session:
        family = session.get(Family, family_id)
        assert family is not None
        content = CONTENT.get(family.framework_id, family.framework_version)
        state = questions.section_state(session, family, content, "identification")
    values: dict[str, str] = {}
    for name, value in state.values.items():
        values[name] = value if isinstance(value, str) else str(value)
    values["a.return-considered-reason"] = reason
    return values


def test_an_older_save_from_the_same_page_never_overwrites_a_newer_one(
    cluster: Cluster, submitted: Story
) -> None:
    family = submitted.family
    with open_session(cluster.engine) as session:
        saved = session.get(Family, family.id)
        assert saved is not None
        row = questions.section_row(session, family.id, "views")
        assert row is not None
        version = row.version
    editor = uuid.uuid4().hex
    browsers = [client(cluster, which, submitted.practitioner) for which in (0, 1)]
    form = _views_form(cluster, family.id)

    def autosave(which: int, seq: int, text: str) -> httpx.Response:
        return browsers[which].post(
            f"/families/{family.id}/sections/views/autosave",
            headers={"HX-Request": "true"},
            data={
                "csrf_token": csrf(browsers[which]),
                **form,
                "a.network-view": text,
                "editor": editor,
                "seq": str(seq),
                "version": str(version),
            },
        )

    newer = autosave(0, 2, "The newer words")
    assert newer.status_code == 200
    assert "Draft saved" in newer.text, newer.text
    older = autosave(1, 1, "The older words, delayed on the network")
    assert older.status_code == 200
    with open_session(cluster.engine) as session:
        answer = session.exec(
            select(AssessmentAnswer).where(
                col(AssessmentAnswer.family_id) == family.id,
                col(AssessmentAnswer.answer_key) == "network-view",
            )
        ).one()
        assert answer.value_text == "The newer words"


def _views_form(cluster: Cluster, family_id: uuid.UUID) -> dict[str, str | list[str]]:
    with open_session(cluster.engine) as session:
        family = session.get(Family, family_id)
        assert family is not None
        content = CONTENT.get(family.framework_id, family.framework_version)
        state = questions.section_state(session, family, content, "views")
    form: dict[str, str | list[str]] = {
        name: value for name, value in state.values.items() if isinstance(value, str | list)
    }
    form.update({questions.ITEMS + key: ids for key, ids in state.items.items()})
    return form
