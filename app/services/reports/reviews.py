"""Reviews on time and overdue: each review of the agreement due in the period, by when it was
due, by whether it came before or after a return, and by team."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.sql.expression import Subquery
from sqlmodel import Session, col

from app.content.model import FrameworkContent
from app.models.accounts import Team
from app.models.family import Family
from app.models.journey import CyclePhase, ReviewCycle
from app.services.reports.charts import bar_chart, series
from app.services.reports.document import Report, percent, plural, research
from app.services.reports.population import count_where
from app.services.reports.scope import Scope
from app.services.reports.sql import days_between, financial_year, medians, quarter_index
from app.services.reports.stability import cohort_label
from app.services.reports.tables import Column, Kind, Row, Table, column_sums, row_sums, total_row

SLUG = "reviews"
TITLE = "Reviews on time and overdue"
SUMMARY = "Reviews of the agreement held on time, held late and overdue."
STATUSES = (
    ("on_time", "Held on time"),
    ("late", "Held late"),
    ("overdue", "Overdue, not held"),
    ("upcoming", "Not due yet"),
    ("not_held", "Not held: the plan ended"),
)
PHASES = (
    (CyclePhase.BEFORE_RETURN.value, "Before the return"),
    (CyclePhase.AFTER_RETURN.value, "After the return"),
)


def _cycles(scope: Scope) -> Subquery:
    held = col(ReviewCycle.held_on)
    status = case(
        (and_(held.is_not(None), held <= col(ReviewCycle.due_on)), "on_time"),
        (held.is_not(None), "late"),
        (col(ReviewCycle.closed_at).is_not(None), "not_held"),
        (col(ReviewCycle.due_on) < scope.today, "overdue"),
        else_="upcoming",
    )
    return (
        scope.counted(
            select(
                col(ReviewCycle.due_on).label("due_on"),
                col(ReviewCycle.phase).label("phase"),
                col(Family.team_id).label("team_id"),
                status.label("status"),
                case(
                    (held.is_not(None), days_between(col(ReviewCycle.due_on), held)),
                    else_=None,
                ).label("days_late"),
            ),
            col(ReviewCycle.family_id),
        )
        .where(*scope.within(col(ReviewCycle.due_on)))
        .subquery("cycles")
    )


def _table(
    session: Session,
    cycles: Subquery,
    group: Any,
    labels: list[tuple[str, str]],
    *,
    key: str,
    caption: str,
    heading: str,
) -> Table:
    counted = {
        str(name): numbers
        for name, *numbers in session.execute(
            select(
                group,
                func.count(),
                *[count_where(cycles.c.status == status) for status, _ in STATUSES],
            ).group_by(group)
        ).all()
    }
    late = (
        select(group.label("group"), cycles.c.days_late.label("days"))
        .where(cycles.c.status == "late")
        .subquery("late")
    )
    middle = {
        str(name): value
        for name, value in session.execute(medians(late, group="group", value="days")).all()
    }
    known = [name for name, _ in labels]
    order = [*known, *sorted(set(counted) - set(known))]
    label_of = dict(labels)
    rows = []
    for name in order:
        reviews, *numbers = counted.get(name, [0] * (len(STATUSES) + 1))
        values: dict[str, int | float | str | None] = {"reviews": int(reviews)}
        values.update({status: int(n) for (status, _), n in zip(STATUSES, numbers, strict=True)})
        values["median_late"] = round(float(middle[name])) if name in middle else None
        rows.append(Row(name, label_of.get(name, name), values))
    keys = [status for status, _ in STATUSES]
    rows.append(
        total_row(
            rows, "All reviews", ["reviews", *keys], median_late=_overall_median(session, cycles)
        )
    )
    return Table(
        key=key,
        caption=caption,
        row_heading=heading,
        columns=(
            Column("reviews", "Reviews due"),
            *[Column(status, label) for status, label in STATUSES],
            Column("share", "Share held on time", Kind.PERCENT, of=("on_time", "reviews")),
            Column("median_late", "Median days late, of those held late", Kind.DAYS, count="late"),
        ),
        rows=tuple(rows),
        sums=row_sums(rows, "reviews", keys) + column_sums(rows, ["reviews", *keys]),
    )


def _overall_median(session: Session, cycles: Subquery) -> int | None:
    late = (
        select(literal("all").label("group"), cycles.c.days_late.label("days"))
        .where(cycles.c.status == "late")
        .subquery("late_all")
    )
    value = session.execute(medians(late, group="group", value="days")).first()
    return round(float(value[1])) if value else None


def build(session: Session, scope: Scope, content: FrameworkContent) -> Report:
    cycles = _cycles(scope)
    index = (
        quarter_index(cycles.c.due_on)
        if scope.cohort == "quarter"
        else financial_year(cycles.c.due_on)
    )
    indexes = sorted(int(value) for (value,) in session.execute(select(index).distinct()).all())
    by_period = _table(
        session,
        cycles,
        index,
        [(str(value), cohort_label(value, scope.cohort)) for value in indexes],
        key="by-period",
        caption="Reviews by when they were due",
        heading="Due in",
    )
    tables = [
        by_period,
        _table(
            session,
            cycles,
            cycles.c.phase,
            list(PHASES),
            key="by-phase",
            caption="Reviews before and after the return",
            heading="Review",
        ),
    ]
    if scope.team_ids is None or len(scope.team_ids) > 1:
        teams = session.execute(select(col(Team.id), col(Team.name)).order_by(col(Team.name))).all()
        tables.append(
            _table(
                session,
                cycles,
                cycles.c.team_id,
                [(str(team_id), name) for team_id, name in teams],
                key="by-team",
                caption="Reviews by team",
                heading="Team",
            )
        )
    total = by_period.rows[-1].values
    due = int(total["reviews"] or 0) - int(total["upcoming"] or 0)
    headline = (
        f"Of {plural(due, 'review')} due by {scope.today.day} "
        f"{scope.today:%B %Y} in the period, {percent(int(total['on_time'] or 0), due)} were "
        f"held on time and {total['overdue']} are overdue."
        if due
        else "No review fell due in the period."
    )
    return Report(
        slug=SLUG,
        title=TITLE,
        scope=scope,
        headline=headline,
        chart=bar_chart(
            title="Reviews by when they were due",
            description="For each period, the reviews due then by whether they were held on time.",
            series=series(STATUSES),
            groups=[
                (
                    row.label,
                    [("", {status: float(row.values[status] or 0) for status, _ in STATUSES})],
                )
                for row in by_period.rows
                if not row.total
            ],
        ),
        tables=tuple(tables),
        notes=(
            "Each review of the written agreement counts once, in the period its due date falls "
            "in. Reviews after a return come sooner and more often, on the framework's cadence.",
            "A review is held on the date of its meeting, recorded with the review's decision; "
            "on time means on or before its due date.",
            "Overdue: due before today and not held. Not held: the plan ended or the case "
            "closed before the review met.",
        ),
        research=research(
            content,
            (
                "A clear plan for a staged return, with timely reviews, improves the chance that "
                "a return lasts.",
                "ford-mckay-2024",
            ),
        ),
    )
