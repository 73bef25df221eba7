"""Build the rules engine's `FamilySnapshot` of one family from the database.

One function every reader of the rules calls (the classification page, the family summary), so
they all see the same facts: children, chronology counts, the assessment's answers and factor
ratings (with evidence counts), parents' capacity to change, and the levels of earlier
classifications that were signed off. The same reads serve many families at once (a draft's
impact over a council's families) in a fixed number of queries, whatever the number.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import and_, func
from sqlalchemy import select as select_rows
from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.snapshot import (
    ChildFacts,
    ChronologyStats,
    FactorState,
    FamilySnapshot,
    parent_problems_from_answers,
)
from app.db import has_written
from app.memo import Bounded
from app.models.assessment import (
    AssessmentAnswer,
    Classification,
    ClassificationStatus,
    FactorRating,
    FactorStatus,
)
from app.models.family import Adult, Child, EarlierReturn, Family
from app.models.journey import ChildReturn, MonitoringVisit, MonitoringVisitChild
from app.services import breakdowns, evidence, people, questions
from app.services import families as family_records
from app.services.chronology_analysis import CACHED_ANALYSES, SOURCES, chronology_version
from app.services.chronology_stats import chronology_stats_of
from app.timeutil import age_in_years, months_between


def build_family_snapshot(
    session: Session,
    *,
    family: Family,
    content: FrameworkContent,
    as_of: date,
    cycle: int | None = None,
) -> FamilySnapshot:
    """Everything the rules engine may read about `family` as of `as_of`, with the answers of
    review `cycle` (the review under way when None)."""
    snapshots = build_snapshots(
        session, families=[family], contents=(content,), as_of=as_of, cycle=cycle
    )
    return snapshots[family.id][0]


def build_snapshots(
    session: Session,
    *,
    families: Sequence[Family],
    contents: Sequence[FrameworkContent],
    as_of: date,
    cycle: int | None = None,
) -> dict[uuid.UUID, tuple[FamilySnapshot, ...]]:
    """Each family's snapshot under each of `contents` (a version and a draft, for a draft's
    impact or a family's move), reading the families' records once for all of them."""
    ids = [family.id for family in families]
    reviews = {family.id: family.current_cycle if cycle is None else cycle for family in families}
    answers = _answer_rows(session, families, reviews)
    factors = _factor_states(session, ids)
    children = _children(session, families)
    facts = _children_facts(session, ids, children, as_of=as_of)
    parents = _parents(session, families, children)
    levels = _earlier_levels(session, ids)
    stats: dict[tuple[int, ...], dict[uuid.UUID, ChronologyStats]] = {}
    for content in contents:
        windows = tuple(sorted(set(content.chronology_windows)))
        if windows not in stats:
            stats[windows] = _chronology_stats(session, families, as_of=as_of, windows=windows)
    again = {
        content.key: _causes_again(session, families, content, as_of=as_of)
        for content in contents
        if any(cause.themes for cause in content.vocabulary.breakdown_causes)
    }
    result: dict[uuid.UUID, tuple[FamilySnapshot, ...]] = {}
    for family_id in ids:
        adults = parents.get(family_id, [])
        labels = dict(
            [(adult_id, name) for adult_id, name, _ in adults]
            + [(str(child.id), child.name) for child in children.get(family_id, [])]
        )
        held = {adult_id: roles for adult_id, _, roles in adults}
        snapshots = []
        for content in contents:
            given = questions.answers_from(answers.get(family_id, []), content, reviews[family_id])
            snapshots.append(
                FamilySnapshot(
                    as_of=as_of,
                    answers=given,
                    factors=factors.get(family_id, {}),
                    children=_with_causes(
                        facts.get(family_id, ()), again.get(content.key, {}).get(family_id, [])
                    ),
                    parents=parent_problems_from_answers(content, given, labels, as_of, held),
                    chronology=stats[tuple(sorted(set(content.chronology_windows)))][family_id],
                    earlier_levels=levels.get(family_id, ()),
                    people=labels,
                )
            )
        result[family_id] = tuple(snapshots)
    return result


_kept_stats: Bounded[tuple[Any, ...], ChronologyStats] = Bounded(CACHED_ANALYSES)


def _chronology_stats(
    session: Session, families: Sequence[Family], *, as_of: date, windows: tuple[int, ...]
) -> dict[uuid.UUID, ChronologyStats]:
    """The families' chronology statistics. One family's (a page's) are kept by its
    chronology's version, like its analysis: one statement, read once per request and shared
    with the analysis, instead of five. Many families' are counted together."""
    ids = [family.id for family in families]
    if len(families) != 1:
        return chronology_stats_of(session, ids, as_of=as_of, windows=windows)
    family = families[0]
    key = (family.id, as_of, windows, chronology_version(session, family))
    kept = _kept_stats.get_or_make(
        key,
        lambda: chronology_stats_of(session, ids, as_of=as_of, windows=windows)[family.id],
        shared=not has_written(session, *SOURCES),
    )
    return {family.id: kept}


def _with_causes(
    children: tuple[ChildFacts, ...], causes: list[breakdowns.CauseAgain]
) -> tuple[ChildFacts, ...]:
    """The children's facts with their earlier breakdowns' causes, as this content links them
    to the chronology."""
    if not causes:
        return children
    return tuple(
        replace(
            child,
            breakdown_causes=tuple(
                (cause.sentence(), cause.seen_again)
                for cause in causes
                if str(cause.child_id) == child.id
            ),
        )
        for child in children
    )


def _causes_again(
    session: Session, families: Sequence[Family], content: FrameworkContent, *, as_of: date
) -> dict[uuid.UUID, list[breakdowns.CauseAgain]]:
    if len(families) == 1:
        family_id = families[0].id
        return {
            family_id: breakdowns.causes_again(
                session, family_id=family_id, content=content, as_of=as_of
            )
        }
    return breakdowns.causes_again_in(
        session, [family.id for family in families], content, as_of=as_of
    )


# One family's snapshot (its summary, its classification) takes the family's records from
# the reads its page's other parts share; many families' (a report, a draft's impact) read
# them all at once.


def _answer_rows(
    session: Session, families: Sequence[Family], reviews: dict[uuid.UUID, int]
) -> dict[uuid.UUID, list[AssessmentAnswer]]:
    """Each family's answers of the sections answered once and of its review (cycle 0 and
    `reviews[family]`), oldest first."""
    if len(families) == 1:
        rows: Sequence[AssessmentAnswer] = questions.answer_rows(session, families[0].id)
    else:
        rows = session.exec(
            select(AssessmentAnswer)
            .where(
                col(AssessmentAnswer.family_id).in_([family.id for family in families]),
                col(AssessmentAnswer.cycle).in_(sorted({0, *reviews.values()})),
            )
            .order_by(col(AssessmentAnswer.created_at))
        ).all()
    found: dict[uuid.UUID, list[AssessmentAnswer]] = {}
    for row in rows:
        if row.cycle in (0, reviews[row.family_id]):
            found.setdefault(row.family_id, []).append(row)
    return found


def _factor_states(
    session: Session, ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, FactorState]]:
    """Each rated factor's status and how much evidence backs it, in one statement."""
    counts = evidence.counts_by_factor(ids)
    statuses = {status.value for status in FactorStatus}
    rows = session.execute(
        select_rows(
            col(FactorRating.family_id),
            col(FactorRating.factor_id),
            col(FactorRating.status),
            func.coalesce(counts.c.count, 0),
        )
        .join(
            counts,
            and_(
                counts.c.family_id == col(FactorRating.family_id),
                counts.c.factor_id == col(FactorRating.factor_id),
            ),
            isouter=True,
        )
        .where(col(FactorRating.family_id).in_(ids), col(FactorRating.cycle) == 0)
    ).all()
    found: dict[uuid.UUID, dict[str, FactorState]] = {}
    for family_id, factor_id, status, count in rows:
        if status in statuses:
            found.setdefault(family_id, {})[factor_id] = FactorState(
                status=status, evidence_count=count
            )
    return found


