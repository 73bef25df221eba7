"""The JSON API's classification gives each scored tool as the page shows it: not completed
(no level) until its items are answered, then its score, band and items."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from app.models.accounts import Role
from tests.factories import make_family, make_team
from tests.support.api import Api, service_account
from tests.support.assessment import rate
from tests.support.client import CheckingClient
from tests.support.content import move_to, publish_tiny_with_tools


def test_the_api_gives_each_tool_its_completion_band_and_items(
    client: CheckingClient, db: Session, tmp_path: Path
) -> None:
    content = publish_tiny_with_tools(db, tmp_path / "tiny" / "1.0.0")
    team = make_team(db)
    worker, token = service_account(db, role=Role.PRACTITIONER, team=team)
    family = make_family(db, team=team, allocated_to=worker)
    move_to(db, family, content)
    db.commit()
    api = Api(client, token)
    url = f"/families/{family.id}/classifications/classify"

    before = {tool["id"]: tool for tool in api.check("GET", url)["suggestion"]["tools"]}
    ratings = {"al-r1": "absent", "al-r2": "absent", "al-p1": "present"}
    rate(db, worker, family, "factors-alpha", ratings, content=content)
    db.commit()
    after = {tool["id"]: tool for tool in api.check("GET", url)["suggestion"]["tools"]}

    assert before["extra"]["completed"] is False
    assert before["extra"]["level"] is None
    assert before["extra"]["unanswered"] == ["Alpha strength present"]
    assert after["extra"]["completed"] is True
    assert (after["extra"]["score"], after["extra"]["band_label"]) == (1, "Some concern 1")
    assert after["extra"]["level"] == "medium"
    assert after["example-tool"]["discretionary_levels"] == 1
    assert [(item["label"], item["points"]) for item in after["example-tool"]["items"]] == [
        ("Alpha strength present", -1)
    ]
