"""The JSON API for families, children and adults: validation, versions and permissions."""

import pytest
from sqlmodel import Session

from app.models.accounts import Role, Team, User
from app.models.family import Family
from tests.factories import (
    CONTENT,
    csrf_token,
    make_child,
    make_family,
    make_team,
    make_user,
    sign_in_as,
)
from tests.support.client import CheckingClient

CHILD = {
    "name": "Leo Harper",
    "date_of_birth": "2016-07-09",
    "gender": "boy",
    "legal_status": "s20",
    "date_entered_care": "2025-10-01",
    "entry_reason": "family-acute-stress",
    "placement_type": "kinship-care",
    "placement_moves": 0,
}


@pytest.fixture
def team(db: Session) -> Team:
    return make_team(db)


@pytest.fixture
def practitioner(client: CheckingClient, db: Session, team: Team) -> User:
    user = make_user(db, roles=[Role.PRACTITIONER], team=team)
    sign_in_as(client, db, user)
    return user


@pytest.fixture
def family(db: Session, team: Team, practitioner: User) -> Family:
    return make_family(db, team=team, allocated_to=practitioner)


def api(client: CheckingClient, method: str, url: str, body: object = None):  # type: ignore[no-untyped-def]
    return client.request(method, url, json=body, headers={"X-CSRF-Token": csrf_token(client)})


def test_create_and_read_a_family(client: CheckingClient, practitioner: User) -> None:
    created = api(
        client, "POST", "/api/v1/families", {"reference": "API-1", "display_name": "Api family"}
    )
    assert created.status_code == 201
    body = created.json()
    assert body["framework_version"] == CONTENT.latest("reunification").version
    assert body["version"] == 1
    fetched = client.get(f"/api/v1/families/{body['id']}")
    assert fetched.json()["display_name"] == "Api family"
    listed = client.get("/api/v1/families", params={"search": "api"})
    assert [item["reference"] for item in listed.json()] == ["API-1"]


def test_children_validation_is_422_json_with_field_messages(
    client: CheckingClient, family: Family
) -> None:
    wrong_type = api(
        client,
        "POST",
        f"/api/v1/families/{family.id}/children",
        {**CHILD, "date_of_birth": "2019-02-31"},
    )
    assert wrong_type.status_code == 422
    assert wrong_type.json()["errors"][0]["location"] == "body.date_of_birth"
    unknown_field = api(
        client, "POST", f"/api/v1/families/{family.id}/children", {**CHILD, "shoe_size": 3}
    )
    assert unknown_field.status_code == 422
    rules = api(
        client,
        "POST",
        f"/api/v1/families/{family.id}/children",
        {**CHILD, "date_entered_care": "2010-01-01", "legal_status": "nonsense"},
    )
    assert rules.status_code == 422
    assert {error["location"] for error in rules.json()["errors"]} == {
        "body.legal_status",
        "body.date_entered_care",
    }
    good = api(client, "POST", f"/api/v1/families/{family.id}/children", CHILD)
    assert good.status_code == 201
    assert client.get(f"/api/v1/families/{family.id}/children").json()[0]["name"] == "Leo Harper"


def test_stale_version_is_409_with_the_current_record(
    client: CheckingClient, db: Session, family: Family
) -> None:
    child = make_child(db, family, name="Original")
    url = f"/api/v1/families/{family.id}/children/{child.id}"
    first = api(client, "PATCH", url, {"version": 1, "name": "First change"})
    assert first.status_code == 200
    assert first.json()["version"] == 2
    second = api(client, "PATCH", url, {"version": 1, "name": "Second change"})
    assert second.status_code == 409
    assert second.json()["current"]["name"] == "First change"
    assert "Someone else saved a change" in second.json()["message"]


def test_delete_is_soft_and_needs_a_reason(
    client: CheckingClient, db: Session, family: Family
) -> None:
    child = make_child(db, family)
    url = f"/api/v1/families/{family.id}/children/{child.id}"
    assert api(client, "DELETE", url, {"version": 1, "reason": " "}).status_code == 422
    assert api(client, "DELETE", url, {"version": 1, "reason": "Wrong family"}).status_code == 204
    assert client.get(url).status_code == 404


def test_adults(client: CheckingClient, family: Family) -> None:
    created = api(
        client,
        "POST",
        f"/api/v1/families/{family.id}/adults",
        {
            "name": "Kim Harper",
            "relationship": "mother",
            "parental_responsibility": True,
            "lives_in_household": True,
        },
    )
    assert created.status_code == 201
    url = f"/api/v1/families/{family.id}/adults/{created.json()['id']}"
    changed = api(client, "PATCH", url, {"version": 1, "lives_in_household": False})
    assert changed.json()["lives_in_household"] is False
    assert changed.json()["name"] == "Kim Harper"


def test_api_refuses_other_teams_and_colleagues(
    client: CheckingClient, db: Session, team: Team, family: Family
) -> None:
    colleague = make_user(db, roles=[Role.PRACTITIONER], team=team)
    sign_in_as(client, db, colleague)
    assert client.get(f"/api/v1/families/{family.id}").status_code == 200
    refused = api(
        client, "PATCH", f"/api/v1/families/{family.id}", {"version": 1, "display_name": "Hijack"}
    )
    assert refused.status_code == 403
    assert refused.json()["message"].startswith("Only the practitioner")
    outsider = make_user(db, roles=[Role.PRACTITIONER], team=make_team(db))
    sign_in_as(client, db, outsider)
    assert client.get(f"/api/v1/families/{family.id}").status_code == 404
    assert api(client, "POST", f"/api/v1/families/{family.id}/children", CHILD).status_code == 404


def test_api_writes_need_the_csrf_header(client: CheckingClient, family: Family) -> None:
    response = client.post(f"/api/v1/families/{family.id}/children", json=CHILD)
    assert response.status_code == 403
    assert "message" in response.json()


def test_openapi_is_served_to_signed_in_users_only(
    client: CheckingClient, practitioner: User
) -> None:
    schema = client.get("/api/openapi.json").json()
    assert "/api/v1/families/{family_id}/children" in schema["paths"]
    client.cookies.clear()
    assert client.get("/api/openapi.json").status_code == 401
