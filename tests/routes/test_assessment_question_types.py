"""Every question type of the content schema, rendered with its GOV.UK component and saved
as a typed value, using the small test framework (tests/content/fixtures/good/tiny)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from app.content.registry import load_registry
from app.models.accounts import Role
from app.models.assessment import AssessmentAnswer
from app.models.family import Family
from tests.content.broken_cases import TINY_DIR
from tests.factories import (
    make_adult,
    make_child,
    make_family,
    make_team,
    make_user,
    post_form,
    sign_in_as,
)
from tests.support.client import CheckingClient, soup
from tests.support.content import publish_folder

TINY = load_registry(Path(__file__).resolve().parent.parent / "content" / "fixtures" / "good")


@pytest.fixture
def tiny_app(db: Session) -> None:
    """The tiny fixture framework published in the test's database, beside the bundled one."""
    publish_folder(db, TINY_DIR)


@pytest.fixture
def setup(db: Session, tiny_app: None):  # type: ignore[no-untyped-def]
    team = make_team(db)
    user = make_user(db, roles=[Role.PRACTITIONER], team=team)
    family = make_family(db, team=team, allocated_to=user)
    content = TINY.get("tiny", "1.0.0")
    family.framework_id, family.framework_version = content.id, content.version
    family.content_hash = content.content_hash
    db.add(family)
    make_child(db, family, name="Amy")
    make_adult(db, family, name="Kim")
    db.flush()
    return user, family


def saved(db: Session, family: Family) -> dict[str, AssessmentAnswer]:
    rows = db.exec(select(AssessmentAnswer).where(col(AssessmentAnswer.family_id) == family.id))
    return {row.question_id: row for row in rows}


def test_each_question_type_has_its_component(client: CheckingClient, db: Session, setup) -> None:  # type: ignore[no-untyped-def]
    user, family = setup
    sign_in_as(client, db, user)
    page = soup(client.get(f"/families/{family.id}/sections/start"))
    form = page.select_one("form#section-form")
    assert form is not None
    assert form.select_one("textarea[name='a.reason']") is not None  # long text
    assert form.select_one(".govuk-character-count") is not None
    assert len(form.select("input[type=radio][name='a.planned']")) == 2  # yes or no
    assert len(form.select("input[type=checkbox][name='a.supports']")) == 3  # multiple choice
    assert [i["value"] for i in form.select("input[name='a.contact-quality']")] == list("12345")
    assert [i["value"] for i in form.select("input[name='a.warmth']")] == ["0", "1", "2"]
    assert form.select_one("input[name='a.first-contact-year']") is not None  # date
    assert form.select("input[type=checkbox][name='a.alpha-check']")  # factor checklist
    assert form.select_one("input[name^='a.child-views['][type=radio]") is not None  # per child
    assert form.select_one("button[value='add:goals']") is not None  # repeating
    # show_when hides the follow-up until "planned" is yes.
    assert form.select_one("input[name='a.plan-notes']") is None


def test_each_question_type_is_saved_as_a_typed_value(
    client: CheckingClient, db: Session, setup
) -> None:  # type: ignore[no-untyped-def]
    user, family = setup
    sign_in_as(client, db, user)
    alpha = soup(client.get(f"/families/{family.id}/sections/start")).select_one(
        "input[name='a.alpha-check']"
    )
    assert alpha is not None
    form = {
        "version": "0",
        "a.reason": "Mum is well",
        "a.planned": "yes",
        "a.plan-notes": "Weekends first",
        "a.supports": ["family", "school"],
        "a.contact-quality": "4",
        "a.warmth": "2",
        "a.first-contact-day": "2",
        "a.first-contact-month": "1",
        "a.first-contact-year": "2026",
        "a.alpha-check": str(alpha["value"]),
        "items.goals": "g1",
        "a.goals[g1].goal-title": "Stay sober",
    }
    assert post_form(client, f"/families/{family.id}/sections/start", form).status_code == 303
    rows = saved(db, family)
    assert rows["reason"].value_text == "Mum is well"
    assert rows["planned"].value_bool is True
    assert rows["plan-notes"].value_text == "Weekends first"
    assert rows["supports"].value_choices == ["family", "school"]
    assert rows["contact-quality"].value_number == 4
    assert rows["warmth"].value_number == 2
    assert rows["first-contact"].value_date == date(2026, 1, 2)
    assert rows["alpha-check"].value_choices == [alpha["value"]]
    assert rows["goal-title"].answer_key == "goals[g1].goal-title"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("a.contact-quality", "9", "Select one of the options given"),
        ("a.supports", "pets", "Select only the options given"),
        ("a.alpha-check", "not-a-factor", "Select only the options given"),
        ("a.first-contact-year", "2999", "must be today or in the past"),
    ],
)
def test_values_outside_a_question_are_refused(
    client: CheckingClient, db: Session, setup, field: str, value: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    user, family = setup
    sign_in_as(client, db, user)
    form = {
        "version": "0",
        "a.first-contact-day": "2",
        "a.first-contact-month": "1",
        "a.first-contact-year": "2026",
        field: value,
    }
    response = post_form(client, f"/families/{family.id}/sections/start", form)
    assert response.status_code == 200
    assert message in response.text
    assert saved(db, family) == {}
