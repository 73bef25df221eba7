"""The timeline, the entry page, and supervisor review: comments, "mark as reviewed" and the
changes listed since."""

from datetime import date

import pytest
from sqlmodel import Session, col, select

from app.models.accounts import Role, Team, User
from app.models.audit import AuditEvent
from app.models.chronology import ChronologyComment, ChronologyReview
from app.models.family import Family
from tests.factories import (
    make_child,
    make_entry,
    make_family,
    make_return,
    make_team,
    make_user,
    post_form,
    sign_in_as,
)
from tests.routes.test_chronology import entry_form, errors
from tests.support.client import CheckingClient, soup


@pytest.fixture
def team(db: Session) -> Team:
    return make_team(db, "Riverside")


@pytest.fixture
def practitioner(db: Session, team: Team) -> User:
    return make_user(db, roles=[Role.PRACTITIONER], team=team, name="Priya Shah")


@pytest.fixture
def supervisor(db: Session, team: Team) -> User:
    return make_user(db, roles=[Role.SUPERVISOR], team=team, name="Sam Okafor")


@pytest.fixture
def family(db: Session, team: Team, practitioner: User) -> Family:
    return make_family(
        db, team=team, allocated_to=practitioner, display_name="Harper family", identified=True
    )


def test_the_timeline_draws_themes_care_and_returns_with_a_table(
    client: CheckingClient, db: Session, family: Family, practitioner: User
) -> None:
    amy = make_child(db, family, name="Amy Harper", entered_care=date(2025, 9, 1))
    make_return(db, amy, returned_on=date(2022, 3, 1), broke_down=True)
    make_entry(db, family, author=practitioner, occurred_on=date(2022, 5, 3))
    make_entry(db, family, author=practitioner, occurred_on=date(2022, 5, 20))
    make_entry(
        db,
        family,
        author=practitioner,
        occurred_on=date(2023, 1, 9),
        significance="green",
        themes=["good-contact"],
    )
    make_entry(db, family, author=practitioner, occurred_on=date(2023, 2, 1), themes=[])
    sign_in_as(client, db, practitioner)
    page = soup(client.get(f"/families/{family.id}/chronology/timeline"))
    svg = page.select_one("svg[role=img]")
    assert svg is not None
    assert svg["aria-labelledby"] == "timeline-title timeline-desc"
    titles = [title.get_text() for title in svg.select("g > title")]
    assert "Domestic abuse incident, May 2022: 2 entries, Red, serious" in titles
    assert "Good quality contact, January 2023: 1 entry, Green, positive or routine" in titles
    assert "No theme, February 2023: 1 entry, Red, serious" in titles
    assert "Amy Harper home from 1 March 2022 to 1 September 2022: broke down" in titles
    # Grades by shape as well as colour; counts written beside marks.
    assert svg.select("path[fill='#d4351c']")
    assert svg.select("circle[fill='#00703c']")
    assert [text.get_text() for text in svg.select("g > text")] == ["2"]
    labels = [text.get_text() for text in svg.select("text")]
    assert "Domestic abuse incident (risk)" in labels
    assert "Good quality contact (protective)" in labels
    tables = page.select("table")
    episodes = tables[0].get_text(" ", strip=True)
    assert "Earlier return home (broke down) 1 March 2022 1 September 2022" in episodes
    rows = [row.get_text(" ", strip=True) for row in tables[1].select("tbody tr")]
    assert "Domestic abuse incident May 2022 2 – –" in rows


def test_an_empty_timeline(
    client: CheckingClient, db: Session, family: Family, practitioner: User
) -> None:
    sign_in_as(client, db, practitioner)
    page = client.get(f"/families/{family.id}/chronology/timeline")
    assert "There are no entries to show yet." in page.text


