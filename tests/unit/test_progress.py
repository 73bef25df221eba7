"""The task list and where a family stands, computed from content and recorded progress."""

from datetime import UTC, datetime, timedelta

from app.models.family import Family
from app.models.progress import GateDecision, SectionStatus
from app.services.progress import journey, next_review_due
from tests.factories import CONTENT

V1 = CONTENT.latest("reunification")


def test_a_new_family_starts_with_identification() -> None:
    state = journey(V1, {}, {})
    assert state.current_stage is not None
    assert state.current_stage.stage_id == "assessment"
    assert state.next_action == "Start: Identification"
    tasks = {task.section.id: task for stage in state.stages for task in stage.tasks}
    assert tasks["identification"].can_start
    assert not tasks["chronology"].can_start
    assert tasks["chronology"].waiting_for == ("Identification",)
    assert tasks["chronology"].status_label == "Cannot start yet"


def test_every_section_of_the_content_appears_once() -> None:
    state = journey(V1, {}, {})
    listed = [task.section.id for stage in state.stages for task in stage.tasks]
    assert sorted(listed) == sorted(V1.sections)


def test_completed_sections_unlock_the_next_and_gates_show_their_outcome() -> None:
    statuses = {"identification": SectionStatus.COMPLETED, "chronology": SectionStatus.IN_PROGRESS}
    state = journey(V1, statuses, {})
    assert state.next_action == "Continue: Analytical chronology"
    everything_done = {section_id: SectionStatus.COMPLETED for section_id in V1.sections}
    decision = GateDecision(
        family_id=Family.model_fields["id"].default_factory(),  # type: ignore[misc]
        gate_id="decision-work-towards-return",
        option_id=V1.sections["decision-work-towards-return"].section.options[0].id,  # type: ignore[union-attr]
        rationale="Evidence of sustained change",
        decided_by_id=Family.model_fields["id"].default_factory(),  # type: ignore[misc]
        framework_version="1.0.0",
    )
    state = journey(V1, everything_done, {"decision-work-towards-return": decision})
    gate = next(
        task
        for stage in state.stages
        for task in stage.tasks
        if task.section.id == "decision-work-towards-return"
    )
    assert gate.is_gate
    assert (
        gate.outcome_label == V1.sections["decision-work-towards-return"].section.options[0].label
    )  # type: ignore[union-attr]
    assert state.current_stage is None
    assert state.next_action == "All stages complete"


def test_awaiting_sign_off_is_the_next_action() -> None:
    state = journey(V1, {"identification": SectionStatus.AWAITING_SIGN_OFF}, {})
    assert state.awaiting_sign_off
    assert state.next_action == "Sign off: Identification"


def test_reviews_follow_the_content_cadence() -> None:
    family = Family(work_started_on=datetime(2026, 1, 5).date())
    assert next_review_due(family, V1, {}) == datetime(2026, 1, 5).date() + timedelta(
        weeks=V1.cadence.first_review_after_weeks
    )
    decided = GateDecision(
        gate_id="g",
        option_id="o",
        rationale="",
        framework_version="1.0.0",
        family_id=Family.model_fields["id"].default_factory(),  # type: ignore[misc]
        decided_by_id=Family.model_fields["id"].default_factory(),  # type: ignore[misc]
        decided_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
    )
    assert next_review_due(family, V1, {"g": decided}) == datetime(2026, 3, 2).date() + timedelta(
        weeks=V1.cadence.review_every_weeks
    )
