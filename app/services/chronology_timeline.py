"""The chronology as a timeline: events over time in one lane per theme, with each child's care
episodes (in care now, earlier returns home) marked. Positions are worked out here; a template
draws the SVG, and the JSON API gives the same counts and episodes without the geometry.

Events are counted per lane, month and significance grade by the database, so the timeline
has one mark per month and grade however many entries a family has. Grades are told apart by
shape and the count is written beside a mark, so nothing depends on colour alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, cast, func
from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.models.chronology import ChronologyEntry, ChronologyEntryTheme
from app.models.family import CareEpisode, Child, EarlierReturn, Family
from app.services import families
from app.services.chronology import in_content_order, themes
from app.timeutil import format_date, london_today

WIDTH = 960
LABEL_WIDTH = 290
RIGHT_MARGIN = 30
TOP = 40
LANE_HEIGHT = 36
CARE_ROW_HEIGHT = 30
NO_THEME = ""
# Shapes for the grades of the significance scale, most serious first.
SHAPES = ("triangle", "square", "circle", "diamond")
FILLS = ("#d4351c", "#f47738", "#00703c", "#505a5f")


@dataclass(frozen=True)
class Mark:
    x: float
    y: float
    shape: str
    fill: str
    count: int
    title: str


@dataclass(frozen=True)
class Lane:
    theme_id: str  # NO_THEME for entries with no theme
    label: str
    kind: str  # "risk", "protective" or "none"
    y: float
    marks: list[Mark]


@dataclass(frozen=True)
class Band:
    """A stretch of time on a child's care row: in care, or at home on an earlier return."""

    x: float
    width: float
    y: float
    kind: str  # "care" or "home"
    label: str
    broke_down: bool
    end_x: float


@dataclass(frozen=True)
class CareRow:
    child_name: str
    y: float
    bands: list[Band]


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class TableRow:
    """The entries of one lane in one period, counted per grade in the scale's order."""

    theme_id: str
    lane: str
    starts_on: date
    month: str
    counts: list[int]


@dataclass(frozen=True)
class Episode:
    """A stretch of a child's life the timeline marks: the time in care since they last came
    into care (`ended_on` None), or an earlier return home, and whether it broke down."""

    child_id: uuid.UUID
    child_name: str
    kind: str  # "care" or "home"
    started_on: date
    ended_on: date | None
    broke_down: bool = False
    return_id: uuid.UUID | None = None

    @property
    def outcome(self) -> str:
        return "broke down" if self.broke_down else "did not break down"

    @property
    def what(self) -> str:
        if self.kind == "care":
            return "In care (now)" if self.ended_on is None else "Earlier time in care"
        return f"Earlier return home ({self.outcome})"

    @property
    def start(self) -> str:
        return format_date(self.started_on)

    @property
    def end(self) -> str:
        return format_date(self.ended_on)


