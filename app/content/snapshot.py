"""The facts about one family that the rules engine reads: frozen values built by services.

Answers are keyed by *answer keys*. A question outside any group is keyed by its id
(`planned-return`). A question inside repeating groups is keyed by each enclosing group and the
instance it belongs to, then its own id: `capacity[<parent id>].problems[<item id>].readiness`.
Instances are the parent's or child's id for `per_parent` and `per_child` groups, and an item id
for `repeating` and `per_item` groups. Question ids are unique in a version, so the engine finds
every instance of a question by the last part of the key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from app.content.model import FrameworkContent
from app.timeutil import add_months, months_between

AnswerValue = str | bool | int | float | date | tuple[str, ...]
FactorStatus = Literal["present", "absent", "unknown"]
Scope = tuple[str, str]

_INSTANCE = re.compile(r"[A-Za-z0-9_-]+")
_SCOPE = re.compile(r"([a-z][a-z0-9-]*)\[([A-Za-z0-9_-]+)\]")
_QUESTION = re.compile(r"[a-z][a-z0-9-]*")


def answer_key(question_id: str, *scopes: Scope) -> str:
    """The key of an answer: `group[instance].` for each enclosing group, then the question id."""
    for group_id, instance in scopes:
        if not _INSTANCE.fullmatch(instance):
            raise ValueError(f"an instance id may only use letters, digits, - and _: {instance!r}")
        if not _QUESTION.fullmatch(group_id):
            raise ValueError(f"not a group id: {group_id!r}")
    return "".join(f"{group}[{instance}]." for group, instance in scopes) + question_id


def parse_answer_key(key: str) -> tuple[tuple[Scope, ...], str] | None:
    """The scopes and question id of an answer key, or None when the key is malformed."""
    *scope_parts, question_id = key.split(".")
    if not _QUESTION.fullmatch(question_id):
        return None
    scopes: list[Scope] = []
    for part in scope_parts:
        match = _SCOPE.fullmatch(part)
        if match is None:
            return None
        scopes.append((match.group(1), match.group(2)))
    return tuple(scopes), question_id


@dataclass(frozen=True)
class FactorState:
    """A factor as recorded for the family: its status and how many pieces of evidence back it."""

    status: FactorStatus
    evidence_count: int = 0


@dataclass(frozen=True)
class ChildFacts:
    """What the rules may ask about one child; None means not recorded."""

    id: str
    label: str
    age_years: int | None = None
    legal_status: str | None = None
    entry_reasons: frozenset[str] = frozenset()
    months_in_care: int | None = None
    placement_moves: int | None = None
    earlier_returns: int | None = None
    earlier_breakdowns: int | None = None
    # The child's latest return home in this plan, if they have gone home.
    return_type: str | None = None
    legal_status_on_return: str | None = None
    seen_alone_since_return: bool | None = None
    # Each earlier breakdown whose cause the content links to chronology themes: a sentence
    # naming the child and the cause, and whether the chronology shows it again in the last
    # 12 months (app.services.breakdowns).
    breakdown_causes: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class ParentProblem:
    """One parent's capacity to change in one problem area (a domain id).

    `months_sustained` is counted from `change_since` to the assessment date when the content
    asks when the change began, so it grows with time; otherwise it is the number the worker
    recorded."""

    parent_id: str
    parent_label: str
    problem_area: str | None = None
    readiness_stage: str | None = None
    months_sustained: int | None = None
    engaged: bool | None = None
    change_since: date | None = None
    last_relapse: date | None = None


@dataclass(frozen=True)
class CountStats:
    """How often a theme (or significance grade) appears: overall and in recent windows."""

    count: int = 0
    first: date | None = None
    last: date | None = None
    within_months: Mapping[int, int] = field(default_factory=dict)
    # How exact the latest entry's date is (a chronology date precision), to show it as recorded.
    last_precision: str | None = None


@dataclass(frozen=True)
class ChronologyEntryFacts:
    """The parts of one chronology entry that statistics are made from."""

    date: date
    themes: frozenset[str] = frozenset()
    significance: str | None = None
    precision: str = "day"


PRECISIONS = ("day", "month", "approximate", "year", "approximate_year")


def most_exact(precisions: Iterable[str]) -> str:
    """The most exact of several entries' date precisions (entries on the same stored date)."""
    return min(precisions, key=lambda p: PRECISIONS.index(p) if p in PRECISIONS else 0)


def months_before(day: date, months: int) -> date:
    """The same day `months` calendar months earlier (the month's last day when it is shorter)."""
    return add_months(day, -months)


