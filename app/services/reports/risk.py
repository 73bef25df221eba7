"""Risk levels: the level agreed at each classification timepoint, how often practitioners
chose a level other than the suggestion (higher or lower), how often supervisors disagreed,
and which of the content's rules set the suggestions that practitioners moved away from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, literal, select, true
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col

from app.content.model import FrameworkContent
from app.models.assessment import Classification, ClassificationStatus
from app.services.reports.charts import bar_chart, coloured_series
from app.services.reports.document import Report, percent, plural, research
from app.services.reports.population import count_where
from app.services.reports.scope import Scope
from app.services.reports.sql import json_items
from app.services.reports.tables import Column, Kind, Row, Table, column_sums, row_sums, total_row

SLUG = "risk-levels"
TITLE = "Risk levels and overrides"
SUMMARY = (
    "Agreed risk levels, and how often practitioners and supervisors differed from the suggestion."
)
NO_RULE = "no-rule"
HIGHER, LOWER, SAME, UNKNOWN = "higher", "lower", "same", "unknown"


def _rank(content: FrameworkContent, level: Any) -> ColumnElement[Any]:
    return case({item.id: item.rank for item in content.levels}, value=level, else_=None)


def _direction(content: FrameworkContent, chosen: Any, compared: Any) -> ColumnElement[str]:
    """Whether `chosen` is a higher, lower or the same level as `compared`, by rank."""
    mine, theirs = _rank(content, chosen), _rank(content, compared)
    return case(
        (mine.is_(None) | theirs.is_(None), UNKNOWN),
        (mine > theirs, HIGHER),
        (mine < theirs, LOWER),
        else_=SAME,
    )


def build(session: Session, scope: Scope, content: FrameworkContent) -> Report:
    timepoints = [(item.id, item.label) for item in content.timepoints]
    levels = _levels(session, scope, content, timepoints)
    practitioners = _practitioners(session, scope, content, timepoints)
    supervisors = _supervisors(session, scope, content, timepoints)
    rules = _rules(session, scope, content)
    submitted = practitioners.rows[-1].values
    differed = int(submitted["higher"] or 0) + int(submitted["lower"] or 0)
    reviewed = supervisors.rows[-1].values
    headline = (
        f"Practitioners chose a level other than the suggestion in {differed} of "
        f"{plural(int(submitted['submitted'] or 0), 'classification')} "
        f"({percent(differed, int(submitted['submitted'] or 0))}); supervisors disagreed with "
        f"{reviewed['disagreed']} of {reviewed['reviewed']} they reviewed."
        if submitted["submitted"]
        else "No classification was submitted in the period."
    )
    level_keys = [item.id for item in content.levels]
    return Report(
        slug=SLUG,
        title=TITLE,
        scope=scope,
        headline=headline,
        chart=bar_chart(
            title="Agreed risk levels at each timepoint",
            description=(
                "For each classification timepoint, how many signed-off classifications were at "
                "each level."
            ),
            series=coloured_series(
                [(item.id, item.label, item.colour or "grey") for item in content.levels]
            ),
            groups=[
                (row.label, [("", {key: float(row.values.get(key) or 0) for key in level_keys})])
                for row in levels.rows
                if not row.total
            ],
        ),
        tables=(levels, practitioners, supervisors, rules),
        notes=(
            "Agreed levels: the level of each classification a supervisor signed off in the "
            "period, the latest for each family, timepoint and review.",
            "Practitioners' levels: every classification submitted in the period, including "
            "those later sent back, compared with the level the rules suggested.",
            "Supervisors: every classification reviewed in the period. A supervisor who "
            "disagreed chose a level of their own, higher, lower or the same.",
            "Rules: the rules that set each suggestion's level (a suggestion can have several, "
            "or none when no rule raised it above the default).",
        ),
        research=research(
            content,
            (
                "A level that was once high should come down only on evidence of change "
                "sustained for months, not on attendance at services.",
                "wilkins-farmer-2015",
            ),
        ),
    )


def _levels(
    session: Session, scope: Scope, content: FrameworkContent, timepoints: list[tuple[str, str]]
) -> Table:
    final = func.coalesce(
        col(Classification.supervisor_level), col(Classification.practitioner_level)
    )
    latest = (
        scope.counted(
            select(
                col(Classification.timepoint_id).label("timepoint"),
                final.label("level"),
                func.row_number()
                .over(
                    partition_by=(
                        col(Classification.family_id),
                        col(Classification.timepoint_id),
                        col(Classification.cycle),
                    ),
                    order_by=col(Classification.reviewed_at).desc(),
                )
                .label("position"),
            ),
            col(Classification.family_id),
        )
        .where(
            col(Classification.status) == ClassificationStatus.AGREED.value,
            *scope.during(col(Classification.reviewed_at)),
        )
        .subquery("latest")
    )
    counted = session.execute(
        select(latest.c.timepoint, latest.c.level, func.count())
        .where(latest.c.position == 1)
        .group_by(latest.c.timepoint, latest.c.level)
    ).all()
    level_keys = [item.id for item in content.levels]
    rows = _rows(timepoints, counted, level_keys)
    return Table(
        key="agreed-levels",
        caption="Agreed levels at each timepoint",
        row_heading="Timepoint",
        columns=(
            *[Column(item.id, item.label) for item in content.levels],
            Column("classifications", "Signed off"),
        ),
        rows=tuple(rows),
        sums=row_sums(rows, "classifications", level_keys)
        + column_sums(rows, [*level_keys, "classifications"]),
    )


def _rows(
    timepoints: list[tuple[str, str]],
    counted: Any,
    keys: list[str],
    total_key: str = "classifications",
) -> list[Row]:
    """Rows per timepoint (and any other timepoint found) from (timepoint, key, n) counts,
    with each row's total and a total row."""
    found = {timepoint for timepoint, _key, _n in counted}
    labels = dict(timepoints)
    order = [key for key, _ in timepoints] + sorted(found - set(labels))
    rows = []
    for timepoint in order:
        values: dict[str, int | float | str | None] = {
            key: sum(n for t, k, n in counted if t == timepoint and k == key) for key in keys
        }
        values[total_key] = sum(n for t, _k, n in counted if t == timepoint)
        rows.append(Row(timepoint, labels.get(timepoint) or str(timepoint), values))
    rows.append(total_row(rows, "All timepoints", [*keys, total_key]))
    return rows


