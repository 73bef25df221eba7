"""A practitioner's day, measured: a new family (one child, two adults, seven chronology
entries) taken from creation to a signed-off first risk classification, as a practitioner and a
supervisor would, by clicking (never by typing addresses). The page counts what the people did:
page loads, clicks (links, buttons and disclosures), typed fields (a date's three boxes count
once) and choices (radios, checkboxes, selects). axe checks every page the walk loads.

With UPDATE_SCREENSHOTS=1 (as the guides' screenshots are updated) the counts are written to
docs/practice-time.md."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import Browser, Page, expect

from app.config import PROJECT_ROOT
from app.models.accounts import User
from tests.browser.conftest import LiveServer, open_context, sign_in
from tests.browser.test_assessment import FACTOR_SECTIONS
from tests.factories import DEFAULT_PASSWORD
from tests.support.assessment import CURRENT
from tests.support.axe import assert_accessible, wait_until_ready

# What the people do, counted by the page itself: kept in sessionStorage so that it survives
# each page load of the tab. Added outside the page's Content Security Policy, as axe is.
COUNTER = """
(() => {
  const key = "hw-walk";
  const bump = (name, value) => {
    const counts = JSON.parse(
      sessionStorage.getItem(key) || '{"clicks":0,"typed":0,"choices":0,"values":[]}'
    );
    counts[name] += 1;
    if (value !== undefined) counts.values.push(value);
    sessionStorage.setItem(key, JSON.stringify(counts));
  };
  document.addEventListener("click", (event) => {
    if (event.isTrusted && event.target.closest("a[href], button, summary")) bump("clicks");
  }, true);
  document.addEventListener("change", (event) => {
    const field = event.target;
    if (field.matches('input[type="radio"], input[type="checkbox"], select')) bump("choices");
    else if (field.matches('[name$="-month"], [name$="-year"]')) return;
    else if (field.matches('[name$="-day"]')) bump("typed");
    else if (field.matches("input, textarea")) bump("typed", field.value.trim());
  }, true);
})();
"""
BEFORE = {"page loads": 67, "clicks": 73, "typed fields": 60, "choices": 164}
SHOTS = os.environ.get("UPDATE_SCREENSHOTS") == "1"
IMAGES = PROJECT_ROOT / "docs" / "images"
TODAY = date.today()


@dataclass
class Person:
    """One person's browser tab, with its page loads counted."""

    page: Page
    loads: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        stored = self.page.evaluate("sessionStorage.getItem('hw-walk')")
        empty = {"clicks": 0, "typed": 0, "choices": 0, "values": []}
        return json.loads(stored) if stored else empty


def open_person(browser: Browser, live_server: LiveServer) -> Person:
    context = open_context(browser, live_server.url)
    context.add_init_script(COUNTER)
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    person = Person(page)
    page.on("load", lambda: person.loads.append(page.url))
    return person


def loads(page: Page, action) -> None:  # type: ignore[no-untyped-def]
    """Do what loads a page, then check the page the person sees."""
    with page.expect_navigation():
        action()
    assert_accessible(page)


def fill_date(page: Page, legend: str, day: date, nth: int = 0) -> None:
    group = page.get_by_role("group", name=legend).nth(nth)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def choose(page: Page, legend: str, option: str, nth: int = 0) -> None:
    page.get_by_role("group", name=legend).nth(nth).get_by_label(option, exact=True).check()


def complete(page: Page, title: str) -> None:
    """ "Mark as complete" opens the next task, saying which was completed."""
    with page.expect_navigation():
        page.get_by_role("button", name="Mark as complete").click()
    problems = page.locator(".govuk-error-summary")
    assert problems.count() == 0, problems.inner_text()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        f"‘{title}’ is marked as complete"
    )
    assert_accessible(page)


