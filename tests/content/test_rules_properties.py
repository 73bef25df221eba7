"""Property-based tests of the rules engine over arbitrary snapshots and generated rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from app.content.model import FrameworkContent
from app.content.rules import RulesResult, evaluate, evaluate_condition
from app.content.schema import RulesFile
from app.content.snapshot import (
    AnswerValue,
    ChildFacts,
    ChronologyStats,
    CountStats,
    FactorState,
    FamilySnapshot,
    ParentProblem,
)
from tests.content.support import tiny, v1

CONTENTS = {"v1": v1(), "tiny": tiny()}
ids = st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True)
small = st.integers(min_value=0, max_value=40)
maybe_small = st.none() | small
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))


def known_or_random(values: list[str]) -> st.SearchStrategy[str]:
    return st.sampled_from(values) | ids


def answer_values() -> st.SearchStrategy[AnswerValue]:
    return st.one_of(
        st.text(max_size=20),
        st.booleans(),
        st.integers(min_value=-1000, max_value=1000),
        st.floats(allow_nan=True, allow_infinity=True),
        days,
        st.lists(ids, max_size=4).map(tuple),
    )


@st.composite
def snapshots(draw: st.DrawFn, content: FrameworkContent) -> FamilySnapshot:
    factor_ids = known_or_random(sorted(content.factors))
    question_ids = known_or_random(sorted(content.questions))
    vocabulary = content.vocabulary
    children = draw(
        st.lists(
            st.builds(
                ChildFacts,
                id=ids,
                label=st.text(min_size=1, max_size=8),
                age_years=st.none() | st.integers(min_value=0, max_value=18),
                legal_status=st.none() | known_or_random([t.id for t in vocabulary.legal_statuses]),
                entry_reasons=st.frozensets(
                    known_or_random([t.id for t in vocabulary.entry_reasons]), max_size=3
                ),
                months_in_care=maybe_small,
                placement_moves=maybe_small,
                earlier_returns=maybe_small,
                earlier_breakdowns=maybe_small,
            ),
            max_size=3,
        )
    )
    parents = draw(
        st.lists(
            st.builds(
                ParentProblem,
                parent_id=ids,
                parent_label=st.text(min_size=1, max_size=8),
                problem_area=st.none() | known_or_random([d.id for d in content.domains]),
                readiness_stage=st.none()
                | known_or_random([t.id for t in vocabulary.readiness_stages]),
                months_sustained=maybe_small,
                engaged=st.none() | st.booleans(),
            ),
            max_size=4,
        )
    )
    windows = sorted(content.chronology_windows)
    counts = st.builds(
        CountStats,
        count=small,
        first=st.none() | days,
        last=st.none() | days,
        within_months=st.dictionaries(st.sampled_from([*windows, 1]), small, max_size=3),
    )
    themes = known_or_random([theme.id for theme in content.chronology.themes])
    grades = known_or_random([grade.id for grade in content.chronology.significance])
    scope = st.tuples(ids, st.from_regex(r"[A-Za-z0-9_-]{1,6}", fullmatch=True))
    answer_keys = question_ids | st.builds(
        lambda scopes, question: "".join(f"{g}[{i}]." for g, i in scopes) + question,
        st.lists(scope, max_size=2),
        question_ids,
    )
    return FamilySnapshot(
        as_of=draw(days),
        answers=draw(st.dictionaries(answer_keys | st.text(max_size=10), answer_values())),
        factors=draw(
            st.dictionaries(
                factor_ids,
                st.builds(
                    FactorState,
                    status=st.sampled_from(["present", "absent", "unknown"]),
                    evidence_count=st.integers(min_value=0, max_value=5),
                ),
            )
        ),
        children=tuple(children),
        parents=tuple(parents),
        chronology=ChronologyStats(
            entries=draw(small),
            themes=draw(st.dictionaries(themes, counts, max_size=6)),
            significance=draw(st.dictionaries(grades, counts, max_size=3)),
        ),
        earlier_levels=tuple(draw(st.lists(known_or_random([lv.id for lv in content.levels])))),
    )


def fired_level_rank(result: RulesResult) -> int:
    ranks = [result.default_level.rank]
    ranks += [finding.level.rank for finding in result.minimum_levels if finding.level]
    ranks += [tool.level.rank for tool in result.tools if tool.level is not None]
    return max(ranks)


@settings(deadline=None, max_examples=100)
@given(st.data())
def test_engine_never_raises_and_explains_every_fired_rule(data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(CONTENTS)))
    content = CONTENTS[name]
    facts = data.draw(snapshots(content))

    result = evaluate(content, facts)

    assert result.suggested_level.rank == fired_level_rank(result)
    assert result.suggested_level.rank >= result.default_level.rank
    fired = {finding.rule_id for finding in (*result.minimum_levels, *result.cautions)}
    for rule in (*content.rules.minimum_levels, *content.rules.cautions):
        holds = evaluate_condition(content, rule.when, facts).holds
        assert holds == (rule.id in fired), rule.id
    for finding in (*result.minimum_levels, *result.cautions):
        assert finding.reasons, finding.rule_id
        assert all(reason.text for reason in finding.reasons)
        assert finding.sources, finding.rule_id
        assert all(source.citation for source in finding.sources)
    if result.level_set_by:
        assert result.suggested_level.rank > result.default_level.rank or result.tools
    assert len(result.explanation()) >= 1


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_results_are_deterministic_and_independent_of_answer_order(data: st.DataObject) -> None:
    content = v1()
    facts = data.draw(snapshots(content))
    reordered = replace(facts, answers=dict(reversed(list(facts.answers.items()))))

    assert evaluate(content, facts) == evaluate(content, facts)
    assert evaluate(content, reordered) == evaluate(content, facts)


@settings(deadline=None, max_examples=60)
@given(st.data())
def test_scored_tool_score_band_and_override(data: st.DataObject) -> None:
    content = tiny()
    (tool_rules,) = content.rules.scored_tools
    facts = data.draw(snapshots(content))

    (tool,) = evaluate(content, facts).tools

    assert tool.score == sum(item.points for item in tool.items)
    assert len({item.item_id for item in tool.items}) == len(tool.items)
    override_ranks = [o.level.rank for o in tool.overrides if o.level]
    if not tool.completed:
        # Never a band, or a level of its own, until every item is answered.
        assert (tool.band_level, tool.items, tool.score) == (None, (), 0)
        assert (tool.level.rank if tool.level else None) == max(override_ranks, default=None)
        return
    band = next(
        (b for b in tool_rules.bands if b.max is None or tool.score <= b.max), tool_rules.bands[-1]
    )
    assert tool.band_level is not None
    assert tool.band_level.id == band.level
    assert tool.level is not None
    assert tool.level.rank == max([tool.band_level.rank, *override_ranks])


# --- monotonicity ---------------------------------------------------------------------------

RISK_FACTORS = sorted(f for f, info in v1().factors.items() if info.kind == "risk")
DOMAINS = [domain.id for domain in v1().domains]
LEVELS = [level.id for level in v1().levels]


def positive_conditions() -> st.SearchStrategy[dict[str, Any]]:
    """Conditions that can only become true, never false, as risk factors are added."""
    leaves = st.one_of(
        st.builds(lambda f: {"factor": f}, st.sampled_from(RISK_FACTORS)),
        st.builds(
            lambda domain, n: {
                "factor_count": {"kind": "risk", **({"domain": domain} if domain else {})},
                "at_least": n,
            },
            st.none() | st.sampled_from(DOMAINS),
            st.integers(min_value=1, max_value=6),
        ),
    )
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.builds(
                lambda parts: {"all": tuple(parts)}, st.lists(children, min_size=1, max_size=3)
            ),
            st.builds(
                lambda parts: {"any": tuple(parts)}, st.lists(children, min_size=1, max_size=3)
            ),
        ),
        max_leaves=6,
    )


@st.composite
def minimum_level_rules(draw: st.DrawFn) -> FrameworkContent:
    rules = draw(
        st.lists(
            st.builds(
                lambda number, level, when: {
                    "id": f"rule-{number}",
                    "title": "Generated rule",
                    "level": level,
                    "when": when,
                    "explanation": "Generated for a property test.",
                    "sources": ("wilkins-farmer-2015",),
                },
                st.integers(min_value=0, max_value=10**6),
                st.sampled_from(LEVELS),
                positive_conditions(),
            ),
            min_size=1,
            max_size=6,
            unique_by=lambda rule: rule["id"],
        )
    )
    return replace(v1(), rules=RulesFile.model_validate({"minimum_levels": tuple(rules)}))


@settings(deadline=None, max_examples=150)
@given(
    minimum_level_rules(),
    st.dictionaries(st.sampled_from(RISK_FACTORS), st.integers(min_value=0, max_value=3)),
    st.sampled_from(RISK_FACTORS),
    st.integers(min_value=0, max_value=3),
)
def test_adding_a_present_risk_factor_never_lowers_the_suggested_level(
    content: FrameworkContent, present: dict[str, int], added: str, evidence: int
) -> None:
    before = FamilySnapshot(
        as_of=date(2025, 1, 1),
        factors={factor: FactorState("present", links) for factor, links in present.items()},
    )
    after = replace(
        before, factors={**before.factors, added: FactorState("present", max(evidence, 0))}
    )

    level_before = evaluate(content, before).suggested_level.rank
    level_after = evaluate(content, after).suggested_level.rank

    assert level_after >= level_before
