"""Answers the family's record already gives: factors whose content names a record fact
(`suggest`) are offered a suggested answer, with where it comes from, for the practitioner to
confirm or change. A suggestion is never saved as the practitioner's rating: the section page
marks the suggested option and says why, and only the practitioner's own choice is saved.

Counted facts hold when some child reaches the count; a child's age, legal status and
placement moves are always recorded, so when no child reaches them the suggestion is "not
present". Earlier returns and the chronology can be incomplete, so they only ever suggest
"present".
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.schema import FactorSuggestion
from app.models.assessment import FactorStatus
from app.models.chronology import ChronologyEntry, ChronologyEntryTheme
from app.models.family import Child, Family
from app.services import families
from app.services.chronology import describe_event_date
from app.timeutil import age_in_years, format_date, london_today


@dataclass(frozen=True)
class Suggestion:
    """A suggested answer to a factor and, in words, what in the record suggests it."""

    status: FactorStatus
    source: str


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _names(items: Iterable[str]) -> str:
    names = list(items)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class _Record:
    """The family's record, read once for all the factors of a page."""

    def __init__(self, session: Session, family: Family, content: FrameworkContent) -> None:
        self.session, self.family, self.content = session, family, content
        self.children = list(families.children(session, family))
        ids = [child.id for child in self.children]
        self.returns = list(families.earlier_returns(session, ids))
        self.episodes = list(families.care_episodes(session, ids))
        self.today = london_today()

    def suggest(self, rule: FactorSuggestion) -> Suggestion | None:
        if rule.record == "chronology-theme":
            return self._theme(rule.one_of)
        if not self.children:
            return None
        if rule.record == "legal-status":
            return self._legal(rule.one_of)
        assert rule.at_least is not None
        counts = {child.id: self._count(rule.record, child) for child in self.children}
        reached = [child for child in self.children if counts[child.id] >= rule.at_least]
        if reached:
            return Suggestion(FactorStatus.PRESENT, self._say(rule.record, reached, counts))
        if rule.record in ("child-age", "placement-moves"):
            return Suggestion(FactorStatus.ABSENT, self._say(rule.record, self.children, counts))
        return None

    def _count(self, record: str, child: Child) -> int:
        if record == "child-age":
            return age_in_years(child.date_of_birth, self.today)
        if record == "placement-moves":
            # Moves in earlier times in care count too: each placement after the first.
            earlier = sum(e.placements - 1 for e in self.episodes if e.child_id == child.id)
            return child.placement_moves + earlier
        mine = [item for item in self.returns if item.child_id == child.id]
        if record == "earlier-breakdowns":
            return sum(1 for item in mine if item.broke_down)
        return len(mine)

    def _say(self, record: str, children: list[Child], counts: dict[uuid.UUID, int]) -> str:
        parts = []
        for child in children:
            count = counts[child.id]
            if record == "child-age":
                parts.append(f"{child.name} is {count}")
            elif record == "placement-moves":
                parts.append(f"{child.name} has moved placement {_plural(count, 'time')}")
            else:
                mine = [
                    item
                    for item in self.returns
                    if item.child_id == child.id
                    and (item.broke_down or record == "earlier-returns")
                ]
                dates = _names(format_date(item.returned_on) for item in mine)
                what = "broke down" if record == "earlier-breakdowns" else "went home"
                noun = "return home" if count == 1 else "returns home"
                parts.append(
                    f"{child.name}'s earlier {noun} on {dates} {what}"
                    if record == "earlier-breakdowns"
                    else f"{child.name} went home {_plural(count, 'time')} before ({dates})"
                )
        return f"Family details: {'; '.join(parts)}."

    def _legal(self, statuses: tuple[str, ...]) -> Suggestion:
        labels = {term.id: term.label for term in self.content.terms("legal_statuses")}
        reached = [child for child in self.children if child.legal_status in statuses]
        shown = reached or self.children
        said = "; ".join(
            f"{child.name}: {labels.get(child.legal_status, 'a legal status no longer listed')}"
            for child in shown
        )
        status = FactorStatus.PRESENT if reached else FactorStatus.ABSENT
        return Suggestion(status, f"Family details, legal status: {said}.")

    def _theme(self, theme_ids: tuple[str, ...]) -> Suggestion | None:
        count, latest = self.session.exec(
            select(
                func.count(func.distinct(ChronologyEntry.id)), func.max(ChronologyEntry.occurred_on)
            )
            .join(
                ChronologyEntryTheme, col(ChronologyEntryTheme.entry_id) == col(ChronologyEntry.id)
            )
            .where(
                col(ChronologyEntry.family_id) == self.family.id,
                col(ChronologyEntry.deleted_at).is_(None),
                col(ChronologyEntryTheme.theme_id).in_(theme_ids),
            )
        ).one()
        if not count:
            return None
        precision = self.session.exec(
            select(col(ChronologyEntry.date_precision))
            .join(
                ChronologyEntryTheme, col(ChronologyEntryTheme.entry_id) == col(ChronologyEntry.id)
            )
            .where(
                col(ChronologyEntry.family_id) == self.family.id,
                col(ChronologyEntry.deleted_at).is_(None),
                col(ChronologyEntryTheme.theme_id).in_(theme_ids),
                col(ChronologyEntry.occurred_on) == latest,
            )
        ).first()
        labels = {theme.id: theme.label for theme in self.content.chronology.themes}
        themes = _names(f"‘{labels.get(theme, theme)}’" for theme in theme_ids)
        when = describe_event_date(latest, precision or "day")
        entries = "1 entry shows" if count == 1 else f"{count} entries show"
        return Suggestion(
            FactorStatus.PRESENT, f"Chronology: {entries} {themes}, the latest {when}."
        )


def suggestion_for(
    session: Session, *, family: Family, content: FrameworkContent, rule: FactorSuggestion
) -> Suggestion | None:
    """What the family's record suggests for one content rule, if it answers it."""
    return _Record(session, family, content).suggest(rule)


def factor_suggestions(
    session: Session, *, family: Family, content: FrameworkContent, factor_ids: Iterable[str]
) -> dict[str, Suggestion]:
    """Suggested answers, by factor id, for the factors among `factor_ids` whose content names
    a record fact and whose fact the record answers."""
    wanted = [
        (factor_id, content.factors[factor_id].factor.suggest)
        for factor_id in factor_ids
        if factor_id in content.factors and content.factors[factor_id].factor.suggest
    ]
    if not wanted:
        return {}
    record = _Record(session, family, content)
    found: dict[str, Suggestion] = {}
    for factor_id, rule in wanted:
        assert rule is not None
        suggestion = record.suggest(rule)
        if suggestion is not None:
            found[factor_id] = suggestion
    return found
