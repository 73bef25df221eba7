"""The shape of a framework's journey, read from its content: which sections are answered at
each review and in which reviews, where the return home is recorded, and what each decision's
options do. Pure and cached per content version (which never changes)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from app.content.model import FrameworkContent
from app.content.schema import GateOption, GateSection, Section


class Phase(StrEnum):
    BEFORE_RETURN = "before_return"
    AFTER_RETURN = "after_return"
    ANY = "any"


class Effect(StrEnum):
    """What choosing an option does (the stored values of app.models.progress.DecisionEffect)."""

    NEXT_STAGE = "next_stage"
    PROCEEDS = "proceeds"
    REOPENS = "reopens"
    NEXT_REVIEW = "next_review"
    ENDS_PLAN = "ends_plan"
    CLOSES_CASE = "closes_case"


# Decisions after which the sections that wait for them may start.
PASSING = frozenset({Effect.NEXT_STAGE, Effect.PROCEEDS, Effect.CLOSES_CASE})


@dataclass(frozen=True)
class OptionEffect:
    effect: Effect
    next_stage: str | None = None
    reopens: tuple[str, ...] = ()

    @property
    def passes(self) -> bool:
        return self.effect in PASSING


@dataclass(frozen=True)
class JourneyShape:
    """What the app needs to know about a version's journey, worked out once."""

    content: FrameworkContent
    order: tuple[str, ...]  # every section id, in stage and section order
    recurring: frozenset[str]
    phases: dict[str, Phase]  # recurring section -> the reviews it belongs to
    returns_section: str | None
    monitoring_section: str | None
    outcomes_section: str | None
    prerequisites: dict[str, frozenset[str]]  # section -> every section it waits for, transitively

    def section(self, section_id: str) -> Section:
        return self.content.sections[section_id].section

    def is_recurring(self, section_id: str) -> bool:
        return section_id in self.recurring

    def in_phase(self, section_id: str, phase: str) -> bool:
        """Whether a recurring section is answered in a review of that phase."""
        own = self.phases.get(section_id, Phase.ANY)
        return own is Phase.ANY or own.value == phase

    def review_sections(self, phase: str) -> tuple[str, ...]:
        """The sections answered in a review of that phase, in content order."""
        return tuple(
            section_id
            for section_id in self.order
            if section_id in self.recurring and self.in_phase(section_id, phase)
        )

    def dependents(self, section_id: str) -> tuple[str, ...]:
        """Every section that waits for `section_id`, directly or through others."""
        return tuple(
            other for other in self.order if section_id in self.prerequisites.get(other, ())
        )

    def option(self, gate_id: str, option_id: str) -> GateOption | None:
        gate = self.section(gate_id)
        if not isinstance(gate, GateSection):
            return None
        return next((option for option in gate.options if option.id == option_id), None)

    def effect(self, gate_id: str, option_id: str) -> OptionEffect:
        """What an option of a decision does. An option that names no effect loops back: at a
        decision made once it reopens what the decision waits for; at a review's decision it
        leads to the next review (and lets the work that waits for the decision go ahead, as
        the first version of the content intended)."""
        gate = self.section(gate_id)
        option = self.option(gate_id, option_id)
        if option is None or not isinstance(gate, GateSection):
            return OptionEffect(Effect.NEXT_REVIEW)
        if option.ends_plan:
            return OptionEffect(Effect.ENDS_PLAN)
        if option.closes_case:
            return OptionEffect(Effect.CLOSES_CASE)
        if option.next_stage is not None:
            return OptionEffect(Effect.NEXT_STAGE, next_stage=option.next_stage)
        if option.proceeds:
            return OptionEffect(Effect.PROCEEDS)
        if option.reopens:
            return OptionEffect(Effect.REOPENS, reopens=option.reopens)
        if gate.recurrence == "each_review":
            explicit = any(
                item.proceeds or item.reopens or item.next_stage or item.closes_case
                for item in gate.options
            )
            return OptionEffect(Effect.NEXT_REVIEW if explicit else Effect.PROCEEDS)
        return OptionEffect(Effect.REOPENS, reopens=gate.requires)


def _prerequisites(content: FrameworkContent) -> dict[str, frozenset[str]]:
    direct = {sid: info.section.requires for sid, info in content.sections.items()}
    found: dict[str, frozenset[str]] = {}

    def walk(section_id: str, seen: frozenset[str]) -> frozenset[str]:
        if section_id in found:
            return found[section_id]
        result: set[str] = set()
        for required in direct.get(section_id, ()):
            if required in seen:  # the loader refuses cycles; never loop here regardless
                continue
            result.add(required)
            result |= walk(required, seen | {required})
        found[section_id] = frozenset(result)
        return found[section_id]

    for section_id in direct:
        walk(section_id, frozenset({section_id}))
    return found


def _phases(
    content: FrameworkContent,
    recurring: frozenset[str],
    prerequisites: dict[str, frozenset[str]],
    returns_section: str | None,
) -> dict[str, Phase]:
    phases: dict[str, Phase] = {}
    for section_id in recurring:
        given = content.sections[section_id].section.review_phase
        if given is not None:
            phases[section_id] = Phase(given)
        elif returns_section is None:
            phases[section_id] = Phase.ANY
        elif returns_section in prerequisites.get(section_id, ()):
            phases[section_id] = Phase.AFTER_RETURN
        elif section_id in prerequisites.get(returns_section, ()):
            phases[section_id] = Phase.BEFORE_RETURN
        else:
            phases[section_id] = Phase.ANY
    return phases


@lru_cache(maxsize=64)
def shape(content: FrameworkContent) -> JourneyShape:
    """The journey of a content version (cached: a version never changes)."""
    order = tuple(section.id for stage in content.stages for section in stage.sections)
    recurring = frozenset(
        sid for sid, info in content.sections.items() if info.section.recurrence == "each_review"
    )

    def first_of(kind: str) -> str | None:
        return next((sid for sid in order if content.sections[sid].section.kind == kind), None)

    returns_section = first_of("returns")
    prerequisites = _prerequisites(content)
    return JourneyShape(
        content=content,
        order=order,
        recurring=recurring,
        phases=_phases(content, recurring, prerequisites, returns_section),
        returns_section=returns_section,
        monitoring_section=first_of("monitoring"),
        outcomes_section=first_of("outcomes"),
        prerequisites=prerequisites,
    )
