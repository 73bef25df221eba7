"""Support before and after the return: which services the families of children who went home
in the period had, before or after the return and for how long; how long support was planned
to last after the return; and the goals of the written agreements with no service of a kind
that addresses the goal's area.

Services and goals are answers of the content's support plan and written agreement (repeating
items), found by their question ids; the answers of one item share the key before the question
id, so a service's answers are gathered into one row by grouping on that key in SQL. The areas
each service supports are the practitioner's own answer with each service (content 1.2.0 and
later); services planned under earlier content have none, and their families' goals are
counted apart.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, case, distinct, func, literal, select, true
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
from app.services.reports.sql import days_between, json_items, medians
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

SLUG = "support"
TITLE = "Support before and after the return"
SUMMARY = (
    "Services before and after the return, for how long, and goals without a matching service."
)
# Question ids in the content's support plan and written agreement.
SERVICE_TYPE = "service-type"
SERVICE_TIMING = "service-timing"
SERVICE_START = "service-start"
SERVICE_END = "service-end"
SERVICE_AREAS = "service-areas"
MONTHS_AFTER = "support-after-return-months"
BEFORE_IN_PLACE = "support-before-return"
GOAL_AREA = "goal-area"
BEFORE = ("before-return", "both")
AFTER = ("after-return", "both")
AFTER_BANDS = (
    ("none", "No support after the return"),
    ("under_6", "Under 6 months"),
    ("under_12", "6 to 11 months"),
    ("over_12", "12 months or more"),
    ("not_recorded", "Not recorded"),
)


def _families(scope: Scope) -> Subquery:
    return population.families_with_returns(scope)


def _services(families: Subquery) -> Subquery:
    """One row per service in the support plans of `families`: its kind, timing, dates, and
    whether it records the areas it supports. A service's answers share the key before their
    question id; one pass over the answers groups them on it."""
    answer: Any = aliased(AssessmentAnswer)
    item = func.substr(
        answer.answer_key, 1, func.length(answer.answer_key) - func.length(answer.question_id)
    )

    def pick(question_id: str, value: Any) -> Any:
        return func.max(case((answer.question_id == question_id, value), else_=None))

    kind = pick(SERVICE_TYPE, answer.value_choice)
    return (
        select(
            answer.family_id.label("family_id"),
            kind.label("service"),
            pick(SERVICE_TIMING, answer.value_choice).label("timing"),
            pick(SERVICE_START, answer.value_date).label("start"),
            pick(SERVICE_END, answer.value_date).label("end"),
            population.count_where(answer.question_id == SERVICE_AREAS).label("with_areas"),
        )
        .join(families, families.c.family_id == answer.family_id)
        .where(
            answer.cycle == 0,
            answer.question_id.in_(
                [SERVICE_TYPE, SERVICE_TIMING, SERVICE_START, SERVICE_END, SERVICE_AREAS]
            ),
        )
        .group_by(answer.family_id, item)
        .having(kind.is_not(None))
        .subquery("services")
    )


def _options(content: FrameworkContent, question_id: str) -> list[tuple[str, str]]:
    info = content.questions.get(question_id)
    question: Question | None = info.question if info else None
    options = getattr(question, "options", None) or ()
    return [(option.id, option.label) for option in options]


def build(session: Session, scope: Scope, content: FrameworkContent) -> Report:
    families = _families(scope)
    services = _services(families)
    by_service = _by_service(session, services, content)
    after = _after(session, families)
    family_count = int(after.rows[-1].values["families"] or 0)  # each family once
    goals = _goals(session, families, content)
    without = goals.rows[-1].values
    short = sum(
        int(row.values["families"] or 0) for row in after.rows if row.key in {"none", "under_6"}
    )
    headline = (
        f"{plural(family_count, 'family', 'families')} had a child go home in the period; "
        f"{short} of them planned less than 6 months of support after the return, and "
        f"{without['without']} of their {plural(int(without['goals'] or 0), 'goal')} "
        "had no service that supports their area."
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
            "A goal has a matching service when a service in the family's support plan says "
            "it supports the goal's area (asked with each service from version 1.2.0 of the "
            "framework). Goals of families with a service planned before that, which does not "
            "say, are counted as 'Areas not recorded'.",
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
    families_total = session.execute(
        select(func.count(distinct(services.c.family_id)))
    ).scalar_one()
    overall = (select(literal("all").label("group"), lengths.c.days)).subquery("all_lengths")
    middle_all = session.execute(medians(overall, group="group", value="days")).first()
    rows.append(
        total_row(
            rows,
            "All services",
            ("services", "before", "after", "dated"),
            families=int(families_total),
            median=round(float(middle_all[1])) if middle_all else None,
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
    rows.append(total_row(rows, "All families", ("yes", "no", "unknown", "families")))
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


def _goals(session: Session, families: Subquery, content: FrameworkContent) -> Table:
    """Each goal of the families' agreements: with a service that supports its area, without
    one, or not known (a service of the family's plan does not say which areas it supports)."""
    dialect = session.get_bind().dialect.name
    chosen: Any = aliased(AssessmentAnswer)
    areas = json_items(chosen.value_choices, None, dialect, name="areas")
    supported = (
        select(chosen.family_id.label("family_id"), areas.c.value.label("area"))
        .select_from(chosen)
        .join(families, families.c.family_id == chosen.family_id)
        .join(areas, true())
        .where(chosen.cycle == 0, chosen.question_id == SERVICE_AREAS)
        .distinct()
        .subquery("supported")
    )
    services = _services(families)
    unsaid = (
        select(services.c.family_id.label("family_id"))
        .where(services.c.with_areas == 0)
        .distinct()
        .subquery("unsaid")
    )
    goal: Any = aliased(AssessmentAnswer)
    status = case(
        (supported.c.family_id.is_not(None), "with"),
        (unsaid.c.family_id.is_not(None), "not_recorded"),
        else_="without",
    )
    counted = session.execute(
        select(goal.value_choice, status, func.count())
        .join(families, families.c.family_id == goal.family_id)
        .outerjoin(
            supported,
            and_(supported.c.family_id == goal.family_id, supported.c.area == goal.value_choice),
        )
        .outerjoin(unsaid, unsaid.c.family_id == goal.family_id)
        .where(goal.cycle == 0, goal.question_id == GOAL_AREA, goal.value_choice.is_not(None))
        .group_by(goal.value_choice, status)
    ).all()
    parts = ("with", "without", "not_recorded")
    labels = [(domain.id, domain.title) for domain in content.domains]
    known = [key for key, _ in labels]
    found = {str(area) for area, _status, _n in counted}
    label_of = dict(labels)
    rows = []
    for key in [*known, *sorted(found - set(known))]:
        if key not in found:
            continue
        values = {part: sum(n for a, s, n in counted if a == key and s == part) for part in parts}
        rows.append(Row(key, label_of.get(key, key), {"goals": sum(values.values()), **values}))
    rows.append(total_row(rows, "All goals", ("goals", *parts)))
    return Table(
        key="goals",
        caption="Goals of the written agreements, and whether a service supports their area",
        row_heading="Area of the goal",
        columns=(
            Column("goals", "Goals"),
            Column("with", "With a matching service"),
            Column("without", "Without a matching service"),
            Column("not_recorded", "Areas not recorded"),
            Column("share", "Share without", Kind.PERCENT, of=("without", "goals")),
        ),
        rows=tuple(rows),
        sums=row_sums(rows, "goals", parts) + column_sums(rows, ["goals", *parts]),
    )
