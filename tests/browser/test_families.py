"""A practitioner starts work with a family, adds two children and two adults, finds it by
search and sees its task list; a supervisor sees the team view. axe checks every page."""

import re

from playwright.sync_api import Page, expect

from app.models.accounts import User
from tests.browser.conftest import open_context, sign_in
from tests.factories import CONTENT
from tests.support.axe import assert_accessible


def fill_date(page: Page, legend: str, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def add_child(
    page: Page, name: str, born: tuple[str, str, str], gender: str, *, opened: bool = False
) -> None:
    """Add a child from family details (or on the form already open, after "Start work")."""
    if not opened:
        page.get_by_role("button", name="Add a child").click()
    assert_accessible(page)
    page.get_by_label("Full name").fill(name)
    fill_date(page, "Date of birth", *born)
    page.get_by_role("group", name="Gender").get_by_label(gender, exact=True).check()
    page.get_by_label("Interim care order (section 38)").check()
    fill_date(page, "Date the child came into care (this time)", "3", "2", "2026")
    page.get_by_label("Main reason the child came into care").select_option(label="Neglect")
    page.get_by_label("Foster care with unrelated carers").check()
    page.get_by_label("Placement moves since coming into care").fill("1")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Family details")


def add_adult(page: Page, name: str, relationship: str, household: str) -> None:
    page.get_by_role("button", name="Add a parent or carer").click()
    assert_accessible(page)
    page.get_by_label("Full name").fill(name)
    page.get_by_label(relationship, exact=True).check()
    page.get_by_role("group", name="Do they have parental responsibility?").get_by_label(
        "Yes"
    ).check()
    page.get_by_role(
        "group", name="Do they live in the household the child would return to?"
    ).get_by_label(household).check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Family details")


def test_practitioner_creates_a_family_and_finds_it(page: Page, accounts: dict[str, User]) -> None:
    sign_in(page, accounts["practitioner"])
    page.get_by_role("link", name="Families").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My families")
    assert_accessible(page)
    page.get_by_role("button", name="Start work with a family").click()
    assert_accessible(page)
    page.get_by_role("button", name="Start work").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the family's reference")
    assert_accessible(page)
    page.get_by_label("Reference").fill("BRW-0001")
    page.get_by_label("Family name").fill("Browser family")
    page.get_by_role("button", name="Start work").click()
    # A new family's first need is its child: the form opens straight away.
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a child")
    add_child(page, "Ada Browser", ("9", "4", "2014"), "Girl", opened=True)
    add_child(page, "Ben Browser", ("21", "11", "2017"), "Boy")
    add_adult(page, "Cara Browser", "Mother", "Yes")
    add_adult(page, "Dev Browser", "Father", "No")
    for name in ("Ada Browser", "Ben Browser", "Cara Browser", "Dev Browser"):
        expect(page.get_by_role("heading", name=name)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Families").first.click()
    page.get_by_label("Family, child or reference").fill("ben brow")
    # htmx filters as the user types; the full page would answer the same without JavaScript.
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Browser family")
    page.locator("#results").get_by_role("link", name="Browser family", exact=True).click()
    expect(page.get_by_role("heading", name="1. Assessment")).to_be_visible()
    expect(page.locator(".govuk-task-list").first).to_contain_text("Identification")
    newest = CONTENT.latest("reunification").version
    expect(page.locator("body")).to_contain_text(
        f"Following reunification framework version {newest}"
    )
    assert_accessible(page)


def test_search_works_without_javascript(browser, live_server, accounts: dict[str, User]) -> None:  # type: ignore[no-untyped-def]
    context = open_context(browser, live_server.url, javascript=False)
    page = context.new_page()
    sign_in(page, accounts["supervisor"])
    page.goto("/families")
    page.get_by_label("Family, child or reference").fill("no such family anywhere")
    page.get_by_role("button", name="Apply filters").click()
    expect(page).to_have_url(re.compile(r"search=no\+such\+family"))
    expect(page.locator("#results")).to_contain_text("No families match")
    context.close()


def test_supervisor_sees_the_team_view(page: Page, accounts: dict[str, User]) -> None:
    sign_in(page, accounts["supervisor"])
    page.goto("/families")
    expect(page.get_by_role("heading", level=1)).to_have_text("Team families")
    expect(page.get_by_role("columnheader", name="Allocated to")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Awaiting my sign-off").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Awaiting my sign-off")
    assert_accessible(page)
