"""Chronology statistics for the rules engine, counted by the database in one pass per kind
(never by loading a family's whole history into Python)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func
from sqlmodel import Session, col, select

from app.content.snapshot import ChronologyStats, CountStats, months_before, most_exact
from app.models.chronology import ChronologyEntry, ChronologyEntryTheme


def chronology_stats(
    session: Session, family_id: uuid.UUID, *, as_of: date, windows: Iterable[int]
) -> ChronologyStats:
    """Counts per theme and per significance grade, overall and within each window of months
    before `as_of`, of the family's entries that are not deleted."""
    return chronology_stats_of(session, [family_id], as_of=as_of, windows=windows)[family_id]


def chronology_stats_of(
    session: Session, family_ids: Sequence[uuid.UUID], *, as_of: date, windows: Iterable[int]
) -> dict[uuid.UUID, ChronologyStats]:
    """`chronology_stats` of several families, in one pass per kind for all of them."""
    cutoffs = {months: months_before(as_of, months) for months in sorted(set(windows))}
    family = col(ChronologyEntry.family_id)
    live = [family.in_(list(family_ids)), col(ChronologyEntry.deleted_at).is_(None)]
    day = col(ChronologyEntry.occurred_on)
    windowed = [
        func.sum(case((day.between(cutoff, as_of), 1), else_=0)) for cutoff in cutoffs.values()
    ]
    aggregates = [func.count(), func.min(day), func.max(day), *windowed]

    def counts(
        rows: Iterable[Any], precisions: dict[tuple[uuid.UUID, str], str]
    ) -> dict[uuid.UUID, dict[str, CountStats]]:
        found: dict[uuid.UUID, dict[str, CountStats]] = {}
        for family_id, key, count, first, last, *within in rows:
            found.setdefault(family_id, {})[key] = CountStats(
                count=count,
                first=first,
                last=last,
                within_months={
                    months: int(value or 0) for months, value in zip(cutoffs, within, strict=True)
                },
                last_precision=precisions.get((family_id, key)),
            )
        return found

    themes = counts(
        session.exec(
            select(family, col(ChronologyEntryTheme.theme_id), *aggregates)
            .join(ChronologyEntry, col(ChronologyEntry.id) == col(ChronologyEntryTheme.entry_id))
            .where(*live)
            .group_by(family, col(ChronologyEntryTheme.theme_id))
        ).all(),
        _latest_precisions(
            session,
            select(family, col(ChronologyEntryTheme.theme_id), func.max(day))
            .join(ChronologyEntry, col(ChronologyEntry.id) == col(ChronologyEntryTheme.entry_id))
            .where(*live)
            .group_by(family, col(ChronologyEntryTheme.theme_id)),
            theme=True,
        ),
    )
    grades = counts(
        session.exec(
            select(family, col(ChronologyEntry.significance), *aggregates)
            .where(*live)
            .group_by(family, col(ChronologyEntry.significance))
        ).all(),
        _latest_precisions(
            session,
            select(family, col(ChronologyEntry.significance), func.max(day))
            .where(*live)
            .group_by(family, col(ChronologyEntry.significance)),
            theme=False,
        ),
    )
    entries = dict(session.exec(select(family, func.count()).where(*live).group_by(family)).all())
    return {
        family_id: ChronologyStats(
            entries=entries.get(family_id, 0),
            themes=themes.get(family_id, {}),
            significance=grades.get(family_id, {}),
        )
        for family_id in family_ids
    }


def _latest_precisions(
    session: Session, latest: Any, *, theme: bool
) -> dict[tuple[uuid.UUID, str], str]:
    """How exact the date of each group's latest entry is (the most exact when several
    entries share that date), so that rules show it as it was recorded. `latest` selects
    (family, key, latest date) per group."""
    family_c, key_c, day_c = latest.subquery().c
    entry = ChronologyEntry
    query = select(family_c, key_c, col(entry.date_precision)).join(
        entry,
        and_(
            col(entry.family_id) == family_c,
            col(entry.occurred_on) == day_c,
            col(entry.deleted_at).is_(None),
        ),
    )
    if theme:
        query = query.join(
            ChronologyEntryTheme,
            and_(
                col(ChronologyEntryTheme.entry_id) == col(entry.id),
                col(ChronologyEntryTheme.theme_id) == key_c,
            ),
        )
    else:
        query = query.where(col(entry.significance) == key_c)
    found: dict[tuple[uuid.UUID, str], list[str]] = {}
    for family_id, key, precision in session.exec(query).all():
        found.setdefault((family_id, key), []).append(precision)
    return {group: most_exact(precisions) for group, precisions in found.items()}
