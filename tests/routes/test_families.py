"""Family pages: starting work, the records inside a family, bad input, conflicts, deletion."""

from datetime import date

import pytest
from sqlmodel import Session, col, select

from app.models.accounts import Role, Team, User
from app.models.audit import AuditEvent
from app.models.family import Adult, Child, EarlierReturn, Family
from app.models.journey import FamilyStatus
from app.timeutil import london_today
from tests.factories import (
    CONTENT,
    make_adult,
    make_child,
    make_contact,
    make_entry,
    make_family,
    make_return,
    make_team,
    make_user,
    post_form,
    sign_in_as,
)
from tests.support.client import CheckingClient, soup


@pytest.fixture
def team(db: Session) -> Team:
    return make_team(db, "Riverside")


@pytest.fixture
def practitioner(client: CheckingClient, db: Session, team: Team) -> User:
    user = make_user(db, roles=[Role.PRACTITIONER], team=team, name="Priya Shah")
    sign_in_as(client, db, user)
    return user


@pytest.fixture
def family(db: Session, team: Team, practitioner: User) -> Family:
    return make_family(db, team=team, allocated_to=practitioner, display_name="Harper family")


def errors(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        link["href"]: link.get_text(strip=True)
        for link in soup(response).select(".govuk-error-summary a")
    }


def child_form(**overrides: str) -> dict[str, str]:
    values = {
        "name": "Amy Harper",
        "date_of_birth-day": "14",
        "date_of_birth-month": "3",
        "date_of_birth-year": "2013",
        "gender": "girl",
        "legal_status": "interim-care-order",
        "date_entered_care-day": "2",
        "date_entered_care-month": "9",
        "date_entered_care-year": "2025",
        "entry_reason": "neglect",
        "placement_type": "foster-care",
        "placement_moves": "2",
    }
    values.update(overrides)
    return values


def test_practitioner_starts_work_with_a_family_pinned_to_the_newest_content(
    client: CheckingClient, db: Session, practitioner: User
) -> None:
    page = client.get("/families/new")
    assert soup(page).select_one("#allocated_practitioner_id option[selected]")["value"] == str(
        practitioner.id
    )
    response = post_form(
        client,
        "/families/new",
        {
            "reference": "fam-2026-001",
            "display_name": "Okoro family",
            "allocated_practitioner_id": str(practitioner.id),
        },
    )
    assert response.status_code == 303
    family = db.exec(select(Family).where(col(Family.reference) == "fam-2026-001")).one()
    newest = CONTENT.latest("reunification").version
    assert (family.framework_id, family.framework_version) == ("reunification", newest)
    assert len(family.content_hash) == 64
    assert family.current_stage_id == "assessment"
    assert family.next_action == "Start: Identification"
    # Reviews start once the plan is agreed: nothing is due yet.
    assert family.next_review_due is None
    overview = client.get(f"/families/{family.id}")
    assert f"Following reunification framework version {newest}" in overview.text


def test_references_are_unique_whatever_the_case(
    client: CheckingClient, db: Session, practitioner: User, family: Family
) -> None:
    response = post_form(
        client, "/families/new", {"reference": family.reference.lower(), "display_name": "Another"}
    )
    assert errors(response) == {"#reference": "Another family already has this reference"}
    assert soup(response).select_one("#display_name")["value"] == "Another"


def test_the_task_list_comes_from_the_content(
    client: CheckingClient, db: Session, family: Family
) -> None:
    page = soup(client.get(f"/families/{family.id}"))
    stages = [h.get_text(strip=True) for h in page.select("h2.govuk-heading-m[id^=stage-]")]
    assert stages == ["1. Assessment", "2. Goal-setting", "3. Support", "4. Review"]
    titles = [t.get_text(strip=True) for t in page.select(".govuk-task-list__name-and-hint")]
    assert any(t.startswith("Identification") for t in titles)
    assert any(t.startswith("Decision on working towards a return") for t in titles)
    assert any(t.startswith("Review 1: Review decision") for t in titles)
    statuses = [s.get_text(strip=True) for s in page.select(".govuk-task-list__status")]
    assert statuses[0] == "Not started"
    assert "Cannot start yet" in statuses


