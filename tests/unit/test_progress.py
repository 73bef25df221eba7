"""The task list computed from content and recorded progress (no database): what can start,
what a decision's option does to what follows, and which sections each review holds."""

from __future__ import annotations

import uuid
from datetime import date

from app.content.journey import Effect, Phase, shape
from app.models.family import Family
from app.models.journey import ReviewCycle
from app.models.progress import GateDecision, SectionStatus
from app.services.progress import State, journey
from tests.factories import CONTENT

V1 = CONTENT.get("reunification", "1.0.0")
V11 = CONTENT.get("reunification", "1.1.0")
ASSESSMENT = [section.id for section in V11.stage("assessment").sections if section.kind != "gate"]


def family() -> Family:
    return Family(work_started_on=date(2026, 1, 5))


def state(**overrides: object) -> State:
    values: dict[str, object] = {
        "statuses": {},
        "decisions": {},
        "proposals": {},
        "cycles": [],
        "children": 2,
        "children_home": 0,
        "returns": 0,
        "visits": 0,
        "first_home_on": None,
    }
    values.update(overrides)
    return State(**values)  # type: ignore[arg-type]


def decision(gate_id: str, option_id: str, cycle: int = 0) -> GateDecision:
    return GateDecision(
        family_id=uuid.uuid4(),
        gate_id=gate_id,
        cycle=cycle,
        option_id=option_id,
        effect=shape(V11).effect(gate_id, option_id).effect.value,
        rationale="Because",
        decided_by_id=uuid.uuid4(),
        framework_version="1.1.0",
    )


def tasks(journey_: object) -> dict[str, object]:
    return {task.section.id: task for stage in journey_.stages for task in stage.tasks}  # type: ignore[attr-defined]


def test_a_new_family_starts_with_identification() -> None:
    current = journey(V11, family(), state())
    assert current.current_stage is not None
    assert current.current_stage.stage_id == "assessment"
    assert current.next_action == "Start: Identification"
    listed = tasks(current)
    assert listed["identification"].can_start  # type: ignore[attr-defined]
    assert listed["chronology"].waiting_for == ("Identification",)  # type: ignore[attr-defined]
    assert listed["chronology"].status_label == "Cannot start yet"  # type: ignore[attr-defined]


def test_sections_of_reviews_after_the_return_are_not_listed_before_it() -> None:
    listed = tasks(journey(V11, family(), state()))
    assert "classification-before-return" in listed
    assert "post-return-review" not in listed
    assert "classification-after-return" not in listed
    assert {sid for sid in V11.sections if sid not in listed} == {
        sid for sid in V11.sections if shape(V11).phases.get(sid) is Phase.AFTER_RETURN
    }


def done(*section_ids: str) -> dict[tuple[str, int], SectionStatus]:
    return {(section_id, 0): SectionStatus.SIGNED_OFF for section_id in section_ids}


def test_another_permanence_plan_does_not_open_goal_setting() -> None:
    statuses = done(*ASSESSMENT)
    for option, opens in (("work-towards-return", True), ("other-permanence", False)):
        decided = {
            ("decision-work-towards-return", 0): decision("decision-work-towards-return", option)
        }
        statuses[("decision-work-towards-return", 0)] = SectionStatus.COMPLETED
        listed = tasks(journey(V11, family(), state(statuses=statuses, decisions=decided)))
        assert listed["written-agreement"].can_start is opens  # type: ignore[attr-defined]


def test_a_reopened_agreement_holds_back_what_stands_on_it_without_touching_its_answers() -> None:
    statuses = done(*ASSESSMENT, "written-agreement", "child-view-of-agreement", "support-plan")
    statuses[("written-agreement", 0)] = SectionStatus.IN_PROGRESS  # reopened
    decided = {
        ("decision-work-towards-return", 0): decision(
            "decision-work-towards-return", "work-towards-return"
        ),
        ("support-plan-agreed", 0): decision("support-plan-agreed", "agreed"),
    }
    listed = tasks(journey(V11, family(), state(statuses=statuses, decisions=decided)))
    # The support plan stays completed, but nothing after the agreement can start again
    # until the agreement is signed off again.
    assert listed["support-plan"].status is SectionStatus.SIGNED_OFF  # type: ignore[attr-defined]
    assert not listed["agreement-sign-off"].can_start  # type: ignore[attr-defined]
    assert not listed["goal-progress"].can_start  # type: ignore[attr-defined]


def test_the_review_under_way_is_listed_with_its_number() -> None:
    statuses = done(*ASSESSMENT, "written-agreement", "child-view-of-agreement", "support-plan")
    decided = {
        ("decision-work-towards-return", 0): decision(
            "decision-work-towards-return", "work-towards-return"
        ),
        ("agreement-sign-off", 0): decision("agreement-sign-off", "signed-off"),
        ("support-plan-agreed", 0): decision("support-plan-agreed", "agreed"),
        ("review-decision", 1): decision("review-decision", "revise-support", cycle=1),
    }
    cycles = [
        ReviewCycle(
            family_id=uuid.uuid4(), number=1, phase="before_return", due_on=date(2026, 3, 1)
        ),
        ReviewCycle(
            family_id=uuid.uuid4(), number=2, phase="before_return", due_on=date(2026, 6, 1)
        ),
    ]
    cycles[0].closed_at = cycles[0].opened_at
    current = journey(V11, family(), state(statuses=statuses, decisions=decided, cycles=cycles))
    listed = tasks(current)
    assert current.review is cycles[1]
    assert listed["goal-progress"].cycle == 2  # type: ignore[attr-defined]
    assert listed["goal-progress"].can_start  # type: ignore[attr-defined]
    # The return home waits for a review decision that lets it go ahead.
    assert not listed["return-home"].can_start  # type: ignore[attr-defined]
    decided[("review-decision", 2)] = decision("review-decision", "proceed-gradual-return", 2)
    for section_id in ("goal-progress", "new-events", "classification-before-return"):
        statuses[(section_id, 2)] = SectionStatus.SIGNED_OFF
    listed = tasks(
        journey(V11, family(), state(statuses=statuses, decisions=decided, cycles=cycles))
    )
    assert listed["return-home"].can_start  # type: ignore[attr-defined]


def test_what_each_option_does() -> None:
    journey_ = shape(V11)
    assert (
        journey_.effect("decision-work-towards-return", "work-towards-return").effect
        is Effect.NEXT_STAGE
    )
    assert (
        journey_.effect("decision-work-towards-return", "other-permanence").effect
        is Effect.ENDS_PLAN
    )
    assert journey_.effect("agreement-sign-off", "revise").reopens == (
        "written-agreement",
        "child-view-of-agreement",
    )
    assert journey_.effect("review-decision", "extend-timescale").effect is Effect.NEXT_REVIEW
    assert journey_.effect("closure-decision", "close").effect is Effect.CLOSES_CASE
    # The first version names no effects: a decision made once loops back to what it waits
    # for, and a review's decision goes ahead (as that version was written).
    first = shape(V1)
    assert first.effect("agreement-sign-off", "revise").reopens == (
        "written-agreement",
        "child-view-of-agreement",
    )
    assert first.effect("review-decision", "extend-timescale").effect is Effect.PROCEEDS


def test_phases_are_worked_out_around_the_return_when_content_does_not_name_them() -> None:
    assert shape(V1).phases["post-return-monitoring"] is Phase.ANY  # no returns section
    assert shape(V11).phases["classification-after-return"] is Phase.AFTER_RETURN
    assert shape(V11).phases["goal-progress"] is Phase.ANY
