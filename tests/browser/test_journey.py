"""The journey after the first decision, in a real browser, over the months it takes: each
step is served as of its date (the test environment's clock header), the long forms answered
through the same services as the demo, and every decision, classification, return, visit and
outcome made on its page by the practitioner or the supervisor. axe checks every new page.

One family goes from a signed-off assessment to closure (the first review sends the goals
back, the second agrees a gradual return; one child goes home and the other four weeks later);
a second ends its plan at the first decision; a third goes home unplanned, and after the case
closes comes back into care.

With UPDATE_SCREENSHOTS=1 the pages are saved as the journey guide's screenshots in
docs/images/."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from app.config import PROJECT_ROOT
from app.db import open_session
from app.demo.journey import Story
from app.models.accounts import Team, User
from app.models.family import Family
from app.timeutil import LONDON, london_today
from tests.browser.conftest import LiveServer, open_context, sign_in
from tests.factories import CONTENT, make_adult, make_child, make_entry, make_family
from tests.support.axe import assert_accessible

IMAGES = PROJECT_ROOT / "docs" / "images"
SHOTS = os.environ.get("UPDATE_SCREENSHOTS") == "1"


def shot(page: Page, name: str, *, whole: bool = False) -> None:
    if SHOTS:
        page.screenshot(path=str(IMAGES / f"journey-{name}.png"), full_page=whole)


class Person:
    """One person's browser, whose requests are all served as of the moment set last."""

    def __init__(self, browser: Browser, server: LiveServer, user: User) -> None:
        self.context = open_context(browser, server.url)
        self.page = self.context.new_page()
        self.user = user
        self.errors: list[str] = []
        self.page.on(
            "console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None
        )
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def at(self, weeks_ago: float) -> None:
        """Move to a day in the story (weeks before today) and sign in again (a session does
        not last weeks)."""
        day = london_today() - timedelta(days=round(weeks_ago * 7))
        moment = datetime.combine(day, time(10, 0), tzinfo=LONDON)
        self.context.set_extra_http_headers({"X-Homeward-Test-Now": moment.isoformat()})
        self.context.clear_cookies()
        sign_in(self.page, self.user)

    def close(self) -> None:
        self.context.close()
        faults = [e for e in self.errors if not re.search(r"status of 40[34]\b", e)]
        assert not faults, f"Browser console errors: {faults}"


@pytest.fixture
def people(
    browser: Browser, live_server: LiveServer, accounts: dict[str, User]
) -> Iterator[tuple[Person, Person]]:
    worker = Person(browser, live_server, accounts["practitioner"])
    manager = Person(browser, live_server, accounts["supervisor"])
    yield worker, manager
    worker.close()
    manager.close()


def new_family(server: LiveServer, accounts: dict[str, User], name: str, children: int) -> Story:
    """A family of the browser team, its assessment answered and classification 1 submitted
    60 weeks ago (through the services)."""
    with open_session(server.engine) as session:
        practitioner = session.get(User, accounts["practitioner"].id)
        supervisor = session.get(User, accounts["supervisor"].id)
        assert practitioner is not None
        assert supervisor is not None
        team = session.get(Team, practitioner.team_id)
        assert team is not None
        family = make_family(session, team=team, allocated_to=practitioner, display_name=name)
        today = london_today()
        family.work_started_on = today - timedelta(weeks=64)
        for number, child in enumerate(("Ann", "Ben")[:children]):
            make_child(
                session,
                family,
                name=f"{child} {name.split()[0]}",
                entered_care=today - timedelta(weeks=90 + number),
            )
        make_adult(session, family, name=f"Cara {name.split()[0]}")
        make_entry(session, family, author=practitioner, occurred_on=today - timedelta(weeks=100))
        session.commit()
        story = Story(
            session=session,
            family=family,
            content=CONTENT.get(family.framework_id, family.framework_version),
            practitioner=practitioner,
            supervisor=supervisor,
        )
        with story.weeks_ago(60):
            story.assess()
            story.classify("classification-before-plan")
        session.commit()
        session.refresh(family)
        return story


def fill_in(
    server: LiveServer, story: Story, weeks_ago: float, *sections: str, **answers: object
) -> None:
    """Answer form sections through the services as of a day in the story."""
    with open_session(server.engine) as session:
        family = session.get(Family, story.family.id)
        assert family is not None
        again = Story(session, family, story.content, story.practitioner, story.supervisor)
        with again.weeks_ago(weeks_ago):
            for section_id in sections:
                again.fill(section_id, dict(answers) or None)
        session.commit()


