"""The chronology's analysis: the patterns in a family's entries, worked out by the database
(counts per theme per year, repeated themes, gaps, earlier returns home and what preceded each
breakdown, high-significance entries), plus the practitioner's written analysis.

Only aggregates and the few entries the analysis names are loaded; the family's whole history
never is, so the analysis costs the same few queries for 50 entries or 5,000.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Date,
    Integer,
    String,
    bindparam,
    cast,
    func,
    literal,
    null,
    union_all,
)
from sqlalchemy import select as select_rows
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.db import has_written, read_once
from app.memo import Bounded
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.models.chronology import (
    ChronologyEntry,
    ChronologyEntryTheme,
    ChronologyWrittenAnalysis,
)
from app.models.family import Child, EarlierReturn, Family
from app.services import audit
from app.services.chronology import describe_event_date, entry_links, in_content_order, themes
from app.services.errors import Conflict, NotFound
from app.services.locking import check_version, saving
from app.services.records import CONFLICT_MESSAGE, Problems
from app.timeutil import days_in_words, london_today

OVERALL = "overall"
WRITTEN_MAX = 20000
HIGH_SHOWN = 50
PRECEDING_SHOWN = 30
DEFAULT_GAP_DAYS = 183
# Analyses of the chronologies shown lately, per app process (a few kB each).
CACHED_ANALYSES = 256


@dataclass(frozen=True)
class EntrySummary:
    """What the analysis shows of one entry."""

    id: uuid.UUID
    occurred_on: date
    date_precision: str
    significance: str
    source_id: str
    what_happened: str
    theme_ids: tuple[str, ...] = ()

    @property
    def when(self) -> str:
        return describe_event_date(self.occurred_on, self.date_precision)


@dataclass(frozen=True)
class ThemeSummary:
    theme_id: str
    label: str
    polarity: str
    count: int
    first: date
    last: date
    per_year: dict[int, int]

    @property
    def repeated(self) -> bool:
        return self.count > 1


@dataclass(frozen=True)
class Gap:
    """A stretch with no entries: from one entry's date to the next."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days


@dataclass(frozen=True)
class ReturnHome:
    """An earlier return home of a child, and the entries dated during it."""

    id: uuid.UUID
    child_id: uuid.UUID
    child_name: str
    returned_on: date
    ended_on: date | None
    broke_down: bool
    notes: str | None
    preceding: list[EntrySummary]
    preceding_total: int
    theme_counts: dict[str, int]


@dataclass(frozen=True)
class YearBalance:
    year: int
    risk: int
    protective: int


@dataclass(frozen=True)
class ChronologyAnalysis:
    entries: int
    first: date | None
    last: date | None
    years: list[int]
    themes: list[ThemeSummary]
    significance_counts: dict[str, int]
    high_grade: str
    high: list[EntrySummary]
    high_total: int
    returns: list[ReturnHome]
    gaps: list[Gap]
    gap_days: int
    balance: list[YearBalance]
    written: dict[str, ChronologyWrittenAnalysis] = field(default_factory=dict)

    @property
    def gap_words(self) -> str:
        """The gap length as people say it (‘6 months’)."""
        return days_in_words(self.gap_days)

    @property
    def repeated(self) -> list[ThemeSummary]:
        """Risk themes seen more than once, the most frequent first."""
        return sorted(
            (item for item in self.themes if item.repeated and item.polarity == "risk"),
            key=lambda item: (-item.count, item.first),
        )

    @property
    def breakdowns(self) -> list[ReturnHome]:
        return [item for item in self.returns if item.broke_down]


def _live(family: Family, third_party: bool = True) -> list[ColumnElement[bool]]:
    return [
        col(ChronologyEntry.family_id) == family.id,
        col(ChronologyEntry.deleted_at).is_(None),
        *([] if third_party else [col(ChronologyEntry.third_party).is_(False)]),
    ]


