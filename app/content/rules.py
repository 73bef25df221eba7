"""The rules engine: from content and a family snapshot to a suggested level and cautions.

Pure and deterministic: no `eval`, no expressions; each condition kind in `schema.py` has one
evaluator here. Every result says why: each fired rule carries the concrete inputs that made
its condition true and the full citations of its sources. Unknown ids and missing facts in a
snapshot make a condition false (with a reason saying what is missing); they never raise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Literal

from app.content.model import FrameworkContent
from app.content.schema import (
    AllOf,
    AllShow,
    AnswerIs,
    AnswerScalar,
    AnswerTest,
    AnyOf,
    AnyShow,
    Caution,
    ChildIs,
    ChildTest,
    ChronologyCount,
    Condition,
    EarlierLevel,
    FactorCount,
    FactorIs,
    Level,
    MinimumLevelRule,
    NotOf,
    NotShow,
    NumberTest,
    Option,
    Override,
    ParentIs,
    ParentTest,
    ScoredItem,
    ScoredTool,
    ShowWhen,
    StepDown,
    Term,
    ToolIs,
)
from app.content.snapshot import (
    AnswerValue,
    ChildFacts,
    CountStats,
    FamilySnapshot,
    ParentProblem,
    parse_answer_key,
)
from app.timeutil import describe_date, months_between

ReasonKind = Literal[
    "factor", "factors", "answer", "child", "chronology", "parent", "level", "tool"
]


@dataclass(frozen=True)
class Reason:
    """One concrete input behind a result, in words, with what it is about (`kind`, `ref`)."""

    kind: ReasonKind
    ref: str
    text: str


@dataclass(frozen=True)
class Outcome:
    """Whether a condition holds, and the inputs that decided it."""

    holds: bool
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class Citation:
    id: str
    short: str
    citation: str
    url: str | None


FindingKind = Literal["minimum_level", "lapsed", "step_down", "caution", "override"]


@dataclass(frozen=True)
class Finding:
    """A rule that fired: a minimum level (or one that lapsed), a step down, a caution or a
    scored tool's override. `steps` is how many levels a step down lowers the suggestion;
    `firm` marks a minimum level no step down goes below."""

    rule_id: str
    kind: FindingKind
    title: str
    text: str
    advice: str | None
    level: Level | None
    reasons: tuple[Reason, ...]
    sources: tuple[Citation, ...]
    steps: int = 0
    firm: bool = False


@dataclass(frozen=True)
class ItemScore:
    """A scored item whose condition held, the points it gave and why."""

    item_id: str
    label: str
    points: int
    option: str | None
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class ToolResult:
    """A scored tool's total, its band, any overrides, and the level it gives.

    Until every item is answered (`unanswered` names the ones that are not) the tool is not
    completed: it has no band, and only a mandatory override gives it a level."""

    tool_id: str
    title: str
    score: int
    items: tuple[ItemScore, ...]
    band_level: Level | None
    overrides: tuple[Finding, ...]
    level: Level | None
    sources: tuple[Citation, ...]
    band_label: str | None = None
    unanswered: tuple[str, ...] = ()
    discretionary_levels: int | None = None

    @property
    def completed(self) -> bool:
        return not self.unanswered

    def headline(self) -> str:
        """`Tool: High` or `Tool: not completed`."""
        if self.level is None:
            return f"{self.title}: not completed"
        return f"{self.title}: {self.level.label}"

    def band_text(self) -> str:
        """The score and band in a sentence, or what is still to answer."""
        if not self.completed:
            return (
                "Not completed: no score or band until these items are answered: "
                + "; ".join(self.unanswered)
                + "."
            )
        raised = ""
        level, band = self.level, self.band_level
        if level is not None and band is not None and level.rank > band.rank:
            raised = f" An override raises it to {level.label}."
        return f"Score {self.score}, in the band {self.band_label}.{raised}"

    def item_lines(self) -> tuple[str, ...]:
        """Each item that scored, with its points and why."""
        return tuple(
            f"{item.label}: {item.points:+d}"
            + (f" ({item.option})" if item.option else "")
            + f" because {_join(item.reasons)}"
            for item in self.items
        )


@dataclass(frozen=True)
class RulesResult:
    """Everything the engine concluded, with the explanation of each part.

    `raised_level` is the highest level the minimum levels and tools ask for; step downs may
    lower it to `suggested_level`, never below the default, a firm minimum level or a tool's
    override (`held_level`)."""

    content_key: tuple[str, str, str]
    as_of: date
    suggested_level: Level
    default_level: Level
    minimum_levels: tuple[Finding, ...]
    cautions: tuple[Finding, ...]
    tools: tuple[ToolResult, ...]
    raised_level: Level | None = None
    held_level: Level | None = None
    step_downs: tuple[Finding, ...] = ()
    lapsed: tuple[Finding, ...] = ()

    @property
    def stepped_down(self) -> bool:
        raised = self.raised_level or self.suggested_level
        return self.suggested_level.rank < raised.rank

    @property
    def held(self) -> tuple[Finding, ...]:
        """The firm minimum levels and overrides that stopped a step down going further."""
        if not self.step_downs or self.held_level is None:
            return ()
        rank = self.suggested_level.rank
        if self.held_level.rank != rank:
            return ()
        overrides = [item for tool in self.tools for item in tool.overrides]
        return tuple(
            finding
            for finding in (*self.minimum_levels, *overrides)
            if (finding.firm or finding.kind == "override")
            and finding.level is not None
            and finding.level.rank == rank
        )

    def _setters(self) -> list[tuple[str, str]]:
        """(id, title) of what put the suggestion at its level."""
        if self.stepped_down:
            held = self.held
            if held:
                return [(finding.rule_id, finding.title) for finding in held]
            return [(finding.rule_id, finding.title) for finding in self.step_downs]
        rank = self.suggested_level.rank
        found = [
            (finding.rule_id, finding.title)
            for finding in self.minimum_levels
            if finding.level is not None and finding.level.rank == rank
        ]
        found += [
            (tool.tool_id, tool.title)
            for tool in self.tools
            if tool.level is not None and tool.level.rank == rank
        ]
        return found

    @property
    def level_set_by_titles(self) -> tuple[str, ...]:
        """The titles of the rules and tools that put the suggestion at its level."""
        return tuple(title for _, title in self._setters())

    @property
    def level_set_by(self) -> tuple[str, ...]:
        """The ids of the rules and tools that put the suggestion at its level (for counting in
        reports; never shown)."""
        return tuple(rule_id for rule_id, _ in self._setters())

    def explanation(self) -> tuple[str, ...]:
        """The result as plain sentences, one per line: level, rules, tools, cautions."""
        setters = "; ".join(self.level_set_by_titles) or "no rule raised it above the default"
        lines = [f"Suggested level: {self.suggested_level.label} ({setters})."]
        if self.stepped_down and self.raised_level is not None:
            lines.append(
                f"Lowered from {self.raised_level.label} by protective factors and change that "
                "has lasted:"
            )
        elif self.step_downs and self.raised_level is not None:
            lines.append(
                f"Protective factors and lasting change were found, but the level cannot go "
                f"below {self.suggested_level.label}:"
            )
        lines += [f"  {_finding_line(finding)}" for finding in self.step_downs]
        for finding in self.minimum_levels:
            lines.append(_finding_line(finding))
        for finding in self.lapsed:
            lines.append(_finding_line(finding))
        for tool in self.tools:
            lines.append(f"{tool.headline()}. {tool.band_text()}")
            lines += [f"  {line}" for line in tool.item_lines()]
            lines += [f"  {_finding_line(finding)}" for finding in tool.overrides]
        lines += [_finding_line(finding) for finding in self.cautions]
        return tuple(lines)


def _join(reasons: Iterable[Reason]) -> str:
    return "; ".join(reason.text for reason in reasons)


def _finding_line(finding: Finding) -> str:
    if finding.kind == "lapsed" and finding.level:
        level = f" (would set at least {finding.level.label}; no longer applies)"
    elif finding.kind == "step_down":
        level = f" (lowers the level by {_plural(finding.steps, 'step')})"
    elif finding.level:
        level = f" (at least {finding.level.label})"
    else:
        level = ""
    cited = ", ".join(source.short for source in finding.sources)
    return f"{finding.title}{level}: {_join(finding.reasons)} [{cited}]"


# --- answers --------------------------------------------------------------------------------


def _same(value: AnswerValue, expected: AnswerScalar) -> bool:
    # True == 1 in Python; an answer of yes must not match the number 1.
    if isinstance(value, bool) != isinstance(expected, bool):
        return False
    return value == expected


def _number(value: AnswerValue) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def answer_matches(test: AnswerTest, value: AnswerValue | None) -> bool:
    """Whether one answer (None when unanswered) passes an answer test."""
    if test.answered is not None:
        return (value is not None and value != () and value != "") == test.answered
    if value is None:
        return False
    if test.includes is not None:
        return isinstance(value, tuple) and test.includes in value
    if test.equals is not None:
        return _same(value, test.equals)
    if test.one_of is not None:
        if isinstance(value, tuple):
            return any(choice in value for choice in test.one_of if isinstance(choice, str))
        return any(_same(value, choice) for choice in test.one_of)
    number = _number(value)
    if number is None:
        return False
    return (test.at_least is None or number >= test.at_least) and (
        test.at_most is None or number <= test.at_most
    )


def show_when_holds(condition: ShowWhen, answers: Mapping[str, AnswerValue]) -> bool:
    """Whether a question should be shown, given the answers in its scope by question id."""
    if isinstance(condition, AllShow):
        return all(show_when_holds(part, answers) for part in condition.all)
    if isinstance(condition, AnyShow):
        return any(show_when_holds(part, answers) for part in condition.any)
    if isinstance(condition, NotShow):
        return not show_when_holds(condition.not_, answers)
    return answer_matches(condition, answers.get(condition.answer))


# --- bounds ---------------------------------------------------------------------------------


def _within(number: float, test: NumberTest) -> bool:
    return (
        (test.at_least is None or number >= test.at_least)
        and (test.at_most is None or number <= test.at_most)
        and (test.more_than is None or number > test.more_than)
        and (test.less_than is None or number < test.less_than)
    )


def _bounds(
    at_least: int | None = None,
    at_most: int | None = None,
    more_than: int | None = None,
    less_than: int | None = None,
) -> str:
    """Bounds in words: `at least 3 and less than 6`."""
    named = (
        ("at least", at_least),
        ("at most", at_most),
        ("more than", more_than),
        ("less than", less_than),
    )
    return " and ".join(f"{name} {value}" for name, value in named if value is not None)


def _test_bounds(test: NumberTest) -> str:
    return _bounds(test.at_least, test.at_most, test.more_than, test.less_than)


def _judged(holds: bool, bounds: str) -> str:
    return f"({bounds})" if holds else f"(not {bounds})"


def _date(day: date, precision: str | None = None) -> str:
    """A date at the precision it was recorded ("March 2019", "about 2019")."""
    return describe_date(day, precision or "day", sentence=False)


def _on(day: date, precision: str | None) -> str:
    """`on 3 March 2024`, `in March 2024`, `in about 2019`."""
    words = _date(day, precision)
    return f"on {words}" if (precision or "day") == "day" else f"in {words}"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


# --- the engine -----------------------------------------------------------------------------


class _Engine:
    def __init__(self, content: FrameworkContent, snapshot: FamilySnapshot) -> None:
        self.content = content
        self.snapshot = snapshot
        self.answers: dict[str, list[tuple[tuple[tuple[str, str], ...], AnswerValue]]] = {}
        for key, value in snapshot.answers.items():
            parsed = parse_answer_key(key)
            if parsed is not None:
                self.answers.setdefault(parsed[1], []).append((parsed[0], value))
        self.people = dict(snapshot.people)
        self.people.update({child.id: child.label for child in snapshot.children})
        self.people.update({parent.parent_id: parent.parent_label for parent in snapshot.parents})
        # Scored before the rules, which may read them.
        self.tools: dict[str, ToolResult] = {}

    def check(self, condition: Condition) -> Outcome:
        if isinstance(condition, AllOf):
            return _quantify([self.check(part) for part in condition.all], every=True)
        if isinstance(condition, AnyOf):
            return _quantify([self.check(part) for part in condition.any], every=False)
        if isinstance(condition, NotOf):
            inner = self.check(condition.not_)
            return Outcome(not inner.holds, inner.reasons)
        if isinstance(condition, FactorIs):
            return self._factor(condition)
        if isinstance(condition, FactorCount):
            return self._factor_count(condition)
        if isinstance(condition, AnswerIs):
            return self._answer(condition)
        if isinstance(condition, ChildIs):
            return self._children(condition)
        if isinstance(condition, ChronologyCount):
            return self._chronology(condition)
        if isinstance(condition, ParentIs):
            return self._parents(condition)
        if isinstance(condition, ToolIs):
            return self._tool(condition)
        return self._earlier_level(condition)

    def unanswered(self, condition: Condition) -> bool:
        """Whether a factor or question the condition reads has not been answered yet (facts
        from the family's record and chronology are always known)."""
        if isinstance(condition, AllOf | AnyOf):
            parts = condition.all if isinstance(condition, AllOf) else condition.any
            return any(self.unanswered(part) for part in parts)
        if isinstance(condition, NotOf):
            return self.unanswered(condition.not_)
        if isinstance(condition, FactorIs):
            return condition.factor not in self.snapshot.factors
        if isinstance(condition, FactorCount):
            wanted = condition.factor_count
            return any(
                factor_id not in self.snapshot.factors
                for factor_id, info in self.content.factors.items()
                if (wanted.domain is None or info.domain.id == wanted.domain)
                and (wanted.kind is None or info.kind == wanted.kind)
            )
        if isinstance(condition, AnswerIs):
            # A test of whether the question is answered is itself always decided.
            return condition.answered is None and condition.answer not in self.answers
        return False

    def _tool(self, condition: ToolIs) -> Outcome:
        test = condition.tool
        tool = self.tools.get(test.id)
        if tool is None:
            title = next(
                (item.title for item in self.content.rules.scored_tools if item.id == test.id),
                "a scored tool",
            )
            text = f'"{title}" is not completed at this point'
            return Outcome(test.completed is False, (Reason("tool", test.id, text),))
        name = f'"{tool.title}"'
        if test.completed is not None:
            state = "is completed" if tool.completed else "is not completed yet"
            return Outcome(
                tool.completed == test.completed, (Reason("tool", test.id, f"{name} {state}"),)
            )
        if not tool.completed or tool.band_level is None:
            return Outcome(False, (Reason("tool", test.id, f"{name} is not completed yet"),))
        if test.score is not None:
            holds = _within(tool.score, test.score)
            text = f"{name} scores {tool.score} {_judged(holds, _test_bounds(test.score))}"
            return Outcome(holds, (Reason("tool", test.id, text),))
        holds = tool.band_level.id in (test.band or ())
        text = f"{name} is in the band {tool.band_label}"
        return Outcome(holds, (Reason("tool", test.id, text),))

    # --- factors --------------------------------------------------------------------------

    def _factor(self, condition: FactorIs) -> Outcome:
        info = self.content.factors.get(condition.factor)
        # People read these reasons: the factor by its words, never its id.
        name = f'the factor "{info.factor.text}"' if info else "a factor no longer in the content"
        state = self.snapshot.factors.get(condition.factor)
        status = state.status if state else "unknown"
        evidence = state.evidence_count if state else 0
        holds = status == condition.status and evidence >= condition.min_evidence
        if state is None:
            text = f"{name} has not been assessed"
        elif status == "present":
            links = _plural(evidence, "evidence link")
            text = f"{name} is present with {links}"
            if condition.min_evidence and evidence < condition.min_evidence:
                text += f" (at least {condition.min_evidence} needed)"
        elif status == "absent":
            text = f"{name} is recorded as not present"
        else:
            text = f"{name} is recorded as not known"
        return Outcome(holds, (Reason("factor", condition.factor, text),))

    def _factor_count(self, condition: FactorCount) -> Outcome:
        wanted = condition.factor_count
        present = []
        for factor_id, info in self.content.factors.items():
            if wanted.domain is not None and info.domain.id != wanted.domain:
                continue
            if wanted.kind is not None and info.kind != wanted.kind:
                continue
            state = self.snapshot.factors.get(factor_id)
            if state and state.status == "present" and state.evidence_count >= wanted.min_evidence:
                present.append(factor_id)
        count = len(present)
        holds = (condition.at_least is None or count >= condition.at_least) and (
            condition.at_most is None or count <= condition.at_most
        )
        kind = f"{wanted.kind} " if wanted.kind else ""
        text = f"{_plural(count, kind + 'factor')} present"
        if wanted.domain is not None:
            text += f' in "{self._domain_title(wanted.domain)}"'
        if wanted.min_evidence:
            text += f" with at least {_plural(wanted.min_evidence, 'evidence link')}"
        text += " " + _judged(holds, _bounds(condition.at_least, condition.at_most))
        if present:
            text += ": " + "; ".join(f'"{self.content.factors[f].factor.text}"' for f in present)
        ref = wanted.domain or wanted.kind or "all"
        return Outcome(holds, (Reason("factors", ref, text),))

    def _domain_title(self, domain_id: str) -> str:
        for domain in self.content.domains:
            if domain.id == domain_id:
                return domain.title
        return domain_id

    # --- answers --------------------------------------------------------------------------

    def _answer(self, condition: AnswerIs) -> Outcome:
        question_id = condition.answer
        info = self.content.questions.get(question_id)
        name = f'"{info.question.label}"' if info else f'question "{question_id}"'
        instances = self.answers.get(question_id, [])
        if not instances:
            holds = answer_matches(condition, None)
            return Outcome(holds, (Reason("answer", question_id, f"{name} has not been answered"),))
        outcomes = [
            Outcome(
                answer_matches(condition, value),
                (
                    Reason(
                        "answer",
                        question_id,
                        f"the answer to {name}{self._whose(scopes)} is "
                        f"{self._show(question_id, value)}",
                    ),
                ),
            )
            for scopes, value in instances
        ]
        return _quantify(outcomes, every=condition.instances == "all")

    def _whose(self, scopes: tuple[tuple[str, str], ...]) -> str:
        people = [self.people[instance] for _, instance in scopes if instance in self.people]
        return f" for {', '.join(people)}" if people else ""

    def _show(self, question_id: str, value: AnswerValue) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, date):
            return _date(value)
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float):
            return f"{value:g}"
        labels = {option.id: option.label for option in self.options(question_id)}
        if isinstance(value, tuple):
            return ", ".join(f'"{labels.get(item, item)}"' for item in value) or "nothing selected"
        return f'"{labels.get(value, value)}"'

    def options(self, question_id: str) -> tuple[Term | Option, ...]:
        return self.content.options(question_id) if question_id in self.content.questions else ()

    # --- children -------------------------------------------------------------------------

    def _children(self, condition: ChildIs) -> Outcome:
        if not self.snapshot.children:
            return Outcome(False, (Reason("child", "", "no children are recorded"),))
        outcomes = [self._child(child, condition.child) for child in self.snapshot.children]
        return _quantify(outcomes, every=condition.which == "all")

    def _child(self, child: ChildFacts, test: ChildTest) -> Outcome:
        checks: list[tuple[bool, str]] = []
        numbers = (
            ("age", child.age_years, "is aged {n}", "age is not recorded"),
            (
                "months_in_care",
                child.months_in_care,
                "has been in care for {n} month{s}",
                "time in care is not recorded",
            ),
            (
                "placement_moves",
                child.placement_moves,
                "has had {n} placement move{s}",
                "placement moves are not recorded",
            ),
            (
                "earlier_returns",
                child.earlier_returns,
                "has had {n} earlier return{s} home",
                "earlier returns home are not recorded",
            ),
            (
                "earlier_breakdowns",
                child.earlier_breakdowns,
                "has had {n} earlier return{s} home that broke down",
                "earlier breakdowns are not recorded",
            ),
        )
        for key, number, known, unknown in numbers:
            number_test: NumberTest | None = getattr(test, key)
            if number_test is None:
                continue
            if number is None:
                checks.append((False, f"{child.label}'s {unknown}"))
            else:
                holds = _within(number, number_test)
                judged = _judged(holds, _test_bounds(number_test))
                facts = known.format(n=number, s="" if number == 1 else "s")
                checks.append((holds, f"{child.label} {facts} {judged}"))
        if test.legal_status is not None:
            status = child.legal_status
            holds = status is not None and status in test.legal_status
            if status is None:
                checks.append((False, f"{child.label}'s legal status is not recorded"))
            else:
                label = self.content.term_label("legal_statuses", status)
                checks.append((holds, f'{child.label}\'s legal status is "{label}"'))
        if test.return_type is not None:
            if child.return_type is None:
                checks.append((False, f"{child.label} has not gone home in this plan"))
            else:
                label = self._return_type_label(child.return_type)
                holds = child.return_type in test.return_type
                checks.append((holds, f'{child.label} went home: "{label}"'))
        if test.legal_status_on_return is not None:
            status = child.legal_status_on_return
            if status is None:
                checks.append((False, f"{child.label} has not gone home in this plan"))
            else:
                label = self.content.term_label("legal_statuses", status)
                holds = status in test.legal_status_on_return
                checks.append((holds, f'{child.label} went home with legal status "{label}"'))
        if test.seen_alone_since_return is not None:
            seen = child.seen_alone_since_return
            if seen is None:
                checks.append((False, f"{child.label} has had no visit recorded since going home"))
            else:
                holds = seen == test.seen_alone_since_return
                facts = "was" if seen else "was not"
                checks.append(
                    (
                        holds,
                        f"{child.label} {facts} seen alone at the latest visit since going home",
                    )
                )
        if test.causes_recurring is not None:
            checks.append(self._causes_recurring(child, test.causes_recurring))
        if test.entry_reason is not None:
            matched = sorted(child.entry_reasons & set(test.entry_reason))
            if matched:
                labels = ", ".join(
                    f'"{self.content.term_label("entry_reasons", reason)}"' for reason in matched
                )
                checks.append((True, f"{child.label} entered care because of {labels}"))
            elif child.entry_reasons:
                reasons = ", ".join(
                    f'"{self.content.term_label("entry_reasons", reason)}"'
                    for reason in sorted(child.entry_reasons)
                )
                checks.append((False, f"{child.label} entered care because of {reasons}"))
            else:
                checks.append(
                    (False, f"{child.label}'s reasons for entering care are not recorded")
                )
        holds = all(passed for passed, _ in checks)
        shown = checks if holds else [check for check in checks if not check[0]]
        return Outcome(holds, tuple(Reason("child", child.id, text) for _, text in shown))

    def _causes_recurring(self, child: ChildFacts, wanted: bool) -> tuple[bool, str]:
        if not child.breakdown_causes:
            return False, (
                f"{child.label} has no earlier breakdown with a recorded cause the chronology "
                "can show"
            )
        again = [sentence for sentence, seen in child.breakdown_causes if seen]
        if wanted and again:
            return True, " ".join(again)
        shown = again or [sentence for sentence, _ in child.breakdown_causes]
        return bool(again) == wanted, " ".join(shown)

    def _return_type_label(self, type_id: str) -> str:
        for info in self.content.sections.values():
            for option in getattr(info.section, "return_types", ()):
                if option.id == type_id:
                    return str(option.label)
        return type_id

    # --- chronology -----------------------------------------------------------------------

    def _chronology(self, condition: ChronologyCount) -> Outcome:
        wanted = condition.chronology
        stats_by_id = (
            self.snapshot.chronology.themes
            if wanted.theme
            else self.snapshot.chronology.significance
        )
        subject_id = wanted.theme or wanted.significance or ""
        stats = stats_by_id.get(subject_id, CountStats())
        if wanted.theme:
            subject = f'theme "{self._theme_label(subject_id)}" recorded'
        else:
            subject = f'entries rated "{self._grade_label(subject_id)}":'
        if condition.months_since_last is not None:
            return self._months_since_last(condition.months_since_last, subject, subject_id, stats)
        bounds = _bounds(condition.at_least, condition.at_most)
        if wanted.within_months is None:
            count: int | None = stats.count
            period = ""
        else:
            count = stats.within_months.get(wanted.within_months, 0 if stats.count == 0 else None)
            period = f" in the last {wanted.within_months} months"
        if count is None:
            text = f"{subject} — no count for the last {wanted.within_months} months was supplied"
            return Outcome(False, (Reason("chronology", subject_id, text),))
        holds = (condition.at_least is None or count >= condition.at_least) and (
            condition.at_most is None or count <= condition.at_most
        )
        times = _plural(count, "time") if wanted.theme else _plural(count, "entry", "entries")
        text = f"{subject} {times}{period} {_judged(holds, bounds)}"
        if stats.last is not None and count:
            text += f", most recently {_on(stats.last, stats.last_precision)}"
        return Outcome(holds, (Reason("chronology", subject_id, text),))

    def _months_since_last(
        self, test: NumberTest, subject: str, subject_id: str, stats: CountStats
    ) -> Outcome:
        subject = subject.removesuffix(":")
        if stats.last is None or stats.last > self.snapshot.as_of:
            text = f"{subject}: no such entry in the chronology to measure from"
            return Outcome(False, (Reason("chronology", subject_id, text),))
        months = months_between(stats.last, self.snapshot.as_of)
        holds = _within(months, test)
        text = (
            f"{subject}, most recently {_on(stats.last, stats.last_precision)}: "
            f"{_plural(months, 'month')} before the assessment date "
            f"{_judged(holds, _test_bounds(test))}"
        )
        return Outcome(holds, (Reason("chronology", subject_id, text),))

    def _theme_label(self, theme_id: str) -> str:
        try:
            return self.content.theme(theme_id).label
        except KeyError:
            return theme_id

    def _grade_label(self, grade_id: str) -> str:
        try:
            return self.content.significance(grade_id).label
        except KeyError:
            return grade_id

    # --- parents --------------------------------------------------------------------------

    def _parents(self, condition: ParentIs) -> Outcome:
        test = condition.parent
        candidates = [
            parent
            for parent in self.snapshot.parents
            if test.problem_area is None or parent.problem_area == test.problem_area
        ]
        if not candidates:
            area = ""
            if test.problem_area is not None:
                area = f' for "{self._domain_title(test.problem_area)}"'
            return Outcome(
                False, (Reason("parent", "", f"no parent's capacity to change is recorded{area}"),)
            )
        outcomes = [self._parent(parent, test) for parent in candidates]
        return _quantify(outcomes, every=condition.which == "all")

    def _parent(self, parent: ParentProblem, test: ParentTest) -> Outcome:
        who = parent.parent_label
        if parent.problem_area is not None:
            who += f' ("{self._domain_title(parent.problem_area)}")'
        checks: list[tuple[bool, str]] = []
        if test.readiness is not None:
            checks.append(self._readiness(parent.readiness_stage, test, who))
        if test.months_sustained is not None:
            months = parent.months_sustained
            if months is None:
                checks.append((False, f"{who}: how long change has lasted is not recorded"))
            else:
                holds = _within(months, test.months_sustained)
                bounds = _judged(holds, _test_bounds(test.months_sustained))
                checks.append((holds, f"{who}: {self._sustained(parent)} {bounds}"))
        if test.change_lasting is not None:
            checks.append(self._change_lasting(parent, test.change_lasting, who))
        if test.months_since_relapse is not None:
            checks.append(self._since_relapse(parent, test.months_since_relapse, who))
        if test.relapsed_recently is not None:
            checks.append(self._relapsed_recently(parent, test.relapsed_recently, who))
        if test.engaged is not None:
            if parent.engaged is None:
                checks.append((False, f"{who}: engagement with services is not recorded"))
            else:
                state = "is engaging" if parent.engaged else "is not engaging"
                checks.append((parent.engaged == test.engaged, f"{who} {state} with services"))
        holds = all(passed for passed, _ in checks)
        shown = checks if holds else [check for check in checks if not check[0]]
        return Outcome(holds, tuple(Reason("parent", parent.parent_id, text) for _, text in shown))

    def _sustained(self, parent: ParentProblem) -> str:
        months = parent.months_sustained
        if parent.change_since is not None and months is not None:
            return (
                f"change since {_date(parent.change_since)}, "
                f"{_plural(months, 'month')} by the assessment date"
            )
        return f"change sustained for {_plural(months or 0, 'month')}"

    def _change_lasting(self, parent: ParentProblem, wanted: bool, who: str) -> tuple[bool, str]:
        rule = self.content.sustained_change(parent.problem_area)
        if rule is None:
            return False, f"{who}: this framework sets no time for change to last"
        if parent.months_sustained is None:
            return False, f"{who}: how long change has lasted is not recorded"
        lasting = parent.months_sustained >= rule.months
        needed = f"{_plural(rule.months, 'month')} needed"
        if parent.problem_area is not None and rule.problem_area == parent.problem_area:
            needed += " in this area"
        return lasting == wanted, f"{who}: {self._sustained(parent)} ({needed})"

    def _since_relapse(self, parent: ParentProblem, test: NumberTest, who: str) -> tuple[bool, str]:
        if parent.last_relapse is None:
            return False, f"{who}: no slip back is recorded"
        months = months_between(parent.last_relapse, self.snapshot.as_of)
        holds = _within(months, test)
        return holds, (
            f"{who}: slipped back {_on(parent.last_relapse, None)}, "
            f"{_plural(months, 'month')} before the assessment date "
            f"{_judged(holds, _test_bounds(test))}"
        )

    def _relapsed_recently(self, parent: ParentProblem, wanted: bool, who: str) -> tuple[bool, str]:
        rule = self.content.sustained_change(parent.problem_area)
        window = rule.relapse_months if rule else None
        if window is None:
            return False, f"{who}: this framework sets no period in which a slip back counts"
        if parent.last_relapse is None:
            return not wanted, f"{who}: no slip back is recorded"
        months = months_between(parent.last_relapse, self.snapshot.as_of)
        recent = months < window
        judged = "within" if recent else "more than"
        return recent == wanted, (
            f"{who}: slipped back {_on(parent.last_relapse, None)}, {judged} the "
            f"{_plural(window, 'month')} before the assessment date that count in this area"
        )

    def _readiness(self, stage_id: str | None, test: ParentTest, who: str) -> tuple[bool, str]:
        readiness = test.readiness
        assert readiness is not None
        if stage_id is None:
            return False, f"{who}: readiness to change is not recorded"
        rank = self.content.readiness_rank(stage_id)
        label = self.content.term_label("readiness_stages", stage_id)
        if rank is None:
            return False, f'{who}: readiness "{stage_id}" is not a stage in this framework'
        if readiness.one_of is not None:
            holds = stage_id in readiness.one_of
            names = ", ".join(
                f'"{self.content.term_label("readiness_stages", s)}"' for s in readiness.one_of
            )
            return (
                holds,
                f'{who}: readiness to change is "{label}" {_judged(holds, "one of " + names)}',
            )
        edge = readiness.at_or_before or readiness.at_or_after or ""
        edge_rank = self.content.readiness_rank(edge)
        if edge_rank is None:
            return False, f'{who}: readiness "{edge}" is not a stage in this framework'
        before = readiness.at_or_before is not None
        holds = rank <= edge_rank if before else rank >= edge_rank
        edge_label = self.content.term_label("readiness_stages", edge)
        bounds = f'{"at or before" if before else "at or after"} "{edge_label}"'
        return holds, f'{who}: readiness to change is "{label}" {_judged(holds, bounds)}'

    # --- earlier classifications ----------------------------------------------------------

    def _earlier_level(self, condition: EarlierLevel) -> Outcome:
        wanted_id = condition.earlier_level.at_least
        ranks = {level.id: level for level in self.content.levels}
        wanted = ranks.get(wanted_id)
        earlier = [
            ranks[level_id] for level_id in self.snapshot.earlier_levels if level_id in ranks
        ]
        if wanted is None or not earlier:
            return Outcome(
                False, (Reason("level", wanted_id, "no earlier classification is recorded"),)
            )
        highest = max(earlier, key=lambda level: level.rank)
        holds = highest.rank >= wanted.rank
        judged = _judged(holds, f'at least "{wanted.label}"')
        text = f'the highest earlier classification was "{highest.label}" {judged}'
        return Outcome(holds, (Reason("level", highest.id, text),))


