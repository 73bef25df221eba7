"""A trainer changes the framework in the browser: a draft from a published version, a factor
reworded and a question added through the forms, the YAML broken and fixed in the editor with
the error at its line, a preview of a domain page and the summary, the comparison, the
impact, and publication. A practitioner then moves a family to the new version, through a
second app process that was running all along, and answers the new question. axe checks every
trainer page.

The framework changed here is a council's own copy of the bundled one (its own id), so the
test never publishes a version of the bundled framework that other work may add.

With UPDATE_SCREENSHOTS=1 the pages are saved as the screenshots in docs/images/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from app.config import PROJECT_ROOT
from app.content.loader import load_version, read_version_dir
from app.content.model import FrameworkContent
from app.db import open_session
from app.models.accounts import Team, User
from app.models.content import ContentOrigin
from app.models.family import Family
from app.services.content_store import changed, publish_loaded
from tests.browser.conftest import LiveServer, open_context, sign_in
from tests.factories import make_adult, make_child, make_family
from tests.support.axe import assert_accessible

LOCAL = "council-return-home"
IMAGES = PROJECT_ROOT / "docs" / "images"
SHOTS = os.environ.get("UPDATE_SCREENSHOTS") == "1"


def shot(page: Page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=str(IMAGES / f"content-{name}.png"), full_page=False)


@pytest.fixture
def local_framework(live_server: LiveServer) -> FrameworkContent:
    """The council's own framework: the bundled 1.0.0 under its own id and title."""
    folder = PROJECT_ROOT / "framework_content" / "reunification" / "1.0.0"
    texts = {name: data.decode() for name, data in read_version_dir(folder).items()}
    texts["framework.yaml"] = (
        texts["framework.yaml"]
        .replace("id: reunification", f"id: {LOCAL}", 1)
        .replace(
            "title: Return home (reunification) practice framework",
            "title: Return home practice framework (our council's version)",
            1,
        )
    )
    content = load_version(texts, origin="local").content
    assert content is not None
    with open_session(live_server.engine) as session:
        publish_loaded(session, content, texts, origin=ContentOrigin.IMPORT, user_id=None)
        changed(session)
        session.commit()
    return content


@pytest.fixture
def family(
    live_server: LiveServer, accounts: dict[str, User], local_framework: FrameworkContent
) -> Family:
    with open_session(live_server.engine) as session:
        practitioner = session.get(User, accounts["practitioner"].id)
        assert practitioner is not None
        team = session.get(Team, practitioner.team_id)
        assert team is not None
        record = make_family(session, team=team, allocated_to=practitioner)
        record.framework_id = LOCAL
        record.framework_version = local_framework.version
        record.content_hash = local_framework.content_hash
        session.add(record)
        make_child(session, record, name="Robin Studio")
        make_adult(session, record, name="Lee Studio")
        session.commit()
        session.refresh(record)
        return record


@pytest.fixture
def second_server(live_server: LiveServer) -> Iterator[LiveServer]:
    """Another app process on the same database, started before anything is published."""
    server = LiveServer(live_server.data_dir, name="second-server")
    yield server
    server.stop()


def other_page(browser: Browser, server: LiveServer) -> Page:
    return open_context(browser, server.url).new_page()


