"""The question tree of a section for one family: which questions are asked about whom (each
parent, each child, each item of a repeating group), with `show_when` evaluated on the answers.

A section page posts every field it shows. Answers are named `a.<answer key>` (dates add
`-day`, `-month`, `-year`), factor fields `f.<factor id>.status` and `f.<factor id>.notes`, and
the items of each repeating group `items.<group key>`.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from app.content.model import FrameworkContent
from app.content.rules import show_when_holds
from app.content.schema import PerChild, PerItem, PerParent, Question, Repeating
from app.content.snapshot import AnswerValue, Scope, answer_key, parse_answer_key
from app.db import read_once
from app.models.family import Family
from app.services import families
from app.services import people as roles

ANSWER = "a."
FACTOR = "f."
ITEMS = "items."
GROUP_TYPES = ("per_parent", "per_child", "repeating", "per_item")


def field_id(name: str) -> str:
    """An HTML id for a form field name (answer keys hold brackets and dots)."""
    return re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-")


# --- people and items -----------------------------------------------------------------------


@dataclass(frozen=True)
class People:
    """Whom per-parent and per-child questions are asked about: (id, name) pairs, and the
    roles each adult holds toward the children."""

    parents: tuple[tuple[str, str], ...] = ()
    children: tuple[tuple[str, str], ...] = ()
    parent_roles: tuple[tuple[str, frozenset[str]], ...] = ()

    @property
    def labels(self) -> dict[str, str]:
        return dict(self.parents + self.children)

    def parents_for(self, roles: Iterable[str] | None) -> tuple[tuple[str, str], ...]:
        """The adults a per-parent group limited to `roles` asks about (None: every adult)."""
        if roles is None:
            return self.parents
        wanted, held = set(roles), dict(self.parent_roles)
        return tuple(pair for pair in self.parents if held.get(pair[0], frozenset()) & wanted)

    def group_parents(
        self, content: FrameworkContent, group_id: str
    ) -> tuple[tuple[str, str], ...]:
        """The adults the content's per-parent group `group_id` asks about."""
        info = content.questions.get(group_id)
        question = info.question if info is not None else None
        return self.parents_for(question.roles if isinstance(question, PerParent) else None)


def people_of(session: Session, family: Family) -> People:
    return read_once(
        session, ("people_of", family.id), ["adult", "child"], lambda: _people(session, family)
    )


def _people(session: Session, family: Family) -> People:
    adults = families.adults(session, family)
    children = families.children(session, family)
    return People(
        parents=tuple((str(adult.id), adult.name) for adult in adults),
        children=tuple((str(child.id), child.name) for child in children),
        parent_roles=tuple((str(adult.id), roles.held(adult, children)) for adult in adults),
    )


def _prefix(scopes: Sequence[Scope], group_id: str) -> str:
    return "".join(f"{group}[{instance}]." for group, instance in scopes) + group_id


def items_in(keys: Iterable[str], content: FrameworkContent) -> dict[str, list[str]]:
    """The item ids of each repeating group (by group key) that answer keys mention."""
    items: dict[str, list[str]] = {}
    for key in keys:
        parsed = parse_answer_key(key)
        if parsed is None:
            continue
        scopes = parsed[0]
        for depth, (group_id, instance) in enumerate(scopes):
            info = content.questions.get(group_id)
            if info is None or info.question.type != "repeating":
                continue
            found = items.setdefault(_prefix(scopes[:depth], group_id), [])
            if instance not in found:
                found.append(instance)
    return items


def new_item_id() -> str:
    return uuid.uuid4().hex[:12]


# --- the question tree ----------------------------------------------------------------------


@dataclass
class Instance:
    """One instance of a group: a parent, a child or an item, with its questions."""

    id: str
    label: str
    scopes: tuple[Scope, ...]
    nodes: list[Node]


@dataclass
class Node:
    """A question as shown for the family: its answer key, whether show_when shows it, and
    for a group its instances."""

    question: Question
    key: str
    visible: bool
    instances: list[Instance] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return self.question.type in GROUP_TYPES

    @property
    def name(self) -> str:
        return ANSWER + self.key

    @property
    def id(self) -> str:
        return field_id(self.name)


