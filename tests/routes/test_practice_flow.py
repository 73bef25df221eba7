"""A practitioner's day with less typing and fewer pages (#23): tasks that cannot start yet
refuse work through pages, imports and the API with the reason; "Mark as complete" opens the
next task; people are added one after another; the caseload's next action opens its task; forms
start from what the record holds (problem areas, professionals) and staff are picked, not typed."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, col, select

from app.demo.journey import Story
from app.models.accounts import Role, Team, User
from app.models.assessment import AssessmentAnswer
from app.models.chronology import ChronologyEntry
from app.models.family import Family, FamilyContact
from app.services import chronology, progress
from app.services.errors import Conflict
from tests.factories import (
    CONTENT,
    make_adult,
    make_child,
    make_family,
    make_team,
    make_user,
    post_form,
    sign_in_as,
)
from tests.support.api import Api, service_account
from tests.support.assessment import actor, save
from tests.support.client import CheckingClient, soup

CSV = "date,source,what_happened,significance\n2025-03-27,Police,Police called,Red\n"
ENTRY = {
    "occurred_on-day": "27",
    "occurred_on-month": "3",
    "occurred_on-year": "2025",
    "date_precision": "day",
    "source_id": "police",
    "what_happened": "Police called after a neighbour heard shouting",
    "significance": "red",
}
HTMX = {"HX-Request": "true"}
WAITS = "‘Analytical chronology’ cannot be added to yet: it waits for ‘Identification’."


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
    family = make_family(db, team=team, allocated_to=practitioner, display_name="Harper family")
    make_child(db, family, name="Amy Harper")
    make_adult(db, family, name="Kim Harper")
    make_adult(db, family, name="Lee Harper")
    return family


def entries(db: Session, family: Family) -> int:
    return len(
        db.exec(select(ChronologyEntry).where(col(ChronologyEntry.family_id) == family.id)).all()
    )


def identify(db: Session, user: User, family: Family) -> None:
    from app.demo.assessment import fill_section

    fill_section(db, actor(user), family, CURRENT, "identification", complete=True)
    db.commit()


CURRENT = CONTENT.latest("reunification")


def test_the_chronology_waits_for_identification_on_pages_imports_and_the_api(
    client: CheckingClient, db: Session, team: Team, family: Family, practitioner: User
) -> None:
    base = f"/families/{family.id}/chronology"
    page = soup(client.get(base))
    assert WAITS in page.select_one(".govuk-warning-text").get_text(" ", strip=True)
    assert page.select_one("#add-entry") is None
    assert page.find("a", string="Import entries from a spreadsheet") is None

    refused = post_form(client, f"{base}/new", ENTRY)
    assert refused.status_code == 409
    assert WAITS in soup(refused).get_text(" ", strip=True)
    assert client.get(f"{base}/new").status_code == 409
    upload = soup(client.get(f"{base}/import"))
    assert WAITS in upload.get_text(" ", strip=True)
    assert upload.select_one('input[type="file"]') is None
    sent = post_form(
        client, f"{base}/import", files={"file": ("entries.csv", CSV.encode(), "text/csv")}
    )
    assert sent.status_code == 409

    # The API answers with the same reason, as JSON.
    worker, token = service_account(db, role=Role.PRACTITIONER, team=team)
    family.allocated_practitioner_id = worker.id
    db.add(family)
    db.commit()
    api = Api(client, token)
    body = {
        "occurred_on": "2025-03-27",
        "date_precision": "day",
        "source_id": "police",
        "what_happened": "Police called",
        "significance": "red",
    }
    answer = api.call("POST", f"/families/{family.id}/chronology", body)
    assert answer.status_code == 409
    assert WAITS in answer.text
    assert answer.headers["content-type"].startswith("application/json")
    # The service refuses on its own too (imports of any kind add through it).
    with pytest.raises(Conflict, match="waits for ‘Identification’"):
        chronology.check_can_add(db, family, CURRENT)
    assert entries(db, family) == 0

    # Once identification is complete, entries are added.
    identify(db, worker, family)
    assert api.call("POST", f"/families/{family.id}/chronology", body).status_code == 201
    family.allocated_practitioner_id = practitioner.id
    db.add(family)
    db.commit()
    sign_in_as(client, db, practitioner)
    assert post_form(client, f"{base}/new", ENTRY).status_code == 303
    assert entries(db, family) == 2
    assert soup(client.get(base)).select_one(".govuk-warning-text") is None


def test_a_form_that_cannot_start_yet_is_not_completed_on_the_page_or_in_the_api(
    client: CheckingClient, story: Story
) -> None:
    """The written agreement waits for the decision, which waits for the classification's
    sign-off (closure waiting for the classification after the return is checked in
    tests/services/test_journey.py)."""
    db = story.session
    with story.weeks_ago(2):
        story.assess()
        story.classify("classification-before-plan")
    db.commit()
    title = CURRENT.section_titles["written-agreement"]

    sign_in_as(client, db, story.practitioner)
    url = f"/families/{story.family.id}/sections/written-agreement"
    warning = soup(client.get(url)).select_one(".govuk-warning-text").get_text(" ", strip=True)
    assert f"‘{title}’ cannot be marked as complete yet" in warning
    posted = post_form(client, url, {"version": "0", "review": "0", "action": "complete"})
    assert posted.status_code == 200
    summary = soup(posted).select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert "First: ‘Risk classification 1’ needs a supervisor's sign-off" in summary
    assert "written-agreement" not in progress.section_statuses(db, story.family.id, 0)

    # The API refuses in the same words, as JSON.
    worker, token = service_account(
        db, role=Role.PRACTITIONER, team=db.get(Team, story.family.team_id)
    )
    story.family.allocated_practitioner_id = worker.id
    db.add(story.family)
    db.commit()
    body = {"version": 0, "answers": {}, "complete": True}
    api = Api(client, token)
    answer = api.call("PUT", f"/families/{story.family.id}/sections/written-agreement", body)
    assert answer.status_code == 409
    assert "needs a supervisor's sign-off" in answer.json()["message"]


def test_mark_as_complete_opens_the_next_task(
    client: CheckingClient, db: Session, family: Family, practitioner: User
) -> None:
    identification = f"/families/{family.id}/sections/identification"
    form = {
        "version": "0",
        "review": "0",
        "action": "complete",
        "a.return-considered-reason": "Kim asked for Amy to come home.",
        "a.identification-route": "parent-request",
        "a.unplanned-return-risk": "no",
        "a.return-to": "same-parent",
        "a.assessment-agreed-date-day": "1",
        "a.assessment-agreed-date-month": "3",
        "a.assessment-agreed-date-year": "2026",
        "a.assessment-agreed-by": "Sue Sutton, team manager",
        "a.chronology-author": "Priya Shah, social worker",
    }
    done = post_form(client, identification, form)
    assert done.status_code == 303, soup(done).select_one(".govuk-error-summary")
    assert done.headers["location"] == (
        f"/families/{family.id}/chronology?completed=identification"
    )
    opened = soup(client.get(done.headers["location"]))
    banner = opened.select_one(".govuk-notification-banner")
    assert "‘Identification’ is marked as complete" in banner.text
    assert "This is the next task" in banner.text
    # The chronology is empty, so its first entry's form is already open.
    assert opened.select_one("#add-entry-heading") is not None

    # "Save and add another" keeps an empty form open (htmx), or opens the form's page.
    base = f"/families/{family.id}/chronology"
    again = post_form(client, f"{base}/new", {**ENTRY, "then": "another"}, headers=HTMX)
    workspace = soup(again)
    assert "Entry added" in workspace.select_one(".govuk-notification-banner").text
    assert workspace.select_one("#add-entry-heading") is not None
    assert workspace.select_one('textarea[name="what_happened"]').get_text() == ""
    plain = post_form(client, f"{base}/new", {**ENTRY, "then": "another"})
    assert plain.headers["location"] == f"{base}/new"
    assert entries(db, family) == 2
    completed = post_form(client, f"/families/{family.id}/sections/chronology/complete")
    first_domain = next(s for s in CURRENT.stage("assessment").sections if s.kind == "factors")
    assert completed.headers["location"] == (
        f"/families/{family.id}/sections/{first_domain.id}?completed=chronology"
    )


def test_people_are_added_one_after_another_and_details_lead_to_the_next_task(
    client: CheckingClient, db: Session, team: Team, practitioner: User
) -> None:
    details = {
        "reference": "WLK-1",
        # Left empty: the family is named after its first child, so the surname is typed once.
        "display_name": "",
        "allocated_practitioner_id": str(practitioner.id),
    }
    started = post_form(client, "/families/new", details)
    family = db.exec(select(Family).where(col(Family.reference) == "WLK-1")).one()
    assert family.display_name == "WLK-1"
    base = f"/families/{family.id}"
    # A new family's first need is its child: its form opens straight away.
    assert started.headers["location"] == f"{base}/children/new"
    child_form = soup(client.get(f"{base}/children/new"))
    buttons = [button.get_text(" ", strip=True) for button in child_form.select("button")]
    assert "Save and add a parent or carer" in buttons
    child = post_form(
        client,
        f"{base}/children/new",
        {
            "name": "Amy Walker",
            "date_of_birth-day": "9",
            "date_of_birth-month": "4",
            "date_of_birth-year": "2015",
            "gender": "girl",
            "legal_status": "interim-care-order",
            "date_entered_care-day": "1",
            "date_entered_care-month": "2",
            "date_entered_care-year": "2026",
            "entry_reason": "neglect",
            "placement_type": "foster-care",
            "placement_moves": "1",
            "then": "adult",
        },
    )
    assert child.status_code == 303, soup(child).select_one(".govuk-error-summary")
    assert child.headers["location"] == f"{base}/adults/new"
    db.refresh(family)
    assert family.display_name == "Walker family"
    adult_form = soup(client.get(f"{base}/adults/new"))
    buttons = [button.get_text(" ", strip=True) for button in adult_form.select("button")]
    assert "Save and add another parent or carer" in buttons
    adult = {
        "name": "Kim Walker",
        "relationship": "mother",
        "parental_responsibility": "yes",
        "lives_in_household": "yes",
    }
    saved = post_form(client, f"{base}/adults/new", adult)
    assert saved.headers["location"] == f"{base}/details"
    details = soup(client.get(f"{base}/details"))
    go_on = details.find("a", class_="govuk-button", href=f"{base}/sections/identification")
    assert go_on is not None
    assert "Continue" in go_on.text


def test_the_caseload_next_action_opens_the_task_awaiting_sign_off(
    client: CheckingClient, story: Story
) -> None:
    with story.weeks_ago(2):
        story.assess()
        story.classify("classification-before-plan")
    story.session.commit()
    sign_in_as(client, story.session, story.supervisor)
    caseload = soup(client.get("/families?scope=team"))
    link = caseload.find("a", href=f"/families/{story.family.id}/next")
    assert link is not None
    assert link.get_text(" ", strip=True).startswith("Sign off:")
    opened = client.get(f"/families/{story.family.id}/next")
    assert opened.status_code == 303
    assert opened.headers["location"] == (
        f"/families/{story.family.id}/classification/classification-before-plan"
    )


def test_problem_areas_start_from_the_domains_rated_and_staff_are_picked(
    client: CheckingClient, db: Session, team: Team, practitioner: User
) -> None:
    family = make_family(db, team=team, allocated_to=practitioner, identified=True)
    kim, lee = make_adult(db, family, name="Kim Harper"), make_adult(db, family, name="Lee Harper")
    manager = make_user(db, roles=[Role.SUPERVISOR], team=team, name="Sue Sutton")
    make_user(db, roles=[Role.SUPERVISOR], team=make_team(db), name="Elsewhere Person")
    domain = CURRENT.domain("domestic-abuse")
    ratings = {f"f.{factor.id}.status": "absent" for factor in domain.risk_factors}
    ratings[f"f.{domain.risk_factors[0].id}.status"] = "present"
    save(db, practitioner, family, "factors-domestic-abuse", ratings)
    db.add(
        FamilyContact(
            family_id=family.id,
            kind="professional",
            name="Tessa Hall",
            role="Family support worker",
            organisation="Riverside Family Hub",
        )
    )
    db.commit()

    page = soup(client.get(f"/families/{family.id}/sections/capacity-to-change"))
    note = page.find(string=lambda text: text and "Problem areas for each parent" in text)
    assert note is not None
    assert domain.title in note
    chosen = page.select('input[type="radio"][value="domestic-abuse"][checked]')
    assert len(chosen) == 2  # one problem area for each parent
    # Saving the page as it came keeps the prefilled areas.
    form: dict[str, list[str]] = {"action": ["save"]}
    for field in page.select("#section-form input"):
        name = field.get("name")
        if not name or field.get("type") == "submit":
            continue
        if field.get("type") in ("radio", "checkbox") and not field.has_attr("checked"):
            continue
        form.setdefault(str(name), []).append(str(field.get("value", "")))
    assert post_form(client, f"/families/{family.id}/sections/capacity-to-change", form)
    areas = db.exec(
        select(AssessmentAnswer).where(
            col(AssessmentAnswer.family_id) == family.id,
            col(AssessmentAnswer.question_id) == "problem-area",
        )
    ).all()
    # One for each parent, each in its own parent's part of the form.
    assert sorted(row.value_choice for row in areas) == ["domestic-abuse", "domestic-abuse"]
    assert {
        key for row in areas for key in (str(kim.id), str(lee.id)) if key in row.answer_key
    } == {
        str(kim.id),
        str(lee.id),
    }

    # The professionals in family details start the views page.
    views = soup(client.get(f"/families/{family.id}/sections/views"))
    names = [field.get("value") for field in views.select('input[name$=".professional-name"]')]
    assert names == ["Tessa Hall"]
    roles = [field.get("value") for field in views.select('input[name$=".professional-role"]')]
    assert roles == ["Family support worker, Riverside Family Hub"]

    # Staff are picked from the family's team.
    identification = soup(client.get(f"/families/{family.id}/sections/identification"))
    agreed_by = identification.select_one('select[name="a.assessment-agreed-by"]')
    options = [option.get_text(strip=True) for option in agreed_by.select("option")]
    assert f"{manager.name}, team manager" in options
    assert "Elsewhere Person, team manager" not in options
    author = identification.select_one('select[name="a.chronology-author"]')
    assert "Priya Shah, social worker" in [o.get_text(strip=True) for o in author.select("option")]


def test_the_audit_trail_speaks_of_forms_questions_and_statuses_not_ids(
    client: CheckingClient, db: Session, team: Team, family: Family, practitioner: User
) -> None:
    url = f"/families/{family.id}/sections/identification"
    draft = {"a.return-considered-reason": "Kim asked.", "version": "0", "review": "0"}
    assert post_form(client, url, {**draft, "action": "save"}).status_code == 303
    supervisor = make_user(db, roles=[Role.SUPERVISOR], team=team)
    admin = make_user(db, roles=[Role.ADMIN])
    db.commit()
    ids = (str(family.id), str(practitioner.id), "/families/", "assessment_section", "_")

    sign_in_as(client, db, supervisor)
    log = soup(client.get(f"/families/{family.id}/access-log")).select(".hw-audit-table tbody tr")
    saved = next(row for row in log if "Assessment form" in row.get_text())
    text = saved.get_text(" ", strip=True)
    assert "Identification" in text
    assert "changed: Why is a return home being considered now?" in text
    status = next(row for row in log if "Task status" in row.get_text())
    assert "status: Not started → In progress" in status.get_text(" ", strip=True)
    for row in log:
        for word in ids:
            assert word not in row.get_text(" ", strip=True), (word, row.get_text(" ", strip=True))

    # Administrators see which form, never what was typed; and filter by the words shown.
    sign_in_as(client, db, admin)
    trail = client.get(
        "/admin/audit", params={"family": family.reference, "entity_type": "Assessment form"}
    )
    (row,) = soup(trail).select(".hw-audit-table tbody tr")
    text = row.get_text(" ", strip=True)
    assert "Assessment form Identification" in text
    assert "Fields: changed, revision" in text
    assert str(family.id) not in text


def test_entries_ticked_on_the_chronology_are_linked_to_a_factor(
    client: CheckingClient, db: Session, team: Team, practitioner: User
) -> None:
    from app.models.assessment import FactorEvidence
    from tests.support.assessment import make_entry

    family = make_family(db, team=team, allocated_to=practitioner, identified=True)
    first = make_entry(db, family, practitioner, what="Police called to a row")
    second = make_entry(db, family, practitioner, what="Second police call-out")
    other = make_entry(db, make_family(db, team=team, identified=True), practitioner)
    db.commit()
    base = f"/families/{family.id}/chronology"
    page = soup(client.get(base))
    ticks = page.select('input[name="entries"][form="link-evidence"]')
    assert {tick["value"] for tick in ticks} == {str(first.id), str(second.id)}
    factor = CURRENT.domain("domestic-abuse").risk_factors[0]
    assert page.select_one(f'#link-factor option[value="{factor.id}"]').text == factor.text

    # Nothing ticked and no factor: both said, nothing linked.
    refused = post_form(client, f"{base}/evidence", {})
    summary = soup(refused).select_one(".govuk-error-summary").get_text(" ", strip=True)
    assert "Choose the factor the ticked entries show" in summary
    assert "Tick at least one entry in the table to link" in summary
    # Another family's entry is refused, keeping what was ticked.
    mixed = post_form(
        client, f"{base}/evidence", {"entries": [str(first.id), str(other.id)], "factor": factor.id}
    )
    assert "another family's record" in soup(mixed).select_one(".govuk-error-summary").text
    assert soup(mixed).select_one(f"#pick-{first.id}").has_attr("checked")
    assert db.exec(select(FactorEvidence)).all() == []

    linked = post_form(
        client,
        f"{base}/evidence",
        {"entries": [str(first.id), str(second.id)], "factor": factor.id},
    )
    assert linked.status_code == 303
    banner = soup(client.get(linked.headers["location"])).select_one(".govuk-notification-banner")
    assert f"2 entries linked as evidence of ‘{factor.text}’" in banner.get_text(" ", strip=True)
    rows = db.exec(select(FactorEvidence).where(col(FactorEvidence.family_id) == family.id)).all()
    assert {(row.factor_id, row.chronology_entry_id) for row in rows} == {
        (factor.id, first.id),
        (factor.id, second.id),
    }
    # The banner is built from the content's words: an address naming no factor shows none.
    forged = soup(client.get(f"{base}?linked=5&factor=<b>x</b>"))
    assert forged.select_one(".govuk-notification-banner") is None


def test_the_chronology_offers_what_the_childrens_records_hold(
    client: CheckingClient, db: Session, team: Team, practitioner: User
) -> None:
    from app.models.chronology import ChronologyEntryChild
    from tests.factories import make_episode, make_return

    family = make_family(db, team=team, allocated_to=practitioner, identified=True)
    amy = make_child(db, family, name="Amy Harper", entered_care=date(2025, 9, 1))
    make_episode(db, amy, started_on=date(2021, 1, 1), ended_on=date(2022, 3, 1))
    make_return(db, amy, returned_on=date(2022, 3, 1))
    db.commit()
    base = f"/families/{family.id}/chronology"
    offered = soup(client.get(base)).select("form.hw-record-entry")
    assert [form.select_one("p").get_text(" ", strip=True) for form in offered] == [
        "1 January 2021 : Amy Harper came into care (Accommodated by agreement (section 20)).",
        "1 March 2022 : Amy Harper went home (a planned return).",
        "1 September 2022 : Amy Harper's return home broke down: Not known.",
        "1 September 2025 : Amy Harper came into care (Interim care order (section 38)). "
        "Main reason: Neglect.",
    ]
    care = offered[-1].select_one('input[name="record"]')["value"]

    # The significance is the practitioner's to choose: asked for, nothing added.
    refused = post_form(client, f"{base}/from-record", {"record": care}, headers=HTMX)
    assert "Select how significant the event is" in soup(refused).select_one(
        ".govuk-error-summary"
    ).get_text(" ", strip=True)
    assert entries(db, family) == 0

    added = post_form(
        client,
        f"{base}/from-record",
        {"record": care, "significance": "red", "then": "another"},
        headers=HTMX,
    )
    page = soup(added)
    assert "Entry added" in page.select_one(".govuk-notification-banner").get_text()
    assert page.select_one("#add-entry-heading") is not None  # the next entry's form stays open
    entry = db.exec(
        select(ChronologyEntry).where(col(ChronologyEntry.family_id) == family.id)
    ).one()
    assert (entry.occurred_on, entry.source_id, entry.significance) == (
        date(2025, 9, 1),
        "case-file",
        "red",
    )
    assert db.exec(select(ChronologyEntryChild.child_id)).all() == [amy.id]
    # Told once: the event is no longer offered, and offering it again is refused.
    assert len(soup(client.get(base)).select("form.hw-record-entry")) == 3
    again = post_form(client, f"{base}/from-record", {"record": care, "significance": "red"})
    assert "in the chronology already" in soup(again).select_one(".govuk-error-summary").text
    assert entries(db, family) == 1


def test_a_parents_change_and_the_managers_agreement_start_from_the_record(
    client: CheckingClient, db: Session, team: Team, practitioner: User
) -> None:
    from tests.support.assessment import make_entry

    family = make_family(db, team=team, allocated_to=practitioner)
    make_child(db, family, name="Amy Harper", entered_care=date(2025, 9, 1))
    kim = make_adult(db, family, name="Kim Harper")
    # The day the manager agreed starts as the day work started, saying so.
    page = soup(client.get(f"/families/{family.id}/sections/identification"))
    assert page.select_one('input[name="a.assessment-agreed-date-day"]')["value"] == str(
        family.work_started_on.day
    )
    assert "Prefilled with the day work with the family started" in page.text
    identify(db, practitioner, family)
    make_entry(
        db,
        family,
        practitioner,
        what="Kim began the Freedom programme",
        on=date(2025, 10, 6),
        significance="green",
        themes=(),
    )
    make_entry(db, family, practitioner, what="Kim injured in a row", significance="red")
    make_entry(
        db,
        family,
        practitioner,
        what="Kim kept to her safety plan",
        on=date(2025, 11, 3),
        significance="green",
        themes=("safety-plan-kept",),
    )
    make_entry(
        db,
        family,
        practitioner,
        what="Kim tested clear of drugs",
        on=date(2025, 12, 1),
        significance="green",
        themes=("abstinence-confirmed",),
    )
    domain = CURRENT.domain("domestic-abuse")
    ratings = {f"f.{factor.id}.status": "absent" for factor in domain.risk_factors}
    ratings[f"f.{domain.risk_factors[0].id}.status"] = "present"
    save(db, practitioner, family, "factors-domestic-abuse", ratings)
    db.commit()

    url = f"/families/{family.id}/sections/capacity-to-change"
    page = soup(client.get(url))
    form: dict[str, list[str]] = {}
    for field in page.select("#section-form input"):
        name = field.get("name")
        if not name or field.get("type") == "submit":
            continue
        if field.get("type") in ("radio", "checkbox") and not field.has_attr("checked"):
            continue
        form.setdefault(str(name), []).append(str(field.get("value", "")))
    area = next(name for name in form if name.endswith(".problem-area"))
    evidence = area.removesuffix("problem-area") + "change-evidence"
    assert str(kim.id) in evidence
    form[evidence] = ["behaviour-changed"]
    # Saying the behaviour has changed shows what changed and since when, from the chronology:
    # Kim's positive entries since care about domestic abuse (not her drug test).
    shown = soup(post_form(client, f"{url}/autosave", form, headers=HTMX))
    detail = shown.select_one('textarea[name$=".behaviour-change-detail"]')
    assert detail.get_text() == (
        "6 October 2025, Police: Kim began the Freedom programme\n"
        "3 November 2025, Police: Kim kept to her safety plan"
    )
    since = shown.select_one('input[name$=".change-since-day"]')
    assert (since["value"], shown.select_one('input[name$=".change-since-month"]')["value"]) == (
        "6",
        "10",
    )
    hints = shown.get_text(" ", strip=True)
    assert "Prefilled from the chronology: 2 positive entries naming Kim" in hints
    assert "the first positive entry naming Kim, 6 October 2025" in hints
