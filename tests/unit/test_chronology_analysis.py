"""The chronology analysis, worked out in SQL, on SQLite and PostgreSQL."""

from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import Session

from app.models.family import EarlierReturn
from app.services.audit import Actor
from app.services.chronology_analysis import (
    OVERALL,
    analyse_chronology,
    save_written_analysis,
)
from app.services.errors import Conflict, InvalidInput, NotFound
from app.timeutil import days_in_words
from tests.factories import (
    CONTENT,
    make_child,
    make_entry,
    make_family,
    make_return,
    make_team,
    make_user,
)

CONTENT_V1 = CONTENT.latest("reunification")


def test_patterns_in_the_entries(db: Session) -> None:
    team = make_team(db)
    author = make_user(db, team=team)
    family = make_family(db, team=team, allocated_to=author)
    other = make_family(db, team=team, allocated_to=author)
    amy = make_child(db, family, name="Amy")
    rows = [
        (date(2019, 2, 1), "red", ["domestic-abuse-incident"]),
        (date(2019, 3, 1), "amber", ["domestic-abuse-incident", "substance-use-incident"]),
        (date(2020, 6, 1), "green", ["good-contact"]),
        # A gap of more than 183 days, then a return home that broke down.
        (date(2021, 5, 1), "amber", ["substance-use-incident"]),
        (date(2021, 7, 1), "red", ["domestic-abuse-incident", "return-breakdown"]),
        (date(2022, 1, 10), "green", ["abstinence-confirmed"]),
    ]
    for day, grade, themes in rows:
        make_entry(db, family, author=author, occurred_on=day, significance=grade, themes=themes)
        make_entry(db, other, author=author, occurred_on=day, significance=grade, themes=themes)
    deleted = make_entry(db, family, author=author, occurred_on=date(2020, 1, 1))
    deleted.deleted_at = deleted.created_at
    db.add(deleted)
    db.add(
        EarlierReturn(
            child_id=amy.id,
            returned_on=date(2021, 4, 15),
            ended_on=date(2021, 7, 2),
            broke_down=True,
            notes="Came back into care after a police call-out",
        )
    )
    db.flush()

    statements: list[str] = []
    engine = db.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        analysis = analyse_chronology(db, family=family, content=CONTENT_V1)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    # A handful of queries whatever the number of entries (the chronology's version first);
    # none loads every entry.
    assert len(statements) <= 11

    assert analysis.entries == 6
    assert (analysis.first, analysis.last) == (date(2019, 2, 1), date(2022, 1, 10))
    assert analysis.years == [2019, 2020, 2021, 2022]
    by_theme = {item.theme_id: item for item in analysis.themes}
    abuse = by_theme["domestic-abuse-incident"]
    assert abuse.count == 3
    assert abuse.per_year == {2019: 2, 2021: 1}
    assert (abuse.first, abuse.last) == (date(2019, 2, 1), date(2021, 7, 1))
    assert [item.theme_id for item in analysis.repeated] == [
        "domestic-abuse-incident",
        "substance-use-incident",
    ]
    assert analysis.significance_counts == {"red": 2, "amber": 2, "green": 2}
    assert analysis.high_grade == "red"
    assert [entry.occurred_on for entry in analysis.high] == [date(2021, 7, 1), date(2019, 2, 1)]
    assert analysis.high[0].theme_ids == ("domestic-abuse-incident", "return-breakdown")
    assert [(gap.start, gap.end) for gap in analysis.gaps] == [
        (date(2019, 3, 1), date(2020, 6, 1)),
        (date(2020, 6, 1), date(2021, 5, 1)),
        (date(2021, 7, 1), date(2022, 1, 10)),
    ]
    assert analysis.gaps[0].days == 458
    (breakdown,) = analysis.breakdowns
    assert breakdown.child_name == "Amy"
    assert breakdown.preceding_total == 2
    assert [entry.occurred_on for entry in breakdown.preceding] == [
        date(2021, 5, 1),
        date(2021, 7, 1),
    ]
    assert breakdown.theme_counts["substance-use-incident"] == 1
    assert [(row.year, row.risk, row.protective) for row in analysis.balance] == [
        (2019, 3, 0),
        (2020, 0, 1),
        (2021, 3, 0),
        (2022, 0, 1),
    ]
    longer = analyse_chronology(db, family=family, content=CONTENT_V1, gap_days=400)
    assert len(longer.gaps) == 1


def test_an_empty_chronology(db: Session) -> None:
    team = make_team(db)
    family = make_family(db, team=team)
    analysis = analyse_chronology(db, family=family, content=CONTENT_V1)
    assert analysis.entries == 0
    assert analysis.years == []
    assert analysis.themes == []
    assert analysis.gaps == []
    assert analysis.returns == []


def test_written_analysis_is_versioned(db: Session) -> None:
    team = make_team(db)
    author = make_user(db, team=team)
    family = make_family(db, team=team, allocated_to=author)
    actor = Actor(user=author)

    def save(scope: str, text: str, version: int):  # type: ignore[no-untyped-def]
        return save_written_analysis(
            db,
            actor=actor,
            family=family,
            content=CONTENT_V1,
            scope=scope,
            text=text,
            expected_version=version,
        )

    first = save(OVERALL, "Harm recurs whenever the mother's partner returns.", 0)
    assert first.version == 1
    assert save(OVERALL, "Harm recurs whenever he returns.", 1).version == 2
    with pytest.raises(Conflict):
        save(OVERALL, "A stale edit", 1)
    with pytest.raises(Conflict):
        save("domestic-abuse-incident", "Second first version", 3)
    with pytest.raises(InvalidInput):
        save(OVERALL, "   ", 2)
    with pytest.raises(NotFound):
        save("not-a-theme", "Text", 0)
    save("domestic-abuse-incident", "Four call-outs in two years.", 0)
    written = analyse_chronology(db, family=family, content=CONTENT_V1).written
    assert written[OVERALL].text == "Harm recurs whenever he returns."
    assert written["domestic-abuse-incident"].version == 1


