"""Every write of the JSON API refuses bad requests the same way, on SQLite and PostgreSQL,
and saves nothing when it does (the whole database is compared before and after each
refusal; only the audit trail may grow):

- an unknown field: 422, with a message at `body.<field>`;
- a body larger than the service takes: 413; a body that is not JSON: 415;
- the ids of another team's family, or of another family's records: 404; a family of the
  team that is not the account's to change: 403, as on the pages;
- a token of a role without the permission: 403, audited under the service account;
- an expired or a revoked token: 401, audited;
- a stale version: 409 with the record as it is saved now;
- values outside the family's content version's options: 422 with a message per field.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select as sql_select
from sqlmodel import Session, SQLModel, col, select

from app.models.accounts import Role, User
from app.models.assessment import FactorEvidence
from app.models.audit import AuditAction, AuditEvent
from app.models.base import utcnow
from app.models.chronology import ChronologyEntry
from app.models.family import Adult, CareEpisode, Child, EarlierReturn, Family, FamilyContact
from app.models.journey import ChildReturn, MonitoringVisit, MonitoringVisitChild
from app.models.tokens import ApiToken
from tests.factories import (
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
)
from tests.support.api import Api, service_account
from tests.support.client import CheckingClient

# Tables a refusal may write to: the audit trail, and a token's last use.
MAY_CHANGE = {"audit_event", "api_token"}


@dataclass
class Seed:
    """A practitioner account's family (`own`), a family of the same team allocated to
    someone else (`theirs`), and another team's family (`other`), each with its records."""

    ids: dict[str, dict[str, str]]
    practitioner: Api
    supervisor: Api
    trainer: Api
    accounts: dict[str, User]
    secrets: dict[str, str]


def _records(db: Session, family: Family, author: User) -> dict[str, str]:
    child = make_child(db, family, name="Ann")
    adult = make_adult(db, family, name="Cara")
    entry = make_entry(db, family, author=author, children=[child])
    today = date.today()
    home = ChildReturn(
        family_id=family.id,
        child_id=child.id,
        returned_on=today - timedelta(days=30),
        return_type="planned-gradual",
        planned=True,
        carer_adult_id=adult.id,
        carer_name="Cara",
        carer_has_parental_responsibility=True,
        legal_status=child.legal_status,
        monitor_until=today + timedelta(days=150),
        content_version=family.framework_version,
    )
    visit = MonitoringVisit(
        family_id=family.id, visited_on=today - timedelta(days=7), support_in_place=True
    )
    evidence = FactorEvidence(
        family_id=family.id, factor_id="sm-r3", kind="chronology", chronology_entry_id=entry.id
    )
    db.add_all([home, visit, evidence])
    db.flush()
    db.add(MonitoringVisitChild(visit_id=visit.id, child_id=child.id, seen_alone=True))
    return {
        "family": str(family.id),
        "child": str(child.id),
        "adult": str(adult.id),
        "contact": str(make_contact(db, family).id),
        "earlier": str(make_return(db, child).id),
        "episode": str(make_episode(db, child).id),
        "entry": str(entry.id),
        "import": str(make_import(db, family, uploader=author).id),
        "home": str(home.id),
        "visit": str(visit.id),
        "evidence": str(evidence.id),
    }


@pytest.fixture
def seed(client: CheckingClient, db: Session) -> Seed:
    team, other_team = make_team(db), make_team(db)
    worker, worker_token = service_account(db, role=Role.PRACTITIONER, team=team)
    manager, manager_token = service_account(db, role=Role.SUPERVISOR, team=team)
    trainer, trainer_token = service_account(db, role=Role.TRAINER, team=None)
    someone = make_user(db, roles=[Role.PRACTITIONER], team=other_team)
    colleague = make_user(db, roles=[Role.PRACTITIONER], team=team)
    ids = {
        "own": _records(
            db, make_family(db, team=team, allocated_to=worker, identified=True), worker
        ),
        "theirs": _records(
            db, make_family(db, team=team, allocated_to=colleague, identified=True), colleague
        ),
        "other": _records(
            db, make_family(db, team=other_team, allocated_to=someone, identified=True), someone
        ),
    }
    db.commit()
    return Seed(
        ids=ids,
        practitioner=Api(client, worker_token),
        supervisor=Api(client, manager_token),
        trainer=Api(client, trainer_token),
        accounts={"practitioner": worker, "supervisor": manager, "trainer": trainer},
        secrets={"practitioner": worker_token, "supervisor": manager_token},
    )


