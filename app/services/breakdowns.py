"""Why earlier returns home broke down, and whether the same thing is happening again: each
breakdown's cause (from the content's vocabulary) compared with the chronology of the last
12 months, through the chronology themes the content links to the cause.

Read by the chronology analysis page, the family summary and the rules engine's snapshot
(one batch of queries for any number of families). An entry counts for a child when it names
the child or names no child at all (it is about the whole family).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.db import read_once
from app.models.chronology import ChronologyEntry, ChronologyEntryChild, ChronologyEntryTheme
from app.models.family import Child, EarlierReturn
from app.services.chronology import describe_event_date
from app.timeutil import add_months, format_date, london_today

WINDOW_MONTHS = 12
SHOWN = 10


@dataclass(frozen=True)
class RecentEntry:
    id: uuid.UUID
    occurred_on: date
    date_precision: str
    what_happened: str
    theme_ids: tuple[str, ...]

    @property
    def when(self) -> str:
        return describe_event_date(self.occurred_on, self.date_precision)


@dataclass(frozen=True)
class CauseAgain:
    """One earlier breakdown whose cause has chronology themes, and the entries of the last
    12 months that show those themes for the same child."""

    return_id: uuid.UUID
    child_id: uuid.UUID
    child_name: str
    returned_on: date
    ended_on: date | None
    cause_id: str
    cause_label: str
    theme_ids: tuple[str, ...]
    since: date
    recent: tuple[RecentEntry, ...]
    recent_total: int

    @property
    def seen_again(self) -> bool:
        return self.recent_total > 0

    def sentence(self, name: str | None = None) -> str:
        """The finding in plain words, naming the child (as `name` writes it) and the cause."""
        who = name or self.child_name
        broke = f"{who}'s return home on {format_date(self.returned_on)} broke down"
        cause = f"{broke} because of {self.cause_label[0].lower()}{self.cause_label[1:]}"
        if not self.seen_again:
            return f"{cause}; the chronology shows nothing like it since {format_date(self.since)}."
        times = "once" if self.recent_total == 1 else f"{self.recent_total} times"
        return f"{cause}; the chronology shows it again {times} since {format_date(self.since)}."


def causes_again_in(
    session: Session,
    family_ids: Sequence[uuid.UUID],
    content: FrameworkContent,
    *,
    as_of: date | None = None,
    months: int = WINDOW_MONTHS,
    third_party: bool = True,
) -> dict[uuid.UUID, list[CauseAgain]]:
    """For each family, its earlier breakdowns whose cause the content links to chronology
    themes, oldest first, with the entries of the `months` before `as_of` that show them.
    Without `third_party`, entries marked as third-party information are left out."""
    today = as_of or london_today()
    since = add_months(today, -months)
    causes = {cause.id: cause for cause in content.vocabulary.breakdown_causes if cause.themes}
    found: dict[uuid.UUID, list[CauseAgain]] = {family_id: [] for family_id in family_ids}
    if not causes or not family_ids:
        return found
    breakdowns = session.exec(
        select(EarlierReturn, Child)
        .join(Child, col(Child.id) == col(EarlierReturn.child_id))
        .where(
            col(Child.family_id).in_(family_ids),
            col(Child.deleted_at).is_(None),
            col(EarlierReturn.deleted_at).is_(None),
            col(EarlierReturn.broke_down).is_(True),
            col(EarlierReturn.breakdown_cause).in_(list(causes)),
        )
        .order_by(col(EarlierReturn.returned_on), col(EarlierReturn.id))
    ).all()
    if not breakdowns:
        return found
    wanted = {theme for cause in causes.values() for theme in cause.themes}
    conditions = [
        col(ChronologyEntry.family_id).in_({child.family_id for _, child in breakdowns}),
        col(ChronologyEntry.deleted_at).is_(None),
        col(ChronologyEntry.occurred_on) >= since,
        col(ChronologyEntry.occurred_on) <= today,
        col(ChronologyEntryTheme.theme_id).in_(wanted),
    ]
    if not third_party:
        conditions.append(col(ChronologyEntry.third_party).is_(False))
    rows = session.exec(
        select(ChronologyEntry, col(ChronologyEntryTheme.theme_id))
        .join(ChronologyEntryTheme, col(ChronologyEntryTheme.entry_id) == col(ChronologyEntry.id))
        .where(*conditions)
        .order_by(col(ChronologyEntry.occurred_on).desc(), col(ChronologyEntry.id))
    ).all()
    entries: dict[uuid.UUID, ChronologyEntry] = {}
    entry_themes: dict[uuid.UUID, list[str]] = {}
    for entry, theme_id in rows:
        entries.setdefault(entry.id, entry)
        entry_themes.setdefault(entry.id, []).append(theme_id)
    children_of: dict[uuid.UUID, set[uuid.UUID]] = {}
    if entries:
        for entry_id, child_id in session.exec(
            select(col(ChronologyEntryChild.entry_id), col(ChronologyEntryChild.child_id)).where(
                col(ChronologyEntryChild.entry_id).in_(list(entries))
            )
        ).all():
            children_of.setdefault(entry_id, set()).add(child_id)
    for item, child in breakdowns:
        cause = causes[item.breakdown_cause or ""]
        matching = [
            RecentEntry(
                id=entry.id,
                occurred_on=entry.occurred_on,
                date_precision=entry.date_precision,
                what_happened=_short(entry.what_happened),
                theme_ids=tuple(t for t in cause.themes if t in entry_themes[entry.id]),
            )
            for entry in entries.values()
            if entry.family_id == child.family_id
            and set(cause.themes) & set(entry_themes[entry.id])
            and child.id in children_of.get(entry.id, {child.id})
        ]
        found[child.family_id].append(
            CauseAgain(
                return_id=item.id,
                child_id=child.id,
                child_name=child.name,
                returned_on=item.returned_on,
                ended_on=item.ended_on,
                cause_id=cause.id,
                cause_label=cause.label,
                theme_ids=cause.themes,
                since=since,
                recent=tuple(matching[:SHOWN]),
                recent_total=len(matching),
            )
        )
    return found


def causes_again(
    session: Session,
    *,
    family_id: uuid.UUID,
    content: FrameworkContent,
    as_of: date | None = None,
    third_party: bool = True,
) -> list[CauseAgain]:
    """One family's earlier breakdowns compared with its last 12 months (causes_again_in), read
    once per transaction: a summary's chronology and its rules' inputs both show them."""
    today = as_of or london_today()
    return read_once(
        session,
        ("causes_again", family_id, content.key, today, third_party),
        _READS,
        lambda: causes_again_in(
            session, [family_id], content, as_of=today, third_party=third_party
        )[family_id],
    )


_READS = (
    "earlier_return",
    "child",
    "chronology_entry",
    "chronology_entry_theme",
    "chronology_entry_child",
)


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:299] + "…"
