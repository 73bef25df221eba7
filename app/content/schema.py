"""Pydantic models of the content files: strict, so a misspelt key is an error, not a default.

Each content file has one top-level model (`*File`); `SINGLE_FILES` and `FOLDER_FILES` map
file names and folders to them.
Conditions are structured YAML, never expressions: each kind is a mapping whose first key
names it (`all`, `any`, `not`, `factor`, `factor_count`, `answer`, `child`, `chronology`,
`parent`, `earlier_level`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from app.content.markdown import markdown_problem

ID_PATTERN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
SEMVER_PATTERN = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
MAX_ID_LENGTH = 64
MAX_LABEL_LENGTH = 400
MAX_MARKDOWN_LENGTH = 20_000


def _check_id(value: str) -> str:
    if len(value) > MAX_ID_LENGTH or not ID_PATTERN.fullmatch(value):
        raise ValueError(
            f'"{value[:40]}" is not a valid id; use lower-case letters, digits and single '
            f"hyphens, starting with a letter (at most {MAX_ID_LENGTH} characters)"
        )
    return value


def _check_label(value: str) -> str:
    if not value.strip():
        raise ValueError("the text is empty; write something here")
    if "\n" in value.strip():
        raise ValueError("this text must fit on one line; use a guidance field for longer text")
    if len(value) > MAX_LABEL_LENGTH:
        raise ValueError(f"this text is longer than {MAX_LABEL_LENGTH} characters; shorten it")
    return value.strip()


def _check_markdown(value: str) -> str:
    if not value.strip():
        raise ValueError("the text is empty; write something here or remove the key")
    if len(value) > MAX_MARKDOWN_LENGTH:
        raise ValueError(f"this text is longer than {MAX_MARKDOWN_LENGTH} characters; shorten it")
    problem = markdown_problem(value)
    if problem:
        raise ValueError(problem)
    return value.strip()


def _check_semver(value: str) -> str:
    if not SEMVER_PATTERN.fullmatch(value):
        raise ValueError(
            f'"{value[:40]}" is not a semantic version; write it as MAJOR.MINOR.PATCH, '
            "for example 1.0.0"
        )
    return value


Id = Annotated[str, AfterValidator(_check_id)]
Label = Annotated[str, AfterValidator(_check_label)]
Markdown = Annotated[str, AfterValidator(_check_markdown)]
SemVer = Annotated[str, AfterValidator(_check_semver)]
Count = Annotated[int, Field(ge=0, le=10_000)]
Colour = Literal["grey", "green", "turquoise", "blue", "purple", "pink", "red", "orange", "yellow"]
FactorKind = Literal["risk", "protective"]
Role = Literal["practitioner", "supervisor"]
Vocabulary = Literal["domains", "readiness_stages", "legal_statuses", "entry_reasons", "levels"]
AnswerScalar = str | bool | int | float


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _exactly_one(model: BaseModel, names: tuple[str, ...], what: str) -> None:
    given = [name for name in names if getattr(model, name) is not None]
    if len(given) != 1:
        listed = ", ".join(names)
        raise ValueError(f"{what} needs exactly one of: {listed}")


def _at_least_one(model: BaseModel, names: tuple[str, ...], what: str) -> None:
    if all(getattr(model, name) is None for name in names):
        raise ValueError(f"{what} needs at least one of: {', '.join(names)}")


# --- framework.yaml -------------------------------------------------------------------------


class ChangelogEntry(Strict):
    version: SemVer
    date: date
    changes: tuple[Label, ...] = Field(min_length=1)


class FrameworkFile(Strict):
    id: Id
    version: SemVer
    title: Label
    summary: Markdown
    licence: Markdown
    stages: tuple[Id, ...] = Field(min_length=1)
    domains: tuple[Id, ...] = Field(min_length=1)
    changelog: tuple[ChangelogEntry, ...] = Field(min_length=1)


# --- levels.yaml ----------------------------------------------------------------------------


class Level(Strict):
    id: Id
    rank: int = Field(ge=1, le=20)
    label: Label
    meaning: Markdown
    colour: Colour


class Timepoint(Strict):
    id: Id
    label: Label
    stage: Id
    hint: Label | None = None


class LevelsFile(Strict):
    levels: tuple[Level, ...] = Field(min_length=2)
    timepoints: tuple[Timepoint, ...] = ()


# --- vocabulary.yaml ------------------------------------------------------------------------


class Term(Strict):
    id: Id
    label: Label
    hint: Label | None = None


class BreakdownCause(Term):
    """Why an earlier return home broke down; `themes` are the chronology themes that show the
    same thing happening again (the chronology analysis compares them with the last year)."""

    themes: tuple[Id, ...] = ()


class VocabularyFile(Strict):
    readiness_stages: tuple[Term, ...] = Field(min_length=2)
    legal_statuses: tuple[Term, ...] = Field(min_length=1)
    entry_reasons: tuple[Term, ...] = Field(min_length=1)
    # From content 1.3.0; earlier versions record a breakdown in the return's notes only.
    breakdown_causes: tuple[BreakdownCause, ...] = ()


# --- sources.yaml ---------------------------------------------------------------------------


class Source(Strict):
    id: Id
    short: Label
    citation: Label
    url: Label | None = None
    note: Label | None = None

    @model_validator(mode="after")
    def _http_url(self) -> Self:
        if self.url is not None and not self.url.startswith(("https://", "http://")):
            raise ValueError("a source url must start with https:// or http://")
        return self


class SourcesFile(Strict):
    sources: tuple[Source, ...] = Field(min_length=1)


# --- cadence.yaml ---------------------------------------------------------------------------


class AfterReturnCadence(Strict):
    first_review_after_weeks: int = Field(ge=1, le=104)
    review_every_weeks: int = Field(ge=1, le=104)
    monitor_for_months: int = Field(ge=1, le=60)


class CadenceFile(Strict):
    first_review_after_weeks: int = Field(ge=1, le=104)
    review_every_weeks: int = Field(ge=1, le=104)
    support_after_return_months: int = Field(ge=0, le=60)
    after_return: AfterReturnCadence
    # The decision (a gate id) whose date starts the clock for the first review; without it,
    # the first review is due that long after the first review opens.
    first_review_from: Id | None = None
    guidance: Markdown | None = None


# --- domains/<id>.yaml ----------------------------------------------------------------------


RecordFact = Literal[
    "earlier-breakdowns",
    "earlier-returns",
    "child-age",
    "placement-moves",
    "legal-status",
    "chronology-theme",
]
COUNTED_FACTS = ("earlier-breakdowns", "earlier-returns", "child-age", "placement-moves")


class FactorSuggestion(Strict):
    """What in the family's record suggests the factor's answer, offered to the practitioner
    to confirm or change (app.services.record_suggestions): a count that reaches `at_least`
    for some child, or a legal status or chronology theme among `one_of`."""

    record: RecordFact
    at_least: int | None = Field(default=None, ge=1, le=1000)
    one_of: tuple[Id, ...] = ()

    @model_validator(mode="after")
    def _shape(self) -> Self:
        if self.record in COUNTED_FACTS:
            if self.at_least is None or self.one_of:
                raise ValueError(f"a suggestion from {self.record} needs at_least (and no one_of)")
        elif not self.one_of or self.at_least is not None:
            raise ValueError(f"a suggestion from {self.record} needs one_of (and no at_least)")
        return self


class Factor(Strict):
    id: Id
    text: Label
    guidance: Markdown
    sources: tuple[Id, ...] = ()
    # From content 1.3.0: the record's facts that suggest an answer, so they are not asked twice.
    suggest: FactorSuggestion | None = None
    # Why no rule or caution reads this factor (rules.yaml's `factor_coverage` asks for a rule
    # or this reason on every factor it covers).
    not_read_because: Label | None = None


class DomainFile(Strict):
    id: Id
    title: Label
    summary: Markdown
    guidance: Markdown
    risk_factors: tuple[Factor, ...] = Field(min_length=1)
    protective_factors: tuple[Factor, ...] = Field(min_length=1)
    sources: tuple[Id, ...] = ()


# --- chronology.yaml ------------------------------------------------------------------------


class InformationSource(Strict):
    id: Id
    label: Label
    hint: Label | None = None


class Theme(Strict):
    id: Id
    label: Label
    polarity: FactorKind
    domains: tuple[Id, ...] = Field(min_length=1)
    hint: Label | None = None


class Significance(Strict):
    id: Id
    label: Label
    meaning: Label
    colour: Colour


class ChronologyFile(Strict):
    guidance: Markdown | None = None
    information_sources: tuple[InformationSource, ...] = Field(min_length=1)
    themes: tuple[Theme, ...] = Field(min_length=1)
    significance: tuple[Significance, ...] = Field(min_length=1)


# --- conditions -----------------------------------------------------------------------------


class NumberTest(Strict):
    """A test on a whole number: every bound given must hold."""

    at_least: int | None = None
    at_most: int | None = None
    more_than: int | None = None
    less_than: int | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Self:
        _at_least_one(self, ("at_least", "at_most", "more_than", "less_than"), "a number test")
        return self


class AnswerTest(Strict):
    """A test on one question's answer, shared by rules and `show_when`."""

    answer: Id
    equals: AnswerScalar | None = None
    one_of: tuple[AnswerScalar, ...] | None = Field(default=None, min_length=1)
    includes: Id | None = None
    answered: bool | None = None
    at_least: int | float | None = None
    at_most: int | float | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Self:
        tests = [
            name
            for name in ("equals", "one_of", "includes", "answered")
            if getattr(self, name) is not None
        ]
        bounds = self.at_least is not None or self.at_most is not None
        if len(tests) + bounds != 1:
            raise ValueError(
                "an answer condition needs exactly one test: equals, one_of, includes, "
                "answered, or at_least/at_most"
            )
        return self


