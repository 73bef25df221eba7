"""Data pages at a desk and on a phone: the caseload, a family's summary, its chronology and the
audit trail use the screen's width at 1280 px (their tables are not squeezed into the reading
column), and at 320 px the page does not scroll sideways (a wide table scrolls on its own, inside a
labelled region)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page

from app.models.accounts import User
from tests.browser.conftest import LiveServer, open_context, sign_in
from tests.browser.test_chronology import new_family
from tests.support.axe import assert_accessible, wait_until_ready

WIDTHS = (1280, 320)

# What the page's layout measures: the main column, the widest table, and how far the page
# itself scrolls sideways (a table scrolling inside its own region does not count).
SIZES = """() => {
  const tables = [...document.querySelectorAll("main table")];
  return {
    page: document.documentElement.scrollWidth,
    main: document.querySelector("main").getBoundingClientRect().width,
    table: Math.max(0, ...tables.map((table) => table.getBoundingClientRect().width)),
  };
}"""


def check_width(page: Page, path: str, width: int) -> None:
    page.goto(path)
    wait_until_ready(page)
    sizes = page.evaluate(SIZES)
    if width >= 1280:
        assert sizes["main"] > 1100, (path, sizes)
        # Wider than a standard page's two-thirds reading column (640 px), with the
        # chronology's analysis panel beside its table.
        assert sizes["table"] > 800, (path, sizes)
    else:
        assert sizes["page"] <= width, (path, sizes)
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_data_pages_use_a_desk_and_reflow_on_a_phone(
    browser: Browser, live_server: LiveServer, accounts: dict[str, User], width: int
) -> None:
    family_id = new_family(live_server, accounts["practitioner"], entries=True)
    for role, paths in (
        (
            "practitioner",
            ("/families", f"/families/{family_id}/summary", f"/families/{family_id}/chronology"),
        ),
        ("admin", ("/admin/audit",)),
    ):
        context = open_context(browser, live_server.url)
        page = context.new_page()
        page.set_viewport_size({"width": width, "height": 900})
        try:
            sign_in(page, accounts[role])
            for path in paths:
                check_width(page, path, width)
        finally:
            context.close()