def _practitioners(
    session: Session, scope: Scope, content: FrameworkContent, timepoints: list[tuple[str, str]]
) -> Table:
    direction = _direction(
        content, col(Classification.practitioner_level), col(Classification.suggested_level)
    )
    counted = session.execute(
        scope.counted(
            select(col(Classification.timepoint_id), direction, func.count()),
            col(Classification.family_id),
        )
        .where(*scope.during(col(Classification.submitted_at)))
        .group_by(col(Classification.timepoint_id), direction)
    ).all()
    keys = [SAME, HIGHER, LOWER, UNKNOWN]
    rows = _rows(timepoints, counted, keys, "submitted")
    rows = [
        Row(
            row.key,
            row.label,
            {**row.values, "differed": int(row.values[HIGHER] or 0) + int(row.values[LOWER] or 0)},
            row.total,
        )
        for row in rows
    ]
    return Table(
        key="practitioners",
        caption="Practitioners' levels against the suggestion",
        row_heading="Timepoint",
        columns=(
            Column("submitted", "Submitted"),
            Column(SAME, "As suggested"),
            Column(HIGHER, "Higher than suggested"),
            Column(LOWER, "Lower than suggested"),
            Column(UNKNOWN, "Level no longer in the framework"),
            Column("differed", "Different from the suggestion"),
            Column("share", "Share different", Kind.PERCENT, of=("differed", "submitted")),
        ),
        rows=tuple(rows),
        sums=row_sums(rows, "submitted", keys)
        + row_sums(rows, "differed", [HIGHER, LOWER])
        + column_sums(rows, [*keys, "submitted", "differed"]),
    )


