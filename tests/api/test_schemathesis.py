"""schemathesis against the JSON API's own OpenAPI document (as `/api/openapi.json` serves
it), for every operation it lists, signed in as each role: service accounts' tokens for the
roles that may hold one (practitioner, supervisor, trainer), a browser session with its CSRF
token for an administrator (administrators get no tokens), and nobody signed in.

The data is real: a team whose practitioner's family has gone through the assessment, the
plan, a return home and visits; a second family of the team allocated to someone else; and a
family of another team, whose ids every account also tries. Path parameters are drawn from
these records (or generated, for a parameter no record fits), the rest is generated from the
document, valid and invalid. Each example runs in a savepoint rolled back afterwards, so every
one starts from the same records.

Checks: no 5xx; every status, content type, header and body as the document says. The
operations are read from the document, so new API routes are tested without naming them here.
Hypothesis runs derandomised with a few examples per operation, to keep CI steady and short.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.python import asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import Connection
from sqlmodel import Session, SQLModel, select

from app.content.model import FrameworkContent
from app.demo.journey import Story
from app.models.accounts import Role
from app.models.assessment import FactorEvidence
from app.models.chronology import ChronologyEntry, ChronologyImport
from app.models.family import Adult, CareEpisode, Child, EarlierReturn, Family, FamilyContact
from app.models.journey import ChildReturn, MonitoringVisit
from app.routes.api import api_document
from app.timeutil import london_today
from tests.factories import (
    CONTENT,
    csrf_token,
    make_adult,
    make_child,
    make_contact,
    make_entry,
    make_episode,
    make_family,
    make_import,
    make_return,
    make_team,
    make_user,
    sign_in_as,
)
from tests.support.api import bearer, service_account
from tests.support.client import CheckingClient
from tests.support.journey import agreed, assessed, review_before_return

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
POSITIVE, NEGATIVE = GenerationMode.POSITIVE, GenerationMode.NEGATIVE
OWN = "own"
# What is sent to every operation, by whom, and how many examples of each: valid and invalid
# data from each account that gets past the permission check, and on the account's own
# family's first records the document's own examples (or one valid example); one valid
# example, sent by each of those refused before anything is read. Few examples,
# derandomised: the suite's time is counted (docs/testing.md). API_FUZZ_SCALE=N multiplies
# the generated examples, for a longer search by hand.
SCALE = int(os.environ.get("API_FUZZ_SCALE", "1"))
RUNS: dict[tuple[str, ...], dict[str, int]] = {
    ("practitioner",): {POSITIVE: SCALE, NEGATIVE: SCALE, OWN: 5},
    ("supervisor",): {POSITIVE: SCALE, NEGATIVE: SCALE, OWN: 5},
    ("trainer", "administrator", "nobody"): {POSITIVE: SCALE},
}
# Records whose ids path parameters of these names take (the rest are generated).
RECORDS: dict[str, type[SQLModel]] = {
    "family_id": Family,
    "child_id": Child,
    "adult_id": Adult,
    "contact_id": FamilyContact,
    "return_id": EarlierReturn,
    "episode_id": CareEpisode,
    "entry_id": ChronologyEntry,
    "import_id": ChronologyImport,
    "evidence_id": FactorEvidence,
    "child_return_id": ChildReturn,
    "visit_id": MonitoringVisit,
}


@dataclass
class World:
    """Who calls, and the values path parameters are drawn from."""

    identities: dict[str, dict[str, Any]]
    values: dict[str, list[str]]
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)


@pytest.fixture
def world(client: CheckingClient, db: Session) -> World:
    team, other_team = make_team(db), make_team(db)
    worker, worker_token = service_account(db, role=Role.PRACTITIONER, team=team)
    manager, manager_token = service_account(db, role=Role.SUPERVISOR, team=team)
    _trainer, trainer_token = service_account(db, role=Role.TRAINER, team=None)
    # The practitioner account's family, told through the services up to a child at home.
    family = make_family(db, team=team, allocated_to=worker)
    today = london_today()
    family.work_started_on = today - timedelta(weeks=60)
    db.add(family)
    ann = make_child(db, family, name="Ann", entered_care=today - timedelta(weeks=80))
    make_adult(db, family, name="Cara")
    make_adult(db, family, name="Dev")
    make_contact(db, family)
    make_return(db, ann)
    make_episode(db, ann)
    make_entry(db, family, author=worker, occurred_on=today - timedelta(weeks=90), children=[ann])
    make_entry(db, family, author=worker, occurred_on=date(2024, 1, 1), precision="month")
    make_import(db, family, uploader=worker)
    story = Story(
        session=db,
        family=family,
        content=CONTENT.get(family.framework_id, family.framework_version),
        practitioner=worker,
        supervisor=manager,
    )
    assessed(story, 30)
    agreed(story, 28)
    review_before_return(story, 20, "proceed-gradual-return")
    with story.weeks_ago(10):
        story.go_home("Ann", "Cara", "planned-gradual")
    with story.weeks_ago(8):
        story.visit("Ann", alone=("Ann",))
    own = _ids(db)
    # A family of the team allocated to a person: the accounts see it, may not change it.
    someone = make_user(db, roles=[Role.PRACTITIONER], team=team)
    theirs = make_family(db, team=team, allocated_to=someone)
    make_child(db, theirs)
    # Another team's family: nobody here may see it.
    elsewhere = make_family(db, team=other_team)
    child = make_child(db, elsewhere)
    make_adult(db, elsewhere)
    make_contact(db, elsewhere)
    make_return(db, child)
    make_episode(db, child)
    make_entry(db, elsewhere, author=someone)
    administrator = make_user(db, roles=[Role.ADMIN])
    db.commit()
    sign_in_as(client, db, administrator)
    session_headers = {
        "X-CSRF-Token": csrf_token(client),
        "Cookie": f"homeward_session={client.cookies['homeward_session']}",
    }
    client.cookies.clear()
    # The account's own family's records first (the examples use those), then the others.
    values = {name: own[name] + sorted(set(ids) - set(own[name])) for name, ids in _ids(db).items()}
    content = story.content
    values.update(
        section_id=_sections(content, "questions", "factors", "chronology"),
        gate_id=_sections(content, "gate"),
        classification_section=_sections(content, "classification"),
        factor_id=sorted(content.factors),
        framework_id=[content.id],
        version=[content.version],
    )
    return World(
        identities={
            "practitioner": bearer(worker_token),
            "supervisor": bearer(manager_token),
            "trainer": bearer(trainer_token),
            "administrator": session_headers,
            "nobody": {},
        },
        values=values,
    )


# What the document promises does not depend on the backend, and each backend's own behaviour
# is tested by the API's other tests; this run is counted in CI time.
@pytest.mark.on_sqlite_only("schemathesis runs on SQLite only, to keep CI's time")
def test_every_operation_answers_as_documented(
    app: FastAPI, client: CheckingClient, db: Session, world: World
) -> None:
    api_document(app)  # built once per app (seconds on a busy machine), then served
    schema = schemathesis.openapi.from_asgi(
        "/api/openapi.json", app, headers=world.identities["practitioner"]
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.path for operation in operations} == set(api_document(app)["paths"])
    failures: dict[str, str] = {}
    started = time.monotonic()
    with asgi.get_client(app) as transport:
        for who, runs in RUNS.items():
            for operation in operations:
                for mode, count in runs.items():
                    examples = operation.get_strategies_from_examples() if mode == OWN else []
                    if examples:
                        strategy = st.one_of(examples)
                    elif mode == OWN:
                        strategy, count = operation.as_strategy(generation_mode=POSITIVE), 1
                    else:
                        strategy = operation.as_strategy(generation_mode=GenerationMode(mode))
                    call = Call(who, mode, world, db, transport, failures)
                    call.run(operation, strategy, count)
    elapsed = time.monotonic() - started
    reached = {label for (label, status), _ in world.statuses.items() if status < 300}
    print(
        f"\nschemathesis: {len(operations)} operations, {world.statuses.total()} calls "
        f"in {elapsed:.1f} s; {len(reached)} operations answered with success"
    )
    assert not failures, "\n\n".join(f"{name}:\n{text}" for name, text in failures.items())
    # Real data reached: every read answers with success for someone.
    reads = {operation.label for operation in operations if operation.method.upper() == "GET"}
    assert reads <= reached, sorted(reads - reached)


@dataclass
class Call:
    """Calls to an operation, each example sent by each of `who` in a savepoint of the test's
    connection, rolled back afterwards, so that every call starts from the same records."""

    who: tuple[str, ...]
    mode: str
    world: World
    db: Session
    transport: Any
    failures: dict[str, str]

    def run(self, operation: APIOperation, strategy: st.SearchStrategy[Case], count: int) -> None:
        @settings(
            max_examples=count,
            derandomize=True,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy, data=st.data())
        def example(case: Case, data: st.DataObject) -> None:
            self.call(operation, case, data)

        example()

    def call(self, operation: APIOperation, case: Case, data: st.DataObject) -> None:
        for name in list(case.path_parameters or {}):
            known = self.world.values.get(name)
            if known:
                # On the account's own family's first records; the rest anywhere.
                case.path_parameters[name] = (
                    known[0] if self.mode == OWN else data.draw(st.sampled_from(known))
                )
        for who in self.who:
            headers = self.world.identities[who]
            with self._rolled_back():
                try:
                    response = case.call_and_validate(
                        session=self.transport, headers=headers, checks=CHECKS
                    )
                except (AssertionError, FailureGroup) as failure:
                    self.failures.setdefault(
                        f"{who} {operation.label} ({self.mode})",
                        f"{failure}\n{case.as_curl_command(headers=headers)}",
                    )
                    continue
            self.world.statuses[(operation.label, response.status_code)] += 1

    @contextmanager
    def _rolled_back(self) -> Iterator[None]:
        self.db.commit()
        connection = self.db.get_bind()
        assert isinstance(connection, Connection)
        savepoint = connection.begin_nested()
        try:
            yield
        finally:
            self.db.rollback()
            if savepoint.is_active:
                savepoint.rollback()
            self.db.expire_all()


def _sections(content: FrameworkContent, *kinds: str) -> list[str]:
    return sorted(name for name, info in content.sections.items() if info.section.kind in kinds)


def _ids(db: Session) -> dict[str, list[str]]:
    return {
        name: sorted(str(row) for row in db.exec(select(model.id)).all())  # type: ignore[attr-defined]
        for name, model in RECORDS.items()
    }
