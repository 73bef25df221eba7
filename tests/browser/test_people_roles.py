"""A family with a parent outside the household and a new partner (a copy of the demo's Harper
family): the practitioner completes the assessment's per-person sections and the
classification. Only the mother at home is asked the carer's questions; the father outside is
asked his view; the partner is asked neither; every reason names the person it is about. axe
checks each page.

Sections that ask nothing per person are answered through the services first, as the demo
does, so the browser drives only what this test is about."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from app.db import open_session
from app.demo.assessment import fill_section, form_sections
from app.demo.families import DEMO_FAMILIES, add_demo_family
from app.models.accounts import User
from app.models.family import Family
from app.services import chronology, families, questions
from app.services.audit import Actor
from tests.browser.conftest import LiveServer, sign_in
from tests.browser.test_assessment import (
    choose,
    fill_date,
    making_changes,
    mark_complete,
    open_task,
)
from tests.factories import CONTENT
from tests.support.axe import assert_accessible

HARPER = next(demo for demo in DEMO_FAMILIES if demo.reference == "RIV-2026-014")
# Only substance misuse: one problem area for Kim to answer.
PRESENT = {"sm-r3", "sm-p2", "en-p1", "fn-p1"}
BY_BROWSER = {"capacity-to-change", "views"}


@pytest.fixture
def family(live_server: LiveServer, accounts: dict[str, User]) -> Family:
    """The Harper family (Kim at home, her partner Dean Walsh at home, the children's father
    Martin Harper elsewhere) allocated to the browser team's practitioner, with every section
    but the per-person ones answered and Dean's moving in recorded in the chronology."""
    with open_session(live_server.engine) as session:
        practitioner = session.get(User, accounts["practitioner"].id)
        assert practitioner is not None
        record = add_demo_family(
            session, CONTENT, replace(HARPER, reference="BRW-HARPER-ROLES"), practitioner
        )
        content = families.content_for(CONTENT, record)
        actor = Actor(user=practitioner, request_id="test", path="/test")
        for section_id in form_sections(content):
            if section_id not in BY_BROWSER:
                fill_section(
                    session, actor, record, content, section_id, complete=True, present=PRESENT
                )
        chronology.add_entry(
            session,
            actor=actor,
            family=record,
            content=content,
            details=chronology.EntryDetails(
                occurred_on=date.today() - timedelta(days=60),
                date_precision="month",
                source_id="family",
                what_happened="Kim says her partner has moved back in",
                significance="amber",
                theme_ids=("new-adult",),
            ),
        )
        questions.complete_chronology_section(
            session, actor=actor, family=record, content=content, section_id="chronology"
        )
        session.commit()
        session.refresh(record)
        return record


def people_asked(page: Page) -> list[str]:
    """The people a per-person group asks about, by their headings."""
    return [text.strip() for text in page.locator(".hw-instance > h3").all_inner_texts()]


def capacity(page: Page, family: Family) -> None:
    open_task(page, family, "Parents' capacity to change")
    # The carer's questions: Kim only (the problem area's heading is a level lower).
    assert people_asked(page) == ["Kim Harper"]
    expect(page.locator("main")).not_to_contain_text("Dean Walsh")
    expect(page.locator("main")).not_to_contain_text("Martin Harper")
    making_changes(page, "Parental substance misuse")
    page.get_by_label("What has changed, and who has seen it?").fill(
        "Clear tests every month since the spring, confirmed by the recovery service."
    )
    fill_date(page, "When did this change begin?", date.today() - timedelta(days=150))
    page.get_by_label("Summary of this parent's capacity to change").fill(
        "Five months of change; it needs to last longer."
    )
    assert_accessible(page)
    mark_complete(page)


def views(page: Page, family: Family) -> None:
    open_task(page, family, "Views of parents, carers and professionals")
    # Parents' views: both parents, at home or not; Dean is not a parent of the children.
    parents = page.locator(".hw-group", has=page.get_by_role("heading", name="Parents' views"))
    expect(parents.locator(".hw-instance > h3")).to_have_text(["Kim Harper", "Martin Harper"])
    expect(page.locator("main")).not_to_contain_text("Dean Walsh")
    for parent, answer, view in (
        ("Kim Harper", "Yes, clearly", "Wants the children home and accepts why they left."),
        ("Martin Harper", "Unsure or mixed feelings", "Not sure Kim can keep it up."),
    ):
        instance = parents.locator(".hw-instance", has=page.get_by_role("heading", name=parent))
        instance.get_by_role(
            "group", name="Does this parent want the child to come home?"
        ).get_by_label(answer, exact=True).check()
        instance.get_by_label(
            "What does this parent think about the return and about the concerns?"
        ).fill(view)
    # The professionals come from family details; only their views are typed.
    for box in page.get_by_label("Their view").all():
        box.fill("Supports a gradual return once the change has lasted.")
    assert_accessible(page)
    mark_complete(page)


def test_only_the_carer_is_asked_the_carers_questions_and_every_reason_names_its_person(
    page: Page, accounts: dict[str, User], family: Family
) -> None:
    sign_in(page, accounts["practitioner"])
    capacity(page, family)
    views(page, family)

    open_task(page, family, "Risk classification 1")
    expect(page.get_by_role("heading", name="Suggested level")).to_be_visible()
    findings = {
        title.strip(): finding
        for finding in page.locator(".hw-finding").all()
        for title in [finding.locator("h4").inner_text()]
    }
    about = {
        "Change not yet lasting": "Kim Harper",
        "Parental ambivalence": "Martin Harper",
        "A new adult in the household not assessed": None,
        "The child is over 10": "Amy Harper",
    }
    for title, person in about.items():
        shown = next(
            (finding for name, finding in findings.items() if name.startswith(title)), None
        )
        assert shown is not None, f"{title!r} is not shown; shown: {sorted(findings)}"
        reasons = shown.locator(":scope > ul > li").all_inner_texts()
        assert reasons, f"{title!r} gives no reason"
        if person:
            assert all(person in reason for reason in reasons), reasons
    # Neither the partner nor the father outside was asked whether they are changing.
    main = page.locator("main")
    expect(main).not_to_contain_text("Dean Walsh")
    expect(main).not_to_contain_text(re.compile("not yet considering change", re.IGNORECASE))
    assert_accessible(page)

    choose(page, "What level do you recommend?", "Medium")
    page.get_by_role("button", name="Submit for sign-off").click()
    expect(main).to_contain_text("Waiting for a supervisor's sign-off")
    assert_accessible(page)