def _scoped_answers(
    values: Mapping[str, AnswerValue], scopes: tuple[Scope, ...]
) -> dict[str, AnswerValue]:
    """Answers a show_when in `scopes` may test: its own instance's and every enclosing one's
    (inner answers win), by question id."""
    by_depth: dict[int, dict[str, AnswerValue]] = {}
    for key, value in values.items():
        parsed = parse_answer_key(key)
        if parsed is None:
            continue
        key_scopes, question_id = parsed
        if key_scopes == scopes[: len(key_scopes)]:
            by_depth.setdefault(len(key_scopes), {})[question_id] = value
    merged: dict[str, AnswerValue] = {}
    for depth in sorted(by_depth):
        merged.update(by_depth[depth])
    return merged


@dataclass(frozen=True)
class Listing:
    """What the groups of a section are asked about: the family's people, the items of each
    repeating group (by group key), and for a `per_item` group over another section's items
    (the goals of every parent's agreement) those items with their labels."""

    people: People
    items: Mapping[str, Sequence[str]]
    elsewhere: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)


def build_tree(
    questions: Sequence[Question],
    values: Mapping[str, AnswerValue],
    listing: Listing,
    scopes: tuple[Scope, ...] = (),
    parent_visible: bool = True,
) -> list[Node]:
    """The section's questions for this family, with show_when evaluated on `values`."""
    scoped = _scoped_answers(values, scopes)
    nodes = []
    for question in questions:
        visible = parent_visible and (
            question.show_when is None or show_when_holds(question.show_when, scoped)
        )
        node = Node(question=question, key=answer_key(question.id, *scopes), visible=visible)
        if isinstance(question, PerParent | PerChild | Repeating | PerItem):
            for instance_id, label in _instances(question, scopes, listing):
                inner = (*scopes, (question.id, instance_id))
                node.instances.append(
                    Instance(
                        id=instance_id,
                        label=label,
                        scopes=inner,
                        nodes=build_tree(question.questions, values, listing, inner, visible),
                    )
                )
        nodes.append(node)
    return nodes


def _instances(
    question: Question, scopes: tuple[Scope, ...], listing: Listing
) -> list[tuple[str, str]]:
    if isinstance(question, PerParent):
        return list(listing.people.parents_for(question.roles))
    if isinstance(question, PerChild):
        return list(listing.people.children)
    if isinstance(question, Repeating):
        noun = question.item_label[0].upper() + question.item_label[1:]
        ids = listing.items.get(_prefix(scopes, question.id), [])
        return [(item, f"{noun} {number}") for number, item in enumerate(ids, start=1)]
    if isinstance(question, PerItem):
        if question.of in listing.elsewhere:
            return list(listing.elsewhere[question.of])
        ids = listing.items.get(_prefix(scopes, question.of), [])
        return [(item, f"Item {number}") for number, item in enumerate(ids, start=1)]
    return []


def items_elsewhere(
    content: FrameworkContent,
    values: Mapping[str, AnswerValue],
    people: People,
    group_id: str,
) -> list[tuple[str, str]]:
    """Every item of the repeating group `group_id`, wherever it sits (inside each parent's
    agreement, say), labelled by its first short answer (a goal's title) and by the person
    whose group it is: what a `per_item` group in another section asks about."""
    info = content.questions.get(group_id)
    if info is None or not isinstance(info.question, Repeating):
        return []
    group = info.question
    title_id = next((item.id for item in group.questions if item.type == "short_text"), None)
    noun = group.item_label[0].upper() + group.item_label[1:]
    names = people.labels
    found: list[tuple[str, str]] = []
    counts: dict[str, int] = {}
    for key, items in items_in(values, content).items():
        *_, last = key.split(".")
        if last != group_id:
            continue
        scopes = parse_answer_key(key)
        owner = ""
        if scopes is not None:
            people_scopes = [names[instance] for _, instance in scopes[0] if instance in names]
            owner = people_scopes[-1] if people_scopes else ""
        for item in items:
            counts[owner] = counts.get(owner, 0) + 1
            title = values.get(f"{key}[{item}].{title_id}") if title_id else None
            label = str(title) if title else f"{noun} {counts[owner]}"
            found.append((item, f"{label} ({owner})" if owner else label))
    return found


def walk(nodes: Iterable[Node]) -> Iterable[tuple[Node, tuple[str, ...]]]:
    """Every node of a tree with the labels of the instances around it (outermost first)."""
    for node in nodes:
        yield node, ()
        for instance in node.instances:
            for inner, labels in walk(instance.nodes):
                yield inner, (instance.label, *labels)
