"""Checks across the answers of the agreement and the support plan that no single question can
make: a service that ends before it starts, the same service twice over the same dates, and a
goal with neither a date nor a timescale.

The questions are found by their ids (the ids `app.services.agreement` reads), so every version
of the framework that asks them gets the checks, whatever its wording."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from app.content.snapshot import AnswerValue
from app.services.questions.tree import Instance, Node, walk

SERVICES = "services"
GOALS = "goals"


def _fields(instance: Instance) -> dict[str, Node]:
    return {node.question.id: node for node in instance.nodes}


def _date(
    fields: Mapping[str, Node], question_id: str, parsed: Mapping[str, object]
) -> date | None:
    node = fields.get(question_id)
    value = parsed.get(node.key) if node else None
    return value if isinstance(value, date) else None


def _text(fields: Mapping[str, Node], question_id: str, parsed: Mapping[str, object]) -> str:
    node = fields.get(question_id)
    value = parsed.get(node.key) if node else None
    return str(value).strip().casefold() if value not in (None, "") else ""


def _groups(nodes: Iterable[Node], group_id: str) -> Iterable[tuple[Node, tuple[str, ...]]]:
    return (
        (node, labels)
        for node, labels in walk(nodes)
        if node.question.id == group_id and node.question.type == "repeating"
    )


def service_problems(
    nodes: Iterable[Node], parsed: Mapping[str, AnswerValue | None]
) -> dict[str, str]:
    """Field id -> message for each service that ends before it starts, or that repeats an
    earlier one (same type, for the same person, from the same provider) over dates that
    overlap. A service with no end date carries on."""
    problems: dict[str, str] = {}
    for group, _labels in _groups(nodes, SERVICES):
        seen: list[tuple[int, tuple[str, ...], date, date | None]] = []
        for number, instance in enumerate(group.instances, start=1):
            fields = _fields(instance)
            start = _date(fields, "service-start", parsed)
            end = _date(fields, "service-end", parsed)
            if start and end and end < start and "service-end" in fields:
                problems[fields["service-end"].id + "-day"] = (
                    f"Service {number}: the planned end date must be the same as or after the "
                    "start date"
                )
                continue
            what = tuple(
                _text(fields, question_id, parsed)
                for question_id in ("service-type", "service-for", "service-provider")
            )
            if not start or not all(what):
                continue
            for earlier, other, other_start, other_end in seen:
                overlaps = (end is None or other_start <= end) and (
                    other_end is None or start <= other_end
                )
                if other == what and overlaps:
                    problems[fields["service-start"].id + "-day"] = (
                        f"Service {number} is the same service, for the same person and from the "
                        f"same provider, as service {earlier} over dates that overlap: change its "
                        "dates or remove it"
                    )
                    break
            else:
                seen.append((number, what, start, end))
    return problems


def goals_without_timescale(
    nodes: Iterable[Node], parsed: Mapping[str, AnswerValue | None]
) -> dict[str, str]:
    """Field id -> message for each goal with neither a date nor a timescale, where the
    framework version offers a timescale as the alternative to a date (earlier versions
    require the date itself)."""
    missing: dict[str, str] = {}
    for group, labels in _groups(nodes, GOALS):
        who = f"{', '.join(labels)}: " if labels else ""
        for number, instance in enumerate(group.instances, start=1):
            fields = _fields(instance)
            if "goal-timescale" not in fields or "goal-by-when" not in fields:
                continue
            if _date(fields, "goal-by-when", parsed) or _text(fields, "goal-timescale", parsed):
                continue
            title = parsed.get(fields["goal-title"].key) if "goal-title" in fields else None
            name = f"‘{title}’" if title else f"goal {number}"
            missing[fields["goal-by-when"].id + "-day"] = (
                f"{who}Enter the date {name} must be met by, or a timescale"
            )
    return missing