def _children(session: Session, families: Sequence[Family]) -> dict[uuid.UUID, list[Child]]:
    """Each family's children (deleted ones left out), youngest last, as people_of lists them."""
    return family_records.people_by_family(session, Child, families)


def _parents(
    session: Session, families: Sequence[Family], children: dict[uuid.UUID, list[Child]]
) -> dict[uuid.UUID, list[tuple[str, str, frozenset[str]]]]:
    """Each family's adults as (id, name, roles held toward the children), in the order
    people_of lists them."""
    return {
        family_id: [
            (str(adult.id), adult.name, people.held(adult, children.get(family_id, [])))
            for adult in adults
        ]
        for family_id, adults in family_records.people_by_family(session, Adult, families).items()
    }


def _children_facts(
    session: Session,
    ids: Sequence[uuid.UUID],
    children: dict[uuid.UUID, list[Child]],
    *,
    as_of: date,
) -> dict[uuid.UUID, tuple[ChildFacts, ...]]:
    """What the rules may ask about each child of each family."""
    child_ids = [child.id for family in children.values() for child in family]
    returns: dict[uuid.UUID, list[EarlierReturn]] = {}
    for item in family_records.earlier_returns(session, child_ids):
        returns.setdefault(item.child_id, []).append(item)
    home = _latest_returns(session, ids)
    seen_alone = _seen_alone_at_latest_visit(session, ids, home)
    return {
        family_id: tuple(
            ChildFacts(
                id=str(child.id),
                label=child.name,
                age_years=age_in_years(child.date_of_birth, as_of),
                legal_status=child.legal_status,
                entry_reasons=frozenset({child.entry_reason}),
                months_in_care=months_between(child.date_entered_care, as_of),
                placement_moves=child.placement_moves,
                earlier_returns=len(returns.get(child.id, [])),
                earlier_breakdowns=sum(1 for item in returns.get(child.id, []) if item.broke_down),
                return_type=home[child.id].return_type if child.id in home else None,
                legal_status_on_return=home[child.id].legal_status if child.id in home else None,
                seen_alone_since_return=seen_alone.get(child.id),
            )
            for child in family_children
        )
        for family_id, family_children in children.items()
    }


