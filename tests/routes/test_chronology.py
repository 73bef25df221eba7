"""Chronology pages: adding, changing and deleting entries (with and without htmx), bad
input, conflicts, filters, sorting, pagination and who may do what."""

from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from app.models.accounts import Role, Team, User
from app.models.audit import AuditAction, AuditEvent
from app.models.chronology import (
    ChronologyComment,
    ChronologyEntry,
    ChronologyEntryChild,
    ChronologyEntryTheme,
)
from app.models.family import Child, Family
from app.timeutil import london_today
from tests.factories import (
    make_child,
    make_entry,
    make_family,
    make_team,
    make_user,
    post_form,
    sign_in_as,
)
from tests.support.client import CheckingClient, soup

HTMX = {"HX-Request": "true"}


@pytest.fixture
def team(db: Session) -> Team:
    return make_team(db, "Riverside")


@pytest.fixture
def practitioner(client: CheckingClient, db: Session, team: Team) -> User:
    user = make_user(db, roles=[Role.PRACTITIONER], team=team, name="Priya Shah")
    sign_in_as(client, db, user)
    return user


@pytest.fixture
def family(db: Session, team: Team, practitioner: User) -> Family:
    return make_family(
        db, team=team, allocated_to=practitioner, display_name="Harper family", identified=True
    )


@pytest.fixture
def child(db: Session, family: Family) -> Child:
    return make_child(db, family, name="Amy Harper")


def errors(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        link["href"]: link.get_text(strip=True)
        for link in soup(response).select(".govuk-error-summary a")
    }


def entry_form(**overrides: object) -> dict[str, object]:
    values: dict[str, object] = {
        "occurred_on-day": "27",
        "occurred_on-month": "3",
        "occurred_on-year": "2024",
        "date_precision": "day",
        "source_id": "police",
        "source_detail": "Log 1234",
        "what_happened": "Police called after a neighbour heard shouting",
        "who_was_involved": "Mother, her partner",
        "impact_on_child": "Amy was frightened",
        "response": "Referral to children's services",
        "outcome": "Strategy discussion held",
        "themes": ["domestic-abuse-incident", "child-distress"],
        "significance": "red",
        "parents_comments": "",
    }
    values.update(overrides)
    return values


def live_entries(db: Session, family: Family) -> list[ChronologyEntry]:
    return list(
        db.exec(
            select(ChronologyEntry).where(
                col(ChronologyEntry.family_id) == family.id,
                col(ChronologyEntry.deleted_at).is_(None),
            )
        ).all()
    )


def test_the_page_lists_entries_and_links_from_the_family_navigation(
    client: CheckingClient, db: Session, family: Family, practitioner: User, child: Child
) -> None:
    make_entry(db, family, author=practitioner, children=[child])
    overview = client.get(f"/families/{family.id}")
    assert soup(overview).select_one(f'nav a[href="/families/{family.id}/chronology"]')
    page = client.get(f"/families/{family.id}/chronology")
    assert page.status_code == 200
    row = soup(page).select_one(".hw-chronology-table tbody tr")
    assert row is not None
    text = row.get_text(" ", strip=True)
    assert "27 March 2024" in text
    assert "Police" in text
    assert "Amy Harper" in text
    assert "Domestic abuse incident (risk)" in text
    assert "Red, serious" in text


def test_each_row_shows_its_own_themes_children_and_comments(
    client: CheckingClient, db: Session, family: Family, practitioner: User, child: Child
) -> None:
    # Older than Amy: each row names the children oldest first, as the family's record does.
    other = make_child(db, family, name="Sol Harper", born=date(2012, 1, 1))
    both = make_entry(
        db,
        family,
        author=practitioner,
        occurred_on=date(2024, 3, 3),
        what="Both children at the contact",
        themes=["domestic-abuse-incident", "neglect-of-care"],
        children=[child, other],
    )
    one = make_entry(
        db,
        family,
        author=practitioner,
        occurred_on=date(2024, 2, 2),
        what="Sol alone at school",
        themes=[],
        children=[other],
    )
    make_entry(db, family, author=practitioner, occurred_on=date(2024, 1, 1), what="Nobody")
    for entry, count in ((both, 2), (one, 1)):
        for number in range(count):
            db.add(
                ChronologyComment(
                    family_id=family.id,
                    entry_id=entry.id,
                    author_id=practitioner.id,
                    body=f"{number}",
                )
            )
    # A comment on the whole chronology belongs to no row.
    db.add(ChronologyComment(family_id=family.id, author_id=practitioner.id, body="Overall"))
    db.flush()
    rows = soup(client.get(f"/families/{family.id}/chronology")).select(
        ".hw-chronology-table tbody tr"
    )
    texts = [row.get_text(" ", strip=True) for row in rows]
    assert len(texts) == 3
    assert "Domestic abuse incident" in texts[0]
    assert "Neglect" in texts[0]
    assert "Sol Harper, Amy Harper" in texts[0]
    assert "(2 comments)" in texts[0]
    assert "Sol Harper" in texts[1]
    assert "Amy Harper" not in texts[1]
    assert "Domestic abuse" not in texts[1]
    assert "(1 comment)" in texts[1]
    assert "Harper" not in texts[2]
    assert "comment" not in texts[2]
    entry_page = client.get(f"/families/{family.id}/chronology/{both.id}")
    assert "Sol Harper, Amy Harper" in soup(entry_page).main.get_text(" ", strip=True)


