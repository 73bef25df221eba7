"""Validation cases: invented families, each with what a trained practitioner expects the
decision support to show (the cautions that apply and a range of acceptable levels), every
expectation citing a source from the content.

A case file sits beside a framework's version folders (`framework_content/<framework>/
validation-cases.yaml`; the content loader reads only folders, so the file never becomes
part of a version or its hash). Trainers extend it; it is refused on load, with file, line and
what to fix, when it is malformed or names something the content does not have.
`app.services.case_check` builds each family through the services and compares.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_core import ErrorDetails

from app.content.errors import ContentError, DocPath, format_path
from app.content.loader import schema_message
from app.content.model import FrameworkContent
from app.content.schema import Id, Label, SemVer, Strict
from app.content.yamlsafe import Document, YamlProblem, read_yaml
from app.services import families, people
from app.timeutil import london_today

CASES_FILE = "validation-cases.yaml"
Why = Annotated[str, Field(min_length=10, max_length=1000)]
Sources = tuple[Id, ...]


class Expected(Strict):
    """One expectation and why a practitioner holds it: at least one source, and the reason."""

    sources: Sources = Field(min_length=1)
    why: Why


class ExpectedCaution(Expected):
    id: Id


class LevelRange(Expected):
    lowest: Id
    highest: Id


class Expectations(Strict):
    level: LevelRange
    cautions: tuple[ExpectedCaution, ...] = ()


class EarlierReturnCase(Strict):
    returned_on: date
    ended_on: date | None = None
    broke_down: bool
    planned: Literal["planned", "unplanned", "not-known"]
    returned_to: Label | None = None
    cause: Id | None = None


class CareEpisodeCase(Strict):
    started_on: date
    ended_on: date
    legal_status: Id
    placements: int = Field(default=1, ge=0, le=200)


class ChildCase(Strict):
    name: Label
    born: date
    gender: Literal["girl", "boy", "other", "not-known"] = "girl"
    legal_status: Id
    entered_care: date
    entry_reason: Id
    placement_moves: int = Field(default=1, ge=0, le=200)
    # Answered in the child's wishes and feelings; not asked when left out.
    seen_alone: bool | None = None
    earlier_returns: tuple[EarlierReturnCase, ...] = ()
    care_episodes: tuple[CareEpisodeCase, ...] = ()


class ProblemCase(Strict):
    """One problem area in a parent's capacity to change; `since` is when a change in
    behaviour began (the evidence is then "behaviour changed"), `relapse` the last slip back."""

    area: Id
    readiness: Id
    engaged: bool = True
    evidence: Literal["behaviour-changed", "attendance-only", "no-change"] | None = None
    since: date | None = None
    relapse: date | None = None

    @model_validator(mode="after")
    def _since_with_change(self) -> ProblemCase:
        if (self.evidence == "behaviour-changed") != (self.since is not None) and (
            self.evidence is not None
        ):
            raise ValueError(
                "give `since` (when the change began) exactly when the evidence is "
                "behaviour-changed"
            )
        return self


class AdultCase(Strict):
    name: Label
    relationship: Id
    parental_responsibility: bool
    lives_in_household: bool
    # Their role toward every child; left out, the one their relationship suggests.
    role: Id | None = None
    accepts_concerns: Literal["fully", "partly", "not-at-all", "not-known"] | None = None
    problems: tuple[ProblemCase, ...] = ()
    wants_return: Literal["yes-clearly", "unsure", "no", "not-known"] | None = None


class EntryCase(Strict):
    on: date
    precision: Literal["day", "month", "approximate", "year", "approximate_year"] = "day"
    source: Id = "case-file"
    significance: Id = "amber"
    what: Label
    themes: tuple[Id, ...] = ()


class Case(Strict):
    id: Id
    title: Label
    story: Label
    as_of: date | None = None
    return_to: Literal["same-parent", "other-parent", "without-pr"] = "same-parent"
    unplanned_return_risk: bool = False
    children: tuple[ChildCase, ...] = Field(min_length=1)
    adults: tuple[AdultCase, ...] = ()
    # Factors rated present; the rest are left unrated.
    factors: tuple[Id, ...] = ()
    chronology: tuple[EntryCase, ...] = ()
    expect: Expectations


class CaseFile(Strict):
    framework: Id
    written_for: SemVer
    as_of: date
    cases: tuple[Case, ...] = Field(min_length=1)


class CasesRefused(Exception):
    """The case file cannot be used; every problem, each with its line."""

    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__("\n".join(str(error) for error in errors))
        self.errors = errors


@dataclass(frozen=True)
class CaseSet:
    file: str
    framework: str
    written_for: str
    as_of: date
    cases: tuple[Case, ...]

    def as_of_for(self, case: Case) -> date:
        return case.as_of or self.as_of


def cases_path(content_dir: Path, framework_id: str) -> Path:
    return content_dir / framework_id / CASES_FILE


def load_cases(path: Path, content: FrameworkContent) -> CaseSet:
    """Read and check a case file against the content it runs under."""
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as problem:
        raise CasesRefused([ContentError(name, f"cannot read the file: {problem}")]) from None
    return parse_cases(text, content, name=name)


def parse_cases(text: str, content: FrameworkContent, *, name: str) -> CaseSet:
    try:
        document = read_yaml(text)
    except YamlProblem as problem:
        mark = problem.mark
        raise CasesRefused(
            [
                ContentError(
                    name,
                    problem.message,
                    mark.line if mark else None,
                    mark.column if mark else None,
                    format_path(problem.path),
                )
            ]
        ) from None
    try:
        parsed = CaseFile.model_validate(document.data)
    except ValidationError as error:
        errors = error.errors(include_url=False)
        raise CasesRefused(
            [
                _error(name, document, _path(details["loc"]), schema_message(details, None))
                for details in errors
                # A list whose items failed is also reported as too short: say it once.
                if not (details["type"] == "too_short" and _has_inner(details["loc"], errors))
            ]
        ) from None
    problems = [
        _error(name, document, path, message) for path, message in _cross_check(parsed, content)
    ]
    if problems:
        raise CasesRefused(problems)
    return CaseSet(
        file=name,
        framework=parsed.framework,
        written_for=parsed.written_for,
        as_of=parsed.as_of,
        cases=parsed.cases,
    )


def _has_inner(loc: tuple[int | str, ...], errors: list[ErrorDetails]) -> bool:
    return any(other["loc"][: len(loc)] == loc != other["loc"] for other in errors)


def _path(loc: tuple[int | str, ...]) -> DocPath:
    # Pydantic adds the validator's name for model-level errors; the path is the model's.
    return tuple(part for part in loc if part != "__root__")


def _error(name: str, document: Document, path: DocPath, message: str) -> ContentError:
    mark = document.value_mark(path)
    return ContentError(
        name, message, mark.line if mark else None, mark.column if mark else None, format_path(path)
    )


def _unknown(what: str, value: str, known: object) -> str:
    listed = ", ".join(sorted(str(item) for item in known))  # type: ignore[attr-defined]
    return f'"{value}" is not {what} in this content; use one of: {listed}'


def _cross_check(cases: CaseFile, content: FrameworkContent) -> Iterator[tuple[DocPath, str]]:
    """Everything a case names must exist in the content (and the family services' lists)."""
    if cases.framework != content.id:
        yield ("framework",), f'the cases are for "{cases.framework}", not "{content.id}"'
    if cases.as_of > london_today():
        yield ("as_of",), "the assessment date is in the future; use a date that has passed"
    sources = {source.id for source in content.sources}
    cautions = {rule.id for rule in content.rules.cautions}
    ranks = {level.id: level.rank for level in content.levels}
    vocab = {
        "legal status": {term.id for term in content.terms("legal_statuses")},
        "entry reason": {term.id for term in content.terms("entry_reasons")},
        "readiness stage": {term.id for term in content.terms("readiness_stages")},
        "problem area": {domain.id for domain in content.domains},
        "cause of breakdown": set(families.breakdown_causes(content)),
        "relationship": set(families.RELATIONSHIPS),
        "role": set(people.ROLES),
        "theme": {theme.id for theme in content.chronology.themes},
        "information source": {item.id for item in content.chronology.information_sources},
        "significance": {grade.id for grade in content.chronology.significance},
    }

    def check(path: DocPath, what: str, value: str | None) -> Iterator[tuple[DocPath, str]]:
        if value is not None and value not in vocab[what]:
            yield path, _unknown(f"a {what}", value, vocab[what])

    seen: set[str] = set()
    for number, case in enumerate(cases.cases):
        at: DocPath = ("cases", number)
        if case.id in seen:
            yield (*at, "id"), f'another case already has the id "{case.id}"; give each its own'
        seen.add(case.id)
        if case.as_of and case.as_of > london_today():
            yield (*at, "as_of"), "the assessment date is in the future; use a date that has passed"
        for index, child in enumerate(case.children):
            where = (*at, "children", index)
            yield from check((*where, "legal_status"), "legal status", child.legal_status)
            yield from check((*where, "entry_reason"), "entry reason", child.entry_reason)
            for item, earlier in enumerate(child.earlier_returns):
                yield from check(
                    (*where, "earlier_returns", item, "cause"), "cause of breakdown", earlier.cause
                )
            for item, episode in enumerate(child.care_episodes):
                yield from check(
                    (*where, "care_episodes", item, "legal_status"),
                    "legal status",
                    episode.legal_status,
                )
        for index, adult in enumerate(case.adults):
            where = (*at, "adults", index)
            yield from check((*where, "relationship"), "relationship", adult.relationship)
            yield from check((*where, "role"), "role", adult.role)
            for item, problem in enumerate(adult.problems):
                yield from check((*where, "problems", item, "area"), "problem area", problem.area)
                yield from check(
                    (*where, "problems", item, "readiness"), "readiness stage", problem.readiness
                )
        for index, factor_id in enumerate(case.factors):
            if factor_id not in content.factors:
                yield (*at, "factors", index), f'"{factor_id}" is not a factor in this content'
        for index, entry in enumerate(case.chronology):
            where = (*at, "chronology", index)
            yield from check((*where, "source"), "information source", entry.source)
            yield from check((*where, "significance"), "significance", entry.significance)
            for item, theme in enumerate(entry.themes):
                yield from check((*where, "themes", item), "theme", theme)
        level = case.expect.level
        for key in ("lowest", "highest"):
            if getattr(level, key) not in ranks:
                yield (
                    (*at, "expect", "level", key),
                    _unknown("a level", getattr(level, key), ranks),
                )
        known = level.lowest in ranks and level.highest in ranks
        if known and ranks[level.lowest] > ranks[level.highest]:
            yield (
                (*at, "expect", "level", "highest"),
                "the highest acceptable level is below the lowest; swap them",
            )
        expectations: list[tuple[DocPath, Expected]] = [((*at, "expect", "level"), level)]
        for index, caution in enumerate(case.expect.cautions):
            where = (*at, "expect", "cautions", index)
            if caution.id not in cautions:
                yield (*where, "id"), _unknown("a caution", caution.id, cautions)
            expectations.append((where, caution))
        for where, expected in expectations:
            for index, source in enumerate(expected.sources):
                if source not in sources:
                    yield (*where, "sources", index), _unknown("a source", source, sources)