class AllShow(Strict):
    all: tuple[ShowWhen, ...] = Field(min_length=1)


class AnyShow(Strict):
    any: tuple[ShowWhen, ...] = Field(min_length=1)


class NotShow(Strict):
    not_: ShowWhen = Field(alias="not")


CONDITION_KEYS = (
    "all",
    "any",
    "not",
    "factor",
    "factor_count",
    "answer",
    "child",
    "chronology",
    "parent",
    "earlier_level",
    "tool",
)
SHOW_WHEN_KEYS = ("all", "any", "not", "answer")


def _first_key(keys: tuple[str, ...]) -> Any:
    def discriminate(value: Any) -> str | None:
        if isinstance(value, dict):
            # The first key written names the kind, so extra keys are reported as extra.
            for key in value:
                if key in keys:
                    return f"{key} condition"
        elif isinstance(value, BaseModel):
            fields = type(value).model_fields
            for key in keys:
                if key in fields or f"{key}_" in fields:
                    return f"{key} condition"
        return None

    return discriminate


def _condition_error(keys: tuple[str, ...]) -> str:
    return "a condition must be a mapping that starts with one of: " + ", ".join(keys)


ShowWhen = Annotated[
    Annotated[AllShow, Tag("all condition")]
    | Annotated[AnyShow, Tag("any condition")]
    | Annotated[NotShow, Tag("not condition")]
    | Annotated[AnswerTest, Tag("answer condition")],
    Discriminator(
        _first_key(SHOW_WHEN_KEYS),
        custom_error_type="condition",
        custom_error_message=_condition_error(SHOW_WHEN_KEYS),
    ),
]


