"""Administrators manage users and teams and read the audit trail."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, col, select

from app.models.accounts import Role, User, UserSession
from app.models.audit import AuditAction, AuditEvent
from app.services.sessions import hash_token
from tests.factories import (
    make_family,
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


def test_a_team_is_renamed_once_and_audited(
    client: CheckingClient, db: Session, admin: User
) -> None:
    team = make_team(db, "Riverside")
    make_team(db, "Hillside")
    member = make_user(db, roles=[Role.PRACTITIONER], team=team)
    listing = soup(client.get("/admin/teams"))
    link = listing.find("a", href=f"/admin/teams/{team.id}")
    assert link.get_text(" ", strip=True) == "Rename Riverside"
    form = soup(client.get(f"/admin/teams/{team.id}"))
    assert form.select_one("#name")["value"] == "Riverside"
    assert form.select_one("input[name=version]")["value"] == "1"
    url = f"/admin/teams/{team.id}"
    # Refusals keep what was typed.
    for typed, message in [
        ("  hillSIDE ", "A team with this name already exists"),
        ("   ", "Enter the team name"),
        ("x" * 121, "Team name must be 120 characters or fewer"),
    ]:
        refused = post_form(client, url, {"name": typed, "version": "1"})
        assert refused.status_code == 200
        assert errors(refused) == {"#name": message}
        assert soup(refused).select_one("#name")["value"] == typed
    done = post_form(client, url, {"name": "  Riverside   North ", "version": "1"})
    assert done.status_code == 303
    banner = soup(client.get(done.headers["location"])).select_one(".govuk-notification-banner")
    assert "The team is now called \u2018Riverside North\u2019." in banner.get_text()
    db.refresh(team)
    db.refresh(member)
    assert (team.name, team.name_key, team.version) == ("Riverside North", "riverside north", 2)
    assert member.team_id == team.id
    event = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.entity_type) == "team", col(AuditEvent.action) == "update"
        )
    ).one()
    assert event.details == {"name": {"before": "Riverside", "after": "Riverside North"}}
    # A second administrator's form, opened before the rename, does not overwrite it.
    stale = post_form(client, url, {"name": "Riverside South", "version": "1"})
    assert stale.status_code == 200
    page = soup(stale)
    assert "Renamed by someone else" in page.get_text()
    assert page.select_one("#name")["value"] == "Riverside South"
    assert page.select_one("input[name=version]")["value"] == "2"
    assert "The team is now called \u2018Riverside North\u2019" in errors(stale)["#name"]
    db.refresh(team)
    assert team.name == "Riverside North"
    # Saved again from that page, the second name wins, knowingly.
    assert post_form(client, url, {"name": "Riverside South", "version": "2"}).status_code == 303


def test_the_audit_trail_filters_by_day_month_and_year_and_family_reference(
    client: CheckingClient, db: Session, admin: User
) -> None:
    team = make_team(db, "Riverside")
    family = make_family(db, team=team, reference="RIV-0042")
    other = make_family(db, team=team, reference="RIV-0043")
    for at, about in [
        (datetime(2026, 3, 2, 10, tzinfo=UTC), family),
        (datetime(2026, 3, 20, 10, tzinfo=UTC), family),
        (datetime(2026, 3, 20, 11, tzinfo=UTC), other),
    ]:
        db.add(
            AuditEvent(
                at=at,
                action=AuditAction.VIEW.value,
                entity_type="family",
                entity_id=str(about.id),
                family_id=about.id,
            )
        )
    db.flush()
    dates = {
        "date_from-day": "1",
        "date_from-month": "3",
        "date_from-year": "2026",
        "date_to-day": "19",
        "date_to-month": "03",
        "date_to-year": "2026",
    }
    page = client.get("/admin/audit", params={"family": " riv-0042 ", **dates})
    rows = soup(page).select(".hw-audit-table tbody tr")
    assert len(rows) == 1
    assert "Family RIV-0042" in rows[0].get_text(" ", strip=True)
    assert soup(page).select_one("#date_to-day")["value"] == "19"
    every = client.get("/admin/audit", params={"family": "RIV-0042"})
    # The two entries, and the reading of the trail just above.
    assert len(soup(every).select(".hw-audit-table tbody tr")) == 3
    # An id still works, for links made before references could be typed.
    by_id = client.get("/admin/audit", params={"family_id": str(other.id)})
    assert len(soup(by_id).select(".hw-audit-table tbody tr")) == 1
    # Every problem at once, each explained, what was typed kept and no entries shown.
    bad = client.get(
        "/admin/audit",
        params={
            "family": "RIV-9999",
            "date_from-day": "31",
            "date_from-month": "2",
            "date_from-year": "2026",
            "date_to-month": "3",
        },
    )
    assert bad.status_code == 200
    assert soup(bad).title.get_text().startswith("Error: ")
    assert errors(bad) == {
        "#family": "There is no family with the reference \u2018RIV-9999\u2019: check it on "
        "the family's page",
        "#date_from-day": "The from date must be a real date",
        "#date_to-day": "The to date must include a day and year",
    }
    assert soup(bad).select_one("#family")["value"] == "RIV-9999"
    assert soup(bad).select_one("#date_from-day")["value"] == "31"
    assert not soup(bad).select(".hw-audit-table")
    backwards = client.get(
        "/admin/audit",
        params={**dates, "date_from-day": "20", "date_to-day": "2"},
    )
    assert errors(backwards) == {
        "#date_to-day": "The to date must be the same as or after the from date"
    }


def test_the_audit_trail_names_roles_and_teams(
    client: CheckingClient, db: Session, admin: User
) -> None:
    first, second = make_team(db, "Riverside"), make_team(db, "Hillside")
    user = make_user(db, roles=[Role.PRACTITIONER], team=first, name="Nia Jones")
    response = post_form(
        client,
        f"/admin/users/{user.id}",
        {
            "name": "Nia Jones",
            "email": user.email,
            "team_id": str(second.id),
            "roles": ["practitioner", "supervisor"],
            "active": "yes",
            "version": str(user.version),
        },
    )
    assert response.status_code == 303
    page = client.get("/admin/audit", params={"action": "update", "entity_type": " User "})
    details = soup(page).select_one(".hw-audit-table tbody tr").get_text(" ", strip=True)
    assert "team: Riverside \u2192 Hillside" in details
    assert "roles: Practitioner \u2192 Practitioner, Supervisor" in details
    assert str(second.id) not in details
    assert "supervisor'" not in details
    change = client.get("/admin/audit", params={"action": "role_change", "entity_type": "user"})
    details = soup(change).select_one(".hw-audit-table tbody tr").get_text(" ", strip=True)
    assert "casework granted: yes" in details
    assert "administrator granted: no" in details
    assert "changed by: Ada Admin" in details