def create_family(page: Page) -> None:
    """Signing in lands on the caseload; people are added one after another."""
    loads(page, lambda: page.get_by_role("button", name="Start work with a family").click())
    page.get_by_label("Reference").fill("WALK-0001")
    # The family name is left empty: the family takes the child's surname ("Walker family").
    # Starting work opens the child's form.
    loads(page, lambda: page.get_by_role("button", name="Start work").click())
    page.get_by_label("Full name").fill("Amy Walker")
    fill_date(page, "Date of birth", date(2015, 4, 9))
    choose(page, "Gender", "Girl")
    page.get_by_label("Interim care order (section 38)").check()
    fill_date(page, "Date the child came into care (this time)", TODAY - timedelta(days=300))
    page.get_by_label("Main reason the child came into care").select_option(label="Neglect")
    page.get_by_label("Foster care with unrelated carers").check()
    page.get_by_label("Placement moves since coming into care").fill("1")
    next_button = "Save and add a parent or carer"
    loads(page, lambda: page.get_by_role("button", name=next_button).click())
    expect(page.locator("main")).to_contain_text("Walker family")
    for name, relationship, button in (
        ("Kim Walker", "Mother", "Save and add another parent or carer"),
        ("Lee Walker", "Father", "Save"),
    ):
        page.get_by_label("Full name").fill(name)
        page.get_by_label(relationship, exact=True).check()
        choose(page, "Do they have parental responsibility?", "Yes")
        choose(page, "Do they live in the household the child would return to?", "Yes")
        save = page.get_by_role("button", name=button, exact=True)
        loads(page, save.click)
    # Family details lead on to the first task.
    loads(page, lambda: page.get_by_role("button", name="Continue").click())


ENTRIES = (
    (400, "Police", "Police called to a row at the flat; Amy was present", "Red, serious"),
    (350, "Police", "Second police call-out; Kim injured", "Red, serious"),
    # Amy's coming into care is in her record: the chronology offers it, nothing is typed.
    (300, None, "Amy Walker came into care", "Red, serious"),
    (200, "Domestic abuse services", "Kim began the Freedom programme", "Green, positive"),
    (
        120,
        "Domestic abuse services",
        "Lee finished the Caring Dads course; the course worker saw the change",
        "Green, positive",
    ),
    (
        60,
        "Foster carers and residential staff",
        "Contact went well; Amy asked to stay longer",
        "Green, positive",
    ),
    (
        20,
        "Schools and early years settings",
        "School says Amy is settled and attending",
        "Green, positive",
    ),
)


def chronology(page: Page) -> None:
    """Opened as the next task, the empty chronology has its form open; "Save and add
    another" keeps it open for the next entry."""
    for number, (days, source, what, significance) in enumerate(ENTRIES):
        heading = page.get_by_role("heading", name="Add an entry", exact=True)
        expect(heading).to_be_visible()
        if number:
            expect(heading).to_be_focused()
        if source is None:
            record = page.locator("form.hw-record-entry", has_text=what)
            record.get_by_label("How significant was it?").select_option(label=significance)
            record.get_by_role("button", name=re.compile("^Add to the chronology")).click()
        else:
            fill_date(page, "Date of the event", TODAY - timedelta(days=days))
            page.get_by_label("Where the information came from").select_option(label=source)
            page.get_by_label("What happened").fill(what)
            page.get_by_label(significance).check()
            last = number + 1 == len(ENTRIES)
            save = "Save entry" if last else "Save and add another"
            page.get_by_role("button", name=save).click()
        saved = page.locator("#chronology-workspace .govuk-notification-banner")
        expect(saved).to_contain_text("Entry added")
        expect(page.locator(".hw-chronology-table")).to_contain_text(what)
    assert_accessible(page)
    if SHOTS:
        # The guide's picture of the entries with their tick boxes, to link them to a factor.
        page.locator("main").screenshot(path=str(IMAGES / "chronology-link-evidence.png"))
    loads(page, lambda: page.get_by_role("button", name="Mark the chronology as complete").click())
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "‘Analytical chronology’ is marked as complete"
    )


def identification(page: Page, supervisor: User, practitioner: User) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Identification")
    # Who asked is the answer here, and what each parent changed comes from the chronology in
    # their capacity to change: "Why now" is left for what neither says, and nothing is typed.
    choose(
        page,
        "How did the possibility of a return come about?",
        "A parent asked for the child to come home",
    )
    expect(page.get_by_label("Why is a return home being considered now? (optional)")).to_be_empty()
    choose(page, "Is there a risk the child goes home before the assessment is finished?", "No")
    choose(
        page, "Who would the child return to?", "The parent or parents they lived with before care"
    )
    # The day work started is offered as the day the manager agreed: nothing typed.
    agreed = page.get_by_role("group", name="Date the manager agreed to start a return-home")
    expect(agreed.get_by_label("Day")).to_have_value(str(TODAY.day))
    expect(agreed).to_contain_text("Prefilled with the day work with the family started")
    # Both are staff: picked from the team, not typed.
    page.get_by_label("Name and role of the manager who agreed").select_option(
        f"{supervisor.name}, team manager"
    )
    page.get_by_label("Who will write the analytical chronology?").select_option(
        f"{practitioner.name}, social worker"
    )
    complete(page, "Identification")


