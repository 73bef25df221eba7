"""The whole journey through the real services, on both databases: decisions that act, review
cycles on the content's cadence, each child's return, visits, closure with outcomes and a
later return to care; and every kind of bad input refused with nothing half-done."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from app.demo.journey import Story
from app.models.assessment import SectionRevision
from app.models.journey import ChildOutcome, FamilyStatus, Outcome, ReviewCycle
from app.models.progress import GateDecision, SectionStatus
from app.security.permissions import FamilyAction, family_permits
from app.services import decisions, progress, questions, returns
from app.services.errors import Conflict, Forbidden, InvalidInput
from app.timeutil import london_today
from tests.support.journey import agreed, assessed, review_before_return


def status(story: Story, section_id: str, cycle: int = 0) -> SectionStatus:
    return progress.section_statuses(story.session, story.family.id, cycle).get(
        section_id, SectionStatus.NOT_STARTED
    )


def tasks(story: Story) -> dict[str, progress.Task]:
    journey = progress.family_journey(story.session, story.family, story.content)
    return {task.section.id: task for stage in journey.stages for task in stage.tasks}


def test_the_whole_journey_from_assessment_to_closure(story: Story) -> None:
    db, family = story.session, story.family
    assessed(story, 50)
    assert tasks(story)["written-agreement"].can_start
    agreed(story, 46)
    first = db.exec(select(ReviewCycle).where(col(ReviewCycle.family_id) == family.id)).one()
    # The first review is due six weeks after the agreement was signed off (the cadence).
    signed = london_today() - timedelta(weeks=46)
    assert first.due_on == signed + timedelta(weeks=story.content.cadence.first_review_after_weeks)

    # Review 1 sends the goals back: the agreement reopens with its answers kept as a frozen
    # revision, and the decisions standing on it are made again before review 2 can start.
    review_before_return(story, 38, "revise-goals")
    assert status(story, "written-agreement") is SectionStatus.IN_PROGRESS
    assert questions.section_row(db, family.id, "written-agreement").revision == 2  # type: ignore[union-attr]
    frozen = db.exec(
        select(SectionRevision).where(
            col(SectionRevision.family_id) == family.id,
            col(SectionRevision.section_id) == "written-agreement",
        )
    ).all()
    assert [row.number for row in frozen] == [1]
    listed = tasks(story)
    assert not listed["agreement-sign-off"].can_start
    assert not listed["support-plan-agreed"].can_start
    assert not listed["goal-progress"].can_start
    assert listed["goal-progress"].cycle == 2
    with story.weeks_ago(36):
        story.fill("written-agreement")
        story.decide("agreement-sign-off", "signed-off", "The revised goals are clear.")
        story.decide("support-plan-agreed", "agreed", "Support still fits.")
    assert tasks(story)["goal-progress"].can_start

    # Review 2 agrees a gradual return; the goals are listed by title and parent.
    state = questions.section_state(db, family, story.content, "goal-progress", 2)
    labels = [instance.label for node in state.nodes for instance in node.instances]
    assert len(labels) == 2
    assert any("(Cara)" in label for label in labels)
    assert any("(Dev)" in label for label in labels)
    review_before_return(story, 26, "proceed-gradual-return")
    assert tasks(story)["return-home"].can_start

    # Ann goes home, Ben four weeks later: each child's own return and monitoring.
    with story.weeks_ago(24):
        story.go_home("Ann", "Cara", "planned-gradual")
    review = db.exec(
        select(ReviewCycle).where(
            col(ReviewCycle.family_id) == family.id, col(ReviewCycle.number) == 3
        )
    ).one()
    home_on = london_today() - timedelta(weeks=24)
    assert review.phase == "after_return"
    assert review.due_on <= home_on + timedelta(weeks=4)
    with story.weeks_ago(20):
        story.go_home("Ben", "Cara", "planned-gradual")
        story.visit("Ann", "Ben", alone=("Ann",))
    home = progress.children_at_home(db, family.id)
    assert sorted(home.values()) == [home_on, home_on + timedelta(weeks=4)]
    recorded = returns.child_returns(db, family.id)
    assert {row.monitor_until for row in recorded} == {
        progress.monitoring_until(story.content, row.returned_on) for row in recorded
    }

    # A review after the return, its classification signed off (a second sign-off in the
    # review stage, which once failed on the revisions' unique key), then closure.
    with story.weeks_ago(18):
        # "How the return went" cannot be completed while the classification before it
        # awaits sign-off: the service refuses, naming what to do first.
        story.review("green", evidence="The parents have kept to the goals since the return.")
        story.fill("post-return-review")
        story.classify("classification-after-return")
        with pytest.raises(Conflict) as held:
            story.fill("closure")
        assert str(held.value).startswith("‘How the return went’ cannot be marked as complete")
        assert "‘Risk classification 3, after the return’ needs a supervisor's sign-off" in str(
            held.value
        )
        story.sign_off("classification-after-return")
        story.decide("review-after-return", "plan-closure", "Settled at home.", held=True)
        story.outcomes(
            {"Ann": (Outcome.STAYED_HOME.value, ""), "Ben": (Outcome.STAYED_HOME.value, "")}
        )
        story.fill("closure")
    with story.weeks_ago(17):
        story.decide("closure-decision", "close", "Both settled.")
    db.refresh(family)
    assert family.status == FamilyStatus.CLOSED
    assert family.next_review_due is None
    assert not family_permits(story.practitioner, family, FamilyAction.EDIT)
    assert family_permits(story.practitioner, family, FamilyAction.FOLLOW_UP)
    cycles = db.exec(select(ReviewCycle).where(col(ReviewCycle.family_id) == family.id)).all()
    assert all(cycle.closed_at is not None for cycle in cycles)


def test_another_permanence_plan_ends_the_plan_and_keeps_the_record_read_only(story: Story) -> None:
    assessed(story, 10, option="other-permanence")
    story.session.refresh(story.family)
    assert story.family.status == FamilyStatus.PLAN_ENDED
    assert not tasks(story)["written-agreement"].can_start
    assert not family_permits(story.practitioner, story.family, FamilyAction.EDIT)
    with pytest.raises(Conflict):
        story.fill("written-agreement")  # the service refuses even without the page


def test_an_unplanned_return_that_breaks_down_after_closure(story: Story) -> None:
    assessed(story, 50)
    agreed(story, 46)
    review_before_return(story, 38, "proceed-gradual-return")
    with story.weeks_ago(37):
        story.go_home("Ann", "Cara", "unplanned")
        story.go_home("Ben", "Cara", "unplanned")
    with story.weeks_ago(30):
        story.after_return_review("plan-closure", "Holding.")
        story.outcomes(
            {"Ann": (Outcome.STAYED_HOME.value, ""), "Ben": (Outcome.STAYED_HOME.value, "")}
        )
        story.fill("closure")
        story.decide("closure-decision", "close", "Closing.")
    with story.weeks_ago(5):
        returns.record_reentry(
            story.session,
            actor=story.worker,
            family=story.family,
            content=story.content,
            child_id=str(story.child("Ann").id),
            entered_on=london_today(),
            reason="Broke down after a relapse.",
        )
    story.session.refresh(story.family)
    assert story.family.status == FamilyStatus.CLOSED  # reopens nothing
    assert [row.child_id for row in returns.reentries(story.session, story.family.id)] == [
        story.child("Ann").id
    ]
    assert all(not row.planned for row in returns.child_returns(story.session, story.family.id))
    assert set(progress.children_at_home(story.session, story.family.id)) == {story.child("Ben").id}


# Bad input --------------------------------------------------------------------------------------


def test_a_decision_recorded_twice_or_from_a_stale_form_changes_nothing(story: Story) -> None:
    assessed(story, 20)
    with story.weeks_ago(18):
        story.fill("written-agreement")
        story.fill("child-view-of-agreement")
    choice = decisions.Choice(
        option="signed-off", reason="Clear.", basis=decisions.basis(None, None)
    )
    decisions.record(
        story.session,
        actor=story.manager,
        family=story.family,
        content=story.content,
        gate_id="agreement-sign-off",
        choice=choice,
    )
    with pytest.raises(Conflict):
        decisions.record(
            story.session,
            actor=story.manager,
            family=story.family,
            content=story.content,
            gate_id="agreement-sign-off",
            choice=choice,
        )
    count = story.session.exec(
        select(GateDecision).where(
            col(GateDecision.family_id) == story.family.id,
            col(GateDecision.gate_id) == "agreement-sign-off",
        )
    ).all()
    assert len(count) == 1


def test_a_decision_whose_prerequisites_are_not_done_is_refused(story: Story) -> None:
    with pytest.raises(InvalidInput) as refused:
        decisions.record(
            story.session,
            actor=story.manager,
            family=story.family,
            content=story.content,
            gate_id="agreement-sign-off",
            choice=decisions.Choice(option="signed-off", reason="x", basis="/"),
        )
    assert "Finish these" in refused.value.errors["option"]


def test_who_may_record_a_decision(story: Story) -> None:
    assessed(story, 20)
    with story.weeks_ago(18):
        story.fill("written-agreement")
        story.fill("child-view-of-agreement")
    for actor in (story.worker,):
        with pytest.raises(Forbidden):
            decisions.record(
                story.session,
                actor=actor,
                family=story.family,
                content=story.content,
                gate_id="agreement-sign-off",
                choice=decisions.Choice(option="signed-off", reason="x", basis="/"),
            )
    # A supervisor the family is allocated to may not decide on it either.
    story.family.allocated_practitioner_id = story.supervisor.id
    with pytest.raises(Forbidden):
        decisions.record(
            story.session,
            actor=story.manager,
            family=story.family,
            content=story.content,
            gate_id="agreement-sign-off",
            choice=decisions.Choice(option="signed-off", reason="x", basis="/"),
        )


def test_a_review_dated_before_the_agreement_is_refused(story: Story) -> None:
    assessed(story, 30)
    agreed(story, 26)
    with story.weeks_ago(20):
        story.review("green", evidence="On track.")
        story.classify("classification-before-return")
        story.sign_off("classification-before-return")
        with pytest.raises(InvalidInput) as refused:
            decisions.propose(
                story.session,
                actor=story.worker,
                family=story.family,
                content=story.content,
                gate_id="review-decision",
                choice=decisions.Choice(
                    option="proceed-gradual-return",
                    reason="x",
                    held_on=london_today() - timedelta(weeks=10),
                    basis="/",
                ),
            )
    assert "on or after" in refused.value.errors["held_on"]


def test_a_return_before_the_decision_it_waits_for_is_refused(story: Story) -> None:
    assessed(story, 30)
    agreed(story, 26)
    with story.weeks_ago(20), pytest.raises(InvalidInput) as refused:
        story.go_home("Ann", "Cara", "planned-gradual")
    assert "Review decision" in refused.value.errors["section"]
    assert returns.child_returns(story.session, story.family.id) == []


def test_closing_with_a_child_without_an_outcome_is_refused(story: Story) -> None:
    assessed(story, 50)
    agreed(story, 46)
    review_before_return(story, 38, "proceed-gradual-return")
    with story.weeks_ago(37):
        story.go_home("Ann", "Cara", "planned-direct")
    with story.weeks_ago(30):
        story.after_return_review("plan-closure", "Holding.")
        with pytest.raises(InvalidInput):
            story.outcomes({"Ann": (Outcome.STAYED_HOME.value, "")})  # Ben has none
        returns.save_outcomes(
            story.session,
            actor=story.worker,
            family=story.family,
            content=story.content,
            posted={
                str(story.child("Ann").id): returns.OutcomeDetails(
                    Outcome.STAYED_HOME.value, None, "", 0
                )
            },
            complete=False,
        )
        story.fill("closure")
        assert not tasks(story)["closure-decision"].can_start
    recorded = story.session.exec(
        select(ChildOutcome).where(col(ChildOutcome.family_id) == story.family.id)
    ).all()
    assert len(recorded) == 1
    story.session.refresh(story.family)
    assert story.family.status == FamilyStatus.ACTIVE


def test_a_second_classification_sign_off_in_the_same_stage_freezes_each_revision_once(
    story: Story,
) -> None:
    """Once a server error: the review stage's second sign-off froze the same revision again."""
    assessed(story, 50)
    agreed(story, 46)
    review_before_return(story, 38, "extend-timescale")
    review_before_return(story, 26, "proceed-gradual-return")
    numbers = story.session.exec(
        select(SectionRevision.section_id, SectionRevision.cycle, SectionRevision.number).where(
            col(SectionRevision.family_id) == story.family.id
        )
    ).all()
    assert len(numbers) == len(set(numbers))
    assert ("goal-progress", 1, 1) in numbers
    assert ("goal-progress", 2, 1) in numbers
