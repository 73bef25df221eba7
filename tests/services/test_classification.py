"""The suggested level and its explanation, for families built to trigger each kind of rule
in the content new families start on: factor, all-of-factors, parent, chronology, child,
factor count, earlier level and answer."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlmodel import Session

from app.models.accounts import Role, User
from app.models.assessment import Classification
from app.models.base import utcnow
from app.models.family import Family
from app.services import classification, evidence
from app.timeutil import add_months, london_today
from tests.factories import (
    make_adult,
    make_child,
    make_family,
    make_return,
    make_team,
    make_user,
)
from tests.support.assessment import CURRENT, actor, make_entry, rate, save


@dataclass
class Case:
    db: Session
    user: User
    family: Family


@pytest.fixture
def case(db: Session) -> Case:
    team = make_team(db)
    user = make_user(db, roles=[Role.PRACTITIONER], team=team)
    return Case(db, user, make_family(db, team=team, allocated_to=user))


def capacity(case: Case, **answers: str) -> None:
    parent = make_adult(case.db, case.family, name="Kim Harper")
    prefix = f"a.capacity[{parent.id}].problem-areas[one]"
    form = {f"items.capacity[{parent.id}].problem-areas": "one"}
    form.update({f"{prefix}.{key.replace('_', '-')}": value for key, value in answers.items()})
    save(case.db, case.user, case.family, "capacity-to-change", form)


def serious_harm(case: Case) -> None:
    rate(case.db, case.user, case.family, "factors-history-of-harm", {"hh-r1": "present"})


def serious_harm_denied(case: Case) -> None:
    serious_harm(case)
    rate(case.db, case.user, case.family, "factors-motivation", {"mo-r1": "present"})


def not_considering_change(case: Case) -> None:
    capacity(case, problem_area="domestic-abuse", readiness_stage="pre-contemplation")


def abuse_in_the_chronology(case: Case) -> None:
    for days in (30, 200):
        make_entry(
            case.db,
            case.family,
            case.user,
            on=london_today() - timedelta(days=days),
            themes=("domestic-abuse-incident",),
            what=f"Police called to the home, {days} days ago",
        )


def earlier_breakdown(case: Case) -> None:
    child = make_child(case.db, case.family, name="Amy", entry_reason="physical-abuse")
    make_return(case.db, child, broke_down=True)


def chronic_neglect(case: Case) -> None:
    make_child(case.db, case.family, name="Leo", entry_reason="neglect")
    rate(case.db, case.user, case.family, "factors-parenting-capacity", {"pc-r1": "present"})


def several_risks_with_evidence(case: Case) -> None:
    # Risk factors no rule reads on its own (since 1.3.0 unstable mental health sets high).
    factors = ("sm-r2", "sm-r3", "hf-r1", "hc-r4", "pr-r1", "fn-r1")
    by_section: dict[str, dict[str, str]] = {}
    for factor_id in factors:
        info = CURRENT.factors[factor_id]
        section = next(
            s.id
            for s in CURRENT.stage("assessment").sections
            if getattr(s, "domain", "") == info.domain.id
        )
        by_section.setdefault(section, {})[factor_id] = "present"
        entry = make_entry(case.db, case.family, case.user, what=f"Evidence for {factor_id}")
        evidence.link_entries(
            case.db,
            actor=actor(case.user),
            family=case.family,
            content=CURRENT,
            factor_id=factor_id,
            entry_ids=[str(entry.id)],
        )
    for section, statuses in by_section.items():
        rate(case.db, case.user, case.family, section, statuses)


def earlier_high_level(case: Case) -> None:
    case.db.add(
        Classification(
            family_id=case.family.id,
            section_id="classification-before-plan",
            timepoint_id="before-plan",
            content_version="1.0.0",
            suggested_level="high",
            practitioner_level="high",
            submitted_by_id=case.user.id,
            status="agreed",
            supervisor_agrees=True,
            supervisor_level="high",
            reviewed_at=utcnow(),
        )
    )
    case.db.flush()
    since = add_months(london_today(), -3)
    capacity(
        case,
        problem_area="substance-misuse",
        readiness_stage="action",
        change_evidence="behaviour-changed",
        change_since_day=str(since.day),
        change_since_month=str(since.month),
        change_since_year=str(since.year),
    )


def attendance_only(case: Case) -> None:
    capacity(case, problem_area="mental-health", change_evidence="attendance-only")


KINDS: list[tuple[str, Callable[[Case], None], str, str, str, str]] = [
    # (rule kind, builder, expected level, rule that fires, words in its reasons, a source)
    ("factor", serious_harm, "high", "serious-harm", "has suffered serious harm", "Wilkins"),
    (
        "all of",
        serious_harm_denied,
        "very-high",
        "serious-harm-denied",
        "denies or plays down the concerns",
        "Wilkins",
    ),
    ("parent", not_considering_change, "high", "not-considering-change", "Kim Harper", "Wilkins"),
    (
        "chronology",
        abuse_in_the_chronology,
        "high",
        "domestic-abuse-continuing",
        "2 times in the last 12 months",
        "Wilkins",
    ),
    ("child", earlier_breakdown, "medium", "earlier-breakdown", "Amy has had 1 earlier", "Wade"),
    ("child and factor", chronic_neglect, "high", "chronic-neglect", "Neglect", "Wade"),
    (
        "factor count",
        several_risks_with_evidence,
        "medium",
        "several-risks",
        "6 risk factors",
        "Wilkins",
    ),
    ("earlier level", earlier_high_level, "high", "high-level-not-sustained", "High", "Wilkins"),
]


@pytest.mark.parametrize(
    ("kind", "build", "level", "rule", "words", "source"), KINDS, ids=[k[0] for k in KINDS]
)
def test_each_rule_kind_gives_its_level_with_an_explanation(
    case: Case,
    kind: str,
    build: Callable[[Case], None],
    level: str,
    rule: str,
    words: str,
    source: str,
) -> None:
    build(case)
    suggestion = classification.suggest(case.db, family=case.family, content=CURRENT)
    explanation = suggestion.explanation
    assert explanation["level"] == level, explanation["lines"]
    fired = {item["id"]: item for item in explanation["minimum_levels"]}
    assert rule in fired, explanation["lines"]
    reasons = " ".join(reason["text"] for reason in fired[rule]["reasons"])
    assert words in reasons
    # Factors are named by their words, never their ids.
    assert not re.search(r"\b[a-z]{2}-r\d", reasons), reasons
    assert any(source in item["citation"] for item in fired[rule]["sources"])


def test_with_nothing_recorded_the_suggestion_is_the_default_level(case: Case) -> None:
    suggestion = classification.suggest(case.db, family=case.family, content=CURRENT)
    assert suggestion.explanation["level"] == "low"
    assert suggestion.explanation["minimum_levels"] == []


def test_answers_raise_cautions_with_the_answer_quoted(case: Case) -> None:
    attendance_only(case)
    explanation = classification.suggest(case.db, family=case.family, content=CURRENT).explanation
    cautions = {item["id"]: item for item in explanation["cautions"]}
    reasons = " ".join(
        reason["text"] for reason in cautions["attendance-without-change"]["reasons"]
    )
    assert "The parent attends, but behaviour has not yet changed" in reasons


def test_explanations_name_the_chronology_entries_and_evidence_behind_a_rule(case: Case) -> None:
    abuse_in_the_chronology(case)
    several_risks_with_evidence(case)
    explanation = classification.suggest(case.db, family=case.family, content=CURRENT).explanation
    fired = {item["id"]: item for item in explanation["minimum_levels"]}
    (reason,) = [
        part
        for part in fired["domestic-abuse-continuing"]["reasons"]
        if part["kind"] == "chronology"
    ]
    assert [entry["what_happened"] for entry in reason["entries"]] == [
        "Police called to the home, 30 days ago",
        "Police called to the home, 200 days ago",
    ]
