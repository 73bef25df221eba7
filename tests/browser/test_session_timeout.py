"""The GOV.UK-style warning before an idle session ends. The page's clock is driven by
Playwright, so the test need not wait 28 minutes."""

import re
from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlalchemy import update
from sqlmodel import col

from app.models.accounts import User, UserSession
from app.models.base import utcnow
from tests.browser.conftest import LiveServer, sign_in
from tests.support.axe import assert_accessible


def test_warning_appears_before_timeout_and_stay_signed_in_extends(
    page: Page, accounts: dict[str, User]
) -> None:
    page.clock.install()
    sign_in(page, accounts["practitioner"])
    dialog = page.get_by_role("dialog", name="You’re about to be signed out")
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("28:30")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("we will sign you out in")
    assert_accessible(page)
    page.get_by_role("button", name="Stay signed in").click()
    expect(dialog).to_be_hidden()
    page.clock.fast_forward("20:00")
    expect(dialog).to_be_hidden()


def test_page_leaves_for_sign_in_when_the_session_ends(
    page: Page, accounts: dict[str, User], live_server: LiveServer
) -> None:
    page.clock.install()
    user = accounts["supervisor"]
    sign_in(page, user)
    # The server's clock is real: age the session there as the page's clock runs on.
    with live_server.engine.begin() as connection:
        connection.execute(
            update(UserSession)
            .where(col(UserSession.user_id) == user.id)
            .values(last_seen_at=utcnow() - timedelta(minutes=31))
        )
    page.clock.fast_forward("30:30")
    expect(page).to_have_url(re.compile(r"/sign-in\?expired=1$"))
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "You were signed out because you had not used Homeward for a while"
    )
    assert_accessible(page)
