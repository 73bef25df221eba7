"""An entry form open in place on the chronology keeps what was typed: changing a filter, the
sort or the page while it holds unsaved input is stopped, and the user is told why."""

from __future__ import annotations

import re
import uuid
from datetime import date

from playwright.sync_api import Page, expect

from app.db import open_session
from app.models.accounts import User
from app.models.family import Family
from app.services.chronology import PAGE_SIZE
from tests.browser.conftest import LiveServer, sign_in
from tests.browser.test_chronology import new_family
from tests.factories import make_entry
from tests.support.axe import assert_accessible, wait_until_ready

WARNING = "Save or cancel the entry you are editing before changing the list"


def test_a_typed_entry_survives_changing_the_filters_and_sort(
    page: Page, live_server: LiveServer, accounts: dict[str, User]
) -> None:
    family_id = new_family(live_server, accounts["practitioner"], entries=True)
    sign_in(page, accounts["practitioner"])
    page.goto(f"/families/{family_id}/chronology")
    caption = page.locator(".hw-chronology-table caption")
    expect(caption).to_contain_text("2 entries")

    page.get_by_role("button", name="Add an entry").click()
    page.get_by_label("What happened").fill("Half-written note about the visit")
    page.get_by_label("Theme", exact=True).select_option(label="Good quality contact (protective)")
    warning = page.locator("#chronology-workspace .hw-open-form-warning")
    expect(warning).to_have_text(WARNING + ".")
    expect(warning).to_have_attribute("role", "alert")
    expect(page.get_by_label("What happened")).to_have_value("Half-written note about the visit")
    page.get_by_label("Sort by").select_option(index=1)
    page.get_by_label("Words in the entry").fill("police")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.get_by_label("What happened")).to_have_value("Half-written note about the visit")
    expect(caption).to_contain_text("2 entries")
    expect(page).not_to_have_url(re.compile(r"theme="))
    assert_accessible(page)

    # Cancel is the user's choice to discard; then the filters apply as before.
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_label("What happened")).to_have_count(0)
    page.get_by_label("Words in the entry").fill("")
    page.get_by_role("button", name="Apply filters").click()
    expect(caption).to_contain_text("1 of 2 entries match")


def test_a_form_sent_back_with_errors_and_an_open_change_are_kept(
    page: Page, live_server: LiveServer, accounts: dict[str, User]
) -> None:
    family_id = new_family(live_server, accounts["practitioner"], entries=True)
    sign_in(page, accounts["practitioner"])
    page.goto(f"/families/{family_id}/chronology")

    # Sent back with errors, the form holds unsaved input even before anything more is typed.
    page.get_by_role("button", name="Add an entry").click()
    page.get_by_label("What happened").fill("Seen at school")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator("#chronology-workspace .govuk-error-summary")).to_be_visible()
    page.get_by_label("Source", exact=True).select_option(label="Police")
    expect(page.locator(".hw-open-form-warning")).to_have_text(WARNING + ".")
    expect(page.get_by_label("What happened")).to_have_value("Seen at school")
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_label("What happened")).to_have_count(0)
    page.get_by_label("Source", exact=True).select_option(label="Any source")
    # The caption read "2 entries" before the list came back too: wait for the page's own signal
    # that the request is done, or "Change" below may open a row that is about to be replaced.
    wait_until_ready(page)
    expect(page.locator(".hw-chronology-table caption")).to_contain_text("2 entries")

    # A change being made in its row is kept too, and so is the row's place in the list.
    row = page.locator(".hw-chronology-table tbody tr", has_text="Contact went well")
    row.get_by_role("link", name=re.compile("^Change")).click()
    page.get_by_label("What happened").fill("Contact went well; both children stayed")
    page.get_by_label("Theme", exact=True).select_option(label="Good quality contact (protective)")
    expect(page.locator(".hw-open-form-warning")).to_have_text(WARNING + ".")
    expect(page.get_by_label("What happened")).to_have_value(
        "Contact went well; both children stayed"
    )
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Entry saved")
    page.get_by_label("Theme", exact=True).select_option(label="Any theme")
    page.get_by_label("Theme", exact=True).select_option(label="Good quality contact (protective)")
    expect(page.locator(".hw-chronology-table caption")).to_contain_text("1 of 2 entries match")


def test_an_open_form_that_is_unchanged_closes_and_a_page_change_is_stopped(
    page: Page, live_server: LiveServer, accounts: dict[str, User]
) -> None:
    practitioner = accounts["practitioner"]
    family_id = new_family(live_server, practitioner)
    with open_session(live_server.engine) as session:
        family = session.get(Family, uuid.UUID(family_id))
        assert family is not None
        for day in range(1, PAGE_SIZE + 2):
            make_entry(
                session,
                family,
                author=practitioner,
                occurred_on=date(2021, 1, day),
                what=f"Visit {day}",
            )
        session.commit()
    sign_in(page, practitioner)
    page.goto(f"/families/{family_id}/chronology")
    caption = page.locator(".hw-chronology-table caption")
    expect(caption).to_contain_text("Page 1 of 2")

    # Nothing typed, nothing to lose: the list changes and the form closes.
    page.get_by_role("button", name="Add an entry").click()
    expect(page.get_by_label("What happened")).to_be_visible()
    page.get_by_label("Sort by").select_option(index=1)
    expect(page.get_by_label("What happened")).to_have_count(0)

    page.get_by_role("button", name="Add an entry").click()
    page.get_by_label("What happened").fill("Typed before turning the page")
    pages = page.get_by_role("navigation", name="Pages of entries")
    pages.get_by_role("link", name=re.compile("Next")).click()
    expect(page.locator(".hw-open-form-warning")).to_have_text(WARNING + ".")
    expect(page.get_by_label("What happened")).to_have_value("Typed before turning the page")
    expect(caption).to_contain_text("Page 1 of 2")
    assert "page=" not in page.url
