"""The summary document: every section built, facts right, missing data said, disclosure."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session

from app.models.accounts import Role
from app.models.assessment import Classification
from app.models.base import utcnow
from app.models.chronology import ChronologyWrittenAnalysis
from app.services import evidence
from app.summary.build import build_summary
from app.summary.document import (
    FactList,
    Paragraph,
    Section,
    SourceList,
    Suggestion,
    SummaryDocument,
    Table,
)
from app.summary.sections import SUMMARY_SECTIONS, THIRD_PARTY_LEFT_OUT
from app.summary.text import direction
from tests.factories import (
    CONTENT,
    make_adult,
    make_child,
    make_family,
    make_return,
    make_team,
    make_user,
)
from tests.summary.conftest import Rich, make_entry
from tests.support.assessment import CURRENT, actor, rate, save

CONTENT_VERSION = CONTENT.latest("reunification")


def summary(
    db: Session, rich: Rich, *, disclosure: bool = False, appendix: bool = False
) -> SummaryDocument:
    return build_summary(
        db,
        family=rich.family,
        content=CONTENT_VERSION,
        produced_by=rich.practitioner,
        disclosure=disclosure,
        appendix=appendix,
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
        elif isinstance(block, SourceList):
            parts += block.items
        else:
            parts += [str(value) for value in vars(block).values()]
    return "\n".join(parts)


def test_every_registered_section_is_built_in_order(db: Session, rich: Rich) -> None:
    main = [spec.id for spec in SUMMARY_SECTIONS if spec.part == "main"]
    appendix = [spec.id for spec in SUMMARY_SECTIONS if spec.part == "appendix"]
    assert appendix
    doc = summary(db, rich)
    assert [section.id for section in doc.sections] == [*main, "sources"]
    assert not doc.has_appendix
    whole = summary(db, rich, appendix=True)
    assert [section.id for section in whole.sections] == [*main, *appendix, "sources"]
    assert all(section.blocks for section in whole.sections)
    assert len({spec.id for spec in SUMMARY_SECTIONS}) == len(SUMMARY_SECTIONS)
    headings = [heading for _, heading in whole.headings()]
    assert headings[0] == "1. Children and key facts"
    assert headings[len(main)] == "Appendix A: Evidence for each factor in full"
    assert headings[-1] == "Sources"


def cited(doc: SummaryDocument) -> tuple[str, ...]:
    """The document's list of sources, in number order."""
    (sources,) = (b for b in doc.section("sources").blocks if isinstance(b, SourceList))
    return sources.items


def test_each_source_is_cited_once_and_referred_to_by_number(db: Session, rich: Rich) -> None:
    doc = summary(db, rich)
    listed = cited(doc)
    assert len(listed) == len(set(listed))
    suggestions = [
        block
        for section in doc.sections
        for block in section.blocks
        if isinstance(block, Suggestion)
    ]
    assert suggestions
    for suggestion in suggestions:
        assert suggestion.source_numbers
        # Each number names its own source in the list at the end.
        assert [listed[number - 1] for number in suggestion.source_numbers] == list(
            suggestion.sources
        )
    # Every source listed is cited, and numbered in the order the document first cites it.
    first = list(dict.fromkeys(n for s in suggestions for n in s.source_numbers))
    assert first == list(range(1, len(listed) + 1))


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
    tables = {block.caption: block for block in section.blocks if isinstance(block, Table)}
    themes = tables["Themes recorded most often"]
    assert themes.rows[0][:3] == ("Domestic abuse incident", "Risk", "2")
    events = tables["The 10 most significant entries: the most serious first, then the newest"]
    assert events.rows[0][1].startswith("Police called")
    assert [row[4] for row in events.rows] == [
        "Red, serious",
        "Amber, concerning",
        "Green, positive or routine",
    ]
    by_year = tables["Risk and protective themes by year (most recent years)"]
    assert by_year.rows == (("2025", "2", "1"),)