def test_adding_an_entry_without_javascript(
    client: CheckingClient, db: Session, family: Family, practitioner: User, child: Child
) -> None:
    page = client.get(f"/families/{family.id}/chronology/new")
    assert soup(page).h1.get_text(strip=True) == "Add an entry to the chronology"
    response = post_form(
        client,
        f"/families/{family.id}/chronology/new",
        entry_form(children=str(child.id), third_party="yes"),
    )
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/families/{family.id}/chronology#entry-")
    (entry,) = live_entries(db, family)
    assert entry.occurred_on == date(2024, 3, 27)
    assert entry.author_id == practitioner.id
    assert entry.third_party is True
    assert entry.source_detail == "Log 1234"
    assert entry.parents_comments is None
    themes = db.exec(
        select(col(ChronologyEntryTheme.theme_id)).where(
            col(ChronologyEntryTheme.entry_id) == entry.id
        )
    ).all()
    assert sorted(themes) == ["child-distress", "domestic-abuse-incident"]
    children = db.exec(
        select(col(ChronologyEntryChild.child_id)).where(
            col(ChronologyEntryChild.entry_id) == entry.id
        )
    ).all()
    assert children == [child.id]
    audit = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.entity_id) == str(entry.id),
            col(AuditEvent.action) == AuditAction.CREATE.value,
        )
    ).one()
    assert audit.family_id == family.id


def test_adding_an_entry_in_place_with_htmx(
    client: CheckingClient, db: Session, family: Family, practitioner: User
) -> None:
    form = client.get(f"/families/{family.id}/chronology/new", headers=HTMX)
    fragment = soup(form)
    assert fragment.select_one("#chronology-workspace form[hx-post]")
    assert fragment.h1 is None
    response = post_form(
        client, f"/families/{family.id}/chronology/new?sort=oldest", entry_form(), headers=HTMX
    )
    assert response.status_code == 200
    assert "Entry added" in response.text
    assert "Police called after a neighbour heard shouting" in response.text
    assert len(live_entries(db, family)) == 1


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"occurred_on-day": "", "occurred_on-month": "", "occurred_on-year": ""},
            "#occurred_on-day",
            "Enter the date of the event",
        ),
        (
            {"occurred_on-day": "31", "occurred_on-month": "2"},
            "#occurred_on-day",
            "The date must be a real date",
        ),
        ({"occurred_on-month": ""}, "#occurred_on-day", "The date must include a month"),
        (
            {"occurred_on-year": str(london_today().year + 1)},
            "#occurred_on-day",
            "The date is in the future: the chronology records what has happened",
        ),
        (
            {"occurred_on-year": "1850"},
            "#occurred_on-day",
            "The date is before 1900: check the year",
        ),
        ({"date_precision": "fortnight"}, "#date_precision", "Select how exact the date is"),
        ({"source_id": "tabloid"}, "#source_id", "Select where the information came from"),
        ({"what_happened": "   "}, "#what_happened", "Enter what happened"),
        (
            {"what_happened": "x" * 10001},
            "#what_happened",
            "What happened must be 10000 characters or fewer",
        ),
        (
            {"what_happened": "bell\x07"},
            "#what_happened",
            "Remove the hidden control characters from what happened",
        ),
        ({"themes": ["made-up-theme"]}, "#themes", "Select themes from the list"),
        ({"significance": ""}, "#significance", "Select how significant the event is"),
        ({"children": "not-a-uuid"}, "#children", "Select children from this family"),
    ],
)
def test_bad_input_is_explained_and_kept(
    client: CheckingClient,
    db: Session,
    family: Family,
    practitioner: User,
    overrides: dict[str, object],
    field: str,
    message: str,
) -> None:
    response = post_form(client, f"/families/{family.id}/chronology/new", entry_form(**overrides))
    assert response.status_code == 200
    assert errors(response).get(field) == message
    page = soup(response)
    assert page.title.get_text().startswith("Error: ")
    assert page.select_one("#who_was_involved")["value"] == "Mother, her partner"
    assert live_entries(db, family) == []


