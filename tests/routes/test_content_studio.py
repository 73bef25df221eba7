"""The trainer's pages: drafts from any version, files edited with errors against their lines,
conflicts that lose no text, publishing refused when invalid or when the number does not fit,
retiring, and the audit of all of it."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.content.loader import load_version
from app.models.accounts import Role, User
from app.models.audit import AuditEvent
from app.models.content import ContentFile, ContentStatus, ContentVersion
from app.models.family import Family
from app.services.content_store import changed, version_texts
from tests.content.broken_cases import TINY_DIR
from tests.factories import make_family, make_team, make_user, post_form, sign_in_as
from tests.support.client import CheckingClient, soup
from tests.support.content import publish_folder


@pytest.fixture
def trainer(db: Session) -> User:
    return make_user(db, roles=[Role.TRAINER], name="Tamsin Trainer")


@pytest.fixture
def tiny(db: Session) -> ContentVersion:
    """The tiny fixture framework published, so drafts use it and never the real framework."""
    return publish_folder(db, TINY_DIR)


def start_draft(
    client: CheckingClient, version: ContentVersion, title: str = "Reword"
) -> uuid.UUID:
    response = post_form(client, f"/content/versions/{version.id}/drafts", {"title": title})
    assert response.status_code == 303, response.text
    return uuid.UUID(response.headers["location"].split("/")[3].split("?")[0])


def file_row(db: Session, draft_id: uuid.UUID, name: str) -> ContentFile:
    return db.exec(
        select(ContentFile).where(
            col(ContentFile.content_version_id) == draft_id, col(ContentFile.name) == name
        )
    ).one()


def save(
    client: CheckingClient, db: Session, draft_id: uuid.UUID, name: str, text: str, **headers: str
):  # type: ignore[no-untyped-def]
    row = file_row(db, draft_id, name)
    return post_form(
        client,
        f"/content/drafts/{draft_id}/files/{name}",
        {"text": text, "version": str(row.version)},
        headers=headers,
    )


def test_only_trainers_reach_the_content_pages(
    client: CheckingClient, db: Session, trainer: User
) -> None:
    practitioner = make_user(db, roles=[Role.PRACTITIONER])
    sign_in_as(client, db, practitioner)
    assert client.get("/content").status_code == 403

    sign_in_as(client, db, trainer)
    home = client.get("/home")
    assert 'href="/content"' in home.text
    page = client.get("/content")
    assert page.status_code == 200
    assert "Return home (reunification) practice framework" in page.text
    assert "Version 1.0.0" in page.text


def test_a_trainer_drafts_edits_and_publishes_a_new_version(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    sign_in_as(client, db, trainer)
    draft_id = start_draft(client, tiny, "Reword the first alpha risk")
    assert "Reword the first alpha risk" in client.get(f"/content/drafts/{draft_id}").text
    text = file_row(db, draft_id, "domains/alpha.yaml").text
    reworded = text.replace("First alpha risk", "The first alpha risk, reworded")

    saved = save(client, db, draft_id, "domains/alpha.yaml", reworded.replace("\n", "\r\n"))

    assert saved.status_code == 303
    assert file_row(db, draft_id, "domains/alpha.yaml").text == reworded  # CRLF stored as LF
    publish_page = client.get(f"/content/drafts/{draft_id}/publish")
    assert soup(publish_page).select_one("#number")["value"] == "1.0.1"  # type: ignore[index]
    assert "need a new patch version" in publish_page.text

    published = post_form(
        client,
        f"/content/drafts/{draft_id}/publish",
        {"number": "1.0.1", "changes": "Reworded the first alpha risk.", "version": "1"},
    )

    assert published.status_code == 303
    row = db.get(ContentVersion, draft_id)
    assert row is not None
    assert row.status == ContentStatus.PUBLISHED.value
    assert row.number == "1.0.1"
    assert "version: 1.0.1" in version_texts(db, draft_id)["framework.yaml"]
    registry = client.app.state.content.registry(db)  # type: ignore[attr-defined]
    assert registry.latest("tiny").version == "1.0.1"
    assert registry.get("tiny", "1.0.1").content_hash == row.content_hash
    actions = [
        (event.action, event.entity_type)
        for event in db.exec(select(AuditEvent).where(col(AuditEvent.user_id) == trainer.id)).all()
    ]
    assert ("create", "content_draft") in actions
    assert ("update", "content_file") in actions
    assert ("publish", "content_version") in actions
    # A published version's files never change again.
    assert client.get(f"/content/drafts/{draft_id}/files/framework.yaml").status_code == 404


def test_invalid_yaml_is_kept_in_the_draft_with_the_error_at_its_line(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    sign_in_as(client, db, trainer)
    draft_id = start_draft(client, tiny)
    text = file_row(db, draft_id, "levels.yaml").text
    broken = text.replace("    rank: 1\n", "    rank: [1\n", 1)

    response = save(client, db, draft_id, "levels.yaml", broken)
    page = client.get(response.headers["location"])

    assert file_row(db, draft_id, "levels.yaml").text == broken
    problem = soup(page).select_one("#line-4")
    assert problem is not None
    assert "this is not valid YAML" in problem.get_text()
    assert "Line 4" in page.text
    refused = post_form(
        client,
        f"/content/drafts/{draft_id}/publish",
        {"number": "1.1.0", "changes": "Anything", "version": "1"},
    )
    assert refused.status_code == 200
    assert "fix it before publishing" in refused.text
    row = db.get(ContentVersion, draft_id)
    assert row is not None
    assert row.status == ContentStatus.DRAFT.value


def test_an_htmx_save_answers_with_the_status_and_the_problems(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    sign_in_as(client, db, trainer)
    draft_id = start_draft(client, tiny)
    text = file_row(db, draft_id, "levels.yaml").text

    response = save(
        client, db, draft_id, "levels.yaml", text.replace("colour: yellow", "color: yellow"),
        **{"HX-Request": "true"},
    )  # fmt: skip

    assert response.status_code == 200
    fragment = soup(response)
    assert fragment.select_one("#file-status") is not None
    assert fragment.select_one("#text") is None  # the text area the trainer types in is kept
    assert '"color" is not a recognised key here' in fragment.get_text()
    assert fragment.select_one("input[name=version]")["value"] == "2"  # type: ignore[index]


def test_two_trainers_saving_one_file_lose_no_text(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    sign_in_as(client, db, trainer)
    draft_id = start_draft(client, tiny)
    text = file_row(db, draft_id, "levels.yaml").text
    first = text.replace("label: Low", "label: Lowest")
    second = text.replace("label: High", "label: Highest")
    post_form(
        client,
        f"/content/drafts/{draft_id}/files/levels.yaml",
        {"text": first, "version": "1"},
    )

    conflict = post_form(
        client,
        f"/content/drafts/{draft_id}/files/levels.yaml",
        {"text": second, "version": "1"},
    )

    assert conflict.status_code == 200
    assert "Someone else saved this file while you were editing it" in conflict.text
    assert soup(conflict).select_one("#text").get_text() == second  # type: ignore[union-attr]
    assert "label: Lowest" in conflict.text  # the saved text, in the differences
    assert file_row(db, draft_id, "levels.yaml").text == first
    # Saving again from the conflict page replaces the saved text deliberately.
    version = soup(conflict).select_one("input[name=version]")["value"]  # type: ignore[index]
    post_form(
        client,
        f"/content/drafts/{draft_id}/files/levels.yaml",
        {"text": second, "version": version},
    )
    assert file_row(db, draft_id, "levels.yaml").text == second


def test_an_htmx_save_that_conflicts_redraws_the_page_with_both_texts(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    other = make_user(db, roles=[Role.TRAINER], name="Olu Other")
    sign_in_as(client, db, other)
    draft_id = start_draft(client, tiny)
    text = file_row(db, draft_id, "levels.yaml").text
    theirs = text.replace("label: Low", "label: Lowest")
    post_form(
        client, f"/content/drafts/{draft_id}/files/levels.yaml", {"text": theirs, "version": "1"}
    )
    sign_in_as(client, db, trainer)
    mine = text.replace("label: High", "label: Highest")

    conflict = post_form(
        client,
        f"/content/drafts/{draft_id}/files/levels.yaml",
        {"text": mine, "version": "1"},
        headers={"HX-Request": "true"},
    )

    assert conflict.status_code == 200
    # htmx swaps the whole page in, not only the status under the text area.
    assert conflict.headers["HX-Retarget"] == "body"
    page = soup(conflict)
    assert page.select_one("#text").get_text() == mine  # type: ignore[union-attr]
    assert page.select_one("#saved-text").get_text() == theirs  # type: ignore[union-attr]
    assert "by Olu Other" in page.get_text()
    assert file_row(db, draft_id, "levels.yaml").text == theirs
    assert page.select_one("input[name=version]")["value"] == "2"  # type: ignore[index]


def test_a_second_save_of_the_same_text_is_not_a_conflict(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    sign_in_as(client, db, trainer)
    draft_id = start_draft(client, tiny)
    text = file_row(db, draft_id, "levels.yaml").text.replace("label: Low", "label: Lowest")
    url = f"/content/drafts/{draft_id}/files/levels.yaml"
    first = post_form(client, url, {"text": text, "version": "1"})

    # A double click without JavaScript sends the form twice, both from version 1.
    again = post_form(client, url, {"text": text, "version": "1"})

    assert (first.status_code, again.status_code) == (303, 303)
    assert file_row(db, draft_id, "levels.yaml").version == 2


def test_a_form_change_after_someone_saved_the_file_keeps_both(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    sign_in_as(client, db, trainer)
    draft_id = start_draft(client, tiny)
    # Someone else rewords the same factor in the file while the form is open (version 1).
    text = file_row(db, draft_id, "domains/alpha.yaml").text
    theirs = text.replace("First alpha risk", "Their alpha risk")
    save(client, db, draft_id, "domains/alpha.yaml", theirs)
    url = f"/content/drafts/{draft_id}/changes/factor/al-r1"
    mine = {"text": "My alpha risk", "guidance": "My guidance.", "file_version": "1"}

    conflict = post_form(client, url, mine)

    assert conflict.status_code == 200
    page = soup(conflict)
    assert "Someone else saved domains/alpha.yaml" in page.get_text()
    assert page.select_one("#text")["value"] == "My alpha risk"  # type: ignore[index]
    assert page.select_one("#guidance").get_text().strip() == "My guidance."  # type: ignore[union-attr]
    saved_now = page.select_one(".govuk-summary-list")
    assert saved_now is not None
    assert "Their alpha risk" in saved_now.get_text()
    assert file_row(db, draft_id, "domains/alpha.yaml").text == theirs
    # Saving again applies the change to the file as it is now.
    version = page.select_one("input[name=file_version]")["value"]  # type: ignore[index]
    assert post_form(client, url, {**mine, "file_version": version}).status_code == 303
    after = file_row(db, draft_id, "domains/alpha.yaml").text
    assert "text: My alpha risk" in after
    assert "Their alpha risk" not in after


def test_a_form_change_sent_after_someone_broke_the_draft_shows_what_was_typed(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    sign_in_as(client, db, trainer)
    draft_id = start_draft(client, tiny)
    text = file_row(db, draft_id, "levels.yaml").text
    save(client, db, draft_id, "levels.yaml", text.replace("    rank: 1\n", "    rank: [1\n", 1))
    before = file_row(db, draft_id, "domains/alpha.yaml").text

    refused = post_form(
        client,
        f"/content/drafts/{draft_id}/changes/factor/al-r1",
        {"text": "My <b>alpha</b> risk", "guidance": "Seen at school.", "file_version": "1"},
    )

    assert refused.status_code == 409
    typed = soup(refused).select_one(".govuk-summary-list")
    assert typed is not None
    assert "My <b>alpha</b> risk" in typed.get_text()  # escaped, and kept to copy
    assert "Seen at school." in typed.get_text()
    assert "file_version" not in refused.text
    assert file_row(db, draft_id, "domains/alpha.yaml").text == before


def test_control_characters_are_refused_and_the_text_kept(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    sign_in_as(client, db, trainer)
    draft_id = start_draft(client, tiny)
    text = file_row(db, draft_id, "levels.yaml").text

    response = save(client, db, draft_id, "levels.yaml", text + "\x00oops")

    assert response.status_code == 200
    assert "Remove the hidden control characters" in response.text
    assert file_row(db, draft_id, "levels.yaml").text == text


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("1.0.0", "Version 1.0.0 of this framework already exists"),
        ("1.0.1", "which needs a new major version: publish it as 2.0.0 or higher"),
        ("1.1.0", "which needs a new major version"),
        ("0.9.0", "must be higher than 1.0.0"),
        ("two", "Enter the version number as three whole numbers"),
    ],
)
def test_a_number_that_does_not_fit_the_change_is_refused(
    client: CheckingClient,
    db: Session,
    trainer: User,
    tiny: ContentVersion,
    number: str,
    message: str,
) -> None:
    sign_in_as(client, db, trainer)
    draft_id = start_draft(client, tiny)
    text = file_row(db, draft_id, "stages/assess.yaml").text
    # Removing a question records may refer to needs a major version.
    removed = text.replace(
        "      - id: plan-notes\n        type: short_text\n        label: Notes on the plan\n"
        "        show_when:\n          answer: planned\n          equals: true\n",
        "",
    )
    assert removed != text
    save(client, db, draft_id, "stages/assess.yaml", removed)

    response = post_form(
        client,
        f"/content/drafts/{draft_id}/publish",
        {"number": number, "changes": "Removed the plan notes question.", "version": "1"},
    )

    assert response.status_code == 200
    assert message in response.text
    assert "Question plan-notes" in response.text
    row = db.get(ContentVersion, draft_id)
    assert row is not None
    assert row.status == ContentStatus.DRAFT.value


def test_a_retired_version_starts_no_new_family(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    sign_in_as(client, db, trainer)

    response = post_form(client, f"/content/versions/{tiny.id}/retire", {"version": "1"})

    assert response.status_code == 303
    registry = client.app.state.content.registry(db)  # type: ignore[attr-defined]
    assert registry.is_retired("tiny", "1.0.0")
    assert "tiny" not in registry.offered()
    assert registry.get("tiny", "1.0.0").version == "1.0.0"
    restored = post_form(client, f"/content/versions/{tiny.id}/restore", {"version": "2"})
    assert restored.status_code == 303
    assert "tiny" in client.app.state.content.registry(db).offered()  # type: ignore[attr-defined]
    trail = db.exec(
        select(AuditEvent)
        .where(col(AuditEvent.user_id) == trainer.id, col(AuditEvent.entity_id) == str(tiny.id))
        .order_by(col(AuditEvent.id))
    ).all()
    assert [(event.action, event.details["status"]["after"]) for event in trail] == [
        ("retire", "retired"),
        ("update", "published"),
    ]


def test_a_draft_can_start_a_new_framework(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    sign_in_as(client, db, trainer)
    response = post_form(
        client,
        f"/content/versions/{tiny.id}/drafts",
        {
            "title": "Our short pathway",
            "kind": "new",
            "new_framework_id": "tiny-local",
            "new_framework_title": "Tiny, our way",
        },
    )
    draft_id = uuid.UUID(response.headers["location"].split("/")[3].split("?")[0])

    published = post_form(
        client,
        f"/content/drafts/{draft_id}/publish",
        {"number": "1.0.0", "changes": "Our first version.", "version": "1"},
    )

    assert published.status_code == 303, published.text
    content = client.app.state.content.registry(db).latest("tiny-local")  # type: ignore[attr-defined]
    assert content.framework.title == "Tiny, our way"
    assert [entry.version for entry in content.framework.changelog] == ["1.0.0"]
    taken = post_form(
        client,
        f"/content/versions/{tiny.id}/drafts",
        {
            "title": "Again",
            "kind": "new",
            "new_framework_id": "tiny-local",
            "new_framework_title": "X",
        },
    )
    assert "A framework with this short name already exists" in taken.text


def test_a_family_on_a_version_that_cannot_be_used_is_told_so(
    client: CheckingClient, db: Session, tiny: ContentVersion
) -> None:
    team = make_team(db)
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    family = make_family(db, team=team, allocated_to=practitioner)
    family.framework_id, family.framework_version = "tiny", "1.0.0"
    family.content_hash = tiny.content_hash or ""
    db.add(family)
    db.execute(
        update(ContentFile)
        .where(
            col(ContentFile.content_version_id) == tiny.id, col(ContentFile.name) == "levels.yaml"
        )
        .values(text=ContentFile.text + "\n# changed behind Homeward's back\n")
    )
    changed(db)
    sign_in_as(client, db, practitioner)

    for path in ("", "/summary", "/version", "/chronology"):
        page = client.get(f"/families/{family.id}{path}")
        assert page.status_code == 503, path
        assert "The framework version is unavailable" in page.text
        assert "Nothing in the family's record has been lost" in soup(page).get_text()
    assert client.get("/families").status_code == 200
    trainer = make_user(db, roles=[Role.TRAINER])
    sign_in_as(client, db, trainer)
    listing = client.get("/content")
    assert "Unavailable" in listing.text
    assert "no longer match the fingerprint" in listing.text


def test_forms_change_a_factor_and_a_question_keeping_the_rest_of_the_file(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    sign_in_as(client, db, trainer)
    draft_id = start_draft(client, tiny)
    before = file_row(db, draft_id, "domains/alpha.yaml").text
    form = client.get(f"/content/drafts/{draft_id}/changes/factor/al-r1")
    assert soup(form).select_one("#text")["value"] == "First alpha risk"  # type: ignore[index]

    saved = post_form(
        client,
        f"/content/drafts/{draft_id}/changes/factor/al-r1",
        {
            "text": "The first alpha risk, in plain words",
            "guidance": "Look for it.\n\n- in records",
            "file_version": "1",
        },
    )

    assert saved.status_code == 303
    after = file_row(db, draft_id, "domains/alpha.yaml").text
    assert "text: The first alpha risk, in plain words" in after
    assert "guidance: |\n      Look for it.\n\n      - in records\n" in after
    untouched = [
        line for line in before.splitlines() if "al-r1" not in line and "First alpha" not in line
    ]
    assert all(line in after for line in untouched if "guidance" not in line)

    options = post_form(
        client,
        f"/content/drafts/{draft_id}/changes/question/supports",
        {
            "label": "Which supports are in place now?",
            "hint": "Tick all that apply",
            "option-family": "Family and friends",
            "option-school": "School",
            "option-health": "",
            "new_options": "Youth club",
            "file_version": "1",
        },
    )
    assert options.status_code == 303
    stage = file_row(db, draft_id, "stages/assess.yaml").text
    assert "label: Which supports are in place now?" in stage
    assert "hint: Tick all that apply" in stage
    assert "id: youth-club" in stage
    assert "id: health" not in stage
    publish = client.get(f"/content/drafts/{draft_id}/publish")
    assert "Option removed: Health" in publish.text
    assert "need a new major version" in publish.text


def test_forms_add_a_factor_and_a_question_and_refuse_bad_input(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    sign_in_as(client, db, trainer)
    draft_id = start_draft(client, tiny)

    refused = post_form(
        client,
        f"/content/drafts/{draft_id}/changes/new-factor",
        {"domain": "alpha", "kind": "risk", "factor_id": "al-r1", "text": "", "guidance": "x"},
    )
    assert refused.status_code == 200
    text = soup(refused).get_text()
    assert "The draft already has a factor with this id" in text
    assert "Enter the factor's wording" in text

    added = post_form(
        client,
        f"/content/drafts/{draft_id}/changes/new-factor",
        {
            "domain": "alpha",
            "kind": "protective",
            "factor_id": "al-p9",
            "text": "A new strength",
            "guidance": "Seen by the school.",
            "not_read_because": "Weighed in the support plan.",
        },
    )
    assert added.status_code == 303
    # Why no rule reads the factor is kept in its file, for factor_coverage to accept.
    assert "not_read_because: Weighed in the support plan." in (
        file_row(db, draft_id, "domains/alpha.yaml").text
    )
    question = post_form(
        client,
        f"/content/drafts/{draft_id}/changes/new-question",
        {
            "section": "start",
            "type": "single_choice",
            "question_id": "interpreter",
            "label": "Does the family need an interpreter?",
            "new_options": "Yes\nNo\nNot known",
            "required": "yes",
        },
    )
    assert question.status_code == 303

    check = client.get(f"/content/drafts/{draft_id}/publish")
    assert soup(check).select_one("#number")["value"] == "1.1.0"  # type: ignore[index]
    assert "Factor al-p9" in check.text
    assert "Question interpreter" in check.text


def test_a_draft_is_previewed_as_a_practitioner_sees_it_and_nothing_is_kept(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    sign_in_as(client, db, trainer)
    draft_id = start_draft(client, tiny)
    text = file_row(db, draft_id, "domains/alpha.yaml").text
    save(
        client,
        db,
        draft_id,
        "domains/alpha.yaml",
        text.replace("First alpha risk", "Reworded alpha risk"),
    )
    families_before = db.exec(select(func.count()).select_from(Family)).one()
    audit_before = db.exec(select(func.count()).select_from(AuditEvent)).one()

    overview = client.get(f"/content/drafts/{draft_id}/preview")
    factors = client.get(f"/content/drafts/{draft_id}/preview/sections/factors-alpha")
    summary = client.get(f"/content/drafts/{draft_id}/preview/summary")

    for page in (overview, factors, summary):
        assert page.status_code == 200
        assert "This is how a practitioner sees this page under the draft" in soup(page).get_text()
        assert "/families/" not in page.text  # every link stays inside the preview
        assert 'href="/families"' not in page.text  # the trainer has no list of families
    assert f'href="/content/drafts/{draft_id}/preview/sections/factors-alpha"' in overview.text
    assert "Reworded alpha risk" in factors.text
    assert "Example family (preview)" in summary.text
    assert db.exec(select(func.count()).select_from(Family)).one() == families_before
    # Only the trainer's own reads are left in the audit trail, none of the invented family's.
    assert db.exec(select(func.count()).select_from(AuditEvent)).one() == audit_before
    # A record's page linked from one preview opens in the next (the family is made afresh).
    details = client.get(f"/content/drafts/{draft_id}/preview/details")
    child = soup(details).select_one(f'a[href^="/content/drafts/{draft_id}/preview/children/"]')
    assert child is not None
    assert str(child["href"]).rsplit("/", 1)[1] in ("child-1", "child-2")
    opened = client.get(str(child["href"]))
    assert opened.status_code == 200
    name = child.get_text(" ", strip=True).removeprefix("Change").split("(")[0].strip()
    assert f'value="{name}"' in opened.text  # the child's own form, filled in
    posted = post_form(client, f"/content/drafts/{draft_id}/preview/sections/start", {"x": "1"})
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/content/drafts/{draft_id}/preview/sections/start"


def test_the_content_guide_is_served_to_trainers_with_its_pictures(
    client: CheckingClient, db: Session, trainer: User
) -> None:
    sign_in_as(client, db, make_user(db, roles=[Role.PRACTITIONER]))
    assert client.get("/content/guide").status_code == 403
    sign_in_as(client, db, trainer)
    assert 'href="/content/guide"' in client.get("/content").text

    guide = client.get("/content/guide")

    assert guide.status_code == 200
    page = soup(guide)
    assert page.select_one("h1.govuk-heading-l").get_text() == "Writing framework content"  # type: ignore[union-attr]
    pictures = [str(image["src"]) for image in page.select("main img")]
    assert "/content/guide/images/content-editor-problem.png" in pictures
    assert all(image.get("alt") for image in page.select("main img"))
    # Links to other files of the repository are not pages of the app.
    assert not [a for a in page.select("main a[href]") if str(a["href"]).endswith(".md")]
    picture = client.get("/content/guide/images/content-editor-problem.png")
    assert (picture.status_code, picture.headers["content-type"]) == (200, "image/png")
    assert client.get("/content/guide/images/..%2F..%2Fpyproject.toml").status_code == 404


def test_a_scored_tool_file_is_added_from_its_template(
    client: CheckingClient, db: Session, trainer: User, tiny: ContentVersion
) -> None:
    sign_in_as(client, db, trainer)
    draft_id = start_draft(client, tiny, "Add a checklist")

    added = post_form(client, f"/content/drafts/{draft_id}/files", {"name": "tools/checklist.yaml"})

    assert added.status_code == 303
    assert added.headers["location"] == f"/content/drafts/{draft_id}/files/tools/checklist.yaml"
    assert file_row(db, draft_id, "tools/checklist.yaml").text.startswith("id: checklist\n")
    loaded = load_version(version_texts(db, draft_id), origin="draft")
    assert loaded.content is not None, [str(error) for error in loaded.errors]
    assert [tool.id for tool in loaded.content.rules.scored_tools] == ["example-tool", "checklist"]
    assert client.get(added.headers["location"]).status_code == 200
