"""The accessibility sweep: for each role, a demo account signs in and follows every link it
is shown, from the navigation down through every page it can reach in the demo data, and axe
checks each page (WCAG 2.2 A and AA). Pages are found by following links, not listed here, so
a page added later is swept without a change to this test. Each page's words are checked
too: no content id (a factor's, rule's or source's) where people read, and no link text that
leads to two different places.

Every link shown must also work for the person it is shown to: a link that answers anything
but a page (an error, a 403 for a link the role was given) is reported with the page it was
on. One page of each kind is checked per role, a kind being the app's route that serves the
address (so the 119 factors' evidence pages are one kind, and a route added later is a new
kind), and every family's overview, since families at different stages show different things
there, and every report.

Pages that are only read must write nothing but their audit entries: the server's log may not
say that a GET wrote during its reads (app.db.READS_FIRST). Each role must reach the pages of
the journey its demo families are at (decisions, reviews, going home, visits, outcomes).

With UPDATE_SCREENSHOTS=1 the manager's sweep saves the stability report's page as the reports
guide's screenshot (docs/images/reports-stability.png).
"""

from __future__ import annotations

import os
import re
from collections import deque
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import pytest
from fastapi.routing import iter_route_contexts
from playwright.sync_api import Browser, Page
from sqlmodel import Session, col, select
from starlette.routing import compile_path

from app.config import PROJECT_ROOT
from app.demo.accounts import DEMO_ACCOUNTS, DemoAccount
from app.main import create_app
from app.models.accounts import Role
from app.models.family import Family
from tests.browser.conftest import LANDED, LiveServer, open_context
from tests.conftest import test_settings
from tests.support.assessment import CURRENT
from tests.support.axe import axe_violations, wait_until_ready

# Routes whose every page is swept: each family's overview, and each report (charts and
# tables differ from one to the next).
EVERY_ONE = {"/families/{family_id}", "/reports/{report}"}
# Links that are not pages to sweep: files to download, the JSON API, static assets.
NOT_PAGES = re.compile(r"^/(static|api)/|\.[a-z]{2,5}$|/export")
IMAGES = PROJECT_ROOT / "docs" / "images"
SHOTS = os.environ.get("UPDATE_SCREENSHOTS") == "1"
# One demo account per role (the first listed), so a role added later is swept too.
ROLES: dict[str, DemoAccount] = {}
for account in DEMO_ACCOUNTS:
    for role in sorted(account.roles):
        ROLES.setdefault(role.value, account)


# Kinds of page each role must reach in the demo data: the journey after the first decision,
# and the administrators' service accounts.
MUST_REACH = {
    Role.PRACTITIONER.value: {
        "/families/{family_id}/reviews",
        "/families/{family_id}/going-home",
        "/families/{family_id}/visits",
        "/families/{family_id}/outcomes",
    },
    Role.SUPERVISOR.value: {"/families/{family_id}/decisions/{gate_id}"},
    Role.ADMIN.value: {"/admin/service-accounts/{account_id}"},
}

Route = tuple[re.Pattern[str], str]


@pytest.fixture(scope="module")
def page_routes(live_server: LiveServer) -> list[Route]:
    """The app's GET routes in the order it matches them, each as (pattern, template)."""
    application = create_app(test_settings(live_server.database_url, live_server.data_dir))
    return [
        (compile_path(context.path)[0], context.path)
        for context in iter_route_contexts(application.routes)
        if context.methods and "GET" in context.methods
    ]


def route_of(routes: list[Route], path: str) -> str:
    """The route that serves `path` (its template, such as /families/{family_id})."""
    return next((template for pattern, template in routes if pattern.match(path)), path)


