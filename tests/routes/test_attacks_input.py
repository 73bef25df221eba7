"""Attacks on what forms and the JSON API carry: control characters (PostgreSQL refuses NUL in
text), numbers and dates out of range, the wrong content type, invalid UTF-8, malformed
multipart bodies, duplicate and unexpected fields, and forged CSRF tokens. Each must get a
clear error, keep what the person typed, and change nothing; never a 500."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pytest
from sqlmodel import Session, col, select

from app.models.accounts import Role, Team, User
from app.models.family import Adult, Child, Family, FamilyContact
from tests.factories import (
    csrf_token,
    make_adult,
    make_child,
    make_family,
    make_team,
    make_user,
    post_form,
    sign_in_as,
)
from tests.routes.test_families import child_form
from tests.support.client import CheckingClient, soup

NUL = "\x00"
CONTROLS = ["\x00", "\x07", "\x1b[2J", "\x7f", "\u2028"]


@dataclass
class People:
    team: Team
    practitioner: User
    admin: User
    family: Family


@pytest.fixture
def people(db: Session) -> People:
    team = make_team(db, "Harbour")
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    admin = make_user(db, roles=[Role.ADMIN], team=team)
    family = make_family(db, team=team, allocated_to=practitioner, display_name="Quill family")
    return People(team, practitioner, admin, family)


def field_errors(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        str(link["href"]).lstrip("#"): link.get_text(strip=True)
        for link in soup(response).select(".govuk-error-summary a")
    }


def shown_value(response, name: str) -> str:  # type: ignore[no-untyped-def]
    field = soup(response).select_one(f'[name="{name}"]')
    assert field is not None, name
    return str(field.get("value") if field.name == "input" else field.get_text())


@dataclass
class FormCase:
    """A page form, the person who may post it, valid data, and the field to poison."""

    name: str
    who: str
    url: Callable[[People, Session], str]
    data: dict[str, str]
    poisoned: str
    kept: str | None


FORMS = [
    FormCase("team", "admin", lambda p, db: "/admin/teams", {"name": "Team A"}, "name", None),
    FormCase(
        "new user",
        "admin",
        lambda p, db: "/admin/users/new",
        {"name": "Ann Other", "email": "ann@council.test", "active": "yes"},
        "email",
        "name",
    ),
    FormCase(
        "new user name",
        "admin",
        lambda p, db: "/admin/users/new",
        {"name": "Ann Other", "email": "ann@council.test", "active": "yes"},
        "name",
        "email",
    ),
    FormCase(
        "new family",
        "practitioner",
        lambda p, db: "/families/new",
        {"reference": "HB-1", "display_name": "Brook family"},
        "reference",
        "display_name",
    ),
    FormCase(
        "edit family",
        "practitioner",
        lambda p, db: f"/families/{p.family.id}/edit",
        {"reference": "HB-2", "display_name": "Brook family", "version": "1"},
        "display_name",
        "reference",
    ),
    FormCase(
        "child",
        "practitioner",
        lambda p, db: f"/families/{p.family.id}/children/new",
        child_form(),
        "name",
        "date_of_birth-year",
    ),
    FormCase(
        "child detail",
        "practitioner",
        lambda p, db: f"/families/{p.family.id}/children/new",
        child_form(entry_reason_detail="Long story"),
        "entry_reason_detail",
        "name",
    ),
    FormCase(
        "adult",
        "practitioner",
        lambda p, db: f"/families/{p.family.id}/adults/new",
        {
            "name": "Sam Quill",
            "relationship": "father",
            "parental_responsibility": "yes",
            "lives_in_household": "no",
        },
        "name",
        None,
    ),
    FormCase(
        "contact",
        "practitioner",
        lambda p, db: f"/families/{p.family.id}/contacts/new/network",
        {"name": "Aunt Jo", "role": "Aunt", "notes": "Weekends"},
        "notes",
        "name",
    ),
    FormCase(
        "earlier return",
        "practitioner",
        lambda p, db: (
            f"/families/{p.family.id}/children/"
            f"{make_child(db, p.family, born=date(2012, 1, 1)).id}/returns/new"
        ),
        {
            "returned_on-day": "1",
            "returned_on-month": "6",
            "returned_on-year": "2020",
            "planned": "planned",
            "broke_down": "no",
            "notes": "Went well",
        },
        "notes",
        "returned_on-year",
    ),
    FormCase(
        "delete reason",
        "practitioner",
        lambda p, db: f"/families/{p.family.id}/adults/{make_adult(db, p.family).id}/delete",
        {"reason": "Added by mistake", "version": "1"},
        "reason",
        None,
    ),
]


@pytest.mark.parametrize("case", FORMS, ids=[case.name for case in FORMS])
@pytest.mark.parametrize("control", CONTROLS, ids=["nul", "bell", "escape", "delete", "u2028"])
def test_control_characters_in_a_form_field_get_a_field_error_and_keep_the_input(
    client: CheckingClient, db: Session, people: People, case: FormCase, control: str
) -> None:
    sign_in_as(client, db, getattr(people, case.who))
    url = case.url(people, db)
    counts = _record_counts(db)
    data = {**case.data, case.poisoned: f"Before{control}after"}
    response = post_form(client, url, data)
    assert response.status_code == 200
    errors = field_errors(response)
    assert "hidden control characters" in errors[case.poisoned]
    if case.kept:
        assert shown_value(response, case.kept) == case.data[case.kept]
    # What was typed comes back (the control character shown as a replacement character).
    assert "Before" in shown_value(response, case.poisoned)
    assert _record_counts(db) == counts


def _record_counts(db: Session) -> tuple[int, ...]:
    models = (Team, User, Family, Child, Adult, FamilyContact)
    return tuple(len(db.exec(select(model)).all()) for model in models)


def test_control_characters_in_sign_in_are_a_field_error(
    client: CheckingClient, db: Session
) -> None:
    make_user(db, email="real@council.test")
    response = post_form(client, "/sign-in", {"email": f"real@council.test{NUL}", "password": "x"})
    assert response.status_code == 200
    assert field_errors(response) == {"email": "Remove the hidden control characters from email"}
    assert shown_value(response, "email").startswith("real@council.test")


def test_control_characters_in_a_password_change_are_a_field_error(
    client: CheckingClient, db: Session, people: People
) -> None:
    sign_in_as(client, db, people.practitioner)
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": NUL,
            "new_password": f"a much longer pass{NUL}phrase",
            "confirm_password": f"a much longer pass{NUL}phrase",
        },
    )
    assert response.status_code == 200
    assert "hidden control characters" in field_errors(response)["current_password"]


@pytest.mark.parametrize("control", CONTROLS, ids=["nul", "bell", "escape", "delete", "u2028"])
def test_control_characters_in_the_api_are_422(
    client: CheckingClient, db: Session, people: People, control: str
) -> None:
    sign_in_as(client, db, people.practitioner)
    headers = {"X-CSRF-Token": csrf_token(client)}
    created = client.post(
        "/api/v1/families",
        json={"reference": f"R{control}1", "display_name": "Quiet family"},
        headers=headers,
    )
    assert created.status_code == 422
    body = created.json()
    assert body["message"] == "Some of the data sent is not valid."
    assert any(
        "control characters" in error["message"] and error["location"].endswith("reference")
        for error in body["errors"]
    )
    child = make_child(db, people.family)
    changed = client.patch(
        f"/api/v1/families/{people.family.id}/children/{child.id}",
        json={"version": child.version, "name": f"Amy{control}"},
        headers=headers,
    )
    assert changed.status_code == 422
    db.refresh(child)
    assert control not in child.name


@pytest.mark.parametrize("page", ["9" * 31, str(2**63), "-5", "0", "99999999"])
def test_any_page_number_shows_a_page(
    client: CheckingClient, db: Session, people: People, page: str
) -> None:
    for _ in range(3):
        make_family(db, team=people.team, allocated_to=people.practitioner)
    sign_in_as(client, db, people.practitioner)
    caseload = client.get(f"/families?page={page}")
    assert caseload.status_code == 200
    assert "Quill family" in caseload.text  # one page holds them all: the first is the last
    api = client.get(f"/api/v1/families?page={page}")
    assert api.status_code == 200
    assert len(api.json()) == 4
    sign_in_as(client, db, people.admin)
    assert client.get(f"/admin/audit?page={page}").status_code == 200


def test_a_page_number_that_is_not_a_number_is_a_clear_error(
    client: CheckingClient, db: Session, people: People
) -> None:
    sign_in_as(client, db, people.practitioner)
    assert client.get("/families?page=" + "9" * 5000).status_code == 400
    assert client.get("/families?page=two").status_code == 400
    api = client.get("/api/v1/families?page=two")
    assert api.status_code == 422
    assert api.json()["message"] == "Some of the data sent is not valid."


def test_audit_dates_out_of_range_are_field_errors(
    client: CheckingClient, db: Session, people: People
) -> None:
    sign_in_as(client, db, people.admin)
    response = client.get(
        "/admin/audit?date_to-day=31&date_to-month=12&date_to-year=9999"
        "&date_from-day=1&date_from-month=1&date_from-year=1"
    )
    assert response.status_code == 200
    errors = field_errors(response)
    assert errors["date_to-day"] == "The to date must be a real date"
    assert errors["date_from-day"] == "The from date must be a real date"


def test_huge_numbers_in_forms_are_field_errors(
    client: CheckingClient, db: Session, people: People
) -> None:
    sign_in_as(client, db, people.practitioner)
    child = post_form(
        client,
        f"/families/{people.family.id}/children/new",
        child_form(**{"placement_moves": "9" * 40, "date_of_birth-year": "9" * 30}),
    )
    assert child.status_code == 200
    errors = field_errors(child)
    assert errors["placement_moves"].startswith("Placement moves must be a number smaller")
    assert errors["date_of_birth-day"] == "Date of birth must be a real date"
    edit = post_form(
        client,
        f"/families/{people.family.id}/edit",
        {"reference": "Q-1", "display_name": "Quill family", "version": "9" * 30},
    )
    assert edit.status_code == 200
    adult = make_adult(db, people.family)
    deleted = post_form(
        client,
        f"/families/{people.family.id}/adults/{adult.id}/delete",
        {"reason": "Duplicate", "version": "9" * 30},
    )
    assert deleted.status_code == 200
    db.refresh(adult)
    assert adult.deleted_at is None
    sign_in_as(client, db, people.admin)
    user = post_form(
        client,
        f"/admin/users/{people.practitioner.id}",
        {"name": "New Name", "email": people.practitioner.email, "active": "yes"}
        | {"version": str(10**30)},
    )
    assert user.status_code == 200
    assert field_errors(user)["version"].startswith("Version must be a number smaller")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("version", 10**30),
        ("version", -(2**40)),
        ("placement_moves", 10**30),
        ("date_of_birth", "9999-12-31"),
        ("date_of_birth", "0001-01-01"),
    ],
)
def test_out_of_range_values_in_the_api_are_422(
    client: CheckingClient, db: Session, people: People, field: str, value: object
) -> None:
    sign_in_as(client, db, people.practitioner)
    child = make_child(db, people.family)
    payload: dict[str, object] = {"version": child.version, field: value}
    response = client.patch(
        f"/api/v1/families/{people.family.id}/children/{child.id}",
        json=payload,
        headers={"X-CSRF-Token": csrf_token(client)},
    )
    assert response.status_code == 422
    assert response.json()["message"] == "Some of the data sent is not valid."


def test_a_form_route_refuses_other_content_types(
    client: CheckingClient, db: Session, people: People
) -> None:
    sign_in_as(client, db, people.admin)
    token = csrf_token(client)
    for content_type, body in [
        ("application/json", b'{"name": "JSON team"}'),
        ("text/plain", b"name=Plain team"),
        ("application/xml", b"<name>XML team</name>"),
    ]:
        response = client.post(
            "/admin/teams",
            content=body,
            headers={"content-type": content_type, "X-CSRF-Token": token},
        )
        assert response.status_code == 415
        assert "Send this form from its page in Homeward" in response.text
    assert [team.name for team in db.exec(select(Team)).all()] == ["Harbour"]


def test_malformed_multipart_is_a_clear_error(
    client: CheckingClient, db: Session, people: People
) -> None:
    sign_in_as(client, db, people.admin)
    token = csrf_token(client)
    for content_type, body in [
        ("multipart/form-data; boundary=xx", b"--xx\r\nbroken"),
        ("multipart/form-data", b"no boundary at all"),
        ("multipart/form-data; boundary=xx", b"--xx\r\nContent-Disposition: form-data\r\n\r\n"),
    ]:
        response = client.post(
            "/admin/teams",
            content=body,
            headers={"content-type": content_type, "X-CSRF-Token": token},
        )
        assert response.status_code == 400, body
        assert response.headers["content-type"].startswith("text/html")
    # Well-formed multipart still works, CSRF token in the body included.
    good = client.post(
        "/admin/teams", data={"name": "Multipart team", "csrf_token": token}, files={"x": b""}
    )
    assert good.status_code == 303
    assert "Multipart team" in db.exec(select(Team.name)).all()


@pytest.mark.parametrize(
    "body",
    [
        b"name=Caf%E9+team",
        b"name=Caf\xe9 team",
        b"name=%C3%28",
        b"name=ok&%FF=x",
        # Raw (not percent-encoded) UTF-8: browsers never send it, and it would be misread.
        "name=Søn team".encode(),
    ],
)
def test_invalid_utf8_in_a_form_is_refused_and_changes_nothing(
    client: CheckingClient, db: Session, people: People, body: bytes
) -> None:
    sign_in_as(client, db, people.admin)
    response = client.post(
        "/admin/teams",
        content=body + b"&csrf_token=" + csrf_token(client).encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 400
    assert "The form could not be read" in response.text
    assert [team.name for team in db.exec(select(Team)).all()] == ["Harbour"]


def test_percent_encoded_utf8_is_accepted(
    client: CheckingClient, db: Session, people: People
) -> None:
    sign_in_as(client, db, people.admin)
    response = client.post(
        "/admin/teams",
        content=b"name=Caf%C3%A9+S%C3%B8n&csrf_token=" + csrf_token(client).encode(),
        headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert response.status_code == 303
    assert "Café Søn" in db.exec(select(Team.name)).all()


def test_duplicate_fields_are_a_field_error_and_unexpected_fields_are_ignored(
    client: CheckingClient, db: Session, people: People
) -> None:
    sign_in_as(client, db, people.practitioner)
    token = csrf_token(client)
    duplicated = client.post(
        "/families/new",
        content=f"reference=A-1&reference=B-2&display_name=Twin&csrf_token={token}".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert duplicated.status_code == 200
    assert field_errors(duplicated)["reference"] == "Enter the family's reference"
    assert shown_value(duplicated, "display_name") == "Twin"
    sign_in_as(client, db, people.admin)
    token = csrf_token(client)
    twice = client.post(
        "/admin/teams",
        content=f"name=One&name=Two&csrf_token={token}".encode(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert twice.status_code == 200
    assert field_errors(twice)["name"] == "Enter a valid name"
    extra = post_form(client, "/admin/teams", {"name": "Extra", "is_admin": "yes", "id": "1"})
    assert extra.status_code == 303
    assert db.exec(select(Team).where(col(Team.name) == "Extra")).one()


@pytest.mark.parametrize("forged", ["é" * 64, "\u00ff", "0" * 64, "x" * 10_000])
def test_a_forged_csrf_token_is_refused_whatever_it_holds(
    client: CheckingClient, db: Session, people: People, forged: str
) -> None:
    sign_in_as(client, db, people.admin)
    in_form = client.post("/admin/teams", data={"name": "Forged", "csrf_token": forged})
    assert in_form.status_code == 403
    in_header = client.post(
        "/admin/teams",
        data={"name": "Forged"},
        headers={"X-CSRF-Token": forged.encode("utf-8")},
    )
    assert in_header.status_code == 403
    assert "Forged" not in db.exec(select(Team.name)).all()
