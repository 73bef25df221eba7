"""What changed between two content versions, item by item, and how big the change is.

Pure: two loaded versions in, a list of changes out. Each change says which version number it
needs: **major** when records made under the old version could lose their meaning (an id they
refer to is removed, a question's kind of answer changes, a factor changes side), **minor**
when something is added or what the tool does changes (a rule's condition, a prerequisite, a
question becoming required), **patch** for wording and guidance.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Literal

from pydantic import BaseModel

from app.content.model import FrameworkContent
from app.content.schema import GateSection, Question, Section

ChangeKind = Literal["added", "changed", "removed"]


class Bump(IntEnum):
    """How big a change is, as the part of the version number it must increase."""

    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Change:
    """One item added, changed or removed, in words a trainer reads."""

    area: str  # "question", "factor", "rule", "scored tool", "section", "level", ...
    item_id: str
    change: ChangeKind
    before: str | None
    after: str | None
    where: str
    details: tuple[str, ...]
    bump: Bump


AREAS = (
    "question",
    "factor",
    "rule",
    "scored tool",
    "section",
    "prerequisite",
    "stage",
    "domain",
    "level",
    "timepoint",
    "vocabulary",
    "chronology",
    "cadence",
    "source",
    "guidance",
)


def _dump(model: BaseModel | None) -> Any:
    return None if model is None else model.model_dump(mode="json", by_alias=True)


def _text(value: object) -> str:
    return "" if value is None else str(value)


class _Differ:
    def __init__(self, old: FrameworkContent, new: FrameworkContent) -> None:
        self.old = old
        self.new = new
        self.changes: list[Change] = []

    def add(
        self,
        area: str,
        item_id: str,
        change: ChangeKind,
        *,
        before: str | None = None,
        after: str | None = None,
        where: str = "",
        details: Iterable[tuple[str, Bump]] = (),
        bump: Bump | None = None,
    ) -> None:
        notes = tuple(details)
        if bump is None:
            bump = (
                Bump.MAJOR
                if change == "removed"
                else Bump.MINOR
                if change == "added"
                else max((level for _, level in notes), default=Bump.PATCH)
            )
        self.changes.append(
            Change(area, item_id, change, before, after, where, tuple(n for n, _ in notes), bump)
        )

    def items(
        self,
        area: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
        *,
        label: Callable[[Any], str],
        where: Callable[[FrameworkContent, Any], str] = lambda content, item: "",
        details: Callable[[Any, Any], list[tuple[str, Bump]]],
        removed: Bump = Bump.MAJOR,
        added: Bump = Bump.MINOR,
    ) -> None:
        """Compare two id → item mappings: added, removed and changed items, in id order."""
        for item_id in sorted(old.keys() | new.keys()):
            before, after = old.get(item_id), new.get(item_id)
            if after is None:
                self.add(
                    area,
                    item_id,
                    "removed",
                    before=label(before),
                    where=where(self.old, before),
                    bump=removed,
                )
            elif before is None:
                self.add(
                    area,
                    item_id,
                    "added",
                    after=label(after),
                    where=where(self.new, after),
                    bump=added,
                )
            else:
                notes = details(before, after)
                if notes:
                    self.add(
                        area,
                        item_id,
                        "changed",
                        before=label(before),
                        after=label(after),
                        where=where(self.new, after),
                        details=notes,
                    )

    # --- questions ----------------------------------------------------------------------------

    def questions(self) -> None:
        def where(content: FrameworkContent, question: Question) -> str:
            info = content.questions[question.id]
            return content.sections[info.section_id].section.title

        def options(content: FrameworkContent, question: Question) -> dict[str, str]:
            return {option.id: option.label for option in content.options(question.id)}

        def details(before: Question, after: Question) -> list[tuple[str, Bump]]:
            notes: list[tuple[str, Bump]] = []
            if before.type != after.type:
                notes.append(
                    (f"The kind of answer changed from {before.type} to {after.type}", Bump.MAJOR)
                )
            if before.label != after.label:
                notes.append(("The wording changed", Bump.PATCH))
            if before.hint != after.hint:
                notes.append(("The hint changed", Bump.PATCH))
            if before.guidance != after.guidance:
                notes.append(("The guidance changed", Bump.PATCH))
            if before.required != after.required:
                notes.append(
                    ("It is now required" if after.required else "It is now optional", Bump.MINOR)
                )
            old, new = options(self.old, before), options(self.new, after)
            for option_id in sorted(old.keys() - new.keys()):
                notes.append((f"Option removed: {old[option_id]}", Bump.MAJOR))
            for option_id in sorted(new.keys() - old.keys()):
                notes.append((f"Option added: {new[option_id]}", Bump.MINOR))
            for option_id in sorted(old.keys() & new.keys()):
                if old[option_id] != new[option_id]:
                    notes.append(
                        (f"Option re-worded: {old[option_id]} → {new[option_id]}", Bump.PATCH)
                    )
            if _dump(before.show_when) != _dump(after.show_when):
                notes.append(("When it is asked changed", Bump.MINOR))
            if before.fact != after.fact:
                notes.append(("What the rules read from it changed", Bump.MINOR))
            rest = ("type", "label", "hint", "guidance", "required", "options", "show_when")
            if _without(before, (*rest, "fact", "questions")) != _without(
                after, (*rest, "fact", "questions")
            ):
                notes.append(("Its settings changed (limits, units or scale)", Bump.MINOR))
            old_info, new_info = self.old.questions[before.id], self.new.questions[after.id]
            if (old_info.section_id, old_info.groups) != (new_info.section_id, new_info.groups):
                notes.append(("It moved to another section or group", Bump.MAJOR))
            return notes

        self.items(
            "question",
            {qid: info.question for qid, info in self.old.questions.items()},
            {qid: info.question for qid, info in self.new.questions.items()},
            label=lambda question: question.label,
            where=where,
            details=details,
        )

    # --- factors and domains ------------------------------------------------------------------

    def factors(self) -> None:
        def details(before: Any, after: Any) -> list[tuple[str, Bump]]:
            notes: list[tuple[str, Bump]] = []
            if before.kind != after.kind:
                notes.append(
                    (f"It changed from a {before.kind} to a {after.kind} factor", Bump.MAJOR)
                )
            if before.domain.id != after.domain.id:
                notes.append(
                    (f"It moved from {before.domain.title} to {after.domain.title}", Bump.MAJOR)
                )
            if before.factor.text != after.factor.text:
                notes.append(("The wording changed", Bump.PATCH))
            if before.factor.guidance != after.factor.guidance:
                notes.append(("The guidance changed", Bump.PATCH))
            if before.factor.sources != after.factor.sources:
                notes.append(("Its sources changed", Bump.PATCH))
            return notes

        self.items(
            "factor",
            dict(self.old.factors),
            dict(self.new.factors),
            label=lambda info: info.factor.text,
            where=lambda content, info: f"{info.domain.title} ({info.kind})",
            details=details,
        )

    def domains(self) -> None:
        self.items(
            "domain",
            {domain.id: domain for domain in self.old.domains},
            {domain.id: domain for domain in self.new.domains},
            label=lambda domain: domain.title,
            details=lambda a, b: _wording(a, b, ("title", "summary", "guidance", "sources")),
        )
        self._order("domain", [d.id for d in self.old.domains], [d.id for d in self.new.domains])

    # --- stages, sections and prerequisites -----------------------------------------------------

    def stages(self) -> None:
        self.items(
            "stage",
            {stage.id: stage for stage in self.old.stages},
            {stage.id: stage for stage in self.new.stages},
            label=lambda stage: stage.title,
            details=lambda a, b: _wording(a, b, ("title", "summary", "guidance")),
        )
        self._order("stage", [s.id for s in self.old.stages], [s.id for s in self.new.stages])

    def sections(self) -> None:
        def where(content: FrameworkContent, section: Section) -> str:
            return content.stage(content.sections[section.id].stage_id).title

        def details(before: Section, after: Section) -> list[tuple[str, Bump]]:
            notes: list[tuple[str, Bump]] = []
            if before.kind != after.kind:
                notes.append(
                    (f"It changed from a {before.kind} to a {after.kind} section", Bump.MAJOR)
                )
                return notes
            notes += _wording(before, after, ("title", "summary", "guidance"))
            if self.old.sections[before.id].stage_id != self.new.sections[after.id].stage_id:
                notes.append(("It moved to another stage", Bump.MINOR))
            if before.recurrence != after.recurrence:
                notes.append((f"It now recurs {after.recurrence.replace('_', ' ')}", Bump.MINOR))
            for attribute in ("domain", "timepoint"):
                if getattr(before, attribute, None) != getattr(after, attribute, None):
                    notes.append((f"Its {attribute} changed", Bump.MINOR))
            if isinstance(before, GateSection) and isinstance(after, GateSection):
                notes += _gate_details(before, after)
            return notes

        self.items(
            "section",
            {sid: info.section for sid, info in self.old.sections.items()},
            {sid: info.section for sid, info in self.new.sections.items()},
            label=lambda section: section.title,
            where=where,
            details=details,
        )
        for section_id in sorted(self.old.sections.keys() & self.new.sections.keys()):
            before = set(self.old.sections[section_id].section.requires)
            after = set(self.new.sections[section_id].section.requires)
            if before == after:
                continue
            title = self.new.sections[section_id].section.title
            notes = [
                (f"Now needs {self._section_title(r)} first", Bump.MINOR) for r in after - before
            ]
            notes += [
                (f"No longer needs {self._section_title(r)} first", Bump.MINOR)
                for r in before - after
            ]
            self.add(
                "prerequisite",
                section_id,
                "changed",
                before=", ".join(sorted(self._section_title(r) for r in before)) or "None",
                after=", ".join(sorted(self._section_title(r) for r in after)) or "None",
                where=title,
                details=sorted(notes),
            )

    def _section_title(self, section_id: str) -> str:
        for content in (self.new, self.old):
            info = content.sections.get(section_id)
            if info is not None:
                return info.section.title
        return section_id

    def _order(self, area: str, old: list[str], new: list[str]) -> None:
        common = set(old) & set(new)
        if [item for item in old if item in common] != [item for item in new if item in common]:
            self.add(
                area,
                "order",
                "changed",
                before=", ".join(old),
                after=", ".join(new),
                details=[(f"The order of the {area}s changed", Bump.MINOR)],
            )

    # --- levels, timepoints, vocabulary, chronology ---------------------------------------------

    def levels(self) -> None:
        self.items(
            "level",
            {level.id: level for level in self.old.levels},
            {level.id: level for level in self.new.levels},
            label=lambda level: level.label,
            details=lambda a, b: (
                ([("Its rank changed", Bump.MAJOR)] if a.rank != b.rank else [])
                + _wording(a, b, ("label", "meaning", "colour"))
            ),
        )
        self.items(
            "timepoint",
            {point.id: point for point in self.old.timepoints},
            {point.id: point for point in self.new.timepoints},
            label=lambda point: point.label,
            details=lambda a, b: (
                ([("It belongs to another stage", Bump.MINOR)] if a.stage != b.stage else [])
                + _wording(a, b, ("label", "hint"))
            ),
        )
        if self.old.rules.default_level != self.new.rules.default_level:
            self.add(
                "level",
                "default",
                "changed",
                before=self.old.default_level.label,
                after=self.new.default_level.label,
                details=[("The level suggested when no rule applies changed", Bump.MINOR)],
            )

    def vocabulary(self) -> None:
        names = {
            "readiness_stages": "Readiness to change",
            "legal_statuses": "Legal status",
            "entry_reasons": "Why children enter care",
            "breakdown_causes": "Why a return home broke down",
        }
        for name, title in names.items():
            self.items(
                "vocabulary",
                {term.id: term for term in getattr(self.old.vocabulary, name)},
                {term.id: term for term in getattr(self.new.vocabulary, name)},
                label=lambda term: term.label,
                where=lambda content, term, title=title: title,  # type: ignore[misc]
                details=lambda a, b: _wording(a, b, ("label", "hint", "themes")),
            )
        old_order = [t.id for t in self.old.vocabulary.readiness_stages]
        new_order = [t.id for t in self.new.vocabulary.readiness_stages]
        self._order("readiness stage", old_order, new_order)

    def chronology(self) -> None:
        for name, title in (
            ("themes", "Chronology theme"),
            ("significance", "Significance grade"),
            ("information_sources", "Information source"),
        ):
            self.items(
                "chronology",
                {item.id: item for item in getattr(self.old.chronology, name)},
                {item.id: item for item in getattr(self.new.chronology, name)},
                label=lambda item: item.label,
                where=lambda content, item, title=title: title,  # type: ignore[misc]
                details=lambda a, b: _chronology_details(a, b),
            )

    # --- rules and tools --------------------------------------------------------------------------

    def rules(self) -> None:
        for name, kind in (("minimum_levels", "Minimum level"), ("cautions", "Caution")):
            self.items(
                "rule",
                {rule.id: rule for rule in getattr(self.old.rules, name)},
                {rule.id: rule for rule in getattr(self.new.rules, name)},
                label=lambda rule: rule.title,
                where=lambda content, rule, kind=kind: kind,  # type: ignore[misc]
                details=lambda a, b: _rule_details(a, b),
                removed=Bump.MINOR,
            )

    def tools(self) -> None:
        def details(before: Any, after: Any) -> list[tuple[str, Bump]]:
            notes = _wording(before, after, ("title", "summary", "sources"))
            for part, words in (
                ("items", "Its scored items changed"),
                ("bands", "Its score bands changed"),
                ("overrides", "Its overrides changed"),
            ):
                if _dump_all(getattr(before, part)) != _dump_all(getattr(after, part)):
                    notes.append((words, Bump.MINOR))
            if before.applies_at != after.applies_at:
                notes.append(("The classifications it is completed at changed", Bump.MINOR))
            if before.discretionary_levels != after.discretionary_levels:
                notes.append(("How far a practitioner may move its level changed", Bump.MINOR))
            return notes

        self.items(
            "scored tool",
            {tool.id: tool for tool in self.old.rules.scored_tools},
            {tool.id: tool for tool in self.new.rules.scored_tools},
            label=lambda tool: tool.title,
            details=details,
            removed=Bump.MINOR,
        )

    # --- cadence, sources and the framework's own guidance ----------------------------------------

    def cadence(self) -> None:
        before, after = _dump(self.old.cadence), _dump(self.new.cadence)
        notes: list[tuple[str, Bump]] = []
        for key in sorted(set(before) | set(after)):
            if key == "guidance" or before.get(key) == after.get(key):
                continue
            notes.append((f"{key.replace('_', ' ').capitalize()} changed", Bump.MINOR))
        if before.get("guidance") != after.get("guidance"):
            notes.append(("The review guidance changed", Bump.PATCH))
        if notes:
            self.add("cadence", "cadence", "changed", where="Reviews and monitoring", details=notes)

    def sources(self) -> None:
        self.items(
            "source",
            {source.id: source for source in self.old.sources},
            {source.id: source for source in self.new.sources},
            label=lambda source: source.short,
            details=lambda a, b: _wording(a, b, ("short", "citation", "url", "note")),
            removed=Bump.MINOR,
            added=Bump.PATCH,
        )

    def guidance(self) -> None:
        old, new = self.old.framework, self.new.framework
        notes = _wording(old, new, ("title", "summary", "licence"))
        if self.old.chronology.guidance != self.new.chronology.guidance:
            notes.append(("The chronology guidance changed", Bump.PATCH))
        if notes:
            self.add(
                "guidance",
                old.id,
                "changed",
                before=old.title,
                after=new.title,
                where="The framework",
                details=notes,
            )


def _without(model: BaseModel, names: tuple[str, ...]) -> dict[str, Any]:
    data = _dump(model)
    return {key: value for key, value in data.items() if key not in names}


def _dump_all(items: Iterable[BaseModel]) -> list[Any]:
    return [_dump(item) for item in items]


def _wording(before: Any, after: Any, names: tuple[str, ...]) -> list[tuple[str, Bump]]:
    notes: list[tuple[str, Bump]] = []
    for name in names:
        if getattr(before, name, None) != getattr(after, name, None):
            notes.append((f"The {name.replace('_', ' ')} changed", Bump.PATCH))
    return notes


def _gate_details(before: GateSection, after: GateSection) -> list[tuple[str, Bump]]:
    notes = _wording(before, after, ("question",))
    if before.recorded_by != after.recorded_by:
        notes.append((f"It is now recorded by the {after.recorded_by}", Bump.MINOR))
    if before.rationale_required != after.rationale_required:
        notes.append(("Whether a reason is required changed", Bump.MINOR))
    old = {option.id: option for option in before.options}
    new = {option.id: option for option in after.options}
    for option_id in sorted(old.keys() - new.keys()):
        notes.append((f"Decision option removed: {old[option_id].label}", Bump.MAJOR))
    for option_id in sorted(new.keys() - old.keys()):
        notes.append((f"Decision option added: {new[option_id].label}", Bump.MINOR))
    for option_id in sorted(old.keys() & new.keys()):
        a, b = old[option_id], new[option_id]
        if (a.label, a.hint) != (b.label, b.hint):
            notes.append((f"Decision option re-worded: {a.label} → {b.label}", Bump.PATCH))
        if _without(a, ("label", "hint")) != _without(b, ("label", "hint")):
            notes.append((f"What the option {b.label} leads to changed", Bump.MINOR))
    return notes


def _chronology_details(before: Any, after: Any) -> list[tuple[str, Bump]]:
    notes = _wording(before, after, ("label", "hint", "meaning", "colour"))
    for name in ("polarity", "domains"):
        if getattr(before, name, None) != getattr(after, name, None):
            notes.append((f"Its {name} changed", Bump.MINOR))
    return notes


def _rule_details(before: Any, after: Any) -> list[tuple[str, Bump]]:
    notes: list[tuple[str, Bump]] = []
    if _dump(before.when) != _dump(after.when):
        notes.append(("When it applies changed", Bump.MINOR))
    if getattr(before, "level", None) != getattr(after, "level", None):
        notes.append((f"The level it sets changed to {after.level}", Bump.MINOR))
    notes += _wording(before, after, ("title", "text", "advice", "explanation", "sources"))
    return notes


def compare(old: FrameworkContent, new: FrameworkContent) -> list[Change]:
    """Every difference between two versions, grouped by area in the order of `AREAS`."""
    differ = _Differ(old, new)
    differ.questions()
    differ.factors()
    differ.rules()
    differ.tools()
    differ.sections()
    differ.stages()
    differ.domains()
    differ.levels()
    differ.vocabulary()
    differ.chronology()
    differ.cadence()
    differ.sources()
    differ.guidance()
    order = {area: index for index, area in enumerate(AREAS)}
    return sorted(differ.changes, key=lambda change: order.get(change.area, len(order)))


def required_bump(changes: Iterable[Change]) -> Bump | None:
    """The part of the version number the changes need increased (None: nothing changed)."""
    return max((change.bump for change in changes), default=None)


@dataclass(frozen=True)
class DiffLine:
    kind: Literal["context", "added", "removed", "gap"]
    old_number: int | None
    new_number: int | None
    text: str


@dataclass(frozen=True)
class FileDiff:
    name: str
    change: ChangeKind
    lines: tuple[DiffLine, ...]
    added: int
    removed: int


def diff_files(
    old: Mapping[str, str], new: Mapping[str, str], *, context: int = 3
) -> list[FileDiff]:
    """A line diff of every file that differs, with a few lines of context around changes."""
    diffs: list[FileDiff] = []
    for name in sorted(old.keys() | new.keys()):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        a = (before or "").splitlines()
        b = (after or "").splitlines()
        lines: list[DiffLine] = []
        matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
        for group in matcher.get_grouped_opcodes(context):
            if lines:
                lines.append(DiffLine("gap", None, None, ""))
            for tag, i1, i2, j1, j2 in group:
                if tag == "equal":
                    lines += [
                        DiffLine("context", i + 1, j + 1, a[i])
                        for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                    ]
                    continue
                lines += [DiffLine("removed", i + 1, None, a[i]) for i in range(i1, i2)]
                lines += [DiffLine("added", None, j + 1, b[j]) for j in range(j1, j2)]
        change: ChangeKind = (
            "added" if before is None else "removed" if after is None else "changed"
        )
        diffs.append(
            FileDiff(
                name,
                change,
                tuple(lines),
                added=sum(line.kind == "added" for line in lines),
                removed=sum(line.kind == "removed" for line in lines),
            )
        )
    return diffs
