"""Browser tests: a real uvicorn on a free loopback port, driven by Debian's Chromium through
Playwright, with axe-core checking every page the tests look at.

They skip with a clear message when Chromium is missing, unless REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine

from app.config import PLACEHOLDER_SECRET_KEY
from app.db import make_engine, migrate, open_session
from app.demo import load_demo
from app.models.accounts import Role, User
from tests.factories import CONTENT, DEFAULT_PASSWORD, make_team, make_user
from tests.support.axe import wait_until_ready, without_javascript
from tests.support.processes import free_port

REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
# Upper limits of waits, not waits: see open_context.
ACTION_TIMEOUT_MS = 90_000
STARTUP_LIMIT_SECONDS = 180
expect.set_options(timeout=45_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path):
            item.add_marker(pytest.mark.browser)


def find_chromium() -> str | None:
    return (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


class LiveServer:
    """A uvicorn process serving the app on its own migrated SQLite database."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        settings: dict[str, str] | None = None,
        name: str = "server",
    ) -> None:
        """`name` names the log; a second server on the same `data_dir` shares the database."""
        self.data_dir = data_dir
        self.name = name
        self.database_url = f"sqlite:///{data_dir / 'browser.sqlite3'}"
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.engine: Engine = make_engine(self.database_url)
        migrate(self.engine)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HOMEWARD_")}
        env.pop("DATABASE_URL", None)
        env.update(
            HOMEWARD_ENVIRONMENT="test",
            HOMEWARD_DATA_DIR=str(data_dir),
            HOMEWARD_DATABASE_URL=self.database_url,
            **(settings or {}),
        )
        self.log = (data_dir / f"{name}.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(self.port)],
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_until_ready()

    def _wait_until_ready(self) -> None:
        # A limit, not a wait: on a busy machine importing the app alone can take half a minute.
        deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"The server stopped: {self.logs()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        self.process.terminate()
        raise RuntimeError(
            f"The server did not start in {STARTUP_LIMIT_SECONDS} seconds: {self.logs()}"
        )

    def logs(self) -> str:
        self.log.flush()
        return (self.data_dir / f"{self.name}.log").read_text()[-4000:]

    def log_size(self) -> int:
        self.log.flush()
        return (self.data_dir / f"{self.name}.log").stat().st_size

    def log_since(self, offset: int) -> list[str]:
        """The log's lines written after `offset` (a log_size() taken earlier)."""
        self.log.flush()
        with (self.data_dir / f"{self.name}.log").open() as log:
            log.seek(offset)
            return log.read().splitlines()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
        self.log.close()
        self.engine.dispose()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    server = LiveServer(tmp_path_factory.mktemp("live"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def accounts(live_server: LiveServer) -> dict[str, User]:
    """One user per role in the live server's database; all use DEFAULT_PASSWORD."""
    with open_session(live_server.engine) as session:
        team = make_team(session, "Browser Team")
        users = {
            "practitioner": make_user(
                session,
                roles=[Role.PRACTITIONER],
                team=team,
                name="Pat Practitioner",
                email="practitioner@browser.test",
            ),
            "supervisor": make_user(
                session,
                roles=[Role.SUPERVISOR],
                team=team,
                name="Sue Supervisor",
                email="supervisor@browser.test",
            ),
            "trainer": make_user(
                session, roles=[Role.TRAINER], name="Tia Trainer", email="trainer@browser.test"
            ),
            "admin": make_user(
                session, roles=[Role.ADMIN], name="Adi Admin", email="admin@browser.test"
            ),
        }
        session.commit()
    return users


@pytest.fixture(scope="session")
def demo_data(live_server: LiveServer) -> None:
    """The invented demo data (families at every stage, one or more accounts per role),
    loaded once into the live server's database beside the browser team's."""
    with open_session(live_server.engine) as session:
        load_demo(session, CONTENT, secret_key=PLACEHOLDER_SECRET_KEY)
        session.commit()


# Where signing in lands: the caseload, the content pages (trainers), the reports (managers)
# or the home page (admins).
LANDED = re.compile(r"/(families|content|reports|home)(\?.*)?$")


def sign_in(page: Page, user: User) -> None:
    """Sign in through the real page, as a person would."""
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_label("Password", exact=True).fill(DEFAULT_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(LANDED)
    wait_until_ready(page)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_chromium()
    if path is None:
        message = "Chromium is not installed (apt-get install chromium); browser tests need it"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def open_context(browser: Browser, base_url: str, *, javascript: bool = True) -> BrowserContext:
    """A fresh browser context (axe-core is added to a page when it is checked).

    Tests wait for what the page says (its ready signal, an element, a URL), never for a
    fixed time; the limits below only decide when such a wait counts as failed, and are
    generous because a busy machine can take many seconds to answer."""
    context = browser.new_context(base_url=base_url, java_script_enabled=javascript)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    if not javascript:
        without_javascript(context)
    return context


@pytest.fixture
def page(browser, live_server: LiveServer):  # type: ignore[no-untyped-def]
    """A page in a fresh context (see open_context); any console error fails the test."""
    context = open_context(browser, live_server.url)
    new_page = context.new_page()
    console_errors: list[str] = []
    new_page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    new_page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield new_page
    context.close()
    # Pages that answer 403 or 404 on purpose log their status; anything else is a fault.
    faults = [e for e in console_errors if not re.search(r"status of 40[34]\b", e)]
    assert not faults, f"Browser console errors: {faults}"