@dataclass(frozen=True)
class Write:
    """A write of the API: its path (with `{family}`, `{child}`... the records of one family),
    who may make it, and a body it accepts (`version` stands for the record's version)."""

    method: str
    path: str
    # None for an operation that takes no body.
    body: Callable[[dict[str, str]], dict[str, Any]] | None
    actor: str = "practitioner"
    # The record whose version the body carries: a stale one answers 409.
    versioned: type[SQLModel] | None = None
    # Anyone of the team may make it (a child coming back into care), not only the
    # practitioner the family is allocated to.
    whole_team: bool = False

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _entry(ids: dict[str, str]) -> dict[str, Any]:
    return {
        "occurred_on": "2024-03-27",
        "source_id": "police",
        "what_happened": "Police called after a neighbour heard shouting",
        "significance": "red",
        "themes": ["domestic-abuse-incident"],
        "children": [ids["child"]],
    }


def _return(ids: dict[str, str]) -> dict[str, Any]:
    return {
        "child_id": ids["child"],
        "returned_on": (date.today() - timedelta(days=30)).isoformat(),
        "return_type": "planned-gradual",
        "carer_adult_id": ids["adult"],
        "legal_status": "interim-care-order",
    }


def _visit(ids: dict[str, str]) -> dict[str, Any]:
    return {
        "visited_on": (date.today() - timedelta(days=7)).isoformat(),
        "seen": [ids["child"]],
        "seen_alone": [ids["child"]],
        "support_in_place": True,
    }


DELETE = {"reason": "Recorded by mistake"}
FAMILY = "/families/{family}"
CHILD = {
    "name": "Ben",
    "date_of_birth": "2016-02-01",
    "gender": "boy",
    "legal_status": "interim-care-order",
    "date_entered_care": "2025-09-01",
    "entry_reason": "neglect",
    "placement_type": "foster-care",
    "placement_moves": 0,
}
ADULT = {
    "name": "Dev",
    "relationship": "father",
    "parental_responsibility": True,
    "lives_in_household": False,
}
CONTACT = {"kind": "professional", "name": "Sam", "role": "Health visitor"}
EARLIER = {"returned_on": "2021-05-01", "broke_down": False, "planned": "planned"}
EPISODE = {
    "started_on": "2019-01-01",
    "ended_on": "2019-06-01",
    "legal_status": "s20",
    "placements": 2,
}

