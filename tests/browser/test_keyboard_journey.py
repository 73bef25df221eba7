"""A practitioner who uses only the keyboard: signs in, finds the family from the navigation,
adds a chronology entry in place and completes the identification section of the assessment,
with Tab, the arrow keys, Space, Enter and typing only (no mouse, no clicks, no filling fields
from the test). Every step moves focus the way a keyboard user would, so a control that
cannot be reached, or focus lost after an htmx swap, fails the journey."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Page, expect

from app.db import open_session
from app.models.accounts import Team, User
from tests.browser.conftest import LANDED, LiveServer
from tests.factories import DEFAULT_PASSWORD, make_adult, make_child, make_family
from tests.support.axe import assert_accessible, wait_until_ready

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return {};
  const label = el.labels && el.labels.length
    ? el.labels[0].innerText.trim() : (el.getAttribute("aria-label") || "");
  const fieldset = el.closest("fieldset");
  const legend = fieldset && fieldset.querySelector("legend");
  return {
    tag: el.tagName.toLowerCase(),
    type: el.type || "",
    label: label,
    legend: legend ? legend.innerText.trim() : "",
    text: (el.innerText || "").trim(),
    checked: Boolean(el.checked),
    selected: el.tagName === "SELECT" ? el.options[el.selectedIndex].text.trim() : "",
  };
}"""
MOST_TABS = 150


def focused(page: Page) -> dict[str, Any]:
    return dict(page.evaluate(FOCUSED))


def tab_to(page: Page, **wanted: str) -> None:
    """Press Tab until the focused control has every `wanted` property (label, text,
    legend, type ...), or fail listing what focus passed through."""
    passed = []
    for _ in range(MOST_TABS):
        page.keyboard.press("Tab")
        now = focused(page)
        if all(now.get(key) == value for key, value in wanted.items()):
            return
        passed.append(now.get("label") or now.get("text") or now.get("tag"))
    raise AssertionError(f"Tab never reached {wanted}; focus went through {passed}")


def type_into(page: Page, text: str, **wanted: str) -> None:
    tab_to(page, **wanted)
    page.keyboard.type(text)


def choose(page: Page, legend: str, option: str) -> None:
    """Tab into a group of radio buttons, then move to the option with the arrow keys (which
    choose as they move, as for any keyboard user)."""
    tab_to(page, legend=legend, type="radio")
    for _ in range(12):
        now = focused(page)
        if now["label"] == option:
            if not now["checked"]:
                page.keyboard.press("Space")
            wait_until_ready(page)
            return
        page.keyboard.press("ArrowDown")
        wait_until_ready(page)
    raise AssertionError(f"No option {option!r} in {legend!r}")


def pick(page: Page, label: str, option: str) -> None:
    """Choose an option of a drop-down list with the arrow keys."""
    tab_to(page, label=label)
    for _ in range(40):
        if focused(page)["selected"] == option:
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"No option {option!r} in {label!r}")


def follow(page: Page, link: str) -> None:
    tab_to(page, tag="a", text=link)
    page.keyboard.press("Enter")
    wait_until_ready(page)


def test_a_keyboard_only_journey(
    page: Page, live_server: LiveServer, accounts: dict[str, User]
) -> None:
    practitioner = accounts["practitioner"]
    with open_session(live_server.engine) as session:
        team = session.get(Team, practitioner.team_id)
        assert team is not None
        user = session.get(User, practitioner.id)
        family = make_family(
            session, team=team, allocated_to=user, display_name="Keyes family", reference="KEY-1"
        )
        make_child(session, family, name="Amy Keyes")
        make_adult(session, family, name="Kim Keyes")
        session.commit()
        family_id = family.id

    page.goto("/sign-in")
    wait_until_ready(page)
    type_into(page, practitioner.email, label="Email address")
    type_into(page, DEFAULT_PASSWORD, label="Password")
    page.keyboard.press("Enter")
    page.wait_for_url(LANDED)
    wait_until_ready(page)

    follow(page, "Families")
    follow(page, "Keyes family")
    expect(page).to_have_url(re.compile(f"/families/{family_id}$"))
    # Entries can be added to the chronology once Identification is complete, so it comes first.
    follow(page, "Identification")
    expect(page.get_by_role("heading", level=1)).to_have_text("Identification")
    choose(
        page,
        "How did the possibility of a return come about?",
        "A parent asked for the child to come home",
    )
    type_into(
        page,
        "The court hearing is in eight weeks.",
        label="Why is a return home being considered now? (optional)",
    )
    choose(page, "Is there a risk the child goes home before the assessment is finished?", "Yes")
    # The follow-up question appeared (htmx) right after the group, where Tab goes next.
    type_into(
        page,
        "Amy says she will go home anyway; her carers will call straight away.",
        label="What is the risk, and how will it be managed?",
    )
    choose(
        page, "Who would the child return to?", "The parent or parents they lived with before care"
    )
    legend = "Date the manager agreed to start a return-home assessment"
    type_into(page, "3", label="Day", legend=legend)
    type_into(page, "11", label="Month", legend=legend)
    type_into(page, "2026", label="Year", legend=legend)
    # Staff are picked from lists: typing a name chooses it, as in any list.
    type_into(page, "Sue Supervisor", label="Name and role of the manager who agreed")
    type_into(page, "Pat Practitioner", label="Who will write the analytical chronology?")
    tab_to(page, text="Mark as complete")
    page.keyboard.press("Enter")
    wait_until_ready(page)
    problems = page.locator(".govuk-error-summary")
    assert problems.count() == 0, problems.inner_text()

    # The next task opened, saying so (the success banner takes focus): the chronology, empty,
    # with its first entry's form already open, where Tab goes next.
    expect(page.locator(".govuk-notification-banner")).to_contain_text(
        "‘Identification’ is marked as complete"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Chronology")
    expect(page.get_by_role("heading", name="Add an entry", exact=True)).to_be_visible()
    type_into(page, "14", label="Day", legend="Date of the event")
    type_into(page, "2", label="Month", legend="Date of the event")
    type_into(page, "2024", label="Year", legend="Date of the event")
    pick(page, "Where the information came from", "Police")
    type_into(page, "Neighbour heard shouting; police attended", label="What happened")
    tab_to(page, label="Amy Keyes", type="checkbox")
    page.keyboard.press("Space")
    choose(page, "How significant is it?", "Red, serious")
    tab_to(page, text="Save entry")
    page.keyboard.press("Enter")
    wait_until_ready(page)
    expect(page.locator("#chronology-workspace .govuk-notification-banner")).to_contain_text(
        "Entry added"
    )
    expect(page.locator(".hw-chronology-table tbody")).to_contain_text("14 February 2024")
    assert_accessible(page)

    # "Add an entry" is a link styled as a button: Enter opens the form in place and focus
    # moves to its heading.
    tab_to(page, text="Add an entry")
    page.keyboard.press("Enter")
    wait_until_ready(page)
    expect(page.get_by_role("heading", name="Add an entry", exact=True)).to_be_focused()

    # The banner still leads back to the task list.
    tab_to(page, text="Back to the task list")
    page.keyboard.press("Enter")
    wait_until_ready(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Overview")
    task = page.locator(".govuk-task-list__item", has_text="Identification")
    expect(task).to_contain_text("Completed")
    assert_accessible(page)