def test_add_a_child_with_every_detail(client: CheckingClient, db: Session, family: Family) -> None:
    response = post_form(client, f"/families/{family.id}/children/new", child_form())
    assert response.status_code == 303
    child = db.exec(select(Child).where(col(Child.family_id) == family.id)).one()
    assert child.date_of_birth == date(2013, 3, 14)
    assert child.placement_moves == 2
    details = client.get(f"/families/{family.id}/details")
    assert "Amy Harper" in details.text
    assert "Interim care order" in details.text
    event = db.exec(select(AuditEvent).where(col(AuditEvent.entity_id) == str(child.id))).one()
    assert event.action == "create"
    assert event.details["name"]["after"] == "Amy Harper"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"name": "  "}, {"#name": "Enter the child's full name"}),
        (
            {"date_of_birth-day": "31", "date_of_birth-month": "2"},
            {"#date_of_birth-day": "Date of birth must be a real date"},
        ),
        ({"date_of_birth-month": ""}, {"#date_of_birth-day": "Date of birth must include a month"}),
        (
            {"date_of_birth-year": str(london_today().year + 1)},
            {
                "#date_of_birth-day": "Date of birth must be today or in the past",
                "#date_entered_care-day": "The date the child came into care must be the same as "
                "or after their date of birth",
            },
        ),
        (
            {"date_entered_care-year": "2010"},
            {
                "#date_entered_care-day": "The date the child came into care must be the same as "
                "or after their date of birth"
            },
        ),
        ({"legal_status": "made-up"}, {"#legal_status": "Select the child's legal status"}),
        (
            {"placement_moves": "two"},
            {"#placement_moves": "Placement moves must be a whole number, like 3"},
        ),
        ({"name": "A" * 121}, {"#name": "The child's full name must be 120 characters or fewer"}),
        (
            {"name": "Amy\x07Harper"},
            {"#name": "Remove the hidden control characters from the child's full name"},
        ),
        (
            {"legal_status": "other"},
            {"#legal_status_detail": "Enter the child's legal status"},
        ),
    ],
)
def test_bad_child_details_are_explained_and_nothing_is_saved(
    client: CheckingClient,
    db: Session,
    family: Family,
    overrides: dict[str, str],
    expected: dict[str, str],
) -> None:
    response = post_form(client, f"/families/{family.id}/children/new", child_form(**overrides))
    assert response.status_code == 200
    assert errors(response) == expected
    assert soup(response).title.get_text().startswith("Error: ")
    kept = soup(response).select_one("#name")["value"]
    # What was typed is kept; a control character shows as a visible replacement mark.
    assert kept == child_form(**overrides)["name"].replace("\x07", "\ufffd")
    assert db.exec(select(Child).where(col(Child.family_id) == family.id)).all() == []


def test_every_problem_is_listed_in_page_order(client: CheckingClient, family: Family) -> None:
    response = post_form(client, f"/families/{family.id}/children/new", {})
    assert list(errors(response)) == [
        "#name",
        "#date_of_birth-day",
        "#gender",
        "#legal_status",
        "#date_entered_care-day",
        "#entry_reason",
        "#placement_type",
        "#placement_moves",
    ]


def test_second_save_of_a_stale_form_gets_the_conflict_page_with_its_text_kept(
    client: CheckingClient, db: Session, team: Team, family: Family, practitioner: User
) -> None:
    child = make_child(db, family, name="Amy Harper")
    stale_version = child.version
    first = post_form(
        client,
        f"/families/{family.id}/children/{child.id}",
        child_form(name="Amy Harper-Jones", version=str(stale_version)),
    )
    assert first.status_code == 303
    second = post_form(
        client,
        f"/families/{family.id}/children/{child.id}",
        child_form(name="Amelia Harper", placement_moves="5", version=str(stale_version)),
    )
    assert second.status_code == 200
    page = soup(second)
    assert "Someone else changed this child while you were editing" in second.text
    assert page.select_one("#name")["value"] == "Amelia Harper"
    rows = {
        row.th.get_text(strip=True): [td.get_text(strip=True) for td in row.select("td")]
        for row in page.select("table tbody tr")
    }
    assert rows["Full name"] == ["Amy Harper-Jones", "Amelia Harper"]
    db.refresh(child)
    assert child.name == "Amy Harper-Jones"
    # Saving again from the conflict page keeps the user's version on purpose.
    version = page.select_one('input[name="version"]')["value"]
    third = post_form(
        client,
        f"/families/{family.id}/children/{child.id}",
        child_form(name="Amelia Harper", placement_moves="5", version=version),
    )
    assert third.status_code == 303
    db.refresh(child)
    assert child.name == "Amelia Harper"