class AllOf(Strict):
    all: tuple[Condition, ...] = Field(min_length=1)


class AnyOf(Strict):
    any: tuple[Condition, ...] = Field(min_length=1)


class NotOf(Strict):
    not_: Condition = Field(alias="not")


class FactorIs(Strict):
    factor: Id
    status: Literal["present", "absent", "unknown"] = "present"
    min_evidence: Count = 0


class FactorFilter(Strict):
    domain: Id | None = None
    kind: FactorKind | None = None
    min_evidence: Count = 0


class FactorCount(Strict):
    factor_count: FactorFilter
    at_least: Count | None = None
    at_most: Count | None = None

    @model_validator(mode="after")
    def _bound(self) -> Self:
        _at_least_one(self, ("at_least", "at_most"), "factor_count")
        return self


class AnswerIs(AnswerTest):
    instances: Literal["any", "all"] = "any"


class ChildTest(Strict):
    age: NumberTest | None = None
    legal_status: tuple[Id, ...] | None = Field(default=None, min_length=1)
    entry_reason: tuple[Id, ...] | None = Field(default=None, min_length=1)
    months_in_care: NumberTest | None = None
    placement_moves: NumberTest | None = None
    earlier_returns: NumberTest | None = None
    earlier_breakdowns: NumberTest | None = None
    # The child's return home during this plan (a `returns` section's record).
    return_type: tuple[Id, ...] | None = Field(default=None, min_length=1)
    legal_status_on_return: tuple[Id, ...] | None = Field(default=None, min_length=1)
    # Whether the chronology of the last 12 months shows again the cause of an earlier
    # breakdown (through the themes vocabulary.yaml's breakdown_causes link to it).
    causes_recurring: bool | None = None

    # Whether the child was seen alone at the latest visit since going home.
    seen_alone_since_return: bool | None = None

    @model_validator(mode="after")
    def _some_test(self) -> Self:
        _at_least_one(self, tuple(type(self).model_fields), "a child condition")
        return self