def test_chronology_patterns_returns_gaps_and_written_analysis(db: Session, rich: Rich) -> None:
    make_entry(
        db,
        rich.family,
        rich.practitioner,
        what="Ada came back into care after a row at home.",
        occurred_on=date(2022, 8, 20),
        significance="red",
        themes=("return-breakdown",),
    )
    db.add(
        ChronologyWrittenAnalysis(
            family_id=rich.family.id,
            scope="overall",
            text="Violence at home recurs whenever Grace's partner returns.",
            updated_by_id=rich.practitioner.id,
        )
    )
    db.flush()
    text = words(summary(db, rich).section("chronology"))
    assert "Risk themes recorded more than once: Domestic abuse incident (2 times)." in text
    assert (
        "Ada Okafor went home on 1 March 2022; the return broke down on 1 September 2022. "
        "1 entry dated during it, showing A return home broke down (1)." in text
    )
    assert "Periods of more than 6 months with no entries" in text
    assert "20 August 2022 to 14 September 2025 (1121 days)" in text
    assert "About the chronology as a whole:" in text
    assert "Violence at home recurs whenever Grace's partner returns." in text


def test_disclosure_copy_leaves_out_third_party_entries_and_says_so(
    db: Session, rich: Rich
) -> None:
    full = words(summary(db, rich).section("chronology"))
    disclosed = summary(db, rich, disclosure=True)
    text = words(disclosed.section("chronology"))
    assert "Neighbour reported" in full
    assert "Neighbour reported" not in text
    assert "Domestic abuse incident (2 times)" in full
    assert "Domestic abuse incident (2 times)" not in text  # one was third-party
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


def test_factors_by_domain_with_evidence_and_flags(db: Session, rich: Rich) -> None:
    user = rich.practitioner
    rate(db, user, rich.family, "factors-substance-misuse", {"sm-r1": "present"})
    rate(db, user, rich.family, "factors-domestic-abuse", {"da-r1": "present", "da-p1": "absent"})
    entry = make_entry(db, rich.family, user, what="Police log: shouting", third_party=True)
    evidence.link_entries(
        db,
        actor=actor(user),
        family=rich.family,
        content=CURRENT,
        factor_id="da-r1",
        entry_ids=[str(entry.id)],
    )
    section = summary(db, rich).section("factors")
    text = words(section)
    tables = {block.caption: block for block in section.blocks if isinstance(block, Table)}
    abuse = tables["Factors present in Domestic abuse"]
    assert abuse.headers == ("Factor", "Evidence")
    assert any("(Police): Police log: shouting" in row[1] for row in abuse.rows)
    assert "the full text is in the appendix, included on request." in text
    assert "1 risk factor and 0 protective factors present." in text
    assert f"Not present: {CURRENT.factors['da-p1'].factor.text}." in text
    assert "Recorded as present without any evidence: " in text  # sm-r1 has none
    assert "not rated yet" in text
    disclosed = words(summary(db, rich, disclosure=True).section("factors"))
    assert "Police log: shouting" not in disclosed
    assert THIRD_PARTY_LEFT_OUT in disclosed
    full = words(summary(db, rich, appendix=True).section("factor-evidence"))
    assert "chronology entry: Police log: shouting (Police)" in full
    disclosed = words(summary(db, rich, disclosure=True, appendix=True).section("factor-evidence"))
    assert "Police log: shouting" not in disclosed
    assert THIRD_PARTY_LEFT_OUT in disclosed


def test_evidence_shows_its_first_words_and_the_appendix_all_of_them(
    db: Session, rich: Rich
) -> None:
    user = rich.practitioner
    rate(db, user, rich.family, "factors-domestic-abuse", {"da-r1": "present"})
    long = "Grace said the shouting stopped in May, and the refuge confirmed she had not returned."
    entry = make_entry(db, rich.family, user, what=long, occurred_on=date(2025, 7, 4))
    evidence.link_entries(
        db,
        actor=actor(user),
        family=rich.family,
        content=CURRENT,
        factor_id="da-r1",
        entry_ids=[str(entry.id)],
    )
    doc = summary(db, rich, appendix=True)
    main = words(doc.section("factors"))
    assert "4 July 2025 (Police): Grace said the shouting stopped in May, and…" in main
    assert long not in main
    full = words(doc.section("factor-evidence"))
    assert f"4 July 2025, chronology entry: {long} (Police)" in full
    assert "the full text is in the appendix." in main