def test_a_child_of_another_family_is_refused(
    client: CheckingClient, db: Session, team: Team, family: Family, practitioner: User
) -> None:
    stranger = make_child(db, make_family(db, team=team))
    response = post_form(
        client, f"/families/{family.id}/chronology/new", entry_form(children=str(stranger.id))
    )
    assert errors(response) == {"#children": "Select children from this family"}


def test_month_year_and_approximate_dates(
    client: CheckingClient, db: Session, family: Family, practitioner: User
) -> None:
    for precision, day, expected, shown in [
        ("month", "", date(2021, 6, 1), "June 2021"),
        ("year", "", date(2019, 1, 1), "2019"),
        ("approximate", "17", date(2018, 6, 1), "About June 2018"),
        ("approximate_year", "", date(2017, 1, 1), "About 2017"),
    ]:
        year = str(expected.year)
        month = "" if precision in {"year", "approximate_year"} else "6"
        response = post_form(
            client,
            f"/families/{family.id}/chronology/new",
            entry_form(
                date_precision=precision,
                **{"occurred_on-day": day, "occurred_on-month": month, "occurred_on-year": year},
            ),
        )
        assert response.status_code == 303, errors(response)
        page = client.get(f"/families/{family.id}/chronology?sort=oldest")
        assert shown in page.text
    dates = sorted(entry.occurred_on for entry in live_entries(db, family))
    assert dates == [date(2017, 1, 1), date(2018, 6, 1), date(2019, 1, 1), date(2021, 6, 1)]


def test_changing_an_entry_in_place_and_without_javascript(
    client: CheckingClient, db: Session, family: Family, practitioner: User
) -> None:
    entry = make_entry(db, family, author=practitioner)
    in_place = client.get(f"/families/{family.id}/chronology/{entry.id}/edit", headers=HTMX)
    row = soup(in_place).select_one(f"#entry-{entry.id}")
    assert row is not None
    assert row.select_one("form[hx-post]")
    assert row.select_one("#what_happened").get_text() == entry.what_happened
    page = client.get(f"/families/{family.id}/chronology/{entry.id}/edit")
    assert soup(page).select_one("#occurred_on-day")["value"] == "27"
    response = post_form(
        client,
        f"/families/{family.id}/chronology/{entry.id}/edit",
        entry_form(version="1", significance="amber", themes="child-distress"),
        headers=HTMX,
    )
    assert "Entry saved" in response.text
    db.refresh(entry)
    assert entry.version == 2
    assert entry.significance == "amber"
    update = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.entity_id) == str(entry.id),
            col(AuditEvent.action) == AuditAction.UPDATE.value,
        )
    ).one()
    assert update.details["significance"] == {"before": "red", "after": "amber"}
    assert update.details["themes"]["after"] == ["child-distress"]
    # Without JavaScript the same form redirects back to the list.
    response = post_form(
        client,
        f"/families/{family.id}/chronology/{entry.id}/edit?theme=child-distress",
        entry_form(version="2", significance="green", themes="child-distress"),
    )
    assert response.status_code == 303
    assert response.headers["location"] == (
        f"/families/{family.id}/chronology?theme=child-distress#entry-{entry.id}"
    )


def test_a_conflicting_change_keeps_what_the_user_typed(
    client: CheckingClient, db: Session, family: Family, practitioner: User
) -> None:
    entry = make_entry(db, family, author=practitioner)
    first = post_form(
        client,
        f"/families/{family.id}/chronology/{entry.id}/edit",
        entry_form(version="1", what_happened="First version"),
    )
    assert first.status_code == 303
    second = post_form(
        client,
        f"/families/{family.id}/chronology/{entry.id}/edit",
        entry_form(version="1", what_happened="My careful wording"),
    )
    assert second.status_code == 200
    page = soup(second)
    assert "Someone else changed this entry" in page.get_text()
    assert page.select_one("#what_happened").get_text() == "My careful wording"
    assert page.select_one('input[name="version"]')["value"] == "2"
    db.refresh(entry)
    assert entry.what_happened == "First version"


