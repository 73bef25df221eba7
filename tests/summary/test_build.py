"""The summary document: every section built, facts right, missing data said, disclosure."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session

from app.models.accounts import Role
from app.models.base import utcnow
from app.summary.build import build_summary
from app.summary.document import (
    FactList,
    Paragraph,
    Section,
    Suggestion,
    SummaryDocument,
    Table,
)
from app.summary.sections import SUMMARY_SECTIONS, THIRD_PARTY_LEFT_OUT
from tests.factories import CONTENT, make_family, make_team, make_user
from tests.summary.conftest import Rich, make_entry

CONTENT_VERSION = CONTENT.latest("reunification")


def summary(db: Session, rich: Rich, *, disclosure: bool = False) -> SummaryDocument:
    return build_summary(
        db,
        family=rich.family,
        content=CONTENT_VERSION,
        produced_by=rich.practitioner,
        disclosure=disclosure,
    )


def words(section: Section) -> str:
    """Every text of a section, joined, for looking things up."""
    parts: list[str] = []
    for block in section.blocks:
        if isinstance(block, Table):
            parts += [block.caption, *block.headers, *(cell for row in block.rows for cell in row)]
        elif isinstance(block, FactList):
            parts += [item for row in block.rows for item in row]
        elif isinstance(block, Suggestion):
            parts += [block.title, block.text, block.rule, *block.inputs, *block.sources]
        else:
            parts += [str(value) for value in vars(block).values()]
    return "\n".join(parts)


def test_every_registered_section_is_built_in_order(db: Session, rich: Rich) -> None:
    doc = summary(db, rich)
    assert [section.id for section in doc.sections] == [spec.id for spec in SUMMARY_SECTIONS]
    assert all(section.blocks for section in doc.sections)
    assert len({spec.id for spec in SUMMARY_SECTIONS}) == len(SUMMARY_SECTIONS)


def test_provenance_names_the_content_version_time_and_person(db: Session, rich: Rich) -> None:
    before = utcnow()
    doc = summary(db, rich)
    p = doc.provenance
    assert (p.framework_id, p.framework_version, p.content_hash) == CONTENT_VERSION.key
    assert p.produced_by == "Priya Practitioner"
    assert before <= p.data_as_at <= utcnow()
    assert not p.disclosure


def test_children_and_key_facts(db: Session, rich: Rich) -> None:
    text = words(summary(db, rich).section("children"))
    assert "Ada Okafor" in text
    assert "Interim care order (section 38)" in text
    assert "1, of which 1 broke down" in text
    assert "Grace Okafor" in text
    assert "1 March 2022" in text


def test_chronology_counts_themes_and_most_significant_first(db: Session, rich: Rich) -> None:
    section = summary(db, rich).section("chronology")
    facts = next(block for block in section.blocks if isinstance(block, FactList))
    assert ("Entries", "3") in facts.rows
    assert ("Red, serious", "1") in facts.rows
    themes, events = [block for block in section.blocks if isinstance(block, Table)]
    assert themes.rows[0][:3] == ("Domestic abuse incident", "Risk", "2")
    assert events.rows[0][1].startswith("Police called")
    assert events.rows[0][4] == "Red, serious"
    assert [row[4] for row in events.rows] == [
        "Red, serious",
        "Amber, concerning",
        "Green, positive or routine",
    ]


def test_disclosure_copy_leaves_out_third_party_entries_and_says_so(
    db: Session, rich: Rich
) -> None:
    full = words(summary(db, rich).section("chronology"))
    disclosed = summary(db, rich, disclosure=True)
    text = words(disclosed.section("chronology"))
    assert "Neighbour reported" in full
    assert "Neighbour reported" not in text
    assert THIRD_PARTY_LEFT_OUT in text
    assert disclosed.provenance.disclosure
    assert disclosed.title == "Summary for disclosure"


def test_cautions_explain_why_and_cite_sources(db: Session, rich: Rich) -> None:
    section = summary(db, rich).section("cautions")
    cautions = {block.rule: block for block in section.blocks if isinstance(block, Suggestion)}
    # Ada is 12 and had a return that broke down.
    assert {"older-child", "earlier-failed-return"} <= set(cautions)
    older = cautions["older-child"]
    assert any("Ada Okafor is aged" in reason for reason in older.inputs)
    assert older.sources
    assert all(source for source in older.sources)
    assert older.advice


def test_suggested_level_shows_the_rules_behind_it(db: Session, rich: Rich) -> None:
    section = summary(db, rich).section("classification")
    paragraphs = [block.text for block in section.blocks if isinstance(block, Paragraph)]
    assert any(text.startswith("Suggested level: ") for text in paragraphs)
    for suggestion in (block for block in section.blocks if isinstance(block, Suggestion)):
        assert suggestion.rule
        assert suggestion.inputs
        assert suggestion.sources


def test_decisions_are_listed_with_who_and_why(db: Session, rich: Rich) -> None:
    text = words(summary(db, rich).section("classification"))
    assert "Decision on working towards a return" in text
    assert "More time to test the safety plan." in text
    assert "Sam Supervisor" in text


def test_changes_since_the_last_review(db: Session, rich: Rich) -> None:
    make_entry(db, rich.family, rich.practitioner, what="Grace started a parenting course.")
    text = words(summary(db, rich).section("changes"))
    assert "Since the last decision was recorded" in text
    assert "Grace started a parenting course." in text
    assert "Police called" not in text  # added before the review


def test_a_family_with_no_data_says_what_is_missing(db: Session) -> None:
    team = make_team(db)
    person = make_user(db, roles=[Role.PRACTITIONER], team=team)
    family = make_family(db, team=team, allocated_to=person)
    doc = build_summary(db, family=family, content=CONTENT_VERSION, produced_by=person)
    missing = {
        section.id
        for section in doc.sections
        if any(isinstance(b, Paragraph) and b.style == "missing" for b in section.blocks)
    }
    assert {"children", "chronology", "factors", "capacity", "views", "changes"} <= missing
    assert "No decisions have been recorded yet." in words(doc.section("classification"))


def test_deleted_entries_are_left_out(db: Session, rich: Rich) -> None:
    entry = make_entry(db, rich.family, rich.practitioner, what="Entered in error")
    entry.deleted_at = utcnow() - timedelta(minutes=1)
    db.add(entry)
    db.flush()
    assert "Entered in error" not in words(summary(db, rich).section("chronology"))
