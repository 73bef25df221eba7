"""Deleting a return home or a visit recorded by mistake, through the pages: the reason is
required, a stale page is refused with the reason kept, and what is deleted leaves the lists
(and is audited), on both databases."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, select

from app.demo.journey import Story
from app.models.audit import AuditAction, AuditEvent
from app.services import returns
from tests.factories import post_form, sign_in_as
from tests.support.client import CheckingClient, soup
from tests.support.journey import agreed, assessed, review_before_return


@pytest.fixture
def at_home(story: Story, client: CheckingClient) -> Story:
    """Ann has gone home to Cara, and has had one visit since."""
    assessed(story, 30)
    agreed(story, 26)
    review_before_return(story, 20, "proceed-gradual-return")
    with story.weeks_ago(19):
        story.go_home("Ann", "Cara", "planned-gradual")
    with story.weeks_ago(18):
        story.visit("Ann", alone=("Ann",))
    sign_in_as(client, story.session, story.practitioner)
    return story


def summary(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [item.get_text(strip=True) for item in soup(response).select(".govuk-error-summary a")]


@pytest.mark.parametrize(
    ("listing", "what", "rows", "entity_type"),
    [
        ("going-home", "this return home", returns.child_returns, "child_return"),
        (
            "visits",
            "this visit",
            lambda db, family_id: [row for row, _seen in returns.visits(db, family_id)],
            "monitoring_visit",
        ),
    ],
)
def test_a_record_deleted_by_mistake(
    at_home: Story,
    client: CheckingClient,
    listing: str,
    what: str,
    rows,  # type: ignore[no-untyped-def]
    entity_type: str,
) -> None:
    db: Session = at_home.session
    family_id = at_home.family.id
    (row,) = rows(db, family_id)
    address = f"/families/{family_id}/{listing}/{row.id}/delete"

    page = client.get(address)
    assert what in page.text
    version = soup(page).select_one("input[name=version]")["value"]  # type: ignore[index]

    no_reason = post_form(client, address, {"version": version, "reason": ""})
    assert no_reason.status_code == 200
    assert summary(no_reason), "a delete without a reason is refused with a problem shown"

    stale = post_form(client, address, {"version": str(int(version) - 1), "reason": "Typed twice"})
    assert "Someone else changed this record" in " ".join(summary(stale))
    assert soup(stale).select_one("textarea[name=reason]").get_text() == "Typed twice"  # type: ignore[union-attr]
    assert rows(db, family_id) == [row]

    done = post_form(client, address, {"version": version, "reason": "Recorded twice"})
    assert done.status_code == 303
    assert done.headers["location"] == f"/families/{family_id}/{listing}"
    assert rows(db, family_id) == []
    deleted = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.entity_type) == entity_type,
            col(AuditEvent.action) == AuditAction.DELETE,
            col(AuditEvent.entity_id) == str(row.id),
        )
    ).all()
    assert len(deleted) == 1


def test_going_home_starts_from_the_childs_record(at_home: Story, client: CheckingClient) -> None:
    """Ann is home: the form starts with Ben, the one child still in care, and his legal status
    from his record, saying so; two parents live in the household, so none is chosen."""
    from app.models.family import Child

    db: Session = at_home.session
    ben = db.exec(
        select(Child).where(col(Child.family_id) == at_home.family.id, col(Child.name) == "Ben")
    ).one()
    page = soup(client.get(f"/families/{at_home.family.id}/going-home"))
    assert page.select_one("input[name=child_id][checked]")["value"] == str(ben.id)  # type: ignore[index]
    assert page.select_one("input[name=legal_status][checked]")["value"] == ben.legal_status  # type: ignore[index]
    assert "Prefilled from Ben's record" in page.select_one("#legal_status-hint").get_text()  # type: ignore[union-attr]
    assert page.select_one("input[name=carer][checked]") is None