def _days_between(session: Session, later: Any, earlier: Any) -> ColumnElement[int]:
    """Whole days from `earlier` to `later`, in the database's own date arithmetic."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    # PostgreSQL: date minus date is a whole number of days.
    return cast(later - earlier, Integer)


def _stamp(table: str, version: Any, updated: Any) -> Any:
    return select(
        literal(table), func.count(), func.coalesce(func.sum(version), 0), func.max(updated)
    )


_FAMILY: BindParameter[uuid.UUID] = bindparam("family_id")
# Built once: every chronology page and summary asks, and a union of four costs more to build
# and key than to send.
_VERSION = union_all(
    _stamp("entries", col(ChronologyEntry.version), col(ChronologyEntry.updated_at)).where(
        col(ChronologyEntry.family_id) == _FAMILY
    ),
    _stamp("children", col(Child.version), col(Child.updated_at)).where(
        col(Child.family_id) == _FAMILY
    ),
    _stamp("returns", col(EarlierReturn.version), col(EarlierReturn.updated_at))
    .join(Child, col(Child.id) == col(EarlierReturn.child_id))
    .where(col(Child.family_id) == _FAMILY),
    _stamp(
        "written",
        col(ChronologyWrittenAnalysis.version),
        col(ChronologyWrittenAnalysis.updated_at),
    ).where(col(ChronologyWrittenAnalysis.family_id) == _FAMILY),
)


def chronology_version(session: Session, family: Family) -> tuple[Any, ...]:
    """What the analysis is worked out from, in one statement read once per request (the
    summary keeps its analysis and its chronology statistics by it): per table (the entries, the
    children, their earlier returns and the written analyses, deleted rows included) the
    number of rows, the sum of
    their versions and the latest change. Every write changes one of these: adding or removing
    a row changes the count, and an edit (themes and children of an entry included) goes
    through optimistic locking, which raises the row's version."""

    def read() -> tuple[Any, ...]:
        rows = session.execute(_VERSION, {"family_id": family.id}).all()
        return tuple(sorted(tuple(row) for row in rows))

    return read_once(session, ("chronology_version", family.id), SOURCES, read)


_analyses: Bounded[tuple[Any, ...], ChronologyAnalysis] = Bounded(CACHED_ANALYSES)
# The tables the analysis and its version are read from.
SOURCES = (
    "chronology_entry",
    "chronology_entry_theme",
    "chronology_entry_child",
    "child",
    "earlier_return",
    "chronology_written_analysis",
)


def analyse_chronology(
    session: Session,
    *,
    family: Family,
    content: FrameworkContent,
    gap_days: int = DEFAULT_GAP_DAYS,
    third_party: bool = True,
) -> ChronologyAnalysis:
    """The patterns in `family`'s chronology (entries not deleted), and its written analysis.
    Without `third_party`, entries marked as third-party information are left out of every
    count and list (the summary's disclosure copy).

    The patterns are kept by the chronology's version (and today's date, which ends a return
    home that has not ended): a page shown again costs one statement, not ten, and any write
    changes the version, so a kept analysis is never out of date. The written analysis is
    always read afresh, unless the version counts none, deleted ones included (most families)."""
    version = chronology_version(session, family)
    key = (family.id, content.content_hash, gap_days, third_party, london_today(), version)
    patterns = _analyses.get_or_make(
        key,
        lambda: _patterns(session, family, content, gap_days, third_party),
        shared=not has_written(session, *SOURCES),
    )
    written = any(table == "written" and rows for table, rows, *_ in version)
    return replace(patterns, written=written_analyses(session, family) if written else {})


