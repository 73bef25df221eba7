"""The assessment as plain data for the family summary and exports: factors by domain with
their evidence, each parent's capacity to change, each child's views, and the history of
classifications and decisions. No HTML here; callers render it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlmodel import Session

from app.content.model import FrameworkContent
from app.content.rules import Citation
from app.content.schema import PerChild, PerParent, Question, Repeating
from app.content.snapshot import AnswerValue, answer_key
from app.models.assessment import FACTOR_STATUS_LABELS, AssessmentAnswer, FactorStatus
from app.models.family import Family
from app.services import accounts, progress, questions
from app.services.classification import history
from app.services.evidence import EvidenceItem, evidence_for
from app.timeutil import format_date


@dataclass(frozen=True)
class FactorSummary:
    factor_id: str
    text: str
    kind: str  # "risk" or "protective"
    status: str | None  # a FactorStatus, or None when not rated
    status_label: str
    notes: str | None
    evidence: tuple[EvidenceItem, ...]

    @property
    def present_without_evidence(self) -> bool:
        """Flagged on pages and in the summary: present, but nothing backs it."""
        return self.status == FactorStatus.PRESENT and not self.evidence


@dataclass(frozen=True)
class DomainFactors:
    domain_id: str
    title: str
    risk: tuple[FactorSummary, ...]
    protective: tuple[FactorSummary, ...]

    @property
    def present_risks(self) -> int:
        return sum(1 for factor in self.risk if factor.status == FactorStatus.PRESENT)

    @property
    def present_protective(self) -> int:
        return sum(1 for factor in self.protective if factor.status == FactorStatus.PRESENT)


def factors_by_domain(
    session: Session, *, family: Family, content: FrameworkContent
) -> list[DomainFactors]:
    """Every domain of the pinned content with each factor's rating, notes and evidence."""
    saved = questions.rating_texts(session, family.id)
    evidence: dict[str, list[EvidenceItem]] = {}
    for item in evidence_for(session, family.id):
        evidence.setdefault(item.factor_id, []).append(item)

    def summary(factor_id: str, text: str, kind: str) -> FactorSummary:
        status, notes = saved.get(factor_id, (None, None))
        return FactorSummary(
            factor_id=factor_id,
            text=text,
            kind=kind,
            status=status or None,
            status_label=FACTOR_STATUS_LABELS[FactorStatus(status)] if status else "Not rated",
            notes=notes,
            evidence=tuple(evidence.get(factor_id, ())),
        )

    return [
        DomainFactors(
            domain_id=domain.id,
            title=domain.title,
            risk=tuple(summary(f.id, f.text, "risk") for f in domain.risk_factors),
            protective=tuple(
                summary(f.id, f.text, "protective") for f in domain.protective_factors
            ),
        )
        for domain in content.domains
    ]


@dataclass(frozen=True)
class Answered:
    """A question and its answer in words ("Not answered" when empty)."""

    question_id: str
    label: str
    answer: str
    answered: bool


def show_answer(content: FrameworkContent, question: Question, value: AnswerValue | None) -> str:
    """An answer as a person reads it."""
    if questions.empty(value):
        return "Not answered"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return format_date(value)
    labels = {option.id: option.label for option in content.options(question.id)}
    if question.type == "factor_checklist":
        labels = {fid: info.factor.text for fid, info in content.factors.items()}
    if isinstance(value, tuple):
        return "; ".join(labels.get(item, item) for item in value)
    text = f"{value:g}" if isinstance(value, float) else labels.get(str(value), str(value))
    unit = getattr(question, "unit", None)
    return f"{text} {unit}" if unit and question.type == "number" else text


def show_retired(row: AssessmentAnswer) -> str:
    """An answer to a question the pinned version no longer has, as it was stored."""
    value = questions.value_of(row, None)
    if questions.empty(value):
        return "Not answered"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, tuple):
        return "; ".join(value)
    return str(value)


def _answered(
    content: FrameworkContent,
    asked: tuple[Question, ...],
    answers: dict[str, AnswerValue],
    scopes: tuple[tuple[str, str], ...],
) -> list[Answered]:
    rows = []
    for question in asked:
        if question.type in questions.GROUP_TYPES:
            continue
        value = answers.get(answer_key(question.id, *scopes))
        rows.append(
            Answered(
                question.id,
                question.label,
                show_answer(content, question, value),
                not questions.empty(value),
            )
        )
    return rows


@dataclass(frozen=True)
class ProblemArea:
    item_id: str
    label: str
    answers: tuple[Answered, ...]


@dataclass(frozen=True)
class ParentCapacity:
    parent_id: str
    name: str
    answers: tuple[Answered, ...]
    problem_areas: tuple[ProblemArea, ...]


Group = TypeVar("Group", PerParent, PerChild)


def _groups(content: FrameworkContent, kind: type[Group]) -> list[Group]:
    """Top-level groups of one kind."""
    return [
        info.question
        for info in content.questions.values()
        if isinstance(info.question, kind) and not info.groups
    ]


