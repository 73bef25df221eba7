"""A classification with scored tools, in a browser: the page shows each tool's band, items and
overrides, refuses a discretionary override beyond the levels allowed with the GOV.UK error
summary, and axe finds no violations. On its own server, so the test framework it publishes
is not offered to the other browser tests' families."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from app.db import open_session
from app.models.accounts import Role
from tests.browser.conftest import LiveServer, open_context, sign_in
from tests.factories import make_family, make_team, make_user
from tests.support.assessment import mark_done, rate
from tests.support.axe import assert_accessible
from tests.support.content import move_to, publish_tiny_with_tools


@pytest.fixture(scope="module")
def tools_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("tools"), name="tools-server")
    yield server
    server.stop()


@pytest.fixture
def tools_page(browser: Browser, tools_server: LiveServer) -> Iterator[Page]:
    context = open_context(browser, tools_server.url)
    yield context.new_page()
    context.close()


def test_a_classification_with_scored_tools(
    tools_server: LiveServer, tools_page: Page, tmp_path: Path
) -> None:
    with open_session(tools_server.engine) as session:
        content = publish_tiny_with_tools(session, tmp_path / "tiny" / "1.0.0")
        team = make_team(session, "Tools Team")
        practitioner = make_user(
            session, roles=[Role.PRACTITIONER], team=team, email="tools@browser.test"
        )
        family = make_family(session, team=team, allocated_to=practitioner)
        move_to(session, family, content)
        ratings = {"al-r1": "present", "al-r2": "absent", "al-p1": "absent"}
        rate(session, practitioner, family, "factors-alpha", ratings, content=content)
        mark_done(
            session,
            practitioner,
            family,
            ("start", "history", "factors-alpha", "factors-beta"),
            content,
        )
        session.commit()
        url = f"/families/{family.id}/classification/classify"
    page = tools_page

    sign_in(page, practitioner)
    page.goto(url)

    example = page.get_by_role("heading", name="Scored tool: Example structured tool: Low")
    expect(example).to_be_visible()
    expect(page.get_by_text("Score 1, in the band Low.")).to_be_visible()
    expect(page.get_by_text("Alpha risks present: +1 (One) because")).to_be_visible()
    expect(page.get_by_role("heading", name="Scored tool: Extra tool: Low")).to_be_visible()
    expect(page.get_by_text("Score 0, in the band Low concern 0.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("radio", name="High").check()
    page.get_by_label("Your reasons").fill("An earlier return broke down.")
    page.get_by_role("button", name="Submit for sign-off").click()

    summary = page.locator(".govuk-error-summary")
    expect(summary).to_contain_text(
        "Example structured tool lets you move the level at most 1 level from the suggested "
        "level (Low); choose Low or Medium"
    )
    expect(page.get_by_label("Your reasons")).to_have_value("An earlier return broke down.")
    assert_accessible(page)
