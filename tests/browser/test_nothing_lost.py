"""Nothing is lost by a key or a link, at a desk (1280 px) and on a phone (320 px), where the
chronology uses the desk's width and reflows on the phone: Escape asks
before it discards a chronology entry being typed and puts focus back on what opened the form;
a link away from a form holding unsaved input asks first; and without JavaScript, choosing
evidence for a factor keeps the ratings made so far. Evidence is also picked inside the factors
page with JavaScript on."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from app.db import open_session
from app.models.accounts import User
from app.models.family import Family
from tests.browser.conftest import LiveServer, open_context, sign_in
from tests.browser.test_chronology import new_family
from tests.support.axe import assert_accessible, wait_until_ready
from tests.support.screenshots import save_screenshot

WIDTHS = (1280, 320)
SECTION = "factors-domestic-abuse"


def answer_dialogs(page: Page, answers: list[bool], asked: list[str]) -> None:
    """Answer the page's questions (confirm dialogs) in turn, noting what each asked."""

    def handle(dialog: Dialog) -> None:
        asked.append(dialog.message)
        if answers.pop(0):
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", handle)


@pytest.mark.parametrize("width", WIDTHS)
def test_escape_and_links_ask_before_typed_input_is_lost(
    page: Page, live_server: LiveServer, accounts: dict[str, User], width: int
) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    family_id = new_family(live_server, accounts["practitioner"], entries=True)
    sign_in(page, accounts["practitioner"])
    page.goto(f"/families/{family_id}/chronology")
    # A data page: at a desk it uses the width ("What happened" is not a narrow column); on a
    # phone it reflows, with nothing wider than the screen.
    sizes = page.evaluate(
        """() => ({
          page: document.documentElement.scrollWidth,
          main: document.querySelector("main").getBoundingClientRect().width,
          what: document.querySelectorAll(".hw-chronology-table th")[1].offsetWidth,
        })"""
    )
    if width >= 1280:
        assert sizes["main"] > 1100, sizes
        assert sizes["what"] > 400, sizes
    else:
        assert sizes["page"] <= width, sizes
    answers: list[bool] = []
    asked: list[str] = []
    answer_dialogs(page, answers, asked)

    # Nothing typed: Escape closes the form without a question, and focus returns to the button.
    page.get_by_role("button", name="Add an entry").click()
    what = page.get_by_label("What happened")
    what.press("Escape")
    expect(what).to_have_count(0)
    expect(page.get_by_role("button", name="Add an entry")).to_be_focused()
    assert asked == []

    # Typed: Escape asks; "no" keeps the entry as typed, "yes" discards it.
    page.get_by_role("button", name="Add an entry").click()
    what.fill("Half-typed account of the visit")
    answers.append(False)
    what.press("Escape")
    expect(what).to_have_value("Half-typed account of the visit")
    assert asked == ["Discard what you have typed in this entry?"]
    assert_accessible(page)

    # A link away from the page asks too; staying keeps the typing.
    answers.append(False)
    page.get_by_role("link", name="Timeline").click()
    expect(what).to_have_value("Half-typed account of the visit")
    assert asked[-1].startswith("You have not saved what you typed")
    assert "/timeline" not in page.url

    answers.append(True)
    what.press("Escape")
    expect(what).to_have_count(0)
    expect(page.get_by_role("button", name="Add an entry")).to_be_focused()

    # In a row being changed, focus goes back to that row's Change link.
    row = page.locator(".hw-chronology-table tbody tr", has_text="Contact went well")
    change = row.get_by_role("link", name=re.compile("^Change"))
    change.click()
    page.get_by_label("What happened").fill("Contact went well; both stayed")
    answers.append(True)
    page.get_by_label("What happened").press("Escape")
    expect(page.get_by_label("What happened")).to_have_count(0)
    expect(change).to_be_focused()
    expect(row).to_contain_text("Contact went well")
    expect(row).not_to_contain_text("both stayed")

    # Leaving for good: "yes" follows the link.
    page.get_by_role("button", name="Add an entry").click()
    page.get_by_label("What happened").fill("Typed, then left on purpose")
    answers.append(True)
    page.get_by_role("link", name="Timeline").click()
    page.wait_for_url(re.compile(r"/timeline"))
    wait_until_ready(page)
    assert len(asked) == 5


@pytest.mark.parametrize("width", WIDTHS)
def test_evidence_is_chosen_without_losing_ratings(
    browser: Browser, live_server: LiveServer, accounts: dict[str, User], width: int
) -> None:
    practitioner = accounts["practitioner"]
    family_id = new_family(live_server, practitioner, entries=True)
    with open_session(live_server.engine) as session:
        family = session.get(Family, uuid.UUID(family_id))
        assert family is not None
    section_url = f"/families/{family_id}/sections/{SECTION}"

    # Without JavaScript: rate, choose evidence (which saves first), link, come back.
    context = open_context(browser, live_server.url, javascript=False)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, practitioner)
    page.goto(section_url)
    first = page.locator("#factor-da-r1")
    first.get_by_label("Present", exact=True).check()
    page.locator("#factor-da-r2").get_by_label("Not known", exact=True).check()
    first.locator("summary", has_text="Link evidence").click()
    first.get_by_role("button", name=re.compile("^Save and choose evidence")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Evidence for a factor")
    page.get_by_label(re.compile("Police called to the flat")).check()
    page.get_by_role("button", name="Link the chosen entries").click()
    expect(page.locator("table")).to_contain_text("Police called to the flat")
    page.get_by_role("link", name=re.compile("^Back to")).click()
    expect(first.get_by_label("Present", exact=True)).to_be_checked()
    expect(page.locator("#factor-da-r2").get_by_label("Not known", exact=True)).to_be_checked()
    expect(page.locator("#evidence-of-da-r1")).to_contain_text("Police called to the flat")
    context.close()

    # With JavaScript: rating "Present" opens the picker in place; ticking links, unticking
    # unlinks.
    context = open_context(browser, live_server.url)
    page = context.new_page()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, practitioner)
    page.goto(section_url)
    wait_until_ready(page)
    factor = page.locator("#factor-da-r3")
    factor.get_by_label("Present", exact=True).check()
    expect(page.locator("#evidence-of-da-r3")).to_contain_text("Marked present with no evidence")
    # Rated present, the factor's "Link evidence" list opens by itself (a click on its
    # summary now would close it again).
    expect(
        factor.locator("details", has=page.locator("summary", has_text="Link evidence"))
    ).to_have_attribute("open", "")
    entry = factor.get_by_label(re.compile("Contact went well"))
    entry.check()
    expect(page.locator("#evidence-of-da-r3")).to_contain_text("1 piece of evidence")
    expect(page.locator("#evidence-of-da-r3")).not_to_contain_text("no evidence")
    assert_accessible(page)
    if width == WIDTHS[0]:
        factor.evaluate("element => element.scrollIntoView({block: 'start'})")
        save_screenshot(page, "evidence-picker-in-place")
    entry.uncheck()
    expect(page.locator("#evidence-of-da-r3")).to_contain_text("0 pieces of evidence")
    page.reload()
    expect(page.locator("#factor-da-r3").get_by_label("Present", exact=True)).to_be_checked()
    expect(page.locator("#evidence-of-da-r1")).to_contain_text("Police called to the flat")
    context.close()