def _supervisors(
    session: Session, scope: Scope, content: FrameworkContent, timepoints: list[tuple[str, str]]
) -> Table:
    direction = _direction(
        content, col(Classification.supervisor_level), col(Classification.practitioner_level)
    )
    outcome = case(
        (col(Classification.supervisor_agrees).is_(True), "agreed"),
        else_=literal("disagreed-") + direction,
    )
    counted = session.execute(
        scope.counted(
            select(col(Classification.timepoint_id), outcome, func.count()),
            col(Classification.family_id),
        )
        .where(
            col(Classification.status).in_(
                [ClassificationStatus.AGREED.value, ClassificationStatus.DISAGREED.value]
            ),
            *scope.during(col(Classification.reviewed_at)),
        )
        .group_by(col(Classification.timepoint_id), outcome)
    ).all()
    parts = ["agreed", *[f"disagreed-{key}" for key in (HIGHER, LOWER, SAME, UNKNOWN)]]
    rows = _rows(timepoints, counted, parts, "reviewed")
    rows = [
        Row(
            row.key,
            row.label,
            {**row.values, "disagreed": sum(int(row.values[key] or 0) for key in parts[1:])},
            row.total,
        )
        for row in rows
    ]
    return Table(
        key="supervisors",
        caption="Supervisors' reviews of practitioners' levels",
        row_heading="Timepoint",
        columns=(
            Column("reviewed", "Reviewed"),
            Column("agreed", "Agreed"),
            Column("disagreed", "Disagreed"),
            Column(f"disagreed-{HIGHER}", "Disagreed: higher level"),
            Column(f"disagreed-{LOWER}", "Disagreed: lower level"),
            Column(f"disagreed-{SAME}", "Disagreed: same level"),
            Column(f"disagreed-{UNKNOWN}", "Disagreed: level no longer in the framework"),
            Column("share", "Share disagreed", Kind.PERCENT, of=("disagreed", "reviewed")),
        ),
        rows=tuple(rows),
        sums=row_sums(rows, "reviewed", ["agreed", "disagreed"])
        + row_sums(rows, "disagreed", parts[1:])
        + column_sums(rows, [*parts, "reviewed", "disagreed"]),
    )


def rule_titles(content: FrameworkContent) -> dict[str, str]:
    titles = {rule.id: rule.title for rule in content.rules.minimum_levels}
    # A suggestion lowered by lasting change is set by the step down (content 1.3.0 on).
    titles.update({step.id: step.title for step in content.rules.step_downs})
    titles.update({tool.id: tool.title for tool in content.rules.scored_tools})
    return titles


def _rules(session: Session, scope: Scope, content: FrameworkContent) -> Table:
    dialect = session.get_bind().dialect.name
    items = json_items(Classification.level_set_by, None, dialect)
    rule = func.coalesce(items.c.value, NO_RULE)
    practitioner = _direction(
        content, col(Classification.practitioner_level), col(Classification.suggested_level)
    )
    counted = session.execute(
        scope.counted(
            select(
                rule,
                func.count(),
                count_where(practitioner == HIGHER),
                count_where(practitioner == LOWER),
                count_where(col(Classification.supervisor_agrees).is_(False)),
            ).select_from(Classification),
            col(Classification.family_id),
        )
        .outerjoin(items, true())
        .where(*scope.during(col(Classification.submitted_at)))
        .group_by(rule)
    ).all()
    titles = rule_titles(content)
    rows = [
        Row(
            str(key),
            "No rule: the default level" if key == NO_RULE else titles.get(str(key), str(key)),
            {
                "submitted": int(n),
                HIGHER: int(higher),
                LOWER: int(lower),
                "differed": int(higher) + int(lower),
                "disagreed": int(disagreed),
            },
        )
        for key, n, higher, lower, disagreed in counted
    ]
    rows.sort(key=lambda row: (-int(row.values["differed"] or 0), row.label))
    return Table(
        key="by-rule",
        caption="Suggestions by the rule that set their level",
        row_heading="Rule",
        columns=(
            Column("submitted", "Suggestions it set"),
            Column(HIGHER, "Practitioner chose higher"),
            Column(LOWER, "Practitioner chose lower"),
            Column("differed", "Different from the suggestion"),
            Column("share", "Share different", Kind.PERCENT, of=("differed", "submitted")),
            Column("disagreed", "Supervisor disagreed"),
        ),
        rows=tuple(rows),
        sums=row_sums(rows, "differed", [HIGHER, LOWER]),
    )