def capacity_to_change(
    session: Session, *, family: Family, content: FrameworkContent
) -> list[ParentCapacity]:
    """Each parent's capacity to change: the per-parent questions whose repeating items hold
    the content's parent facts (problem area, readiness, engagement, months sustained)."""
    answers = questions.family_answers(session, family, content)
    items = questions.items_in(answers, content)
    people = questions.people_of(session, family)
    groups = [
        group
        for group in _groups(content, PerParent)
        if any(
            info.question.fact is not None and group.id in info.groups
            for info in content.questions.values()
        )
    ]
    result = []
    for group in groups:
        for parent_id, name in people.parents_for(group.roles):
            scopes = ((group.id, parent_id),)
            areas = []
            for inner in group.questions:
                if not isinstance(inner, Repeating):
                    continue
                prefix = f"{group.id}[{parent_id}].{inner.id}"
                for number, item in enumerate(items.get(prefix, []), start=1):
                    item_scopes = (*scopes, (inner.id, item))
                    rows = _answered(content, inner.questions, answers, item_scopes)
                    area = next(
                        (
                            row.answer
                            for row in rows
                            if _fact(content, row.question_id) == "parent-problem-area"
                            and row.answered
                        ),
                        f"{inner.item_label} {number}",
                    )
                    areas.append(ProblemArea(item, area, tuple(rows)))
            result.append(
                ParentCapacity(
                    parent_id=parent_id,
                    name=name,
                    answers=tuple(_answered(content, group.questions, answers, scopes)),
                    problem_areas=tuple(areas),
                )
            )
    return result


def _fact(content: FrameworkContent, question_id: str) -> str | None:
    info = content.questions.get(question_id)
    return info.question.fact if info else None


@dataclass(frozen=True)
class ChildViews:
    child_id: str
    name: str
    answers: tuple[Answered, ...]


def children_views(
    session: Session, *, family: Family, content: FrameworkContent
) -> list[ChildViews]:
    """Each child's wishes and feelings: the answers to the content's per-child questions."""
    answers = questions.family_answers(session, family, content)
    people = questions.people_of(session, family)
    result = []
    for group in _groups(content, PerChild):
        section = content.questions[group.id].section_id
        if content.sections[section].stage_id != content.stages[0].id:
            continue
        for child_id, name in people.children:
            rows = _answered(content, group.questions, answers, ((group.id, child_id),))
            result.append(ChildViews(child_id, name, tuple(rows)))
    return result


@dataclass(frozen=True)
class ClassificationRecord:
    """One submission: the three levels, who did what and when, and the outcome."""

    id: str
    section_id: str
    timepoint_id: str
    suggested_level: str
    practitioner_level: str
    rationale: str | None
    submitted_by: str
    submitted_at: datetime
    status: str
    supervisor_agrees: bool | None
    supervisor_level: str | None
    supervisor_comments: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    gate_option_id: str | None
    explanation_lines: tuple[str, ...]
    # Each rule that fired then, as its line cites its sources: (title, "[short, short]",
    # the sources in full), so a document can cite them by number instead.
    explanation_sources: tuple[CitedFinding, ...] = ()


@dataclass(frozen=True)
class CitedFinding:
    title: str
    cited: str
    sources: tuple[Citation, ...]


def _cited_findings(explanation: Mapping[str, Any]) -> tuple[CitedFinding, ...]:
    """The fired rules of a stored explanation with their sources (see `classification.
    explanation_json`); any finding stored without them is left out."""
    findings = [
        *explanation.get("minimum_levels", ()),
        *explanation.get("step_downs", ()),
        *explanation.get("lapsed", ()),
        *explanation.get("cautions", ()),
        *(item for tool in explanation.get("tools", ()) for item in tool.get("overrides", ())),
    ]
    result = []
    for finding in findings:
        sources = finding.get("sources") or ()
        if not sources or not all("short" in item and "citation" in item for item in sources):
            continue
        result.append(
            CitedFinding(
                title=str(finding.get("title", "")),
                cited="[" + ", ".join(item["short"] for item in sources) + "]",
                sources=tuple(
                    Citation("", item["short"], item["citation"], item.get("url"))
                    for item in sources
                ),
            )
        )
    return tuple(result)


def classification_history(session: Session, *, family: Family) -> list[ClassificationRecord]:
    """Every classification submitted for the family, oldest first."""
    rows = list(reversed(history(session, family.id)))
    names = accounts.staff_names(
        session, {row.submitted_by_id for row in rows} | {row.reviewed_by_id for row in rows}
    )
    return [
        ClassificationRecord(
            id=str(row.id),
            section_id=row.section_id,
            timepoint_id=row.timepoint_id,
            suggested_level=row.suggested_level,
            practitioner_level=row.practitioner_level,
            rationale=row.rationale,
            submitted_by=names.get(row.submitted_by_id, "Unknown"),
            submitted_at=row.submitted_at,
            status=row.status,
            supervisor_agrees=row.supervisor_agrees,
            supervisor_level=row.supervisor_level,
            supervisor_comments=row.supervisor_comments,
            reviewed_by=names.get(row.reviewed_by_id) if row.reviewed_by_id else None,
            reviewed_at=row.reviewed_at,
            gate_option_id=row.gate_option_id,
            explanation_lines=tuple(row.explanation.get("lines", ())),
            explanation_sources=_cited_findings(row.explanation),
        )
        for row in rows
    ]


@dataclass(frozen=True)
class DecisionRecord:
    gate_id: str
    gate_title: str
    option_id: str
    option_label: str
    rationale: str
    decided_by: str
    decided_at: datetime
    framework_version: str


def decision_history(
    session: Session, *, family: Family, content: FrameworkContent
) -> list[DecisionRecord]:
    """Every decision recorded at a gate, oldest first, in the pinned content's words."""
    rows = progress.decision_rows(session, family)
    names = accounts.staff_names(session, {row.decided_by_id for row in rows})
    result = []
    for row in rows:
        info = content.sections.get(row.gate_id)
        section = info.section if info else None
        labels = {option.id: option.label for option in getattr(section, "options", ())}
        result.append(
            DecisionRecord(
                gate_id=row.gate_id,
                gate_title=section.title if section else row.gate_id,
                option_id=row.option_id,
                option_label=labels.get(row.option_id, row.option_id),
                rationale=row.rationale,
                decided_by=names.get(row.decided_by_id, "Unknown"),
                decided_at=row.decided_at,
                framework_version=row.framework_version,
            )
        )
    return result
