"""The caseload: my families, the team view, awaiting sign-off; search, filter, sort, pages."""

from datetime import timedelta

from sqlmodel import Session

from app.models.accounts import Role
from app.models.progress import SectionStatus
from app.services import progress
from app.services.audit import Actor
from app.timeutil import london_today
from tests.factories import CONTENT, make_child, make_family, make_team, make_user, sign_in_as
from tests.support.client import CheckingClient, soup


def names(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [
        a.get_text(strip=True) for a in soup(response).select("#results tbody td:first-child a")
    ]


def test_practitioner_sees_their_own_families_and_can_switch_to_the_team(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db)
    me = make_user(db, roles=[Role.PRACTITIONER], team=team)
    colleague = make_user(db, roles=[Role.PRACTITIONER], team=team)
    make_family(db, team=team, allocated_to=me, display_name="Mine family")
    make_family(db, team=team, allocated_to=colleague, display_name="Colleague family")
    make_family(db, team=make_team(db), display_name="Elsewhere family")
    sign_in_as(client, db, me)
    assert names(client.get("/families")) == ["Mine family"]
    assert sorted(names(client.get("/families?scope=team"))) == ["Colleague family", "Mine family"]


def test_search_by_family_child_or_reference(client: CheckingClient, db: Session) -> None:
    team = make_team(db)
    me = make_user(db, roles=[Role.SUPERVISOR], team=team)
    harper = make_family(db, team=team, display_name="Harper family", reference="RIV-001")
    make_child(db, harper, name="Zainab Harper")
    make_family(db, team=team, display_name="Okoro family", reference="RIV-002")
    sign_in_as(client, db, me)
    assert names(client.get("/families", params={"search": "zainab"})) == ["Harper family"]
    assert names(client.get("/families", params={"search": "riv-002"})) == ["Okoro family"]
    assert names(client.get("/families", params={"search": "%"})) == []


def test_htmx_filtering_returns_only_the_results_fragment(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db)
    me = make_user(db, roles=[Role.SUPERVISOR], team=team)
    make_family(db, team=team, display_name="Harper family")
    sign_in_as(client, db, me)
    response = client.get("/families", params={"search": "harp"}, headers={"HX-Request": "true"})
    assert "<html" not in response.text
    assert "Harper family" in response.text
    assert "HX-Request" in response.headers["vary"]


def test_htmx_fragment_renders_pagination_and_flags(client: CheckingClient, db: Session) -> None:
    team = make_team(db)
    me = make_user(db, roles=[Role.SUPERVISOR], team=team)
    for number in range(30):
        family = make_family(db, team=team, display_name=f"Paged family {number:02}")
        # A review was due yesterday (the journey's tests make reviews fall due for real).
        family.next_review_due = london_today() - timedelta(days=1)
    sign_in_as(client, db, me)
    response = client.get(
        "/families", params={"scope": "team", "search": "paged"}, headers={"HX-Request": "true"}
    )
    fragment = soup(response)
    assert len(fragment.select("#results tbody tr")) == 25
    assert fragment.select_one("nav.govuk-pagination a[rel=next]") is not None
    assert "Overdue" in fragment.get_text()


def test_overdue_and_sign_off_flags_and_the_supervisor_list(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db)
    supervisor = make_user(db, roles=[Role.SUPERVISOR], team=team)
    late = make_family(db, team=team, display_name="Late family")
    late.next_review_due = london_today() - timedelta(days=1)
    waiting = make_family(db, team=team, display_name="Waiting family")
    progress.set_section_status(
        db,
        actor=Actor(user=supervisor),
        family=waiting,
        content=CONTENT.latest("reunification"),
        section_id="identification",
        status=SectionStatus.AWAITING_SIGN_OFF,
    )
    make_family(db, team=team, display_name="Fine family")
    sign_in_as(client, db, supervisor)
    team_view = client.get("/families")  # a supervisor starts on the team view
    assert soup(team_view).h1.get_text(strip=True) == "Team families"
    assert names(client.get("/families", params={"flag": "overdue"})) == ["Late family"]
    assert "Overdue" in client.get("/families").text
    assert names(client.get("/families?scope=sign-off")) == ["Waiting family"]
    assert waiting.next_action == "Sign off: Identification"


def test_sorting_and_pagination(client: CheckingClient, db: Session) -> None:
    team = make_team(db)
    me = make_user(db, roles=[Role.SUPERVISOR], team=team)
    for number in range(30):
        make_family(db, team=team, display_name=f"Family {number:02d}")
    sign_in_as(client, db, me)
    first = client.get("/families", params={"sort": "name"})
    assert names(first) == [f"Family {n:02d}" for n in range(25)]
    assert "30 families" in first.text
    second = client.get("/families", params={"sort": "name", "page": 2})
    assert names(second) == [f"Family {n:02d}" for n in range(25, 30)]
    assert soup(second).select_one(".govuk-pagination__prev a")["href"] == "?sort=name&page=1"
