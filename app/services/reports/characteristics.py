"""The characteristics research links to returns that break down, against what happened: for
children who went home in the period, with and without each characteristic (aged over 10,
an earlier return that broke down, accommodated under section 20, in care because of
neglect), how many came back into care within the chosen window; and by how many of the four
they had."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, exists, or_, select
from sqlmodel import Session, col

from app.content.model import FrameworkContent
from app.models.family import EarlierReturn
from app.services.reports import population
from app.services.reports.charts import Series, bar_chart
from app.services.reports.document import Report, research
from app.services.reports.population import BACK, OBSERVING, OBSERVING_BACK, STAYED
from app.services.reports.scope import Scope
from app.services.reports.sql import months_between
from app.services.reports.stability import window_label
from app.services.reports.tables import TOTAL, Column, Kind, Row, Sum, Table, row_sums

SLUG = "characteristics"
TITLE = "Characteristics and outcomes"
SUMMARY = (
    "Age over 10, earlier failed returns, section 20 and neglect, against coming back into care."
)
# The legal status and reason for care the research names, as content vocabulary ids.
SECTION_20 = "s20"
NEGLECT = "neglect"
OVER_10_MONTHS = 11 * 12  # "over 10", as the content's rule reads it: 11 or older
CHARACTERISTICS = (
    ("older", "Aged over 10 when they went home", "Aged 10 or under"),
    ("earlier", "An earlier return home broke down", "No earlier return broke down"),
    ("s20", "Accommodated by agreement (section 20)", "Under another legal status"),
    ("neglect", "Came into care because of neglect", "Came into care for another reason"),
)
HOW_MANY = (("0", "None of the four"), ("1", "One of them"), ("2", "Two or more"))
COUNTED = ("children", "followed", "back", "stayed", "observing")


def _flags(scope: Scope) -> Any:
    rows = population.returns(scope)
    back = population.back_in_care()
    broke_down = or_(
        exists().where(
            col(EarlierReturn.child_id) == rows.c.child_id,
            col(EarlierReturn.deleted_at).is_(None),
            col(EarlierReturn.broke_down).is_(True),
        ),
        exists().where(back.c.child_id == rows.c.child_id, back.c.on <= rows.c.returned_on),
    )
    flags = {
        "older": months_between(rows.c.born, rows.c.returned_on) >= OVER_10_MONTHS,
        "earlier": broke_down,
        "s20": rows.c.legal_status == SECTION_20,
        "neglect": rows.c.entry_reason == NEGLECT,
    }
    as_numbers: dict[str, Any] = {
        key: case((condition, 1), else_=0) for key, condition in flags.items()
    }
    # Worked out once per return: PostgreSQL would otherwise inline the lookups into each of
    # the counts below that reads a flag.
    return (
        select(
            population.standing(rows, scope.window).label("standing"),
            *[value.label(key) for key, value in as_numbers.items()],
            sum(as_numbers.values()).label("how_many"),
        )
        .cte("flags")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )


def _counts(flags: Any, condition: Any) -> list[Any]:
    standing = flags.c.standing
    return [
        population.count_where(condition),
        population.count_where(and_(condition, standing.in_([BACK, STAYED]))),
        population.count_where(and_(condition, standing == BACK)),
        population.count_where(and_(condition, standing == STAYED)),
        population.count_where(and_(condition, standing.in_([OBSERVING, OBSERVING_BACK]))),
    ]


def _columns(months: int) -> tuple[Column, ...]:
    name = window_label(months)
    return (
        Column("children", "Children who went home"),
        Column("followed", f"Followed for {name}"),
        Column("back", f"Back in care within {name}"),
        Column("stayed", "Stayed home"),
        Column("rate", "Back in care, of those followed", Kind.PERCENT, of=("back", "followed")),
        Column("observing", "Still under observation"),
    )


def build(session: Session, scope: Scope, content: FrameworkContent) -> Report:
    flags = _flags(scope)
    selected: list[Any] = []
    for key, _with, _without in CHARACTERISTICS:
        selected += _counts(flags, flags.c[key] == 1)
        selected += _counts(flags, flags.c[key] == 0)
    for key, _label in HOW_MANY:
        condition = flags.c.how_many >= 2 if key == "2" else flags.c.how_many == int(key)
        selected += _counts(flags, condition)
    selected += _counts(flags, flags.c.how_many >= 0)
    numbers = [int(n) for n in session.execute(select(*selected)).one()]
    chunks = [
        dict(zip(COUNTED, numbers[n : n + len(COUNTED)], strict=True))
        for n in range(0, len(numbers), len(COUNTED))
    ]
    total = Row(TOTAL, "All returns home", chunks[-1], total=True)
    rows: list[Row] = []
    sums: list[Sum] = []
    for position, (key, with_label, without_label) in enumerate(CHARACTERISTICS):
        pair = (
            Row(f"{key}-yes", with_label, chunks[2 * position]),
            Row(f"{key}-no", without_label, chunks[2 * position + 1]),
        )
        rows += pair
        sums += [
            Sum((TOTAL, column), tuple((row.key, column) for row in pair)) for column in COUNTED
        ]
    rows.append(total)
    offset = 2 * len(CHARACTERISTICS)
    how_many = [
        Row(f"count-{key}", label, chunks[offset + n]) for n, (key, label) in enumerate(HOW_MANY)
    ]
    how_many.append(total)
    columns = _columns(scope.window)
    by_characteristic = Table(
        key="by-characteristic",
        caption=f"Back in care within {window_label(scope.window)}, with and without each "
        "characteristic",
        row_heading="Children",
        columns=columns,
        rows=tuple(rows),
        sums=tuple(sums)
        + row_sums(rows, "children", ["back", "stayed", "observing"])
        + row_sums(rows, "followed", ["back", "stayed"]),
    )
    by_count = Table(
        key="by-number",
        caption=f"Back in care within {window_label(scope.window)}, by how many of the four "
        "characteristics the child had",
        row_heading="Characteristics",
        columns=columns,
        rows=tuple(how_many),
        sums=tuple(
            Sum((TOTAL, column), tuple((row.key, column) for row in how_many[:-1]))
            for column in COUNTED
        )
        + row_sums(how_many, "children", ["back", "stayed", "observing"])
        + row_sums(how_many, "followed", ["back", "stayed"]),
    )
    headline = _headline(chunks[-1], chunks[offset], chunks[offset + 2], scope.window)
    return Report(
        slug=SLUG,
        title=TITLE,
        scope=scope,
        headline=headline,
        chart=bar_chart(
            title=f"Back in care within {window_label(scope.window)}, with and without each "
            "characteristic",
            description=(
                "For each characteristic, the share of children back in care within the window "
                "among those who had it and among those who did not, of those followed that long."
            ),
            series=(
                Series("with", "With the characteristic", "#d4351c", "hatch"),
                Series("without", "Without it", "#1d70b8", "solid"),
            ),
            groups=[
                (
                    with_label,
                    [
                        ("With it", {"with": _share(chunks[2 * n])}),
                        ("Without it", {"without": _share(chunks[2 * n + 1])}),
                    ],
                )
                for n, (_key, with_label, _without) in enumerate(CHARACTERISTICS)
            ],
            unit="%",
            maximum=100,
            stacked=False,
        ),
        tables=(by_characteristic, by_count),
        notes=(
            "Each child's return home in the period counts once. Age is the child's age on "
            "the day they went home; the legal status is the one recorded with the return.",
            "An earlier return broke down when the child's record lists one that did, or when "
            "they came back into care after an earlier return recorded here.",
            "Back in care and still under observation are counted as in the stability report: "
            "a child counts as having stayed home only once followed for the whole window.",
        ),
        research=research(
            content,
            (
                "Returns of children over 10, and of children with an earlier return that broke "
                "down, are more likely to break down.",
                "cheek-2016",
            ),
            (
                "Returns of children accommodated under section 20 were less stable in the "
                "national study.",
                "larsson-2022",
            ),
            (
                "Children who came into care because of neglect fared worst after going home, "
                "even where the return lasted.",
                "wade-2010",
            ),
        ),
    )


def _headline(
    every: dict[str, int], none: dict[str, int], several: dict[str, int], months: int
) -> str:
    name = window_label(months)
    if not every["followed"]:
        return f"No child who went home in the period has been followed for {name} yet."
    if none["followed"] and several["followed"]:
        return (
            f"Of the children followed for {name} after going home, {_rate(several)} of those "
            f"with two or more of the four characteristics came back into care within that "
            f"time, against {_rate(none)} of those with none."
        )
    return (
        f"Of {every['followed']} children followed for {name} after going home, "
        f"{every['back']} ({_rate(every)}) came back into care within that time."
    )


def _share(values: dict[str, int]) -> float | None:
    return 100 * values["back"] / values["followed"] if values["followed"] else None


def _rate(values: dict[str, int]) -> str:
    share = _share(values)
    return "none followed yet" if share is None else f"{round(share)}%"
