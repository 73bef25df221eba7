"""Administrators manage users and teams and read the audit trail."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, col, select

from app.models.accounts import Role, User, UserSession
from app.models.audit import AuditAction, AuditEvent
from app.services.sessions import hash_token
from tests.factories import (
    make_team,
    make_user,
    post_form,
    sign_in_as,
    start_session,
)
from tests.support.client import CheckingClient, soup


@pytest.fixture
def admin(client: CheckingClient, db: Session) -> User:
    user = make_user(db, roles=[Role.ADMIN], name="Ada Admin")
    sign_in_as(client, db, user)
    return user


def errors(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        link["href"]: link.get_text(strip=True)
        for link in soup(response).select(".govuk-error-summary a")
    }


def test_admin_adds_a_user_who_must_change_the_temporary_password(
    client: CheckingClient, db: Session, admin: User
) -> None:
    team = make_team(db, "Riverside")
    response = post_form(
        client,
        "/admin/users/new",
        {
            "name": "Nia Jones",
            "email": "Nia.Jones@Council.test",
            "team_id": str(team.id),
            "roles": ["practitioner", "supervisor"],
            "active": "yes",
        },
    )
    assert response.status_code == 200
    temporary = soup(response).select_one("#temporary-password").get_text(strip=True)
    assert len(temporary) > 12
    user = db.exec(select(User).where(col(User.email_key) == "nia.jones@council.test")).one()
    assert user.roles == {Role.PRACTITIONER, Role.SUPERVISOR}
    assert user.must_change_password
    created = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.entity_id) == str(user.id), col(AuditEvent.action) == "create"
        )
    ).one()
    assert created.details["email"]["after"] == "Nia.Jones@Council.test"
    assert temporary not in str(created.details)


def test_user_form_explains_every_problem_and_keeps_what_was_typed(
    client: CheckingClient, db: Session, admin: User
) -> None:
    make_user(db, email="taken@council.test")
    response = post_form(
        client,
        "/admin/users/new",
        {
            "name": "Kept Name",
            "email": "TAKEN@council.test",
            "roles": ["practitioner"],
            "active": "yes",
        },
    )
    assert errors(response) == {
        "#email": "Another user already has this email address",
        "#team_id": "Select a team: practitioners and supervisors work in a team",
    }
    page = soup(response)
    assert page.select_one("#name")["value"] == "Kept Name"
    assert page.select_one("#roles")["checked"] is not None
    empty = post_form(
        client, "/admin/users/new", {"name": "", "email": "not-an-email", "active": "yes"}
    )
    assert errors(empty) == {
        "#name": "Enter the person's full name",
        "#email": "Enter an email address in the correct format, like name@council.gov.uk",
        "#roles": "Select at least one role",
    }


def test_deactivating_ends_sessions_and_is_audited_with_before_and_after(
    client: CheckingClient, db: Session, admin: User
) -> None:
    team = make_team(db)
    person = make_user(db, roles=[Role.PRACTITIONER], team=team, name="Leaving Person")
    token = start_session(db, person)
    response = post_form(
        client,
        f"/admin/users/{person.id}",
        {
            "name": "Leaving Person",
            "email": person.email,
            "team_id": str(team.id),
            "roles": ["practitioner"],
            "active": "no",
            "version": person.version,
        },
    )
    assert response.status_code == 303
    session_record = db.get(UserSession, hash_token(token))
    assert session_record is not None
    assert session_record.revoked_at is not None
    event = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.entity_id) == str(person.id), col(AuditEvent.action) == "update"
        )
    ).one()
    assert event.details == {"active": {"before": True, "after": False}}


def test_a_stale_user_form_does_not_overwrite_newer_changes(
    client: CheckingClient, db: Session, admin: User
) -> None:
    team = make_team(db)
    person = make_user(db, roles=[Role.PRACTITIONER], team=team, name="Original Name")
    form = {
        "email": person.email,
        "team_id": str(team.id),
        "roles": ["practitioner"],
        "active": "yes",
        "version": person.version,
    }
    first = post_form(client, f"/admin/users/{person.id}", {**form, "name": "First Edit"})
    assert first.status_code == 303
    second = post_form(client, f"/admin/users/{person.id}", {**form, "name": "Second Edit"})
    assert second.status_code == 200
    assert "Someone else changed this user" in second.text
    assert soup(second).select_one("#name")["value"] == "Second Edit"  # their text is kept
    assert "First Edit" in second.text  # and they see what is saved now
    db.refresh(person)
    assert person.name == "First Edit"


def test_admin_cannot_lock_themselves_out(client: CheckingClient, db: Session, admin: User) -> None:
    response = post_form(
        client,
        f"/admin/users/{admin.id}",
        {
            "name": admin.name,
            "email": admin.email,
            "roles": ["trainer"],
            "active": "yes",
            "version": admin.version,
        },
    )
    assert errors(response) == {
        "#roles": "You cannot change your own roles. Ask another administrator"
    }


def test_reset_password_signs_the_user_out_everywhere(
    client: CheckingClient, db: Session, admin: User
) -> None:
    person = make_user(db, roles=[Role.TRAINER])
    token = start_session(db, person)
    response = post_form(client, f"/admin/users/{person.id}/reset-password")
    assert response.status_code == 200
    assert soup(response).select_one("#temporary-password") is not None
    db.refresh(person)
    assert person.must_change_password
    session_record = db.get(UserSession, hash_token(token))
    assert session_record is not None
    assert session_record.revoked_at is not None


def test_users_list_filters(client: CheckingClient, db: Session, admin: User) -> None:
    team = make_team(db, "Hillside")
    make_user(db, name="Filter Match", roles=[Role.SUPERVISOR], team=team)
    make_user(db, name="Someone Else", roles=[Role.TRAINER])
    page = client.get("/admin/users", params={"search": "filter", "role": "supervisor"})
    names = [a.get_text(strip=True) for a in soup(page).select("tbody a")]
    assert names == ["Filter Match"]
    page = client.get("/admin/users", params={"team": str(team.id)})
    assert [a.get_text(strip=True) for a in soup(page).select("tbody a")] == ["Filter Match"]


def test_teams_are_unique_whatever_the_case(
    client: CheckingClient, db: Session, admin: User
) -> None:
    assert post_form(client, "/admin/teams", {"name": "Riverside Team"}).status_code == 303
    duplicate = post_form(client, "/admin/teams", {"name": "riverside  TEAM"})
    assert errors(duplicate) == {"#name": "A team with this name already exists"}
    assert errors(post_form(client, "/admin/teams", {"name": "  "})) == {
        "#name": "Enter the team name"
    }


def test_audit_trail_lists_and_filters(client: CheckingClient, db: Session, admin: User) -> None:
    post_form(client, "/admin/teams", {"name": "Audited Team"})
    page = client.get("/admin/audit", params={"action": "create", "entity_type": "team"})
    rows = soup(page).select("tbody tr")
    assert len(rows) == 1
    assert "Audited Team" in rows[0].get_text()
    assert admin.name in rows[0].get_text()
    bad = client.get("/admin/audit", params={"family_id": "not-a-uuid"})
    assert bad.status_code == 200
    assert "Error: " in soup(bad).title.get_text()


def test_audit_trail_is_append_only_in_the_database(db: Session) -> None:
    db.add(AuditEvent(action=AuditAction.VIEW.value))
    db.flush()
    for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        with pytest.raises(DatabaseError, match="append-only"), db.begin_nested():
            db.execute(text(statement))
