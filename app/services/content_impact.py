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
from app.content.snapshot import FamilySnapshot
from app.models.family import Family
from app.services.snapshot import build_snapshots

# Families read at once: a few hundred keep every IN list far below the databases' limits.
CHUNK = 500


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
    snapshots = build_snapshots(session, families=[family], contents=(current, new), as_of=as_of)
    return _effect(current, new, snapshots[family.id])


def _effect(
    current: FrameworkContent, new: FrameworkContent, snapshots: tuple[FamilySnapshot, ...]
) -> Effect:
    before, after = snapshots
    return Effect(evaluate(current, before), evaluate(new, after))


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

    def count(self, effect: Effect) -> None:
        self.checked += 1
        if effect.level_change > 0:
            self.level_up += 1
        elif effect.level_change < 0:
            self.level_down += 1
        if effect.cautions_added:
            self.cautions_added += 1
            self.caution_counts.update(effect.cautions_added)
        if effect.cautions_removed:
            self.cautions_removed += 1
            self.lost_caution_counts.update(effect.cautions_removed)
        if not effect.changed:
            self.unchanged += 1


def impact(
    session: Session,
    *,
    registry: ContentRegistry,
    new: FrameworkContent,
    as_of: date,
) -> Impact:
    """For every family on the framework of `new`, whether moving to `new` would change its
    suggested level or its cautions. Families are read a chunk at a time, each chunk in a few
    queries whatever its size (see bench/bench_impact.py)."""
    result = Impact()
    families = session.exec(
        select(Family)
        .where(col(Family.framework_id) == new.id, col(Family.deleted_at).is_(None))
        .order_by(col(Family.created_at))
    ).all()
    by_version: dict[str, list[Family]] = {}
    for family in families:
        result.families += 1
        result.by_version[family.framework_version] += 1
        by_version.setdefault(family.framework_version, []).append(family)
    for number, group in by_version.items():
        try:
            current = registry.get(new.id, number)
        except UnknownContentError:
            result.unavailable += len(group)
            continue
        for start in range(0, len(group), CHUNK):
            chunk = group[start : start + CHUNK]
            # A reader of its own on the request's connection, so that the rows of a chunk are
            # let go once it is counted rather than held in the request's session.
            with Session(session.connection()) as reader:
                snapshots = build_snapshots(
                    reader, families=chunk, contents=(current, new), as_of=as_of
                )
            for family in chunk:
                result.count(_effect(current, new, snapshots[family.id]))
    return result