@dataclass(frozen=True)
class ChronologyStats:
    """Counts per theme and per significance grade, as the chronology service computes them."""

    entries: int = 0
    themes: Mapping[str, CountStats] = field(default_factory=dict)
    significance: Mapping[str, CountStats] = field(default_factory=dict)

    @classmethod
    def from_entries(
        cls, entries: Iterable[ChronologyEntryFacts], *, as_of: date, windows: Iterable[int]
    ) -> ChronologyStats:
        """Statistics from entries in memory; `windows` are the month spans rules ask about."""
        cutoffs = {months: months_before(as_of, months) for months in windows}
        themes: dict[str, list[ChronologyEntryFacts]] = {}
        grades: dict[str, list[ChronologyEntryFacts]] = {}
        count = 0
        for entry in entries:
            count += 1
            for theme in entry.themes:
                themes.setdefault(theme, []).append(entry)
            if entry.significance is not None:
                grades.setdefault(entry.significance, []).append(entry)

        def stats(found: list[ChronologyEntryFacts]) -> CountStats:
            dates = [entry.date for entry in found]
            last = max(dates)
            return CountStats(
                count=len(dates),
                first=min(dates),
                last=last,
                within_months={
                    months: sum(1 for day in dates if cutoff <= day <= as_of)
                    for months, cutoff in cutoffs.items()
                },
                last_precision=most_exact(e.precision for e in found if e.date == last),
            )

        return cls(
            entries=count,
            themes={theme: stats(dates) for theme, dates in themes.items()},
            significance={grade: stats(dates) for grade, dates in grades.items()},
        )


@dataclass(frozen=True)
class FamilySnapshot:
    """Everything the rules engine may read about one family, as of one date."""

    as_of: date
    answers: Mapping[str, AnswerValue] = field(default_factory=dict)
    factors: Mapping[str, FactorState] = field(default_factory=dict)
    children: tuple[ChildFacts, ...] = ()
    parents: tuple[ParentProblem, ...] = ()
    chronology: ChronologyStats = field(default_factory=ChronologyStats)
    earlier_levels: tuple[str, ...] = ()
    # Every person's name by id (adults and children), so that a reason about an answer
    # given for someone names them even when they have no other facts (a parent outside).
    people: Mapping[str, str] = field(default_factory=dict)


def parent_problems_from_answers(
    content: FrameworkContent,
    answers: Mapping[str, AnswerValue],
    parent_labels: Mapping[str, str],
    as_of: date,
    parent_roles: Mapping[str, frozenset[str]] | None = None,
) -> tuple[ParentProblem, ...]:
    """Build `parents` from the answers to the questions content marks with parent facts, with
    durations counted to `as_of` (dates after it are left out: not yet known on that day).
    When the per-parent group names roles and `parent_roles` gives each adult's, answers
    kept from an adult the group no longer asks about (their role changed) are left out."""
    facts = {
        question_id: info
        for question_id, info in content.questions.items()
        if info.question.fact is not None
    }
    if not facts:
        return ()
    per_parent = next(
        (
            group
            for group in next(iter(facts.values())).groups
            if content.questions[group].question.type == "per_parent"
        ),
        None,
    )
    group = content.questions[per_parent].question if per_parent else None
    wanted = set(getattr(group, "roles", None) or ())
    rows: dict[tuple[Scope, ...], dict[str, AnswerValue]] = {}
    for key, value in answers.items():
        parsed = parse_answer_key(key)
        if parsed is None or parsed[1] not in facts:
            continue
        scopes, question_id = parsed
        fact = facts[question_id].question.fact
        assert fact is not None
        rows.setdefault(scopes, {})[fact] = value
    problems = []
    for scopes, row in sorted(rows.items()):
        parent_id = next((instance for group, instance in scopes if group == per_parent), None)
        if parent_id is None:
            continue
        if parent_roles is not None and parent_id not in parent_roles:
            continue  # an adult deleted from the family: never named by an id
        if wanted and parent_roles is not None and not parent_roles[parent_id] & wanted:
            continue
        since = _day(row.get("parent-change-since"))
        months = _whole(row.get("parent-months-sustained"))
        if since is not None and since <= as_of:
            months = months_between(since, as_of)
        relapse = _day(row.get("parent-last-relapse"))
        problems.append(
            ParentProblem(
                parent_id=parent_id,
                parent_label=parent_labels.get(parent_id, parent_id),
                problem_area=_text(row.get("parent-problem-area")),
                readiness_stage=_text(row.get("parent-readiness-stage")),
                months_sustained=months,
                engaged=_flag(row.get("parent-engaged")),
                change_since=since,
                last_relapse=relapse if relapse is not None and relapse <= as_of else None,
            )
        )
    return tuple(problems)


def _day(value: AnswerValue | None) -> date | None:
    return value if isinstance(value, date) else None


def _text(value: AnswerValue | None) -> str | None:
    return value if isinstance(value, str) else None


def _flag(value: AnswerValue | None) -> bool | None:
    return value if isinstance(value, bool) else None


def _whole(value: AnswerValue | None) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)
