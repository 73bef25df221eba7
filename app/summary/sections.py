"""The sections of a family's summary, in order: each is one builder function and one entry in
`SUMMARY_SECTIONS`. A builder reads the `SummaryContext` and returns plain blocks; the page,
the PDF and the Word file render every section alike, so a new section needs no template.

Builders never fail on missing data: where nothing is recorded yet they say what is missing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import case
from sqlmodel import col, select

from app.content.model import FrameworkContent
from app.content.rules import Citation, Finding, Reason, ToolResult
from app.models.assessment import FactorStatus
from app.models.audit import AuditAction, AuditEvent
from app.models.chronology import ChronologyEntry
from app.models.family import EarlierReturn
from app.models.progress import SectionStatus
from app.services import assessment_summary, breakdowns, families, people, progress
from app.services.assessment_summary import (
    Answered,
    ClassificationRecord,
    DomainFactors,
    FactorSummary,
)
from app.services.chronology import describe_event_date
from app.services.chronology_analysis import (
    OVERALL,
    ChronologyAnalysis,
    analyse_chronology,
    scope_label,
)
from app.services.evidence import EvidenceItem
from app.summary import agreement_sections
from app.summary.context import SummaryContext
from app.summary.document import (
    THIRD_PARTY_LEFT_OUT,
    Block,
    BulletList,
    Citations,
    FactList,
    Paragraph,
    SectionPart,
    Subheading,
    Suggestion,
    Table,
    references,
)
from app.summary.journey import (
    each_review,
    has_outcomes,
    has_returns,
    has_reviews,
    outcome,
    returns_and_monitoring,
)
from app.summary.text import first_words, isolate, isolate_names, markdown_to_text
from app.timeutil import age_in_years, format_date, format_datetime, months_between

Builder = Callable[[SummaryContext], Sequence[Block]]
SIGNIFICANT_EVENTS = 10
TOP_THEMES = 10
BALANCE_YEARS = 10


def _always(content: FrameworkContent) -> bool:
    return True


@dataclass(frozen=True)
class SummarySection:
    id: str
    title: str
    build: Builder
    # Whether a family's framework has this part at all: a framework without, say, an
    # analytical chronology gets no chronology section in its summary.
    applies: Callable[[FrameworkContent], bool] = _always
    # The appendix's sections are built only when it is asked for.
    part: SectionPart = "main"


def _has_kind(kind: str) -> Callable[[FrameworkContent], bool]:
    def applies(content: FrameworkContent) -> bool:
        return any(info.section.kind == kind for info in content.sections.values())

    return applies


def _has_parent_facts(content: FrameworkContent) -> bool:
    return any(info.question.fact is not None for info in content.questions.values())


def _has_child_views(content: FrameworkContent) -> bool:
    first = content.stages[0].id
    return any(
        info.question.type == "per_child" and not info.groups and info.stage_id == first
        for info in content.questions.values()
    )


def _has_cautions(content: FrameworkContent) -> bool:
    return bool(content.rules.cautions)


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def citation(source: Citation) -> str:
    return f"{source.citation} {source.url}" if source.url else source.citation


def _reasons(reasons: Sequence[Reason], names: Sequence[str]) -> tuple[str, ...]:
    return tuple(
        isolate_names(reason.text[:1].upper() + reason.text[1:], names) for reason in reasons
    )


def finding_suggestion(
    finding: Finding,
    label: str,
    names: Sequence[str] = (),
    citations: Citations | None = None,
) -> Suggestion:
    """A fired rule as a suggestion with its rule, inputs (the people in them isolated when
    written right to left) and sources (numbered in `citations` when in a document)."""
    if finding.kind == "lapsed" and finding.level:
        level = f" (would have set at least {finding.level.label})"
    elif finding.kind == "step_down":
        level = f" (lowers the level by {finding.steps})"
    else:
        level = f" (at least {finding.level.label})" if finding.level else ""
    sources = tuple(citation(source) for source in finding.sources)
    return Suggestion(
        title=finding.title + level,
        text=markdown_to_text(finding.text),
        rule=finding.rule_id,
        inputs=_reasons(finding.reasons, names),
        sources=sources,
        advice=markdown_to_text(finding.advice) if finding.advice else None,
        label=label,
        source_numbers=citations.numbers(sources) if citations else (),
    )


# Children and key facts ----------------------------------------------------------------------


def children_and_key_facts(ctx: SummaryContext) -> list[Block]:
    content = ctx.content
    blocks: list[Block] = []
    if not ctx.children:
        blocks.append(
            Paragraph("No children are recorded yet: add them in the family details.", "missing")
        )
    causes = families.breakdown_causes(content)
    episodes = families.care_episodes(ctx.session, [child.id for child in ctx.children])
    for child in ctx.children:
        returns = ctx.returns_by_child.get(child.id, [])
        earlier = [item for item in episodes if item.child_id == child.id]
        broke_down = sum(1 for item in returns if item.broke_down)
        in_care = _plural(months_between(child.date_entered_care, ctx.as_of), "month")
        status = content.term_label("legal_statuses", child.legal_status)
        reason = content.term_label("entry_reasons", child.entry_reason)
        age = _plural(age_in_years(child.date_of_birth, ctx.as_of), "year")
        if child.legal_status_detail:
            status += f": {child.legal_status_detail}"
        if child.entry_reason_detail:
            reason += f": {child.entry_reason_detail}"
        rows = [
            ("Age", f"{age} (born {format_date(child.date_of_birth)})"),
            ("Legal status", status),
            ("In care since", f"{format_date(child.date_entered_care)} ({in_care})"),
            (
                "Earlier times in care",
                _plural(len(earlier), "earlier time") if earlier else "None recorded",
            ),
            ("Why they came into care", reason),
            ("Placement", families.PLACEMENT_TYPES.get(child.placement_type, child.placement_type)),
            ("Placement moves", str(child.placement_moves)),
            (
                "Earlier returns home",
                f"{len(returns)}, of which {broke_down} broke down" if returns else "None recorded",
            ),
        ]
        blocks += [Subheading(child.name), FactList(tuple(rows))]
        if earlier:
            blocks.append(
                Table(
                    caption=f"{isolate(child.name)}'s times in care",
                    headers=("Came into care", "Left care", "Legal status", "Placements"),
                    widths=(20, 20, 45, 15),
                    rows=(
                        *(
                            (
                                format_date(item.started_on),
                                format_date(item.ended_on),
                                content.term_label("legal_statuses", item.legal_status),
                                str(item.placements),
                            )
                            for item in earlier
                        ),
                        (
                            format_date(child.date_entered_care),
                            "In care now",
                            status,
                            str(child.placement_moves + 1),
                        ),
                    ),
                )
            )
        if returns:
            blocks.append(
                Table(
                    caption=f"{isolate(child.name)}'s earlier returns home",
                    headers=("Went home", "Ended", "Planned", "To whom", "Broke down", "Notes"),
                    widths=(15, 15, 10, 15, 20, 25),
                    rows=tuple(
                        (
                            format_date(item.returned_on),
                            format_date(item.ended_on) if item.ended_on else "Not ended",
                            families.PLANNED.get(item.planned or "", "Not recorded"),
                            item.returned_to or "Not recorded",
                            _broke_down(item, causes),
                            item.notes or "",
                        )
                        for item in returns
                    ),
                )
            )
    blocks.append(Subheading("Parents, carers and other adults"))
    if ctx.adults:
        blocks.append(
            Table(
                caption="Relationship, role, parental responsibility and household",
                headers=(
                    "Name",
                    "Relationship",
                    "Role",
                    "Parental responsibility",
                    "Lives in household",
                ),
                widths=(20, 20, 30, 15, 15),
                rows=tuple(
                    (
                        adult.name,
                        adult.relationship_detail
                        or families.RELATIONSHIPS.get(adult.relationship, adult.relationship),
                        "; ".join(people.describe_roles(adult, ctx.children)),
                        _yes_no(adult.parental_responsibility),
                        _yes_no(adult.lives_in_household),
                    )
                    for adult in ctx.adults
                ),
            )
        )
    else:
        blocks.append(Paragraph("No parents or carers are recorded yet.", "missing"))
    return blocks


def _broke_down(item: EarlierReturn, causes: dict[str, str]) -> str:
    if not item.broke_down:
        return "No"
    if item.breakdown_cause:
        return f"Yes: {causes.get(item.breakdown_cause, 'a reason no longer listed')}"
    return "Yes"


# Chronology ----------------------------------------------------------------------------------


def _entry_filter(ctx: SummaryContext) -> list[object]:
    conditions: list[object] = [
        col(ChronologyEntry.family_id) == ctx.family.id,
        col(ChronologyEntry.deleted_at).is_(None),
    ]
    if ctx.disclosure:
        conditions.append(col(ChronologyEntry.third_party).is_(False))
    return conditions


def chronology(ctx: SummaryContext) -> list[Block]:
    content = ctx.content
    blocks: list[Block] = []
    if ctx.disclosure:
        blocks.append(Paragraph(THIRD_PARTY_LEFT_OUT, "notice"))
    analysis = analyse_chronology(
        ctx.session, family=ctx.family, content=content, third_party=not ctx.disclosure
    )
    if not analysis.entries:
        blocks.append(Paragraph("No chronology entries are recorded yet.", "missing"))
        return blocks
    rows = [
        ("Entries", str(analysis.entries)),
        ("From", format_date(analysis.first)),
        ("To", format_date(analysis.last)),
    ]
    rows += [
        (grade.label, str(analysis.significance_counts.get(grade.id, 0)))
        for grade in content.chronology.significance
    ]
    blocks.append(FactList(tuple(rows)))
    blocks += _patterns(ctx, analysis)
    blocks += _significant_events(ctx, _entry_filter(ctx))
    blocks += _written_analysis(ctx, analysis)
    return blocks


def _patterns(ctx: SummaryContext, analysis: ChronologyAnalysis) -> list[Block]:
    blocks: list[Block] = [Subheading("Patterns")]
    repeated = analysis.repeated
    if repeated:
        blocks.append(
            Paragraph(
                "Risk themes recorded more than once: "
                + "; ".join(f"{item.label} ({_plural(item.count, 'time')})" for item in repeated)
                + "."
            )
        )
    else:
        blocks.append(Paragraph("No risk theme has been recorded more than once.", "hint"))
    most = sorted(analysis.themes, key=lambda item: (-item.count, item.label))[:TOP_THEMES]
    if most:
        blocks.append(
            Table(
                caption="Themes recorded most often",
                headers=("Theme", "Kind", "Times", "First", "Most recently"),
                rows=tuple(
                    (
                        item.label,
                        item.polarity.capitalize(),
                        str(item.count),
                        format_date(item.first),
                        format_date(item.last),
                    )
                    for item in most
                ),
                widths=(35, 15, 10, 20, 20),
            )
        )
    else:
        blocks.append(Paragraph("No themes have been recorded against the entries yet.", "missing"))
    if analysis.balance:
        blocks.append(
            Table(
                caption="Risk and protective themes by year (most recent years)",
                headers=("Year", "Risk themes", "Protective themes"),
                rows=tuple(
                    (str(year.year), str(year.risk), str(year.protective))
                    for year in analysis.balance[-BALANCE_YEARS:]
                ),
                widths=(30, 35, 35),
            )
        )
    for item in analysis.returns:
        ended = (
            f"broke down on {format_date(item.ended_on)}"
            if item.broke_down and item.ended_on
            else (f"ended on {format_date(item.ended_on)}" if item.ended_on else "has not ended")
        )
        themes = ", ".join(
            f"{_theme_label(ctx, theme)} ({count})"
            for theme, count in list(item.theme_counts.items())[:5]
        )
        text = (
            f"{isolate(item.child_name)} went home on {format_date(item.returned_on)}; the return "
            f"{ended}. {_plural(item.preceding_total, 'entry', 'entries')} dated during it"
            + (f", showing {themes}." if themes else ".")
        )
        blocks.append(Paragraph(text))
    for again in breakdowns.causes_again(
        ctx.session,
        family_id=ctx.family.id,
        content=ctx.content,
        as_of=ctx.as_of,
        third_party=not ctx.disclosure,
    ):
        blocks.append(Paragraph(again.sentence(isolate(again.child_name))))
    if analysis.gaps:
        blocks.append(
            Paragraph(
                f"Periods of more than {analysis.gap_words} with no entries (check whether "
                "records are missing):"
            )
        )
        blocks.append(
            BulletList(
                tuple(
                    f"{format_date(gap.start)} to {format_date(gap.end)} ({gap.days} days)"
                    for gap in analysis.gaps
                )
            )
        )
    return blocks


def _theme_label(ctx: SummaryContext, theme_id: str) -> str:
    try:
        return ctx.content.theme(theme_id).label
    except KeyError:
        return theme_id


def _written_analysis(ctx: SummaryContext, analysis: ChronologyAnalysis) -> list[Block]:
    blocks: list[Block] = [Subheading("The practitioner's analysis")]
    written = [
        (scope_label(ctx.content, scope), item.text)
        for scope, item in sorted(analysis.written.items(), key=lambda pair: pair[0] != OVERALL)
        if item.deleted_at is None and item.text.strip()
    ]
    if not written:
        blocks.append(Paragraph("No written analysis of the chronology yet.", "missing"))
    for scope, text in written:
        blocks += [Paragraph(f"About {scope}:", "hint"), Paragraph(text)]
    return blocks


def _significant_events(ctx: SummaryContext, live: list[object]) -> list[Block]:
    grades = ctx.content.chronology.significance
    # The content lists grades from the most serious; sort by that order, then newest first.
    significance = col(ChronologyEntry.significance)
    rank = case(
        *((significance == grade.id, index) for index, grade in enumerate(grades)),
        else_=len(grades),
    )
    entries = ctx.session.exec(
        select(ChronologyEntry)
        .where(*live)  # type: ignore[arg-type]
        .order_by(rank, col(ChronologyEntry.occurred_on).desc(), col(ChronologyEntry.id))
        .limit(SIGNIFICANT_EVENTS)
    ).all()
    labels = {grade.id: grade.label for grade in grades}
    sources = ctx.information_sources
    return [
        Subheading("Most significant events"),
        Table(
            caption=f"The {SIGNIFICANT_EVENTS} most significant entries: the most serious first, "
            "then the newest",
            headers=("Date", "What happened", "Impact on the child", "Source", "Significance"),
            widths=(15, 35, 20, 15, 15),
            rows=tuple(
                (
                    describe_event_date(entry.occurred_on, entry.date_precision),
                    entry.what_happened,
                    entry.impact_on_child or "Not recorded",
                    entry.source_detail or sources.get(entry.source_id, entry.source_id),
                    labels.get(entry.significance, entry.significance),
                )
                for entry in entries
            ),
        ),
    ]


# The assessment ------------------------------------------------------------------------------


# Evidence in the main document: its date, kind, source and first words; in full in the appendix.
EVIDENCE_WORDS = 8


def _evidence(item: EvidenceItem, sources: dict[str, str], *, full: bool) -> str:
    when = item.on_text or "Undated"
    source = f" ({sources.get(item.source, item.source)})" if item.source else ""
    if full:
        return f"{when}, {item.kind_label.lower()}: {item.description}{source}"
    return f"{when}{source}: {first_words(item.description, EVIDENCE_WORDS)}"


def _shown(ctx: SummaryContext, factor: FactorSummary) -> list[EvidenceItem]:
    """The factor's evidence that this copy shows (the disclosure copy leaves out evidence
    drawn from third-party entries)."""
    hidden = ctx.third_party_entries
    return [item for item in factor.evidence if item.chronology_entry_id not in hidden]


def _present(domain: DomainFactors) -> list[FactorSummary]:
    return [f for f in (*domain.risk, *domain.protective) if f.status == FactorStatus.PRESENT]


def _in_the_appendix(ctx: SummaryContext, text: str) -> Paragraph:
    """Where the main document points to what only the appendix holds."""
    return Paragraph(text + ("." if ctx.appendix else ", included on request."), "hint")


def factors_by_domain(ctx: SummaryContext) -> list[Block]:
    domains = ctx.factor_domains
    rated = [
        factor
        for domain in domains
        for factor in (*domain.risk, *domain.protective)
        if factor.status is not None
    ]
    if not rated:
        return [
            Paragraph(
                "The risk and protective factors have not been assessed yet: for each of the "
                f"{len(domains)} domains, the factors present and their evidence will show here.",
                "missing",
            )
        ]
    blocks: list[Block] = []
    if ctx.disclosure:
        blocks.append(Paragraph(THIRD_PARTY_LEFT_OUT, "notice"))
    unrated = 0
    for domain in domains:
        factors = [f for f in (*domain.risk, *domain.protective) if f.status is not None]
        unrated += len(domain.risk) + len(domain.protective) - len(factors)
        blocks.append(Subheading(domain.title))
        if not factors:
            blocks.append(Paragraph("No factor in this domain has been rated yet.", "missing"))
            continue
        blocks.append(
            Paragraph(
                f"{_plural(domain.present_risks, 'risk factor')} and "
                f"{_plural(domain.present_protective, 'protective factor')} present."
            )
        )
        present = _present(domain)
        if present:
            blocks.append(_present_table(ctx, domain, present))
        flagged = [factor.text for factor in present if factor.present_without_evidence]
        if flagged:
            blocks.append(
                Paragraph(
                    "Recorded as present without any evidence: " + "; ".join(flagged) + ".",
                    "notice",
                )
            )
        # Factors not present or not known are listed, not tabled: the table is the evidence.
        others = [
            f"{label}: " + "; ".join(f.text for f in factors if f.status == status) + "."
            for status, label in (
                (FactorStatus.ABSENT, "Not present"),
                (FactorStatus.UNKNOWN, "Not known"),
            )
            if any(f.status == status for f in factors)
        ]
        if others:
            blocks.append(BulletList(tuple(others)))
    if unrated:
        blocks.append(
            Paragraph(f"{_plural(unrated, 'factor')} of the framework not rated yet.", "missing")
        )
    blocks.append(
        _in_the_appendix(
            ctx,
            "Each piece of evidence shows its date, source and first words; the full text is "
            "in the appendix",
        )
    )
    return blocks


def _present_table(
    ctx: SummaryContext, domain: DomainFactors, present: list[FactorSummary]
) -> Table:
    """The factors present with a line for each piece of evidence; a column for the notes
    only where there are any (narrow columns make long tables, slow to lay out)."""
    notes = any(factor.notes for factor in present)
    return Table(
        caption=f"Factors present in {domain.title}",
        headers=("Factor", "Evidence", "Notes") if notes else ("Factor", "Evidence"),
        widths=(30, 45, 25) if notes else (35, 65),
        rows=tuple(
            (
                f"{factor.text} ({factor.kind})",
                "\n".join(
                    _evidence(item, ctx.information_sources, full=False)
                    for item in _shown(ctx, factor)
                )
                or "No evidence recorded",
                *((factor.notes or "",) if notes else ()),
            )
            for factor in present
        ),
    )


def factor_evidence_in_full(ctx: SummaryContext) -> list[Block]:
    """Appendix: the evidence of every factor present, word for word."""
    sources = ctx.information_sources
    blocks: list[Block] = []
    if ctx.disclosure:
        blocks.append(Paragraph(THIRD_PARTY_LEFT_OUT, "notice"))
    for domain in ctx.factor_domains:
        rows = tuple(
            (factor.text, "\n".join(_evidence(item, sources, full=True) for item in shown))
            for factor in _present(domain)
            if (shown := _shown(ctx, factor))
        )
        if rows:
            blocks.append(
                Table(
                    caption=f"Evidence for the factors present in {domain.title}",
                    headers=("Factor", "Evidence"),
                    widths=(30, 70),
                    rows=rows,
                )
            )
    if not any(isinstance(block, Table) for block in blocks):
        blocks.append(Paragraph("No evidence is recorded for any factor present.", "missing"))
    return blocks


def _answers(rows: Sequence[Answered]) -> FactList:
    return FactList(tuple((row.label, row.answer) for row in rows))


def capacity_to_change(ctx: SummaryContext) -> list[Block]:
    parents = assessment_summary.capacity_to_change(
        ctx.session, family=ctx.family, content=ctx.content
    )
    answered = any(
        row.answered
        for parent in parents
        for row in (*parent.answers, *(r for area in parent.problem_areas for r in area.answers))
    )
    if not answered:
        names = ", ".join(isolate(adult.name) for adult in ctx.adults)
        who = f" ({names})" if names else ": no parents or carers are recorded yet"
        return [
            Paragraph(f"The parents' capacity to change has not been assessed yet{who}.", "missing")
        ]
    blocks: list[Block] = []
    for parent in parents:
        blocks += [Subheading(parent.name), _answers(parent.answers)]
        for area in parent.problem_areas:
            heading = f"{isolate(parent.name)}: {area.label}"
            blocks += [Paragraph(heading), _answers(area.answers)]
    return blocks


def childrens_views(ctx: SummaryContext) -> list[Block]:
    views = assessment_summary.children_views(ctx.session, family=ctx.family, content=ctx.content)
    if not any(row.answered for child in views for row in child.answers):
        names = ", ".join(isolate(child.name) for child in ctx.children)
        who = f" ({names})" if names else ": no children are recorded yet"
        text = f"The children's wishes and feelings have not been recorded yet{who}."
        return [Paragraph(text, "missing")]
    blocks: list[Block] = []
    for child in views:
        blocks += [Subheading(child.name), _answers(child.answers)]
    return blocks


# Classification and decisions ----------------------------------------------------------------


def classification_and_decisions(ctx: SummaryContext) -> list[Block]:
    rules = ctx.rules
    blocks: list[Block] = [Subheading("The level the rules suggest")]
    blocks.append(
        Paragraph(
            f"Suggested level: {rules.suggested_level.label}. "
            + markdown_to_text(rules.suggested_level.meaning)
        )
    )
    if not ctx.snapshot.factors:
        blocks.append(
            Paragraph(
                "The factors have not been assessed yet, so this suggestion rests only on the "
                "children's facts and the chronology.",
                "missing",
            )
        )
    if not rules.minimum_levels and not rules.tools:
        blocks.append(
            Paragraph(
                f"No rule raised the suggestion above the default level "
                f"({rules.default_level.label}).",
                "hint",
            )
        )
    if rules.stepped_down and rules.raised_level is not None:
        blocks.append(
            Paragraph(
                f"The rules would set {rules.raised_level.label}; lasting change lowers it to "
                f"{rules.suggested_level.label}."
            )
        )
    elif rules.held:
        blocks.append(
            Paragraph(
                "Lasting change was found, but these rules keep the level where it is: "
                + "; ".join(finding.title for finding in rules.held)
                + "."
            )
        )
    for label, findings in (
        ("Lowers the level", rules.step_downs),
        ("Minimum level", rules.minimum_levels),
        ("No longer applies", rules.lapsed),
    ):
        blocks += [
            finding_suggestion(finding, label, ctx.people, ctx.citations) for finding in findings
        ]
    blocks += [tool_block(tool, ctx.citations) for tool in rules.tools]
    blocks += _classifications(ctx)
    blocks += _decisions(ctx)
    return blocks


def tool_block(tool: ToolResult, citations: Citations | None = None) -> Suggestion:
    """A scored tool as the summary and the classification page both show it: its level or
    "not completed", score and band, each item's points and the overrides (its sources
    numbered in `citations` when in a document)."""
    inputs = list(tool.item_lines())
    inputs += [
        f"Override {finding.title}: {'; '.join(r.text for r in finding.reasons)}"
        for finding in tool.overrides
    ]
    sources = tuple(citation(source) for source in tool.sources)
    return Suggestion(
        title=tool.headline(),
        text=tool.band_text(),
        rule=tool.tool_id,
        inputs=tuple(inputs)
        or (("No scored item applies to what is recorded.",) if tool.completed else ()),
        sources=sources,
        label="Scored tool",
        source_numbers=citations.numbers(sources) if citations else (),
    )


def _level(ctx: SummaryContext, level_id: str | None) -> str:
    if level_id is None:
        return "Not given"
    try:
        return ctx.content.level(level_id).label
    except KeyError:
        return level_id


def _timepoint(ctx: SummaryContext, record: ClassificationRecord) -> str:
    try:
        return ctx.content.timepoint(record.timepoint_id).label
    except KeyError:
        return record.timepoint_id


def _classifications(ctx: SummaryContext) -> list[Block]:
    """Each classification submitted: the levels, who gave them, when and why. The rules
    behind each, as they stood then, are in the appendix."""
    blocks: list[Block] = [Subheading("Classifications")]
    records = ctx.classifications
    if not records:
        blocks.append(Paragraph("No classification has been recorded yet.", "missing"))
        return blocks
    for record in records:
        if record.reviewed_at is None:
            review = "Waiting for a supervisor"
        else:
            verdict = "Agreed" if record.supervisor_agrees else "Disagreed"
            if record.supervisor_level and record.supervisor_level != record.practitioner_level:
                verdict += f", level {_level(ctx, record.supervisor_level)}"
            review = f"{verdict} ({record.reviewed_by or 'Unknown'}, "
            review += f"{format_datetime(record.reviewed_at)})"
            if record.supervisor_comments:
                review += f": {record.supervisor_comments}"
        rationale = f": {record.rationale}" if record.rationale else ""
        blocks.append(
            FactList(
                (
                    ("Classification", _timepoint(ctx, record)),
                    ("Suggested by the rules", _level(ctx, record.suggested_level)),
                    ("Practitioner", f"{_level(ctx, record.practitioner_level)}{rationale}"),
                    (
                        "Submitted",
                        f"{record.submitted_by}, {format_datetime(record.submitted_at)}",
                    ),
                    ("Supervisor", review),
                )
            )
        )
    if any(record.explanation_lines for record in records):
        blocks.append(
            _in_the_appendix(
                ctx,
                "Why the rules suggested each level when it was submitted, with the sources, "
                "is in the appendix",
            )
        )
    return blocks


def classifications_in_full(ctx: SummaryContext) -> list[Block]:
    """Appendix: the rules behind each classification as they stood when it was submitted,
    their sources cited by number like the rest of the document."""
    blocks: list[Block] = []
    for record in ctx.classifications:
        if not record.explanation_lines:
            continue
        blocks += [
            Subheading(
                f"{_timepoint(ctx, record)}: submitted by {record.submitted_by}, "
                f"{format_datetime(record.submitted_at)}"
            ),
            BulletList(tuple(_cited_line(ctx, record, line) for line in record.explanation_lines)),
        ]
    if not blocks:
        blocks.append(Paragraph("No classification has been recorded yet.", "missing"))
    return blocks


def _cited_line(ctx: SummaryContext, record: ClassificationRecord, line: str) -> str:
    """A line of a stored explanation with its sources ("[Wilkins and Farmer 2015]") as
    numbers in the document's list of sources."""
    line = line.strip()
    for finding in record.explanation_sources:
        if line.startswith(finding.title) and line.endswith(" " + finding.cited):
            numbers = ctx.citations.numbers(citation(source) for source in finding.sources)
            return line[: -len(finding.cited)] + references(numbers)
    return line


