"""The rules engine: every condition kind and rule kind, and the explanation of each result."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from app.content.model import FrameworkContent
from app.content.rules import answer_matches, evaluate, evaluate_condition, show_when_holds
from app.content.schema import AnswerTest, RulesFile
from app.content.snapshot import (
    ChildFacts,
    ChronologyStats,
    CountStats,
    FactorState,
    FamilySnapshot,
    ParentProblem,
)
from app.content.yamlsafe import read_yaml
from tests.content.support import condition, tiny

AS_OF = date(2025, 6, 30)


def snapshot(**facts: Any) -> FamilySnapshot:
    return FamilySnapshot(as_of=AS_OF, **facts)


def check(text: str, facts: FamilySnapshot) -> tuple[bool, list[str]]:
    outcome = evaluate_condition(tiny(), condition(text), facts)
    return outcome.holds, [reason.text for reason in outcome.reasons]


def with_rules(yaml_text: str) -> FrameworkContent:
    """The tiny content with its rules replaced by `yaml_text`."""
    return replace(tiny(), rules=RulesFile.model_validate(read_yaml(yaml_text).data))


SAM = ChildFacts(
    "c1",
    "Sam",
    age_years=12,
    legal_status="s20",
    entry_reasons=frozenset({"neglect"}),
    months_in_care=14,
    placement_moves=4,
    earlier_returns=2,
    earlier_breakdowns=1,
)
AMY = ChildFacts("c2", "Amy", age_years=4, legal_status="care-order")
JO_ALPHA = ParentProblem("p1", "Jo", "alpha", "thinking", 2, True)
JO_BETA = ParentProblem("p1", "Jo", "beta", "keeping", 9, False)


# --- factor ---------------------------------------------------------------------------------


def test_factor_present_with_evidence() -> None:
    facts = snapshot(factors={"al-r1": FactorState("present", 2)})

    assert check("factor: al-r1", facts) == (
        True,
        ['the factor "First alpha risk" is present with 2 evidence links'],
    )
    assert check("factor: al-r1\nmin_evidence: 3", facts) == (
        False,
        ['the factor "First alpha risk" is present with 2 evidence links (at least 3 needed)'],
    )


@pytest.mark.parametrize(
    ("state", "status", "holds", "text"),
    [
        (FactorState("absent"), "absent", True, "is recorded as not present"),
        (FactorState("unknown"), "unknown", True, "is recorded as not known"),
        (None, "unknown", True, "has not been assessed"),
        (None, "present", False, "has not been assessed"),
        (FactorState("present", 1), "absent", False, "is present with 1 evidence link"),
    ],
)
def test_factor_status(state: FactorState | None, status: str, holds: bool, text: str) -> None:
    facts = snapshot(factors={"al-r1": state} if state else {})

    result, reasons = check(f"factor: al-r1\nstatus: {status}", facts)

    assert result is holds
    assert reasons == [f'the factor "First alpha risk" {text}']


# --- factor_count ---------------------------------------------------------------------------


def test_factor_count_by_domain_and_kind() -> None:
    facts = snapshot(
        factors={
            "al-r1": FactorState("present", 1),
            "al-r2": FactorState("present", 0),
            "al-p1": FactorState("present", 1),
            "be-r1": FactorState("absent"),
        }
    )

    assert check("factor_count: {domain: alpha, kind: risk}\nat_least: 2", facts) == (
        True,
        ['2 risk factors present in "Alpha" (at least 2): "First alpha risk"; "Second alpha risk"'],
    )
    assert check(
        "factor_count: {domain: alpha, kind: risk, min_evidence: 1}\nat_least: 2", facts
    ) == (
        False,
        [
            '1 risk factor present in "Alpha" with at least 1 evidence link (not at least 2): '
            '"First alpha risk"'
        ],
    )
    assert check("factor_count: {kind: protective}\nat_most: 0", facts) == (
        False,
        ['1 protective factor present (not at most 0): "First alpha strength"'],
    )
    assert check("factor_count: {}\nat_least: 1\nat_most: 3", facts)[0] is True


# --- answer ---------------------------------------------------------------------------------


def test_answer_equals_a_yes_no_answer() -> None:
    assert check("answer: planned\nequals: false", snapshot(answers={"planned": False})) == (
        True,
        ['the answer to "Is the return planned?" is no'],
    )
    assert check("answer: planned\nequals: false", snapshot()) == (
        False,
        ['"Is the return planned?" has not been answered'],
    )


def test_a_yes_answer_never_equals_the_number_one() -> None:
    assert check("answer: months\nequals: 1", snapshot(answers={"months": True}))[0] is False


def test_answer_one_of_and_includes_show_option_labels() -> None:
    facts = snapshot(answers={"supports": ("family", "health"), "readiness": "doing"})

    assert check("answer: supports\nincludes: health", facts) == (
        True,
        ['the answer to "Which supports are in place?" is "Family", "Health"'],
    )
    assert check("answer: supports\nincludes: school", facts)[0] is False
    assert check("answer: supports\none_of: [school, family]", facts)[0] is True
    assert check("answer: readiness\none_of: [doing, keeping]", facts) == (
        True,
        ['the answer to "Readiness to change" is "Making changes"'],
    )


def test_answered_and_not_answered() -> None:
    facts = snapshot(answers={"reason": "Dad has a new flat", "plan-notes": ""})

    assert check("answer: reason\nanswered: true", facts)[0] is True
    assert check("answer: plan-notes\nanswered: true", facts)[0] is False
    assert check("answer: planned\nanswered: false", facts) == (
        True,
        ['"Is the return planned?" has not been answered'],
    )


def test_number_and_scale_answers_compare_with_bounds() -> None:
    facts = snapshot(answers={"contact-quality": 4})

    assert check("answer: contact-quality\nat_least: 4", facts) == (
        True,
        ['the answer to "How good is contact?" is 4'],
    )
    assert check("answer: contact-quality\nat_most: 3", facts)[0] is False


def test_answers_in_groups_match_any_or_all_instances_and_name_the_person() -> None:
    facts = snapshot(
        answers={
            "child-views[c1].seen-alone": False,
            "child-views[c2].seen-alone": True,
        },
        children=(SAM, AMY),
    )

    assert check("answer: seen-alone\nequals: false", facts) == (
        True,
        ['the answer to "Seen alone?" for Sam is no'],
    )
    assert check("answer: seen-alone\nequals: true\ninstances: all", facts) == (
        False,
        ['the answer to "Seen alone?" for Sam is no'],
    )
    assert check("answer: seen-alone\nanswered: true\ninstances: all", facts)[0] is True


# --- child ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("test", "text"),
    [
        ("age: {more_than: 10}", "Sam is aged 12 (more than 10)"),
        ("legal_status: [s20]", 'Sam\'s legal status is "Accommodated (section 20)"'),
        ("entry_reason: [neglect, other]", 'Sam entered care because of "Neglect"'),
        ("months_in_care: {at_least: 12}", "Sam has been in care for 14 months (at least 12)"),
        ("placement_moves: {at_least: 3}", "Sam has had 4 placement moves (at least 3)"),
        ("earlier_returns: {at_least: 2}", "Sam has had 2 earlier returns home (at least 2)"),
        (
            "earlier_breakdowns: {at_least: 1, less_than: 3}",
            "Sam has had 1 earlier return home that broke down (at least 1 and less than 3)",
        ),
    ],
)
def test_each_child_fact(test: str, text: str) -> None:
    assert check(f"child: {{{test}}}", snapshot(children=(SAM, AMY))) == (True, [text])


def test_child_quantifiers() -> None:
    facts = snapshot(children=(SAM, AMY))

    assert check("child: {age: {more_than: 10}}\nwhich: all", facts) == (
        False,
        ["Amy is aged 4 (not more than 10)"],
    )
    assert check("child: {age: {less_than: 18}}\nwhich: all", facts) == (
        True,
        ["Sam is aged 12 (less than 18)", "Amy is aged 4 (less than 18)"],
    )
    assert check("child: {age: {more_than: 10}, legal_status: [care-order]}", facts) == (
        False,
        ['Sam\'s legal status is "Accommodated (section 20)"', "Amy is aged 4 (not more than 10)"],
    )


def test_child_facts_that_are_not_recorded_do_not_match() -> None:
    unknown = ChildFacts("c3", "Kim")
    facts = snapshot(children=(unknown,))

    assert check("child: {age: {at_least: 0}}", facts) == (False, ["Kim's age is not recorded"])
    assert check("child: {legal_status: [s20]}", facts) == (
        False,
        ["Kim's legal status is not recorded"],
    )
    assert check("child: {entry_reason: [neglect]}", facts) == (
        False,
        ["Kim's reasons for entering care are not recorded"],
    )
    assert check("child: {age: {at_least: 0}}", snapshot()) == (
        False,
        ["no children are recorded"],
    )


# --- chronology -----------------------------------------------------------------------------


CHRONOLOGY = ChronologyStats(
    entries=6,
    themes={
        "incident": CountStats(
            count=4, first=date(2023, 1, 5), last=date(2025, 5, 2), within_months={12: 3}
        )
    },
    significance={"red": CountStats(count=2, last=date(2025, 5, 2), within_months={6: 1})},
)


def test_chronology_theme_counts_overall_and_recently() -> None:
    facts = snapshot(chronology=CHRONOLOGY)

    assert check("chronology: {theme: incident, within_months: 12}\nat_least: 3", facts) == (
        True,
        [
            'theme "Incident" recorded 3 times in the last 12 months (at least 3), most recently '
            "on 2 May 2025"
        ],
    )
    assert check("chronology: {theme: incident}\nat_most: 3", facts)[0] is False
    assert check("chronology: {theme: progress}\nat_least: 1", facts) == (
        False,
        ['theme "Progress" recorded 0 times (not at least 1)'],
    )


def test_chronology_significance_counts() -> None:
    assert check(
        "chronology: {significance: red, within_months: 6}\nat_least: 1",
        snapshot(chronology=CHRONOLOGY),
    ) == (
        True,
        [
            'entries rated "Red": 1 entry in the last 6 months (at least 1), most recently on '
            "2 May 2025"
        ],
    )


def test_a_missing_chronology_window_is_reported_not_guessed() -> None:
    holds, reasons = check(
        "chronology: {theme: incident, within_months: 6}\nat_least: 1",
        snapshot(chronology=CHRONOLOGY),
    )

    assert holds is False
    assert reasons == ['theme "Incident" recorded — no count for the last 6 months was supplied']


# --- parent ---------------------------------------------------------------------------------


def test_parent_readiness_against_the_ordered_stages() -> None:
    facts = snapshot(parents=(JO_ALPHA, JO_BETA))

    assert check("parent: {readiness: {at_or_before: doing}}", facts) == (
        True,
        [
            'Jo ("Alpha"): readiness to change is "Thinking about change" (at or before "Making '
            'changes")'
        ],
    )
    assert check("parent: {readiness: {at_or_after: keeping}, problem_area: alpha}", facts) == (
        False,
        [
            'Jo ("Alpha"): readiness to change is "Thinking about change" (not at or after '
            '"Keeping changes going")'
        ],
    )
    assert check("parent: {readiness: {one_of: [keeping]}}", facts)[0] is True


def test_parent_months_sustained_and_engagement() -> None:
    facts = snapshot(parents=(JO_ALPHA, JO_BETA))

    assert check("parent: {months_sustained: {less_than: 6}}", facts) == (
        True,
        ['Jo ("Alpha"): change sustained for 2 months (less than 6)'],
    )
    assert check("parent: {months_sustained: {at_least: 1}}\nwhich: all", facts)[0] is True
    assert check("parent: {engaged: false, problem_area: beta}", facts) == (
        True,
        ['Jo ("Beta") is not engaging with services'],
    )


def test_parent_facts_that_are_missing() -> None:
    blank = ParentProblem("p2", "Ash")

    assert check("parent: {readiness: {one_of: [doing]}}", snapshot(parents=(blank,))) == (
        False,
        ["Ash: readiness to change is not recorded"],
    )
    assert check("parent: {months_sustained: {at_least: 1}}", snapshot(parents=(blank,))) == (
        False,
        ["Ash: how long change has lasted is not recorded"],
    )
    assert check("parent: {engaged: true}", snapshot(parents=(blank,))) == (
        False,
        ["Ash: engagement with services is not recorded"],
    )
    assert check("parent: {engaged: true, problem_area: beta}", snapshot()) == (
        False,
        ['no parent\'s capacity to change is recorded for "Beta"'],
    )
    odd = ParentProblem("p3", "Lee", readiness_stage="unheard-of")
    assert check("parent: {readiness: {one_of: [doing]}}", snapshot(parents=(odd,))) == (
        False,
        ['Lee: readiness "unheard-of" is not a stage in this framework'],
    )


# --- earlier_level --------------------------------------------------------------------------


def test_earlier_level() -> None:
    assert check("earlier_level: {at_least: medium}", snapshot(earlier_levels=("low", "high"))) == (
        True,
        ['the highest earlier classification was "High" (at least "Medium")'],
    )
    assert (
        check("earlier_level: {at_least: high}", snapshot(earlier_levels=("medium",)))[0] is False
    )
    assert check("earlier_level: {at_least: high}", snapshot()) == (
        False,
        ["no earlier classification is recorded"],
    )


# --- all / any / not ------------------------------------------------------------------------


def test_all_any_and_not_explain_with_the_inputs_that_decided() -> None:
    facts = snapshot(factors={"al-r1": FactorState("present", 1)}, children=(AMY,))

    assert check("all:\n  - factor: al-r1\n  - child: {age: {more_than: 10}}", facts) == (
        False,
        ["Amy is aged 4 (not more than 10)"],
    )
    assert check("any:\n  - factor: al-r1\n  - child: {age: {more_than: 10}}", facts) == (
        True,
        ['the factor "First alpha risk" is present with 1 evidence link'],
    )
    assert check("not:\n  child: {age: {more_than: 10}}", facts) == (
        True,
        ["Amy is aged 4 (not more than 10)"],
    )


# --- rule kinds -----------------------------------------------------------------------------


def test_minimum_level_rules_and_cautions_with_sources() -> None:
    facts = snapshot(
        answers={"planned": False},
        factors={"al-r1": FactorState("present", 2), "al-r2": FactorState("present", 1)},
        children=(SAM,),
    )

    result = evaluate(tiny(), facts)

    assert result.suggested_level.id == "high"
    assert result.default_level.id == "low"
    assert [finding.rule_id for finding in result.minimum_levels] == [
        "two-alpha-risks",
        "unplanned",
    ]
    assert result.level_set_by == ("unplanned",)
    unplanned = next(f for f in result.minimum_levels if f.rule_id == "unplanned")
    assert result.level_set_by_titles == (unplanned.title,)
    # The explanation people read names rules by their titles, never their ids.
    assert f"({unplanned.title})" in result.explanation()[0]
    (caution,) = result.cautions
    assert caution.rule_id == "older-child"
    assert caution.text == "Returns of older children break down more often."
    assert [reason.text for reason in caution.reasons] == ["Sam is aged 12 (more than 10)"]
    assert caution.sources[0].citation == "A. Author (2020) A study of returns home. Example Press."
    assert result.content_key == tiny().key
    assert result.as_of == AS_OF


def test_no_rule_fired_suggests_the_default_level() -> None:
    result = evaluate(tiny(), snapshot())

    assert result.suggested_level.id == "low"
    assert result.minimum_levels == ()
    assert result.cautions == ()
    assert result.level_set_by == ()
    assert result.explanation()[0] == (
        "Suggested level: Low (no rule raised it above the default)."
    )
    (tool,) = result.tools
    assert (tool.completed, tool.band_level, tool.level) == (False, None, None)


def test_a_default_level_can_be_set_in_content() -> None:
    content = with_rules("default_level: medium")

    result = evaluate(content, snapshot())

    assert result.suggested_level.id == "medium"
    assert result.level_set_by == ()
    assert result.explanation() == (
        "Suggested level: Medium (no rule raised it above the default).",
    )


# --- scored tools ---------------------------------------------------------------------------


# Every factor the example tool reads, assessed as not present: the tool is completed.
ALPHA_ABSENT = {factor: FactorState("absent") for factor in ("al-r1", "al-r2", "al-p1")}


def alpha(**present: FactorState) -> dict[str, FactorState]:
    return {**ALPHA_ABSENT, **{key.replace("_", "-"): value for key, value in present.items()}}


def test_scored_tool_sums_items_and_picks_the_band() -> None:
    facts = snapshot(
        factors=alpha(al_r1=FactorState("present"), al_p1=FactorState("present")),
        chronology=ChronologyStats(themes={"incident": CountStats(1, within_months={6: 1})}),
    )

    (tool,) = evaluate(tiny(), facts).tools

    assert [(item.item_id, item.points, item.option) for item in tool.items] == [
        ("risk-count", 1, "One"),
        ("incidents", 2, None),
        ("strength", -1, None),
    ]
    assert tool.score == 2
    assert tool.band_level.id == "medium"
    assert tool.level.id == "medium"
    assert tool.overrides == ()
    assert tool.sources[0].id == "guide"


def test_the_first_matching_score_option_counts() -> None:
    facts = snapshot(factors=alpha(al_r1=FactorState("present"), al_r2=FactorState("present")))

    (tool,) = evaluate(tiny(), facts).tools

    assert [(item.item_id, item.points, item.option) for item in tool.items] == [
        ("risk-count", 3, "Two or more")
    ]
    assert tool.items[0].reasons[0].text == (
        '2 risk factors present in "Alpha" (at least 2): "First alpha risk"; "Second alpha risk"'
    )


def test_scores_outside_the_bands_fall_into_the_first_or_last_band() -> None:
    low = evaluate(tiny(), snapshot(factors=alpha(al_p1=FactorState("present")))).tools[0]
    assert low.band_level is not None
    assert (low.score, low.band_level.id, low.band_label) == (-1, "low", "Low")

    facts = snapshot(
        factors=alpha(al_r1=FactorState("present"), al_r2=FactorState("present")),
        chronology=ChronologyStats(themes={"incident": CountStats(3, within_months={6: 3})}),
    )
    high = evaluate(tiny(), facts).tools[0]
    assert high.band_level is not None
    assert (high.score, high.band_level.id) == (5, "high")


def test_a_tool_is_not_completed_until_every_item_is_answered() -> None:
    facts = snapshot(factors={"al-r1": FactorState("absent")})

    result = evaluate(tiny(), facts)

    (tool,) = result.tools
    assert tool.unanswered == ("Alpha risks present", "Alpha strength present")
    assert (tool.band_level, tool.level, tool.score, tool.items) == (None, None, 0, ())
    assert tool.headline() == "Example structured tool: not completed"
    assert tool.band_text() == (
        "Not completed: no score or band until these items are answered: Alpha risks present; "
        "Alpha strength present."
    )
    assert result.level_set_by == ()


def test_a_mandatory_override_wins_over_the_band() -> None:
    broke_down = ChildFacts("c9", "Lou", earlier_breakdowns=2)

    result = evaluate(tiny(), snapshot(factors=ALPHA_ABSENT, children=(broke_down,)))

    (tool,) = result.tools
    assert tool.score == 0
    assert tool.band_level is not None
    assert tool.band_level.id == "low"
    assert tool.level is not None
    assert tool.level.id == "high"
    assert tool.band_text() == "Score 0, in the band Low. An override raises it to High."
    (override,) = tool.overrides
    assert override.kind == "override"
    assert override.rule_id == "breakdowns-override"
    assert [reason.text for reason in override.reasons] == [
        "Lou has had 2 earlier returns home that broke down (at least 2)"
    ]
    assert result.suggested_level.id == "high"
    assert "example-tool" in result.level_set_by


def test_a_mandatory_override_applies_before_the_tool_is_completed() -> None:
    broke_down = ChildFacts("c9", "Lou", earlier_breakdowns=2)

    (tool,) = evaluate(tiny(), snapshot(children=(broke_down,))).tools

    assert not tool.completed
    assert tool.band_level is None
    assert tool.level is not None
    assert tool.level.id == "high"
    assert tool.headline() == "Example structured tool: High"


def test_an_override_never_lowers_the_tool_level() -> None:
    content = with_rules(
        """