def test_earlier_returns_home(client: CheckingClient, db: Session, family: Family) -> None:
    child = make_child(db, family, born=date(2012, 1, 1))
    url = f"/families/{family.id}/children/{child.id}/returns/new"
    bad = post_form(
        client,
        url,
        {
            "returned_on-day": "1",
            "returned_on-month": "6",
            "returned_on-year": "2020",
            "planned": "unplanned",
            "broke_down": "yes",
            "breakdown_cause": "not-known",
            "ended_on-day": "1",
            "ended_on-month": "1",
            "ended_on-year": "2020",
        },
    )
    assert errors(bad) == {
        "#ended_on-day": "The date the return ended must be the same as or after it began"
    }
    good = post_form(
        client,
        url,
        {
            "returned_on-day": "1",
            "returned_on-month": "6",
            "returned_on-year": "2020",
            "planned": "unplanned",
            "broke_down": "yes",
            "ended_on-day": "1",
            "ended_on-month": "12",
            "ended_on-year": "2020",
            "breakdown_cause": "substance-misuse",
            "notes": "Mum relapsed",
        },
    )
    assert good.status_code == 303
    record = db.exec(select(EarlierReturn).where(col(EarlierReturn.child_id) == child.id)).one()
    assert record.broke_down
    assert "broke down" in client.get(f"/families/{family.id}/details").text


def test_adults_and_contacts(client: CheckingClient, db: Session, family: Family) -> None:
    missing = post_form(client, f"/families/{family.id}/adults/new", {"name": "Sam Harper"})
    assert errors(missing) == {
        "#relationship": "Select their relationship to the children",
        "#parental_responsibility": "Select whether they have parental responsibility",
        "#lives_in_household": "Select whether they live in the household",
    }
    added = post_form(
        client,
        f"/families/{family.id}/adults/new",
        {
            "name": "Sam Harper",
            "relationship": "father",
            "parental_responsibility": "yes",
            "lives_in_household": "no",
        },
    )
    assert added.status_code == 303
    professional = post_form(
        client,
        f"/families/{family.id}/contacts/new/professional",
        {"name": "Dr Lee", "role": "GP"},
    )
    assert errors(professional) == {"#organisation": "Enter the organisation they work for"}
    network = post_form(
        client,
        f"/families/{family.id}/contacts/new/network",
        {"name": "Aunt Jo", "role": "Maternal aunt", "notes": "Can offer respite at weekends"},
    )
    assert network.status_code == 303
    details = client.get(f"/families/{family.id}/details").text
    assert "Sam Harper" in details
    assert "Aunt Jo" in details
    assert client.get(f"/families/{family.id}/contacts/new/friends").status_code == 404


def test_soft_delete_needs_a_reason_and_stays_visible_to_supervisors(
    client: CheckingClient, db: Session, team: Team, family: Family
) -> None:
    adult = make_adult(db, family, name="Added By Mistake")
    url = f"/families/{family.id}/adults/{adult.id}/delete"
    no_reason = post_form(client, url, {"version": adult.version, "reason": ""})
    assert errors(no_reason) == {"#reason": "Enter why you are deleting this record"}
    done = post_form(client, url, {"version": adult.version, "reason": "Duplicate record"})
    assert done.status_code == 303
    assert "Added By Mistake" not in client.get(f"/families/{family.id}/details").text
    stored = db.get(Adult, adult.id)
    assert stored is not None
    assert stored.deleted_reason == "Duplicate record"
    supervisor = make_user(db, roles=[Role.SUPERVISOR], team=team)
    sign_in_as(client, db, supervisor)
    deleted = client.get(f"/families/{family.id}/deleted")
    assert "Added By Mistake" in deleted.text
    assert "Duplicate record" in deleted.text