WRITES = [
    Write("PATCH", FAMILY, lambda ids: {"display_name": "Renamed"}, versioned=Family),
    Write("DELETE", FAMILY, lambda ids: DELETE, actor="supervisor", versioned=Family),
    Write("POST", FAMILY + "/children", lambda ids: CHILD),
    Write("PATCH", FAMILY + "/children/{child}", lambda ids: {"name": "Anna"}, versioned=Child),
    Write("DELETE", FAMILY + "/children/{child}", lambda ids: DELETE, versioned=Child),
    Write("POST", FAMILY + "/adults", lambda ids: ADULT),
    Write("PATCH", FAMILY + "/adults/{adult}", lambda ids: {"name": "Carla"}, versioned=Adult),
    Write("DELETE", FAMILY + "/adults/{adult}", lambda ids: DELETE, versioned=Adult),
    Write("POST", FAMILY + "/contacts", lambda ids: CONTACT),
    Write(
        "PATCH",
        FAMILY + "/contacts/{contact}",
        lambda ids: {"role": "School nurse"},
        versioned=FamilyContact,
    ),
    Write("DELETE", FAMILY + "/contacts/{contact}", lambda ids: DELETE, versioned=FamilyContact),
    Write("POST", FAMILY + "/children/{child}/earlier-returns", lambda ids: EARLIER),
    Write(
        "PATCH",
        FAMILY + "/children/{child}/earlier-returns/{earlier}",
        lambda ids: {"notes": "Went home to her aunt"},
        versioned=EarlierReturn,
    ),
    Write(
        "DELETE",
        FAMILY + "/children/{child}/earlier-returns/{earlier}",
        lambda ids: DELETE,
        versioned=EarlierReturn,
    ),
    Write("POST", FAMILY + "/children/{child}/earlier-care", lambda ids: EPISODE),
    Write(
        "PATCH",
        FAMILY + "/children/{child}/earlier-care/{episode}",
        lambda ids: {"placements": 3},
        versioned=CareEpisode,
    ),
    Write(
        "DELETE",
        FAMILY + "/children/{child}/earlier-care/{episode}",
        lambda ids: DELETE,
        versioned=CareEpisode,
    ),
    Write("POST", FAMILY + "/chronology", _entry),
    Write("POST", FAMILY + "/chronology/imports/{import}/confirm", None),
    Write("DELETE", FAMILY + "/chronology/imports/{import}", None),
    Write("POST", FAMILY + "/sections/chronology/complete", None),
    Write("PUT", FAMILY + "/chronology/{entry}", _entry, versioned=ChronologyEntry),
    Write("DELETE", FAMILY + "/chronology/{entry}", lambda ids: DELETE, versioned=ChronologyEntry),
    Write(
        "PUT",
        FAMILY + "/sections/identification",
        lambda ids: {"answers": {}, "complete": False},
    ),
    Write(
        "POST",
        FAMILY + "/factors/sm-r3/evidence/chronology",
        lambda ids: {"entries": [ids["entry"]]},
    ),
    Write(
        "POST",
        FAMILY + "/factors/sm-r3/evidence/other",
        lambda ids: {
            "kind": "report",
            "on": "2025-01-10",
            "source": "Drug service",
            "description": "Clear tests for three months",
        },
    ),
    Write(
        "DELETE",
        FAMILY + "/factors/sm-r3/evidence/{evidence}",
        lambda ids: {},
        versioned=FactorEvidence,
    ),
    Write(
        "POST", FAMILY + "/classifications/classification-before-plan", lambda ids: {"level": "red"}
    ),
    Write(
        "POST",
        FAMILY + "/decisions/agreement-sign-off",
        lambda ids: {"option": "signed-off", "reason": "Clear goals"},
        actor="supervisor",
    ),
    Write("POST", FAMILY + "/returns", _return),
    Write("PUT", FAMILY + "/returns/{home}", _return, versioned=ChildReturn),
    Write("DELETE", FAMILY + "/returns/{home}", lambda ids: DELETE, versioned=ChildReturn),
    Write("POST", FAMILY + "/visits", _visit),
    Write("PUT", FAMILY + "/visits/{visit}", _visit, versioned=MonitoringVisit),
    Write("DELETE", FAMILY + "/visits/{visit}", lambda ids: DELETE, versioned=MonitoringVisit),
    Write(
        "PUT",
        FAMILY + "/outcomes",
        lambda ids: {"outcomes": [{"child_id": ids["child"], "outcome": "stayed-home"}]},
    ),
    Write(
        "POST",
        FAMILY + "/reentries",
        lambda ids: {"child_id": ids["child"], "entered_on": "2025-11-01", "reason": "Broke down"},
        whole_team=True,
    ),
]


