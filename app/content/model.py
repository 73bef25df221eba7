"""A loaded, validated content version and its look-ups: immutable once built."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Protocol, TypeVar

from app.content.schema import (
    CadenceFile,
    ChronologyFile,
    DomainFile,
    Factor,
    FactorKind,
    FrameworkFile,
    Level,
    Option,
    Question,
    RulesFile,
    Section,
    Significance,
    Source,
    StageFile,
    SustainedChange,
    Term,
    Theme,
    Timepoint,
    Vocabulary,
    VocabularyFile,
)


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_HasId)


def _find(items: tuple[_T, ...], item_id: str) -> _T:
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(item_id)


@dataclass(frozen=True)
class FactorInfo:
    """A factor with the domain it belongs to and whether it is a risk or a protective factor."""

    factor: Factor
    domain: DomainFile
    kind: FactorKind


@dataclass(frozen=True)
class QuestionInfo:
    """A question with where it sits: its stage, section and enclosing groups (outermost first)."""

    question: Question
    stage_id: str
    section_id: str
    groups: tuple[str, ...]


@dataclass(frozen=True)
class SectionInfo:
    """A section (a task in the overview) with the stage it belongs to."""

    section: Section
    stage_id: str


@dataclass(frozen=True, eq=False)
class FrameworkContent:
    """One published framework version: id + semantic version + content hash, never changed."""

    framework: FrameworkFile
    content_hash: str
    stages: tuple[StageFile, ...]
    domains: tuple[DomainFile, ...]
    levels: tuple[Level, ...]
    timepoints: tuple[Timepoint, ...]
    vocabulary: VocabularyFile
    chronology: ChronologyFile
    rules: RulesFile
    cadence: CadenceFile
    sources: tuple[Source, ...]
    factors: Mapping[str, FactorInfo] = field(repr=False)
    questions: Mapping[str, QuestionInfo] = field(repr=False)
    sections: Mapping[str, SectionInfo] = field(repr=False)
    chronology_windows: frozenset[int] = field(repr=False)

    @property
    def id(self) -> str:
        return self.framework.id

    @cached_property
    def section_titles(self) -> Mapping[str, str]:
        """Each section's title as a task is named: a factor domain whose title another section
        shares (the child's wishes and feelings are both a domain and a set of questions) is
        named as the factors it holds, so that no two tasks read the same."""
        counts: dict[str, int] = {}
        for info in self.sections.values():
            counts[info.section.title] = counts.get(info.section.title, 0) + 1
        return {
            section_id: (
                f"{info.section.title}: risk and protective factors"
                if counts[info.section.title] > 1 and info.section.kind == "factors"
                else info.section.title
            )
            for section_id, info in self.sections.items()
        }

    @property
    def version(self) -> str:
        return self.framework.version

    @property
    def key(self) -> tuple[str, str, str]:
        """What a record stores to say which content it was made with."""
        return (self.framework.id, self.framework.version, self.content_hash)

    def stage(self, stage_id: str) -> StageFile:
        return _find(self.stages, stage_id)

    def domain(self, domain_id: str) -> DomainFile:
        return _find(self.domains, domain_id)

    def level(self, level_id: str) -> Level:
        return _find(self.levels, level_id)

    def level_rank(self, level_id: str) -> int:
        return self.level(level_id).rank

    @property
    def lowest_level(self) -> Level:
        return self.levels[0]

    @property
    def default_level(self) -> Level:
        """The level suggested when no rule raises it."""
        if self.rules.default_level is None:
            return self.lowest_level
        return self.level(self.rules.default_level)

    def timepoint(self, timepoint_id: str) -> Timepoint:
        return _find(self.timepoints, timepoint_id)

    def source(self, source_id: str) -> Source:
        return _find(self.sources, source_id)

    def theme(self, theme_id: str) -> Theme:
        return _find(self.chronology.themes, theme_id)

    def significance(self, grade_id: str) -> Significance:
        return _find(self.chronology.significance, grade_id)

    def terms(self, vocabulary: Vocabulary) -> tuple[Term | Option, ...]:
        """The entries of a vocabulary, as (id, label) items a choice question can offer."""
        if vocabulary == "domains":
            return tuple(Option(id=domain.id, label=domain.title) for domain in self.domains)
        if vocabulary == "levels":
            return tuple(Option(id=level.id, label=level.label) for level in self.levels)
        terms: tuple[Term, ...] = getattr(self.vocabulary, vocabulary)
        return terms

    def term_label(self, vocabulary: Vocabulary, term_id: str) -> str:
        for term in self.terms(vocabulary):
            if term.id == term_id:
                return term.label
        return term_id

    def options(self, question_id: str) -> tuple[Term | Option, ...]:
        """The options a choice question offers, whether listed or drawn from a vocabulary."""
        question = self.questions[question_id].question
        options = getattr(question, "options", None)
        if options is not None:
            return tuple(options)
        vocabulary = getattr(question, "options_from", None)
        return self.terms(vocabulary) if vocabulary else ()

    def sustained_change(self, problem_area: str | None) -> SustainedChange | None:
        """How long change must last in a problem area: its own entry, else the general one."""
        general = None
        for entry in self.rules.sustained_change:
            if entry.problem_area is None:
                general = entry
            elif entry.problem_area == problem_area:
                return entry
        return general

    def readiness_rank(self, stage_id: str) -> int | None:
        for position, term in enumerate(self.vocabulary.readiness_stages):
            if term.id == stage_id:
                return position
        return None
