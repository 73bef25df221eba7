"""Signing in through a real identity provider, and two-factor sign-in for a local account,
in a real browser; axe checks every new page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import Page, expect

from app.db import open_session
from app.models.accounts import Role, User
from app.models.base import utcnow
from tests.browser.conftest import LANDED, LiveServer, free_port, open_context
from tests.factories import DEFAULT_PASSWORD, make_team, make_user
from tests.support.axe import assert_accessible
from tests.support.oidc import IdentityProvider


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, IdentityProvider]]:
    """Homeward signing in through the test provider; supervisors need two-factor sign-in."""
    port = free_port()
    app_url = f"http://127.0.0.1:{port}"
    provider = IdentityProvider(
        app_urls=[app_url],
        accounts=[
            {
                "sub": "bea-at-the-provider",
                "claims": {"email": "bea@browser.test", "email_verified": True, "name": "Bea"},
            }
        ],
        log=tmp_path_factory.mktemp("oidc-browser") / "provider.log",
    )
    settings = {
        f"HOMEWARD_{key.upper()}": str(value) for key, value in provider.settings(app_url).items()
    }
    server = LiveServer(
        tmp_path_factory.mktemp("live-identity"),
        port=port,
        settings={**settings, "HOMEWARD_TWO_FACTOR_ROLES": "supervisor"},
    )
    yield server, provider
    server.stop()
    provider.stop()


@pytest.fixture(scope="module")
def people(servers: tuple[LiveServer, IdentityProvider]) -> dict[str, User]:
    server, _ = servers
    with open_session(server.engine) as session:
        team = make_team(session, "Identity Team")
        users = {
            "bea": make_user(
                session,
                roles=[Role.PRACTITIONER],
                team=team,
                name="Bea Bright",
                email="bea@browser.test",
            ),
            "sid": make_user(
                session,
                roles=[Role.SUPERVISOR],
                team=team,
                name="Sid Strict",
                email="sid@browser.test",
            ),
            "ada": make_user(
                session, roles=[Role.ADMIN], name="Ada Admin", email="ada@browser.test"
            ),
        }
        session.commit()
    return users


@pytest.fixture
def browser_page(browser, servers: tuple[LiveServer, IdentityProvider]) -> Iterator[Page]:  # type: ignore[no-untyped-def]
    """A page on this module's server (the shared `page` fixture is on another)."""
    server, _ = servers
    context = open_context(browser, server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    # Refusals answer 400, 403 or 404 on purpose.
    faults = [e for e in errors if not re.search(r"status of 40[034]\b", e)]
    assert not faults, f"Browser console errors: {faults}"


def test_sign_in_and_out_through_the_identity_provider(
    browser_page: Page, people: dict[str, User]
) -> None:
    page = browser_page
    page.goto("/sign-in")
    assert_accessible(page)
    page.get_by_role("button", name="Sign in with the test identity provider").click()
    expect(heading(page)).to_have_text("Sign in to the test identity provider")
    page.get_by_label("Username").fill("bea-at-the-provider")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(LANDED)
    # Signed in, a practitioner lands on their own caseload, their name in the header.
    expect(heading(page)).to_have_text("My families")
    page.locator(".govuk-service-navigation a[href='/account']", has_text="Bea Bright").click()
    expect(heading(page)).to_have_text("How you sign in")
    expect(page.locator("main")).to_contain_text("You signed in with the test identity provider")
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    expect(heading(page)).to_have_text("Sign out of the test identity provider")
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url("**/signed-out*")
    expect(heading(page)).to_have_text("You have signed out")
    # A return from the provider that belongs to no sign-in started here is refused.
    page.goto("/sign-in/provider/callback?code=forged&state=forged")
    expect(heading(page)).to_have_text("You have not been signed in")
    assert_accessible(page)


def heading(page: Page):  # type: ignore[no-untyped-def]
    return page.get_by_role("heading", level=1)


def _code(key: str, ahead: int = 0) -> str:
    totp = pyotp.TOTP(key)
    return totp.generate_otp(totp.timecode(utcnow()) + ahead)


def test_a_supervisor_sets_up_and_uses_a_one_time_code(
    browser_page: Page, people: dict[str, User]
) -> None:
    page = browser_page
    page.goto("/sign-in")
    page.get_by_label("Email address").fill("sid@browser.test")
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(heading(page)).to_have_text("Set up two-factor sign-in")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(page)
    key = page.locator("#set-up-key").inner_text().replace(" ", "")
    page.get_by_label("Code from your authenticator app").fill("000000")
    page.get_by_role("button", name="Check the code").click()
    expect(page.locator(".govuk-error-summary")).to_be_focused()
    assert_accessible(page)
    page.get_by_label("Code from your authenticator app").fill(_code(key))
    page.get_by_role("button", name="Check the code").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("button", name="I have kept my recovery codes: continue").click()
    page.wait_for_url(LANDED)
    page.get_by_role("button", name=re.compile("^Sign out")).click()
    page.wait_for_url("**/signed-out")

    page.goto("/sign-in")
    page.get_by_label("Email address").fill("sid@browser.test")
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(heading(page)).to_have_text("Enter the code from your authenticator app")
    assert_accessible(page)
    # The code used at set-up works once; the app's next code is accepted (a clock a little
    # ahead is allowed for).
    page.get_by_label("Enter the code from your authenticator app").fill(_code(key, ahead=1))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(LANDED)
    expect(heading(page)).to_have_text("Team families")
    page.goto("/account")
    expect(page.locator("main")).to_contain_text("10 of 10")
    assert_accessible(page)


def test_the_administrators_new_pages_are_accessible(
    browser_page: Page, people: dict[str, User]
) -> None:
    page = browser_page
    page.goto("/sign-in")
    page.get_by_label("Email address").fill("ada@browser.test")
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(LANDED)
    page.get_by_role("link", name="Role changes").first.click()
    expect(heading(page)).to_have_text("Role changes")
    assert_accessible(page)
    page.get_by_role("link", name="Audit trail").first.click()
    expect(heading(page)).to_have_text("Audit trail")
    assert_accessible(page)
    page.goto(f"/admin/users/{people['ada'].id}")
    expect(page.locator("main")).to_contain_text("You cannot change your own roles or team")
    assert_accessible(page)
    page.goto("/account/two-factor")
    expect(heading(page)).to_have_text("Set up an authenticator app")
    assert_accessible(page)