def _latest_returns(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ChildReturn]:
    """Each child's latest return home in this plan."""
    rows = session.exec(
        select(ChildReturn)
        .where(col(ChildReturn.family_id).in_(ids), col(ChildReturn.deleted_at).is_(None))
        .order_by(col(ChildReturn.returned_on))
    ).all()
    return {row.child_id: row for row in rows}


def _seen_alone_at_latest_visit(
    session: Session, ids: Sequence[uuid.UUID], home: dict[uuid.UUID, ChildReturn]
) -> dict[uuid.UUID, bool]:
    """Whether each child who went home was seen alone at their latest visit since."""
    rows = session.exec(
        select(
            col(MonitoringVisit.visited_on),
            col(MonitoringVisitChild.child_id),
            col(MonitoringVisitChild.seen_alone),
        )
        .join(MonitoringVisitChild, col(MonitoringVisitChild.visit_id) == col(MonitoringVisit.id))
        .where(
            col(MonitoringVisit.family_id).in_(ids),
            col(MonitoringVisit.deleted_at).is_(None),
        )
        .order_by(col(MonitoringVisit.visited_on))
    ).all()
    seen: dict[uuid.UUID, bool] = {}
    for visited_on, child_id, alone in rows:
        if child_id in home and visited_on >= home[child_id].returned_on:
            seen[child_id] = alone
    return seen


def _earlier_levels(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, tuple[str, ...]]:
    """The levels of the classifications signed off so far, oldest first: the supervisor's
    where they gave one, otherwise the practitioner's."""
    rows = session.exec(
        select(
            col(Classification.family_id),
            col(Classification.supervisor_level),
            col(Classification.practitioner_level),
        )
        .where(
            col(Classification.family_id).in_(ids),
            col(Classification.status) == ClassificationStatus.AGREED.value,
        )
        .order_by(col(Classification.reviewed_at))
    ).all()
    found: dict[uuid.UUID, tuple[str, ...]] = {}
    for family_id, supervisor_level, practitioner_level in rows:
        found[family_id] = (*found.get(family_id, ()), supervisor_level or practitioner_level)
    return found
