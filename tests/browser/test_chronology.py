"""The chronology in a real browser: adding, changing and filtering entries with JavaScript
(in place, with htmx) and without it; importing a CSV with errors, fixing it and importing it;
a supervisor's review; axe on every chronology page, the timeline included."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect

from app.db import open_session
from app.models.accounts import Team, User
from tests.browser.conftest import LiveServer, open_context, sign_in
from tests.factories import make_child, make_entry, make_family, make_return
from tests.support.axe import assert_accessible
from tests.support.screenshots import save_screenshot

_numbers = itertools.count(1)


def new_family(live_server: LiveServer, practitioner: User, *, entries: bool = False) -> str:
    """A family allocated to the practitioner, with a child and an earlier return home."""
    with open_session(live_server.engine) as session:
        team = session.get(Team, practitioner.team_id)
        assert team is not None
        family = make_family(
            session,
            team=team,
            allocated_to=practitioner,
            reference=f"CHR-{next(_numbers):04d}",
            display_name="Harper family",
            identified=True,
        )
        child = make_child(session, family, name="Amy Harper", entered_care=date(2025, 9, 1))
        make_return(session, child, returned_on=date(2022, 3, 1), broke_down=True)
        if entries:
            make_entry(
                session,
                family,
                author=practitioner,
                occurred_on=date(2022, 5, 3),
                what="Police called to the flat",
                children=[child],
            )
            make_entry(
                session,
                family,
                author=practitioner,
                occurred_on=date(2023, 1, 9),
                what="Contact went well",
                significance="green",
                themes=["good-contact"],
            )
        session.commit()
        return str(family.id)


def fill_event_date(page: Page, day: str, month: str, year: str) -> None:
    group = page.get_by_role("group", name="Date of the event")
    group.get_by_label("Day").fill(day)
    group.get_by_label("Month").fill(month)
    group.get_by_label("Year").fill(year)


def test_add_change_and_filter_in_place_with_javascript(
    page: Page, live_server: LiveServer, accounts: dict[str, User]
) -> None:
    family_id = new_family(live_server, accounts["practitioner"], entries=True)
    sign_in(page, accounts["practitioner"])
    page.goto(f"/families/{family_id}")
    page.get_by_role("navigation", name="This family's record").get_by_role(
        "link", name="Chronology"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chronology")
    assert_accessible(page)
    url = page.url

    page.get_by_role("button", name="Add an entry").click()
    heading = page.get_by_role("heading", name="Add an entry", exact=True)
    expect(heading).to_be_focused()
    assert page.url == url
    assert_accessible(page)
    page.get_by_role("button", name="Save entry").click()
    summary = page.locator("#chronology-workspace .govuk-error-summary")
    expect(summary).to_contain_text("Enter the date of the event")
    expect(summary).to_contain_text("Enter what happened")
    assert_accessible(page)
    fill_event_date(page, "14", "2", "2024")
    page.get_by_label("Where the information came from").select_option(label="Police")
    page.get_by_label("What happened").fill("Neighbour heard shouting; police attended")
    page.get_by_label("Amy Harper").check()
    page.get_by_label("Domestic abuse incident").check()
    page.get_by_label("Red, serious").check()
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Entry added")
    row = page.locator(".hw-chronology-table tbody tr", has_text="Neighbour heard shouting")
    expect(row).to_contain_text("14 February 2024")
    expect(page.locator("#analysis-panel")).to_contain_text("3 entries")
    assert page.url == url

    # Change it in its row; Escape cancels, as the Cancel link does.
    row.get_by_role("link", name=re.compile("^Change")).click()
    expect(page.get_by_role("heading", name=re.compile("^Change the entry"))).to_be_focused()
    page.get_by_label("What happened").press("Escape")
    expect(page.get_by_role("heading", name=re.compile("^Change the entry"))).to_have_count(0)
    row = page.locator(".hw-chronology-table tbody tr", has_text="Neighbour heard shouting")
    row.get_by_role("link", name=re.compile("^Change")).click()
    expect(page.get_by_label("What happened")).to_have_value(
        "Neighbour heard shouting; police attended"
    )
    assert_accessible(page)
    page.get_by_label("Amber, concerning").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Entry saved")
    expect(
        page.locator(".hw-chronology-table tbody tr", has_text="Neighbour heard shouting")
    ).to_contain_text("Amber, concerning")

    # Filters apply as they change, and the address follows them.
    page.get_by_label("Theme").select_option(label="Good quality contact (protective)")
    expect(page.locator(".hw-chronology-table caption")).to_contain_text("1 of 3 entries match")
    expect(page).to_have_url(re.compile(r"theme=good-contact"))
    page.get_by_label("Theme").select_option(label="Any theme")
    page.get_by_label("Words in the entry").fill("police")
    expect(page.locator(".hw-chronology-table caption")).to_contain_text("2 of 3 entries match")
    page.get_by_label("From").fill("2023")
    page.get_by_label("From").press("Tab")
    expect(page.locator(".hw-chronology-table caption")).to_contain_text("1 of 3 entries match")
    assert_accessible(page)


@pytest.fixture
def page_without_javascript(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = open_context(browser, live_server.url, javascript=False)
    yield context.new_page()
    context.close()


def test_add_change_and_filter_without_javascript(
    page_without_javascript: Page, live_server: LiveServer, accounts: dict[str, User]
) -> None:
    page = page_without_javascript
    family_id = new_family(live_server, accounts["practitioner"], entries=True)
    sign_in(page, accounts["practitioner"])
    page.goto(f"/families/{family_id}/chronology")
    page.get_by_role("button", name="Add an entry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add an entry to the chronology")
    page.get_by_role("button", name="Save entry").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter what happened")
    expect(page).to_have_title(re.compile("^Error: "))
    page.get_by_role("group", name="How exact is the date?").get_by_label(
        "Month and year only"
    ).check()
    group = page.get_by_role("group", name="Date of the event")
    group.get_by_label("Month").fill("6")
    group.get_by_label("Year").fill("2021")
    page.get_by_label("Where the information came from").select_option(label="Health services")
    page.get_by_label("What happened").fill("Missed two health reviews")
    page.get_by_label("Missed health or education appointments").check()
    page.get_by_label("Amber, concerning").check()
    page.get_by_role("button", name="Save entry").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chronology")
    row = page.locator(".hw-chronology-table tbody tr", has_text="Missed two health reviews")
    expect(row).to_contain_text("June 2021")

    row.get_by_role("link", name=re.compile("^Change")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the entry of June 2021")
    page.get_by_label("What happened").fill("Missed three health reviews")
    page.get_by_role("button", name="Save changes").click()
    expect(
        page.locator(".hw-chronology-table tbody tr", has_text="Missed three health reviews")
    ).to_be_visible()

    page.get_by_label("Significance").select_option(label="Green, positive or routine")
    page.get_by_role("button", name="Apply filters").click()
    expect(page.locator(".hw-chronology-table caption")).to_contain_text("1 of 3 entries match")
    expect(page.locator(".hw-chronology-table tbody")).to_contain_text("Contact went well")


BAD_CSV = (
    "Date,Source,What happened,Children,Themes,Significance\r\n"
    "27/03/2024,Police,Police called after shouting,Amy Harper,Domestic abuse incident,Red\r\n"
    "04/23/2024,Police,Month-first date,,,Red\r\n"
    "01/05/2024,Polise,Unknown source,amy,DV; Sadness,Red\r\n"
)
FIXED_CSV = (
    "Date,Source,What happened,Children,Themes,Significance\r\n"
    "27/03/2024,Police,Police called after shouting,Amy Harper,Domestic abuse incident,Red\r\n"
    "23/04/2024,Police,Day-first date,,,Red\r\n"
    "01/05/2024,Other agencies,Known source,,"
    '"Child protection enquiry, plan or proceedings",Amber\r\n'
)


def test_import_a_csv_with_errors_fix_it_and_import_it(
    page: Page, live_server: LiveServer, accounts: dict[str, User]
) -> None:
    family_id = new_family(live_server, accounts["practitioner"])
    sign_in(page, accounts["practitioner"])
    page.goto(f"/families/{family_id}/chronology")
    page.get_by_role("link", name="Import entries from a spreadsheet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import entries from a spreadsheet")
    assert_accessible(page)
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Choose a CSV file to import")
    assert_accessible(page)

    page.get_by_label("CSV file").set_input_files(
        {"name": "chronology.csv", "mimeType": "text/csv", "buffer": BAD_CSV.encode()}
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    expect(page.locator(".govuk-error-summary")).to_contain_text("2 of 3 rows have problems")
    expect(page.locator("#row-3")).to_contain_text("has no month 23")
    expect(page.locator("#row-4")).to_contain_text(
        "‘Polise’ is not a source we know: did you mean ‘Police’?"
    )
    expect(page.locator("#row-4")).to_contain_text("‘Sadness’ is not a theme we know")
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
    assert_accessible(page)

    save_screenshot(page, "chronology-import-problems", whole=True)

    # The corrected file is uploaded from the preview itself.
    page.get_by_label("Upload a corrected file").set_input_files(
        {"name": "chronology.csv", "mimeType": "text/csv", "buffer": FIXED_CSV.encode()}
    )
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.get_by_text("All 3 rows are ready to import.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Import 3 entries").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("3 entries imported")
    expect(page.locator(".hw-chronology-table caption")).to_contain_text("3 entries")
    assert_accessible(page)


def test_a_supervisor_reviews_the_chronology(
    page: Page, live_server: LiveServer, accounts: dict[str, User]
) -> None:
    family_id = new_family(live_server, accounts["practitioner"], entries=True)
    sign_in(page, accounts["supervisor"])
    page.goto(f"/families/{family_id}/chronology")
    expect(page.get_by_text("Not reviewed by a supervisor yet.")).to_be_visible()
    expect(page.get_by_role("button", name="Add an entry")).to_have_count(0)
    page.get_by_role("link", name="View the entry of 3 May 2022").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Entry of 3 May 2022")
    assert_accessible(page)
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter your comment")
    page.get_by_label("Add a comment").fill("Was Amy seen on her own after this?")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator(".hw-comment")).to_contain_text("Was Amy seen on her own after this?")
    expect(page.locator(".hw-comment")).to_contain_text("Sue Supervisor")

    page.goto(f"/families/{family_id}/chronology/review")
    expect(page.get_by_role("heading", level=1)).to_have_text("Supervisor review of the chronology")
    assert_accessible(page)
    page.get_by_label("Note (optional)").fill("Discussed at supervision.")
    page.get_by_role("button", name="Mark as reviewed").click()
    expect(page.get_by_text("Reviewed by Sue Supervisor")).to_be_visible()
    expect(page.get_by_text("Nothing has changed since the review.")).to_be_visible()
    page.get_by_role("textbox", name="Add a comment").fill("Good analysis of the pattern.")
    page.get_by_role("button", name="Add comment").click()
    expect(page.locator(".hw-comment")).to_contain_text("Good analysis of the pattern.")
    assert_accessible(page)

    # The practitioner changes an entry: the review shows what changed.
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    sign_in(page, accounts["practitioner"])
    page.goto(f"/families/{family_id}/chronology")
    expect(page.get_by_text("Reviewed by Sue Supervisor")).to_be_visible()
    row = page.locator(".hw-chronology-table tbody tr", has_text="Police called to the flat")
    row.get_by_role("link", name=re.compile("^Change")).click()
    page.get_by_label("Amber, concerning").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("Entry saved")
    page.reload()
    expect(page.get_by_text("Changed since review")).to_be_visible()
    page.get_by_role("link", name="1 change").click()
    expect(page.locator("tbody")).to_contain_text("Changed: Significance")


def test_the_analysis_and_timeline_pages(
    page: Page, live_server: LiveServer, accounts: dict[str, User]
) -> None:
    family_id = new_family(live_server, accounts["practitioner"], entries=True)
    sign_in(page, accounts["practitioner"])
    page.goto(f"/families/{family_id}/chronology")
    page.get_by_role("link", name="See the full analysis").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chronology analysis")
    assert_accessible(page)
    page.get_by_role("link", name="Write the analysis of the chronology as a whole").click()
    # axe must see the form page, not the analysis page it is leaving.
    expect(page.get_by_label("Your analysis")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Your analysis").fill("Harm recurs when the partner returns.")
    page.get_by_role("button", name="Save analysis").click()
    expect(page.locator(".hw-written").first).to_have_text("Harm recurs when the partner returns.")
    page.get_by_role("link", name="Timeline").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chronology timeline")
    expect(page.get_by_role("img", name=re.compile("^Timeline of Harper family"))).to_be_visible()
    expect(page.get_by_role("table").last).to_contain_text("Good quality contact")
    assert_accessible(page)
    page.goto(f"/families/{family_id}/chronology/review")
    assert_accessible(page)