class ChildIs(Strict):
    child: ChildTest
    which: Literal["any", "all"] = "any"


class ChronologyFilter(Strict):
    theme: Id | None = None
    significance: Id | None = None
    within_months: int | None = Field(default=None, ge=1, le=600)

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        _exactly_one(self, ("theme", "significance"), "a chronology condition")
        return self


class ChronologyCount(Strict):
    """How many entries (of a theme or grade), or how long since the latest one."""

    chronology: ChronologyFilter
    at_least: Count | None = None
    at_most: Count | None = None
    # Whole calendar months from the latest such entry to the assessment date; with no such
    # entry at all, the test does not hold (nothing to measure from).
    months_since_last: NumberTest | None = None

    @model_validator(mode="after")
    def _bound(self) -> Self:
        _at_least_one(self, ("at_least", "at_most", "months_since_last"), "a chronology condition")
        if self.months_since_last is not None and (
            self.at_least is not None or self.at_most is not None
        ):
            raise ValueError(
                "a chronology condition counts entries (at_least, at_most) or measures the time "
                "since the latest one (months_since_last), not both; write two conditions"
            )
        if self.months_since_last is not None and self.chronology.within_months is not None:
            raise ValueError(
                "months_since_last already looks back from the assessment date; remove "
                "within_months"
            )
        return self


class StageTest(Strict):
    at_or_before: Id | None = None
    at_or_after: Id | None = None
    one_of: tuple[Id, ...] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_test(self) -> Self:
        _exactly_one(self, ("at_or_before", "at_or_after", "one_of"), "a readiness test")
        return self


PARENT_TESTS = (
    "readiness",
    "months_sustained",
    "change_lasting",
    "months_since_relapse",
    "relapsed_recently",
    "engaged",
)


class ParentTest(Strict):
    problem_area: Id | None = None
    readiness: StageTest | None = None
    # Months from the start of the change to the assessment date (or as the worker recorded).
    months_sustained: NumberTest | None = None
    # Whether the change has lasted the months rules.yaml's `sustained_change` asks for in the
    # parent's problem area (true), or not yet (false).
    change_lasting: bool | None = None
    months_since_relapse: NumberTest | None = None
    # Whether the parent slipped back within the relapse window `sustained_change` sets for the
    # problem area.
    relapsed_recently: bool | None = None
    engaged: bool | None = None

    @model_validator(mode="after")
    def _some_test(self) -> Self:
        _at_least_one(self, PARENT_TESTS, "a parent condition")
        return self