def test_capacity_to_change_and_childrens_views(db: Session, rich: Rich) -> None:
    parent = make_adult(db, rich.family, name="Kim Okafor")
    prefix = f"a.capacity[{parent.id}]"
    save(
        db,
        rich.practitioner,
        rich.family,
        "capacity-to-change",
        {
            f"{prefix}.accepts-concerns": "partly",
            f"items.capacity[{parent.id}].problem-areas": "one",
            f"{prefix}.problem-areas[one].problem-area": "substance-misuse",
            f"{prefix}.problem-areas[one].readiness-stage": "contemplation",
        },
    )
    save(
        db,
        rich.practitioner,
        rich.family,
        "wishes-and-feelings",
        {f"a.child-views[{rich.older.id}].seen-alone": "yes"},
    )
    doc = summary(db, rich)
    capacity = words(doc.section("capacity"))
    assert "Kim Okafor" in capacity
    assert "Kim Okafor: Parental substance misuse" in capacity
    assert "Thinking about change" in capacity
    views = words(doc.section("views"))
    assert "Ada Okafor" in views
    assert "Yes" in views


def test_classification_history_shows_every_level_and_the_review(db: Session, rich: Rich) -> None:
    db.add(
        Classification(
            family_id=rich.family.id,
            section_id="classification-before-plan",
            timepoint_id="before-plan",
            content_version="1.0.0",
            suggested_level="high",
            explanation={"lines": ["Suggested level: High (earlier-breakdown)."]},
            practitioner_level="medium",
            rationale="Grace has kept to the safety plan for six months.",
            submitted_by_id=rich.practitioner.id,
            status="disagreed",
            supervisor_agrees=False,
            supervisor_level="high",
            supervisor_comments="Too soon to lower it.",
            reviewed_by_id=rich.supervisor.id,
            reviewed_at=utcnow(),
        )
    )
    db.flush()
    text = words(summary(db, rich).section("classification"))
    assert "Classification 1, before the plan" in text
    assert "Medium: Grace has kept to the safety plan for six months." in text
    assert "Disagreed, level High (Sam Supervisor" in text
    assert "Too soon to lower it." in text
    # The rules behind it only in the appendix.
    assert "Suggested level: High (earlier-breakdown)." not in text
    assert "Why the rules suggested each level when it was submitted" in text
    doc = summary(db, rich, appendix=True)
    assert "Suggested level: High (earlier-breakdown)." in words(
        doc.section("classification-rules")
    )


def test_the_appendix_cites_an_earlier_classifications_sources_by_number(
    db: Session, rich: Rich
) -> None:
    wilkins = {"short": "Wilkins and Farmer 2015", "citation": "Wilkins, M. (2015)", "url": None}
    other = {"short": "Old study, 2001", "citation": "An old study (2001)", "url": "https://a.test"}
    line = "Earlier breakdown (at least High): Ada's return broke down"
    db.add(
        Classification(
            family_id=rich.family.id,
            section_id="classification-before-plan",
            timepoint_id="before-plan",
            content_version="1.0.0",
            suggested_level="high",
            explanation={
                "lines": [
                    "Suggested level: High (Earlier breakdown).",
                    f"{line} [Wilkins and Farmer 2015, Old study, 2001]",
                ],
                "minimum_levels": [{"title": "Earlier breakdown", "sources": [wilkins, other]}],
            },
            practitioner_level="high",
            submitted_by_id=rich.practitioner.id,
            status="submitted",
        )
    )
    db.flush()
    doc = summary(db, rich, appendix=True)
    listed = cited(doc)
    first, second = (
        listed.index("An old study (2001) https://a.test"),
        listed.index("Wilkins, M. (2015)"),
    )
    rules = words(doc.section("classification-rules"))
    assert f"{line} [{second + 1}, {first + 1}]" in rules
    assert "Old study, 2001" not in rules
    # Without the appendix the old study is not cited, so not listed.
    assert "An old study (2001) https://a.test" not in cited(summary(db, rich))


def test_a_right_to_left_name_is_isolated_in_our_sentences(db: Session, rich: Rich) -> None:
    child = make_child(db, rich.family, name="سارة", born=date(2012, 1, 5))
    make_return(db, child, returned_on=date(2021, 5, 1), broke_down=True)
    doc = summary(db, rich)
    cautions = [b for b in doc.section("cautions").blocks if isinstance(b, Suggestion)]
    inputs = [text for caution in cautions for text in caution.inputs if "سارة" in text]
    assert inputs
    assert all("\u2068سارة\u2069" in text for text in inputs)
    assert all(direction(text) == "ltr" for text in inputs)
    pattern = next(
        block.text
        for block in doc.section("chronology").blocks
        if isinstance(block, Paragraph) and "went home on 1 May 2021" in block.text
    )
    assert pattern.startswith("\u2068سارة\u2069 went home")