def test_a_trainer_changes_publishes_and_a_family_moves(
    page: Page,
    browser: Browser,
    accounts: dict[str, User],
    family: Family,
    second_server: LiveServer,
) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, accounts["trainer"])
    page.get_by_role("link", name="Framework content").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Framework content")
    assert_accessible(page)
    shot(page, "index")

    # A draft from the council's 1.0.0.
    page.locator(f"#framework-{LOCAL} ~ table").first.get_by_role(
        "link", name="Version 1.0.0"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Version 1.0.0")
    assert_accessible(page)
    shot(page, "version")
    page.get_by_label("What is the draft for?").fill("Plainer words and an interpreter question")
    page.get_by_role("button", name="Start a draft").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Plainer words and an interpreter question"
    )
    assert_accessible(page)
    draft_url = page.url.split("?")[0]
    shot(page, "draft")

    # Reword a factor through its form.
    page.get_by_role("link", name="Change a factor's wording or guidance").click()
    assert_accessible(page)
    page.get_by_role(
        "link", name=re.compile(r"^The parent is still using alcohol or drugs")
    ).click()
    assert_accessible(page)
    page.get_by_label("Wording of the factor").fill(
        "A parent still uses alcohol or drugs in a way that harms how they care for the child"
    )
    shot(page, "factor-form")
    page.get_by_role("button", name="Save the change").click()
    expect(page.locator("#file-status [role=status]")).to_contain_text("Saved.")

    # Add a question through its form.
    page.goto(f"{draft_url}/changes/new-question")
    assert_accessible(page)
    page.get_by_label("Section").select_option(label="Assessment: Identification")
    page.get_by_label("Yes or no").check()
    page.get_by_label("Id").fill("interpreter-needed")
    page.get_by_label("The question").fill("Does the family need an interpreter?")
    page.get_by_role("button", name="Save the change").click()
    expect(page.locator("#file-status [role=status]")).to_contain_text("Saved.")

    # Break the YAML in the editor: the error is shown against its line, saved with htmx.
    page.goto(f"{draft_url}/files/levels.yaml")
    editor = page.get_by_label("Text of levels.yaml")
    original = editor.input_value()
    editor.fill(original.replace("    rank: 2\n", "    rank: [2\n", 1))
    page.get_by_role("button", name="Save the file").click()
    problem = page.locator(".hw-code__row--problem")
    expect(problem.first).to_contain_text("this is not valid YAML")
    line = problem.first.locator(".hw-code__number").inner_text()
    expect(page.locator("#file-status")).to_contain_text(f"Line {line}")
    assert_accessible(page)
    shot(page, "editor-problem")
    page.locator(f'a[data-hw-line="{line}"]').click()
    expect(editor).to_be_focused()
    editor.fill(original)
    page.get_by_role("button", name="Save the file").click()
    expect(page.locator("#file-status")).to_contain_text("No problems in this file")

    # Preview a domain page and the summary as a practitioner sees them.
    page.goto(draft_url)
    page.get_by_role("link", name="Preview the draft as a practitioner sees it").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text("on an invented family")
    assert_accessible(page)
    page.goto(f"{draft_url}/preview/sections/factors-substance-misuse")
    expect(
        page.get_by_role("group", name=re.compile("^A parent still uses alcohol"))
    ).to_be_visible()
    assert_accessible(page)
    shot(page, "preview-domain")
    page.goto(f"{draft_url}/preview/summary")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Summary")
    assert_accessible(page)

    # Compare with 1.0.0, and see which families it would affect.
    page.goto(draft_url)
    page.get_by_role("link", name=re.compile("Compare the draft with version 1.0.0")).click()
    expect(page.get_by_role("cell", name=re.compile("Question interpreter-needed"))).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("Factor sm-r1"))).to_be_visible()
    assert_accessible(page)
    shot(page, "compare")
    page.goto(f"{draft_url}/impact")
    expect(page.get_by_text("Families on this framework")).to_be_visible()
    assert_accessible(page)
    shot(page, "impact")

    # Publish as the number the change needs (a new minor version: a question was added).
    page.goto(f"{draft_url}/publish")
    number = page.get_by_label("Version number")
    expect(number).to_have_value("1.1.0")
    page.get_by_label("What changed").fill(
        "Plainer wording of the continuing substance misuse factor.\n"
        "A question on whether the family needs an interpreter."
    )
    assert_accessible(page)
    shot(page, "publish")
    page.get_by_role("button", name="Publish").click()
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "Version 1.1.0 of Return home practice framework (our council's version) is published"
    )
    assert_accessible(page)

    # The second process, running since before the publication, serves 1.1.0 at once.
    practitioner = other_page(browser, second_server)
    sign_in(practitioner, accounts["practitioner"])
    practitioner.goto(f"/families/{family.id}/version")
    expect(practitioner.get_by_role("heading", name="Version 1.1.0 is available")).to_be_visible()
    expect(practitioner.get_by_text("Does the family need an interpreter?").first).to_be_visible()
    assert_accessible(practitioner)
    practitioner.get_by_label(re.compile("I have read what changes")).check()
    practitioner.get_by_role("button", name="Move this family to version 1.1.0").click()
    practitioner.goto(f"/families/{family.id}/sections/identification")
    question = practitioner.get_by_role("group", name="Does the family need an interpreter?")
    question.get_by_label("Yes", exact=True).check()
    expect(practitioner.locator("#autosave-status")).to_contain_text("Draft saved")
    practitioner.reload()
    expect(
        practitioner.get_by_role("group", name="Does the family need an interpreter?").get_by_label(
            "Yes", exact=True
        )
    ).to_be_checked()
    practitioner.context.close()
