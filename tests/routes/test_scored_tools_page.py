"""The classification page shows each scored tool as the summary does (its level, score and
band, each item's points and the overrides), says when a tool is not completed, and keeps a
discretionary override within the levels the content allows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session

from app.content.model import FrameworkContent
from app.models.accounts import Role, User
from app.models.family import Family
from tests.factories import (
    make_child,
    make_family,
    make_return,
    make_team,
    make_user,
    post_form,
    sign_in_as,
)
from tests.support.assessment import mark_done, rate
from tests.support.client import CheckingClient, soup
from tests.support.content import move_to, publish_tiny_with_tools


@dataclass
class Page:
    practitioner: User
    family: Family
    content: FrameworkContent

    @property
    def url(self) -> str:
        return f"/families/{self.family.id}/classification/classify"


@pytest.fixture
def page(client: CheckingClient, db: Session, tmp_path: Path) -> Page:
    content = publish_tiny_with_tools(db, tmp_path / "tiny" / "1.0.0")
    team = make_team(db)
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    family = make_family(db, team=team, allocated_to=practitioner)
    move_to(db, family, content)
    sign_in_as(client, db, practitioner)
    return Page(practitioner, family, content)


def text(client: CheckingClient, url: str) -> str:
    return soup(client.get(url)).get_text(" ", strip=True)


def test_the_classification_page_shows_band_items_and_overrides(
    client: CheckingClient, db: Session, page: Page
) -> None:
    before = text(client, page.url)
    assert "Scored tool: Example structured tool: not completed" in before
    assert "no score or band until these items are answered: Alpha strength present." in before

    ratings = {"al-r1": "present", "al-r2": "absent", "al-p1": "present"}
    rate(db, page.practitioner, page.family, "factors-alpha", ratings, content=page.content)
    child = make_child(db, page.family, name="Lou")
    make_return(db, child)
    make_return(db, child)

    shown = text(client, page.url)
    summary = text(client, f"/families/{page.family.id}/summary")
    for words in (
        "Scored tool: Example structured tool: High",
        "Score 0, in the band Low. An override raises it to High.",
        "Alpha risks present: +1 (One) because",
        'Alpha strength present: -1 because the factor "First alpha strength" is present',
        "Override Two earlier breakdowns: Lou has had 2 earlier returns home that broke down",
        "Scored tool: Extra tool: Medium",
        "Score 1, in the band Some concern 1.",
    ):
        assert words in shown
        assert words in summary
    assert "example-tool" not in shown


def test_a_discretionary_override_beyond_the_allowed_levels_is_refused_on_the_page(
    client: CheckingClient, db: Session, page: Page
) -> None:
    absent = {"al-r1": "absent", "al-r2": "absent", "al-p1": "absent"}
    rate(db, page.practitioner, page.family, "factors-alpha", absent, content=page.content)
    waited_for = ("start", "history", "factors-alpha", "factors-beta")
    mark_done(db, page.practitioner, page.family, waited_for, page.content)

    assert "Example structured tool lets you move the level at most 1 level" in text(
        client, page.url
    )
    reason = "The family has a history the tool does not score."
    refused = post_form(
        client, page.url, {"level": "high", "rationale": reason, "latest": "", "review": "0"}
    )

    assert refused.status_code == 200
    summary = soup(refused).select_one(".govuk-error-summary")
    assert summary is not None
    assert (
        "Example structured tool lets you move the level at most 1 level from the suggested "
        "level (Low); choose Low or Medium"
    ) in summary.get_text(" ", strip=True)
    assert reason in refused.text
    accepted = post_form(
        client, page.url, {"level": "medium", "rationale": reason, "latest": "", "review": "0"}
    )
    assert accepted.status_code == 303
    shown = text(client, page.url)
    assert "Override: moved from the suggested level, for a supervisor to approve" in shown