def _patterns(
    session: Session,
    family: Family,
    content: FrameworkContent,
    gap_days: int,
    third_party: bool,
) -> ChronologyAnalysis:
    live = _live(family, third_party)
    day = col(ChronologyEntry.occurred_on)
    labels = themes(content)
    polarity = {theme.id: theme.polarity for theme in content.chronology.themes}

    per_theme: dict[str, dict[int, int]] = {}
    bounds: dict[str, tuple[date, date]] = {}
    grade_counts: dict[str, int] = {}
    total, first_day, last_day = 0, None, None
    gaps: list[Gap] = []
    for kind, key, in_year, count, first, last in session.execute(
        _counts_and_gaps(session, family, gap_days, third_party)
    ):
        if kind == "theme":
            per_theme.setdefault(key, {})[int(in_year)] = count
            earliest, latest = bounds.get(key, (first, last))
            bounds[key] = (min(earliest, first), max(latest, last))
        elif kind == "grade":
            grade_counts[key] = count
            total += count
            first_day = first if first_day is None else min(first_day, first)
            last_day = last if last_day is None else max(last_day, last)
        else:
            gaps.append(Gap(start=first, end=last))
    gaps.sort(key=lambda gap: gap.end)
    theme_rows = [
        ThemeSummary(
            theme_id=theme_id,
            label=labels.get(theme_id, theme_id),
            polarity=polarity.get(theme_id, "risk"),
            count=sum(per_theme[theme_id].values()),
            first=bounds[theme_id][0],
            last=bounds[theme_id][1],
            per_year=dict(sorted(per_theme[theme_id].items())),
        )
        for theme_id in in_content_order(per_theme, labels)
    ]
    years = list(range(first_day.year, last_day.year + 1)) if first_day and last_day else []

    # Entries of the highest significance (the first grade of the content's scale).
    high_grade = content.chronology.significance[0].id
    high_rows = session.exec(
        select(ChronologyEntry)
        .where(*live, col(ChronologyEntry.significance) == high_grade)
        .order_by(day.desc(), col(ChronologyEntry.created_at).desc())
        .limit(HIGH_SHOWN)
    ).all()

    returns, preceding_rows = _returns(session, family, third_party)
    theme_map = entry_links(
        session,
        list({entry.id for entry in high_rows} | {entry.id for _id, entry in preceding_rows}),
    ).themes

    def summary(entry: ChronologyEntry) -> EntrySummary:
        text = entry.what_happened
        return EntrySummary(
            id=entry.id,
            occurred_on=entry.occurred_on,
            date_precision=entry.date_precision,
            significance=entry.significance,
            source_id=entry.source_id,
            what_happened=text if len(text) <= 300 else text[:299] + "…",
            theme_ids=tuple(in_content_order(theme_map.get(entry.id, []), labels)),
        )

    by_return: dict[uuid.UUID, list[ChronologyEntry]] = {}
    for return_id, entry in preceding_rows:
        by_return.setdefault(return_id, []).append(entry)
    return_rows = []
    for item, child_name, count in returns:
        entries = by_return.get(item.id, [])
        theme_counts: dict[str, int] = {}
        for entry in entries:
            for theme_id in theme_map.get(entry.id, []):
                theme_counts[theme_id] = theme_counts.get(theme_id, 0) + 1
        return_rows.append(
            ReturnHome(
                id=item.id,
                child_id=item.child_id,
                child_name=child_name,
                returned_on=item.returned_on,
                ended_on=item.ended_on,
                broke_down=item.broke_down,
                notes=item.notes,
                preceding=[summary(entry) for entry in entries[:PRECEDING_SHOWN]],
                preceding_total=count,
                theme_counts=dict(sorted(theme_counts.items(), key=lambda pair: -pair[1])),
            )
        )

    balance_map: dict[int, list[int]] = {}
    for theme_row in theme_rows:
        for in_year, count in theme_row.per_year.items():
            slot = balance_map.setdefault(in_year, [0, 0])
            slot[0 if theme_row.polarity == "risk" else 1] += count
    return ChronologyAnalysis(
        entries=total,
        first=first_day,
        last=last_day,
        years=years,
        themes=theme_rows,
        significance_counts=grade_counts,
        high_grade=high_grade,
        high=[summary(entry) for entry in high_rows],
        high_total=grade_counts.get(high_grade, 0),
        returns=return_rows,
        gaps=gaps,
        gap_days=gap_days,
        balance=[
            YearBalance(in_year, *balance_map.get(in_year, [0, 0]))
            for in_year in years
            if in_year in balance_map
        ],
    )


def _counts_and_gaps(session: Session, family: Family, gap_days: int, third_party: bool) -> Any:
    """One statement of rows (kind, key, year, count, first, last): per theme and year, and
    per significance grade, how many entries and the first and last dates ("theme", "grade");
    and each stretch longer than `gap_days` between one entry and the next ("gap": its first
    and last day, by an SQL window)."""
    live = _live(family, third_party)
    day = col(ChronologyEntry.occurred_on)
    span = (func.count(), func.min(day), func.max(day))
    ordered = (
        select(day.label("day"), func.lag(day, type_=Date()).over(order_by=day).label("previous"))
        .where(*live)
        .subquery()
    )
    year = cast(func.extract("year", day), Integer)
    return union_all(
        select_rows(literal("theme"), col(ChronologyEntryTheme.theme_id), year, *span)
        .join(ChronologyEntry, col(ChronologyEntry.id) == col(ChronologyEntryTheme.entry_id))
        .where(*live)
        .group_by(col(ChronologyEntryTheme.theme_id), year),
        select_rows(
            literal("grade"), col(ChronologyEntry.significance), cast(null(), Integer), *span
        )
        .where(*live)
        .group_by(col(ChronologyEntry.significance)),
        select_rows(
            literal("gap"),
            cast(null(), String),
            cast(null(), Integer),
            cast(null(), Integer),
            ordered.c.previous,
            ordered.c.day,
        ).where(
            ordered.c.previous.is_not(None),
            _days_between(session, ordered.c.day, ordered.c.previous) > gap_days,
        ),
    )


