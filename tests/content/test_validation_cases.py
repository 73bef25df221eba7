"""The validation set: invented families written from the research, each built through the
services a practitioner uses, must show every caution a trained practitioner expects and a
suggested level inside the range they accept (framework_content/reunification/
validation-cases.yaml; docs/judgement.md)."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from app.config import PROJECT_ROOT
from app.models.accounts import Role
from app.services.audit import Actor
from app.services.case_check import run_case
from app.services.case_file import CasesRefused, cases_path, load_cases, parse_cases
from tests.factories import CONTENT, make_team, make_user

CASES = load_cases(
    cases_path(PROJECT_ROOT / "framework_content", "reunification"),
    CONTENT.latest("reunification"),
)


@pytest.mark.parametrize("case", CASES.cases, ids=[case.id for case in CASES.cases])
def test_the_family_shows_what_a_practitioner_expects(db: Session, case) -> None:  # type: ignore[no-untyped-def]
    user = make_user(db, roles=[Role.PRACTITIONER], team=make_team(db))
    actor = Actor(user=user, request_id="test", path="/test")

    outcome = run_case(
        db,
        actor=actor,
        registry=CONTENT,
        framework_id=CASES.framework,
        case=case,
        as_of=CASES.as_of_for(case),
    )

    assert outcome.missing == (), f"expected cautions not raised: {outcome.missing}"
    level = case.expect.level
    assert outcome.level_in_range(CONTENT.latest("reunification")), (
        f"suggested {outcome.suggested}, expected {level.lowest} to {level.highest}"
    )


ONE_CASE = """\
framework: reunification
written_for: 1.3.0
as_of: 2026-11-20
cases:
  - id: quinn
    title: Quinn family
    story: A baby seriously injured; both parents deny it.
    children:
      - name: Rory Quinn
        born: 2025-06-10
        legal_status: care-order
        entered_care: 2025-09-12
        entry_reason: physical-abuse
    factors: [hh-r1, mo-r1]
    expect:
      level:
        lowest: {lowest}
        highest: {highest}
        sources: [{source}]
        why: Serious harm that is denied leaves nothing to build on.
      cautions:
        - id: {caution}
          sources: [wilkins-farmer-2015]
          why: A child in the family was seriously harmed.
"""


def case_text(
    *,
    lowest: str = "very-high",
    highest: str = "very-high",
    source: str = "wilkins-farmer-2015",
    caution: str = "another-child-harmed-or-removed",
) -> str:
    """One small case file, with the parts a test makes wrong."""
    return ONE_CASE.format(lowest=lowest, highest=highest, source=source, caution=caution)


def test_a_case_file_naming_what_the_content_lacks_is_refused_with_lines() -> None:
    text = case_text(lowest="high", highest="medium", source="made-up-2020", caution="no-such")

    with pytest.raises(CasesRefused) as refused:
        parse_cases(text, CONTENT.latest("reunification"), name="cases.yaml")

    messages = [str(error) for error in refused.value.errors]
    assert messages[0].startswith(
        "cases.yaml, line 18, column 18, at cases[0].expect.level.highest: the highest "
        "acceptable level is below the lowest"
    )
    assert messages[1].startswith(
        'cases.yaml, line 22, column 15, at cases[0].expect.cautions[0].id: "no-such" is not '
        "a caution in this content; use one of: "
    )
    assert messages[2].startswith(
        'cases.yaml, line 19, column 19, at cases[0].expect.level.sources[0]: "made-up-2020" '
        "is not a source in this content"
    )
    assert len(messages) == 3


def test_an_expectation_without_its_reason_is_refused() -> None:
    text = case_text().replace(
        "        why: Serious harm that is denied leaves nothing to build on.\n", ""
    )

    with pytest.raises(CasesRefused) as refused:
        parse_cases(text, CONTENT.latest("reunification"), name="cases.yaml")

    (error,) = refused.value.errors
    assert str(error) == (
        'cases.yaml, line 17, column 9, at cases[0].expect.level.why: the required key "why" '
        "is missing; add it"
    )


def test_broken_yaml_is_refused_with_its_line() -> None:
    with pytest.raises(CasesRefused) as refused:
        parse_cases(case_text() + "  - id: [\n", CONTENT.latest("reunification"), name="c.yaml")

    (error,) = refused.value.errors
    assert error.file == "c.yaml"
    assert error.line is not None
