"""A practitioner completes the whole assessment of a family (with JavaScript on, and the
capacity-to-change section with it off); a supervisor disagrees once and then signs off.
axe checks every kind of assessment page: section, factors, evidence, classification,
sign-off and the framework version page."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from app.db import open_session
from app.models.accounts import Team, User
from app.models.family import Family
from tests.browser.conftest import LiveServer, open_context, sign_in
from tests.factories import make_adult, make_child, make_entry, make_family
from tests.support.assessment import CURRENT
from tests.support.axe import assert_accessible

FACTOR_SECTIONS = [
    section for section in CURRENT.stage("assessment").sections if section.kind == "factors"
]


@pytest.fixture
def family(live_server: LiveServer, accounts: dict[str, User]) -> Family:
    """A family of the browser team allocated to the practitioner, with a chronology."""
    with open_session(live_server.engine) as session:
        practitioner = session.get(User, accounts["practitioner"].id)
        assert practitioner is not None
        team = session.get(Team, practitioner.team_id)
        assert team is not None
        record = make_family(session, team=team, allocated_to=practitioner, identified=True)
        make_child(session, record, name="Amy Browser")
        make_adult(session, record, name="Kim Browser")
        for days, what in (
            (40, "Police called to a row at the flat"),
            (90, "Neighbour heard shouting"),
        ):
            make_entry(
                session,
                record,
                author=practitioner,
                occurred_on=date.today() - timedelta(days=days),
                what=what,
            )
        session.commit()
        session.refresh(record)
        return record


def new_page(
    browser: Browser, live_server: LiveServer, errors: list[str], *, javascript: bool = True
) -> Page:
    """Another person's browser, with axe and console errors collected like the page fixture."""
    context = open_context(browser, live_server.url, javascript=javascript)
    page = context.new_page()
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page


def fill_date(page: Page, legend: str, day: date) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def choose(page: Page, legend: str, option: str) -> None:
    page.get_by_role("group", name=legend).get_by_label(option, exact=True).check()


