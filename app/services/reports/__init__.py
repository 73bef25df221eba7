"""Practice and outcome reports for managers: figures over many families, counted in the
database, for the teams a reader may see and a period; each shown as a page (chart and tables)
and exported as CSV, with small numbers hidden in copies meant to leave the team.

Each report is a module with SLUG, TITLE, SUMMARY and build(session, scope, content); REPORTS
lists them in the order the reports page shows them.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date
from types import ModuleType

from sqlmodel import Session

from app.content.model import FrameworkContent
from app.models.accounts import Team, User
from app.models.audit import AuditAction
from app.services import audit
from app.services.errors import NotFound
from app.services.reports import (
    characteristics,
    returns_home,
    reviews,
    risk,
    stability,
    support,
    timeliness,
)
from app.services.reports.document import Report
from app.services.reports.scope import ALL_TEAMS, Scope, readable_teams
from app.services.reports.tables import Column, Row, Table
from app.summary.text import csv_cell

REPORTS: tuple[ModuleType, ...] = (
    returns_home,
    stability,
    support,
    timeliness,
    risk,
    reviews,
    characteristics,
)
COHORTS = {"year": "Financial year (April to March)", "quarter": "Quarter"}
WINDOWS = {3: "3 months", 12: "12 months", 24: "2 years"}


def find(slug: str) -> ModuleType:
    report = next((module for module in REPORTS if slug == module.SLUG), None)
    if report is None:
        raise NotFound("There is no such report.")
    return report


@dataclass(frozen=True)
class Choice:
    """What a reader asked for; checked against what they may see by `scope_for`."""

    framework_id: str
    team_id: uuid.UUID | None
    start: date
    end: date
    today: date
    cohort: str = "year"
    window: int = 12


def scope_for(session: Session, user: User, choice: Choice) -> Scope:
    """The report's scope: the chosen team if the reader may see it, else every team they may
    see (their own team, for a supervisor; the teams chosen for a manager)."""
    teams = readable_teams(session, user)
    if teams is None:
        team = session.get(Team, choice.team_id) if choice.team_id else None
        team_ids: tuple[uuid.UUID, ...] | None = (team.id,) if team else None
        name = team.name if team else ALL_TEAMS
    else:
        chosen = [team for team in teams if team.id == choice.team_id]
        teams = chosen or teams
        team_ids = tuple(team.id for team in teams)
        name = ", ".join(team.name for team in teams)
    return Scope(
        framework_id=choice.framework_id,
        team_ids=team_ids,
        team_name=name,
        start=choice.start,
        end=choice.end,
        today=choice.today,
        cohort=choice.cohort if choice.cohort in COHORTS else "year",
        window=choice.window if choice.window in WINDOWS else 12,
    )


def build(
    session: Session,
    *,
    actor: audit.Actor,
    slug: str,
    scope: Scope,
    content: FrameworkContent,
    purpose: str = "page",
) -> Report:
    """The report, its reading audited with what it covered (no family is named in it)."""
    report: Report = find(slug).build(session, scope, content)
    audit.record(
        session,
        actor,
        AuditAction.VIEW,
        entity_type="report",
        entity_id=slug,
        details={
            "report": report.title,
            "teams": scope.team_name,
            "from": scope.start,
            "to": scope.end,
            "as": purpose,
        },
        keep=True,
    )
    return report


def _cell(table: Table, row: Row, column: Column) -> str:
    """As on the page, but an empty cell where there is no figure."""
    if not table.is_hidden(row, column) and table.value(row, column) is None:
        return ""
    return table.shown(row, column)


def csv_text(report: Report, table_key: str) -> str:
    """One table of the report as CSV: a heading row, one row per table row, every cell safe to
    open in a spreadsheet (a BOM so that Excel reads UTF-8; formula-like text neutralised)."""
    table = report.table(table_key)
    if table is None:
        raise NotFound("There is no such table in this report.")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [csv_cell(table.row_heading), *[csv_cell(column.heading) for column in table.columns]]
    )
    for row in table.rows:
        writer.writerow(
            [
                csv_cell(row.label),
                *[csv_cell(_cell(table, row, column)) for column in table.columns],
            ]
        )
    return "\ufeff" + out.getvalue()
