"""What a new content version would change for families: for one family, the suggested level
and the cautions before and after a move; for trainers, the same counted over every family on
the framework (numbers only: a trainer sees no family).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.registry import ContentRegistry, UnknownContentError
from app.content.rules import RulesResult, evaluate
from app.models.family import Family
from app.services.snapshot import build_family_snapshot


@dataclass(frozen=True)
class Effect:
    """How one family's suggestion would change under another version."""

    before: RulesResult
    after: RulesResult

    @property
    def level_before(self) -> str:
        return self.before.suggested_level.label

    @property
    def level_after(self) -> str:
        return self.after.suggested_level.label

    @property
    def level_change(self) -> int:
        """Positive when the suggested level would go up, negative when down, 0 when the same."""
        return self.after.suggested_level.rank - self.before.suggested_level.rank

    @property
    def level_changed(self) -> bool:
        return self.before.suggested_level.id != self.after.suggested_level.id

    @property
    def cautions_added(self) -> tuple[str, ...]:
        before = {finding.rule_id for finding in self.before.cautions}
        return tuple(f.title for f in self.after.cautions if f.rule_id not in before)

    @property
    def cautions_removed(self) -> tuple[str, ...]:
        after = {finding.rule_id for finding in self.after.cautions}
        return tuple(f.title for f in self.before.cautions if f.rule_id not in after)

    @property
    def changed(self) -> bool:
        return self.level_changed or bool(self.cautions_added or self.cautions_removed)


def family_effect(
    session: Session,
    *,
    family: Family,
    current: FrameworkContent,
    new: FrameworkContent,
    as_of: date,
) -> Effect:
    """The family's suggestion under its current version and under `new`, on today's record."""
    results = [
        evaluate(
            content,
            build_family_snapshot(session, family=family, content=content, as_of=as_of),
        )
        for content in (current, new)
    ]
    return Effect(*results)


@dataclass
class Impact:
    """Counts of families whose suggestion a new version would change (no names)."""

    families: int = 0
    checked: int = 0
    unavailable: int = 0
    level_up: int = 0
    level_down: int = 0
    cautions_added: int = 0
    cautions_removed: int = 0
    unchanged: int = 0
    by_version: Counter[str] = field(default_factory=Counter)
    # How many families would newly get, or lose, each caution, by its title.
    caution_counts: Counter[str] = field(default_factory=Counter)
    lost_caution_counts: Counter[str] = field(default_factory=Counter)

    @property
    def changed(self) -> int:
        return self.checked - self.unchanged


def impact(
    session: Session,
    *,
    registry: ContentRegistry,
    new: FrameworkContent,
    as_of: date,
) -> Impact:
    """For every family on the framework of `new`, whether moving to `new` would change its
    suggested level or its cautions."""
    result = Impact()
    families = session.exec(
        select(Family)
        .where(col(Family.framework_id) == new.id, col(Family.deleted_at).is_(None))
        .order_by(col(Family.created_at))
    ).all()
    for family in families:
        result.families += 1
        result.by_version[family.framework_version] += 1
        try:
            current = registry.get(family.framework_id, family.framework_version)
        except UnknownContentError:
            result.unavailable += 1
            continue
        effect = family_effect(session, family=family, current=current, new=new, as_of=as_of)
        result.checked += 1
        if effect.level_change > 0:
            result.level_up += 1
        elif effect.level_change < 0:
            result.level_down += 1
        if effect.cautions_added:
            result.cautions_added += 1
            result.caution_counts.update(effect.cautions_added)
        if effect.cautions_removed:
            result.cautions_removed += 1
            result.lost_caution_counts.update(effect.cautions_removed)
        if not effect.changed:
            result.unchanged += 1
    return result