@pytest.mark.parametrize(
    ("days", "words"),
    [
        (183, "6 months"),
        (1, "1 day"),
        (14, "2 weeks"),
        (30, "1 month"),
        (365, "12 months"),
        (45, "45 days"),
    ],
)
def test_spans_are_said_as_people_say_them(days: int, words: str) -> None:
    assert days_in_words(days) == words


def _statements(db: Session, work):  # type: ignore[no-untyped-def]
    seen: list[str] = []
    engine = db.get_bind()
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        # The test's own savepoints aside.
        return work(), [text for text in seen if "SAVEPOINT" not in text]
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def test_the_analysis_is_kept_until_the_chronology_changes(db: Session) -> None:
    team = make_team(db)
    author = make_user(db, team=team)
    family = make_family(db, team=team, allocated_to=author)
    amy = make_child(db, family, name="Amy")
    entry = make_entry(db, family, author=author, occurred_on=date(2021, 5, 1))
    db.commit()

    def analyse():  # type: ignore[no-untyped-def]
        return analyse_chronology(db, family=family, content=CONTENT_V1)

    first = analyse()
    db.commit()
    again, statements = _statements(db, analyse)
    # Kept: the chronology's version, nothing else (it counts no written analysis to read).
    assert len(statements) == 1
    assert again.entries == first.entries == 1
    # The version is read once per transaction (the summary keeps its statistics by it too).
    _again, statements = _statements(db, analyse)
    assert statements == []

    def changed(expected_entries: int, returns: int = 0):  # type: ignore[no-untyped-def]
        # Not kept while the transaction that wrote may roll back; kept once committed.
        during = analyse()
        db.commit()
        after = analyse()
        assert (during.entries, len(during.returns)) == (expected_entries, returns)
        assert (after.entries, len(after.returns)) == (expected_entries, returns)
        return after

    make_entry(db, family, author=author, occurred_on=date(2022, 5, 1))
    changed(2)
    entry.significance = "green"  # an edit raises the row's version
    db.add(entry)
    db.flush()
    assert changed(2).significance_counts == {"red": 1, "green": 1}
    returned = make_return(db, amy, returned_on=date(2021, 4, 1))
    assert changed(2, returns=1).returns[0].child_name == "Amy"
    amy.name = "Amy Jones"
    db.add(amy)
    db.flush()
    assert changed(2, returns=1).returns[0].child_name == "Amy Jones"
    returned.deleted_at = returned.created_at
    db.add(returned)
    db.flush()
    changed(2, returns=0)
    entry.deleted_at = entry.created_at
    db.add(entry)
    db.flush()
    changed(1)
    # Another family's writes leave this family's analysis kept.
    other = make_family(db, team=team, allocated_to=author)
    make_entry(db, other, author=author)
    db.commit()
    _kept, statements = _statements(db, analyse)
    assert len(statements) == 1


def test_written_analyses_are_read_only_when_the_version_counts_some(db: Session) -> None:
    """The chronology's version counts the written analyses, deleted ones included: with none
    (most families), the analysis does not ask for them; once one is saved, it is read afresh
    each time."""
    team = make_team(db)
    author = make_user(db, team=team)
    family = make_family(db, team=team, allocated_to=author)
    make_entry(db, family, author=author)
    db.commit()

    def analyse():  # type: ignore[no-untyped-def]
        return analyse_chronology(db, family=family, content=CONTENT_V1)

    def written(statements: list[str]) -> list[str]:
        # The version's statement counts them too: this is the read of the rows themselves.
        return [text for text in statements if text.startswith("SELECT chronology_written_")]

    analysis, statements = _statements(db, analyse)
    assert analysis.written == {}
    assert written(statements) == []
    save_written_analysis(
        db,
        actor=Actor(user=author),
        family=family,
        content=CONTENT_V1,
        scope=OVERALL,
        text="Neglect recurs each winter.",
        expected_version=0,
    )
    db.commit()
    analysis, statements = _statements(db, analyse)
    assert analysis.written[OVERALL].text == "Neglect recurs each winter."
    assert len(written(statements)) == 1
    _again, statements = _statements(db, analyse)
    assert len(written(statements)) == 1


def test_a_rolled_back_write_is_never_kept(db: Session) -> None:
    team = make_team(db)
    author = make_user(db, team=team)
    family = make_family(db, team=team, allocated_to=author)
    make_entry(db, family, author=author)
    db.commit()
    assert analyse_chronology(db, family=family, content=CONTENT_V1).entries == 1
    make_entry(db, family, author=author, occurred_on=date(2020, 1, 1))
    assert analyse_chronology(db, family=family, content=CONTENT_V1).entries == 2
    db.rollback()
    assert analyse_chronology(db, family=family, content=CONTENT_V1).entries == 1