# Factors with evidence in the family's chronology, linked from inside their pages.
EVIDENCE = {"da-r1": "Police called to a row", "da-r2": "Second police call-out"}


def factors(page: Page) -> None:
    """Each domain's "Mark as complete" opens the next domain still to rate."""
    for number, section in enumerate(FACTOR_SECTIONS):
        expect(page.get_by_role("heading", level=1)).to_have_text(
            CURRENT.section_titles[section.id]
        )
        for factor in page.locator(".hw-factor").all():
            factor_id = (factor.get_attribute("id") or "").removeprefix("factor-")
            if factor_id in EVIDENCE:
                # Rated present, the factor's "Link evidence" list opens by itself.
                factor.get_by_label("Present", exact=True).check()
                factor.get_by_label(re.compile(EVIDENCE[factor_id])).check()
                expect(page.locator(f"#evidence-of-{factor_id}")).to_contain_text(
                    "1 piece of evidence"
                )
            else:
                factor.get_by_label("Not present", exact=True).check()
        if section.id == "factors-domestic-abuse":
            assert_accessible(page)
        if number + 1 < len(FACTOR_SECTIONS):
            loads(page, lambda: page.get_by_role("button", name="Mark as complete").click())
            expect(page.locator(".govuk-notification-banner")).to_contain_text(
                f"‘{CURRENT.section_titles[section.id]}’ is marked as complete"
            )
        else:
            complete(page, CURRENT.section_titles[section.id])


# What each parent changed, and since when, comes from the chronology's positive entries
# naming them; neither has slipped back since, so "when did they last slip back?" is left
# empty, as its hint asks.
CHANGES = (ENTRIES[3], ENTRIES[4])
# What only the people know, typed once each: nothing here repeats another field.
SUMMARIES = ("Kim: real change, seen by others.", "Lee: changing, checked by the course.")
VIEWS = (
    "Kim wants Amy home and accepts the harm done.",
    "Lee wants Amy home and says he will keep to the plan.",
)


def capacity(page: Page) -> None:
    """Each parent's problem area (domestic abuse, the domain rated) is already there."""
    expect(page.locator(".govuk-inset-text").first).to_contain_text("Problem areas for each")
    for parent in range(2):
        choose(
            page, "How far does this parent accept the concerns that led to care?", "Partly", parent
        )
        expect(
            page.get_by_role("group", name="Problem area")
            .nth(parent)
            .get_by_label("Domestic abuse")
        ).to_be_checked()
        choose(page, "Readiness to change in this area", "Making changes", parent)
        choose(
            page,
            "Is the parent engaging with the services offered for this problem?",
            "Yes",
            parent,
        )
        choose(
            page,
            "What does the evidence show?",
            "Behaviour has changed, and others have seen and checked it",
            parent,
        )
        wait_until_ready(page)
        days, _source, what, _significance = CHANGES[parent]
        changed = page.get_by_label("What has changed, and who has seen it?").nth(parent)
        expect(changed).to_have_value(re.compile(re.escape(what)))
        since = page.get_by_role("group", name="When did this change begin?").nth(parent)
        expect(since.get_by_label("Day")).to_have_value(str((TODAY - timedelta(days=days)).day))
        expect(since).to_contain_text("Prefilled from the chronology")
        page.get_by_label("Summary of this parent's capacity to change").nth(parent).fill(
            SUMMARIES[parent]
        )
    complete(page, CURRENT.section_titles["capacity-to-change"])


def wishes_and_views(page: Page) -> None:
    choose(page, "Has the child been seen alone?", "Yes")
    fill_date(page, "When were they last seen alone?", TODAY - timedelta(days=3))
    choose(page, "Has the child named a trusted adult they can go to if they are worried?", "No")
    choose(page, "What does the child want?", "To go home")
    page.get_by_label("The child's views in their own words").fill("I want to go home to Mum.")
    complete(page, CURRENT.section_titles["wishes-and-feelings"])
    for parent in range(2):
        choose(page, "Does this parent want the child to come home?", "Yes, clearly", parent)
        page.get_by_label(
            "What does this parent think about the return and about the concerns?"
        ).nth(parent).fill(VIEWS[parent])
    complete(page, CURRENT.section_titles["views"])


