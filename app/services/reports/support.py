"""Support before and after the return: which services the families of children who went home
in the period had, before or after the return and for how long; how long support was planned
to last after the return; and the goals of the written agreements with no service of a kind
that addresses the goal's area.

Services and goals are answers of the content's support plan and written agreement (repeating
items), found by their question ids; the answers of one item share the key before the question
id, so a service's type, timing and dates are joined on it in SQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, distinct, func, literal, select, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import Subquery
from sqlmodel import Session

from app.content.model import FrameworkContent
from app.content.schema import Question
from app.models.assessment import AssessmentAnswer
from app.services.reports import population
from app.services.reports.charts import Series, bar_chart
from app.services.reports.document import Report, plural, research
from app.services.reports.scope import Scope
from app.services.reports.sql import days_between, medians
from app.services.reports.tables import Column, Kind, Row, Table, column_sums, row_sums

SLUG = "support"
TITLE = "Support before and after the return"
SUMMARY = (
    "Services before and after the return, for how long, and goals without a matching service."
)
TOTAL = "total"
# Question ids in the content's support plan and written agreement.
SERVICE_TYPE = "service-type"
SERVICE_TIMING = "service-timing"
SERVICE_START = "service-start"
SERVICE_END = "service-end"
MONTHS_AFTER = "support-after-return-months"
BEFORE_IN_PLACE = "support-before-return"
GOAL_AREA = "goal-area"
BEFORE = ("before-return", "both")
AFTER = ("after-return", "both")
# The areas of the framework (domains) each kind of service works on. A goal whose area no
# service of the family's plan works on counts as a goal without a matching service. The
# content does not say this yet, so it is kept here, and shown on the report.
SERVICE_AREAS: dict[str, tuple[str, ...]] = {
    "substance-misuse-treatment": ("substance-misuse",),
    "domestic-abuse-work": ("domestic-abuse",),
    "mental-health": ("mental-health",),
    "parenting-programme": ("parenting-capacity", "child-needs"),
    "family-support-worker": (
        "parenting-capacity",
        "practical",
        "engagement",
        "household",
        "motivation",
    ),
    "financial-help": ("practical",),
    "housing-help": ("practical", "household"),
    "respite": ("child-needs", "network"),
    "school-support": ("child-needs",),
    "carer-mentoring": ("parenting-capacity", "engagement"),
    "family-group-conference": ("network", "household", "child-wishes"),
    "child-therapy": ("child-needs", "child-wishes", "history-of-harm"),
}
AFTER_BANDS = (
    ("none", "No support after the return"),
    ("under_6", "Under 6 months"),
    ("under_12", "6 to 11 months"),
    ("over_12", "12 months or more"),
    ("not_recorded", "Not recorded"),
)


def _answer_of(item: Any, question_id: str) -> Any:
    """The answer to `question_id` in the same service as `item`, a service's type answer:
    the other answers of the service have the same key before their question id."""
    other: Any = aliased(AssessmentAnswer)
    prefix = func.substr(item.answer_key, 1, func.length(item.answer_key) - len(SERVICE_TYPE))
    return other, and_(
        other.family_id == item.family_id,
        other.cycle == item.cycle,
        other.answer_key == prefix + question_id,
    )


def _families(scope: Scope) -> Subquery:
    returns = population.returns(scope)
    return select(returns.c.family_id).distinct().subquery("families")


def _services(families: Subquery) -> Subquery:
    """One row per service in the support plans of `families`."""
    kind: Any = aliased(AssessmentAnswer)
    timing, on_timing = _answer_of(kind, SERVICE_TIMING)
    start, on_start = _answer_of(kind, SERVICE_START)
    end, on_end = _answer_of(kind, SERVICE_END)
    return (
        select(
            kind.family_id.label("family_id"),
            kind.value_choice.label("service"),
            timing.value_choice.label("timing"),
            start.value_date.label("start"),
            end.value_date.label("end"),
        )
        .join(families, families.c.family_id == kind.family_id)
        .outerjoin(timing, on_timing)
        .outerjoin(start, on_start)
        .outerjoin(end, on_end)
        .where(kind.question_id == SERVICE_TYPE, kind.value_choice.is_not(None))
        .subquery("services")
    )


def _options(content: FrameworkContent, question_id: str) -> list[tuple[str, str]]:
    info = content.questions.get(question_id)
    question: Question | None = info.question if info else None
    options = getattr(question, "options", None) or ()
    return [(option.id, option.label) for option in options]


def build(session: Session, scope: Scope, content: FrameworkContent) -> Report:
    families = _families(scope)
    family_count = int(session.execute(select(func.count()).select_from(families)).scalar_one())
    services = _services(families)
    by_service = _by_service(session, services, content)
    after = _after(session, families)
    goals = _goals(session, families, content)
    without = goals.rows[-1].values
    short = sum(
        int(row.values["families"] or 0) for row in after.rows if row.key in {"none", "under_6"}
    )
    headline = (
        f"{plural(family_count, 'family', 'families')} had a child go home in the period; "
        f"{short} of them planned less than 6 months of support after the return, and "
        f"{without['without']} of their {plural(int(without['goals'] or 0), 'goal')} "
        "had no service of a matching kind."
        if family_count
        else "No child went home in the period."
    )
    return Report(
        slug=SLUG,
        title=TITLE,
        scope=scope,
        headline=headline,
        chart=bar_chart(
            title="Services before and after the return",
            description=(
                "For each kind of service, how many of the services planned for these families "
                "were before the return and how many after it (a service can be both)."
            ),
            series=(
                Series("before", "Before the return", "#1d70b8", "solid"),
                Series("after", "After the return", "#f47738", "hatch"),
            ),
            groups=[
                (
                    row.label,
                    [
                        ("Before the return", {"before": float(row.values["before"] or 0)}),
                        ("After the return", {"after": float(row.values["after"] or 0)}),
                    ],
                )
                for row in by_service.rows
                if not row.total
            ],
            stacked=False,
        ),
        tables=(by_service, after, goals),
        notes=(
            "The families counted are those with a child who went home in the period; their "
            "support plans as they stand now.",
            "A service 'before and after the return' counts in both columns. Its length is from "
            "its start date to its planned end date; services with no end date are not in the "
            "median.",
            "A goal counts as having a matching service when the family's support plan has a "
            "service of a kind that works on the goal's area: "
            + "; ".join(
                f"{label}: {', '.join(_domain_label(content, area) for area in SERVICE_AREAS[key])}"
                for key, label in _options(content, SERVICE_TYPE)
                if key in SERVICE_AREAS
            )
            + ".",
        ),
        research=research(
            content,
            (
                "Support should start when the child comes into care and carry on for at least "
                "six to twelve months after the return.",
                "ford-mckay-2024",
            ),
            (
                "78% of councils said they would like to give more support before a return and "
                "63% more after it; only 23% look at data on either.",
                "ford-mckay-2024",
            ),
            (
                "Of councils that support families after a return, 11% do so for up to three "
                "months, 23% up to six months, 12% up to a year and 48% beyond a year if needed.",
                "ford-mckay-2024",
            ),
        ),
    )


def _domain_label(content: FrameworkContent, domain_id: str) -> str:
    try:
        return content.domain(domain_id).title.lower()
    except KeyError:
        return domain_id


def _by_service(session: Session, services: Subquery, content: FrameworkContent) -> Table:
    counted = {
        service: numbers
        for service, *numbers in session.execute(
            select(
                services.c.service,
                func.count(),
                func.count(distinct(services.c.family_id)),
                population.count_where(services.c.timing.in_(BEFORE)),
                population.count_where(services.c.timing.in_(AFTER)),
                population.count_where(
                    and_(services.c.start.is_not(None), services.c.end.is_not(None))
                ),
            ).group_by(services.c.service)
        ).all()
    }
    lengths = (
        select(
            services.c.service.label("service"),
            days_between(services.c.start, services.c.end).label("days"),
        )
        .where(services.c.start.is_not(None), services.c.end.is_not(None))
        .subquery("lengths")
    )
    middle = dict(session.execute(medians(lengths, group="service", value="days")).all())
    labels = _options(content, SERVICE_TYPE)
    known = [key for key, _ in labels]
    label_of = dict(labels)
    rows = []
    for key in [*known, *sorted(set(counted) - set(known))]:
        services_n, families_n, before, after, dated = counted.get(key, [0, 0, 0, 0, 0])
        rows.append(
            Row(
                key,
                label_of.get(key, key),
                {
                    "services": int(services_n),
                    "families": int(families_n),
                    "before": int(before),
                    "after": int(after),
                    "dated": int(dated),
                    "median": round(float(middle[key])) if key in middle else None,
                },
            )
        )
    totals = {
        key: sum(int(row.values[key] or 0) for row in rows)
        for key in ("services", "before", "after", "dated")
    }
    families_total = session.execute(
        select(func.count(distinct(services.c.family_id)))
    ).scalar_one()
    overall = (select(literal("all").label("group"), lengths.c.days)).subquery("all_lengths")
    middle_all = session.execute(medians(overall, group="group", value="days")).first()
    rows.append(
        Row(
            TOTAL,
            "All services",
            {
                **totals,
                "families": int(families_total),
                "median": round(float(middle_all[1])) if middle_all else None,
            },
            total=True,
        )
    )
    return Table(
        key="services",
        caption="Services in the support plans",
        row_heading="Kind of service",
        columns=(
            Column("services", "Services"),
            Column("families", "Families"),
            Column("before", "Before the return"),
            Column("after", "After the return"),
            Column("dated", "With start and end dates"),
            Column("median", "Median planned length in days", Kind.DAYS, count="dated"),
        ),
        rows=tuple(rows),
        sums=column_sums(rows, ["services", "before", "after", "dated"]),
    )


def _after(session: Session, families: Subquery) -> Table:
    months: Any = aliased(AssessmentAnswer)
    in_place: Any = aliased(AssessmentAnswer)
    number = months.value_number
    band = case(
        (number.is_(None), "not_recorded"),
        (number <= 0, "none"),
        (number < 6, "under_6"),
        (number < 12, "under_12"),
        else_="over_12",
    )
    before = case(
        (in_place.value_bool.is_(True), "yes"),
        (in_place.value_bool.is_(False), "no"),
        else_="unknown",
    )
    counted = session.execute(
        select(band, before, func.count())
        .select_from(families)
        .outerjoin(
            months,
            and_(
                months.family_id == families.c.family_id,
                months.cycle == 0,
                months.question_id == MONTHS_AFTER,
            ),
        )
        .outerjoin(
            in_place,
            and_(
                in_place.family_id == families.c.family_id,
                in_place.cycle == 0,
                in_place.question_id == BEFORE_IN_PLACE,
            ),
        )
        .group_by(band, before)
    ).all()
    rows = []
    for key, label in AFTER_BANDS:
        values = {
            answer: sum(n for b, a, n in counted if b == key and a == answer)
            for answer in ("yes", "no", "unknown")
        }
        rows.append(Row(key, label, {**values, "families": sum(values.values())}))
    rows.append(
        Row(
            TOTAL,
            "All families",
            {
                key: sum(int(row.values[key] or 0) for row in rows)
                for key in ("yes", "no", "unknown", "families")
            },
            total=True,
        )
    )
    return Table(
        key="after-the-return",
        caption="Support planned after the return, and support in place before it",
        row_heading="Support planned after the return",
        columns=(
            Column("families", "Families"),
            Column("share", "Share", Kind.PERCENT, of=("families", "families"), whole_row=TOTAL),
            Column("yes", "Support in place before the return"),
            Column("no", "No support before the return"),
            Column("unknown", "Before the return not recorded"),
        ),
        rows=tuple(rows),
        sums=row_sums(rows, "families", ["yes", "no", "unknown"])
        + column_sums(rows, ["families", "yes", "no", "unknown"]),
    )


def _areas() -> Subquery:
    """(area, service) pairs of SERVICE_AREAS as a table."""
    return union_all(
        *[
            select(literal(area).label("area"), literal(service).label("service"))
            for service, areas in SERVICE_AREAS.items()
            for area in areas
        ]
    ).subquery("areas")


def _goals(session: Session, families: Subquery, content: FrameworkContent) -> Table:
    goal: Any = aliased(AssessmentAnswer)
    service: Any = aliased(AssessmentAnswer)
    areas = _areas()
    matched = (
        select(literal(1))
        .select_from(service)
        .join(areas, areas.c.service == service.value_choice)
        .where(
            service.family_id == goal.family_id,
            service.question_id == SERVICE_TYPE,
            areas.c.area == goal.value_choice,
        )
        .exists()
    )
    counted = session.execute(
        select(goal.value_choice, func.count(), population.count_where(~matched))
        .join(families, families.c.family_id == goal.family_id)
        .where(goal.question_id == GOAL_AREA, goal.value_choice.is_not(None))
        .group_by(goal.value_choice)
    ).all()
    labels = [(domain.id, domain.title) for domain in content.domains]
    known = [key for key, _ in labels]
    found = {str(area) for area, _n, _w in counted}
    label_of = dict(labels)
    rows = []
    for key in [*known, *sorted(found - set(known))]:
        goals_n, without = next(((n, w) for a, n, w in counted if a == key), (0, 0))
        if not goals_n and key in known:
            continue
        rows.append(
            Row(
                key,
                label_of.get(key, key),
                {
                    "goals": int(goals_n),
                    "without": int(without),
                    "with": int(goals_n) - int(without),
                },
            )
        )
    rows.append(
        Row(
            TOTAL,
            "All goals",
            {
                key: sum(int(row.values[key] or 0) for row in rows)
                for key in ("goals", "with", "without")
            },
            total=True,
        )
    )
    return Table(
        key="goals",
        caption="Goals of the written agreements, and whether a service matches them",
        row_heading="Area of the goal",
        columns=(
            Column("goals", "Goals"),
            Column("with", "With a matching service"),
            Column("without", "Without a matching service"),
            Column("share", "Share without", Kind.PERCENT, of=("without", "goals")),
        ),
        rows=tuple(rows),
        sums=row_sums(rows, "goals", ["with", "without"])
        + column_sums(rows, ["goals", "with", "without"]),
    )