@dataclass
class Sweep:
    base: str
    routes: list[Route]
    pages: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    kinds: set[str] = field(default_factory=set)

    def wanted(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.netloc and f"{parts.scheme}://{parts.netloc}" != self.base:
            return False
        if not parts.path.startswith("/") or NOT_PAGES.search(parts.path):
            return False
        kind = route_of(self.routes, parts.path)
        if kind in self.kinds and kind not in EVERY_ONE:
            return False
        self.kinds.add(kind)
        return True


def links_on(page: Page) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    return [str(href).split("#", 1)[0] for href in hrefs if href and not href.startswith("#")]


def sweep(page: Page, base: str, routes: list[Route], *, shots: bool = False) -> Sweep:
    """Visit every page reachable by links from the home page, breadth first (with `shots`,
    saving the guide's screenshot on the way)."""
    result = Sweep(base=base, routes=routes)
    queue: deque[tuple[str, str]] = deque([("/home", "signing in")])
    result.wanted(base + "/home")
    seen_urls: set[str] = set()
    while queue:
        path, found_on = queue.popleft()
        if path in seen_urls:
            continue
        seen_urls.add(path)
        response = page.goto(path)
        status = response.status if response else 0
        sent_to_sign_in = urlsplit(page.url).path == "/sign-in" and not path.startswith("/sign-in")
        if status != 200 or sent_to_sign_in:
            result.problems.append(f"{path} (linked from {found_on}) answered {status}")
            continue
        wait_until_ready(page)
        result.pages.append(path)
        if shots and urlsplit(path).path == "/reports/stability":
            page.screenshot(path=str(IMAGES / "reports-stability.png"), full_page=True)
        for violation in axe_violations(page):
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
            result.problems.append(f"{path}: {violation['id']}: {violation['help']} ({targets})")
        result.problems += [f"{path}: {problem}" for problem in wording_problems(page, path)]
        for href in links_on(page):
            url = urljoin(base + path, href)
            if result.wanted(url):
                parts = urlsplit(url)
                queue.append((parts.path + (f"?{parts.query}" if parts.query else ""), path))
    return result


# The content's own identifiers (factors, rules, tools, sources): people read factors, rules
# and sources by their words, never by these. The audit trail's details record the raw
# changes, and the content pages are where trainers write those ids: both are left out.
CONTENT_IDS = re.compile(
    r"(?<![\w/-])("
    + "|".join(
        re.escape(item)
        for item in sorted(
            {
                *CURRENT.factors,
                *(rule.id for rule in CURRENT.rules.minimum_levels),
                *(rule.id for rule in CURRENT.rules.step_downs),
                *(rule.id for rule in CURRENT.rules.cautions),
                *(tool.id for tool in CURRENT.rules.scored_tools),
                *(source.id for source in CURRENT.sources),
            },
            key=len,
            reverse=True,
        )
        if "-" in item
    )
    + r")(?![\w/-])"
)
IDS_SHOWN = re.compile(r"^/content|/(access-log|audit)(\?|$)")
# Links named the same must go to the same place (WCAG 2.4.4): "Change", "View" and the like
# carry visually hidden words saying which.
SAME_NAME_LINKS = """() => {
  const places = new Map();
  for (const link of document.querySelectorAll("main a[href]")) {
    const name = link.textContent.replace(/\\s+/g, " ").trim();
    const href = new URL(link.getAttribute("href"), location.href);
    href.hash = "";
    (places.get(name) || places.set(name, new Set()).get(name)).add(href.href);
  }
  return [...places].filter(([, hrefs]) => hrefs.size > 1).map(([name]) => name);
}"""


def wording_problems(page: Page, path: str) -> list[str]:
    """Content ids in the page's words or its tab title, and links whose words repeat."""
    problems = [
        f'the link text "{name}" leads to different places'
        for name in page.evaluate(SAME_NAME_LINKS)
    ]
    if not IDS_SHOWN.search(path):
        text = page.title() + "\n" + page.inner_text("main")
        problems += [
            f'shows the content id "{found}"' for found in sorted(set(CONTENT_IDS.findall(text)))
        ]
    return problems


def sign_in_as(page: Page, account: DemoAccount) -> None:
    page.goto("/sign-in")
    page.get_by_label("Email address").fill(account.email)
    page.get_by_label("Password", exact=True).fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(LANDED)
    wait_until_ready(page)


def classification_shot(page: Page, live_server: LiveServer) -> None:
    """The assessment guide's picture of a level lowered by lasting change (the demo's Okoro
    family, whose practitioner is the first practitioner)."""
    with Session(live_server.engine) as session:
        family_id = session.exec(
            select(Family.id).where(col(Family.reference_key) == "RIV-2025-102")
        ).one()
    page.goto(f"/families/{family_id}/classification/classification-before-plan")
    wait_until_ready(page)
    # The top of the page: the suggestion, what lowered it and the rules that fired.
    width = page.viewport_size["width"] if page.viewport_size else 1280
    page.screenshot(
        path=str(IMAGES / "assessment-classification-lowered.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": width, "height": 2100},
    )


@pytest.mark.parametrize("role", sorted(ROLES))
def test_every_page_a_role_can_reach_is_accessible(
    browser: Browser, live_server: LiveServer, demo_data: None, page_routes: list[Route], role: str
) -> None:
    log_start = live_server.log_size()
    context = open_context(browser, live_server.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in_as(page, ROLES[role])
        result = sweep(
            page, live_server.url, page_routes, shots=SHOTS and role == Role.MANAGER.value
        )
        if SHOTS and role == Role.PRACTITIONER.value:
            classification_shot(page, live_server)
    finally:
        context.close()
    print(f"{role}: {len(result.pages)} pages of {len(result.kinds)} kinds swept")
    assert len(result.pages) > 1, "the sweep found no pages beyond the home page"
    assert not errors, f"Script errors: {errors}"
    assert MUST_REACH.get(role, set()) <= result.kinds, MUST_REACH.get(role, set()) - result.kinds
    log = live_server.log_since(log_start)
    written = [line for line in log if "wrote during its reads" in line]
    assert not written, written
    assert not result.problems, "\n".join(
        [f"{len(result.problems)} problem(s) for {role}:", *result.problems]
    )
