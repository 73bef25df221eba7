"""Reports for managers and supervisors: the list, each report's page, and its tables as CSV."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from app.content.registry import ContentRegistry
from app.deps import ActorDep, ContentDep, SessionDep, SettingsDep, requires
from app.forms import FormState
from app.forms.family import date_parts
from app.forms.reports import ReportFilterForm, report_filters
from app.models.accounts import User
from app.security.permissions import Permission, has_permission
from app.services import reports
from app.services.reports.scope import ALL_TEAMS, all_teams, readable_teams
from app.templating import render
from app.timeutil import format_date, london_today

router = APIRouter(prefix="/reports", include_in_schema=False)
read_reports = requires(Permission.REPORTS_READ)
FOR_SHARING = "sharing"
YOUR_TEAMS = "All your teams"


def _default_start(today: date) -> date:
    """1 April two financial years before the current one: three years of returns."""
    year = today.year if today.month >= 4 else today.year - 1
    return date(year - 2, 4, 1)


def _choice(
    request: Request, registry: ContentRegistry, user: User
) -> tuple[reports.Choice, FormState]:
    """The reader's choices from the query string; bad values are explained and the defaults
    used instead. A reader of their own team only has no team to choose."""
    values = dict(request.query_params)
    if not has_permission(user, Permission.REPORTS_ALL_TEAMS):
        values.pop("team_id", None)
    parsed, form = report_filters(values)
    chosen = parsed.form if parsed else ReportFilterForm()
    frameworks = registry.offered()
    framework = chosen.framework if chosen.framework in frameworks else frameworks[0]
    today = london_today()
    choice = reports.Choice(
        framework_id=framework,
        team_id=chosen.team_id,
        start=(parsed.date_from if parsed else None) or _default_start(today),
        end=(parsed.date_to if parsed else None) or today,
        today=today,
        cohort=chosen.cohort,
        window=chosen.window,
    )
    return choice, form


def _filters(
    request: Request, session: SessionDep, user: User, registry: ContentRegistry
) -> dict[str, Any]:
    choice, form = _choice(request, registry, user)
    scope = reports.scope_for(session, user, choice)
    teams = readable_teams(session, user)
    # A choice of team for a manager: every team, or those chosen for them if more than one.
    choosable = all_teams(session) if teams is None else (teams if len(teams) > 1 else [])
    team_options = [(str(team.id), team.name) for team in choosable]
    query = {
        "framework": choice.framework_id,
        "team_id": str(choice.team_id or "") if team_options else "",
        **date_parts("date_from", choice.start),
        **date_parts("date_to", choice.end),
        "cohort": scope.cohort,
        "window": str(scope.window),
    }
    # The form shows what is counted, or what was typed when it could not be used.
    typed = {k: v for k, v in form.values.items() if k in query} if form.errors else {}
    form.values = {**query, **typed}
    return {
        "choice": choice,
        "scope": scope,
        "form": form,
        "errors": form.error_list(),
        "team_options": team_options,
        "all_teams": ALL_TEAMS,
        "all_label": ALL_TEAMS if teams is None else YOUR_TEAMS,
        "framework_options": [
            (framework_id, registry.latest(framework_id).framework.title)
            for framework_id in registry.offered()
        ],
        "query": urlencode({key: value for key, value in query.items() if value}),
        "period": f"{format_date(scope.start)} to {format_date(scope.end)}",
        "reports": reports.REPORTS,
        "cohort_options": list(reports.COHORTS.items()),
        "window_options": [(str(months), label) for months, label in reports.WINDOWS.items()],
    }


@router.get("")
def index(
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    user: Annotated[User, read_reports],
) -> Response:
    """The reports, with the team and period they will cover."""
    return render(request, "views/reports/index.html", _filters(request, session, user, registry))


@router.get("/{report}")
def report_page(
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    settings: SettingsDep,
    actor: ActorDep,
    report: str,
    user: Annotated[User, read_reports],
) -> Response:
    """One report: its headline, chart, tables, how it is counted, and its CSV files."""
    module = reports.find(report)
    context = _filters(request, session, user, registry)
    scope = context["scope"]
    built = reports.build(
        session,
        actor=actor,
        slug=module.SLUG,
        scope=scope,
        content=registry.latest(scope.framework_id),
    )
    return render(
        request,
        "views/reports/report.html",
        {
            **context,
            "report": built,
            "suppress_below": settings.report_suppress_below,
            "all_teams_reader": has_permission(user, Permission.REPORTS_ALL_TEAMS),
        },
    )


@router.get("/{report}/{table}.csv")
def report_csv(
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    settings: SettingsDep,
    actor: ActorDep,
    report: str,
    table: str,
    user: Annotated[User, read_reports],
    copy: str = "",
) -> Response:
    """One table of a report as CSV: the team's own copy, or a copy for sharing outside the
    team with small numbers hidden."""
    module = reports.find(report)
    context = _filters(request, session, user, registry)
    scope = context["scope"]
    sharing = copy == FOR_SHARING
    built = reports.build(
        session,
        actor=actor,
        slug=module.SLUG,
        scope=scope,
        content=registry.latest(scope.framework_id),
        purpose=f"CSV of {table}" + (", small numbers hidden" if sharing else ""),
    )
    if sharing:
        built = built.for_sharing(below=settings.report_suppress_below)
    text = reports.csv_text(built, table)
    name = f"{module.SLUG}-{table}-{scope.start.isoformat()}-to-{scope.end.isoformat()}"
    if sharing:
        name += "-for-sharing"
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