scored_tools:
  - id: tool
    title: Tool
    summary: A tool.
    items:
      - id: any-risk
        label: Any alpha risk
        points: 5
        when: {factor_count: {domain: alpha}, at_least: 1}
    bands:
      - {max: 2, level: low}
      - {min: 3, level: high}
    overrides:
      - id: protected
        title: Protective factor present
        level: medium
        when: {factor: al-p1}
        explanation: The strength caps the tool at medium.
"""
    )
    facts = snapshot(factors=alpha(al_r1=FactorState("present"), al_p1=FactorState("present")))

    (tool,) = evaluate(content, facts).tools

    assert tool.band_level is not None
    assert tool.level is not None
    assert (tool.band_level.id, tool.level.id) == ("high", "high")


OPTION_TOOL = """
minimum_levels:
  - id: tool-high
    title: The tool scores high
    level: high
    when: {tool: {id: readiness-tool, score: {at_least: 2}}}
    explanation: A high score on the tool.
    sources: [study]
cautions:
  - id: tool-medium
    title: In the middle band
    text: The tool puts the family in the middle band.
    when: {tool: {id: readiness-tool, band: [medium]}}
    sources: [study]
  - id: tool-open
    title: Tool not completed
    text: The readiness tool is not completed.
    when: {tool: {id: readiness-tool, completed: false}}
    sources: [study]