def _decisions(ctx: SummaryContext) -> list[Block]:
    blocks: list[Block] = [Subheading("Decisions")]
    decisions = assessment_summary.decision_history(
        ctx.session, family=ctx.family, content=ctx.content
    )
    if not decisions:
        blocks.append(Paragraph("No decisions have been recorded yet.", "missing"))
        return blocks
    latest = {decision.gate_id: index for index, decision in enumerate(decisions)}
    rows = []
    for index, decision in enumerate(decisions):
        outcome = decision.option_label
        if latest[decision.gate_id] != index:
            outcome += " (superseded by a later decision)"
        rows.append(
            (
                decision.gate_title,
                outcome,
                decision.rationale,
                decision.decided_by,
                format_datetime(decision.decided_at),
            )
        )
    blocks.append(
        Table(
            caption="Decisions recorded",
            headers=("Decision", "Outcome", "Rationale", "Decided by", "When"),
            widths=(20, 20, 30, 15, 15),
            rows=tuple(rows),
        )
    )
    return blocks


# Cautions ------------------------------------------------------------------------------------


def cautions(ctx: SummaryContext) -> list[Block]:
    fired = ctx.rules.cautions
    checked = len(ctx.content.rules.cautions)
    if not fired:
        return [
            Paragraph(
                f"None of the framework's {checked} research-based cautions applies to what is "
                "recorded so far.",
                "hint",
            )
        ]
    blocks: list[Block] = [
        Paragraph(
            f"{_plural(len(fired), 'caution')} of the framework's {checked} "
            f"{'applies' if len(fired) == 1 else 'apply'} to this family. Each shows why it "
            "applies and the research behind it."
        )
    ]
    blocks += [
        finding_suggestion(finding, "Caution", ctx.people, ctx.citations) for finding in fired
    ]
    return blocks