def test_every_delete_link_on_the_details_page_deletes_its_record(
    client: CheckingClient, db: Session, family: Family
) -> None:
    child = make_child(db, family, name="Amy Harper")
    make_return(db, child)
    make_adult(db, family, name="Sam Harper")
    make_contact(db, family, kind="network")
    make_contact(db, family, kind="professional")
    details = soup(client.get(f"/families/{family.id}/details"))
    links = [a["href"] for a in details.select("a") if a.get_text().startswith("Delete")]
    assert len(links) == 5
    # Last first: an earlier return goes before the child it belongs to.
    for link in reversed(links):
        confirm = client.get(link)
        assert confirm.status_code == 200
        version = soup(confirm).select_one("input[name=version]")["value"]
        done = post_form(client, link, {"version": version, "reason": "Recorded in error"})
        assert done.status_code == 303
        assert client.get(link).status_code == 404
    after = soup(client.get(f"/families/{family.id}/details"))
    assert [a for a in after.select("a") if a.get_text().startswith("Delete")] == []


def test_a_closed_familys_record_offers_no_changes(
    client: CheckingClient, db: Session, practitioner: User, family: Family
) -> None:
    child = make_child(db, family, name="Amy Harper")
    make_adult(db, family, name="Sam Harper")
    make_entry(db, family, author=practitioner)
    family.status = FamilyStatus.CLOSED
    db.flush()
    details = client.get(f"/families/{family.id}/details")
    assert "Amy Harper" in details.text
    assert "its case is closed, so these details are kept as they are" in details.text
    chronology = client.get(f"/families/{family.id}/chronology")
    for page in (details, chronology):
        texts = [a.get_text(strip=True) for a in soup(page).select("main a")]
        assert not [text for text in texts if text.startswith(("Change", "Delete", "Add"))]
    assert client.get(f"/families/{family.id}/children/{child.id}").status_code == 403
    assert client.get(f"/families/{family.id}/children/{child.id}/delete").status_code == 403


def test_supervisor_allocates_and_deletes_a_family(
    client: CheckingClient, db: Session, team: Team, family: Family, practitioner: User
) -> None:
    colleague = make_user(db, roles=[Role.PRACTITIONER], team=team, name="Tom Baker")
    supervisor = make_user(db, roles=[Role.SUPERVISOR], team=team)
    sign_in_as(client, db, supervisor)
    response = post_form(
        client,
        f"/families/{family.id}/allocate",
        {
            "reference": family.reference,
            "display_name": family.display_name,
            "allocated_practitioner_id": str(colleague.id),
            "version": family.version,
        },
    )
    assert response.status_code == 303
    db.refresh(family)
    assert family.allocated_practitioner_id == colleague.id
    outsider = make_user(db, roles=[Role.PRACTITIONER], team=make_team(db))
    refused = post_form(
        client,
        f"/families/{family.id}/allocate",
        {
            "reference": family.reference,
            "display_name": family.display_name,
            "allocated_practitioner_id": str(outsider.id),
            "version": family.version,
        },
    )
    assert errors(refused) == {
        "#allocated_practitioner_id": "Select a practitioner from the family's team"
    }
    deleted = post_form(
        client,
        f"/families/{family.id}/delete",
        {"version": family.version, "reason": "Opened in error"},
    )
    assert deleted.status_code == 303
    assert client.get(f"/families/{family.id}").status_code == 404
    assert family.display_name not in client.get("/families?scope=team").text


def test_crafted_post_for_another_teams_family_changes_nothing(
    client: CheckingClient, db: Session, practitioner: User
) -> None:
    other_team = make_team(db)
    elsewhere = make_family(db, team=other_team, allocated_to=make_user(db, team=other_team))
    response = post_form(client, f"/families/{elsewhere.id}/children/new", child_form())
    assert response.status_code == 404
    assert db.exec(select(Child).where(col(Child.family_id) == elsewhere.id)).all() == []


def test_colleague_can_see_but_not_change_a_family(
    client: CheckingClient, db: Session, team: Team, family: Family
) -> None:
    colleague = make_user(db, roles=[Role.PRACTITIONER], team=team)
    sign_in_as(client, db, colleague)
    assert client.get(f"/families/{family.id}/details").status_code == 200
    refused = post_form(client, f"/families/{family.id}/children/new", child_form())
    assert refused.status_code == 403
    assert "Only the practitioner this family is allocated to" in refused.text


def test_text_is_escaped_on_every_page(client: CheckingClient, db: Session, family: Family) -> None:
    nasty = "<img src=x onerror=alert(1)>"
    post_form(client, f"/families/{family.id}/children/new", child_form(name=nasty))
    for path in (f"/families/{family.id}", f"/families/{family.id}/details"):
        text = client.get(path).text
        assert nasty not in text
        assert "&lt;img src=x onerror=alert(1)&gt;" in text
