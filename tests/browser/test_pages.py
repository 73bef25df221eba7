"""The public pages in a real browser: accessible, keyboard-usable, scripts running."""

import re

from playwright.sync_api import Page, expect

from tests.support.axe import assert_accessible


def test_start_page_is_accessible_and_scripts_run(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Plan and review a child's return home"
    )
    # GOV.UK Frontend's module ran: the body is marked as supported.
    expect(page.locator("body")).to_have_class(re.compile("govuk-frontend-supported"))
    assert page.evaluate("typeof window.htmx") == "object"
    assert_accessible(page)


def test_footer_pages_are_reachable_by_keyboard_and_accessible(page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Accessibility statement").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("/accessibility$"))
    assert_accessible(page)
    page.get_by_role("link", name="Privacy notice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Privacy notice")
    assert_accessible(page)


def test_skip_link_moves_focus_to_the_main_content(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("#main-content$"))


def test_not_found_page_is_accessible(page: Page) -> None:
    response = page.goto("/no-such-page")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page)
