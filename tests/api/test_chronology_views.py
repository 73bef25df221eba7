"""The chronology's care episodes, timeline and analysis in the JSON API, on SQLite and
PostgreSQL: for the same family the JSON says what the timeline and analysis pages show; a
read is audited under the service account; another team's family is not found (and the
refusal audited), a role that does not see families is refused, and so is a call without a
token."""

from __future__ import annotations

from datetime import date, timedelta

from bs4 import BeautifulSoup, Tag
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from sqlmodel import col, select

from app.demo.journey import Story
from app.models.accounts import Role, Team
from app.models.audit import AuditAction, AuditEvent
from app.models.family import Child
from app.routes.api.common import ErrorBody, InvalidBody
from app.services import chronology_analysis
from app.services.audit import Actor
from app.timeutil import format_date, london_today
from tests.factories import make_entry, make_family, make_return, make_team, sign_in_as
from tests.support.api import Api, service_account
from tests.support.client import CheckingClient, soup

VIEWS = ("care-episodes", "chronology/timeline", "chronology/analysis")
# Dates relative to today, so that the timeline stays a few years long (counted per month).
HOME_ON = london_today() - timedelta(weeks=150)
BACK_ON = HOME_ON + timedelta(weeks=26)
NO_THEME_ON = BACK_ON + timedelta(weeks=18)


def _history(story: Story) -> None:
    """An earlier return home that broke down, entries during it and after, a long gap and
    the written analysis: enough for every part of both pages."""
    db, family, author = story.session, story.family, story.practitioner
    ann = db.exec(
        select(Child).where(col(Child.family_id) == family.id, col(Child.name) == "Ann")
    ).one()
    earlier = make_return(db, ann, returned_on=HOME_ON, broke_down=True)
    earlier.ended_on = BACK_ON
    during = HOME_ON + timedelta(weeks=6)
    make_entry(db, family, author=author, occurred_on=during, themes=["neglect-of-care"])
    make_entry(
        db,
        family,
        author=author,
        occurred_on=HOME_ON + timedelta(weeks=13),
        significance="amber",
        themes=["neglect-of-care", "substance-use-incident"],
        what="Kim & her partner <b>drunk</b> at the school gate " + "and more " * 40,
    )
    make_entry(
        db,
        family,
        author=author,
        occurred_on=london_today() - timedelta(weeks=20),
        significance="green",
        themes=["service-progress"],
        what="The drug service reports six clean tests.",
    )
    make_entry(db, family, author=author, occurred_on=NO_THEME_ON, themes=[])
    actor = Actor(user=author, request_id="test", path="/test")
    for scope, text in (("overall", "Harm repeats when Kim drinks."), ("neglect-of-care", "Two.")):
        chronology_analysis.save_written_analysis(
            db,
            actor=actor,
            family=family,
            content=story.content,
            scope=scope,
            text=text,
            expected_version=0,
        )
    db.commit()


def _team(story: Story) -> Team:
    team = story.session.get(Team, story.family.team_id)
    assert team is not None
    return team


def _table(page: BeautifulSoup, caption: str) -> list[list[str]]:
    """The body rows of the table with this caption, each as its cells' text."""
    found = next(
        table
        for table in page.select("table")
        if isinstance(table, Tag)
        and table.caption is not None
        and table.caption.get_text(strip=True).startswith(caption)
    )
    return [
        [cell.get_text(" ", strip=True) for cell in row.select("th, td")]
        for row in found.select("tbody tr")
    ]


def _linked_entries(element: Tag) -> list[str]:
    """The ids of the entries a part of the analysis page links to."""
    links = element.select("a[href*='/chronology/']")
    return [str(link["href"]).rsplit("/", 1)[1] for link in links]


def _day(value: str | None) -> str:
    """A date of the JSON as pages show it (no end: "Now")."""
    return format_date(date.fromisoformat(value)) if value else "Now"


def _after(page: BeautifulSoup, heading: str) -> Tag:
    """The element that follows a heading of the page, skipping paragraphs."""
    found = page.find(["h2", "h3"], string=heading)
    assert isinstance(found, Tag), heading
    following = found.find_next_sibling(["ul", "ol", "table"])
    assert isinstance(following, Tag)
    return following