def test_deleting_an_entry_needs_a_reason(
    client: CheckingClient, db: Session, team: Team, family: Family, practitioner: User
) -> None:
    entry = make_entry(db, family, author=practitioner)
    url = f"/families/{family.id}/chronology/{entry.id}/delete"
    assert client.get(url).status_code == 200
    refused = post_form(client, url, {"version": "1", "reason": ""})
    assert errors(refused) == {"#reason": "Enter why you are deleting this record"}
    done = post_form(client, url, {"version": "1", "reason": "Duplicate of another entry"})
    assert done.status_code == 303
    db.refresh(entry)
    assert entry.deleted_at is not None
    assert entry.deleted_by_id == practitioner.id
    assert "Police called" not in client.get(f"/families/{family.id}/chronology").text
    assert client.get(f"/families/{family.id}/chronology/{entry.id}/edit").status_code == 404
    sign_in_as(client, db, make_user(db, roles=[Role.SUPERVISOR], team=team))
    deleted = soup(client.get(f"/families/{family.id}/deleted")).select_one("tbody tr")
    assert "Chronology entry: 27 March 2024, Police called" in deleted.get_text()
    assert "Duplicate of another entry" in deleted.get_text()


def test_filters_sorting_and_pages(
    client: CheckingClient, db: Session, family: Family, practitioner: User, child: Child
) -> None:
    start = date(2020, 1, 1)
    for number in range(60):
        make_entry(
            db,
            family,
            author=practitioner,
            occurred_on=start + timedelta(days=number * 10),
            what=f"Event number {number}",
            source="health" if number % 2 else "police",
            significance=["red", "amber", "green"][number % 3],
            themes=["neglect-of-care"] if number % 5 == 0 else [],
            children=[child] if number % 4 == 0 else [],
        )
    base = f"/families/{family.id}/chronology"

    def shown(url: str) -> list[str]:
        page = soup(client.get(url))
        return [
            cell.select_one("p").get_text(strip=True)
            for cell in page.select(".hw-chronology-table tbody tr td:nth-of-type(2)")
        ]

    first = shown(base)
    assert len(first) == 25
    assert first[0] == "Event number 59"
    assert shown(f"{base}?page=3") == [f"Event number {n}" for n in range(9, -1, -1)]
    assert shown(f"{base}?sort=oldest")[0] == "Event number 0"
    assert shown(f"{base}?theme=neglect-of-care") == [
        f"Event number {n}" for n in range(55, -1, -5)
    ]
    assert set(shown(f"{base}?source=health&significance=red")) == {
        f"Event number {n}" for n in range(60) if n % 2 and n % 3 == 0
    }
    assert shown(f"{base}?child={child.id}")[-1] == "Event number 0"
    assert shown(f"{base}?q=NUMBER%2042") == ["Event number 42"]
    assert shown(f"{base}?from=1/1/2021&to=31/1/2021") == [
        f"Event number {n}" for n in range(39, 36, -1)
    ]
    first_significance = shown(f"{base}?sort=significance")
    assert all(int(text.split()[-1]) % 3 == 0 for text in first_significance[:20])
    assert all(int(text.split()[-1]) % 3 == 1 for text in first_significance[20:])
    page = client.get(f"{base}?q=Event&theme=neglect-of-care")
    assert "12 of 60 entries match" in soup(page).caption.get_text(" ", strip=True)
    # Nonsense in the address is ignored, and a bad date is explained.
    odd = client.get(f"{base}?theme=nope&sort=sideways&page=-4&child=zzz&from=31/02/2021")
    assert odd.status_code == 200
    assert errors(odd) == {"#filter-from": "From: ‘31/02/2021’ is not a real date"}
    late = client.get(f"{base}?page=999")
    assert "Page 3 of 3" in late.text
    # A page beyond any the database could skip to is the last page too, not an error.
    assert "Page 3 of 3" in client.get(f"{base}?page={10**30}").text
    fragment = client.get(f"{base}?q=number%207", headers=HTMX)
    assert soup(fragment).select_one("#chronology-workspace")
    assert fragment.headers["vary"] == "HX-Request"