def classify(page: Page) -> None:
    # The level is the suggested one, so its reasons are the rules that set it, kept with the
    # classification: nothing is typed (reasons are asked for when the level differs).
    expect(page.locator("main")).to_contain_text("It comes from: Domestic abuse continuing")
    choose(page, "What level do you recommend?", "High")
    loads(page, lambda: page.get_by_role("button", name="Submit for sign-off").click())
    expect(page.locator("main")).to_contain_text("Waiting for a supervisor's sign-off")
    expect(page.locator("main")).to_contain_text("Same as suggested: Domestic abuse continuing")


def sign_off(page: Page, supervisor: User) -> None:
    """Signing in lands on the team's families; the next action opens the sign-off."""
    sign_in(page, supervisor)
    assert_accessible(page)
    loads(page, lambda: page.get_by_role("link", name=re.compile(r"^Sign off: .*Walker")).click())
    choose(page, "Do you agree with the practitioner's level?", "Yes, I agree and sign it off")
    choose(
        page,
        "Should the council work towards the child returning home?",
        "Not yet, extend the assessment",
    )
    page.get_by_label("Your comments and reasons").fill("Agreed; gather three more months.")
    loads(page, lambda: page.get_by_role("button", name="Record my review").click())
    expect(page.locator("main")).to_contain_text("Signed off")


def test_a_new_family_to_a_signed_off_assessment(
    browser: Browser, live_server: LiveServer, accounts: dict[str, User]
) -> None:
    practitioner = open_person(browser, live_server)
    sign_in(practitioner.page, accounts["practitioner"])
    assert_accessible(practitioner.page)
    create_family(practitioner.page)
    identification(practitioner.page, accounts["supervisor"], accounts["practitioner"])
    chronology(practitioner.page)
    factors(practitioner.page)
    capacity(practitioner.page)
    wishes_and_views(practitioner.page)
    classify(practitioner.page)
    supervisor = open_person(browser, live_server)
    sign_off(supervisor.page, accounts["supervisor"])

    people = (practitioner, supervisor)
    totals = {
        "page loads": sum(len(person.loads) for person in people),
        "clicks": sum(person.counts()["clicks"] for person in people),
        "typed fields": sum(person.counts()["typed"] for person in people),
        "choices": sum(person.counts()["choices"] for person in people),
    }
    write_counts(totals)
    # No fact typed twice: every text typed is different (the two sign-ins aside, whose
    # passwords are the test accounts' shared one).
    typed = [value for person in people for value in person.counts()["values"]]
    repeated = {value for value in typed if typed.count(value) > 1} - {DEFAULT_PASSWORD}
    assert not repeated, repeated
    for person in people:
        person.page.context.close()
    # Every factor is still rated by hand: prefilling is the only way choices may fall.
    rated = sum(len(section_factors(section)) for section in FACTOR_SECTIONS)
    assert totals["choices"] >= rated
    # The targets: half of what the same walk took before.
    for measure in ("page loads", "clicks", "typed fields"):
        assert totals[measure] <= BEFORE[measure] // 2, (measure, totals)


def section_factors(section) -> list[str]:  # type: ignore[no-untyped-def]
    domain = CURRENT.domain(section.domain)
    return [factor.id for factor in (*domain.risk_factors, *domain.protective_factors)]


def write_counts(totals: dict[str, int]) -> None:
    print("practice time:", totals)
    if not SHOTS:
        return
    targets = {measure: str(BEFORE[measure] // 2) for measure in BEFORE}
    targets["choices"] = "fewer only by prefilling"
    rows = "\n".join(
        f"| {measure.capitalize()} | {BEFORE[measure]} | {totals[measure]} | {targets[measure]} |"
        for measure in BEFORE
    )
    path = PROJECT_ROOT / "docs" / "practice-time.md"
    text = path.read_text() if path.exists() else ""
    start, end = "<!-- counts -->", "<!-- /counts -->"
    table = f"{start}\n| Measure | Before (#23) | Now | Target |\n|---|---|---|---|\n{rows}\n{end}"
    if start in text:
        text = text[: text.index(start)] + table + text[text.index(end) + len(end) :]
    else:
        text += table + "\n"
    path.write_text(text)