class ParentIs(Strict):
    parent: ParentTest
    which: Literal["any", "all"] = "any"


class LevelTest(Strict):
    at_least: Id


class EarlierLevel(Strict):
    earlier_level: LevelTest


class ToolTest(Strict):
    """A scored tool's result: its score, the level of its band, or whether it is completed.
    A tool that is not completed has no score or band, so those tests are false."""

    id: Id
    score: NumberTest | None = None
    band: tuple[Id, ...] | None = Field(default=None, min_length=1)
    completed: bool | None = None

    @model_validator(mode="after")
    def _one_test(self) -> Self:
        _exactly_one(self, ("score", "band", "completed"), "a tool condition")
        return self


class ToolIs(Strict):
    tool: ToolTest


Condition = Annotated[
    Annotated[AllOf, Tag("all condition")]
    | Annotated[AnyOf, Tag("any condition")]
    | Annotated[NotOf, Tag("not condition")]
    | Annotated[FactorIs, Tag("factor condition")]
    | Annotated[FactorCount, Tag("factor_count condition")]
    | Annotated[AnswerIs, Tag("answer condition")]
    | Annotated[ChildIs, Tag("child condition")]
    | Annotated[ChronologyCount, Tag("chronology condition")]
    | Annotated[ParentIs, Tag("parent condition")]
    | Annotated[EarlierLevel, Tag("earlier_level condition")]
    | Annotated[ToolIs, Tag("tool condition")],
    Discriminator(
        _first_key(CONDITION_KEYS),
        custom_error_type="condition",
        custom_error_message=_condition_error(CONDITION_KEYS),
    ),
]


# --- questions ------------------------------------------------------------------------------

Fact = Literal[
    "parent-problem-area",
    "parent-readiness-stage",
    "parent-months-sustained",
    "parent-change-since",
    "parent-last-relapse",
    "parent-engaged",
]


class QuestionBase(Strict):
    id: Id
    label: Label
    hint: Label | None = None
    guidance: Markdown | None = None
    required: bool = False
    show_when: ShowWhen | None = None
    fact: Fact | None = None


class ShortText(QuestionBase):
    type: Literal["short_text"]
    max_length: int = Field(default=200, ge=1, le=1000)


class LongText(QuestionBase):
    type: Literal["long_text"]
    max_length: int = Field(default=10_000, ge=1, le=50_000)


class YesNo(QuestionBase):
    type: Literal["yes_no"]


class Option(Strict):
    id: Id
    label: Label
    hint: Label | None = None


class _Choice(QuestionBase):
    options: tuple[Option, ...] | None = Field(default=None, min_length=2)
    options_from: Vocabulary | None = None

    @model_validator(mode="after")
    def _options_or_vocabulary(self) -> Self:
        _exactly_one(self, ("options", "options_from"), "a choice question")
        return self


class SingleChoice(_Choice):
    type: Literal["single_choice"]


class MultipleChoice(_Choice):
    type: Literal["multiple_choice"]


class DateQuestion(QuestionBase):
    type: Literal["date"]
    allow_approximate: bool = False
    allow_future: bool = True


class NumberQuestion(QuestionBase):
    type: Literal["number"]
    integer: bool = True
    min: int | float | None = None
    max: int | float | None = None
    unit: Label | None = None

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min is greater than max; swap them")
        return self


class ScalePoint(Strict):
    value: int
    label: Label


class ScaleQuestion(QuestionBase):
    type: Literal["scale"]
    min: int | None = None
    max: int | None = None
    min_label: Label | None = None
    max_label: Label | None = None
    points: tuple[ScalePoint, ...] | None = Field(default=None, min_length=2)

    @model_validator(mode="after")
    def _range_or_points(self) -> Self:
        ends = (self.min, self.max, self.min_label, self.max_label)
        if self.points is not None:
            if any(value is not None for value in ends):
                raise ValueError("a scale has either points or min/max with labels, not both")
            values = [point.value for point in self.points]
            if values != sorted(set(values)):
                raise ValueError("scale points must be in increasing order of value, each once")
        elif any(value is None for value in ends):
            raise ValueError("a scale needs min, max, min_label and max_label (or points)")
        elif self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError("the scale's min must be less than its max")
        return self


