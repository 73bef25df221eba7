"""Deleted families, on SQLite and PostgreSQL: a supervisor of the family's team finds one,
exports its whole record and restores it while the retention schedule keeps it; nobody else
can; every step is audited; past the schedule it can no longer be restored."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from app.models.accounts import Role, Team, User
from app.models.audit import AuditAction, AuditEvent
from app.models.base import utcnow
from app.models.family import Family
from tests.factories import make_child, make_family, make_team, make_user, post_form, sign_in_as
from tests.support.client import CheckingClient, soup


@pytest.fixture
def team(db: Session) -> Team:
    return make_team(db, "Riverside")


@pytest.fixture
def supervisor(db: Session, team: Team) -> User:
    return make_user(db, roles=[Role.SUPERVISOR], team=team, name="Grace Okafor")


@pytest.fixture
def deleted(db: Session, team: Team, supervisor: User) -> Family:
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    family = make_family(db, team=team, allocated_to=practitioner, display_name="Harper family")
    make_child(db, family, name="Amy Harper")
    family.deleted_at = utcnow() - timedelta(days=12)
    family.deleted_reason = "Opened twice by mistake"
    family.deleted_by_id = supervisor.id
    db.add(family)
    db.flush()
    return family


def audit_actions(db: Session, family: Family) -> list[str]:
    return list(
        db.exec(
            select(AuditEvent.action)
            .where(col(AuditEvent.family_id) == family.id)
            .order_by(col(AuditEvent.id))
        ).all()
    )


def test_a_supervisor_finds_a_deleted_family_and_exports_it(
    client: CheckingClient, db: Session, supervisor: User, deleted: Family
) -> None:
    sign_in_as(client, db, supervisor)
    assert "Deleted families" in client.get("/families?scope=team").text
    listed = soup(client.get("/families/deleted?search=amy"))
    row = listed.select_one("tbody tr")
    assert row is not None
    assert "Harper family" in row.get_text()
    assert "Opened twice by mistake" in row.get_text()
    assert "Grace Okafor" in row.get_text()
    removed_on = (deleted.deleted_at + timedelta(days=90)).date()  # type: ignore[operator]
    assert f"{removed_on.day} {removed_on:%B %Y}" in row.get_text()
    assert "No deleted families match" in client.get("/families/deleted?search=zzz").text

    page = client.get(f"/families/{deleted.id}/restore")
    assert page.status_code == 200
    assert "Restore this family" in page.text
    # Still gone from everyday pages.
    assert client.get(f"/families/{deleted.id}").status_code == 404

    exported = client.get(f"/families/{deleted.id}/export.json")
    assert exported.status_code == 200
    record = json.loads(exported.content)
    assert record["tables"]["family"][0]["deleted_reason"] == "Opened twice by mistake"
    assert [row["name"] for row in record["tables"]["child"]] == ["Amy Harper"]
    assert AuditAction.EXPORT.value in audit_actions(db, deleted)


def test_a_supervisor_restores_a_deleted_family_with_a_reason(
    client: CheckingClient, db: Session, supervisor: User, deleted: Family
) -> None:
    sign_in_as(client, db, supervisor)
    url = f"/families/{deleted.id}/restore"
    missing = post_form(client, url, {"version": deleted.version, "reason": ""})
    assert missing.status_code == 200
    assert (
        "Enter why you are restoring this family"
        in soup(missing).select_one(".govuk-error-summary").get_text()
    )
    stale = post_form(client, url, {"version": deleted.version - 1, "reason": "Not a duplicate"})
    assert "Someone else" in stale.text
    assert "Not a duplicate" in stale.text  # what they typed is kept

    restored = post_form(client, url, {"version": deleted.version, "reason": "Not a duplicate"})
    assert restored.status_code == 303
    assert restored.headers["location"] == f"/families/{deleted.id}"
    db.refresh(deleted)
    assert (deleted.deleted_at, deleted.deleted_reason, deleted.deleted_by_id) == (None, None, None)
    assert client.get(f"/families/{deleted.id}").status_code == 200
    entry = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.family_id) == deleted.id,
            col(AuditEvent.action) == AuditAction.RESTORE.value,
        )
    ).one()
    assert entry.details["reason"] == "Not a duplicate"
    assert entry.details["deleted_reason"] == "Opened twice by mistake"
    # The page of a family that is no longer deleted goes back to the family.
    again = client.get(url)
    assert again.status_code == 303


def test_past_the_schedule_a_family_can_be_exported_but_not_restored(
    client: CheckingClient, db: Session, supervisor: User, deleted: Family
) -> None:
    deleted.deleted_at = utcnow() - timedelta(days=91)
    db.add(deleted)
    db.flush()
    sign_in_as(client, db, supervisor)
    url = f"/families/{deleted.id}/restore"
    page = client.get(url)
    assert "no longer allows it to be restored" in page.text
    assert soup(page).select_one("form[action$='/restore']") is None
    refused = post_form(client, url, {"version": deleted.version, "reason": "Please"})
    assert "no longer allows it to be restored" in refused.text
    db.refresh(deleted)
    assert deleted.deleted_at is not None
    assert client.get(f"/families/{deleted.id}/export.csv").status_code == 200


def test_nobody_else_can_see_or_restore_a_deleted_family(
    client: CheckingClient, db: Session, team: Team, deleted: Family
) -> None:
    url = f"/families/{deleted.id}/restore"
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    sign_in_as(client, db, practitioner)
    assert client.get("/families/deleted").status_code == 403
    assert client.get(url).status_code == 403
    other_supervisor = make_user(db, roles=[Role.SUPERVISOR], team=make_team(db))
    sign_in_as(client, db, other_supervisor)
    assert client.get(url).status_code == 404
    assert "Harper family" not in client.get("/families/deleted").text
    assert post_form(client, url, {"version": deleted.version, "reason": "x"}).status_code == 404
    db.refresh(deleted)
    assert deleted.deleted_at is not None
    assert audit_actions(db, deleted).count(AuditAction.ACCESS_DENIED.value) >= 2


def test_the_page_of_a_deleted_family_says_what_it_holds(
    client: CheckingClient, db: Session, supervisor: User, deleted: Family
) -> None:
    sign_in_as(client, db, supervisor)
    page = soup(client.get(f"/families/{deleted.id}/restore"))
    facts = {
        row.select_one("dt").get_text(strip=True): row.select_one("dd").get_text(strip=True)
        for row in page.select(".govuk-summary-list__row")
    }
    assert facts["Why"] == "Opened twice by mistake"
    assert facts["Children"] == "1"
    assert facts["Chronology entries"] == "0"