scored_tools:
  - id: readiness-tool
    title: Readiness tool
    summary: Points on the options of a question.
    applies_at: [before-plan]
    items:
      - id: readiness
        label: Readiness to change
        answer: readiness
        option_points: {thinking: 2, doing: 1, keeping: 0}
    bands:
      - {max: 0, level: low, label: Low concern 0}
      - {min: 1, max: 1, level: medium, label: Some concern 1}
      - {min: 2, level: high, label: High concern 2}
"""


def test_points_sit_on_the_options_of_a_choice_question() -> None:
    content = with_rules(OPTION_TOOL)

    (tool,) = evaluate(content, snapshot(answers={"readiness": "thinking"})).tools

    (item,) = tool.items
    assert (item.item_id, item.points, item.option) == ("readiness", 2, "Thinking about change")
    assert tool.band_label == "High concern 2"
    assert tool.item_lines() == (
        'Readiness to change: +2 (Thinking about change) because the answer to "Readiness to '
        'change" is "Thinking about change"',
    )


def test_rules_read_a_tool_score_band_and_completion() -> None:
    content = with_rules(OPTION_TOOL)

    high = evaluate(content, snapshot(answers={"readiness": "thinking"}))
    middle = evaluate(content, snapshot(answers={"readiness": "doing"}))
    unanswered = evaluate(content, snapshot())

    assert [f.rule_id for f in high.minimum_levels] == ["tool-high"]
    assert [r.text for r in high.minimum_levels[0].reasons] == [
        '"Readiness tool" scores 2 (at least 2)'
    ]
    assert high.cautions == ()
    assert [f.rule_id for f in middle.cautions] == ["tool-medium"]
    assert [r.text for r in middle.cautions[0].reasons] == [
        '"Readiness tool" is in the band Some concern 1'
    ]
    assert [f.rule_id for f in unanswered.cautions] == ["tool-open"]
    assert unanswered.minimum_levels == ()
    assert unanswered.tools[0].unanswered == ("Readiness to change",)


def test_a_tool_runs_only_at_the_timepoints_it_applies_at() -> None:
    content = with_rules(OPTION_TOOL)
    facts = snapshot(answers={"readiness": "thinking"})

    assert [t.tool_id for t in evaluate(content, facts, "before-plan").tools] == ["readiness-tool"]
    elsewhere = evaluate(content, facts, "after-return")
    assert elsewhere.tools == ()
    assert elsewhere.minimum_levels == ()
    assert [f.rule_id for f in elsewhere.cautions] == ["tool-open"]
    assert [r.text for r in elsewhere.cautions[0].reasons] == [
        '"Readiness tool" is not completed at this point'
    ]


def test_the_explanation_lists_level_rules_tools_and_cautions() -> None:
    facts = snapshot(
        answers={"planned": False},
        factors=alpha(al_r1=FactorState("present", 2), al_r2=FactorState("present", 1)),
        children=(SAM,),
    )

    lines = evaluate(tiny(), facts).explanation()

    assert lines == (
        "Suggested level: High (Unplanned return).",
        'Several alpha risks (at least Medium): 2 risk factors present in "Alpha" (at least 2): '
        '"First alpha risk"; "Second alpha risk" [Study 2020]',
        'Unplanned return (at least High): the answer to "Is the return planned?" is no '
        "[Guide 2021]",
        "Example structured tool: Medium. Score 3, in the band Medium.",
        '  Alpha risks present: +3 (Two or more) because 2 risk factors present in "Alpha" '
        '(at least 2): "First alpha risk"; "Second alpha risk"',
        "Older child: Sam is aged 12 (more than 10) [Study 2020]",
    )


# --- show_when ------------------------------------------------------------------------------


def test_show_when_for_the_form_engine() -> None:
    question = tiny().questions["plan-notes"].question
    assert question.show_when is not None

    assert show_when_holds(question.show_when, {"planned": True}) is True
    assert show_when_holds(question.show_when, {"planned": False}) is False
    assert show_when_holds(question.show_when, {}) is False


def test_show_when_combinations() -> None:
    from pydantic import TypeAdapter

    from app.content.schema import ShowWhen

    adapter = TypeAdapter[Any](ShowWhen)
    rule = adapter.validate_python(
        read_yaml(
            "any:\n  - not: {answer: a, answered: true}\n  - all:\n"
            "      - {answer: b, one_of: [x, y]}\n      - {answer: c, at_least: 2}\n"
        ).data
    )

    assert show_when_holds(rule, {}) is True
    assert show_when_holds(rule, {"a": "text", "b": "x", "c": 3}) is True
    assert show_when_holds(rule, {"a": "text", "b": "x", "c": 1}) is False


@pytest.mark.parametrize(
    ("test", "value", "matches"),
    [
        ({"answer": "q", "answered": True}, (), False),
        ({"answer": "q", "answered": False}, None, True),
        ({"answer": "q", "equals": 2}, 2.0, True),
        ({"answer": "q", "equals": True}, 1, False),
        ({"answer": "q", "includes": "x"}, "x", False),
        ({"answer": "q", "at_least": 1}, "3", False),
        ({"answer": "q", "one_of": ("x",)}, ("x", "y"), True),
        ({"answer": "q", "equals": "x"}, None, False),
    ],
)
def test_answer_matching_edge_cases(test: dict[str, Any], value: Any, matches: bool) -> None:
    assert answer_matches(AnswerTest.model_validate(test), value) is matches