def fill_date(page: Page, legend: str, weeks_ago: float) -> None:
    day = london_today() - timedelta(days=round(weeks_ago * 7))
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def choose(page: Page, legend: str, option: str) -> None:
    page.get_by_role("group", name=legend).get_by_label(option, exact=True).check()


def sign_off(manager: Person, family: Family, section_id: str, option: str | None = None) -> None:
    page = manager.page
    page.goto(f"/families/{family.id}/classification/{section_id}")
    choose(page, "Do you agree with the practitioner's level?", "Yes, I agree and sign it off")
    if option:
        page.get_by_label(option, exact=True).check()
    page.get_by_label("Your comments and reasons").fill("Agreed: well evidenced.")
    page.get_by_role("button", name="Record my review").click()
    expect(page.get_by_text("Signed off").first).to_be_visible()
    assert_accessible(page)


def classify(worker: Person, family: Family, section_id: str) -> None:
    page = worker.page
    page.goto(f"/families/{family.id}/classification/{section_id}")
    assert_accessible(page)
    page.get_by_role("group", name="What level do you recommend?").get_by_role("radio").last.check()
    page.get_by_label("Your reasons").fill("Discussed with the team.")
    page.get_by_role("button", name="Submit for sign-off").click()
    expect(page.get_by_text("Waiting for a supervisor's sign-off", exact=True)).to_be_visible()


def decide(
    manager: Person,
    family: Family,
    gate_id: str,
    option: str,
    *,
    review_weeks_ago: float | None = None,
    screenshot: str | None = None,
) -> None:
    page = manager.page
    page.goto(f"/families/{family.id}/decisions/{gate_id}")
    assert_accessible(page)
    if screenshot:
        shot(page, screenshot, whole=True)
    form = page.locator("form", has=page.get_by_role("button", name="Record the decision"))
    if review_weeks_ago is not None:
        fill_date(page, "Date of the review meeting", review_weeks_ago)
    form.get_by_label(option, exact=True).check()
    form.get_by_label(re.compile("Reasons for the decision")).fill(f"Decided: {option}.")
    form.get_by_role("button", name="Record the decision").click()
    page.wait_for_url(re.compile(rf"/families/{family.id}(\?|$)"))


def propose(
    worker: Person, family: Family, gate_id: str, option: str, review_weeks_ago: float
) -> None:
    page = worker.page
    page.goto(f"/families/{family.id}/decisions/{gate_id}")
    fill_date(page, "Date of the review meeting", review_weeks_ago)
    form = page.locator("form", has=page.get_by_role("button", name="Send the proposal"))
    form.get_by_label(option, exact=True).check()
    form.get_by_label("Your reasons").fill(f"Proposed: {option}.")
    form.get_by_role("button", name="Send the proposal").click()
    expect(page.get_by_text("Your proposal has been sent")).to_be_visible()
    assert_accessible(page)


def task_status(page: Page, family: Family, title: str) -> str:
    page.goto(f"/families/{family.id}")
    item = page.locator(".govuk-task-list__item", has_text=title).first
    return item.locator(".govuk-task-list__status").inner_text().strip()


def review(
    server: LiveServer,
    story: Story,
    worker: Person,
    manager: Person,
    weeks_ago: float,
    option: str,
    screenshot: str | None = None,
) -> None:
    family = story.family
    fill_in(server, story, weeks_ago + 0.2, "goal-progress", "new-events")
    worker.at(weeks_ago)
    manager.at(weeks_ago)
    classify(worker, family, "classification-before-return")
    sign_off(manager, family, "classification-before-return")
    propose(worker, family, "review-decision", option, weeks_ago)
    decide(
        manager,
        family,
        "review-decision",
        option,
        review_weeks_ago=weeks_ago,
        screenshot=screenshot,
    )


def go_home(
    worker: Person,
    family: Family,
    child: str,
    how: str,
    weeks_ago: float,
    screenshot: bool = False,
) -> None:
    page = worker.page
    page.goto(f"/families/{family.id}/going-home")
    assert_accessible(page)
    choose(page, "Which child went home?", child)
    fill_date(page, "Date they went home", weeks_ago)
    choose(page, "How did the return happen?", how)
    page.get_by_role("group", name="Who did they go home to?").get_by_role("radio").first.check()
    page.get_by_role("group", name="The child's legal status on going home").get_by_role(
        "radio"
    ).first.check()
    page.get_by_role("button", name="Record the return home").click()
    expect(page.get_by_text("The return home has been recorded")).to_be_visible()
    assert_accessible(page)
    if screenshot:
        shot(page, "going-home", whole=True)


