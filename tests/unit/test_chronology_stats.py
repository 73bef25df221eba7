"""Chronology statistics counted in SQL agree with the content module's reference counts."""

from datetime import date

from sqlmodel import Session

from app.content.snapshot import ChronologyEntryFacts, ChronologyStats
from app.models.chronology import ChronologyEntry, ChronologyEntryTheme
from app.services.chronology_stats import chronology_stats
from tests.factories import make_family, make_team, make_user

ENTRIES = [
    (date(2019, 4, 2), "red", ("domestic-abuse-incident", "police-call-out")),
    (date(2024, 1, 31), "amber", ("domestic-abuse-incident",)),
    (date(2025, 11, 30), "red", ("domestic-abuse-incident", "substance-misuse")),
    (date(2026, 2, 28), "green", ()),
]


def test_sql_counts_match_the_reference_counts(db: Session) -> None:
    team = make_team(db)
    author = make_user(db, team=team)
    family = make_family(db, team=team, allocated_to=author)
    other = make_family(db, team=team)
    for target in (family, other):
        for occurred_on, significance, themes in ENTRIES:
            entry = ChronologyEntry(
                family_id=target.id,
                occurred_on=occurred_on,
                date_precision="day",
                source_id="police",
                what_happened="Something happened",
                significance=significance,
                author_id=author.id,
            )
            db.add(entry)
            db.flush()
            for theme in themes:
                db.add(ChronologyEntryTheme(entry_id=entry.id, theme_id=theme))
    deleted = ChronologyEntry(
        family_id=family.id,
        occurred_on=date(2026, 1, 1),
        date_precision="day",
        source_id="police",
        what_happened="Deleted",
        significance="red",
        author_id=author.id,
        deleted_at=family.created_at,
    )
    db.add(deleted)
    db.flush()

    as_of = date(2026, 3, 1)
    windows = (3, 12, 36)
    counted = chronology_stats(db, family.id, as_of=as_of, windows=windows)
    expected = ChronologyStats.from_entries(
        [ChronologyEntryFacts(date=d, themes=frozenset(t), significance=s) for d, s, t in ENTRIES],
        as_of=as_of,
        windows=windows,
    )
    assert counted == expected
    assert counted.entries == 4
    assert counted.themes["domestic-abuse-incident"].within_months == {3: 0, 12: 1, 36: 2}


def test_no_entries_means_empty_statistics(db: Session) -> None:
    family = make_family(db, team=make_team(db))
    assert (
        chronology_stats(db, family.id, as_of=date(2026, 1, 1), windows=(12,)) == ChronologyStats()
    )