def open_task(page: Page, family: Family, title: str, section_id: str | None = None) -> None:
    """Follow the task list's link (by address when given)."""
    page.goto(f"/families/{family.id}")
    if section_id:
        page.locator(f'.govuk-task-list a[href$="/{section_id}"]').click()
    else:
        page.get_by_role("link", name=title, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def mark_complete(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Mark as complete").click()
    problems = page.locator(".govuk-error-summary")
    assert problems.count() == 0, problems.inner_text()
    # The next task opens, saying this one is complete.
    expect(page.locator(".govuk-notification-banner")).to_contain_text("is marked as complete")


def identification(page: Page, family: Family) -> None:
    open_task(page, family, "Identification")
    assert_accessible(page)
    page.get_by_label("Why is a return home being considered now?").fill(
        "Kim has asked for Amy to come home after eight months of treatment."
    )
    choose(
        page,
        "How did the possibility of a return come about?",
        "A parent asked for the child to come home",
    )
    follow_up = page.get_by_label("What is the risk, and how will it be managed?")
    expect(follow_up).to_have_count(0)
    choose(page, "Is there a risk the child goes home before the assessment is finished?", "Yes")
    # htmx saved the draft and swapped in the follow-up question.
    expect(follow_up).to_be_visible()
    expect(page.locator("#autosave-status")).to_contain_text("Draft saved")
    follow_up.fill("Amy says she will go home anyway; her carers will call straight away.")
    choose(
        page, "Who would the child return to?", "The parent or parents they lived with before care"
    )
    fill_date(page, "Date the manager agreed to start a return-home assessment", date.today())
    # Staff are picked from the team, not typed.
    page.get_by_label("Name and role of the manager who agreed").select_option(
        "Sue Supervisor, team manager"
    )
    page.get_by_label("Who will write the analytical chronology?").select_option(
        "Pat Practitioner, social worker"
    )
    mark_complete(page)


def factors(page: Page, family: Family) -> None:
    """Marking a domain complete opens the next one still to rate, until the last."""
    titles = CURRENT.section_titles
    open_task(page, family, titles[FACTOR_SECTIONS[0].id], FACTOR_SECTIONS[0].id)
    for number, section in enumerate(FACTOR_SECTIONS):
        expect(page.get_by_role("heading", level=1)).to_have_text(titles[section.id])
        if number:
            expect(page.locator(".govuk-notification-banner")).to_contain_text(
                f"‘{titles[FACTOR_SECTIONS[number - 1].id]}’ is marked as complete"
            )
        if section.id == "factors-substance-misuse":
            assert_accessible(page)
        for factor in page.locator(".hw-factor").all():
            factor.get_by_label("Not present", exact=True).check()
        if section.id == "factors-domestic-abuse":
            factor = page.locator("#factor-da-r1")
            factor.get_by_label("Present", exact=True).check()
            evidence = page.locator("#evidence-of-da-r1")
            expect(evidence).to_contain_text("Marked present with no evidence")
            # Rated present, the factor's picker opens in place by itself; ticking an entry
            # links it with the autosave.
            expect(
                factor.locator("details", has=page.locator("summary", has_text="Link evidence"))
            ).to_have_attribute("open", "")
            factor.get_by_label(re.compile("Police called to a row")).check()
            expect(evidence).to_contain_text("Police called to a row at the flat")
            expect(evidence).not_to_contain_text("no evidence linked")
            # The whole search and other evidence are a page away; the ratings are saved first.
            factor.get_by_role("button", name=re.compile("^Search all entries")).click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Evidence for a factor")
            page.get_by_label("Search this family's chronology").fill("police")
            expect(page.locator("#results")).to_contain_text("1 entry matches")
            assert_accessible(page)
            page.get_by_role("link", name=f"Back to {section.title}").click()
            expect(
                page.locator("#factor-da-r1").get_by_label("Present", exact=True)
            ).to_be_checked()
        if number + 1 < len(FACTOR_SECTIONS):
            with page.expect_navigation():
                page.get_by_role("button", name="Mark as complete").click()
        else:
            mark_complete(page)


def making_changes(page: Page, area: str) -> None:
    """Answer a parent's capacity to change: partly accepts the concerns; in `area`, prefilled
    from the factors, making changes that others have seen."""
    choose(page, "How far does this parent accept the concerns that led to care?", "Partly")
    expect(
        page.get_by_role("group", name="Problem area").get_by_label(area, exact=True)
    ).to_be_checked()
    choose(page, "Readiness to change in this area", "Making changes")
    choose(page, "Is the parent engaging with the services offered for this problem?", "Yes")
    choose(
        page,
        "What does the evidence show?",
        "Behaviour has changed, and others have seen and checked it",
    )


def capacity_without_javascript(page: Page, user: User, family: Family) -> None:
    sign_in(page, user)
    open_task(page, family, "Parents' capacity to change")
    # The domain rated present (domestic abuse) is already there as the parent's problem area.
    expect(page.get_by_role("button", name="Add a problem area")).to_be_visible()
    making_changes(page, "Domestic abuse")
    page.get_by_label("Summary of this parent's capacity to change").fill("Early but real change.")
    page.get_by_role("button", name="Mark as complete").click()
    # Without JavaScript the follow-up questions appear when the page comes back.
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text("What has changed, and who has seen it?")
    expect(summary).to_contain_text("When did this change begin?")
    page.get_by_label("What has changed, and who has seen it?").fill(
        "No incidents since the programme; police confirm."
    )
    fill_date(page, "When did this change begin?", date.today() - timedelta(days=122))
    page.get_by_role("button", name="Mark as complete").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "‘Parents' capacity to change’ is marked as complete"
    )
    page.context.close()


def wishes_and_views(page: Page, family: Family) -> None:
    open_task(page, family, "The child's wishes and feelings", "wishes-and-feelings")
    choose(page, "Has the child been seen alone?", "Yes")
    fill_date(page, "When were they last seen alone?", date.today() - timedelta(days=3))
    choose(page, "Has the child named a trusted adult they can go to if they are worried?", "No")
    choose(page, "What does the child want?", "Mixed feelings or not sure")
    page.get_by_label("The child's views in their own words").fill(
        "I miss Mum but I like it here too."
    )
    mark_complete(page)
    open_task(page, family, "Views of parents, carers and professionals")
    choose(page, "Does this parent want the child to come home?", "Yes, clearly")
    page.get_by_label("What does this parent think about the return and about the concerns?").fill(
        "Wants Amy home and accepts the abuse harmed her."
    )
    mark_complete(page)


def test_practitioner_assesses_and_supervisor_signs_off(
    page: Page,
    browser: Browser,
    live_server: LiveServer,
    accounts: dict[str, User],
    family: Family,
) -> None:
    practitioner, supervisor = accounts["practitioner"], accounts["supervisor"]
    errors: list[str] = []
    sign_in(page, practitioner)
    identification(page, family)
    factors(page, family)
    no_script = new_page(browser, live_server, errors, javascript=False)
    capacity_without_javascript(no_script, practitioner, family)
    wishes_and_views(page, family)

    page.goto(f"/families/{family.id}")
    page.locator('.govuk-task-list a[href$="/chronology"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chronology")
    page.get_by_role("button", name="Mark the chronology as complete").click()
    open_task(page, family, "Risk classification 1")
    expect(page.get_by_role("heading", name="Suggested level")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Domestic abuse continuing")
    expect(page.locator("main")).to_contain_text("Police called to a row at the flat")
    assert_accessible(page)
    choose(page, "What level do you recommend?", "Medium")
    page.get_by_role("button", name="Submit for sign-off").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why your level differs")
    page.get_by_label("Your reasons").fill(
        "The abuse was before Kim's programme; the police have had no calls since."
    )
    page.get_by_role("button", name="Submit for sign-off").click()
    expect(page.locator("main")).to_contain_text("Waiting for a supervisor's sign-off")

    review = new_page(browser, live_server, errors)
    sign_in(review, supervisor)
    review.goto(f"/families/{family.id}/classification/classification-before-plan")
    assert_accessible(review)
    # Each answer reveals its own follow-up question (GOV.UK conditional reveal).
    level_question = review.get_by_role("group", name="What level do you think is right?")
    expect(level_question).to_be_hidden()
    choose(
        review,
        "Do you agree with the practitioner's level?",
        "No, send it back to the practitioner",
    )
    expect(level_question).to_be_visible()
    choose(review, "What level do you think is right?", "High")
    review.get_by_label("Your comments and reasons").fill(
        "Two incidents this year: the level is high."
    )
    review.get_by_role("button", name="Record my review").click()
    expect(review.locator("main")).to_contain_text("Sent back by the supervisor")

    page.reload()
    choose(page, "What level do you recommend?", "High")
    page.get_by_role("button", name="Submit for sign-off").click()
    expect(page.locator("main")).to_contain_text("Waiting for a supervisor's sign-off")

    review.reload()
    choose(review, "Do you agree with the practitioner's level?", "Yes, I agree and sign it off")
    choose(
        review,
        "Should the council work towards the child returning home?",
        "Not yet, extend the assessment",
    )
    review.get_by_label("Your comments and reasons").fill(
        "Gather three more months of evidence first."
    )
    review.get_by_role("button", name="Record my review").click()
    expect(review.locator("main")).to_contain_text("Signed off")
    assert_accessible(review)

    review.goto(f"/families/{family.id}")
    expect(review.locator("main")).to_contain_text("Not yet, extend the assessment")
    review.goto(f"/families/{family.id}/sections/identification")
    expect(review.locator("main")).to_contain_text("Signed-off revisions")
    assert_accessible(review)
    review.goto(f"/families/{family.id}/version")
    expect(review.locator("main")).to_contain_text("This is the newest published version")
    assert_accessible(review)
    review.context.close()
    assert errors == []
