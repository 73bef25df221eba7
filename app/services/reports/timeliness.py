"""Time from coming into care to going home, in three steps: from entry to care to the start
of the return-home assessment, from there to the decision to work towards a return, and from
that decision to the day the child went home. For each child who went home in the period.

- Entry to care: the date the child came into care, or, for a child who had gone home before
  and came back into care, the date they came back.
- The assessment started on the date the manager agreed to it (the identification's answer),
  or the day work with the family started in Homeward when that was not recorded.
- The decision to work towards a return is the first decision of the family that moved it on
  to the next stage and still stands.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.sql.expression import Subquery
from sqlmodel import Session, col

from app.content.model import FrameworkContent
from app.models.assessment import AssessmentAnswer
from app.models.progress import DecisionEffect, GateDecision
from app.services.reports import population
from app.services.reports.charts import Series, bar_chart
from app.services.reports.document import Report, plural, research
from app.services.reports.scope import Scope
from app.services.reports.sql import days_between, london_date, medians, months_between
from app.services.reports.tables import Column, Kind, Row, Table, row_sums

SLUG = "time-to-return"
TITLE = "Time from care to going home"
SUMMARY = "Time from coming into care to the assessment, the decision and going home."
# The identification question whose answer is the date the assessment started.
ASSESSMENT_STARTED = "assessment-agreed-date"
STEPS = (
    ("entry-assessment", "From coming into care to the start of the assessment"),
    (
        "assessment-decision",
        "From the start of the assessment to the decision to work towards a return",
    ),
    ("decision-return", "From that decision to going home"),
    ("entry-return", "From coming into care to going home"),
)
NOT_RECORDED = "not_recorded"
BANDS = (
    ("before", "Before it (the order was reversed)"),
    ("under_3", "Under 3 months"),
    ("under_6", "3 to 6 months"),
    ("under_12", "6 to 12 months"),
    ("over_12", "12 months or more"),
)


def _dated(scope: Scope) -> Any:
    """Each return of the period with its four dates (any may be missing), as a CTE: the four
    steps read it, and each date is joined once rather than looked up per row and step."""
    rows = population.returns(scope)
    # Only the families counted: without it, both dates below are worked out for every family.
    families = select(population.families_with_returns(scope).c.family_id)
    back = population.back_in_care()
    came_back = (
        select(rows.c.return_id, func.max(back.c.on).label("on"))
        .join(back, and_(back.c.child_id == rows.c.child_id, back.c.on <= rows.c.returned_on))
        .group_by(rows.c.return_id)
        .subquery("came_back")
    )
    agreed = (
        select(
            col(AssessmentAnswer.family_id).label("family_id"),
            func.max(AssessmentAnswer.value_date).label("on"),
        )
        .where(
            col(AssessmentAnswer.cycle) == 0,
            col(AssessmentAnswer.question_id) == ASSESSMENT_STARTED,
            col(AssessmentAnswer.family_id).in_(families),
        )
        .group_by(col(AssessmentAnswer.family_id))
        .subquery("agreed")
    )
    decided = (
        select(
            col(GateDecision.family_id).label("family_id"),
            func.min(GateDecision.decided_at).label("at"),
        )
        .where(
            col(GateDecision.superseded_at).is_(None),
            col(GateDecision.effect) == DecisionEffect.NEXT_STAGE.value,
            col(GateDecision.family_id).in_(families),
        )
        .group_by(col(GateDecision.family_id))
        .subquery("decided")
    )
    return (
        select(
            func.coalesce(came_back.c.on, rows.c.entered_care).label("entered"),
            func.coalesce(agreed.c.on, rows.c.work_started).label("assessed"),
            london_date(decided.c.at).label("decided"),
            rows.c.returned_on.label("home"),
        )
        .outerjoin(came_back, came_back.c.return_id == rows.c.return_id)
        .outerjoin(agreed, agreed.c.family_id == rows.c.family_id)
        .outerjoin(decided, decided.c.family_id == rows.c.family_id)
        .cte("dated")
    )


def _steps(dated: Any) -> Subquery:
    """One row per return and step, with its start and end dates."""
    pairs = {
        "entry-assessment": ("entered", "assessed"),
        "assessment-decision": ("assessed", "decided"),
        "decision-return": ("decided", "home"),
        "entry-return": ("entered", "home"),
    }
    return union_all(
        *[
            select(
                literal(step).label("step"),
                dated.c[start].label("start"),
                dated.c[end].label("end"),
            )
            for step, (start, end) in pairs.items()
        ]
    ).subquery("steps")


def build(session: Session, scope: Scope, content: FrameworkContent) -> Report:
    steps = _steps(_dated(scope))
    recorded = and_(steps.c.start.is_not(None), steps.c.end.is_not(None))
    months = months_between(steps.c.start, steps.c.end)
    band = case(
        (~recorded, NOT_RECORDED),
        (steps.c.end < steps.c.start, "before"),
        (months < 3, "under_3"),
        (months < 6, "under_6"),
        (months < 12, "under_12"),
        else_="over_12",
    )
    # Grouped by band, so that each row's band is worked out once (a count per band would
    # work out the months between its dates again for each band).
    by_band = session.execute(select(steps.c.step, band, func.count()).group_by(steps.c.step, band))
    counted: dict[str, list[int]] = {}
    for step, key, n in by_band.all():
        numbers = counted.setdefault(step, [0] * (len(BANDS) + 2))
        numbers[0] += n
        if key != NOT_RECORDED:
            numbers[1] += n
            numbers[2 + [band_key for band_key, _ in BANDS].index(key)] += n
    days = (
        select(steps.c.step, days_between(steps.c.start, steps.c.end).label("days"))
        .where(recorded)
        .subquery("days")
    )
    middle = dict(session.execute(medians(days, group="step", value="days")).all())
    rows = []
    for key, label in STEPS:
        children, known, *bands = counted.get(key, [0] * (len(BANDS) + 2))
        rows.append(
            Row(
                key,
                label,
                {
                    "children": int(children),
                    "recorded": int(known),
                    "not_recorded": int(children) - int(known),
                    "median": round(float(middle[key])) if key in middle else None,
                    **{band_key: int(n) for (band_key, _), n in zip(BANDS, bands, strict=True)},
                },
            )
        )
    band_keys = [key for key, _ in BANDS]
    table = Table(
        key="steps",
        caption="Time taken by each step, for the children who went home in the period",
        row_heading="Step",
        columns=(
            Column("children", "Children who went home"),
            Column("recorded", "Both dates recorded"),
            Column("median", "Median days", Kind.DAYS, count="recorded"),
            *[Column(key, label) for key, label in BANDS],
            Column("not_recorded", "A date not recorded"),
        ),
        rows=tuple(rows),
        sums=row_sums(rows, "recorded", band_keys)
        + row_sums(rows, "children", ["recorded", "not_recorded"]),
    )
    whole = next(row for row in rows if row.key == "entry-return")
    median_days = whole.values["median"]
    headline = (
        f"For {plural(int(whole.values['recorded'] or 0), 'child', 'children')} who went home "
        f"in the period, the median time from coming into care to going home was "
        f"{median_days} days (about {round(int(median_days) / 30.44)} months)."
        if isinstance(median_days, int)
        else "No child went home in the period with both dates recorded."
    )
    return Report(
        slug=SLUG,
        title=TITLE,
        scope=scope,
        headline=headline,
        chart=bar_chart(
            title="Median days for each step",
            description=(
                "The median number of days each step took, for the children who went home in "
                "the period."
            ),
            series=(Series("median", "Median days", "#1d70b8"),),
            groups=[(row.label, [("", {"median": _number(row.values["median"])})]) for row in rows],
            unit="days",
        ),
        tables=(table,),
        notes=(
            "Each child who went home in the period counts once for each step whose two dates "
            "are recorded. The median is the middle value: half the children took longer.",
            "Coming into care is the date the child came into care, or the date they came back "
            "into care after an earlier return home recorded here.",
            "The assessment starts on the date the manager agreed to it (asked at "
            "identification), or, where that is not recorded, the day work with the family "
            "started.",
            "The decision is the first decision that moved the family on to the next stage and "
            "still stands. A child who went home before it (an unplanned return, for example) "
            "is counted under 'Before it'.",
        ),
        research=research(
            content,
            (
                "In the national study, children whose return was unplanned had spent less time "
                "in care than those whose return was planned, and their returns were the least "
                "stable.",
                "larsson-2022",
            ),
            (
                "Returning quickly is not the same as returning successfully: support should "
                "start when the child comes into care.",
                "ford-mckay-2024",
            ),
        ),
    )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
