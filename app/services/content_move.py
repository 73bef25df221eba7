"""Moving a family to a newer published content version: what changes for each question and
factor, and the move itself, only on confirmation.

Answers are never re-worded or dropped: each keeps the version it was given under, and
answers to questions the new version no longer has are kept and shown read-only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import Session

from app.content.model import FrameworkContent
from app.content.registry import ContentRegistry, semver_key
from app.models.family import Family
from app.services import assessment, audit, progress
from app.services.errors import Conflict, InvalidInput
from app.services.records import save_changes

ChangeKind = Literal["added", "changed", "removed"]


@dataclass(frozen=True)
class Change:
    """One question or factor that differs between two versions."""

    item: Literal["question", "factor"]
    item_id: str
    change: ChangeKind
    before: str | None
    after: str | None
    where: str
    details: tuple[str, ...] = ()


def newer_version(registry: ContentRegistry, family: Family) -> FrameworkContent | None:
    """The newest published version of the family's framework, when it is newer than theirs."""
    latest = registry.latest(family.framework_id)
    if semver_key(latest.version) <= semver_key(family.framework_version):
        return None
    return latest


def _question_facts(content: FrameworkContent, question_id: str) -> dict[str, Any]:
    question = content.questions[question_id].question
    options = content.options(question_id) if hasattr(question, "options") else ()
    return {
        "label": question.label,
        "type": question.type,
        "required": question.required,
        "options": tuple((option.id, option.label) for option in options),
        "show_when": question.show_when.model_dump() if question.show_when else None,
        "section": content.questions[question_id].section_id,
    }


def _differences(before: dict[str, Any], after: dict[str, Any]) -> tuple[str, ...]:
    notes = []
    if before["label"] != after["label"]:
        notes.append("The wording changed")
    if before["type"] != after["type"]:
        notes.append(f"The kind of answer changed from {before['type']} to {after['type']}")
    if before["required"] != after["required"]:
        notes.append("It is now required" if after["required"] else "It is now optional")
    old, new = dict(before["options"]), dict(after["options"])
    for option_id in old.keys() - new.keys():
        notes.append(f"Option removed: {old[option_id]}")
    for option_id in new.keys() - old.keys():
        notes.append(f"Option added: {new[option_id]}")
    for option_id in old.keys() & new.keys():
        if old[option_id] != new[option_id]:
            notes.append(f"Option re-worded: {old[option_id]} → {new[option_id]}")
    if before["show_when"] != after["show_when"]:
        notes.append("When it is asked changed")
    if before["section"] != after["section"]:
        notes.append("It moved to another section")
    return tuple(notes)


def _title(content: FrameworkContent, section_id: str) -> str:
    info = content.sections.get(section_id)
    return info.section.title if info else section_id


def compare(old: FrameworkContent, new: FrameworkContent) -> list[Change]:
    """Every question and factor added, changed or removed from `old` to `new`."""
    changes = []
    for question_id in sorted(old.questions.keys() | new.questions.keys()):
        if question_id not in new.questions:
            before = _question_facts(old, question_id)
            changes.append(
                Change(
                    "question",
                    question_id,
                    "removed",
                    before["label"],
                    None,
                    _title(old, before["section"]),
                )
            )
        elif question_id not in old.questions:
            after = _question_facts(new, question_id)
            changes.append(
                Change(
                    "question",
                    question_id,
                    "added",
                    None,
                    after["label"],
                    _title(new, after["section"]),
                )
            )
        else:
            before, after = _question_facts(old, question_id), _question_facts(new, question_id)
            notes = _differences(before, after)
            if notes:
                changes.append(
                    Change(
                        "question",
                        question_id,
                        "changed",
                        before["label"],
                        after["label"],
                        _title(new, after["section"]),
                        notes,
                    )
                )
    for factor_id in sorted(old.factors.keys() | new.factors.keys()):
        before_info, after_info = old.factors.get(factor_id), new.factors.get(factor_id)
        if after_info is None:
            assert before_info is not None
            changes.append(
                Change(
                    "factor",
                    factor_id,
                    "removed",
                    before_info.factor.text,
                    None,
                    before_info.domain.title,
                )
            )
        elif before_info is None:
            changes.append(
                Change(
                    "factor",
                    factor_id,
                    "added",
                    None,
                    after_info.factor.text,
                    after_info.domain.title,
                )
            )
        elif (before_info.factor.text, before_info.kind, before_info.domain.id) != (
            after_info.factor.text,
            after_info.kind,
            after_info.domain.id,
        ):
            changes.append(
                Change(
                    "factor",
                    factor_id,
                    "changed",
                    before_info.factor.text,
                    after_info.factor.text,
                    after_info.domain.title,
                    ("The wording or the domain changed",),
                )
            )
    return changes


def answered_items(session: Session, family: Family, changes: list[Change]) -> dict[str, int]:
    """How many of the family's answers or ratings each changed item has."""
    wanted = {change.item_id for change in changes}
    counts: Counter[str] = Counter()
    for row in assessment.answer_rows(session, family.id):
        if row.question_id in wanted:
            counts[row.question_id] += 1
    for factor_id in assessment.ratings(session, family.id):
        if factor_id in wanted:
            counts[factor_id] += 1
    return dict(counts)


def move(
    session: Session,
    *,
    actor: audit.Actor,
    registry: ContentRegistry,
    family: Family,
    target_version: str,
    confirmed: bool,
    expected_version: int,
) -> FrameworkContent:
    """Pin the family to `target_version`; every answer is kept as it was."""
    newer = newer_version(registry, family)
    if newer is None or newer.version != target_version:
        raise Conflict(
            "The family's version changed, or there is no newer version to move to; nothing "
            "was changed. Check this page again."
        )
    if not confirmed:
        raise InvalidInput(
            {"confirm": "Confirm that you have read what changes before moving the family"}
        )
    save_changes(
        session,
        actor=actor,
        record=family,
        values={"framework_version": newer.version, "content_hash": newer.content_hash},
        expected_version=expected_version,
        entity_type="family",
        family_id=family.id,
    )
    progress.refresh_family(session, family, newer)
    return newer