def test_the_json_says_what_the_timeline_and_analysis_pages_show(
    client: CheckingClient, story: Story
) -> None:
    db, family = story.session, story.family
    _history(story)
    sign_in_as(client, db, story.practitioner)
    timeline_page = soup(client.get(f"/families/{family.id}/chronology/timeline"))
    analysis_page = soup(client.get(f"/families/{family.id}/chronology/analysis"))
    account, token = service_account(db, role=Role.PRACTITIONER, team=_team(story))
    db.commit()
    client.cookies.clear()
    api = Api(client, token)
    base = f"/families/{family.id}"

    # Care episodes: the timeline page's table of care and earlier returns home.
    episodes = api.check("GET", f"{base}/care-episodes")
    assert [
        [row["child_name"], row["description"], _day(row["started_on"]), _day(row["ended_on"])]
        for row in episodes
    ] == _table(timeline_page, "Care and earlier returns home")
    home = next(row for row in episodes if row["kind"] == "home")
    assert (home["child_name"], home["broke_down"]) == ("Ann", True)
    assert (home["started_on"], home["ended_on"]) == (HOME_ON.isoformat(), BACK_ON.isoformat())
    assert home["earlier_return_id"]
    assert (
        api.check("GET", f"{base}/children/{home['child_id']}/earlier-returns")[0]["id"]
        == (home["earlier_return_id"])
    )

    # The timeline: counts per theme and period, as the page's table.
    timeline = api.check("GET", f"{base}/chronology/timeline")
    grades = [grade["id"] for grade in timeline["grades"]]
    assert grades == ["red", "amber", "green"]
    assert timeline["period"] == "month"
    assert [
        [theme["label"], period["label"], *[str(period["counts"][g] or "–") for g in grades]]
        for theme in timeline["themes"]
        for period in theme["periods"]
    ] == _table(timeline_page, "Entries by theme and month")
    no_theme = timeline["themes"][-1]
    assert (no_theme["theme_id"], no_theme["polarity"]) == (None, None)
    assert no_theme["periods"] == [
        {
            "starts_on": NO_THEME_ON.replace(day=1).isoformat(),
            "label": f"{NO_THEME_ON:%B %Y}",
            "counts": {"red": 1, "amber": 0, "green": 0},
            "total": 1,
        }
    ]

    # The analysis: each part of the page, from the same service.
    analysis = api.check("GET", f"{base}/chronology/analysis")
    assert analysis["entries"] == 5
    years = analysis["years"]
    per_year = [
        [
            f"{theme['label']} ({theme['polarity']})",
            *[
                str(next((y["count"] for y in theme["per_year"] if y["year"] == year), "–"))
                for year in years
            ],
            str(theme["count"]),
        ]
        for theme in analysis["themes"]
    ]
    assert per_year == _table(analysis_page, "Entries per theme per year")
    assert [
        [str(row["year"]), str(row["risk"]), str(row["protective"])] for row in analysis["balance"]
    ] == _table(analysis_page, "Risk and protective themes each year")
    repeated = {theme["theme_id"]: theme for theme in analysis["themes"]}
    assert analysis["repeated_risk_themes"] == ["neglect-of-care"]
    assert [
        [repeated[theme_id]["label"], str(repeated[theme_id]["count"])]
        for theme_id in analysis["repeated_risk_themes"]
    ] == [row[:2] for row in _table(analysis_page, "Risk themes seen more than once")]
    gaps = analysis["gaps"]
    assert gaps["longer_than_days"] == chronology_analysis.DEFAULT_GAP_DAYS
    assert [
        f"{_day(gap['starts_on'])} to {_day(gap['ends_on'])}: {gap['days']} days"
        for gap in gaps["gaps"]
    ] == [
        item.get_text(strip=True)
        for item in _after(analysis_page, "Gaps with no information").select("li")
    ]
    assert gaps["gaps"]
    high = analysis["high_significance"]
    assert (high["grade"], high["total"]) == ("red", 3)
    assert [entry["id"] for entry in high["entries"]] == _linked_entries(
        _after(analysis_page, "Entries of high significance")
    )
    (earlier,) = analysis["earlier_returns"]
    assert (earlier["earlier_return_id"], earlier["child_id"]) == (
        home["earlier_return_id"],
        home["child_id"],
    )
    heading = analysis_page.find("h3", string=lambda text: bool(text and text.startswith("Ann")))
    assert isinstance(heading, Tag)
    assert heading.get_text(strip=True) == (
        f"Ann: home {format_date(HOME_ON)} to {format_date(BACK_ON)} – broke down"
    )
    assert earlier["entries_during"] == 2
    assert [entry["id"] for entry in earlier["entries"]] == _linked_entries(
        heading.find_next_sibling("ol")  # type: ignore[arg-type]
    )
    assert earlier["themes"] == [
        {"theme_id": "neglect-of-care", "count": 2},
        {"theme_id": "substance-use-incident", "count": 1},
    ]
    # Text is as stored (escaped on pages, never in JSON); long text is cut as on the page.
    cut = earlier["entries"][1]["what_happened"]
    assert cut.startswith("Kim & her partner <b>drunk</b>")
    assert cut.endswith("…")
    assert len(cut) == 300
    written = [(item["scope"], item["text"], item["version"]) for item in analysis["written"]]
    assert written == [
        ("overall", "Harm repeats when Kim drinks.", 1),
        ("neglect-of-care", "Two.", 1),
    ]
    assert [item.get_text(strip=True) for item in analysis_page.select(".hw-written")] == [
        text for _scope, text, _version in written
    ]

    # Each read is audited under the service account, as a view of the family.
    views = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.user_id) == account.id, col(AuditEvent.family_id) == family.id
        )
    ).all()
    # Four calls: the care episodes, the earlier returns, the timeline and the analysis.
    assert sum(event.action == AuditAction.VIEW.value for event in views) == 4