def _returns(
    session: Session, family: Family, third_party: bool
) -> tuple[list[tuple[EarlierReturn, str, int]], list[tuple[uuid.UUID, ChronologyEntry]]]:
    """The family's earlier returns home (oldest first) with how many entries are dated
    during each, and the first entries of each (up to its end, or today)."""
    returns = session.exec(
        select(EarlierReturn, col(Child.name))
        .join(Child, col(Child.id) == col(EarlierReturn.child_id))
        .where(
            col(Child.family_id) == family.id,
            col(Child.deleted_at).is_(None),
            col(EarlierReturn.deleted_at).is_(None),
        )
        .order_by(col(EarlierReturn.returned_on))
    ).all()
    if not returns:
        return [], []
    day = col(ChronologyEntry.occurred_on)
    during = [
        *_live(family, third_party),
        day >= col(EarlierReturn.returned_on),
        day <= func.coalesce(col(EarlierReturn.ended_on), london_today()),
        col(EarlierReturn.id).in_([item.id for item, _name in returns]),
    ]
    counts = dict(
        session.exec(
            select(col(EarlierReturn.id), func.count())
            .select_from(EarlierReturn)
            .join(ChronologyEntry, col(ChronologyEntry.family_id) == family.id)
            .where(*during)
            .group_by(col(EarlierReturn.id))
        ).all()
    )
    ranked = (
        select(
            col(EarlierReturn.id).label("return_id"),
            col(ChronologyEntry.id).label("entry_id"),
            func.row_number()
            .over(partition_by=col(EarlierReturn.id), order_by=(day, col(ChronologyEntry.id)))
            .label("position"),
        )
        .select_from(EarlierReturn)
        .join(ChronologyEntry, col(ChronologyEntry.family_id) == family.id)
        .where(*during)
        .subquery()
    )
    preceding = session.exec(
        select(ranked.c.return_id, ChronologyEntry)
        .join(ChronologyEntry, col(ChronologyEntry.id) == ranked.c.entry_id)
        .where(ranked.c.position <= PRECEDING_SHOWN)
        .order_by(ranked.c.return_id, col(ChronologyEntry.occurred_on), col(ChronologyEntry.id))
    ).all()
    return (
        [(item, name, counts.get(item.id, 0)) for item, name in returns],
        [(return_id, entry) for return_id, entry in preceding],
    )


# The written analysis ------------------------------------------------------------------------


def written_analyses(session: Session, family: Family) -> dict[str, ChronologyWrittenAnalysis]:
    return {
        row.scope: row
        for row in session.exec(
            select(ChronologyWrittenAnalysis).where(
                col(ChronologyWrittenAnalysis.family_id) == family.id,
                col(ChronologyWrittenAnalysis.deleted_at).is_(None),
            )
        ).all()
    }


def scope_label(content: FrameworkContent, scope: str) -> str:
    """What a written analysis is about: "the chronology as a whole", or the theme's name."""
    if scope == OVERALL:
        return "the chronology as a whole"
    return themes(content)[scope]


def check_scope(content: FrameworkContent, scope: str) -> None:
    if scope != OVERALL and scope not in themes(content):
        raise NotFound("There is no such theme in this family's framework content.")


def save_written_analysis(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    scope: str,
    text: str,
    expected_version: int,
) -> ChronologyWrittenAnalysis:
    """Save the written analysis of a theme or of the whole chronology, if nobody else saved
    it since `expected_version` (0 when there was none); otherwise Conflict."""
    assert actor.user_id is not None
    check_scope(content, scope)
    problems = Problems()
    cleaned = problems.text(
        "text",
        text,
        label="your analysis",
        max_length=WRITTEN_MAX,
        missing="Enter your analysis",
    )
    problems.raise_if_any()
    assert cleaned is not None
    existing = written_analyses(session, family).get(scope)
    now = utcnow()
    if existing is None:
        if expected_version != 0:
            raise Conflict(CONFLICT_MESSAGE)
        saved = ChronologyWrittenAnalysis(
            family_id=family.id, scope=scope, text=cleaned, updated_by_id=actor.user_id
        )
        try:
            with session.begin_nested():
                session.add(saved)
        except IntegrityError:
            # Someone else wrote the first version at the same moment.
            raise Conflict(CONFLICT_MESSAGE) from None
        action, before = AuditAction.CREATE, None
    else:
        check_version(existing, expected_version, CONFLICT_MESSAGE)
        if existing.text == cleaned:
            return existing
        before = existing.text
        with saving(session, existing, CONFLICT_MESSAGE):
            existing.text = cleaned
            existing.updated_at = now
            existing.updated_by_id = actor.user_id
        saved, action = existing, AuditAction.UPDATE
    audit.record(
        session,
        actor,
        action,
        entity_type="chronology_analysis",
        entity_id=saved.id,
        family_id=family.id,
        details={"scope": scope, **audit.changes({"text": before}, {"text": cleaned})},
    )
    return saved


def theme_scopes(analysis: ChronologyAnalysis, content: FrameworkContent) -> list[str]:
    """The themes to offer a written analysis for: those with entries or with writing."""
    shown = {item.theme_id for item in analysis.themes} | set(analysis.written) - {OVERALL}
    return in_content_order((scope for scope in shown if scope in themes(content)), themes(content))