def _unique(reasons: Iterable[Reason]) -> tuple[Reason, ...]:
    return tuple(dict.fromkeys(reasons))


def _quantify(outcomes: list[Outcome], *, every: bool) -> Outcome:
    """All (`every`) or any of the outcomes, explained by the ones that decided it."""
    passed = [outcome for outcome in outcomes if outcome.holds]
    failed = [outcome for outcome in outcomes if not outcome.holds]
    if every:
        holds = bool(outcomes) and not failed
        deciding = outcomes if holds else failed
    else:
        holds = bool(passed)
        deciding = passed if holds else outcomes
    return Outcome(holds, _unique(reason for outcome in deciding for reason in outcome.reasons))


# --- rules ----------------------------------------------------------------------------------


def _citations(content: FrameworkContent, source_ids: Iterable[str]) -> tuple[Citation, ...]:
    sources = (content.source(source_id) for source_id in source_ids)
    return tuple(Citation(s.id, s.short, s.citation, s.url) for s in sources)


def _finding(
    content: FrameworkContent,
    rule: MinimumLevelRule | StepDown | Caution | Override,
    outcome: Outcome,
    *,
    kind: FindingKind | None = None,
) -> Finding:
    if isinstance(rule, Caution):
        return Finding(
            rule.id,
            "caution",
            rule.title,
            rule.text,
            rule.advice,
            None,
            outcome.reasons,
            _citations(content, rule.sources),
        )
    if isinstance(rule, StepDown):
        return Finding(
            rule.id,
            "step_down",
            rule.title,
            rule.explanation,
            None,
            None,
            outcome.reasons,
            _citations(content, rule.sources),
            steps=rule.levels,
        )
    if isinstance(rule, MinimumLevelRule):
        return Finding(
            rule.id,
            kind or "minimum_level",
            rule.title,
            rule.explanation,
            None,
            content.level(rule.level),
            outcome.reasons,
            _citations(content, rule.sources),
            firm=rule.firm,
        )
    return Finding(
        rule.id,
        "override",
        rule.title,
        rule.explanation,
        None,
        content.level(rule.level),
        outcome.reasons,
        _citations(content, rule.sources),
    )