@dataclass(frozen=True)
class Timeline:
    width: int
    height: int
    plot_left: int
    plot_right: int
    start: date | None
    end: date | None
    ticks: list[Tick]
    lanes: list[Lane]
    care_rows: list[CareRow]
    legend: list[tuple[str, str, str]]  # (shape, fill, label)
    table: list[TableRow]
    grade_labels: list[str]
    episodes: list[Episode]
    period_name: str = "month"

    @property
    def empty(self) -> bool:
        return self.start is None


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def build_timeline(session: Session, *, family: Family, content: FrameworkContent) -> Timeline:
    """The timeline of `family`'s chronology (entries not deleted), children and returns."""
    grades = content.chronology.significance
    grade_rank = {grade.id: position for position, grade in enumerate(grades)}
    theme_labels = themes(content)
    polarity = {theme.id: theme.polarity for theme in content.chronology.themes}
    day = col(ChronologyEntry.occurred_on)
    year = cast(func.extract("year", day), Integer)
    month = cast(func.extract("month", day), Integer)
    counted: Sequence[Any] = session.exec(
        select(
            col(ChronologyEntryTheme.theme_id),
            *[year, month, col(ChronologyEntry.significance), func.count()],
        )
        .select_from(ChronologyEntry)
        .outerjoin(
            ChronologyEntryTheme, col(ChronologyEntryTheme.entry_id) == col(ChronologyEntry.id)
        )
        .where(
            col(ChronologyEntry.family_id) == family.id,
            col(ChronologyEntry.deleted_at).is_(None),
        )
        .group_by(
            col(ChronologyEntryTheme.theme_id),
            year,
            month,
            col(ChronologyEntry.significance),
        )
    ).all()
    episodes = care_episodes(session, family=family)
    today = london_today()
    months = [int(y) * 12 + int(m) - 1 for _t, y, m, _g, _c in counted]
    months += [_month_index(episode.started_on) for episode in episodes]
    legend = [
        (SHAPES[min(position, 3)], FILLS[min(position, 3)], grade.label)
        for position, grade in enumerate(grades)
    ]
    if not counted:
        return Timeline(
            width=WIDTH,
            height=TOP,
            plot_left=LABEL_WIDTH,
            plot_right=WIDTH - RIGHT_MARGIN,
            start=None,
            end=None,
            ticks=[],
            lanes=[],
            care_rows=[],
            legend=legend,
            table=[],
            grade_labels=[grade.label for grade in grades],
            episodes=[],
        )
    first_month = min(months)
    last_month = max(*months, _month_index(today)) if episodes else max(months)
    # Whole years either side, so the axis starts and ends on a year.
    start_month = first_month - first_month % 12
    end_month = last_month - last_month % 12 + 12
    span = end_month - start_month
    plot_left, plot_right = LABEL_WIDTH, WIDTH - RIGHT_MARGIN

    def x_of_month(index: float) -> float:
        return round(plot_left + (index - start_month) / span * (plot_right - plot_left), 1)

    def x_of_day(value: date) -> float:
        return x_of_month(_month_index(value) + (value.day - 1) / 31)

    # Care rows first, then a lane per theme in content order, then entries with no theme.
    care_rows: list[CareRow] = []
    y = TOP
    by_child: dict[uuid.UUID, list[Episode]] = {}
    for episode in episodes:
        by_child.setdefault(episode.child_id, []).append(episode)
    for child_episodes in by_child.values():
        bands = []
        for episode in child_episodes:
            start_x = x_of_day(episode.started_on)
            end_x = x_of_day(episode.ended_on or today)
            name, since = episode.child_name, format_date(episode.started_on)
            if episode.kind == "care" and episode.ended_on is None:
                label = f"{name} in care since {since}"
            elif episode.kind == "care":
                label = f"{name} in care from {since} to {episode.end}"
            else:
                until = f" to {episode.end}" if episode.ended_on else ""
                label = f"{name} home from {since}{until}: {episode.outcome}"
            bands.append(
                Band(
                    x=start_x,
                    width=max(2.0, end_x - start_x),
                    y=y,
                    kind=episode.kind,
                    label=label,
                    broke_down=episode.broke_down,
                    end_x=end_x,
                )
            )
        care_rows.append(CareRow(child_episodes[0].child_name, y, bands))
        y += CARE_ROW_HEIGHT
    if care_rows:
        y += 10

    # A mark per month over a few years; per quarter, or per year, over longer histories, so
    # that marks stay apart and readable.
    months_per_mark = 1 if span <= 60 else (3 if span <= 180 else 12)

    def period(index: int) -> str:
        first = date(index // 12, index % 12 + 1, 1)
        if months_per_mark == 12:
            return str(first.year)
        if months_per_mark == 3:
            last = date(index // 12, index % 12 + 3, 1)
            return f"{first:%b}–{last:%b %Y}"
        return f"{first:%B %Y}"

    grouped: dict[str, dict[tuple[int, str], int]] = {}
    for theme_id, in_year, in_month, grade, count in counted:
        month_index = int(in_year) * 12 + int(in_month) - 1
        key = (month_index - month_index % months_per_mark, grade)
        # Entries with no theme come back with a NULL theme (the outer join).
        cell = grouped.setdefault(theme_id or NO_THEME, {})
        cell[key] = cell.get(key, 0) + count
    order = in_content_order((t for t in grouped if t != NO_THEME), theme_labels)
    if NO_THEME in grouped:
        order.append(NO_THEME)
    lanes: list[Lane] = []
    table: list[TableRow] = []
    for theme_id in order:
        label = theme_labels.get(theme_id, theme_id) if theme_id else "No theme"
        marks = []
        by_month: dict[int, list[int]] = {}
        for (index, grade), count in sorted(grouped[theme_id].items()):
            rank = grade_rank.get(grade, len(grades))
            # Grades sit on their own line within the lane, most serious at the top.
            offset = (min(rank, 3) - 1) * 9
            marks.append(
                Mark(
                    x=x_of_month(index + months_per_mark / 2),
                    y=y + LANE_HEIGHT / 2 + offset,
                    shape=SHAPES[min(rank, 3)],
                    fill=FILLS[min(rank, 3)],
                    count=count,
                    title=(
                        f"{label}, {period(index)}: {count} "
                        f"{'entry' if count == 1 else 'entries'}, "
                        f"{grades[rank].label if rank < len(grades) else grade}"
                    ),
                )
            )
            by_month.setdefault(index, [0] * len(grades))
            if rank < len(grades):
                by_month[index][rank] += count
        kind = polarity.get(theme_id, "none") if theme_id else "none"
        lanes.append(Lane(theme_id, label, kind, y, marks))
        table.extend(
            TableRow(theme_id, label, date(index // 12, index % 12 + 1, 1), period(index), counts)
            for index, counts in sorted(by_month.items())
        )
        y += LANE_HEIGHT

    step = 1 if span <= 12 * 12 else (2 if span <= 12 * 24 else 5)
    ticks = [
        Tick(x_of_month(index), str(index // 12))
        for index in range(start_month, end_month + 1, 12 * step)
    ]
    return Timeline(
        width=WIDTH,
        height=int(y + 30),
        plot_left=plot_left,
        plot_right=plot_right,
        start=date(start_month // 12, 1, 1),
        end=date(end_month // 12, 1, 1),
        ticks=ticks,
        lanes=lanes,
        care_rows=care_rows,
        legend=legend,
        table=table,
        grade_labels=[grade.label for grade in grades],
        episodes=episodes,
        period_name={1: "month", 3: "quarter", 12: "year"}[months_per_mark],
    )


def care_episodes(session: Session, *, family: Family) -> list[Episode]:
    """Each child's time in care and earlier returns home, children oldest first: what the
    timeline marks above its lanes and lists as a table."""
    children = session.exec(
        select(Child)
        .where(col(Child.family_id) == family.id, col(Child.deleted_at).is_(None))
        .order_by(col(Child.date_of_birth), col(Child.name))
    ).all()
    returns = session.exec(
        select(EarlierReturn)
        .where(
            col(EarlierReturn.child_id).in_([child.id for child in children]),
            col(EarlierReturn.deleted_at).is_(None),
        )
        .order_by(col(EarlierReturn.returned_on))
    ).all()
    returns_by_child: dict[uuid.UUID, list[EarlierReturn]] = {}
    for item in returns:
        returns_by_child.setdefault(item.child_id, []).append(item)
    earlier_by_child: dict[uuid.UUID, list[CareEpisode]] = {}
    for spell in families.care_episodes(session, [child.id for child in children]):
        earlier_by_child.setdefault(spell.child_id, []).append(spell)
    episodes: list[Episode] = []
    for child in children:
        # Every time in care and every return home, in the order they happened.
        mine = [
            Episode(child.id, child.name, "care", spell.started_on, spell.ended_on)
            for spell in earlier_by_child.get(child.id, [])
        ]
        mine.append(Episode(child.id, child.name, "care", child.date_entered_care, None))
        mine.extend(
            Episode(
                child.id,
                child.name,
                "home",
                item.returned_on,
                item.ended_on,
                broke_down=item.broke_down,
                return_id=item.id,
            )
            for item in returns_by_child.get(child.id, [])
        )
        episodes.extend(sorted(mine, key=lambda episode: episode.started_on))
    return episodes
