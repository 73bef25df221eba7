"""Chronology statistics for the rules engine, counted by the database in one pass per kind
(never by loading a family's whole history into Python)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import case, func
from sqlmodel import Session, col, select

from app.content.snapshot import ChronologyStats, CountStats, months_before
from app.models.chronology import ChronologyEntry, ChronologyEntryTheme


def chronology_stats(
    session: Session, family_id: uuid.UUID, *, as_of: date, windows: Iterable[int]
) -> ChronologyStats:
    """Counts per theme and per significance grade, overall and within each window of months
    before `as_of`, of the family's entries that are not deleted."""
    cutoffs = {months: months_before(as_of, months) for months in sorted(set(windows))}
    live = [col(ChronologyEntry.family_id) == family_id, col(ChronologyEntry.deleted_at).is_(None)]
    day = col(ChronologyEntry.occurred_on)
    windowed = [
        func.sum(case((day.between(cutoff, as_of), 1), else_=0)) for cutoff in cutoffs.values()
    ]
    aggregates = [func.count(), func.min(day), func.max(day), *windowed]

    def counts(rows: Iterable[Any]) -> dict[str, CountStats]:
        return {
            key: CountStats(
                count=count,
                first=first,
                last=last,
                within_months={
                    months: int(value or 0) for months, value in zip(cutoffs, within, strict=True)
                },
            )
            for key, count, first, last, *within in rows
        }

    themes = session.exec(
        select(col(ChronologyEntryTheme.theme_id), *aggregates)
        .join(ChronologyEntry, col(ChronologyEntry.id) == col(ChronologyEntryTheme.entry_id))
        .where(*live)
        .group_by(col(ChronologyEntryTheme.theme_id))
    ).all()
    grades = session.exec(
        select(col(ChronologyEntry.significance), *aggregates)
        .where(*live)
        .group_by(col(ChronologyEntry.significance))
    ).all()
    entries = session.exec(select(func.count()).select_from(ChronologyEntry).where(*live)).one()
    return ChronologyStats(entries=entries, themes=counts(themes), significance=counts(grades))