def _score_item(engine: _Engine, item: ScoredItem) -> ItemScore | None:
    if item.when is not None and item.points is not None:
        outcome = engine.check(item.when)
        if outcome.holds:
            return ItemScore(item.id, item.label, item.points, None, outcome.reasons)
        return None
    if item.answer is not None and item.option_points is not None:
        outcome = engine.check(AnswerIs(answer=item.answer, answered=True))
        value = next((value for _, value in engine.answers.get(item.answer, ())), None)
        if not isinstance(value, str) or value not in item.option_points:
            return None
        label = next(
            (option.label for option in engine.options(item.answer) if option.id == value), value
        )
        return ItemScore(item.id, item.label, item.option_points[value], label, outcome.reasons)
    for option in item.scores or ():
        outcome = engine.check(option.when)
        if outcome.holds:
            return ItemScore(item.id, item.label, option.points, option.label, outcome.reasons)
    return None


def _item_unanswered(engine: _Engine, item: ScoredItem) -> bool:
    if item.answer is not None:
        return item.answer not in engine.answers
    conditions = [item.when] if item.when is not None else []
    conditions += [option.when for option in item.scores or ()]
    return any(engine.unanswered(condition) for condition in conditions)


def _run_tool(engine: _Engine, tool: ScoredTool) -> ToolResult:
    content = engine.content
    unanswered = tuple(item.label for item in tool.items if _item_unanswered(engine, item))
    items = tuple(
        scored for item in tool.items if (scored := _score_item(engine, item)) is not None
    )
    score = sum(item.points for item in items)
    band = tool.bands[-1]
    for candidate in tool.bands:
        if candidate.max is None or score <= candidate.max:
            band = candidate
            break
    overrides = []
    for override in tool.overrides:
        outcome = engine.check(override.when)
        if outcome.holds:
            overrides.append(_finding(content, override, outcome))
    band_level = None if unanswered else content.level(band.level)
    # A mandatory override only ever raises the level; it applies even before the tool is
    # completed, since what it reads is already known.
    levels = [finding.level for finding in overrides if finding.level is not None]
    if band_level is not None:
        levels.append(band_level)
    return ToolResult(
        tool.id,
        tool.title,
        score if not unanswered else 0,
        items if not unanswered else (),
        band_level,
        tuple(overrides),
        _highest(levels) if levels else None,
        _citations(content, tool.sources),
        band_label=band.label or band_level.label if band_level is not None else None,
        unanswered=unanswered,
        discretionary_levels=tool.discretionary_levels,
    )