# Progress and reviews ------------------------------------------------------------------------


def progress_and_reviews(ctx: SummaryContext) -> list[Block]:
    journey = ctx.journey
    family = ctx.family
    names = ctx.names([family.allocated_practitioner_id])
    due = family.next_review_due
    overdue = due is not None and due < ctx.as_of
    rows = [
        ("Stage", journey.current_stage.title if journey.current_stage else "All stages complete"),
        ("Next", journey.next_action),
        (
            "Next review due",
            (format_date(due) + (" (overdue)" if overdue else "")) if due else "Not set",
        ),
        ("Work started", format_date(family.work_started_on)),
        (
            "Allocated to",
            names.get(family.allocated_practitioner_id, "Not allocated")
            if family.allocated_practitioner_id
            else "Not allocated",
        ),
    ]
    blocks: list[Block] = [FactList(tuple(rows))]
    blocks.append(
        Table(
            caption="Stages",
            headers=("Stage", "Sections done", "Awaiting sign-off"),
            widths=(35, 20, 45),
            rows=tuple(
                (
                    stage.title,
                    f"{sum(task.status in progress.DONE for task in stage.tasks)} of "
                    f"{len(stage.tasks)}",
                    ", ".join(
                        task.name
                        for task in stage.tasks
                        if task.status is SectionStatus.AWAITING_SIGN_OFF
                    )
                    or "None",
                )
                for stage in journey.stages
            ),
        )
    )
    return blocks


