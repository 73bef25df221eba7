"""A family told through the journey's real services, for tests of the journey's services
and pages: the `story` fixture and the steps most tests begin with."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session

from app.demo.journey import Story
from app.models.accounts import Role
from app.timeutil import london_today
from tests.factories import (
    CONTENT,
    make_adult,
    make_child,
    make_entry,
    make_family,
    make_team,
    make_user,
)


@pytest.fixture
def story(db: Session) -> Story:
    team = make_team(db)
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    supervisor = make_user(db, roles=[Role.SUPERVISOR], team=team)
    family = make_family(db, team=team, allocated_to=practitioner)
    today = london_today()
    family.work_started_on = today - timedelta(weeks=60)
    entered = today - timedelta(weeks=80)
    make_child(db, family, name="Ann", entered_care=entered, born=date(2015, 2, 1))
    make_child(db, family, name="Ben", entered_care=entered, born=date(2018, 7, 1))
    make_adult(db, family, name="Cara")
    make_adult(db, family, name="Dev")
    make_entry(db, family, author=practitioner, occurred_on=today - timedelta(weeks=90))
    db.add(family)
    db.commit()
    return Story(
        session=db,
        family=family,
        content=CONTENT.get(family.framework_id, family.framework_version),
        practitioner=practitioner,
        supervisor=supervisor,
    )


def assessed(story: Story, weeks: float, option: str = "work-towards-return") -> None:
    with story.weeks_ago(weeks):
        story.assess()
        story.classify("classification-before-plan")
    with story.weeks_ago(weeks - 1):
        story.sign_off("classification-before-plan", option=option, comments="Well evidenced.")


def agreed(story: Story, weeks: float) -> None:
    with story.weeks_ago(weeks):
        story.fill("written-agreement")
        story.fill("child-view-of-agreement")
        story.decide("agreement-sign-off", "signed-off", "Clear goals.")
    with story.weeks_ago(weeks - 1):
        story.fill("support-plan")
        story.decide("support-plan-agreed", "agreed", "Services in place.")


def review_before_return(story: Story, weeks: float, option: str) -> None:
    with story.weeks_ago(weeks):
        story.review("amber", evidence="Seen at contact and reported by the service.")
        story.classify("classification-before-return")
        story.sign_off("classification-before-return")
        story.decide("review-decision", option, "Discussed at the review meeting.", held=True)