def evaluate_condition(
    content: FrameworkContent, condition: Condition, snapshot: FamilySnapshot
) -> Outcome:
    """Evaluate one condition against a snapshot."""
    return _Engine(content, snapshot).check(condition)


def _lowered(content: FrameworkContent, level: Level, steps: int) -> Level:
    """The level `steps` ranks below `level` (the lowest level at most)."""
    ordered = sorted(content.levels, key=lambda item: item.rank)
    position = next(index for index, item in enumerate(ordered) if item.id == level.id)
    return ordered[max(0, position - steps)]


def _highest(levels: Iterable[Level]) -> Level:
    return max(levels, key=lambda level: level.rank)


def tools_at(content: FrameworkContent, timepoint: str | None) -> tuple[ScoredTool, ...]:
    """The scored tools completed at a classification timepoint (every tool for None)."""
    return tuple(
        tool
        for tool in content.rules.scored_tools
        if timepoint is None or not tool.applies_at or timepoint in tool.applies_at
    )


def evaluate(
    content: FrameworkContent, snapshot: FamilySnapshot, timepoint: str | None = None
) -> RulesResult:
    """Run every rule, caution and scored tool of `content` over `snapshot`; at a
    classification `timepoint`, only the tools that apply there.

    The suggestion is the highest level a minimum level (that has not lapsed) or a tool asks
    for; the largest step down that applies lowers it, never below the default level, a firm
    minimum level or a tool's override."""
    engine = _Engine(content, snapshot)
    for tool in tools_at(content, timepoint):
        engine.tools[tool.id] = _run_tool(engine, tool)
    tools = tuple(engine.tools.values())
    minimum_levels = []
    lapsed = []
    for rule in content.rules.minimum_levels:
        outcome = engine.check(rule.when)
        if not outcome.holds:
            continue
        if rule.lapses_when is not None:
            lapse = engine.check(rule.lapses_when)
            if lapse.holds:
                reasons = _unique((*outcome.reasons, *lapse.reasons))
                lapsed.append(_finding(content, rule, Outcome(True, reasons), kind="lapsed"))
                continue
        minimum_levels.append(_finding(content, rule, outcome))
    step_downs = []
    for step in content.rules.step_downs:
        outcome = engine.check(step.when)
        if outcome.holds:
            step_downs.append(_finding(content, step, outcome))
    cautions = []
    for caution in content.rules.cautions:
        outcome = engine.check(caution.when)
        if outcome.holds:
            cautions.append(_finding(content, caution, outcome))
    default = content.default_level
    raised = _highest(
        [
            default,
            *(finding.level for finding in minimum_levels if finding.level is not None),
            *(tool.level for tool in tools if tool.level is not None),
        ]
    )
    held = _highest(
        [
            default,
            *(f.level for f in minimum_levels if f.firm and f.level is not None),
            *(f.level for tool in tools for f in tool.overrides if f.level is not None),
        ]
    )
    steps = max((finding.steps for finding in step_downs), default=0)
    suggested = _highest([held, _lowered(content, raised, steps)]) if steps else raised
    return RulesResult(
        content_key=content.key,
        as_of=snapshot.as_of,
        suggested_level=suggested,
        default_level=default,
        minimum_levels=tuple(minimum_levels),
        cautions=tuple(cautions),
        tools=tools,
        raised_level=raised,
        held_level=held,
        step_downs=tuple(step_downs),
        lapsed=tuple(lapsed),
    )