def visit(worker: Person, family: Family, children: list[str], weeks_ago: float) -> None:
    page = worker.page
    page.goto(f"/families/{family.id}/visits")
    fill_date(page, "Date of the visit", weeks_ago)
    seen = page.get_by_role("group", name="Which children did you see?")
    alone = page.get_by_role("group", name="Which of them did you see alone?")
    for child in children:
        seen.get_by_label(child, exact=True).check()
    alone.get_by_label(children[0], exact=True).check()
    choose(page, "Is the planned support still in place?", "Yes")
    page.get_by_role("button", name="Record the visit").click()
    expect(page.get_by_text("The visit has been recorded")).to_be_visible()
    assert_accessible(page)
    shot(page, "visits")


def after_return_review(
    server: LiveServer, story: Story, worker: Person, manager: Person, weeks_ago: float, option: str
) -> None:
    family = story.family
    fill_in(server, story, weeks_ago + 0.2, "goal-progress", "new-events", "post-return-review")
    worker.at(weeks_ago)
    manager.at(weeks_ago)
    classify(worker, family, "classification-after-return")
    sign_off(manager, family, "classification-after-return")
    propose(worker, family, "review-after-return", option, weeks_ago)
    decide(manager, family, "review-after-return", option, review_weeks_ago=weeks_ago)


def outcomes(worker: Person, family: Family, children: list[str], choice: str) -> None:
    page = worker.page
    page.goto(f"/families/{family.id}/outcomes")
    assert_accessible(page)
    for child in children:
        choose(page, f"What was the outcome for {child}?", choice)
    shot(page, "outcomes")
    page.get_by_role("button", name="Save and mark as complete").click()
    page.wait_for_url(re.compile(rf"/families/{family.id}$"))


def close_case(
    server: LiveServer, story: Story, worker: Person, manager: Person, weeks_ago: float
) -> None:
    family = story.family
    fill_in(server, story, weeks_ago + 0.2, "closure")
    worker.at(weeks_ago)
    manager.at(weeks_ago)
    page = worker.page
    page.goto(f"/families/{family.id}/decisions/closure-decision")
    form = page.locator("form", has=page.get_by_role("button", name="Send the proposal"))
    form.get_by_label("Yes, close the case", exact=True).check()
    form.get_by_label("Your reasons").fill("Settled; support ending as planned.")
    form.get_by_role("button", name="Send the proposal").click()
    expect(page.get_by_text("Your proposal has been sent")).to_be_visible()
    decide(manager, family, "closure-decision", "Yes, close the case")


def test_a_family_from_a_signed_off_assessment_to_closure(
    live_server: LiveServer, accounts: dict[str, User], people: tuple[Person, Person]
) -> None:
    worker, manager = people
    story = new_family(live_server, accounts, "Lowe family", children=2)
    family = story.family
    ann, ben = "Ann Lowe", "Ben Lowe"

    manager.at(59)
    sign_off(manager, family, "classification-before-plan", "Yes, work towards a return")

    fill_in(live_server, story, 58, "written-agreement", "child-view-of-agreement")
    manager.at(57)
    decide(manager, family, "agreement-sign-off", "Yes, signed off")
    fill_in(live_server, story, 56, "support-plan")
    manager.at(55)
    decide(manager, family, "support-plan-agreed", "Yes, agreed")

    # Review 1 sends the goals back: the agreement is opened again and must be signed again.
    review(live_server, story, worker, manager, 49, "Revise the goals")
    assert task_status(worker.page, family, "Written agreement with each parent") == "In progress"
    assert (
        task_status(worker.page, family, "Sign-off of the written agreement") == "Cannot start yet"
    )
    shot(worker.page, "overview-review")
    fill_in(live_server, story, 48.5, "written-agreement")
    manager.at(48)
    decide(manager, family, "agreement-sign-off", "Yes, signed off")
    decide(manager, family, "support-plan-agreed", "Yes, agreed")

    # Review 2 agrees a gradual return.
    review(
        live_server,
        story,
        worker,
        manager,
        37,
        "Proceed with a return, in planned steps",
        screenshot="decision",
    )
    worker.at(36)
    go_home(worker, family, ann, "Planned, with time at home increased in steps", 36)
    worker.at(32)
    go_home(
        worker, family, ben, "Planned, with time at home increased in steps", 32, screenshot=True
    )
    worker.at(31)
    visit(worker, family, [ann, ben], 31)

    # A review on the after-return cadence, its classification signed off, then closure.
    worker.page.goto(f"/families/{family.id}/reviews")
    assert_accessible(worker.page)
    expect(
        worker.page.get_by_role("heading", name=re.compile("Review 3, after the return"))
    ).to_be_visible()
    shot(worker.page, "reviews")
    # The pack for review 2's meeting, and the trends across the reviews.
    worker.page.get_by_role("link", name="Pack for review 2").click()
    expect(worker.page.get_by_role("heading", name="Review pack: review 2")).to_be_visible()
    assert_accessible(worker.page)
    shot(worker.page, "review-pack", whole=True)
    worker.page.get_by_role("link", name="Trends across the reviews").click()
    expect(worker.page.get_by_role("heading", name="Progress on each goal")).to_be_visible()
    assert_accessible(worker.page)
    shot(worker.page, "trends", whole=True)
    after_return_review(
        live_server, story, worker, manager, 30, "The return is settled; plan to close the case"
    )
    worker.at(29.5)
    outcomes(worker, family, [ann, ben], "Stayed at home")
    close_case(live_server, story, worker, manager, 29)
    worker.at(1)
    worker.page.goto(f"/families/{family.id}")
    expect(worker.page.get_by_text("Case closed").first).to_be_visible()
    assert_accessible(worker.page)
    shot(worker.page, "closed")
    # Read-only now: the sections keep their links to read, but nothing offers a change.
    expect(
        worker.page.get_by_role("link", name="Change the family's name or reference")
    ).to_have_count(0)