def test_other_teams_roles_without_families_and_calls_without_a_token_are_refused(
    app: FastAPI, client: CheckingClient, story: Story
) -> None:
    db, family = story.session, story.family
    other_team = make_team(db)
    elsewhere, other_token = service_account(db, role=Role.SUPERVISOR, team=other_team)
    _trainer, trainer_token = service_account(db, role=Role.TRAINER, team=None)
    own, own_token = service_account(db, role=Role.PRACTITIONER, team=_team(story))
    theirs = make_family(db, team=other_team)
    db.commit()
    for view in VIEWS:
        path = f"/families/{family.id}/{view}"
        refused = Api(client, other_token).call("GET", path)
        assert refused.status_code == 404, view
        assert set(refused.json()) == {"message"}
        assert Api(client, trainer_token).call("GET", path).status_code == 403, view
        anonymous = client.get(f"/api/v1{path}")
        assert anonymous.status_code == 401, view
        assert anonymous.headers["www-authenticate"].startswith("Bearer")
        # The other team's account reads its own family's views.
        Api(client, other_token).check("GET", f"/families/{theirs.id}/{view}")
        assert Api(client, own_token).call("GET", f"/families/{theirs.id}/{view}").status_code == (
            404
        )
    # Each refusal is in the audit trail, under the account and against the family asked for.
    for account, asked in ((elsewhere, family), (own, theirs)):
        denied = db.exec(
            select(AuditEvent).where(
                col(AuditEvent.action) == AuditAction.ACCESS_DENIED.value,
                col(AuditEvent.user_id) == account.id,
            )
        ).all()
        assert [event.family_id for event in denied] == [asked.id] * len(VIEWS)

    # Each view documents every status it can answer, with the shared error bodies (what the
    # OpenAPI document is built from: building the document itself takes seconds).
    routes = {context.path: context for context in iter_route_contexts(app.routes)}
    for view in VIEWS:
        route = routes[f"/api/v1/families/{{family_id}}/{view}"]
        assert route.response_model is not None
        documented = {code: answer["model"] for code, answer in route.responses.items()}
        assert {code: documented.get(code) for code in (401, 403, 404, 422)} == {
            401: ErrorBody,
            403: ErrorBody,
            404: ErrorBody,
            422: InvalidBody,
        }, view