def snapshot(db: Session) -> dict[str, list[str]]:
    """Every row of every table but those a refusal may write to."""
    db.expire_all()
    connection = db.connection()
    return {
        table.name: sorted(
            json.dumps(list(row), default=str) for row in connection.execute(sql_select(table))
        )
        for table in SQLModel.metadata.sorted_tables
        if table.name not in MAY_CHANGE
    }


def _request(seed: Seed, write: Write, family: str = "own", **ids: str) -> tuple[str, Any]:
    records = {**seed.ids[family], **ids}
    body = write.body(records) if write.body else None
    if body is not None and write.versioned is not None:
        body = {**body, "version": 1}
    return write.path.format(**records), body


def _denied(db: Session, user: User) -> list[AuditEvent]:
    return list(
        db.exec(
            select(AuditEvent)
            .where(
                col(AuditEvent.action) == AuditAction.ACCESS_DENIED.value,
                col(AuditEvent.user_id) == user.id,
            )
            .order_by(col(AuditEvent.id))
        ).all()
    )


@pytest.mark.parametrize("write", WRITES, ids=str)
def test_a_bad_request_is_refused_and_saves_nothing(
    client: CheckingClient, db: Session, seed: Seed, write: Write
) -> None:
    api = getattr(seed, write.actor)
    path, body = _request(seed, write)
    # The whole database is compared once, after every refusal below: reading it all after
    # each one took most of this test's time, and none of them may change it.
    before = snapshot(db)

    def refused(status: int, response: Any) -> dict[str, Any]:
        assert response.status_code == status, (status, response.status_code, response.text)
        answer: dict[str, Any] = response.json()
        assert answer["message"]
        return answer

    if body is not None:
        # An unknown field: a message for it, where it was.
        answer = refused(422, api.call(write.method, path, {**body, "colour": "blue"}))
        assert any(error["location"] == "body.colour" for error in answer["errors"]), answer
        # Not JSON.
        text = json.dumps(body)
        plain = {"Content-Type": "text/plain"}
        refused(415, api.call(write.method, path, content=text, headers=plain))
    # Too large, with a body or without one.
    refused(413, api.call(write.method, path, {**(body or {}), "padding": "x" * 1024 * 1024}))
    # Another team's family, with its own records or with this family's.
    other = seed.ids["other"]
    refused(404, api.call(write.method, *_request(seed, write, "other")))
    # This family's address with another family's records: not found where the address
    # names the record, refused per field where the body does.
    records = {name: value for name, value in other.items() if name != "family"}
    crossed, crossed_body = _request(seed, write, **records)
    if crossed != path:
        refused(404, api.call(write.method, crossed, crossed_body))
    elif crossed_body != body:
        refused(422, api.call(write.method, crossed, crossed_body))
    # A family of the team that is not the account's to change: refused as the pages do.
    if write.actor == "practitioner" and not write.whole_team:
        refused(403, api.call(write.method, *_request(seed, write, "theirs")))
    # A role without the permission: refused, and the refusal audited under the account.
    denied = len(_denied(db, seed.accounts["trainer"]))
    refused(403, seed.trainer.call(write.method, path, body))
    assert len(_denied(db, seed.accounts["trainer"])) == denied + 1
    # Expired, then revoked: 401, audited.
    account = seed.accounts[write.actor]
    token = db.exec(select(ApiToken).where(col(ApiToken.user_id) == account.id)).one()
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.add(token)
    db.commit()
    refused(401, api.call(write.method, path, body))
    token.expires_at, token.revoked_at = None, utcnow()
    db.add(token)
    db.commit()
    refused(401, api.call(write.method, path, body))
    reasons = [event.details.get("reason") for event in _denied(db, account)]
    assert reasons[-2:] == ["expired API token", "revoked API token"]
    assert snapshot(db) == before, "a refused request changed the database"


