"""Signing in as each role in a real browser: each sees only what they should."""

import re

import pytest
from playwright.sync_api import Page, expect

from app.models.accounts import User
from tests.browser.conftest import sign_in
from tests.support.axe import assert_accessible
from tests.support.screenshots import save_screenshot

NAVIGATION = {
    "practitioner": ["Families"],
    "supervisor": ["Families", "Reports"],
    "trainer": ["Framework content"],
    "admin": ["Users", "Teams", "Service accounts", "Audit trail", "Role changes"],
}


# Where signing in lands: each role's own work (an administrator's home page has their name).
LANDING = {
    "practitioner": "My families",
    "supervisor": "Team families",
    "trainer": "Framework content",
}


def navigation_links(page: Page) -> list[str]:
    """The service navigation's links, without the signed-in person's own account link."""
    links = page.locator(".govuk-service-navigation__item a:not([href='/account'])")
    return [text.strip() for text in links.all_inner_texts()]


def test_sign_in_page_is_accessible_and_explains_mistakes(page: Page) -> None:
    page.goto("/sign-in")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_focused()  # GOV.UK Frontend moves focus to the summary
    expect(summary).to_contain_text("Enter your email address")
    expect(page).to_have_title(re.compile("^Error: "))
    assert_accessible(page)


@pytest.mark.parametrize("role", ["practitioner", "supervisor", "trainer", "admin"])
def test_each_role_sees_only_its_own_navigation(
    page: Page, accounts: dict[str, User], role: str
) -> None:
    user = accounts[role]
    sign_in(page, user)
    expect(page.get_by_role("heading", level=1)).to_have_text(LANDING.get(role, user.name))
    assert navigation_links(page) == NAVIGATION[role]
    # The header says who is signed in.
    expect(page.locator(".govuk-service-navigation a[href='/account']")).to_contain_text(user.name)
    assert_accessible(page)
    if role != "admin":
        response = page.goto("/admin/users")
        assert response is not None
        assert response.status == 403
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "You do not have permission to see this page"
        )
        assert_accessible(page)


def test_admin_pages_are_accessible_and_usable_by_keyboard(
    page: Page, accounts: dict[str, User]
) -> None:
    sign_in(page, accounts["admin"])
    page.get_by_role("link", name="Users").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    assert_accessible(page)
    page.get_by_role("button", name="Add a user").click()
    assert_accessible(page)
    page.get_by_label("Full name").fill("Kim Keyboard")
    page.get_by_label("Email address").fill("kim.keyboard@browser.test")
    page.get_by_label("Team", exact=True).select_option(label="Browser Team")
    page.get_by_label("Practitioner").check()
    page.get_by_label("Email address").focus()
    page.get_by_role("button", name="Add user").press("Enter")
    expect(page.get_by_role("heading", name="User added")).to_be_visible()
    assert_accessible(page)
    page.goto("/admin/users/new")
    page.get_by_role("button", name="Add user").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter the person's full name")
    assert_accessible(page)
    page.goto("/admin/teams")
    page.get_by_label("Team name").fill("Keyboard Team")
    page.get_by_role("button", name="Add team").click()
    page.get_by_role("link", name="Rename Keyboard Team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rename the team")
    page.get_by_label("New name").fill("Browser Team")
    page.get_by_role("button", name="Save the new name").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "A team with this name already exists"
    )
    expect(page.get_by_label("New name")).to_have_value("Browser Team")
    assert_accessible(page)
    save_screenshot(page, "admin-team-rename")
    page.get_by_label("New name").fill("Keyboard Team North")
    page.get_by_role("button", name="Save the new name").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "The team is now called ‘Keyboard Team North’."
    )
    assert_accessible(page)

    page.goto("/admin/audit")
    expect(page.get_by_role("heading", level=1)).to_have_text("Audit trail")
    expect(page.locator("tbody")).to_contain_text("Kim Keyboard")
    from_date = page.get_by_role("group", name="From")
    from_date.get_by_label("Day").fill("31")
    from_date.get_by_label("Month").fill("2")
    from_date.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Filter entries").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text(
        "The from date must be a real date"
    )
    expect(from_date.get_by_label("Day")).to_have_value("31")
    assert_accessible(page)
    from_date.get_by_label("Day").fill("1")
    page.get_by_label("Kind of record").fill("team")
    page.get_by_role("button", name="Filter entries").click()
    expect(page.locator("tbody")).to_contain_text("Keyboard Team North")
    assert_accessible(page)
    save_screenshot(page, "admin-audit", whole=True)


def test_sign_out_from_the_navigation(page: Page, accounts: dict[str, User]) -> None:
    sign_in(page, accounts["trainer"])
    page.get_by_role("button", name="Sign out").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    assert_accessible(page)
    page.goto("/home")
    expect(page).to_have_url(re.compile("/sign-in"))
