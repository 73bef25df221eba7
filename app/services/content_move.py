"""Moving a family to a newer published content version: what changes (app.content.compare),
how many of the family's answers each change touches, and the move itself, only on
confirmation.

Answers are never re-worded or dropped: each keeps the version it was given under, and
answers to questions the new version no longer has are kept and shown read-only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlmodel import Session

from app.content.compare import Change
from app.content.model import FrameworkContent
from app.content.registry import ContentRegistry, semver_key
from app.models.family import Family
from app.services import audit, progress, questions
from app.services.errors import Conflict, InvalidInput
from app.services.records import save_changes


def newer_version(registry: ContentRegistry, family: Family) -> FrameworkContent | None:
    """The newest published version of the family's framework, when it is newer than theirs."""
    latest = registry.latest(family.framework_id)
    if semver_key(latest.version) <= semver_key(family.framework_version):
        return None
    return latest


def answered_items(session: Session, family: Family, changes: Sequence[Change]) -> dict[str, int]:
    """How many of the family's answers or ratings each changed question or factor has."""
    wanted = {change.item_id for change in changes if change.area in ("question", "factor")}
    counts: Counter[str] = Counter()
    for row in questions.answer_rows(session, family.id):
        if row.question_id in wanted:
            counts[row.question_id] += 1
    for factor_id in questions.ratings(session, family.id):
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
