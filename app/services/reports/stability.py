"""Stability: how many children came back into care within 3, 12 and 24 months of going home,
by cohort (the financial year or quarter they went home in), and by type of return.

Only children followed for the whole window count as having stayed home: a child who went
home two months ago is still under observation for every window, even if nothing has gone
wrong; one who has already come back into care is shown as such among them, but the rate is
worked out over the children followed for the whole window only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.sql.expression import Subquery
from sqlmodel import Session

from app.content.model import FrameworkContent
from app.services.reports import population
from app.services.reports.charts import Series, bar_chart
from app.services.reports.document import Report, percent, plural, research
from app.services.reports.population import BACK, OBSERVING, OBSERVING_BACK, STAYED
from app.services.reports.returns_home import KINDS, PLANNED, UNPLANNED, WITHOUT_PR
from app.services.reports.scope import Scope
from app.services.reports.sql import financial_year, quarter_index
from app.services.reports.tables import Column, Kind, Row, Table, column_sums, row_sums, total_row

SLUG = "stability"
TITLE = "Stability after going home"
SUMMARY = "Children back in care within 3, 12 and 24 months of going home, by when they went home."
WINDOWS = (3, 12, 24)
STANDINGS = (BACK, STAYED, OBSERVING, OBSERVING_BACK)
# Published rates of coming back into care within 3, 12 and 24 months of going home.
NATIONAL = {3: 12, 12: 20, 24: 22}
WINDOW_FILLS = {3: ("#1d70b8", "solid"), 12: ("#f47738", "hatch"), 24: ("#4c2c92", "dots")}
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def window_label(months: int) -> str:
    return f"{months} months" if months != 24 else "2 years"


def cohort_label(index: int, cohort: str) -> str:
    if cohort == "quarter":
        year, quarter = divmod(index, 4)
        first = MONTHS[quarter * 3]
        last = MONTHS[quarter * 3 + 2]
        return f"{first} to {last} {year}"
    return f"April {index} to March {index + 1}"


def _counts(rows: Subquery) -> list[Any]:
    """Per window and standing, the number of returns in it; then the number of returns."""
    columns = []
    for months in WINDOWS:
        standing = population.standing(rows, months)
        columns += [population.count_where(standing == name) for name in STANDINGS]
    return [*columns, func.count()]


def _values(numbers: tuple[int, ...]) -> dict[str, int]:
    values: dict[str, int] = {}
    for position, months in enumerate(WINDOWS):
        part = numbers[position * len(STANDINGS) : (position + 1) * len(STANDINGS)]
        counted = dict(zip(STANDINGS, (int(n) for n in part), strict=True))
        values[f"back_{months}"] = counted[BACK]
        values[f"stayed_{months}"] = counted[STAYED]
        values[f"followed_{months}"] = counted[BACK] + counted[STAYED]
        values[f"observing_{months}"] = counted[OBSERVING] + counted[OBSERVING_BACK]
        values[f"observing_back_{months}"] = counted[OBSERVING_BACK]
    values["children"] = int(numbers[-1])
    return values


EMPTY = _values((0,) * (len(WINDOWS) * len(STANDINGS) + 1))


def _window_table(months: int, rows: list[Row], heading: str) -> Table:
    name = window_label(months)
    keys = {
        key: f"{key}_{months}"
        for key in ("back", "stayed", "followed", "observing", "observing_back")
    }
    # Each window's table shows that window's columns of the shared rows.
    own = [
        Row(
            row.key,
            row.label,
            {"children": row.values["children"], **{key: row.values[k] for key, k in keys.items()}},
            total=row.total,
        )
        for row in rows
    ]
    return Table(
        key=f"within-{months}-months",
        caption=f"Back in care within {name} of going home",
        row_heading=heading,
        columns=(
            Column("children", "Children who went home"),
            Column("followed", f"Followed for {name}"),
            Column("back", "Back in care"),
            Column("stayed", "Stayed home"),
            Column(
                "rate", "Back in care, of those followed", Kind.PERCENT, of=("back", "followed")
            ),
            Column("observing", "Still under observation"),
            Column("observing_back", "Of whom already back in care"),
        ),
        rows=tuple(own),
        sums=row_sums(own, "children", ["back", "stayed", "observing"])
        + row_sums(own, "followed", ["back", "stayed"])
        + column_sums(
            own, ["children", "followed", "back", "stayed", "observing", "observing_back"]
        ),
    )


def build(session: Session, scope: Scope, content: FrameworkContent) -> Report:
    rows = population.returns(scope)
    index = (
        quarter_index(rows.c.returned_on)
        if scope.cohort == "quarter"
        else financial_year(rows.c.returned_on)
    )
    by_cohort = session.execute(select(index, *_counts(rows)).group_by(index).order_by(index)).all()
    cohorts = [
        Row(str(int(key)), cohort_label(int(key), scope.cohort), _values(tuple(numbers)))
        for key, *numbers in by_cohort
    ]
    total = total_row(cohorts, "All returns home", EMPTY)
    cohorts.append(total)
    heading = "Went home in"
    tables = [_window_table(months, cohorts, heading) for months in WINDOWS]
    tables.append(_by_kind(session, rows))
    return Report(
        slug=SLUG,
        title=TITLE,
        scope=scope,
        headline=_headline(total.values),  # type: ignore[arg-type]
        chart=bar_chart(
            title="Children back in care after going home",
            description=(
                "For each group of children by when they went home, the share back in care "
                "within 3 months, 12 months and 2 years, of those followed that long; "
                "published figures for England last."
            ),
            series=tuple(
                Series(f"w{months}", f"Within {window_label(months)}", *WINDOW_FILLS[months])
                for months in WINDOWS
            ),
            groups=[
                (
                    row.label,
                    [
                        (
                            f"Within {window_label(months)}",
                            {f"w{months}": _rate(row.values, months)},  # type: ignore[arg-type]
                        )
                        for months in WINDOWS
                    ],
                )
                for row in cohorts
                if not row.total
            ]
            + [
                (
                    "England (published studies)",
                    [
                        (f"Within {window_label(months)}", {f"w{months}": NATIONAL[months]})
                        for months in WINDOWS
                    ],
                )
            ],
            unit="%",
            maximum=100,
            stacked=False,
        ),
        tables=tuple(tables),
        notes=(
            "A child counts as back in care from the first date after going home that they "
            "came back into care, recorded during monitoring, after the case closed, or as "
            "their outcome at closure.",
            "A child counts as having stayed home only once they have been followed for the "
            "whole period: until then they are still under observation, even if all is well. "
            "The rate is worked out over the children followed that long.",
            "A child whose case closed with another outcome (for example moving away) is "
            "followed until the case closed.",
            f"Counted on {scope.today.day} {MONTHS[scope.today.month - 1]} {scope.today.year}.",
        ),
        research=research(
            content,
            (
                "In England, 12% of children who go home are back in care within 3 months, 20% "
                "within a year and 35% within six years.",
                "ford-mckay-2024",
            ),
            (
                "Of children who went home in 2015/16, 22% were back in care within two years: "
                "30% after an unplanned return, 21% after a planned one, and 14% of those who "
                "went to someone without parental responsibility.",
                "larsson-2022",
            ),
            (
                "Only 39% of councils analyse whether children who go home stay home.",
                "ford-mckay-2024",
            ),
        ),
    )


def _rate(values: dict[str, int], months: int) -> float | None:
    followed = values[f"followed_{months}"]
    return 100 * values[f"back_{months}"] / followed if followed else None


def _headline(values: dict[str, int]) -> str:
    children = values["children"]
    if not children:
        return "No child went home in the period."
    followed, back = values["followed_12"], values["back_12"]
    if not followed:
        return (
            f"{plural(children, 'child', 'children')} went home in the period; none has been "
            "followed for 12 months yet."
        )
    return (
        f"Of {plural(followed, 'child', 'children')} followed for 12 months after going home, "
        f"{back} ({percent(back, followed)}) came back into care within that time; "
        f"{values['observing_12']} more are still under observation."
    )


def _by_kind(session: Session, rows: Subquery) -> Table:
    kind = case(
        (rows.c.with_pr.is_(False), WITHOUT_PR),
        (rows.c.planned.is_(True), PLANNED),
        else_=UNPLANNED,
    )
    counted = {
        key: _values(tuple(numbers))
        for key, *numbers in session.execute(select(kind, *_counts(rows)).group_by(kind)).all()
    }
    table_rows = [Row(key, label, counted.get(key, EMPTY)) for key, label in KINDS]
    table_rows.append(total_row(table_rows, "All returns home", EMPTY))
    columns: list[Column] = [Column("children", "Children who went home")]
    for months in WINDOWS:
        name = window_label(months)
        columns += [
            Column(f"followed_{months}", f"Followed for {name}"),
            Column(f"back_{months}", f"Back in care within {name}"),
            Column(
                f"rate_{months}",
                f"Rate within {name}",
                Kind.PERCENT,
                of=(f"back_{months}", f"followed_{months}"),
            ),
        ]
    return Table(
        key="by-type",
        caption="Back in care by type of return",
        row_heading="Type of return",
        columns=tuple(columns),
        rows=tuple(table_rows),
        sums=column_sums(table_rows, [c.key for c in columns if c.kind is Kind.COUNT]),
    )
