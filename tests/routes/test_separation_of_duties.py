"""Each person changes only what their role allows, as the permission table in
docs/security.md says: the allocated practitioner the family's name and reference, a
supervisor its allocation; nobody reviews their own family's chronology or decides on their
own family, and each such refusal is in the audit trail as `access_denied`."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.demo.journey import Story
from app.models.accounts import Role
from app.models.audit import AuditEvent
from app.models.chronology import ChronologyComment, ChronologyReview
from app.models.progress import GateDecision
from tests.factories import make_family, make_team, make_user, post_form, sign_in_as
from tests.support.client import CheckingClient, soup
from tests.support.journey import assessed


def test_the_practitioner_changes_the_name_but_not_the_allocation(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db)
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    colleague = make_user(db, roles=[Role.PRACTITIONER], team=team)
    family = make_family(db, team=team, allocated_to=practitioner, display_name="Harper family")
    sign_in_as(client, db, practitioner)
    page = soup(client.get(f"/families/{family.id}/edit"))
    assert page.h1.get_text(strip=True) == "Change the family's name or reference"
    assert page.select_one("#allocated_practitioner_id") is None
    response = post_form(
        client,
        f"/families/{family.id}/edit",
        {
            "reference": family.reference,
            "display_name": "Harper-Jones family",
            "allocated_practitioner_id": str(colleague.id),
            "version": family.version,
        },
    )
    assert response.status_code == 303
    db.refresh(family)
    assert family.display_name == "Harper-Jones family"
    assert family.allocated_practitioner_id == practitioner.id


def test_the_supervisor_allocates_but_does_not_rename(client: CheckingClient, db: Session) -> None:
    team = make_team(db)
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    colleague = make_user(db, roles=[Role.PRACTITIONER], team=team)
    supervisor = make_user(db, roles=[Role.SUPERVISOR], team=team)
    family = make_family(db, team=team, allocated_to=practitioner, display_name="Harper family")
    sign_in_as(client, db, supervisor)
    page = soup(client.get(f"/families/{family.id}/allocate"))
    assert page.h1.get_text(strip=True) == "Allocate the family"
    assert page.select_one("#display_name") is None
    response = post_form(
        client,
        f"/families/{family.id}/allocate",
        {
            "reference": "CHANGED-1",
            "display_name": "Renamed family",
            "allocated_practitioner_id": str(colleague.id),
            "version": family.version,
        },
    )
    assert response.status_code == 303
    db.refresh(family)
    assert family.allocated_practitioner_id == colleague.id
    assert (family.display_name, family.reference) != ("Renamed family", "CHANGED-1")
    assert family.display_name == "Harper family"


def test_nobody_reviews_the_chronology_of_a_family_allocated_to_them(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db)
    both = make_user(db, roles=[Role.PRACTITIONER, Role.SUPERVISOR], team=team)
    family = make_family(db, team=team, allocated_to=both)
    sign_in_as(client, db, both)
    review_url = f"/families/{family.id}/chronology/review"
    page = client.get(review_url)
    assert page.status_code == 200
    assert "Mark as reviewed" not in page.text
    for url, form in (
        (review_url, {"note": "Looks fine to me"}),
        (f"/families/{family.id}/chronology/comments", {"body": "My own comment"}),
    ):
        response = post_form(client, url, form)
        assert response.status_code == 403
        assert "ask another supervisor" in response.text
    assert not db.exec(select(ChronologyReview)).all()
    assert not db.exec(select(ChronologyComment)).all()
    denied = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.action) == "access_denied", col(AuditEvent.user_id) == both.id
        )
    ).all()
    assert [event.details["reason"] for event in denied] == [
        "supervisor reviewing a chronology of a family allocated to them"
    ] * 2


def test_nobody_records_a_decision_on_a_family_allocated_to_them(
    client: CheckingClient, story: Story
) -> None:
    db = story.session
    assessed(story, 20)
    with story.weeks_ago(18):
        story.fill("written-agreement")
        story.fill("child-view-of-agreement")
    story.family.allocated_practitioner_id = story.supervisor.id
    db.add(story.family)
    sign_in_as(client, db, story.supervisor)
    response = post_form(
        client,
        f"/families/{story.family.id}/decisions/agreement-sign-off",
        {"option": "signed-off", "reason": "Agreed with the family", "basis": "/"},
    )
    assert response.status_code == 403
    assert "ask another supervisor" in response.text
    assert not db.exec(
        select(GateDecision).where(col(GateDecision.gate_id) == "agreement-sign-off")
    ).all()
    denied = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.action) == "access_denied",
            col(AuditEvent.user_id) == story.supervisor.id,
        )
    ).one()
    assert (denied.family_id, denied.details) == (
        story.family.id,
        {"reason": "supervisor recording a decision on their own work"},
    )