# Changes since the last review ---------------------------------------------------------------

# How the audit trail's entity types read in a sentence.
ENTITY_NOUNS = {
    "family": ("family record", "family records"),
    "child": ("child's record", "children's records"),
    "adult": ("parent or carer's record", "parents' and carers' records"),
    "contact": ("network or professional contact", "network and professional contacts"),
    "earlier_return": ("earlier return home", "earlier returns home"),
    "chronology_entry": ("chronology entry", "chronology entries"),
    "section_progress": ("section status", "section statuses"),
    "assessment_section": ("assessment section", "assessment sections"),
    "factor_evidence": ("piece of evidence for a factor", "pieces of evidence for factors"),
    "classification": ("classification", "classifications"),
    "gate_decision": ("decision", "decisions"),
    "chronology_analysis": ("written analysis of the chronology", "written analyses"),
    "chronology_comment": ("comment on the chronology", "comments on the chronology"),
    "chronology_review": ("chronology review", "chronology reviews"),
    "chronology_import": ("chronology import", "chronology imports"),
}
ACTION_VERBS = {
    AuditAction.CREATE.value: "added",
    AuditAction.UPDATE.value: "changed",
    AuditAction.DELETE.value: "deleted",
}


def changes_since_review(ctx: SummaryContext) -> list[Block]:
    since = ctx.last_review
    if since is None:
        due = ctx.family.next_review_due
        when = f" The first review is due on {format_date(due)}." if due else ""
        return [
            Paragraph(
                "No review has been recorded yet, so there is nothing to compare with." + when,
                "missing",
            )
        ]
    counts = Counter(
        ctx.session.exec(
            select(col(AuditEvent.entity_type), col(AuditEvent.action)).where(
                col(AuditEvent.family_id) == ctx.family.id,
                col(AuditEvent.at) > since,
                col(AuditEvent.action).in_(list(ACTION_VERBS)),
            )
        ).all()
    )
    blocks: list[Block] = [
        Paragraph(
            f"Since the last decision was recorded, on {format_datetime(since)}:",
        )
    ]
    if not counts:
        blocks.append(Paragraph("Nothing in the record has changed.", "hint"))
    else:
        items = []
        for (entity, action), count in sorted(counts.items()):
            one, many = ENTITY_NOUNS.get(entity, (entity.replace("_", " "), ""))
            noun = one if count == 1 else (many or one + "s")
            items.append(f"{count} {noun} {ACTION_VERBS[action]}")
        blocks.append(BulletList(tuple(items)))
    new_entries = ctx.session.exec(
        select(ChronologyEntry)
        .where(*_entry_filter(ctx), col(ChronologyEntry.created_at) > since)  # type: ignore[arg-type]
        .order_by(col(ChronologyEntry.occurred_on).desc())
        .limit(SIGNIFICANT_EVENTS)
    ).all()
    if new_entries:
        labels = {grade.id: grade.label for grade in ctx.content.chronology.significance}
        blocks.append(
            Table(
                caption="Chronology entries added since the last review (latest first)",
                headers=("Date", "What happened", "Significance"),
                widths=(20, 60, 20),
                rows=tuple(
                    (
                        describe_event_date(entry.occurred_on, entry.date_precision),
                        entry.what_happened,
                        labels.get(entry.significance, entry.significance),
                    )
                    for entry in new_entries
                ),
            )
        )
    return blocks