def test_a_family_whose_plan_ends_at_the_first_decision(
    live_server: LiveServer, accounts: dict[str, User], people: tuple[Person, Person]
) -> None:
    worker, manager = people
    story = new_family(live_server, accounts, "Moss family", children=1)
    manager.at(59)
    sign_off(
        manager, story.family, "classification-before-plan", "No, pursue another permanence plan"
    )
    worker.at(58)
    worker.page.goto(f"/families/{story.family.id}")
    expect(worker.page.get_by_text("Another route to permanence").first).to_be_visible()
    assert (
        task_status(worker.page, story.family, "Written agreement with each parent")
        == "Cannot start yet"
    )
    worker.page.goto(f"/families/{story.family.id}/decisions/decision-work-towards-return")
    assert_accessible(worker.page)


def test_an_unplanned_return_that_breaks_down_after_closure(
    live_server: LiveServer, accounts: dict[str, User], people: tuple[Person, Person]
) -> None:
    worker, manager = people
    story = new_family(live_server, accounts, "Pike family", children=1)
    family = story.family
    child = "Ann Pike"
    manager.at(59)
    sign_off(manager, family, "classification-before-plan", "Yes, work towards a return")
    fill_in(live_server, story, 58, "written-agreement", "child-view-of-agreement")
    manager.at(57)
    decide(manager, family, "agreement-sign-off", "Yes, signed off")
    fill_in(live_server, story, 56, "support-plan")
    manager.at(55)
    decide(manager, family, "support-plan-agreed", "Yes, agreed")
    review(live_server, story, worker, manager, 49, "Proceed with a return, in planned steps")
    # The child went home earlier than the plan allowed: an unplanned return may be dated
    # before the decision, a planned one may not.
    worker.at(48)
    go_home(worker, family, child, "Unplanned, before the plan allowed", 48)
    worker.at(46)
    visit(worker, family, [child], 46)
    after_return_review(
        live_server, story, worker, manager, 44, "The return is settled; plan to close the case"
    )
    worker.at(43.5)
    outcomes(worker, family, [child], "Stayed at home")
    close_case(live_server, story, worker, manager, 43)

    worker.at(3)
    page = worker.page
    page.goto(f"/families/{family.id}")
    page.get_by_role("link", name="Record a child coming back into care").click()
    assert_accessible(page)
    choose(page, "Which child came back into care?", child)
    fill_date(page, "Date they came back into care", 3)
    page.get_by_label("Why the return broke down").fill("Broke down after a relapse.")
    shot(page, "back-into-care")
    page.get_by_role("button", name="Record it").click()
    page.wait_for_url(re.compile(rf"/families/{family.id}\?back_into_care=1"))
    expect(page.get_by_text("Case closed").first).to_be_visible()
    page.goto(f"/families/{family.id}/going-home")
    expect(page.get_by_text("Broke down after a relapse.")).to_be_visible()
