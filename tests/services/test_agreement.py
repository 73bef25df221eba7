"""The written agreements and the support plan read from the answers, the gaps between them,
the strengths and concerns suggested from the assessment, and the checks that refuse a service
ending before it starts, the same service twice at once, and a goal with no date or timescale,
on both databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.content.registry import semver_key
from app.demo.agreement import plan_support, write_agreement
from app.demo.journey import Story
from app.models.progress import SectionStatus
from app.services import agreement, progress, questions
from app.services.errors import InvalidInput
from app.timeutil import london_today
from tests.factories import CONTENT
from tests.support.journey import assessed


@pytest.fixture
def planned(story: Story) -> Story:
    """Assessed, then the demo's agreement for Cara and Dev and its support plan."""
    # The forms save whatever stage the family is at: no assessment needed first.
    write_agreement(
        story.session, story.worker, story.family, story.content, supervisor=story.supervisor
    )
    plan_support(story.session, story.worker, story.family, story.content)
    return story


def test_the_family_starts_on_the_version_with_timescales_and_linked_services(
    story: Story,
) -> None:
    assert story.content.version == CONTENT.latest("reunification").version
    assert semver_key(story.content.version) >= semver_key("1.2.0")
    assert "goal-timescale" in story.content.questions
    assert "service-areas" in story.content.questions


def test_each_parent_has_an_agreement_and_the_plan_shows_its_gaps(planned: Story) -> None:
    found = agreement.read(planned.session, family=planned.family, content=planned.content)
    assert [parent.name for parent in found.parents] == ["Cara", "Dev"]
    cara = found.parents[0]
    assert [goal.title for goal in cara.goals] == [
        "Stay off drink and drugs",
        "Keep a calm evening routine",
        "Get the children to school every day",
    ]
    assert cara.goals[0].by_when == "Within three months, and then for good"
    assert cara.goals[1].due == london_today() + timedelta(weeks=26)
    assert cara.goals[1].area == "Parenting capacity and neglect"
    assert [c.before_return for c in cara.conditions] == [True, False]
    assert cara.signed
    assert cara.agreed_on == london_today()
    assert cara.agreed_by.startswith("Cara, ")
    assert [child.name for child in found.children] == ["Ann", "Ben"]
    assert found.children[0].view.startswith("I want to go home")
    assert [s.kind for s in found.services] == [
        "Drug or alcohol treatment",
        "Parenting programme",
        "Family support worker",
    ]
    assert found.services[1].status == "Ended"
    assert found.services[2].engagement == "Partly engaging"
    # Per parent: the school goal has no service; the routine's services end before its date.
    gaps = [(gap.parent, gap.goal.number, gap.text[:20]) for gap in found.gaps]
    assert gaps == [
        ("Cara", 2, "Every service for th"),
        ("Cara", 3, "No service supports "),
        ("Dev", 2, "Every service for th"),
        ("Dev", 3, "No service supports "),
    ]


def test_the_assessment_suggests_strengths_and_concerns_saying_where_each_came_from(
    story: Story,
) -> None:
    assessed(story, 10)
    suggested = agreement.prefill(story.session, family=story.family, content=story.content)
    assert set(suggested) == {
        pid for pid, _ in questions.people_of(story.session, story.family).parents
    }
    cara = suggested[str(story.adult("Cara").id)]
    strengths, concerns = cara.strengths.split("\n"), cara.concerns.split("\n")
    # Demo factors present: sm-p2 (protective, substance misuse) and sm-r3 (risk).
    substance = story.content.domain("substance-misuse")
    protective = next(f for f in substance.protective_factors if f.id == "sm-p2")
    risk = next(f for f in substance.risk_factors if f.id == "sm-r3")
    origin = f"[From the assessment: {substance.title}]"
    assert f"{protective.text.rstrip('.')}. {origin}" in strengths
    assert f"{risk.text.rstrip('.')}. {origin}" in concerns
    # The parent's capacity to change: the problem area and how ready they are.
    assert (
        f"{substance.title} (readiness to change: Making changes). "
        "[From the assessment: Cara's capacity to change]"
    ) in concerns
    # Since 1.3.0 the assessment asks when the change began rather than for how many months.
    kept = f"Working with services on {substance.title}, with change kept up since "
    assert any(
        line.startswith(kept) and line.endswith("[From the assessment: Cara's capacity to change]")
        for line in strengths
    )
    # The family's copy leaves the origins off.
    assert "[From" not in agreement.without_origins(cara.strengths)