class FactorChecklist(QuestionBase):
    type: Literal["factor_checklist"]
    domains: tuple[Id, ...] = Field(min_length=1)
    kinds: tuple[FactorKind, ...] = Field(default=("risk", "protective"), min_length=1)


AdultRole = Literal["household-carer", "parent-outside", "partner", "risk", "other"]


class PerParent(QuestionBase):
    type: Literal["per_parent"]
    questions: tuple[Question, ...] = Field(min_length=1)
    # Whom the questions are asked about: adults holding one of these roles toward a child
    # (app.services.people.ROLES). Left out (content before 1.3.0): every adult.
    roles: tuple[AdultRole, ...] | None = Field(default=None, min_length=1)


class PerChild(QuestionBase):
    type: Literal["per_child"]
    questions: tuple[Question, ...] = Field(min_length=1)


class Repeating(QuestionBase):
    type: Literal["repeating"]
    item_label: Label
    min_items: int = Field(default=0, ge=0, le=100)
    max_items: int | None = Field(default=None, ge=1, le=100)
    questions: tuple[Question, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _bounds(self) -> Self:
        if self.max_items is not None and self.max_items < self.min_items:
            raise ValueError("max_items is less than min_items")
        return self


class PerItem(QuestionBase):
    type: Literal["per_item"]
    of: Id
    questions: tuple[Question, ...] = Field(min_length=1)


Question = Annotated[
    ShortText
    | LongText
    | YesNo
    | SingleChoice
    | MultipleChoice
    | DateQuestion
    | NumberQuestion
    | ScaleQuestion
    | FactorChecklist
    | PerParent
    | PerChild
    | Repeating
    | PerItem,
    Field(discriminator="type"),
]
GROUP_TYPES = (PerParent, PerChild, Repeating, PerItem)


# --- stages/<id>.yaml -----------------------------------------------------------------------


class SectionBase(Strict):
    id: Id
    title: Label
    summary: Label | None = None
    guidance: Markdown | None = None
    requires: tuple[Id, ...] = ()
    recurrence: Literal["once", "each_review"] = "once"
    # Which reviews a section answered at each review belongs to: those before any child has
    # gone home, those after, or both. Without it, the app works it out from the order of the
    # sections around the section that records the return home.
    review_phase: Literal["before_return", "after_return", "any"] | None = None

    @model_validator(mode="after")
    def _phase_needs_recurrence(self) -> Self:
        if self.review_phase is not None and self.recurrence != "each_review":
            raise ValueError(
                "review_phase applies only to a section answered at each review; add "
                "recurrence: each_review or remove review_phase"
            )
        return self


class QuestionsSection(SectionBase):
    kind: Literal["questions"]
    questions: tuple[Question, ...] = Field(min_length=1)


class FactorsSection(SectionBase):
    kind: Literal["factors"]
    domain: Id
    questions: tuple[Question, ...] = ()


class ChronologySection(SectionBase):
    kind: Literal["chronology"]


class ClassificationSection(SectionBase):
    kind: Literal["classification"]
    timepoint: Id


class GateOption(Strict):
    """One answer to a decision, and what choosing it does to the family's journey.

    `next_stage` moves the family on; `proceeds` lets the sections that wait for the decision
    start without moving stage; `reopens` sends the named sections back to be answered again
    (their earlier answers kept as history); `ends_plan` ends the return-home plan (another
    route to permanence); `closes_case` closes the case with each child's outcome. An option
    with none of these loops back: at a decision made once it reopens the sections the
    decision waits for, and at a review's decision it leads to the next review."""

    id: Id
    label: Label
    hint: Label | None = None
    next_stage: Id | None = None
    proceeds: bool = False
    reopens: tuple[Id, ...] = ()
    ends_plan: bool = False
    closes_case: bool = False

    @model_validator(mode="after")
    def _one_effect(self) -> Self:
        ending = [name for name in ("ends_plan", "closes_case") if getattr(self, name)]
        going_on = [
            name
            for name, given in (
                ("next_stage", self.next_stage is not None),
                ("proceeds", self.proceeds),
                ("reopens", bool(self.reopens)),
            )
            if given
        ]
        if len(ending) > 1 or (ending and going_on):
            raise ValueError(
                "an option that ends the plan or closes the case cannot also lead on ("
                + ", ".join(ending + going_on)
                + "); keep one"
            )
        if self.next_stage is not None and self.proceeds:
            raise ValueError(
                "next_stage already lets the work that waits for this decision go ahead; "
                "remove proceeds"
            )
        return self


class GateSection(SectionBase):
    kind: Literal["gate"]
    question: Label
    recorded_by: Role
    # Who proposes the decision for the recorder to confirm or change, if anyone.
    proposed_by: Role | None = None
    rationale_required: bool = True
    options: tuple[GateOption, ...] = Field(min_length=2)

    @model_validator(mode="after")
    def _proposer_differs(self) -> Self:
        if self.proposed_by is not None and self.proposed_by == self.recorded_by:
            raise ValueError("proposed_by and recorded_by name the same role; remove proposed_by")
        return self


class ReturnOption(Strict):
    id: Id
    label: Label
    hint: Label | None = None
    planned: bool


class ReturnsSection(SectionBase):
    """Each child's return home: date, carer, and how it happened (from `return_types`)."""

    kind: Literal["returns"]
    return_types: tuple[ReturnOption, ...] = Field(min_length=2)


class MonitoringSection(SectionBase):
    """Visits after the return: who was seen and whether alone, concerns, what was done."""

    kind: Literal["monitoring"]


class OutcomesSection(SectionBase):
    """Each child's outcome when the case closes."""

    kind: Literal["outcomes"]


Section = Annotated[
    QuestionsSection
    | FactorsSection
    | ChronologySection
    | ClassificationSection
    | GateSection
    | ReturnsSection
    | MonitoringSection
    | OutcomesSection,
    Field(discriminator="kind"),
]


class StageFile(Strict):
    id: Id
    title: Label
    summary: Markdown
    guidance: Markdown | None = None
    sections: tuple[Section, ...] = Field(min_length=1)


# --- rules.yaml -----------------------------------------------------------------------------


class MinimumLevelRule(Strict):
    id: Id
    title: Label
    level: Id
    when: Condition
    explanation: Markdown
    sources: tuple[Id, ...] = Field(min_length=1)
    # The floor stops applying when this holds (for a historical factor: once change has
    # lasted long enough); the explanation still names it and says why it no longer applies.
    lapses_when: Condition | None = None
    # No step-down brings the suggestion below a firm floor (unaddressed serious harm).
    firm: bool = False


class StepDown(Strict):
    """Protective factors or sustained change that lower the suggestion by `levels`, never
    below the default level, a firm floor or a scored tool's override."""

    id: Id
    title: Label
    levels: int = Field(ge=1, le=5)
    when: Condition
    explanation: Markdown
    sources: tuple[Id, ...] = Field(min_length=1)


class SustainedChange(Strict):
    """How long change must last in a problem area (every area without an entry of its own
    takes the entry without `problem_area`), and how recent a relapse counts as recent."""

    problem_area: Id | None = None
    months: int = Field(ge=1, le=120)
    relapse_months: int | None = Field(default=None, ge=1, le=120)
    basis: Markdown
    sources: tuple[Id, ...] = Field(min_length=1)


class Caution(Strict):
    id: Id
    title: Label
    text: Markdown
    advice: Markdown | None = None
    when: Condition
    sources: tuple[Id, ...] = Field(min_length=1)


class ScoreOption(Strict):
    label: Label
    points: int = Field(ge=-100, le=100)
    when: Condition


class ScoredItem(Strict):
    """One item of a scored tool, in one of three forms: `points` when a condition holds;
    a list of `scores` (the first whose condition holds counts); or the points of each option
    of a choice question (`answer` and `option_points`)."""

    id: Id
    label: Label
    points: int | None = Field(default=None, ge=-100, le=100)
    when: Condition | None = None
    scores: tuple[ScoreOption, ...] | None = Field(default=None, min_length=1)
    answer: Id | None = None
    option_points: dict[Id, Annotated[int, Field(ge=-100, le=100)]] | None = Field(
        default=None, min_length=1
    )

    @model_validator(mode="after")
    def _one_form(self) -> Self:
        simple = self.points is not None and self.when is not None
        partial = (self.points is None) != (self.when is None)
        by_option = self.answer is not None and self.option_points is not None
        partial_option = (self.answer is None) != (self.option_points is None)
        forms = [simple, self.scores is not None, by_option]
        if partial or partial_option or forms.count(True) != 1:
            raise ValueError(
                "a scored item needs either points and when, a list of scores, or answer and "
                "option_points"
            )
        return self

    def possible_points(self) -> tuple[int, ...]:
        """Every number of points the item can give once it is answered."""
        if self.option_points is not None:
            return tuple(self.option_points.values())
        if self.scores is not None:
            return (0, *(option.points for option in self.scores))
        return (0, self.points or 0)


class Band(Strict):
    min: int | None = None
    max: int | None = None
    level: Id
    # What the band is called where people read it ("Low risk 0-4"); the level's label without.
    label: Label | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("the band's min is greater than its max")
        return self


class Override(Strict):
    """A mandatory override: when it holds, the tool's level is at least `level`."""

    id: Id
    title: Label
    level: Id
    when: Condition
    explanation: Markdown
    sources: tuple[Id, ...] = ()


class ScoredTool(Strict):
    """A points tool, in rules.yaml's scored_tools or in a file of its own, tools/<id>.yaml."""

    id: Id
    title: Label
    summary: Markdown
    # The classification timepoints the tool is completed at (every one when left out).
    applies_at: tuple[Id, ...] = ()
    items: tuple[ScoredItem, ...] = Field(min_length=1)
    bands: tuple[Band, ...] = Field(min_length=1)
    overrides: tuple[Override, ...] = ()
    # How many levels the practitioner may move the level away from the suggestion, with a
    # reason, for the supervisor to approve at sign-off; left out, the tool sets no limit.
    discretionary_levels: int | None = Field(default=None, ge=0, le=5)
    sources: tuple[Id, ...] = ()


class RulesFile(Strict):
    default_level: Id | None = None
    # Which factors must each be read by a rule, caution or tool, or say why not
    # (`not_read_because`): none, the risk factors, or all of them.
    factor_coverage: Literal["none", "risk", "all"] = "none"
    sustained_change: tuple[SustainedChange, ...] = ()
    minimum_levels: tuple[MinimumLevelRule, ...] = ()
    step_downs: tuple[StepDown, ...] = ()
    cautions: tuple[Caution, ...] = ()
    scored_tools: tuple[ScoredTool, ...] = ()


_RECURSIVE: tuple[type[BaseModel], ...] = (
    AllShow,
    AnyShow,
    NotShow,
    AllOf,
    AnyOf,
    NotOf,
    PerParent,
    PerChild,
    Repeating,
    PerItem,
    QuestionsSection,
    FactorsSection,
    StageFile,
)
for _model in _RECURSIVE:
    _model.model_rebuild()

SINGLE_FILES: dict[str, type[Strict]] = {
    "framework.yaml": FrameworkFile,
    "levels.yaml": LevelsFile,
    "vocabulary.yaml": VocabularyFile,
    "chronology.yaml": ChronologyFile,
    "rules.yaml": RulesFile,
    "cadence.yaml": CadenceFile,
    "sources.yaml": SourcesFile,
}
FOLDER_FILES: dict[str, type[Strict]] = {
    "stages": StageFile,
    "domains": DomainFile,
    "tools": ScoredTool,
}
