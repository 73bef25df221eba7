"""Answer keys, chronology statistics and parents' facts for the rules engine's snapshot."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.content.snapshot import (
    ChronologyEntryFacts,
    ChronologyStats,
    ParentProblem,
    answer_key,
    months_before,
    parent_problems_from_answers,
    parse_answer_key,
)
from tests.content.support import tiny, v1

group_ids = st.from_regex(r"[a-z][a-z0-9]{0,8}(-[a-z0-9]{1,5})?", fullmatch=True)
instances = st.from_regex(r"[A-Za-z0-9_-]{1,12}", fullmatch=True)


def test_answer_keys_name_each_enclosing_group_and_instance() -> None:
    key = answer_key("readiness", ("capacity", "p1"), ("problems", "a7"))

    assert key == "capacity[p1].problems[a7].readiness"
    assert parse_answer_key(key) == ((("capacity", "p1"), ("problems", "a7")), "readiness")
    assert answer_key("planned") == "planned"
    assert parse_answer_key("planned") == ((), "planned")


@pytest.mark.parametrize("key", ["", "Planned", "a[b].", "a[b c].q", "a.q", "a[].q", "a[x]q"])
def test_malformed_answer_keys_parse_to_none(key: str) -> None:
    assert parse_answer_key(key) is None


def test_answer_key_refuses_instance_ids_that_would_break_the_format() -> None:
    with pytest.raises(ValueError, match="instance id"):
        answer_key("q", ("group", "a.b"))
    with pytest.raises(ValueError, match="not a group id"):
        answer_key("q", ("Group", "a"))


@given(st.lists(st.tuples(group_ids, instances), max_size=4), group_ids)
def test_answer_keys_round_trip(scopes: list[tuple[str, str]], question_id: str) -> None:
    assert parse_answer_key(answer_key(question_id, *scopes)) == (tuple(scopes), question_id)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2025, 3, 31), 1, date(2025, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2025, 1, 15), 12, date(2024, 1, 15)),
        (date(2025, 1, 15), 13, date(2023, 12, 15)),
    ],
)
def test_months_before_keeps_the_day_where_it_can(day: date, months: int, expected: date) -> None:
    assert months_before(day, months) == expected


def test_chronology_stats_from_entries() -> None:
    entries = [
        ChronologyEntryFacts(date(2023, 5, 1), frozenset({"incident"}), "red"),
        ChronologyEntryFacts(date(2024, 11, 1), frozenset({"incident", "progress"}), "green"),
        ChronologyEntryFacts(date(2025, 1, 1), frozenset({"incident"}), "red"),
    ]

    stats = ChronologyStats.from_entries(entries, as_of=date(2025, 1, 31), windows=[6, 24])

    assert stats.entries == 3
    incident = stats.themes["incident"]
    assert (incident.count, incident.first, incident.last) == (
        3,
        date(2023, 5, 1),
        date(2025, 1, 1),
    )
    assert dict(incident.within_months) == {6: 2, 24: 3}
    assert stats.significance["red"].count == 2
    assert dict(stats.significance["green"].within_months) == {6: 1, 24: 1}


def test_parent_problems_come_from_the_questions_marked_with_facts() -> None:
    answers = {
        "capacity[p1].problems[a].problem-area": "alpha",
        "capacity[p1].problems[a].readiness": "doing",
        "capacity[p1].problems[a].months": 4,
        "capacity[p1].problems[a].engaged": True,
        "capacity[p1].problems[b].problem-area": "beta",
        "capacity[p2].problems[c].readiness": "thinking",
        "planned": True,
    }

    problems = parent_problems_from_answers(
        tiny(), answers, {"p1": "Jo", "p2": "Sam"}, date(2026, 1, 1)
    )

    assert problems == (
        ParentProblem("p1", "Jo", "alpha", "doing", 4, True),
        ParentProblem("p1", "Jo", "beta", None, None, None),
        ParentProblem("p2", "Sam", None, "thinking", None, None),
    )


def test_parent_problems_in_the_bundled_content() -> None:
    answers = {
        "capacity[m].problem-areas[1].problem-area": "substance-misuse",
        "capacity[m].problem-areas[1].readiness-stage": "action",
        "capacity[m].problem-areas[1].months-sustained": 3.0,
        "capacity[m].problem-areas[1].engaged-with-services": "yes",
    }

    (problem,) = parent_problems_from_answers(v1(), answers, {}, date(2026, 1, 1))

    # Values of the wrong type are left out rather than guessed.
    assert problem == ParentProblem("m", "m", "substance-misuse", "action", 3, None)
