"""The assessment service: drafts, show_when, completion, bad input and stale saves."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from app.models.accounts import Role
from app.models.assessment import AssessmentAnswer
from app.models.progress import SectionStatus
from app.services import progress, questions
from app.services.errors import Conflict, InvalidInput
from tests.factories import (
    make_adult,
    make_child,
    make_family,
    make_team,
    make_user,
    mark_identified,
)
from tests.support.assessment import CURRENT, actor, save

IDENTIFICATION = {
    "a.return-considered-reason": "Kim has been sober for eight months.",
    "a.identification-route": "parent-request",
    "a.unplanned-return-risk": "no",
    "a.return-to": "same-parent",
    "a.assessment-agreed-date-day": "3",
    "a.assessment-agreed-date-month": "2",
    "a.assessment-agreed-date-year": "2026",
    "a.assessment-agreed-by": "Sam Lee, team manager",
    "a.chronology-author": "Priya Shah",
}


@pytest.fixture
def people(db: Session):  # type: ignore[no-untyped-def]
    team = make_team(db)
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    family = make_family(db, team=team, allocated_to=practitioner)
    return practitioner, family


def answers(db: Session, family_id) -> dict[str, object]:  # type: ignore[no-untyped-def]
    rows = db.exec(select(AssessmentAnswer).where(col(AssessmentAnswer.family_id) == family_id))
    return {row.answer_key: row for row in rows}


def test_a_draft_saves_typed_values_and_marks_the_section_in_progress(db: Session, people) -> None:  # type: ignore[no-untyped-def]
    user, family = people
    result = save(db, user, family, "identification", {"a.identification-route": "court"})
    assert not result.completed
    saved = answers(db, family.id)
    assert saved["identification-route"].value_choice == "court"  # type: ignore[attr-defined]
    assert saved["identification-route"].content_version == CURRENT.version  # type: ignore[attr-defined]
    statuses = progress.section_statuses(db, family.id)
    assert statuses["identification"] is SectionStatus.IN_PROGRESS


def test_mark_as_complete_lists_what_is_missing_and_keeps_the_draft(db: Session, people) -> None:  # type: ignore[no-untyped-def]
    user, family = people
    result = save(db, user, family, "identification", {"a.return-to": "same-parent"}, complete=True)
    assert not result.completed
    missing = list(result.state.missing.values())
    assert "Enter an answer to ‘Who will write the analytical chronology?’" in missing
    # Optional since content 1.4.0: who raised a return and what changed are asked elsewhere.
    assert not any("Why is a return home" in message for message in missing)
    assert "return-to" in answers(db, family.id)
    result = save(db, user, family, "identification", IDENTIFICATION, complete=True)
    assert result.completed
    assert progress.section_statuses(db, family.id)["identification"] is SectionStatus.COMPLETED


def test_another_reason_asks_what_it_is(db: Session, people) -> None:  # type: ignore[no-untyped-def]
    user, family = people
    form = {**IDENTIFICATION, "a.identification-route": "other"}
    result = save(db, user, family, "identification", form, complete=True)
    assert not result.completed
    assert list(result.state.missing.values()) == ["Enter an answer to ‘What is the reason?’"]
    form["a.identification-route-other"] = "The child's guardian asked for it at the last hearing."
    assert save(db, user, family, "identification", form, complete=True).completed


def test_show_when_asks_the_follow_up_and_drops_it_when_hidden(db: Session, people) -> None:  # type: ignore[no-untyped-def]
    user, family = people
    form = {**IDENTIFICATION, "a.unplanned-return-risk": "yes"}
    result = save(db, user, family, "identification", form, complete=True)
    assert not result.completed
    assert any("What is the risk" in message for message in result.state.missing.values())
    form["a.unplanned-return-plan"] = "Foster carer will call if Amy leaves."
    assert save(db, user, family, "identification", form, complete=True).completed
    assert "unplanned-return-plan" in answers(db, family.id)
    form["a.unplanned-return-risk"] = "no"
    assert save(db, user, family, "identification", form, complete=True).completed
    assert "unplanned-return-plan" not in answers(db, family.id)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"a.no-such-question": "x"}, f"not in this section of version {CURRENT.version}"),
        ({"a.identification-route": "made-up"}, "Select one of the options given"),
        ({"a.unplanned-return-risk": "maybe"}, "Select yes or no"),
        (
            {
                "a.assessment-agreed-date-day": "31",
                "a.assessment-agreed-date-month": "2",
                "a.assessment-agreed-date-year": "2026",
            },
            "Enter a real date",
        ),
        ({"f.sm-r1.status": "present"}, "rates a factor that is not in this section"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(db: Session, people, form, message) -> None:  # type: ignore[no-untyped-def]
    user, family = people
    with pytest.raises(InvalidInput) as problem:
        save(db, user, family, "identification", {**IDENTIFICATION, **form})
    assert message in str(problem.value)
    assert answers(db, family.id) == {}
    assert questions.section_row(db, family.id, "identification") is None


def test_a_stale_form_changes_nothing(db: Session, people) -> None:  # type: ignore[no-untyped-def]
    user, family = people
    save(db, user, family, "identification", {"a.identification-route": "court"})
    with pytest.raises(Conflict):
        questions.save_section(
            db,
            actor=actor(user),
            family=family,
            content=CURRENT,
            section_id="identification",
            form={"a.identification-route": "other"},
            expected_version=0,
        )
    assert answers(db, family.id)["identification-route"].value_choice == "court"  # type: ignore[attr-defined]


def test_per_parent_repeating_items_and_per_child_answers(db: Session, people) -> None:  # type: ignore[no-untyped-def]
    user, family = people
    mark_identified(db, family)
    parent = make_adult(db, family, name="Kim")
    child = make_child(db, family, name="Amy")
    prefix = f"a.capacity[{parent.id}]"
    form = {
        f"{prefix}.accepts-concerns": "partly",
        f"items.capacity[{parent.id}].problem-areas": "item1",
        f"{prefix}.problem-areas[item1].problem-area": "substance-misuse",
        f"{prefix}.problem-areas[item1].readiness-stage": "action",
        f"{prefix}.problem-areas[item1].engaged-with-services": "yes",
        f"{prefix}.problem-areas[item1].change-evidence": "behaviour-changed",
        f"{prefix}.problem-areas[item1].behaviour-change-detail": "Clear tests since March.",
        f"{prefix}.problem-areas[item1].change-since-day": "1",
        f"{prefix}.problem-areas[item1].change-since-month": "3",
        f"{prefix}.problem-areas[item1].change-since-year": "2026",
        f"{prefix}.capacity-summary": "Real progress, still early.",
    }
    assert save(db, user, family, "capacity-to-change", form, complete=True).completed
    state = questions.section_state(db, family, CURRENT, "capacity-to-change")
    assert state.items == {f"capacity[{parent.id}].problem-areas": ["item1"]}
    assert state.values[f"{prefix}.problem-areas[item1].change-since-month"] == "3"
    kid = f"a.child-views[{child.id}]"
    result = save(
        db, user, family, "wishes-and-feelings", {f"{kid}.seen-alone": "no"}, complete=True
    )
    assert any(message.startswith("Amy: ") for message in result.state.missing.values())
    with pytest.raises(InvalidInput):
        save(
            db,
            user,
            family,
            "wishes-and-feelings",
            {"a.child-views[someone-else].seen-alone": "no"},
        )
