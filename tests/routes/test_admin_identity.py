"""Administrators run the service, not the cases: the audit trail without family content,
reading it audited, no changing one's own roles or team, role changes listed with both
names, temporary passwords that expire, none when people sign in through the provider; and
failed sign-ins that keep nothing typed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app.db import get_session
from app.main import create_app
from app.models.accounts import Role, SignInAttempt, User
from app.models.audit import AuditAction, AuditEvent
from app.models.base import utcnow
from app.services import families, records, sessions
from app.services.audit import Actor
from app.services.sessions import TEMPORARY_PASSWORD_EXPIRED
from app.timeutil import format_datetime
from tests.conftest import test_settings
from tests.factories import (
    account_digest,
    make_child,
    make_entry,
    make_family,
    make_team,
    make_user,
    post_form,
    sign_in_as,
)
from tests.support.client import CheckingClient, soup


def errors(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        link["href"]: link.get_text(strip=True)
        for link in soup(response).select(".govuk-error-summary a")
    }


def test_administrators_see_who_changed_a_family_but_not_what(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db)
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team, name="Pia Prac")
    family = make_family(db, team=team, allocated_to=practitioner, display_name="Harper family")
    families.update_family(
        db,
        actor=Actor(user=practitioner),
        family=family,
        details=families.FamilyDetails(
            reference=family.reference,
            display_name="Quietly Renamed family",
            allocated_practitioner_id=practitioner.id,
        ),
        expected_version=family.version,
    )
    # The kinds of content the attack found: a child's date of birth and reason for care, and
    # a chronology entry's text.
    actor = Actor(user=practitioner)
    child = make_child(db, family, born=date(2015, 2, 1), entry_reason="neglect")
    records.save_changes(
        db,
        actor=actor,
        record=child,
        values={"date_of_birth": date(2015, 3, 9), "entry_reason": "physical-abuse"},
        expected_version=child.version,
        entity_type="child",
        family_id=family.id,
    )
    entry = make_entry(db, family, author=practitioner, what="Neighbour heard shouting")
    records.save_changes(
        db,
        actor=actor,
        record=entry,
        values={"what_happened": "Police found Ann alone overnight"},
        expected_version=entry.version,
        entity_type="chronology_entry",
        family_id=family.id,
    )
    admin = make_user(db, roles=[Role.ADMIN], name="Ada Admin")
    sign_in_as(client, db, admin)
    page = client.get("/admin/audit", params={"family_id": str(family.id)})
    assert page.status_code == 200
    assert "Pia Prac" in page.text
    for content in (
        "Quietly Renamed",
        "Harper family",
        "2015-02-01",
        "2015-03-09",
        "neglect",
        "physical-abuse",
        "Neighbour heard shouting",
        "Police found Ann",
    ):
        assert content not in page.text
    hidden = [row.get_text() for row in soup(page).select(".hw-details-hidden")]
    assert len(hidden) == 3
    assert "what happened" in hidden[0]
    assert "date of birth" in hidden[1]
    assert "display name" in hidden[2]
    # Someone who works with the family (here a supervisor who also administers) sees it all.
    both = make_user(db, roles=[Role.ADMIN, Role.SUPERVISOR], team=team)
    sign_in_as(client, db, both)
    page = client.get("/admin/audit", params={"family_id": str(family.id)})
    assert "Quietly Renamed family" in page.text
    assert "Police found Ann alone overnight" in page.text
    # So does the family's own "who has accessed this record" page for its supervisors.
    log = client.get(f"/families/{family.id}/access-log")
    assert "Quietly Renamed family" in log.text


def test_reading_the_audit_trail_is_itself_audited(client: CheckingClient, db: Session) -> None:
    admin = make_user(db, roles=[Role.ADMIN])
    sign_in_as(client, db, admin)
    client.get("/admin/audit", params={"action": "sign_in_failed", "page": "2"})
    reading = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.entity_type) == "audit_trail", col(AuditEvent.user_id) == admin.id
        )
    ).one()
    assert reading.action == AuditAction.VIEW
    assert reading.details == {"filters": {"action": "sign_in_failed"}, "page": 1}
    client.get("/admin/role-changes")
    assert (
        len(db.exec(select(AuditEvent).where(col(AuditEvent.entity_type) == "audit_trail")).all())
        == 2
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"roles": ["admin", "supervisor"]}, "#roles", "You cannot change your own roles"),
        ({"roles": ["admin", "practitioner"]}, "#roles", "You cannot change your own roles"),
        ({"team": True}, "#team_id", "You cannot change your own team"),
    ],
    ids=["supervisor", "practitioner", "team"],
)
def test_an_administrator_cannot_give_themselves_a_way_into_families(
    client: CheckingClient, db: Session, change: dict[str, object], field: str, message: str
) -> None:
    team = make_team(db)
    admin = make_user(db, roles=[Role.ADMIN], name="Ada Admin")
    sign_in_as(client, db, admin)
    page = client.get(f"/admin/users/{admin.id}")
    assert "You cannot change your own roles or team" in page.text
    form = {
        "name": admin.name,
        "email": admin.email,
        "roles": change.get("roles", ["admin"]),
        "team_id": str(team.id) if change.get("team") else "",
        "active": "yes",
        "version": admin.version,
    }
    response = post_form(client, f"/admin/users/{admin.id}", form)
    assert errors(response)[field].startswith(message)
    db.refresh(admin)
    assert admin.roles == {Role.ADMIN}
    assert admin.team_id is None
    assert not db.exec(select(AuditEvent).where(col(AuditEvent.action) == "role_change")).all()


def test_a_casework_role_given_to_someone_is_listed_with_both_names(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db, "Riverside")
    admin = make_user(db, roles=[Role.ADMIN], name="Ada Admin")
    trainer = make_user(db, roles=[Role.TRAINER], name="Tim Trainer")
    sign_in_as(client, db, admin)
    response = post_form(
        client,
        f"/admin/users/{trainer.id}",
        {
            "name": trainer.name,
            "email": trainer.email,
            "roles": ["trainer", "supervisor"],
            "team_id": str(team.id),
            "active": "yes",
            "version": trainer.version,
        },
    )
    assert response.status_code == 303
    change = db.exec(select(AuditEvent).where(col(AuditEvent.action) == "role_change")).one()
    assert change.user_id == admin.id
    assert change.details == {
        "person": "Tim Trainer",
        "changed_by": "Ada Admin",
        "roles": {"before": ["trainer"], "after": ["supervisor", "trainer"]},
        "team": {"before": None, "after": "Riverside"},
        "casework_granted": True,
        "administrator_granted": False,
    }
    page = soup(client.get("/admin/role-changes"))
    row = page.select("tbody tr")[0]
    cells = [cell.get_text(" ", strip=True) for cell in row.select("td")]
    assert cells[0] == format_datetime(change.at)
    assert cells[1].startswith("Tim Trainer")
    assert "Access to families" in cells[1]
    assert cells[2] == "Ada Admin"
    assert cells[3] == "Trainer → Supervisor, Trainer"
    assert cells[4] == "No team → Riverside"
    # A change that opens no family's record is listed but not marked.
    post_form(
        client,
        f"/admin/users/{trainer.id}",
        {
            "name": trainer.name,
            "email": trainer.email,
            "roles": ["supervisor"],
            "team_id": str(team.id),
            "active": "yes",
            "version": trainer.version,
        },
    )
    everything = soup(client.get("/admin/role-changes")).select("tbody tr")
    casework = soup(client.get("/admin/role-changes?show=casework")).select("tbody tr")
    assert (len(everything), len(casework)) == (2, 1)
    assert "Role changes" in [
        link.get_text(strip=True)
        for link in soup(client.get("/home")).select(".govuk-service-navigation__item a")
    ]


def test_making_someone_an_administrator_is_marked(client: CheckingClient, db: Session) -> None:
    """A second administrator account is how one administrator could give themselves a way in
    (see docs/security.md), so every administrator made is marked and can be listed alone."""
    sign_in_as(client, db, make_user(db, roles=[Role.ADMIN], name="Ada Admin"))
    trainer = make_user(db, roles=[Role.TRAINER], name="Tim Trainer")
    form = {
        "name": trainer.name,
        "email": trainer.email,
        "roles": ["trainer", "admin"],
        "team_id": "",
        "active": "yes",
        "version": trainer.version,
    }
    assert post_form(client, f"/admin/users/{trainer.id}", form).status_code == 303
    change = db.exec(select(AuditEvent).where(col(AuditEvent.action) == "role_change")).one()
    assert (change.details["administrator_granted"], change.details["casework_granted"]) == (
        True,
        False,
    )
    listed = soup(client.get("/admin/role-changes?show=administrator")).select("tbody tr td")
    assert listed[1].get_text(" ", strip=True) == "Tim Trainer Made an administrator"
    assert listed[2].get_text(strip=True) == "Ada Admin"
    assert not soup(client.get("/admin/role-changes?show=casework")).select("tbody tr td a")


def test_a_new_user_given_a_casework_role_is_a_role_change_too(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db, "Hillside")
    sign_in_as(client, db, make_user(db, roles=[Role.ADMIN], name="Ada Admin"))
    post_form(
        client,
        "/admin/users/new",
        {
            "name": "Nia Jones",
            "email": "nia@council.test",
            "team_id": str(team.id),
            "roles": ["practitioner"],
            "active": "yes",
        },
    )
    change = db.exec(select(AuditEvent).where(col(AuditEvent.action) == "role_change")).one()
    assert change.details["person"] == "Nia Jones"
    assert change.details["roles"] == {"before": [], "after": ["practitioner"]}
    assert change.details["casework_granted"] is True


def test_a_temporary_password_expires(client: CheckingClient, db: Session) -> None:
    sign_in_as(client, db, make_user(db, roles=[Role.ADMIN]))
    response = post_form(
        client,
        "/admin/users/new",
        {"name": "Tess Temp", "email": "tess@council.test", "roles": ["trainer"], "active": "yes"},
    )
    temporary = soup(response).select_one("#temporary-password").get_text(strip=True)
    assert "works for 72 hours" in response.text
    user = db.exec(select(User).where(col(User.email_key) == "tess@council.test")).one()
    assert user.password_expires_at is not None
    assert timedelta(hours=71) < user.password_expires_at - utcnow() <= timedelta(hours=72)
    user.password_expires_at = utcnow() - timedelta(minutes=1)
    db.add(user)
    db.flush()
    client.cookies.clear()
    refused = post_form(client, "/sign-in", {"email": "tess@council.test", "password": temporary})
    assert errors(refused) == {"#email": TEMPORARY_PASSWORD_EXPIRED}
    failure = db.exec(select(AuditEvent).where(col(AuditEvent.action) == "sign_in_failed")).one()
    assert failure.details == {"method": "password", "reason": "temporary password expired"}


def test_a_failed_sign_in_keeps_nothing_that_was_typed(client: CheckingClient, db: Session) -> None:
    typed = "Not-An-Email my-Secret-Password-42"
    post_form(client, "/sign-in", {"email": typed, "password": "whatever it is"})
    failure = db.exec(select(AuditEvent).where(col(AuditEvent.action) == "sign_in_failed")).one()
    assert typed.lower() not in str(failure.details).lower()
    assert failure.details == {"method": "password", "reason": "unknown account"}
    attempt = db.exec(select(SignInAttempt)).one()
    assert attempt.account_digest == account_digest(typed)
    assert "secret" not in attempt.account_digest.lower()


def test_a_long_client_address_is_throttled_like_any_other(db: Session) -> None:
    """The address is cut the same way where it is stored and where it is counted."""
    address = "203.0.113.7, " * 10  # a forwarded chain far over 64 characters
    now = utcnow()
    for number in range(sessions.MAX_FAILURES_PER_ADDRESS):
        sessions.record_attempt(
            db, digest=f"guess-{number}", client_address=address, succeeded=False, now=now
        )
    db.flush()
    assert sessions.is_throttled(db, digest="another", client_address=address, now=now)


@pytest.fixture(scope="session")
def sso_app(database_url: str, data_dir: Path, engine: Engine) -> FastAPI:
    """An app whose people sign in through an identity provider (not contacted here)."""
    settings = test_settings(
        database_url,
        data_dir,
        oidc_issuer="http://127.0.0.1:9",
        oidc_client_id="homeward",
        public_url="http://testserver",
    )
    application = create_app(settings)
    application.state.engine = engine
    return application


@pytest.fixture
def sso_client(sso_app: FastAPI, db: Session) -> Iterator[CheckingClient]:
    sso_app.dependency_overrides[get_session] = lambda: (yield db)
    with CheckingClient(sso_app, base_url="http://testserver") as test_client:
        yield test_client


def test_with_the_identity_provider_on_there_are_no_temporary_passwords(
    sso_client: CheckingClient, db: Session
) -> None:
    admin = make_user(db, roles=[Role.ADMIN])
    sign_in_as(sso_client, db, admin)
    response = post_form(
        sso_client,
        "/admin/users/new",
        {"name": "Sam Sso", "email": "sam@council.test", "roles": ["trainer"], "active": "yes"},
    )
    assert response.status_code == 200
    assert soup(response).select_one("#temporary-password") is None
    assert "Their first sign-in links this account to them" in response.text
    user = db.exec(select(User).where(col(User.email_key) == "sam@council.test")).one()
    assert (user.password_hash, user.must_change_password) == ("", False)
    page = sso_client.get(f"/admin/users/{user.id}")
    assert "Reset password" not in page.text
    assert post_form(sso_client, f"/admin/users/{user.id}/reset-password").status_code == 404
    # Nobody can sign in with an empty password.
    sso_client.cookies.clear()
    refused = post_form(sso_client, "/sign-in", {"email": "sam@council.test", "password": " "})
    assert refused.status_code == 200
    assert errors(refused)