def test_colleagues_see_but_cannot_change(
    client: CheckingClient, db: Session, team: Team, family: Family, practitioner: User
) -> None:
    entry = make_entry(db, family, author=practitioner)
    colleague = make_user(db, roles=[Role.PRACTITIONER], team=team)
    sign_in_as(client, db, colleague)
    page = client.get(f"/families/{family.id}/chronology")
    assert page.status_code == 200
    assert "Add an entry" not in page.text
    assert client.get(f"/families/{family.id}/chronology/{entry.id}/edit").status_code == 403
    refused = post_form(
        client, f"/families/{family.id}/chronology/{entry.id}/edit", entry_form(version="1")
    )
    assert refused.status_code == 403
    denied = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.family_id) == family.id,
            col(AuditEvent.action) == AuditAction.ACCESS_DENIED.value,
            col(AuditEvent.user_id) == colleague.id,
        )
    ).all()
    assert len(denied) == 2
    outsider = make_user(db, roles=[Role.SUPERVISOR], team=make_team(db))
    sign_in_as(client, db, outsider)
    hidden = client.get(f"/families/{family.id}/chronology")
    assert hidden.status_code == 404
    assert "Harper" not in hidden.text


def test_an_entry_of_another_family_is_not_found(
    client: CheckingClient, db: Session, team: Team, family: Family, practitioner: User
) -> None:
    other = make_family(db, team=team, allocated_to=practitioner, identified=True)
    entry = make_entry(db, other, author=practitioner)
    assert client.get(f"/families/{family.id}/chronology/{entry.id}/edit").status_code == 404


def test_the_analysis_is_shown_beside_the_entries(
    client: CheckingClient, db: Session, family: Family, practitioner: User
) -> None:
    for year in (2019, 2020, 2023):
        make_entry(db, family, author=practitioner, occurred_on=date(year, 5, 1))
    page = soup(client.get(f"/families/{family.id}/chronology"))
    panel = page.select_one(".hw-analysis-panel").get_text(" ", strip=True)
    assert "Domestic abuse incident : 3 times, 2019 to 2023" in panel
    assert "3 entries" in panel
    assert "1 May 2020 to 1 May 2023" in panel
    full = soup(client.get(f"/families/{family.id}/chronology/analysis"))
    table = full.select_one("table").get_text(" ", strip=True)
    assert "2019 2020 2021 2022 2023 Total" in table
    assert "Domestic abuse incident (risk) 1 1 – – 1 3" in table


def test_writing_the_analysis(
    client: CheckingClient, db: Session, family: Family, practitioner: User
) -> None:
    url = f"/families/{family.id}/chronology/analysis/overall"
    assert soup(client.get(url)).h1.get_text(strip=True) == (
        "Analysis of the chronology as a whole"
    )
    empty = post_form(client, url, {"version": "0", "text": "  "})
    assert errors(empty) == {"#text": "Enter your analysis"}
    saved = post_form(client, url, {"version": "0", "text": "Line one.\nLine two."})
    assert saved.status_code == 303
    stale = post_form(client, url, {"version": "0", "text": "My other words"})
    assert "Someone else changed this analysis" in stale.text
    assert soup(stale).select_one("#text").get_text() == "My other words"
    assert soup(stale).select_one('input[name="version"]')["value"] == "1"
    page = client.get(f"/families/{family.id}/chronology/analysis")
    assert "Line one.\nLine two." in soup(page).select_one(".hw-written").get_text()
    theme = client.get(f"/families/{family.id}/chronology/analysis/neglect-of-care")
    assert soup(theme).h1.get_text(strip=True) == "Analysis of Neglect of the child's care"
    assert client.get(f"/families/{family.id}/chronology/analysis/made-up").status_code == 404


def test_forms_opened_on_a_filtered_list_post_back_to_it(
    client: CheckingClient, db: Session, family: Family, practitioner: User
) -> None:
    """With two filters on, the forms opened in place keep both in their addresses (the
    checking client's strict parse refuses a bare & in an attribute)."""
    entry = make_entry(db, family, author=practitioner, source="police", significance="red")
    base = f"/families/{family.id}/chronology"
    filters = "source=police&significance=red"
    for opened, posts_to in (
        (f"{base}/new?{filters}", f"{base}/new?{filters}"),
        (f"{base}/{entry.id}/edit?{filters}", f"{base}/{entry.id}/edit?{filters}"),
    ):
        in_place = client.get(opened, headers=HTMX)
        assert in_place.status_code == 200, opened
        assert soup(in_place).select_one(f'form[hx-post="{posts_to}"]'), opened
