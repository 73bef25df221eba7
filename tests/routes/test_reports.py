"""The reports pages and their CSV files: who sees which teams, what each page and file holds,
bad choices explained, cells that cannot run as formulas, and every reading audited. The
figures themselves are checked in tests/services/test_reports.py."""

from __future__ import annotations

import csv
import io
from datetime import date

from sqlmodel import Session, col, func, select

from app.config import ROLE_NAMES
from app.models.accounts import Role, Team
from app.models.audit import AuditEvent
from app.models.family import Family
from app.services import reports
from tests.factories import (
    make_child,
    make_child_return,
    make_family,
    make_team,
    make_user,
    post_form,
    sign_in_as,
)
from tests.support.client import CheckingClient, soup

PERIOD = {
    "date_from-day": "1",
    "date_from-month": "4",
    "date_from-year": "2025",
    "date_to-day": "31",
    "date_to-month": "3",
    "date_to-year": "2026",
}


def _went_home(db: Session, team: Team, day: date = date(2025, 10, 1)) -> Family:
    """A family of `team` with a child who went home on `day` (the journey's services are
    walked in tests/services/test_reports.py; here the page only needs a row to count)."""
    family = make_family(db, team=team)
    child = make_child(db, family, entered_care=date(2024, 1, 1))
    make_child_return(db, child, returned_on=day)
    return family


def _rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_a_manager_reads_every_report_with_its_chart_tables_and_files(
    client: CheckingClient, db: Session
) -> None:
    _went_home(db, make_team(db, "North"))
    manager = make_user(db, roles=[Role.MANAGER])
    sign_in_as(client, db, manager)
    index = soup(client.get("/reports", params=PERIOD))
    links = [a["href"] for a in index.select("main .govuk-summary-list a")]
    assert len(links) == len(reports.REPORTS)
    for link in links:
        response = client.get(str(link))
        assert response.status_code == 200, link
        page = soup(response)
        assert "All teams, 1 April 2025 to 31 March 2026" in page.select_one("main").text
        # A chart, or (reviews: none in these families) a sentence saying there is none.
        chart = page.select_one("svg[role=img] title")
        assert chart is not None or "nothing to draw" in page.text, link
        tables = page.select("main table.govuk-table")
        assert tables, link
        files = [str(a["href"]) for a in page.select("main a[download]")]
        assert len(files) == 2 * len(tables)
        for href in files[:2]:  # the team's copy and the copy for sharing of one table
            download = client.get(href)
            assert download.status_code == 200
            assert download.headers["content-type"].startswith("text/csv")
            assert "attachment" in download.headers["content-disposition"]
            header = _rows(download.text)[0]
            first = tables[0]
            assert header == [th.text for th in first.select("thead th")]
    returns = _rows(
        client.get("/reports/returns-home/by-kind.csv", params={**PERIOD, "copy": ""}).text
    )
    assert returns[-1] == ["All returns home", "1", "100%"]
    shared = _rows(
        client.get("/reports/returns-home/by-kind.csv", params={**PERIOD, "copy": "sharing"}).text
    )
    assert shared[1][1:] == ["hidden", "hidden"]
    # Each page and file read is recorded, naming the report and what it covered.
    readings = db.exec(
        select(func.count())
        .select_from(AuditEvent)
        .where(col(AuditEvent.entity_type) == "report", col(AuditEvent.user_id) == manager.id)
    ).one()
    assert readings == len(links) + 2 * len(links) + 2


def test_a_manager_chooses_a_team_and_a_supervisor_sees_only_their_own(
    client: CheckingClient, db: Session
) -> None:
    north, south = make_team(db, "North"), make_team(db, "South")
    _went_home(db, north)
    _went_home(db, south)
    _went_home(db, south)
    sign_in_as(client, db, make_user(db, roles=[Role.MANAGER]))
    chosen = client.get("/reports/returns-home", params={**PERIOD, "team_id": str(south.id)})
    page = soup(chosen)
    assert page.select_one("#team_id option[selected]").text == "South"
    assert page.select_one("#table-by-kind tbody tr:last-child td").text == "2"
    supervisor = make_user(db, roles=[Role.SUPERVISOR], team=north)
    sign_in_as(client, db, supervisor)
    # Asking for another team's figures shows their own team's.
    own = soup(client.get("/reports/returns-home", params={**PERIOD, "team_id": str(south.id)}))
    assert own.select_one("#team_id") is None
    assert "North, 1 April 2025" in own.select_one(".govuk-caption-l").text
    assert own.select_one("#table-by-kind tbody tr:last-child td").text == "1"
    file = client.get("/reports/returns-home/by-kind.csv", params={"team_id": str(south.id)})
    assert _rows(file.text)[-1][1] == "1"
    # A supervisor without a team is told what to do; a practitioner has no reports.
    sign_in_as(client, db, make_user(db, roles=[Role.SUPERVISOR]))
    assert client.get("/reports").status_code == 403
    sign_in_as(client, db, make_user(db, roles=[Role.PRACTITIONER], team=north))
    assert client.get("/reports").status_code == 403