def test_supervisor_comments_reviews_and_sees_what_changed(
    client: CheckingClient, db: Session, family: Family, practitioner: User, supervisor: User
) -> None:
    kept = make_entry(db, family, author=practitioner, what="Police call-out")
    changed = make_entry(db, family, author=practitioner, occurred_on=date(2023, 1, 5))
    removed = make_entry(db, family, author=practitioner, occurred_on=date(2022, 1, 5))
    sign_in_as(client, db, supervisor)
    entry_url = f"/families/{family.id}/chronology/{kept.id}"
    empty = post_form(client, f"{entry_url}/comments", {"body": " "})
    assert errors(empty) == {"#body": "Enter your comment"}
    assert (
        post_form(
            client, f"{entry_url}/comments", {"body": "Was the child seen alone?"}
        ).status_code
        == 303
    )
    page = soup(client.get(entry_url))
    assert "Was the child seen alone?" in page.select_one(".hw-comment").get_text()
    assert "Sam Okafor" in page.select_one(".hw-comment").get_text()
    assert "Change this entry" not in page.get_text()
    review_url = f"/families/{family.id}/chronology/review"
    assert "has not been reviewed yet" in client.get(review_url).text
    post_form(client, f"/families/{family.id}/chronology/comments", {"body": "Good start."})
    assert (
        post_form(client, review_url, {"note": "Add the 2019 police records."}).status_code == 303
    )
    review = db.exec(
        select(ChronologyReview).where(col(ChronologyReview.family_id) == family.id)
    ).one()
    assert review.reviewed_by_id == supervisor.id
    assert len(review.snapshot["entries"]) == 3
    page = soup(client.get(review_url))
    assert "Reviewed by Sam Okafor" in page.get_text()
    assert "Nothing has changed since the review." in page.get_text()
    assert "Good start." in page.get_text()

    # The practitioner changes one entry, deletes another and adds a third.
    sign_in_as(client, db, practitioner)
    assert (
        post_form(
            client,
            f"/families/{family.id}/chronology/{changed.id}/edit",
            entry_form(version="1", significance="amber"),
        ).status_code
        == 303
    )
    post_form(
        client,
        f"/families/{family.id}/chronology/{removed.id}/delete",
        {"version": "1", "reason": "Duplicate"},
    )
    post_form(client, f"/families/{family.id}/chronology/new", entry_form(what_happened="New"))
    post_form(
        client,
        f"/families/{family.id}/chronology/analysis/overall",
        {"version": "0", "text": "Pattern of call-outs."},
    )
    listing = soup(client.get(f"/families/{family.id}/chronology"))
    assert "Changed since review" in listing.get_text()
    assert "4 changes" in listing.get_text()
    page = soup(client.get(review_url))
    rows = sorted(
        (row.select("td")[0].get_text(strip=True), row.select("td")[1].get_text(strip=True))
        for row in page.select("tbody tr")
    )
    assert rows == [
        ("Entry of 27 March 2024", "Added"),
        (
            "Entry of 27 March 2024",
            "Changed: Date, Source details, What happened, Who was involved, "
            "Impact on the child, Response, Outcome, Significance, Themes",
        ),
        ("Entry of 5 January 2022", "Deleted: Duplicate"),
        ("Written analysis of the chronology as a whole", "Written"),
    ]
    # Practitioners see the review but cannot review or comment.
    assert "Mark as reviewed" not in page.get_text()
    assert post_form(client, review_url, {}).status_code == 403
    assert post_form(client, f"{entry_url}/comments", {"body": "x"}).status_code == 403
    assert db.exec(select(ChronologyComment)).all()
    assert db.exec(
        select(AuditEvent).where(col(AuditEvent.entity_type) == "chronology_review")
    ).one()


def test_another_teams_supervisor_cannot_review(
    client: CheckingClient, db: Session, family: Family
) -> None:
    outsider = make_user(db, roles=[Role.SUPERVISOR], team=make_team(db))
    sign_in_as(client, db, outsider)
    assert post_form(client, f"/families/{family.id}/chronology/review", {}).status_code == 404
    assert db.exec(select(ChronologyReview)).all() == []


def test_an_unknown_entry_page_is_not_found(
    client: CheckingClient, db: Session, team: Team, family: Family, practitioner: User
) -> None:
    other = make_entry(db, make_family(db, team=team), author=practitioner)
    sign_in_as(client, db, practitioner)
    assert client.get(f"/families/{family.id}/chronology/{other.id}").status_code == 404
