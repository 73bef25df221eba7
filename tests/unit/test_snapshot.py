"""The family snapshot the rules engine reads is built from the live record."""

from datetime import UTC, date, datetime

from sqlalchemy import event
from sqlmodel import Session

from app.content.rules import evaluate
from app.content.schema import FactorsSection
from app.models.assessment import FactorEvidence, FactorRating
from app.models.chronology import ChronologyEntry, ChronologyEntryTheme
from app.services.evidence import evidence_for
from app.services.questions import evidence_counts
from app.services.snapshot import build_family_snapshot
from tests.factories import (
    CONTENT,
    make_child,
    make_entry,
    make_family,
    make_report_evidence,
    make_return,
    make_team,
    make_user,
)

REUNIFICATION = CONTENT.latest("reunification")


def test_snapshot_holds_children_returns_and_chronology_counts(db: Session) -> None:
    team = make_team(db)
    author = make_user(db, team=team)
    family = make_family(db, team=team, allocated_to=author)
    older = make_child(
        db, family, name="Ada", born=date(2012, 6, 15), entered_care=date(2025, 3, 20)
    )
    make_return(db, older, returned_on=date(2021, 1, 4), broke_down=True)
    make_return(db, older, returned_on=date(2023, 5, 1), broke_down=False)
    gone = make_child(db, family, name="Removed in error")
    gone.deleted_at = datetime(2026, 1, 1, tzinfo=UTC)
    entry = ChronologyEntry(
        family_id=family.id,
        occurred_on=date(2026, 1, 10),
        date_precision="day",
        source_id="police",
        what_happened="Police called to the home",
        significance="red",
        author_id=author.id,
    )
    db.add(entry)
    db.flush()
    db.add(ChronologyEntryTheme(entry_id=entry.id, theme_id="domestic-abuse-incident"))
    db.flush()

    snapshot = build_family_snapshot(
        db, family=family, content=REUNIFICATION, as_of=date(2026, 6, 14)
    )

    assert [child.label for child in snapshot.children] == ["Ada"]
    ada = snapshot.children[0]
    assert (ada.age_years, ada.months_in_care) == (13, 14)
    assert (ada.earlier_returns, ada.earlier_breakdowns) == (2, 1)
    assert (ada.legal_status, ada.entry_reasons) == ("interim-care-order", frozenset({"neglect"}))
    assert snapshot.chronology.entries == 1
    assert snapshot.chronology.themes["domestic-abuse-incident"].count == 1
    # A rule on earlier breakdowns reads the snapshot as it is.
    fired = {finding.rule_id for finding in evaluate(REUNIFICATION, snapshot).minimum_levels}
    assert "earlier-breakdown" in fired


def test_chronology_counts_are_kept_until_the_chronology_changes(db: Session) -> None:
    team = make_team(db)
    author = make_user(db, team=team)
    family = make_family(db, team=team, allocated_to=author)
    entry = make_entry(db, family, author=author, occurred_on=date(2026, 1, 10))
    db.commit()

    def counts() -> tuple[int, dict[str, int]]:
        snapshot = build_family_snapshot(
            db, family=family, content=REUNIFICATION, as_of=date(2026, 6, 14)
        )
        grades = snapshot.chronology.significance
        return snapshot.chronology.entries, {grade: grades[grade].count for grade in grades}

    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    assert counts() == (1, {"red": 1})
    db.commit()
    event.listen(db.get_bind(), "before_cursor_execute", listener)
    try:
        assert counts() == (1, {"red": 1})
    finally:
        event.remove(db.get_bind(), "before_cursor_execute", listener)
    # Kept: the chronology's version read, its entries not counted again.
    assert not [text for text in seen if "GROUP BY chronology_entry" in text]
    # An edit, a new entry, a deletion: counted afresh, before and after the commit.
    entry.significance = "amber"
    db.add(entry)
    db.flush()
    assert counts() == (1, {"amber": 1})
    db.commit()
    assert counts() == (1, {"amber": 1})
    make_entry(db, family, author=author, occurred_on=date(2026, 2, 1))
    db.commit()
    assert counts() == (2, {"amber": 1, "red": 1})
    entry.deleted_at = entry.created_at
    db.add(entry)
    db.commit()
    assert counts() == (1, {"red": 1})


def test_evidence_from_a_deleted_entry_no_longer_counts_for_the_rules(db: Session) -> None:
    """The rules and the section page count a factor's evidence as its list shows it: a
    chronology entry deleted since it was linked backs nothing, a report (no entry) still does."""
    team = make_team(db)
    author = make_user(db, team=team)
    family = make_family(db, team=team, allocated_to=author)
    factor = REUNIFICATION.domains[0].risk_factors[0].id
    db.add(
        FactorRating(
            family_id=family.id,
            section_id="factors",
            factor_id=factor,
            content_version=REUNIFICATION.version,
            status="present",
        )
    )
    kept, deleted = (make_entry(db, family, author=author) for _ in range(2))
    for entry in (kept, deleted):
        db.add(
            FactorEvidence(
                family_id=family.id,
                factor_id=factor,
                kind="chronology",
                chronology_entry_id=entry.id,
            )
        )
    make_report_evidence(db, family, factor)
    deleted.deleted_at = datetime(2026, 2, 1, tzinfo=UTC)
    db.add(deleted)
    db.flush()

    snapshot = build_family_snapshot(
        db, family=family, content=REUNIFICATION, as_of=date(2026, 6, 14)
    )

    assert snapshot.factors[factor].evidence_count == 2
    assert len(evidence_for(db, family.id, factor)) == 2
    # The count beside the factor on its section page, and in a frozen revision.
    section = next(
        info.section
        for info in REUNIFICATION.sections.values()
        if isinstance(info.section, FactorsSection)
        and info.section.domain == REUNIFICATION.domains[0].id
    )
    counts = evidence_counts(db, family.id, REUNIFICATION, section)
    assert counts[factor] == 2
    assert sum(counts.values()) == 2
