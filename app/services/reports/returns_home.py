"""Returns home by type: planned or unplanned to a parent with parental responsibility, or to
someone without it (the Department for Education's three kinds of reunification), then by the
content's own types of return, and by team."""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.sql.expression import Subquery
from sqlmodel import Session, col

from app.content.journey import shape
from app.content.model import FrameworkContent
from app.content.schema import ReturnsSection
from app.models.accounts import Team
from app.services.reports import population
from app.services.reports.charts import Series, bar_chart
from app.services.reports.document import Report, percent, plural, research
from app.services.reports.scope import Scope
from app.services.reports.tables import (
    TOTAL,
    Column,
    Kind,
    Row,
    Table,
    column_sums,
    row_sums,
    total_row,
)

SLUG = "returns-home"
TITLE = "Returns home by type"
SUMMARY = (
    "Children who went home: planned, unplanned, or to someone without parental responsibility."
)
PLANNED, UNPLANNED, WITHOUT_PR = "planned", "unplanned", "without-pr"
KINDS = (
    (PLANNED, "Planned, to a parent with parental responsibility"),
    (UNPLANNED, "Unplanned, to a parent with parental responsibility"),
    (WITHOUT_PR, "To someone without parental responsibility"),
)
# Larsson et al. 2022: children reunified in England in 2015/16.
NATIONAL = {PLANNED: 69, UNPLANNED: 17, WITHOUT_PR: 14}


def return_types(content: FrameworkContent) -> dict[str, str]:
    """The content's types of return, id to label."""
    section_id = shape(content).returns_section
    section = content.sections[section_id].section if section_id else None
    if not isinstance(section, ReturnsSection):
        return {}
    return {option.id: option.label for option in section.return_types}


def build(session: Session, scope: Scope, content: FrameworkContent) -> Report:
    rows = population.returns(scope)
    kind = case(
        (rows.c.with_pr.is_(False), WITHOUT_PR),
        (rows.c.planned.is_(True), PLANNED),
        else_=UNPLANNED,
    )
    counted = dict(session.execute(select(kind, func.count()).group_by(kind)).all())
    total = sum(counted.values())
    by_kind = _by_kind(counted, total)
    by_type = _by_content_type(session, rows, content)
    tables = [by_kind, by_type]
    if scope.team_ids is None or len(scope.team_ids) > 1:
        tables.append(_by_team(session, rows, kind))
    chart = bar_chart(
        title="Share of returns home by type",
        description=(
            "For each type of return, the share of this council's returns home in the period "
            "beside the share in England in 2015/16."
        ),
        series=(
            Series("here", f"{scope.team_name}, this period", "#1d70b8", "solid"),
            Series("national", "England, 2015/16", "#505a5f", "hatch"),
        ),
        groups=[
            (
                label,
                [
                    ("", {"here": 100 * counted.get(key, 0) / total if total else None}),
                    ("", {"national": NATIONAL[key]}),
                ],
            )
            for key, label in KINDS
        ],
        unit="%",
        maximum=100,
        stacked=False,
    )
    unplanned = counted.get(UNPLANNED, 0)
    headline = (
        f"{plural(total, 'child', 'children')} went home in the period: "
        f"{percent(counted.get(PLANNED, 0), total)} planned, {percent(unplanned, total)} "
        f"unplanned, {percent(counted.get(WITHOUT_PR, 0), total)} to someone without "
        "parental responsibility."
        if total
        else "No child went home in the period."
    )
    return Report(
        slug=SLUG,
        title=TITLE,
        scope=scope,
        headline=headline,
        chart=chart,
        tables=tuple(tables),
        notes=(
            "Each child's return home counts once, on the date they went home; a child who "
            "went home twice in the period counts twice.",
            "A return to someone without parental responsibility (a relative or friend, for "
            "example) counts as that, whether or not it was planned, as the Department for "
            "Education counts returns.",
            "A return is planned when its type in the framework says so: a planned return "
            "waits for the review's decision to go ahead.",
        ),
        research=research(
            content,
            (
                "Of the 7,250 children who went home in England in 2015/16, about 69% had "
                "planned returns, 17% unplanned returns, and 14% went to someone without "
                "parental responsibility.",
                "larsson-2022",
            ),
            (
                "Only 41% of councils look at how many returns were unplanned.",
                "ford-mckay-2024",
            ),
        ),
    )


def _by_kind(counted: dict[str, int], total: int) -> Table:
    rows = [Row(key, label, {"children": counted.get(key, 0)}) for key, label in KINDS]
    rows.append(total_row(rows, "All returns home", (), children=total))
    return Table(
        key="by-kind",
        caption="Returns home by type",
        row_heading="Type of return",
        columns=(
            Column("children", "Children"),
            Column("share", "Share", Kind.PERCENT, of=("children", "children"), whole_row=TOTAL),
        ),
        rows=tuple(rows),
        sums=column_sums(rows, ["children"]),
    )


def _by_content_type(session: Session, returns: Subquery, content: FrameworkContent) -> Table:
    counted = session.execute(
        select(returns.c.return_type, returns.c.with_pr, func.count()).group_by(
            returns.c.return_type, returns.c.with_pr
        )
    ).all()
    labels = return_types(content)
    seen = {type_id for type_id, _pr, _n in counted}
    order = [type_id for type_id in labels] + sorted(seen - set(labels))
    table_rows = []
    for type_id in order:
        with_pr = sum(n for t, pr, n in counted if t == type_id and pr)
        without = sum(n for t, pr, n in counted if t == type_id and not pr)
        table_rows.append(
            Row(
                type_id,
                labels.get(type_id) or str(type_id),
                {"with_pr": with_pr, "without_pr": without, "children": with_pr + without},
            )
        )
    table_rows.append(
        total_row(table_rows, "All returns home", ("with_pr", "without_pr", "children"))
    )
    return Table(
        key="by-return-type",
        caption="Returns home by how the return happened",
        row_heading="How the return happened",
        columns=(
            Column("with_pr", "To a parent with parental responsibility"),
            Column("without_pr", "To someone without parental responsibility"),
            Column("children", "Children"),
        ),
        rows=tuple(table_rows),
        sums=row_sums(table_rows, "children", ["with_pr", "without_pr"])
        + column_sums(table_rows, ["with_pr", "without_pr", "children"]),
    )


def _by_team(session: Session, returns: Subquery, kind: ColumnElement[str]) -> Table:
    counted = session.execute(
        select(col(Team.id), col(Team.name), kind, func.count())
        .select_from(returns)
        .join(Team, col(Team.id) == returns.c.team_id)
        .group_by(col(Team.id), col(Team.name), kind)
    ).all()
    teams = sorted({(name, str(team_id)) for team_id, name, _kind, _n in counted})
    table_rows = []
    for name, team_id in teams:
        values = {
            key: sum(n for t, _name, k, n in counted if str(t) == team_id and k == key)
            for key, _ in KINDS
        }
        values["children"] = sum(values.values())
        table_rows.append(Row(team_id, name, values))
    keys = [key for key, _ in KINDS]
    table_rows.append(total_row(table_rows, "All teams", [*keys, "children"]))
    return Table(
        key="by-team",
        caption="Returns home by team",
        row_heading="Team",
        columns=(
            Column(PLANNED, "Planned"),
            Column(UNPLANNED, "Unplanned"),
            Column(WITHOUT_PR, "Without parental responsibility"),
            Column("children", "Children"),
        ),
        rows=tuple(table_rows),
        sums=row_sums(table_rows, "children", keys) + column_sums(table_rows, [*keys, "children"]),
    )
