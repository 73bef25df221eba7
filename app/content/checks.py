"""Cross-reference checks over a version's validated files, then its look-ups.

Schema validation sees one file at a time; these checks see the whole version: unknown and
duplicate ids, references between files, `show_when` scope and cycles, prerequisite cycles,
level ranks and score bands out of order.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from types import MappingProxyType

from app.content.errors import DocPath
from app.content.model import FactorInfo, FrameworkContent, QuestionInfo, SectionInfo
from app.content.schema import (
    GROUP_TYPES,
    AllOf,
    AllShow,
    AnswerIs,
    AnswerScalar,
    AnswerTest,
    AnyOf,
    AnyShow,
    Band,
    CadenceFile,
    ChildIs,
    ChronologyCount,
    ChronologyFile,
    ClassificationSection,
    Condition,
    DomainFile,
    EarlierLevel,
    Factor,
    FactorChecklist,
    FactorCount,
    FactorIs,
    FactorKind,
    FactorsSection,
    FrameworkFile,
    GateSection,
    LevelsFile,
    MultipleChoice,
    NotOf,
    NotShow,
    NumberQuestion,
    ParentIs,
    ParentTest,
    PerItem,
    PerParent,
    Question,
    Repeating,
    RulesFile,
    ScaleQuestion,
    ScoredTool,
    ShowWhen,
    SingleChoice,
    SourcesFile,
    StageFile,
    ToolIs,
    ToolTest,
    VocabularyFile,
    YesNo,
)

MAX_LISTED_IDS = 8

# Which kind of question each fact needs, and for choices, which vocabulary it draws on.
FACT_SHAPES: dict[str, tuple[str, str | None]] = {
    "parent-problem-area": ("single_choice", "domains"),
    "parent-readiness-stage": ("single_choice", "readiness_stages"),
    "parent-months-sustained": ("number", None),
    "parent-change-since": ("date", None),
    "parent-last-relapse": ("date", None),
    "parent-engaged": ("yes_no", None),
}
NOUNS = {
    "level": "level",
    "timepoint": "classification timepoint",
    "readiness_stages": "readiness stage",
    "legal_statuses": "legal status",
    "entry_reasons": "care-entry reason",
    "breakdown_causes": "cause of a return's breakdown",
    "source": "source",
    "information_source": "chronology information source",
    "theme": "chronology theme",
    "significance": "significance grade",
    "domain": "domain",
    "factor": "factor",
    "stage": "stage",
    "section": "section",
    "question": "question",
    "rule": "rule",
    "tool": "scored tool",
    "return_type": "way of going home (return type)",
}
WHERE_DEFINED = {
    "level": "levels.yaml",
    "timepoint": "levels.yaml",
    "readiness_stages": "vocabulary.yaml",
    "legal_statuses": "vocabulary.yaml",
    "entry_reasons": "vocabulary.yaml",
    "breakdown_causes": "vocabulary.yaml",
    "source": "sources.yaml",
    "theme": "chronology.yaml",
    "significance": "chronology.yaml",
    "domain": "domains/",
    "factor": "domains/",
    "stage": "stages/",
    "section": "stages/",
    "question": "stages/",
    "rule": "rules.yaml",
    "tool": "rules.yaml (scored_tools) or tools/",
    "return_type": "the return_types of the stages/ section of kind returns",
}


@dataclass(frozen=True)
class Problem:
    """A cross-reference problem at a path in one file (`at_key`: point at the key itself)."""

    file: str
    path: DocPath
    message: str
    at_key: bool = False
    # A problem another one may cause (an unknown reference after a misspelt definition):
    # listed after the others, so that trainers fix root causes first.
    knock_on: bool = False


@dataclass
class Files:
    """The validated files of one version; stages and domains keyed by file name."""

    framework: FrameworkFile
    levels: LevelsFile
    vocabulary: VocabularyFile
    chronology: ChronologyFile
    rules: RulesFile
    cadence: CadenceFile
    sources: SourcesFile
    stages: dict[str, StageFile]
    domains: dict[str, DomainFile]
    # Scored tools in files of their own (tools/<id>.yaml), keyed by file name.
    tools: dict[str, ScoredTool] = field(default_factory=dict)

    def scored_tools(self) -> list[tuple[str, DocPath, ScoredTool]]:
        """Every scored tool with its file and its path in that file: rules.yaml's first, then
        the tool files by name."""
        found: list[tuple[str, DocPath, ScoredTool]] = [
            ("rules.yaml", ("scored_tools", index), tool)
            for index, tool in enumerate(self.rules.scored_tools)
        ]
        found += [(file, (), self.tools[file]) for file in sorted(self.tools)]
        return found


# Describes where an earlier definition was, relative to the file of a new problem.
Where = Callable[[str, DocPath, str], str]


@dataclass
class _Located:
    file: str
    path: DocPath


@dataclass
class _QuestionAt:
    info: QuestionInfo
    file: str
    path: DocPath
    group_types: tuple[type, ...]


@dataclass
class _Checker:
    files: Files
    where: Where
    problems: list[Problem] = field(default_factory=list)
    ids: dict[str, dict[str, _Located]] = field(default_factory=dict)
    questions: dict[str, _QuestionAt] = field(default_factory=dict)
    sections: dict[str, SectionInfo] = field(default_factory=dict)
    section_at: dict[str, _Located] = field(default_factory=dict)
    factors: dict[str, FactorInfo] = field(default_factory=dict)
    windows: set[int] = field(default_factory=set)
    # Factors a rule, caution or tool names in a `factor` condition.
    read_factors: set[str] = field(default_factory=set)

    # --- helpers --------------------------------------------------------------------------

    def problem(
        self,
        file: str,
        path: DocPath,
        message: str,
        *,
        at_key: bool = False,
        knock_on: bool = False,
    ) -> None:
        self.problems.append(Problem(file, path, message, at_key, knock_on))

    def register(self, namespace: str, item_id: str, file: str, path: DocPath) -> None:
        known = self.ids.setdefault(namespace, {})
        first = known.get(item_id)
        if first is None:
            known[item_id] = _Located(file, path)
            return
        noun = NOUNS.get(namespace, namespace)
        self.problem(
            file,
            path,
            f'the id "{item_id}" is already used {self.where(first.file, first.path, file)}; '
            f"give each {noun} its own id",
        )

    def known(self, namespace: str, item_id: str) -> bool:
        return item_id in self.ids.get(namespace, {})

    def ref(self, namespace: str, item_id: str, file: str, path: DocPath) -> bool:
        if self.known(namespace, item_id):
            return True
        candidates = sorted(self.ids.get(namespace, {}))
        noun = NOUNS.get(namespace, namespace)
        close = difflib.get_close_matches(item_id, candidates, n=1, cutoff=0.6)
        if close:
            hint = f' (did you mean "{close[0]}"?)'
        elif 0 < len(candidates) <= MAX_LISTED_IDS:
            hint = f" (known: {', '.join(candidates)})"
        else:
            hint = ""
        place = WHERE_DEFINED.get(namespace)
        fix = f"define it in {place} or correct the id" if place else "correct the id"
        self.problem(
            file, path, f'there is no {noun} with the id "{item_id}"{hint}; {fix}', knock_on=True
        )
        return False

    # --- walking --------------------------------------------------------------------------

    def run(self) -> None:
        self._register_all()
        self._check_framework()
        self._check_levels()
        self._check_domains()
        self._check_chronology()
        self._check_stages()
        self._check_rules()
        self._check_factor_coverage()

    def _register_all(self) -> None:
        files = self.files
        for index, level in enumerate(files.levels.levels):
            self.register("level", level.id, "levels.yaml", ("levels", index, "id"))
        for index, point in enumerate(files.levels.timepoints):
            self.register("timepoint", point.id, "levels.yaml", ("timepoints", index, "id"))
        for name in ("readiness_stages", "legal_statuses", "entry_reasons", "breakdown_causes"):
            for index, term in enumerate(getattr(files.vocabulary, name)):
                self.register(name, term.id, "vocabulary.yaml", (name, index, "id"))
        for index, source in enumerate(files.sources.sources):
            self.register("source", source.id, "sources.yaml", ("sources", index, "id"))
        chronology = files.chronology
        for index, info in enumerate(chronology.information_sources):
            self.register(
                "information_source", info.id, "chronology.yaml", ("information_sources", index)
            )
        for index, theme in enumerate(chronology.themes):
            self.register("theme", theme.id, "chronology.yaml", ("themes", index, "id"))
        for index, grade in enumerate(chronology.significance):
            self.register("significance", grade.id, "chronology.yaml", ("significance", index))
        for file, domain in files.domains.items():
            self.register("domain", domain.id, file, ("id",))
            kinds: tuple[tuple[FactorKind, tuple[Factor, ...]], ...] = (
                ("risk", domain.risk_factors),
                ("protective", domain.protective_factors),
            )
            for factor_kind, factors in kinds:
                key = f"{factor_kind}_factors"
                for index, factor in enumerate(factors):
                    self.register("factor", factor.id, file, (key, index, "id"))
                    self.factors.setdefault(factor.id, FactorInfo(factor, domain, factor_kind))
        for file, stage in files.stages.items():
            self.register("stage", stage.id, file, ("id",))
            for index, section in enumerate(stage.sections):
                path: DocPath = ("sections", index)
                self.register("section", section.id, file, (*path, "id"))
                self.sections.setdefault(section.id, SectionInfo(section, stage.id))
                self.section_at.setdefault(section.id, _Located(file, path))
                for position, option in enumerate(getattr(section, "return_types", ())):
                    where = (*path, "return_types", position, "id")
                    self.register("return_type", option.id, file, where)
                questions = getattr(section, "questions", ())
                self._register_questions(questions, file, path, stage.id, section.id, (), ())
        rules = files.rules
        for kind in ("minimum_levels", "step_downs", "cautions"):
            for index, rule in enumerate(getattr(rules, kind)):
                self.register("rule", rule.id, "rules.yaml", (kind, index, "id"))
        for file, path, tool in files.scored_tools():
            self.register("rule", tool.id, file, (*path, "id"))
            self.register("tool", tool.id, file, (*path, "id"))
            for position, override in enumerate(tool.overrides):
                self.register("rule", override.id, file, (*path, "overrides", position, "id"))

    def _register_questions(
        self,
        questions: Iterable[Question],
        file: str,
        path: DocPath,
        stage_id: str,
        section_id: str,
        groups: tuple[str, ...],
        group_types: tuple[type, ...],
    ) -> None:
        for index, question in enumerate(questions):
            qpath = (*path, "questions", index)
            self.register("question", question.id, file, (*qpath, "id"))
            if question.id not in self.questions:
                info = QuestionInfo(question, stage_id, section_id, groups)
                self.questions[question.id] = _QuestionAt(info, file, qpath, group_types)
            if isinstance(question, GROUP_TYPES):
                self._register_questions(
                    question.questions,
                    file,
                    qpath,
                    stage_id,
                    section_id,
                    (*groups, question.id),
                    (*group_types, type(question)),
                )

    # --- framework.yaml -------------------------------------------------------------------

    def _check_framework(self) -> None:
        framework = self.files.framework
        for listing, folder, files in (
            ("stages", "stages", self.files.stages),
            ("domains", "domains", self.files.domains),
        ):
            ids_in_files = {model.id: file for file, model in files.items()}
            seen: set[str] = set()
            for index, item_id in enumerate(getattr(framework, listing)):
                path = (listing, index)
                if item_id in seen:
                    self.problem(
                        "framework.yaml", path, f'"{item_id}" is listed twice; list it once'
                    )
                seen.add(item_id)
                if item_id not in ids_in_files:
                    self.problem(
                        "framework.yaml",
                        path,
                        f'there is no file {folder}/{item_id}.yaml for "{item_id}"; add the file '
                        "or remove it from this list",
                        knock_on=True,
                    )
            for item_id, file in ids_in_files.items():
                if item_id not in seen:
                    self.problem(
                        file,
                        ("id",),
                        f'"{item_id}" is not listed under {listing} in framework.yaml; add it '
                        "there so its place in the order is known",
                        knock_on=True,
                    )
        named: list[tuple[str, StageFile | DomainFile | ScoredTool]] = [
            *self.files.stages.items(),
            *self.files.domains.items(),
            *self.files.tools.items(),
        ]
        for file, model in named:
            stem = file.rsplit("/", 1)[-1].removesuffix(".yaml")
            if stem != model.id:
                self.problem(
                    file,
                    ("id",),
                    f'the file is named {stem}.yaml but its id is "{model.id}"; make them match',
                )
        if not any(entry.version == framework.version for entry in framework.changelog):
            self.problem(
                "framework.yaml",
                ("changelog",),
                f"the changelog has no entry for version {framework.version}; add one that "
                "says what changed",
            )

    # --- levels.yaml ----------------------------------------------------------------------

    def _check_levels(self) -> None:
        for index, level in enumerate(self.files.levels.levels):
            if level.rank != index + 1:
                self.problem(
                    "levels.yaml",
                    ("levels", index, "rank"),
                    f'levels are out of order: "{level.id}" is listed in position {index + 1} '
                    f"but has rank {level.rank}; list levels from lowest to highest with ranks "
                    "1, 2, 3 and so on",
                )
        used: dict[str, list[str]] = {}
        for section_id, info in self.sections.items():
            if isinstance(info.section, ClassificationSection):
                used.setdefault(info.section.timepoint, []).append(section_id)
        for index, point in enumerate(self.files.levels.timepoints):
            path = ("timepoints", index)
            self.ref("stage", point.stage, "levels.yaml", (*path, "stage"))
            sections = used.get(point.id, [])
            if len(sections) != 1:
                count = "no classification section" if not sections else "more than one section"
                self.problem(
                    "levels.yaml",
                    (*path, "id"),
                    f'the timepoint "{point.id}" is used by {count}; each timepoint needs '
                    "exactly one section with kind: classification",
                )
            elif self.sections[sections[0]].stage_id != point.stage:
                located = self.section_at[sections[0]]
                self.problem(
                    located.file,
                    (*located.path, "timepoint"),
                    f'the timepoint "{point.id}" belongs to the stage "{point.stage}", so its '
                    "classification section must be in that stage",
                )

    # --- domains and chronology -----------------------------------------------------------

    def _check_domains(self) -> None:
        covered = {
            info.section.domain
            for info in self.sections.values()
            if isinstance(info.section, FactorsSection)
        }
        for file, domain in self.files.domains.items():
            for index, source_id in enumerate(domain.sources):
                self.ref("source", source_id, file, ("sources", index))
            for key in ("risk_factors", "protective_factors"):
                for index, factor in enumerate(getattr(domain, key)):
                    for position, source_id in enumerate(factor.sources):
                        self.ref("source", source_id, file, (key, index, "sources", position))
                    if factor.suggest is not None:
                        namespace = {"legal-status": "legal_statuses", "chronology-theme": "theme"}
                        for position, item in enumerate(factor.suggest.one_of):
                            self.ref(
                                namespace[factor.suggest.record],
                                item,
                                file,
                                (key, index, "suggest", "one_of", position),
                            )
            if domain.id not in covered:
                self.problem(
                    file,
                    ("id",),
                    f'no section assesses the domain "{domain.id}"; add a section with kind: '
                    f"factors and domain: {domain.id} to a stage",
                    knock_on=True,
                )

    def _check_chronology(self) -> None:
        for index, theme in enumerate(self.files.chronology.themes):
            for position, domain_id in enumerate(theme.domains):
                self.ref(
                    "domain", domain_id, "chronology.yaml", ("themes", index, "domains", position)
                )
        for index, cause in enumerate(self.files.vocabulary.breakdown_causes):
            for position, theme_id in enumerate(cause.themes):
                self.ref(
                    "theme",
                    theme_id,
                    "vocabulary.yaml",
                    ("breakdown_causes", index, "themes", position),
                )

    # --- stages, sections and questions ---------------------------------------------------

    def _check_stages(self) -> None:
        for file, stage in self.files.stages.items():
            for index, section in enumerate(stage.sections):
                path: DocPath = ("sections", index)
                for position, required in enumerate(section.requires):
                    self.ref("section", required, file, (*path, "requires", position))
                if isinstance(section, FactorsSection):
                    self.ref("domain", section.domain, file, (*path, "domain"))
                elif isinstance(section, ClassificationSection):
                    self.ref("timepoint", section.timepoint, file, (*path, "timepoint"))
                elif isinstance(section, GateSection):
                    self._check_gate(section, file, path)
        self._check_requires_cycles()
        self._check_journey_kinds()
        for question_id, at in self.questions.items():
            self._check_question(question_id, at)
        self._check_show_when_cycles()
        self._check_facts()

    def _check_gate(self, gate: GateSection, file: str, path: DocPath) -> None:
        seen: set[str] = set()
        for index, option in enumerate(gate.options):
            option_path = (*path, "options", index)
            if option.id in seen:
                self.problem(
                    file,
                    (*option_path, "id"),
                    f'the option id "{option.id}" is used twice in this gate; give each '
                    "option its own id",
                )
            seen.add(option.id)
            if option.next_stage is not None:
                self.ref("stage", option.next_stage, file, (*option_path, "next_stage"))
            for position, reopened in enumerate(option.reopens):
                self.ref("section", reopened, file, (*option_path, "reopens", position))

    def _check_journey_kinds(self) -> None:
        """At most one section of each journey kind (the app keeps one list of returns, of
        visits and of outcomes per family), and a review clock that names a decision."""
        for kind in ("returns", "monitoring", "outcomes"):
            found = [sid for sid, info in self.sections.items() if info.section.kind == kind]
            for extra in found[1:]:
                located = self.section_at[extra]
                self.problem(
                    located.file,
                    (*located.path, "kind"),
                    f'only one section may be of kind "{kind}" (another is "{found[0]}"); '
                    "remove or change one of them",
                )
        start = self.files.cadence.first_review_from
        if (
            start is not None
            and self.ref("section", start, "cadence.yaml", ("first_review_from",))
            and not isinstance(self.sections[start].section, GateSection)
        ):
            self.problem(
                "cadence.yaml",
                ("first_review_from",),
                f'"{start}" is not a decision; name the decision whose date starts the '
                "clock for the first review",
            )

    def _check_requires_cycles(self) -> None:
        graph = {
            section_id: [r for r in info.section.requires if r in self.sections]
            for section_id, info in self.sections.items()
        }
        for cycle in _cycles(graph):
            located = self.section_at[cycle[0]]
            self.problem(
                located.file,
                (*located.path, "requires"),
                "the prerequisites go round in a circle ("
                + " → ".join([*cycle, cycle[0]])
                + "), so none of these sections could ever start; remove one of them",
                at_key=True,
            )

    def _check_question(self, question_id: str, at: _QuestionAt) -> None:
        question = at.info.question
        if isinstance(question, SingleChoice | MultipleChoice) and question.options:
            seen: set[str] = set()
            for index, option in enumerate(question.options):
                if option.id in seen:
                    self.problem(
                        at.file,
                        (*at.path, "options", index, "id"),
                        f'the option id "{option.id}" is used twice in this question; give each '
                        "option its own id",
                    )
                seen.add(option.id)
        if isinstance(question, FactorChecklist):
            for index, domain_id in enumerate(question.domains):
                self.ref("domain", domain_id, at.file, (*at.path, "domains", index))
        if isinstance(question, PerItem) and self.ref(
            "question", question.of, at.file, (*at.path, "of")
        ):
            target = self.questions[question.of].info.question
            if not isinstance(target, Repeating):
                self.problem(
                    at.file,
                    (*at.path, "of"),
                    f'"{question.of}" is not a repeating group, so per_item cannot go through '
                    "its items; name a question of type repeating",
                )
        if question.show_when is not None:
            self._check_show_when(question.show_when, at, (*at.path, "show_when"))

    def _check_show_when(self, condition: ShowWhen, at: _QuestionAt, path: DocPath) -> None:
        if isinstance(condition, AllShow | AnyShow):
            key = "all" if isinstance(condition, AllShow) else "any"
            parts = condition.all if isinstance(condition, AllShow) else condition.any
            for index, part in enumerate(parts):
                self._check_show_when(part, at, (*path, key, index))
        elif isinstance(condition, NotShow):
            self._check_show_when(condition.not_, at, (*path, "not"))
        else:
            self._check_answer_test(condition, at.file, path, asking=at)

    def _check_answer_test(
        self, test: AnswerTest, file: str, path: DocPath, *, asking: _QuestionAt | None
    ) -> None:
        if not self.ref("question", test.answer, file, (*path, "answer")):
            return
        target = self.questions[test.answer]
        question = target.info.question
        if asking is not None:
            if target is asking:
                self.problem(
                    file, (*path, "answer"), "a question cannot be shown depending on itself"
                )
                return
            same_section = target.info.section_id == asking.info.section_id
            in_scope = asking.info.groups[: len(target.info.groups)] == target.info.groups
            if not same_section or not in_scope:
                self.problem(
                    file,
                    (*path, "answer"),
                    f"show_when can only look at questions in the same section and group (or "
                    f'an enclosing group); "{test.answer}" is outside them',
                )
                return
        if isinstance(question, (*GROUP_TYPES, FactorChecklist)):
            self.problem(
                file,
                (*path, "answer"),
                f'"{test.answer}" is a {question.type} question, which has no single answer to '
                "test; name one of the questions inside it",
            )
            return
        self._check_answer_values(test, question, file, path)

    def _check_answer_values(
        self, test: AnswerTest, question: Question, file: str, path: DocPath
    ) -> None:
        name = f'"{question.id}"'
        if test.includes is not None:
            if not isinstance(question, MultipleChoice):
                self.problem(
                    file,
                    (*path, "includes"),
                    f"includes only works with multiple_choice questions, and {name} is "
                    f"{question.type}; use equals or one_of",
                )
            else:
                self._check_option(question.id, test.includes, file, (*path, "includes"))
        bounded = test.at_least is not None or test.at_most is not None
        if bounded and not isinstance(question, NumberQuestion | ScaleQuestion):
            key = "at_least" if test.at_least is not None else "at_most"
            self.problem(
                file,
                (*path, key),
                f"at_least and at_most only work with number and scale questions, and {name} "
                f"is {question.type}",
            )
        values: list[tuple[DocPath, AnswerScalar]] = []
        if test.equals is not None:
            values.append((("equals",), test.equals))
        values += [(("one_of", index), value) for index, value in enumerate(test.one_of or ())]
        for suffix, value in values:
            self._check_answer_value(question, value, file, (*path, *suffix))

    def _check_answer_value(
        self, question: Question, value: object, file: str, path: DocPath
    ) -> None:
        name = f'"{question.id}"'
        if isinstance(question, YesNo):
            if not isinstance(value, bool):
                self.problem(
                    file, path, f"{name} is a yes/no question, so compare it with true or false"
                )
        elif isinstance(question, SingleChoice):
            if not isinstance(value, str):
                self.problem(
                    file, path, f"{name} is a choice question; compare it with an option id"
                )
            else:
                self._check_option(question.id, value, file, path)
        elif isinstance(question, MultipleChoice):
            self.problem(
                file,
                path,
                f"{name} is a multiple_choice question; test it with includes: <option id>",
            )
        elif isinstance(question, NumberQuestion | ScaleQuestion):
            if isinstance(value, bool) or not isinstance(value, int | float):
                self.problem(
                    file, path, f"{name} is a {question.type} question; compare it with a number"
                )
        else:
            self.problem(
                file,
                path,
                f"{name} is a {question.type} question; only answered: true or false can be "
                "tested on it",
            )

    def _check_option(self, question_id: str, option_id: str, file: str, path: DocPath) -> None:
        at = self.questions[question_id]
        question = at.info.question
        options = getattr(question, "options", None)
        if options is not None:
            ids = [option.id for option in options]
        else:
            ids = self._vocabulary_ids(getattr(question, "options_from", ""))
        if option_id not in ids:
            close = difflib.get_close_matches(option_id, ids, n=1, cutoff=0.6)
            hint = (
                f' (did you mean "{close[0]}"?)'
                if close
                else f" (options: {', '.join(ids[:MAX_LISTED_IDS])})"
            )
            self.problem(
                file,
                path,
                f'the question "{question_id}" has no option "{option_id}"{hint}; '
                "use one of its option ids",
            )

    def _vocabulary_ids(self, vocabulary: str) -> list[str]:
        namespace = {"domains": "domain", "levels": "level"}.get(vocabulary, vocabulary)
        return list(self.ids.get(namespace, {}))

    def _check_show_when_cycles(self) -> None:
        graph = {
            question_id: [
                t for t in _show_when_targets(at.info.question.show_when) if t in self.questions
            ]
            for question_id, at in self.questions.items()
        }
        for cycle in _cycles(graph):
            at = self.questions[cycle[0]]
            self.problem(
                at.file,
                (*at.path, "show_when"),
                "show_when goes round in a circle ("
                + " → ".join([*cycle, cycle[0]])
                + "), so these questions could never be shown; break the circle",
                at_key=True,
            )

    def _check_facts(self) -> None:
        by_fact: dict[str, list[_QuestionAt]] = {}
        for at in self.questions.values():
            if at.info.question.fact is not None:
                by_fact.setdefault(at.info.question.fact, []).append(at)
        groups: set[tuple[str, ...]] = set()
        for fact, found in by_fact.items():
            for extra in found[1:]:
                self.problem(
                    extra.file,
                    (*extra.path, "fact"),
                    f'the fact "{fact}" is already given by the question '
                    f'"{found[0].info.question.id}"; each fact comes from one question',
                )
            at = found[0]
            question = at.info.question
            shape, vocabulary = FACT_SHAPES[fact]
            if question.type != shape or (
                vocabulary is not None and getattr(question, "options_from", None) != vocabulary
            ):
                needs = f"a {shape} question"
                if vocabulary:
                    needs += f" with options_from: {vocabulary}"
                self.problem(at.file, (*at.path, "fact"), f'the fact "{fact}" needs {needs}')
            if PerParent not in at.group_types:
                self.problem(
                    at.file,
                    (*at.path, "fact"),
                    f'the fact "{fact}" describes a parent, so its question must be inside a '
                    "per_parent group",
                )
            groups.add(at.info.groups)
        if len(groups) > 1:
            at = min((found[0] for found in by_fact.values()), key=lambda q: q.path)
            self.problem(
                at.file,
                (*at.path, "fact"),
                "the parent facts must all be questions of the same group, so that each "
                "problem area's readiness, engagement and months sustained stay together",
            )

    # --- rules.yaml -----------------------------------------------------------------------

    def _check_rules(self) -> None:
        rules = self.files.rules
        file = "rules.yaml"
        if rules.default_level is not None:
            self.ref("level", rules.default_level, file, ("default_level",))
        self._check_sustained_change()
        for index, rule in enumerate(rules.minimum_levels):
            path: DocPath = ("minimum_levels", index)
            self.ref("level", rule.level, file, (*path, "level"))
            self._check_sources(rule.sources, (*path, "sources"))
            self._check_condition(rule.when, (*path, "when"))
            if rule.lapses_when is not None:
                self._check_condition(rule.lapses_when, (*path, "lapses_when"))
        for index, step in enumerate(rules.step_downs):
            path = ("step_downs", index)
            self._check_sources(step.sources, (*path, "sources"))
            self._check_condition(step.when, (*path, "when"))
            if step.levels >= len(self.files.levels.levels):
                self.problem(
                    file,
                    (*path, "levels"),
                    f"a step down of {step.levels} levels would go below the lowest of the "
                    f"{len(self.files.levels.levels)} levels; lower it",
                )
        for index, caution in enumerate(rules.cautions):
            path = ("cautions", index)
            self._check_sources(caution.sources, (*path, "sources"))
            self._check_condition(caution.when, (*path, "when"))
        for file, path, tool in self.files.scored_tools():
            self._check_tool(file, path, tool)

    def _check_sustained_change(self) -> None:
        seen: dict[str | None, int] = {}
        for index, entry in enumerate(self.files.rules.sustained_change):
            path: DocPath = ("sustained_change", index)
            if entry.problem_area is not None:
                self.ref("domain", entry.problem_area, "rules.yaml", (*path, "problem_area"))
            if entry.problem_area in seen:
                which = (
                    f'the problem area "{entry.problem_area}"'
                    if entry.problem_area
                    else "every other problem area (no problem_area)"
                )
                self.problem(
                    "rules.yaml",
                    (*path, "problem_area") if entry.problem_area else path,
                    f"{which} already has an entry (number {seen[entry.problem_area] + 1}); "
                    "keep one",
                )
            seen.setdefault(entry.problem_area, index)
            self._check_sources(entry.sources, (*path, "sources"))

    def _check_lasting(self, test: ParentTest, file: str, path: DocPath) -> None:
        """`change_lasting` and `relapsed_recently` need a time in `sustained_change` for the
        problem area they ask about (or for every area, when they name none)."""
        entries = self.files.rules.sustained_change
        general = next((entry for entry in entries if entry.problem_area is None), None)
        own = next(
            (
                entry
                for entry in entries
                if test.problem_area and entry.problem_area == test.problem_area
            ),
            None,
        )
        area = f'"{test.problem_area}"' if test.problem_area else "every problem area"
        if test.change_lasting is not None and own is None and general is None:
            self.problem(
                file,
                (*path, "parent", "change_lasting"),
                f"change_lasting needs to know how many months change must last in {area}; "
                "add an entry to sustained_change (without problem_area to cover every area)",
            )
        if test.relapsed_recently is not None:
            relapse = own.relapse_months if own else None
            if relapse is None and (general is None or general.relapse_months is None):
                self.problem(
                    file,
                    (*path, "parent", "relapsed_recently"),
                    f"relapsed_recently needs relapse_months for {area} in sustained_change; "
                    "add it",
                )

    def _check_factor_coverage(self) -> None:
        coverage = self.files.rules.factor_coverage
        kinds = {"none": (), "risk": ("risk",), "all": ("risk", "protective")}[coverage]
        for file, domain in self.files.domains.items():
            for kind in ("risk", "protective"):
                key = f"{kind}_factors"
                for index, factor in enumerate(getattr(domain, key)):
                    read = factor.id in self.read_factors
                    if read and factor.not_read_because is not None:
                        self.problem(
                            file,
                            (key, index, "not_read_because"),
                            "a rule or caution reads this factor; remove not_read_because",
                        )
                    elif kind in kinds and not read and factor.not_read_because is None:
                        self.problem(
                            file,
                            (key, index, "id"),
                            f'no rule, caution or tool reads the {kind} factor "{factor.id}" '
                            "(rules.yaml asks for factor_coverage: "
                            f"{coverage}); name it in a factor condition in rules.yaml, or say "
                            "why not in not_read_because",
                        )

    def _check_tool(self, file: str, path: DocPath, tool: ScoredTool) -> None:
        self._check_sources(tool.sources, (*path, "sources"), file)
        for index, timepoint in enumerate(tool.applies_at):
            self.ref("timepoint", timepoint, file, (*path, "applies_at", index))
        seen: set[str] = set()
        for position, item in enumerate(tool.items):
            item_path = (*path, "items", position)
            if item.id in seen:
                self.problem(
                    file,
                    (*item_path, "id"),
                    f'the item id "{item.id}" is used twice in this tool; give each item its '
                    "own id",
                )
            seen.add(item.id)
            if item.when is not None:
                self._check_condition(item.when, (*item_path, "when"), file, in_tool=True)
            for number, option in enumerate(item.scores or ()):
                where = (*item_path, "scores", number, "when")
                self._check_condition(option.when, where, file, in_tool=True)
            if item.answer is not None and item.option_points is not None:
                self._check_option_points(item.answer, item.option_points, file, item_path)
        previous_rank = 0
        for position, band in enumerate(tool.bands):
            band_path = (*path, "bands", position)
            if self.ref("level", band.level, file, (*band_path, "level")):
                rank = self._rank(band.level)
                if rank < previous_rank:
                    self.problem(
                        file,
                        (*band_path, "level"),
                        "bands are out of order: list them from the lowest score to the highest, "
                        "with levels that never go down",
                    )
                previous_rank = max(previous_rank, rank)
            self._check_band_edges(tool.bands, position, file, band_path)
        self._check_band_range(tool, file, path)
        lowest = self._rank(tool.bands[0].level)
        for position, override in enumerate(tool.overrides):
            override_path = (*path, "overrides", position)
            if self.ref("level", override.level, file, (*override_path, "level")) and (
                self._rank(override.level) <= lowest
            ):
                self.problem(
                    file,
                    (*override_path, "level"),
                    f'a mandatory override can only raise the level, and "{override.level}" is '
                    "no higher than the tool's lowest band; set a higher level or remove the "
                    "override",
                )
            self._check_sources(override.sources, (*override_path, "sources"), file)
            self._check_condition(override.when, (*override_path, "when"), file, in_tool=True)

    def _check_option_points(
        self, question_id: str, points: dict[str, int], file: str, path: DocPath
    ) -> None:
        """Points on a choice question's options: every option has points (so the item scores
        once it is answered) and no points sit on an option the question does not offer."""
        if not self.ref("question", question_id, file, (*path, "answer")):
            return
        question = self.questions[question_id].info.question
        if not isinstance(question, SingleChoice):
            self.problem(
                file,
                (*path, "answer"),
                "option_points needs a question answered by choosing one option, and "
                f'"{question_id}" is a {question.type} question; name a single_choice question',
            )
            return
        if question.options is not None:
            offered = [option.id for option in question.options]
        else:
            offered = self._vocabulary_ids(question.options_from or "")
        for option_id in points:
            if option_id not in offered:
                self.problem(
                    file,
                    (*path, "option_points", option_id),
                    f'the question "{question_id}" has no option "{option_id}" (its options: '
                    f"{', '.join(offered[:MAX_LISTED_IDS])}); correct the option id",
                    at_key=True,
                )
        missing = [option_id for option_id in offered if option_id not in points]
        if missing:
            self.problem(
                file,
                (*path, "option_points"),
                "give points to every option of the question, so the item scores once it is "
                f"answered; add {', '.join(missing[:MAX_LISTED_IDS])}",
            )

    def _check_band_edges(
        self, bands: tuple[Band, ...], position: int, file: str, path: DocPath
    ) -> None:
        band = bands[position]
        if position < len(bands) - 1 and band.max is None:
            self.problem(file, path, "only the last band may leave out max; give this band a max")
        if position > 0:
            before = bands[position - 1]
            if before.max is not None and band.min != before.max + 1:
                self.problem(
                    file,
                    (*path, "min"),
                    f"bands must follow on without gaps or overlaps: this band should start at "
                    f"{before.max + 1}, straight after the previous band's max",
                )

    def _check_band_range(self, tool: ScoredTool, file: str, path: DocPath) -> None:
        """The bands cover every score the items can add up to."""
        lowest = sum(min(item.possible_points()) for item in tool.items)
        highest = sum(max(item.possible_points()) for item in tool.items)
        first, last = tool.bands[0], tool.bands[-1]
        if first.min is not None and first.min > lowest:
            self.problem(
                file,
                (*path, "bands", 0, "min"),
                f"the items can add up to {lowest}, below this first band's min of {first.min}; "
                f"lower min to {lowest} or leave it out",
            )
        if last.max is not None and last.max < highest:
            self.problem(
                file,
                (*path, "bands", len(tool.bands) - 1, "max"),
                f"the items can add up to {highest}, above this last band's max of {last.max}; "
                f"raise max to {highest} or leave it out",
            )

    def _rank(self, level_id: str) -> int:
        for level in self.files.levels.levels:
            if level.id == level_id:
                return level.rank
        return 0

    def _check_sources(
        self, sources: tuple[str, ...], path: DocPath, file: str = "rules.yaml"
    ) -> None:
        for index, source_id in enumerate(sources):
            self.ref("source", source_id, file, (*path, index))

    def _check_condition(
        self,
        condition: Condition,
        path: DocPath,
        file: str = "rules.yaml",
        *,
        in_tool: bool = False,
    ) -> None:
        if isinstance(condition, AllOf | AnyOf):
            key = "all" if isinstance(condition, AllOf) else "any"
            parts = condition.all if isinstance(condition, AllOf) else condition.any
            for index, part in enumerate(parts):
                self._check_condition(part, (*path, key, index), file, in_tool=in_tool)
        elif isinstance(condition, NotOf):
            self._check_condition(condition.not_, (*path, "not"), file, in_tool=in_tool)
        elif isinstance(condition, FactorIs):
            if self.ref("factor", condition.factor, file, (*path, "factor")):
                self.read_factors.add(condition.factor)
        elif isinstance(condition, FactorCount):
            if condition.factor_count.domain is not None:
                self.ref(
                    "domain", condition.factor_count.domain, file, (*path, "factor_count", "domain")
                )
        elif isinstance(condition, AnswerIs):
            self._check_answer_test(condition, file, path, asking=None)
        elif isinstance(condition, ChildIs):
            if condition.child.causes_recurring is not None and not any(
                cause.themes for cause in self.files.vocabulary.breakdown_causes
            ):
                self.problem(
                    file,
                    (*path, "child", "causes_recurring"),
                    "causes_recurring needs breakdown_causes in vocabulary.yaml with the "
                    "chronology themes that show each cause; add themes to them",
                )
            for key, namespace in (
                ("legal_status", "legal_statuses"),
                ("entry_reason", "entry_reasons"),
                ("legal_status_on_return", "legal_statuses"),
                ("return_type", "return_type"),
            ):
                for index, term in enumerate(getattr(condition.child, key) or ()):
                    self.ref(namespace, term, file, (*path, "child", key, index))
        elif isinstance(condition, ChronologyCount):
            chronology = condition.chronology
            if chronology.theme is not None:
                self.ref("theme", chronology.theme, file, (*path, "chronology", "theme"))
            if chronology.significance is not None:
                self.ref(
                    "significance",
                    chronology.significance,
                    file,
                    (*path, "chronology", "significance"),
                )
            if chronology.within_months is not None:
                self.windows.add(chronology.within_months)
        elif isinstance(condition, ParentIs):
            parent = condition.parent
            if parent.problem_area is not None:
                self.ref("domain", parent.problem_area, file, (*path, "parent", "problem_area"))
            self._check_lasting(parent, file, path)
            if parent.readiness is not None:
                readiness_path = (*path, "parent", "readiness")
                for key in ("at_or_before", "at_or_after"):
                    stage_id = getattr(parent.readiness, key)
                    if stage_id is not None:
                        self.ref("readiness_stages", stage_id, file, (*readiness_path, key))
                for index, stage_id in enumerate(parent.readiness.one_of or ()):
                    self.ref("readiness_stages", stage_id, file, (*readiness_path, "one_of", index))
        elif isinstance(condition, EarlierLevel):
            self.ref(
                "level",
                condition.earlier_level.at_least,
                file,
                (*path, "earlier_level", "at_least"),
            )
        elif isinstance(condition, ToolIs):
            self._check_tool_test(condition.tool, file, (*path, "tool"), in_tool=in_tool)

    def _check_tool_test(self, test: ToolTest, file: str, path: DocPath, *, in_tool: bool) -> None:
        if in_tool:
            # Tools are scored before the rules that read them, so one cannot read another.
            self.problem(
                file,
                (*path, "id"),
                "a scored tool cannot read another tool's result; move this condition to a "
                "rule or caution in rules.yaml",
            )
            return
        if not self.ref("tool", test.id, file, (*path, "id")):
            return
        tool = next(tool for _, _, tool in self.files.scored_tools() if tool.id == test.id)
        bands = {band.level for band in tool.bands}
        for index, level_id in enumerate(test.band or ()):
            if level_id not in bands:
                self.problem(
                    file,
                    (*path, "band", index),
                    f'the tool "{test.id}" has no band with the level "{level_id}" (its bands: '
                    f"{', '.join(band.level for band in tool.bands)}); correct the level",
                )


def _show_when_targets(condition: ShowWhen | None) -> Iterator[str]:
    if condition is None:
        return
    if isinstance(condition, AllShow):
        for part in condition.all:
            yield from _show_when_targets(part)
    elif isinstance(condition, AnyShow):
        for part in condition.any:
            yield from _show_when_targets(part)
    elif isinstance(condition, NotShow):
        yield from _show_when_targets(condition.not_)
    else:
        yield condition.answer


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """Each distinct cycle in a directed graph once, starting from its first node in order."""
    found: list[list[str]] = []
    seen_sets: set[frozenset[str]] = set()
    done: set[str] = set()
    for start in graph:
        if start in done:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(graph[start]))]
        on_path = [start]
        while stack:
            node, targets = stack[-1]
            target = next(targets, None)
            if target is None:
                stack.pop()
                on_path.pop()
                done.add(node)
            elif target in on_path:
                cycle = on_path[on_path.index(target) :]
                if frozenset(cycle) not in seen_sets:
                    seen_sets.add(frozenset(cycle))
                    found.append(cycle)
            elif target not in done:
                stack.append((target, iter(graph[target])))
                on_path.append(target)
    return found


def check_version(
    files: Files, where: Where, content_hash: str
) -> tuple[FrameworkContent | None, list[Problem]]:
    """Check every cross reference; build the version's look-ups when nothing is wrong."""
    checker = _Checker(files, where)
    checker.run()
    if checker.problems:
        return None, checker.problems
    framework = files.framework
    stages = {stage.id: stage for stage in files.stages.values()}
    domains = {domain.id: domain for domain in files.domains.values()}
    content = FrameworkContent(
        framework=framework,
        content_hash=content_hash,
        stages=tuple(stages[stage_id] for stage_id in framework.stages),
        domains=tuple(domains[domain_id] for domain_id in framework.domains),
        levels=files.levels.levels,
        timepoints=files.levels.timepoints,
        vocabulary=files.vocabulary,
        chronology=files.chronology,
        # The engine reads every tool from one list, wherever the trainer wrote it.
        rules=files.rules.model_copy(
            update={"scored_tools": tuple(tool for _, _, tool in files.scored_tools())}
        ),
        cadence=files.cadence,
        sources=files.sources.sources,
        factors=MappingProxyType(dict(checker.factors)),
        questions=MappingProxyType({qid: at.info for qid, at in checker.questions.items()}),
        sections=MappingProxyType(dict(checker.sections)),
        chronology_windows=frozenset(checker.windows),
    )
    return content, []
