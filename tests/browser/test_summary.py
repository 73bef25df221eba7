"""The summary of each demo family, at every stage the demo covers: the page, its disclosure
copy, the print layout and the PDF and Word downloads; axe checks every page."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlmodel import col, select

from app.config import PROJECT_ROOT
from app.db import open_session
from app.demo.accounts import DEMO_ACCOUNTS
from app.demo.families import DEMO_FAMILIES
from app.models.family import Family
from app.summary.sections import SUMMARY_SECTIONS
from tests.browser.conftest import LANDED, LiveServer
from tests.support.axe import assert_accessible

PASSWORDS = {account.email: account.password for account in DEMO_ACCOUNTS}
SUPERVISORS = {
    "RIV": "grace.okafor@homeward.test",
    "HIL": "helen.clarke@homeward.test",
}


@pytest.fixture(scope="module")
def demo_families(live_server: LiveServer, demo_data: None) -> dict[str, str]:
    """The demo families in the live server's database: family id by reference."""
    with open_session(live_server.engine) as session:
        rows = session.exec(
            select(Family.reference, Family.id).where(
                col(Family.reference).in_([demo.reference for demo in DEMO_FAMILIES])
            )
        ).all()
    return {reference: str(family_id) for reference, family_id in rows}


def sign_in_demo(page: Page, email: str) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORDS[email])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(LANDED)


# One demo family at each kind of point in the journey: an assessment under way, reviews,
# monitoring after two returns, closed, and back in care.
AT_EACH_POINT = ["RIV-2026-014", "RIV-2024-051", "RIV-2024-077", "RIV-2023-019", "RIV-2023-064"]


@pytest.mark.parametrize("reference", AT_EACH_POINT)
def test_the_summary_of_a_demo_family_at_each_point(
    page: Page, demo_families: dict[str, str], reference: str
) -> None:
    family_id = demo_families[reference]
    sign_in_demo(page, SUPERVISORS[reference[:3]])
    page.goto(f"/families/{family_id}")
    page.get_by_role("navigation", name="This family's record").get_by_role(
        "link", name="Summary"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Summary")
    main = [spec for spec in SUMMARY_SECTIONS if spec.part == "main"]
    for number, spec in enumerate(main, start=1):
        expect(page.get_by_role("heading", level=2, name=f"{number}. {spec.title}")).to_be_visible()
    expect(page.get_by_text("Data as at")).to_be_visible()
    assert_accessible(page)

    if reference == AT_EACH_POINT[0]:
        # The files' contents are checked without a browser (tests/summary/test_exports.py);
        # here, once, that the buttons download them, with the appendix when it is ticked,
        # from the keyboard.
        with page.expect_download() as pdf:
            page.get_by_role("button", name="Download as PDF").click()
        assert pdf.value.suggested_filename.startswith("summary-")
        assert pdf.value.suggested_filename.endswith(".pdf")
        appendix = page.get_by_role("checkbox", name="Include the appendix")
        expect(appendix).not_to_be_checked()
        appendix.focus()
        page.keyboard.press("Space")
        expect(appendix).to_be_checked()
        shot(page, "export-options", page.locator(".hw-summary-actions"))
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        expect(page.get_by_role("button", name="Download as Word document")).to_be_focused()
        with page.expect_download() as word:
            page.keyboard.press("Enter")
        assert word.value.suggested_filename.startswith("summary-with-appendix-")
        assert word.value.suggested_filename.endswith(".docx")
        page.get_by_role("link", name="Show the appendix on this page").click()
        expect(
            page.get_by_role(
                "heading", level=2, name="Appendix A: Evidence for each factor in full"
            )
        ).to_be_visible()
        expect(page.get_by_role("checkbox", name="Include the appendix")).to_be_checked()
        assert_accessible(page)
        page.get_by_role("link", name="Hide the appendix").click()
        expect(page.get_by_role("heading", level=2, name="Sources")).to_be_visible()
    else:
        expect(page.get_by_role("button", name="Download as PDF")).to_be_visible()
        expect(page.get_by_role("button", name="Download as Word document")).to_be_visible()

    page.get_by_role("link", name="Show the copy for disclosure").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Summary for disclosure")
    assert_accessible(page)


def test_printing_leaves_out_navigation_and_links(
    page: Page, demo_families: dict[str, str]
) -> None:
    sign_in_demo(page, SUPERVISORS["RIV"])
    page.goto(f"/families/{demo_families['RIV-2024-051']}/summary")
    actions = page.get_by_role("heading", name="Download or print")
    expect(actions).to_be_visible()
    page.emulate_media(media="print")
    expect(actions).to_be_hidden()
    expect(page.get_by_role("navigation", name="This family's record")).to_be_hidden()
    expect(page.get_by_role("heading", level=2, name="1. Children and key facts")).to_be_visible()


def test_the_disclosure_copy_leaves_out_third_party_entries(
    page: Page, demo_families: dict[str, str]
) -> None:
    sign_in_demo(page, SUPERVISORS["RIV"])
    page.goto(f"/families/{demo_families['RIV-2026-014']}/summary")
    third_party = page.get_by_text("Police called by a neighbour to shouting", exact=False)
    expect(third_party).to_be_visible()
    page.get_by_role("link", name="Show the copy for disclosure").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Summary for disclosure")
    expect(third_party).to_have_count(0)
    expect(page.get_by_text("This is a disclosure copy").first).to_be_visible()
    assert_accessible(page)


def test_the_agreement_support_plan_and_familys_copy_of_the_late_stage_family(
    page: Page, demo_families: dict[str, str]
) -> None:
    """Walsh: children going home, with an agreement and a support plan that leaves gaps.
    With UPDATE_SCREENSHOTS=1 the pages are saved as the goal-setting guide's screenshots."""
    sign_in_demo(page, SUPERVISORS["RIV"])
    page.goto(f"/families/{demo_families['RIV-2024-077']}")
    page.get_by_role("navigation", name="This family's record").get_by_role(
        "link", name="Agreement and support"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Written agreements")
    expect(page.get_by_role("heading", name="Agreement with Sinead Walsh")).to_be_visible()
    assert_accessible(page)
    shot(page, "agreement")
    page.get_by_role("link", name="Support plan", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Support plan")
    expect(page.get_by_text("2 goals without enough support:")).to_be_visible()
    assert_accessible(page)
    shot(page, "support-plan")
    page.go_back()
    page.get_by_role("link", name="Sinead Walsh's copy of their agreement", exact=True).click()
    expect(page.get_by_role("heading", name="1. About this agreement")).to_be_visible()
    assert_accessible(page)
    shot(page, "family-copy")


def shot(page: Page, name: str, part: Locator | None = None) -> None:
    if os.environ.get("UPDATE_SCREENSHOTS") != "1":
        return
    if part is not None:
        part.screenshot(path=str(PROJECT_ROOT / "docs" / "images" / f"summary-{name}.png"))
    else:
        page.screenshot(path=str(PROJECT_ROOT / "docs" / "images" / f"goal-setting-{name}.png"))