def _support_form(story: Story, services: list[dict[str, object]]) -> dict[str, object]:
    state = questions.section_state(story.session, story.family, story.content, "support-plan")
    ids = [f"item{number}" for number in range(len(services))]
    form: dict[str, object] = {f"{questions.ITEMS}services": ids}
    for item, answers in zip(ids, services, strict=True):
        for question_id, value in answers.items():
            question = story.content.questions[question_id].question
            key = f"services[{item}].{question_id}"
            form |= questions.form_fields(key, question, value)  # type: ignore[arg-type]
    form["version"] = state.version
    return form


def _service(start: int, end: int | None, **overrides: object) -> dict[str, object]:
    today = london_today()
    return {
        "service-type": "parenting-programme",
        "service-for": "parent",
        "service-areas": ("parenting-capacity",),
        "service-provider": "Riverside Family Centre",
        "service-timing": "before-return",
        "service-start": today + timedelta(weeks=start),
        "service-frequency": "Weekly",
        "service-end": today + timedelta(weeks=end) if end is not None else None,
        "service-status": "planned",
    } | overrides


def _save(story: Story, form: dict[str, object]) -> None:
    questions.save_section(
        story.session,
        actor=story.worker,
        family=story.family,
        content=story.content,
        section_id="support-plan",
        form=form,
        expected_version=0,
    )


@pytest.mark.parametrize(
    ("services", "field", "message"),
    [
        (
            [_service(4, 2)],
            "a-services-item0-service-end-day",
            "Service 1: the planned end date must be the same as or after the start date",
        ),
        (
            [
                _service(0, 10),
                _service(8, None, **{"service-provider": " riverside family centre"}),
            ],
            "a-services-item1-service-start-day",
            "Service 2 is the same service, for the same person and from the same provider, as "
            "service 1 over dates that overlap: change its dates or remove it",
        ),
    ],
    ids=["ends-before-it-starts", "overlapping-duplicate"],
)
def test_a_bad_support_plan_is_refused_and_nothing_is_saved(
    story: Story, services: list[dict[str, object]], field: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        _save(story, _support_form(story, services))
    assert refused.value.errors == {field: message}
    assert questions.section_row(story.session, story.family.id, "support-plan", 0) is None
    assert not questions.answer_rows(story.session, story.family.id, question_ids=["service-type"])


def test_the_same_service_at_other_times_or_from_another_provider_is_kept(story: Story) -> None:
    _save(
        story,
        _support_form(
            story,
            [
                _service(0, 10),
                _service(11, 20),
                _service(0, 10, **{"service-provider": "Northside Parenting"}),
                _service(0, 10, **{"service-for": "child"}),
            ],
        ),
    )
    found = agreement.read(story.session, family=story.family, content=story.content)
    assert len(found.services) == 4


def test_a_goal_needs_a_date_or_a_timescale_before_the_agreement_is_complete(
    story: Story,
) -> None:
    assessed(story, 10)
    with story.weeks_ago(1):
        story.fill("written-agreement", {"goal-by-when": None, "goal-timescale": None})
    status = progress.section_statuses(story.session, story.family.id, 0)["written-agreement"]
    assert status == SectionStatus.IN_PROGRESS
    state = questions.section_state(story.session, story.family, story.content, "written-agreement")
    result = questions.save_section(
        story.session,
        actor=story.worker,
        family=story.family,
        content=story.content,
        section_id="written-agreement",
        form=_agreement_form(story, state),
        expected_version=state.version,
        complete=True,
    )
    assert not result.completed
    messages = list(result.state.missing.values())
    assert "Cara: Enter the date ‘Recorded in the case notes’ must be met by, or a timescale" in (
        messages
    )


def _agreement_form(story: Story, state: questions.SectionState) -> dict[str, object]:
    form: dict[str, object] = dict(state.values)
    form |= {f"{questions.ITEMS}{key}": ids for key, ids in state.items.items()}
    form["version"] = state.version
    return form