SUMMARY_SECTIONS: tuple[SummarySection, ...] = (
    SummarySection("children", "Children and key facts", children_and_key_facts),
    SummarySection(
        "chronology",
        "Chronology: patterns and significant events",
        chronology,
        _has_kind("chronology"),
    ),
    SummarySection(
        "factors", "Risk and protective factors by domain", factors_by_domain, _has_kind("factors")
    ),
    SummarySection(
        "capacity", "Parents' capacity to change", capacity_to_change, _has_parent_facts
    ),
    SummarySection("views", "The children's views", childrens_views, _has_child_views),
    SummarySection(
        "classification", "Classification history and decisions", classification_and_decisions
    ),
    SummarySection("cautions", "Research-based cautions", cautions, _has_cautions),
    SummarySection(
        "agreement",
        "Written agreements",
        agreement_sections.written_agreement,
        agreement_sections.has_agreement,
    ),
    SummarySection(
        "support", "Support plan", agreement_sections.support_plan, agreement_sections.has_services
    ),
    SummarySection("progress", "Progress and reviews", progress_and_reviews),
    SummarySection("reviews", "Each review", each_review, has_reviews),
    SummarySection(
        "returns", "Going home and visits after the return", returns_and_monitoring, has_returns
    ),
    SummarySection("outcome", "Outcome", outcome, has_outcomes),
    SummarySection("changes", "What has changed since the last review", changes_since_review),
    SummarySection(
        "factor-evidence",
        "Evidence for each factor in full",
        factor_evidence_in_full,
        _has_kind("factors"),
        part="appendix",
    ),
    SummarySection(
        "classification-rules",
        "The rules behind each classification",
        classifications_in_full,
        part="appendix",
    ),
)
