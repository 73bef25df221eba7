"""How things changed across the reviews: each goal's traffic light, each domain's goals (the
least progress among them) and the risk level, as small charts laid out here (server-side
SVG, no script) with the same figures as tables.

A chart never relies on colour: each step of a scale has its own shape, its place up the
chart, and its name in the legend, the chart's description and the table.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.content.model import FrameworkContent
from app.services.review_pack import ReviewHistory

# Shapes for the steps of a scale, best first (templates/components/chart.html draws them); a
# scale of n steps uses the first n - 1 and the last, so the worst step is always the square.
SHAPES = ("circle", "triangle", "diamond", "square")
# The GOV.UK palette for the content's colour names; every shape is also outlined in black.
PALETTE = {
    "grey": "#505a5f",
    "green": "#00703c",
    "turquoise": "#28a197",
    "blue": "#1d70b8",
    "purple": "#4c2c92",
    "pink": "#d53880",
    "red": "#d4351c",
    "orange": "#f47738",
    "yellow": "#ffdd00",
}
BEST, MIDDLE, WORST = PALETTE["green"], PALETTE["orange"], PALETTE["red"]
WIDTH, HEIGHT = 260, 140
LEFT, RIGHT, TOP, BOTTOM = 34, 34, 16, 30


@dataclass(frozen=True)
class Step:
    """One step of a scale (best first): its words, shape and colour."""

    label: str
    shape: str
    colour: str


@dataclass(frozen=True)
class Point:
    review: int
    step: int | None  # index into the scale; None when not rated at that review
    x: float
    y: float | None


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    points: tuple[Point, ...]
    scale: tuple[Step, ...]

    @property
    def description(self) -> str:
        parts = [
            f"Review {point.review}: "
            + (self.scale[point.step].label if point.step is not None else "not rated")
            for point in self.points
        ]
        return "; ".join(parts) + "."

    @property
    def line(self) -> str:
        """The SVG path joining the rated points in order."""
        rated = [point for point in self.points if point.y is not None]
        return " ".join(
            f"{'M' if index == 0 else 'L'}{point.x:.1f},{point.y:.1f}"
            for index, point in enumerate(rated)
        )

    @property
    def rows(self) -> tuple[float, ...]:
        """The y of each step's gridline, best at the top."""
        return tuple(_y(index, len(self.scale)) for index in range(len(self.scale)))


@dataclass(frozen=True)
class Trends:
    reviews: tuple[int, ...]
    light_scale: tuple[Step, ...]
    level_scale: tuple[Step, ...]
    goals: tuple[Chart, ...]
    domains: tuple[Chart, ...]
    level: Chart | None

    @property
    def ticks(self) -> tuple[tuple[int, float], ...]:
        return tuple(
            (number, _x(index, len(self.reviews))) for index, number in enumerate(self.reviews)
        )


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span / 2 if count <= 1 else span * index / (count - 1))


def _y(step: int, steps: int) -> float:
    span = HEIGHT - TOP - BOTTOM
    return TOP + (span / 2 if steps <= 1 else span * step / (steps - 1))


def scale(labels: list[str], colours: list[str] | None = None) -> tuple[Step, ...]:
    count = len(labels)
    if count <= len(SHAPES):
        shapes = [*SHAPES[: count - 1], SHAPES[-1]]
    else:  # more steps than shapes: their place up the chart and their names still differ
        shapes = [SHAPES[index % len(SHAPES)] for index in range(count)]
    result = []
    for index, label in enumerate(labels):
        if colours:
            colour = colours[index]
        else:
            colour = BEST if index == 0 else WORST if index == count - 1 else MIDDLE
        result.append(Step(label, shapes[index], colour))
    return tuple(result)


def _chart(
    chart_id: str,
    title: str,
    reviews: tuple[int, ...],
    steps: dict[int, int | None],
    scale_: tuple[Step, ...],
) -> Chart:
    points = tuple(
        Point(
            review=number,
            step=steps.get(number),
            x=_x(index, len(reviews)),
            y=_y(steps[number], len(scale_)) if steps.get(number) is not None else None,  # type: ignore[arg-type]
        )
        for index, number in enumerate(reviews)
    )
    return Chart(chart_id, title, points, scale_)


def trends(history: ReviewHistory, content: FrameworkContent) -> Trends:
    """The charts of every goal, every domain with goals, and the risk level, across every
    review that has recorded progress or a classification."""
    reviews = tuple(
        item.number
        for item in history.reviews
        if any(goal.light for goal in item.goals) or item.classification
    )
    light_scale = scale([light.label for light in history.lights])
    goals: dict[str, tuple[str, dict[int, int | None]]] = {}
    domains: dict[str, dict[int, int | None]] = {}
    for review in history.reviews:
        if review.number not in reviews:
            continue
        for goal in review.goals:
            title = (
                goal.title if goal.in_agreement else f"{goal.title} (no longer in the agreement)"
            )
            entry = goals.setdefault(goal.goal_id, (title, {}))
            rank = goal.light.rank if goal.light else None
            entry[1][review.number] = rank
            if goal.area and rank is not None:
                # A domain shows the least progress among its goals at each review.
                worst = domains.setdefault(goal.area, {})
                worst[review.number] = max(rank, worst.get(review.number) or 0)
    levels = sorted(content.levels, key=lambda level: level.rank)
    level_scale = scale(
        [level.label for level in levels], [PALETTE[level.colour] for level in levels]
    )
    ranks = {level.rank: index for index, level in enumerate(levels)}
    level_steps = {
        review.number: ranks.get(review.classification.level_rank)
        if review.classification and review.classification.level_rank is not None
        else None
        for review in history.reviews
        if review.number in reviews
    }
    return Trends(
        reviews=reviews,
        light_scale=light_scale,
        level_scale=level_scale,
        goals=tuple(
            _chart(f"goal-{index}", title, reviews, steps, light_scale)
            for index, (title, steps) in enumerate(goals.values(), start=1)
        ),
        domains=tuple(
            _chart(f"domain-{index}", area, reviews, steps, light_scale)
            for index, (area, steps) in enumerate(sorted(domains.items()), start=1)
        ),
        level=_chart("level", "Risk level", reviews, level_steps, level_scale)
        if any(step is not None for step in level_steps.values())
        else None,
    )
