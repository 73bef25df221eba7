"""Moving a family from version 1.0.0 to a test 1.9.0 that adds, changes and removes
questions and factors: the page shows each change, nothing moves until confirmed, and every
answer and rating is kept."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from app.config import PROJECT_ROOT
from app.content.compare import compare
from app.content.registry import ContentRegistry, load_registry
from app.models.accounts import Role
from app.models.assessment import AssessmentAnswer, FactorRating
from app.services import content_move, questions
from app.services.errors import Conflict, InvalidInput
from tests.factories import make_family, make_team, make_user, post_form, sign_in_as
from tests.support.assessment import V1, actor, rate, save
from tests.support.client import CheckingClient, soup
from tests.support.content import publish_folder

FIXTURE = Path(__file__).resolve().parent.parent / "content" / "fixtures" / "version-move"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> ContentRegistry:
    """The bundled 1.0.0 beside the test 1.9.0."""
    root = tmp_path_factory.mktemp("content") / "reunification"
    shutil.copytree(PROJECT_ROOT / "framework_content" / "reunification" / "1.0.0", root / "1.0.0")
    shutil.copytree(FIXTURE / "reunification" / "1.9.0", root / "1.9.0")
    loaded = load_registry(root.parent)
    assert loaded.versions("reunification") == ("1.0.0", "1.9.0")
    return loaded


def answered_family(db: Session):  # type: ignore[no-untyped-def]
    team = make_team(db)
    user = make_user(db, roles=[Role.PRACTITIONER], team=team)
    family = make_family(db, team=team, allocated_to=user)
    family.framework_version, family.content_hash = V1.version, V1.content_hash
    save(
        db,
        user,
        family,
        "identification",
        {
            "a.identification-route": "court",
            "a.chronology-author": "Priya Shah",
            "a.assessment-due-date-day": "1",
            "a.assessment-due-date-month": "9",
            "a.assessment-due-date-year": "2026",
        },
        content=V1,
    )
    rate(
        db,
        user,
        family,
        "factors-substance-misuse",
        {"sm-r5": "present", "sm-p4": "absent"},
        content=V1,
    )
    return user, family


def snapshot(db: Session, family_id):  # type: ignore[no-untyped-def]
    answers = db.exec(select(AssessmentAnswer).where(col(AssessmentAnswer.family_id) == family_id))
    ratings = db.exec(select(FactorRating).where(col(FactorRating.family_id) == family_id))
    return (
        sorted(
            (row.answer_key, row.content_version, row.value_text, row.value_choice, row.value_date)
            for row in answers
        ),
        sorted((row.factor_id, row.status) for row in ratings),
    )


def test_the_comparison_lists_each_added_changed_and_removed_item(
    registry: ContentRegistry,
) -> None:
    changes = compare(
        registry.get("reunification", "1.0.0"), registry.get("reunification", "1.9.0")
    )
    found = {(change.item_id, change.change) for change in changes}
    assert {
        ("assessment-due-date", "removed"),
        ("interpreter-needed", "added"),
        ("chronology-author", "changed"),
        ("identification-route", "changed"),
        ("sm-r5", "removed"),
        ("sm-r6", "added"),
        ("sm-p4", "changed"),
    } == found
    route = next(change for change in changes if change.item_id == "identification-route")
    assert "Option added: A looked-after child review recommended it" in route.details
    assert any(note.startswith("Option re-worded") for note in route.details)


def test_moving_keeps_every_answer(db: Session, registry: ContentRegistry) -> None:
    user, family = answered_family(db)
    before = snapshot(db, family.id)
    with pytest.raises(InvalidInput):
        content_move.move(
            db,
            actor=actor(user),
            registry=registry,
            family=family,
            target_version="1.9.0",
            confirmed=False,
            expected_version=family.version,
        )
    assert family.framework_version == "1.0.0"
    newer = content_move.move(
        db, actor=actor(user), registry=registry, family=family,
        target_version="1.9.0", confirmed=True, expected_version=family.version,
    )  # fmt: skip
    assert family.framework_version == "1.9.0"
    assert snapshot(db, family.id) == before
    retired = questions.retired_answers(db, family, newer)
    assert [row.question_id for row in retired] == ["assessment-due-date"]
    kept = questions.family_answers(db, family, newer)
    assert kept["chronology-author"] == "Priya Shah"
    assert kept["identification-route"] == "court"
    with pytest.raises(Conflict):
        content_move.move(
            db,
            actor=actor(user),
            registry=registry,
            family=family,
            target_version="1.9.0",
            confirmed=True,
            expected_version=family.version,
        )
    assert V1.version == "1.0.0"


def test_the_version_page_moves_only_on_confirmation(client: CheckingClient, db: Session) -> None:
    publish_folder(db, FIXTURE / "reunification" / "1.9.0")
    user, family = answered_family(db)
    sign_in_as(client, db, user)
    page = client.get(f"/families/{family.id}/version")
    assert "Version 1.9.0 is available" in page.text
    rows = {row.td.get_text(" ", strip=True): row for row in soup(page).select("tbody tr")}  # type: ignore[union-attr]
    assert any("assessment-due-date" in key for key in rows)
    # Whether the family's suggestion would change, besides what the questions do.
    text = soup(page).get_text(" ", strip=True)
    assert re.search(r"The suggested level would (stay|change from) ", text)
    assert re.search(
        r"The cautions would stay the same|A new caution would be raised|would no longer be raised",
        text,
    )
    form = {"target": "1.9.0", "version": str(family.version)}
    refused = post_form(client, f"/families/{family.id}/version", form)
    assert "Confirm that you have read what changes" in refused.text
    moved = post_form(client, f"/families/{family.id}/version", {**form, "confirm": "yes"})
    assert moved.status_code == 303
    db.refresh(family)
    assert family.framework_version == "1.9.0"
    section = client.get(f"/families/{family.id}/sections/identification")
    assert "Answers to questions no longer in this version" in section.text
    assert "1 September 2026" in section.text
    assert "Does anyone in the family need an interpreter?" in section.text


def test_answers_and_ratings_record_the_hash_of_their_version(db: Session) -> None:
    _, family = answered_family(db)

    answers = db.exec(select(AssessmentAnswer).where(col(AssessmentAnswer.family_id) == family.id))
    ratings = db.exec(select(FactorRating).where(col(FactorRating.family_id) == family.id))

    hashes = {row.content_hash for row in [*answers, *ratings]}
    assert hashes == {V1.content_hash}