def test_a_period_that_ends_before_it_starts_is_explained(
    client: CheckingClient, db: Session
) -> None:
    sign_in_as(client, db, make_user(db, roles=[Role.MANAGER]))
    response = client.get(
        "/reports/stability",
        params={**PERIOD, "date_from-year": "2027", "date_to-month": "13"},
    )
    page = soup(response)
    assert response.status_code == 200
    assert page.title is not None
    assert page.title.text.startswith("Error: ")
    links = {str(a["href"]): a.text for a in page.select(".govuk-error-summary a")}
    assert links == {"#date_to-day": "The end of the period must be a real date"}
    assert page.select_one("#date_to-month")["value"] == "13"  # what they typed is kept
    assert page.select_one("#date_from-year")["value"] == "2027"
    later = soup(client.get("/reports/stability", params={**PERIOD, "date_from-year": "2027"}))
    assert [a.text for a in later.select(".govuk-error-summary a")] == [
        "The end of the period must be the same as or after its start"
    ]
    assert client.get("/reports/no-such-report").status_code == 404
    assert client.get("/reports/returns-home/no-such-table.csv").status_code == 404


def test_csv_cells_cannot_run_as_formulas(client: CheckingClient, db: Session) -> None:
    team = make_team(db, '=HYPERLINK("http://evil.test","Click")')
    _went_home(db, team)
    sign_in_as(client, db, make_user(db, roles=[Role.MANAGER]))
    rows = _rows(client.get("/reports/returns-home/by-team.csv", params=PERIOD).text)
    assert rows[1][0] == "'" + '=HYPERLINK("http://evil.test","Click")'
    page = client.get("/reports/returns-home", params=PERIOD)
    assert '<a href="http://evil.test' not in page.text


def test_every_role_can_be_named_in_the_settings() -> None:
    """Roles from the identity provider's groups and two-factor roles name the manager too."""
    assert set(ROLE_NAMES) == {role.value for role in Role}


def test_a_manager_reads_only_the_teams_an_administrator_chose_for_them(
    client: CheckingClient, db: Session
) -> None:
    north, south, west = make_team(db, "North"), make_team(db, "South"), make_team(db, "West")
    for team in (north, south, south, west, west, west):
        _went_home(db, team)
    manager = make_user(db, roles=[Role.MANAGER], name="Mo Manager")
    sign_in_as(client, db, make_user(db, roles=[Role.ADMIN]))
    form = {
        "name": "Mo Manager",
        "email": manager.email,
        "team_id": "",
        "roles": ["manager"],
        "active": "yes",
        "report_team_ids": [str(north.id), str(south.id)],
        "version": manager.version,
    }
    # Teams for reports are for managers only: a practitioner's form is sent back, kept.
    refused = post_form(
        client,
        f"/admin/users/{manager.id}",
        {**form, "roles": ["practitioner"], "team_id": str(north.id)},
    )
    page = soup(refused)
    assert [a.text for a in page.select(".govuk-error-summary a")] == [
        "Only managers read the reports of chosen teams: select the Manager role, or untick "
        "the teams"
    ]
    assert [box["value"] for box in page.select("input[name=report_team_ids][checked]")] == [
        str(north.id),
        str(south.id),
    ]
    assert post_form(client, f"/admin/users/{manager.id}", form).status_code == 303
    change = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.entity_id) == str(manager.id), col(AuditEvent.action) == "update"
        )
    ).one()
    assert change.details["report_teams"]["after"] == sorted([str(north.id), str(south.id)])
    edit = soup(client.get(f"/admin/users/{manager.id}"))
    assert len(edit.select("input[name=report_team_ids][checked]")) == 2
    # The manager reads North and South together, or either one, and never West.
    sign_in_as(client, db, manager)
    both = soup(client.get("/reports/returns-home", params=PERIOD))
    assert "North, South, 1 April 2025" in both.select_one(".govuk-caption-l").text
    assert [o.text for o in both.select("#team_id option")] == ["All your teams", "North", "South"]
    assert both.select_one("#table-by-kind tbody tr:last-child td").text == "3"
    one = soup(client.get("/reports/returns-home", params={**PERIOD, "team_id": str(south.id)}))
    assert one.select_one("#table-by-kind tbody tr:last-child td").text == "2"
    asked = {**PERIOD, "team_id": str(west.id)}
    assert _rows(client.get("/reports/returns-home/by-kind.csv", params=asked).text)[-1][1] == "3"