KEYS: dict[type[SQLModel], str] = {
    Family: "family",
    Child: "child",
    Adult: "adult",
    FamilyContact: "contact",
    EarlierReturn: "earlier",
    CareEpisode: "episode",
    ChronologyEntry: "entry",
    FactorEvidence: "evidence",
    ChildReturn: "home",
    MonitoringVisit: "visit",
}


@pytest.mark.parametrize("write", [write for write in WRITES if write.versioned], ids=str)
def test_a_stale_version_answers_409_with_the_record_as_saved(
    db: Session, seed: Seed, write: Write
) -> None:
    assert write.versioned is not None
    record_id = seed.ids["own"][KEYS[write.versioned]]
    # Someone else saves the record after this account read it: its version moves on.
    row = db.get(write.versioned, uuid.UUID(record_id))
    assert row is not None
    read = row.version  # type: ignore[attr-defined]
    row.updated_at = utcnow()  # type: ignore[attr-defined]
    db.add(row)
    db.commit()
    saved = row.version  # type: ignore[attr-defined]
    assert saved > read
    path, body = _request(seed, write)
    before = snapshot(db)
    response = getattr(seed, write.actor).call(write.method, path, {**body, "version": read})
    assert response.status_code == 409, response.text
    assert snapshot(db) == before, "a stale change was saved"
    answer = response.json()
    assert answer["message"]
    if answer.get("current") is not None:
        assert answer["current"]["id"] == record_id
        assert answer["current"]["version"] == saved


def _write(name: str) -> Write:
    return next(write for write in WRITES if str(write) == name)


OUTSIDE = [
    (_write("POST /families/{family}/children"), "gender"),
    (_write("POST /families/{family}/children"), "legal_status"),
    (_write("POST /families/{family}/children"), "entry_reason"),
    (_write("POST /families/{family}/children"), "placement_type"),
    (_write("POST /families/{family}/adults"), "relationship"),
    (_write("POST /families/{family}/chronology"), "source_id"),
    (_write("POST /families/{family}/chronology"), "significance"),
    (_write("POST /families/{family}/chronology"), "themes"),
    (_write("PUT /families/{family}/returns/{home}"), "return_type"),
    (next(write for write in WRITES if "classifications" in write.path), "level"),
]


@pytest.mark.parametrize(("write", "name"), OUTSIDE, ids=lambda value: str(value))
def test_a_value_outside_the_content_options_answers_422_for_that_field(
    db: Session, seed: Seed, write: Write, name: str
) -> None:
    path, body = _request(seed, write)
    body[name] = (
        ["not-in-the-content"] if isinstance(body.get(name), list) else "not-in-the-content"
    )
    before = snapshot(db)
    response = getattr(seed, write.actor).call(write.method, path, body)
    assert response.status_code == 422, response.text
    assert snapshot(db) == before
    locations = {error["location"]: error["message"] for error in response.json()["errors"]}
    assert f"body.{name}" in locations, locations
    assert "not-in-the-content" not in locations[f"body.{name}"]


@pytest.mark.parametrize(
    "sent",
    [
        {"answers": {"identification-route": "not-an-option"}},
        {"answers": {"no-such-question": "yes"}},
        {"answers": {"agreement-strengths": "A question of another section"}},
        {"factors": {"no-such-factor": {"status": "present"}}},
    ],
    ids=["an option not offered", "no such question", "another section's", "no such factor"],
)
def test_an_answer_the_section_does_not_take_answers_422_where_it_was_sent(
    db: Session, seed: Seed, sent: dict[str, dict[str, Any]]
) -> None:
    path = FAMILY.format(**seed.ids["own"]) + "/sections/identification"
    before = snapshot(db)
    response = seed.practitioner.call("PUT", path, {"version": 0, **sent})
    assert response.status_code == 422, response.text
    assert snapshot(db) == before
    where, key = next(iter(sent.items()))
    errors = response.json()["errors"]
    assert [error["location"] for error in errors] == [f"{where}.{next(iter(key))}"], errors
