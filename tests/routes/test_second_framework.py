"""A second framework: a family can start on any framework the council offers, its pages follow
that framework, and its summary shows only the sections that framework has."""

from __future__ import annotations

from sqlmodel import Session, col, select

from app.models.accounts import Role
from app.models.family import Family
from tests.factories import make_adult, make_child, make_team, make_user, post_form, sign_in_as
from tests.support.client import CheckingClient, soup

SHORT = "short-stay-return"


def test_a_practitioner_chooses_the_framework_a_family_follows(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db)
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    sign_in_as(client, db, practitioner)

    form = client.get("/families/new")
    choices = {
        radio["value"]: radio.has_attr("checked")
        for radio in soup(form).select("input[name=framework_id]")
    }  # type: ignore[misc]
    assert choices == {"reunification": True, SHORT: False}

    created = post_form(
        client,
        "/families/new",
        {"reference": "SSR-1", "display_name": "Short family", "framework_id": SHORT},
    )

    assert created.status_code == 303
    family = db.exec(select(Family).where(col(Family.reference) == "SSR-1")).one()
    assert (family.framework_id, family.framework_version) == (SHORT, "1.0.0")
    overview = client.get(f"/families/{family.id}")
    assert "Before the return" in overview.text
    assert "Why the child is in care, and what must change" in overview.text
    caseload = client.get("/families")
    assert "Before the return" in caseload.text


def test_a_framework_that_is_not_offered_is_refused(client: CheckingClient, db: Session) -> None:
    team = make_team(db)
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    sign_in_as(client, db, practitioner)

    response = post_form(
        client,
        "/families/new",
        {"reference": "SSR-2", "display_name": "Nope", "framework_id": "made-up"},
    )

    assert response.status_code == 200
    assert "Choose which framework the family's work will follow" in soup(response).get_text()
    assert db.exec(select(Family).where(col(Family.reference) == "SSR-2")).first() is None


def test_the_summary_shows_only_the_sections_the_framework_has(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db)
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    sign_in_as(client, db, practitioner)
    post_form(
        client,
        "/families/new",
        {"reference": "SSR-3", "display_name": "Summary family", "framework_id": SHORT},
    )
    family = db.exec(select(Family).where(col(Family.reference) == "SSR-3")).one()
    make_child(db, family, legal_status="s20", entry_reason="family-crisis")
    make_adult(db, family)

    page = client.get(f"/families/{family.id}/summary")

    headings = [heading.get_text(" ", strip=True) for heading in soup(page).select("h2")]
    assert any("The children's views" in heading for heading in headings)
    assert any("Research-based cautions" in heading for heading in headings)
    assert not any("Chronology" in heading for heading in headings)
    assert not any("capacity to change" in heading for heading in headings)
    assert "Looked after by agreement" in page.text  # its own caution, from its own rules
