"""Horizontal bar charts for reports, laid out here and drawn as SVG by a template
(templates/components/report-chart.html), as the chronology timeline is.

A chart is groups of bars (a cohort, a team, a type of return), each bar made of one or more
segments (a level, a review status). Series are told apart by pattern as well as colour, and
every bar has its value written beside it and a title, so nothing depends on colour alone;
the report's tables under the chart hold the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 900
LABEL_WIDTH = 250
VALUE_SPACE = 190  # room for the value (and what the bar is) written after the longest bar
TOP = 34
BAR_HEIGHT = 22
BAR_GAP = 4
GROUP_GAP = 16

# GOV.UK colours with a pattern each, for series that are not levels.
PALETTE = (
    ("#1d70b8", "solid"),
    ("#f47738", "hatch"),
    ("#00703c", "dots"),
    ("#4c2c92", "cross"),
    ("#505a5f", "solid"),
    ("#d4351c", "hatch"),
)
# The content's level colours (levels.yaml), as GOV.UK colours.
NAMED_COLOURS = {
    "green": "#00703c",
    "yellow": "#ffdd00",
    "orange": "#f47738",
    "red": "#d4351c",
    "blue": "#1d70b8",
    "purple": "#4c2c92",
    "grey": "#505a5f",
}
PATTERNS = ("solid", "hatch", "dots", "cross")


@dataclass(frozen=True)
class Series:
    key: str
    label: str
    fill: str
    pattern: str = "solid"


def series(keys_and_labels: Sequence[tuple[str, str]]) -> tuple[Series, ...]:
    """Series in the house palette, in order."""
    return tuple(
        Series(key, label, *PALETTE[position % len(PALETTE)])
        for position, (key, label) in enumerate(keys_and_labels)
    )


def coloured_series(items: Sequence[tuple[str, str, str]]) -> tuple[Series, ...]:
    """Series with named colours (a level's colour), each with its own pattern too."""
    return tuple(
        Series(key, label, NAMED_COLOURS.get(colour, "#505a5f"), PATTERNS[n % len(PATTERNS)])
        for n, (key, label, colour) in enumerate(items)
    )


@dataclass(frozen=True)
class Segment:
    key: str  # the series
    x: float
    width: float
    fill: str
    pattern: str
    title: str


@dataclass(frozen=True)
class Bar:
    label: str  # the series or measure, when a group has several bars
    y: float
    segments: tuple[Segment, ...]
    value_x: float
    value_label: str


@dataclass(frozen=True)
class Group:
    label: str
    y: float  # where its label sits
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Tick:
    x: float
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    width: int
    height: int
    plot_left: int
    plot_right: int
    groups: tuple[Group, ...]
    ticks: tuple[Tick, ...]
    series: tuple[Series, ...]
    bar_height: int = BAR_HEIGHT

    @property
    def empty(self) -> bool:
        return not self.groups


# What a caller gives: groups of (group label, bars), each bar (bar label, {series key: value}),
# and how to write a value ("12", "34%", "56 days").
BarValues = tuple[str, dict[str, float | None]]


def _nice_maximum(value: float) -> float:
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    for step in (1.0, 2.0, 2.5, 5.0, 10.0):
        if value <= step * power:
            return step * power
    return 10.0 * power


def bar_chart(
    *,
    title: str,
    description: str,
    series: Sequence[Series],
    groups: Sequence[tuple[str, Sequence[BarValues]]],
    unit: str = "",
    maximum: float | None = None,
    stacked: bool = True,
) -> Chart:
    """Lay out the bars. With `stacked`, a bar's series sit end to end and its value is their
    total; otherwise each bar has one series. `maximum` fixes the scale (100 for percentages);
    None values are left out (a figure not known yet) and say so in the bar's title."""
    totals = [
        sum(value or 0 for value in values.values())
        for _label, bars in groups
        for _bar, values in bars
    ]
    top = maximum if maximum is not None else _nice_maximum(max(totals, default=0))
    plot_left, plot_right = LABEL_WIDTH, WIDTH - VALUE_SPACE
    scale = (plot_right - plot_left) / top
    by_key = {item.key: item for item in series}
    laid_out: list[Group] = []
    y = float(TOP)
    for group_label, bars in groups:
        group_y = y
        drawn: list[Bar] = []
        for bar_label, values in bars:
            x = float(plot_left)
            segments = []
            known = [value for value in values.values() if value is not None]
            for key, value in values.items():
                item = by_key[key]
                if value is None or value <= 0:
                    continue
                width = round(value * scale, 1)
                segments.append(
                    Segment(
                        key=item.key,
                        x=round(x, 1),
                        width=width,
                        fill=item.fill,
                        pattern=item.pattern,
                        title=f"{group_label}, {item.label}: {_format(value, unit)}",
                    )
                )
                x += width
            total = sum(known) if known else None
            # Beside each of several bars, what it is as well as its value: the reader need not
            # tell the bars apart by colour.
            name = bar_label or (by_key[next(iter(values))].label if len(values) == 1 else "")
            shown = _format(total, unit) if stacked or len(values) == 1 else ""
            if shown and name and len(bars) > 1:
                shown = f"{shown}: {name}"
            drawn.append(
                Bar(
                    label=bar_label,
                    y=y,
                    segments=tuple(segments),
                    value_x=round(x + 6, 1),
                    value_label=shown,
                )
            )
            y += BAR_HEIGHT + BAR_GAP
        laid_out.append(Group(label=group_label, y=group_y, bars=tuple(drawn)))
        y += GROUP_GAP - BAR_GAP
    steps = 4
    ticks = tuple(
        Tick(
            round(plot_left + (plot_right - plot_left) * n / steps, 1),
            _format(top * n / steps, unit),
        )
        for n in range(steps + 1)
    )
    return Chart(
        title=title,
        description=description,
        width=WIDTH,
        height=int(y + 14),
        plot_left=plot_left,
        plot_right=plot_right,
        groups=tuple(laid_out),
        ticks=ticks,
        series=tuple(series),
    )


def _format(value: float | None, unit: str) -> str:
    if value is None:
        return "not known yet"
    shown = f"{value:.0f}"
    if unit == "%":
        return f"{shown}%"
    return f"{shown} {unit}".strip()
