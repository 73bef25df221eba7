"""Scored tools in a classification, through the services on a real database: a tool is not
completed (and the classification cannot be submitted) until its items are answered; once it
is, the suggestion shows its band and each item's points; a discretionary override moves the
level at most as far as the content allows, with reasons, and a supervisor approves it at
sign-off. The content is the tiny test framework with a second tool in a file of its own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session

from app.content.model import FrameworkContent
from app.models.accounts import Role, User
from app.models.assessment import ClassificationStatus
from app.models.family import Family
from app.services import classification
from app.services.errors import InvalidInput
from tests.factories import make_child, make_family, make_return, make_team, make_user
from tests.support.assessment import actor, mark_done, rate
from tests.support.content import move_to, publish_tiny_with_tools

SECTION = "classify"
WAITED_FOR = ("start", "history", "factors-alpha", "factors-beta")


@dataclass
class ToolCase:
    db: Session
    practitioner: User
    supervisor: User
    family: Family
    content: FrameworkContent


@pytest.fixture
def case(db: Session, tmp_path: Path, request: pytest.FixtureRequest) -> ToolCase:
    """A family on the tiny framework with tools; the example tool's discretionary_levels is
    the test's parameter (1 when it has none)."""
    discretion = getattr(request, "param", 1)
    content = publish_tiny_with_tools(db, tmp_path / "tiny" / "1.0.0", discretion)
    team = make_team(db)
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    supervisor = make_user(db, roles=[Role.SUPERVISOR], team=team)
    family = make_family(db, team=team, allocated_to=practitioner)
    move_to(db, family, content)
    return ToolCase(db, practitioner, supervisor, family, content)


def ready(case: ToolCase) -> None:
    """Every section the classification waits for marked complete."""
    mark_done(case.db, case.practitioner, case.family, WAITED_FOR, case.content)


def assess_alpha(case: ToolCase, **statuses: str) -> None:
    ratings = {"al-r1": "absent", "al-r2": "absent", "al-p1": "absent"}
    ratings.update({key.replace("_", "-"): value for key, value in statuses.items()})
    rate(case.db, case.practitioner, case.family, "factors-alpha", ratings, content=case.content)


def submit(case: ToolCase, level: str, rationale: str = "") -> None:
    current = classification.latest(case.db, case.family.id, SECTION)
    classification.submit(
        case.db,
        actor=actor(case.practitioner),
        family=case.family,
        content=case.content,
        section_id=SECTION,
        level=level,
        rationale=rationale,
        latest_id=str(current.id) if current else "",
    )


def suggest(case: ToolCase) -> classification.Suggestion:
    return classification.suggest(
        case.db, family=case.family, content=case.content, timepoint="before-plan"
    )


def test_a_tool_is_not_completed_until_its_items_are_answered(case: ToolCase) -> None:
    tools = {tool["id"]: tool for tool in suggest(case).explanation["tools"]}

    assert tools["example-tool"]["completed"] is False
    assert tools["example-tool"]["level"] is None
    assert tools["example-tool"]["headline"] == "Example structured tool: not completed"
    assert tools["extra"]["band_text"] == (
        "Not completed: no score or band until these items are answered: Alpha strength present."
    )
    ready(case)
    with pytest.raises(InvalidInput) as refused:
        submit(case, "low")
    assert refused.value.errors["level"] == (
        "Example structured tool is not completed: answer Alpha risks present; "
        "Alpha strength present first"
    )
    assert classification.latest(case.db, case.family.id, SECTION) is None


def test_a_completed_tool_shows_its_band_items_and_overrides(case: ToolCase) -> None:
    assess_alpha(case, al_p1="present")
    child = make_child(case.db, case.family, name="Lou")
    make_return(case.db, child)
    make_return(case.db, child)

    suggestion = suggest(case)

    tools = {tool["id"]: tool for tool in suggestion.explanation["tools"]}
    example = tools["example-tool"]
    assert (example["completed"], example["score"], example["band_label"]) == (True, -1, "Low")
    assert example["level"] == "high"
    assert example["band_text"] == "Score -1, in the band Low. An override raises it to High."
    assert [item["line"] for item in example["items"]] == [
        'Alpha strength present: -1 because the factor "First alpha strength" is present with '
        "0 evidence links"
    ]
    assert [override["title"] for override in example["overrides"]] == ["Two earlier breakdowns"]
    assert (tools["extra"]["score"], tools["extra"]["band_label"]) == (1, "Some concern 1")
    assert suggestion.level_id == "high"


def test_a_discretionary_override_moves_at_most_the_levels_allowed_and_is_approved(
    case: ToolCase,
) -> None:
    assess_alpha(case)
    ready(case)
    assert suggest(case).level_id == "low"

    with pytest.raises(InvalidInput) as refused:
        submit(case, "high", "The family has a history the tool does not score.")
    assert refused.value.errors["level"] == (
        "Example structured tool lets you move the level at most 1 level from the suggested "
        "level (Low); choose Low or Medium"
    )
    with pytest.raises(InvalidInput) as no_reason:
        submit(case, "medium")
    assert no_reason.value.errors["rationale"].startswith("Enter why your level differs")

    submit(case, "medium", "The family has a history the tool does not score.")
    row = classification.latest(case.db, case.family.id, SECTION)
    assert row is not None
    assert (row.suggested_level, row.practitioner_level) == ("low", "medium")
    classification.review(
        case.db,
        actor=actor(case.supervisor),
        family=case.family,
        content=case.content,
        classification_id=row.id,
        details=classification.Review(
            agrees=True, comments="Agreed: the history matters.", level="", gate_option="go"
        ),
        expected_version=row.version,
    )
    case.db.refresh(row)
    assert row.status == ClassificationStatus.AGREED
    assert (row.supervisor_level, row.reviewed_by_id) == ("medium", case.supervisor.id)


@pytest.mark.parametrize("case", [0], indirect=True)
def test_a_tool_with_no_discretion_keeps_the_suggested_level(case: ToolCase) -> None:
    assess_alpha(case)
    ready(case)

    with pytest.raises(InvalidInput) as refused:
        submit(case, "medium", "The family has a history the tool does not score.")

    assert refused.value.errors["level"] == (
        "Example structured tool does not let you move the level from the suggested level "
        "(Low); choose Low"
    )
