"""Assessment pages: guided forms, autosave, evidence, classification and sign-off, and the
content version page, with every kind of bad input."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlmodel import Session, col, select

from app.content.journey import shape as journey_shape
from app.models.accounts import Role, User
from app.models.assessment import AssessmentAnswer, Classification, FactorEvidence
from app.models.audit import AuditEvent
from app.models.family import Family
from app.models.progress import GateDecision, SectionStatus
from app.services import classification, progress
from app.services.errors import Conflict
from tests.factories import (
    make_adult,
    make_child,
    make_family,
    make_team,
    make_user,
    mark_identified,
    post_form,
    sign_in_as,
)
from tests.services.test_assessment_service import IDENTIFICATION
from tests.support.assessment import CURRENT, actor, make_entry, mark_done
from tests.support.client import CheckingClient, soup

ASSESSMENT_SECTIONS = tuple(
    section.id
    for section in CURRENT.stage("assessment").sections
    if section.kind in {"questions", "factors", "chronology"}
)


@dataclass
class Case:
    practitioner: User
    supervisor: User
    family: Family


@pytest.fixture
def case(db: Session) -> Case:
    team = make_team(db)
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    supervisor = make_user(db, roles=[Role.SUPERVISOR], team=team)
    family = make_family(db, team=team, allocated_to=practitioner)
    make_adult(db, family, name="Kim Harper")
    make_child(db, family, name="Amy Harper")
    return Case(practitioner, supervisor, family)


def url(case: Case, path: str) -> str:
    return f"/families/{case.family.id}{path}"


def notice(client: CheckingClient, response) -> str:  # type: ignore[no-untyped-def]
    """The success banner of the page an action redirected to."""
    assert response.status_code == 303
    banner = soup(client.get(response.headers["location"])).select_one(
        ".govuk-notification-banner--success .govuk-notification-banner__heading"
    )
    assert banner is not None
    return str(banner.get_text(strip=True))


def saved(db: Session, family: Family) -> dict[str, AssessmentAnswer]:
    rows = db.exec(select(AssessmentAnswer).where(col(AssessmentAnswer.family_id) == family.id))
    return {row.answer_key: row for row in rows}


def test_every_assessment_section_page_renders(
    client: CheckingClient, db: Session, case: Case
) -> None:
    sign_in_as(client, db, case.practitioner)
    headings = []
    for section in CURRENT.stage("assessment").sections:
        if section.kind not in {"questions", "factors"}:
            continue
        page = client.get(url(case, f"/sections/{section.id}"))
        assert page.status_code == 200, section.id
        headings.append(soup(page).h1.get_text(strip=True))  # type: ignore[union-attr]
        assert headings[-1].startswith(section.title)
    # No two tasks read the same: the child's wishes and feelings are a set of factors and a
    # set of questions.
    assert len(set(headings)) == len(headings)
    assert "The child's wishes and feelings: risk and protective factors" in headings
    sign_in_as(client, db, case.supervisor)
    page = client.get(url(case, "/sections/identification"))
    assert page.status_code == 200
    assert soup(page).select("form#section-form") == []


def test_save_and_come_back_later_then_mark_as_complete(
    client: CheckingClient, db: Session, case: Case
) -> None:
    sign_in_as(client, db, case.practitioner)
    draft = {"a.identification-route": "court", "version": "0", "action": "save"}
    response = post_form(client, url(case, "/sections/identification"), draft)
    assert response.status_code == 303
    assert saved(db, case.family)["identification-route"].value_choice == "court"
    assert notice(client, response) == "Your answers have been saved. The section is in progress."
    page = client.get(url(case, "/sections/identification"))
    assert soup(page).select_one('input[value="court"]')["checked"] is not None  # type: ignore[index]
    # Questions people may leave out say so; required ones do not.
    labels = [legend.get_text(strip=True) for legend in soup(page).select("legend, label")]
    assert "Who would the child return to?" in labels
    assert "Why is a return home being considered now? (optional)" in labels
    response = post_form(
        client,
        url(case, "/sections/identification"),
        {"a.identification-route": "court", "version": "1", "action": "complete"},
    )
    assert response.status_code == 200
    summary = soup(response).select_one(".govuk-error-summary")
    assert summary is not None
    assert "Who would the child return to?" in summary.get_text()
    assert "Why is a return" not in summary.get_text()
    response = post_form(
        client,
        url(case, "/sections/identification"),
        {**IDENTIFICATION, "version": "2", "action": "complete"},
    )
    assert response.status_code == 303
    # "Mark as complete" opens the next task (the chronology), saying which was completed.
    assert response.headers["location"] == url(case, "/chronology?completed=identification")
    assert notice(client, response) == "‘Identification’ is marked as complete."
    statuses = progress.section_statuses(db, case.family.id)
    assert statuses["identification"].value == "completed"
    overview = client.get(url(case, ""))
    assert f'href="/families/{case.family.id}/sections/identification"' in overview.text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"a.made-up-question": "x"}, f"not in this section of version {CURRENT.version}"),
        ({"a.identification-route": "not-an-option"}, "Select one of the options given"),
    ],
)
def test_bad_answers_are_refused_with_input_kept(
    client: CheckingClient, db: Session, case: Case, extra: dict[str, str], message: str
) -> None:
    sign_in_as(client, db, case.practitioner)
    form = {**IDENTIFICATION, **extra, "version": "0", "action": "save"}
    response = post_form(client, url(case, "/sections/identification"), form)
    assert response.status_code == 200
    assert message in soup(response).select_one(".govuk-error-summary").get_text()  # type: ignore[union-attr]
    assert IDENTIFICATION["a.return-considered-reason"] in response.text
    assert saved(db, case.family) == {}


def test_a_stale_section_form_is_refused_with_input_kept(
    client: CheckingClient, db: Session, case: Case
) -> None:
    sign_in_as(client, db, case.practitioner)
    post_form(
        client,
        url(case, "/sections/identification"),
        {"a.return-to": "same-parent", "version": "0"},
    )
    stale = {"a.return-considered-reason": "My newer words", "version": "0", "action": "save"}
    response = post_form(client, url(case, "/sections/identification"), stale)
    assert response.status_code == 200
    assert "Someone else saved this section" in response.text
    assert "My newer words" in response.text
    assert "return-considered-reason" not in saved(db, case.family)


def test_autosave_saves_a_draft_and_swaps_in_follow_up_questions(
    client: CheckingClient, db: Session, case: Case
) -> None:
    sign_in_as(client, db, case.practitioner)
    response = post_form(
        client,
        url(case, "/sections/identification/autosave"),
        {"a.unplanned-return-risk": "yes", "version": "0"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    fragment = soup(response)
    assert fragment.select_one('#autosave-status input[name="version"]')["value"] == "1"  # type: ignore[index]
    # The draft moves the section to "In progress": the page's status tag is swapped too.
    status = fragment.select_one("#section-status")
    assert status is not None
    assert status["hx-swap-oob"] == "true"
    assert status.get_text(strip=True) == "In progress"
    swapped = fragment.select_one("#cond-a-unplanned-return-plan")
    assert swapped is not None
    assert swapped["hx-swap-oob"] == "true"
    assert swapped.select_one("textarea") is not None
    assert saved(db, case.family)["unplanned-return-risk"].value_bool is True
    stale = post_form(
        client,
        url(case, "/sections/identification/autosave"),
        {"a.unplanned-return-risk": "no", "version": "0"},
        headers={"HX-Request": "true"},
    )
    assert "Someone else saved this section" in stale.text
    assert saved(db, case.family)["unplanned-return-risk"].value_bool is True


def test_repeating_items_are_added_and_removed_without_javascript(
    client: CheckingClient, db: Session, case: Case
) -> None:
    sign_in_as(client, db, case.practitioner)
    page = soup(client.get(url(case, "/sections/capacity-to-change")))
    add = page.select_one('button[value^="add:capacity["]')
    assert add is not None
    response = post_form(
        client, url(case, "/sections/capacity-to-change"), {"version": "0", "action": add["value"]}
    )
    assert response.status_code == 200
    page = soup(response)
    (item,) = page.select('input[name^="items.capacity["]')
    area = f'input[name$=".problem-areas[{item["value"]}].problem-area"]'
    assert page.select(area)
    form = {field["name"]: field["value"] for field in page.select('input[type="hidden"]')}
    form.update({page.select(area)[0]["name"]: "substance-misuse", "action": "save"})
    assert post_form(client, url(case, "/sections/capacity-to-change"), form).status_code == 303
    assert any(key.endswith(".problem-area") for key in saved(db, case.family))
    remove = soup(client.get(url(case, "/sections/capacity-to-change"))).select_one(
        'button[value^="remove:"]'
    )
    assert remove is not None
    form["version"] = str(int(form["version"]) + 1)
    form["action"] = remove["value"]
    assert post_form(client, url(case, "/sections/capacity-to-change"), form).status_code == 303
    assert not any(key.endswith(".problem-area") for key in saved(db, case.family))


def test_evidence_links_only_this_familys_entries(
    client: CheckingClient, db: Session, case: Case
) -> None:
    other = make_family(db, team=make_team(db))
    mine = make_entry(db, case.family, case.practitioner, what="Police called to the flat")
    theirs = make_entry(db, other, case.practitioner, what="Another family's event")
    sign_in_as(client, db, case.practitioner)
    page = client.get(url(case, "/factors/da-r1/evidence?search=police"))
    assert "Police called to the flat" in page.text
    assert "Another family" not in page.text
    fragment = client.get(
        url(case, "/factors/da-r1/evidence?search=nothing-like-this"),
        headers={"HX-Request": "true"},
    )
    assert "0 entries match" in fragment.text
    response = post_form(
        client, url(case, "/factors/da-r1/evidence/link"), {"entries": str(theirs.id)}
    )
    assert response.status_code == 200
    assert "another family" in response.text
    links = db.exec(select(FactorEvidence).where(col(FactorEvidence.family_id) == case.family.id))
    assert list(links) == []
    response = post_form(
        client, url(case, "/factors/da-r1/evidence/link"), {"entries": str(mine.id)}
    )
    assert response.status_code == 303
    response = post_form(
        client,
        url(case, "/factors/da-r1/evidence/other"),
        {
            "kind": "report",
            "on-day": "2",
            "on-month": "3",
            "on-year": "2026",
            "source": "Refuge worker",
            "description": "Kim attends the Freedom programme",
        },
    )
    assert response.status_code == 303
    page = client.get(url(case, "/factors/da-r1/evidence"))
    assert "Kim attends the Freedom programme" in page.text
    assert "Police called to the flat" in page.text
    response = post_form(client, url(case, "/factors/da-r1/evidence/other"), {"kind": "rumour"})
    assert "Select what kind of evidence this is" in response.text


def test_evidence_is_picked_inside_the_factors_page(
    client: CheckingClient, db: Session, case: Case
) -> None:
    """The picker opened under a factor lists the family's entries; ticking one links it with
    the page's autosave (and unticking unlinks it), and the factor's evidence is swapped in.
    Without JavaScript, "Save and choose evidence" keeps the ratings and opens the factor's
    evidence page."""
    other = make_family(db, team=make_team(db))
    mine = make_entry(db, case.family, case.practitioner, what="Police called to the flat")
    theirs = make_entry(db, other, case.practitioner, what="Another family's event")
    sign_in_as(client, db, case.practitioner)
    section = url(case, "/sections/factors-domestic-abuse")
    page = soup(client.get(section))
    assert page.select_one('button[name="action"][value="evidence:da-r1"]') is not None
    picker = client.get(url(case, "/factors/da-r1/evidence/picker"), headers={"HX-Request": "true"})
    assert "Police called to the flat" in picker.text
    assert "Another family" not in picker.text
    # Followed as a link (no JavaScript), the picker's address opens the factor's evidence page.
    plain = client.get(url(case, "/factors/da-r1/evidence/picker"))
    assert plain.headers["location"] == url(case, "/factors/da-r1/evidence")
    autosave = url(case, "/sections/factors-domestic-abuse/autosave")
    fields = {
        "version": "0",
        "review": "0",
        "f.da-r1.status": "present",
        "evidence-offered.da-r1": str(mine.id),
        "evidence.da-r1": str(mine.id),
    }
    fragment = post_form(client, autosave, fields, headers={"HX-Request": "true"})
    assert "Draft saved" in fragment.text
    swapped = soup(fragment).select_one("#evidence-of-da-r1")
    assert swapped is not None
    assert "Police called to the flat" in swapped.text
    assert "Marked present with no evidence" not in swapped.text
    links = list(db.exec(select(FactorEvidence).where(col(FactorEvidence.deleted_at).is_(None))))
    assert [(link.factor_id, link.chronology_entry_id) for link in links] == [("da-r1", mine.id)]
    # Unticked, it is unlinked; an entry of another family is refused and nothing changes.
    fields.pop("evidence.da-r1")
    fields["version"] = "1"
    fragment = post_form(client, autosave, fields, headers={"HX-Request": "true"})
    assert "Marked present with no evidence" in fragment.text
    refused = post_form(
        client,
        autosave,
        {
            **fields,
            "version": "2",
            "evidence-offered.da-r1": str(theirs.id),
            "evidence.da-r1": str(theirs.id),
        },
        headers={"HX-Request": "true"},
    )
    assert "Not saved" in refused.text
    assert "own chronology" in refused.text
    refused = post_form(
        client,
        autosave,
        {**fields, "version": "2", "evidence-offered.hh-r1": str(mine.id)},
        headers={"HX-Request": "true"},
    )
    assert "Not saved" in refused.text
    assert "not on this page" in refused.text
    live = select(FactorEvidence).where(col(FactorEvidence.deleted_at).is_(None))
    assert list(db.exec(live)) == []
    # Without JavaScript: the button saves the rating, then opens the evidence page.
    response = post_form(
        client,
        section,
        {"version": "2", "review": "0", "f.da-r2.status": "absent", "action": "evidence:da-r2"},
    )
    assert response.status_code == 303
    assert response.headers["location"] == url(case, "/factors/da-r2/evidence")
    rating = soup(client.get(section)).select_one('input[name="f.da-r2.status"][checked]')
    assert rating is not None
    assert rating["value"] == "absent"


def test_completing_a_domain_opens_the_next_one_to_rate(
    client: CheckingClient, db: Session, case: Case
) -> None:
    """Domains are rated one after another: "Mark as complete" opens the next domain of the
    stage not yet complete (saying which was completed), and the last one the next task."""
    domains = [s for s in CURRENT.stage("assessment").sections if s.kind == "factors"]
    mark_identified(db, case.family)
    sign_in_as(client, db, case.practitioner)

    def complete(section_id: str) -> str:
        domain = CURRENT.domain(CURRENT.sections[section_id].section.domain)
        ratings = {
            f"f.{factor.id}.status": "absent"
            for factor in (*domain.risk_factors, *domain.protective_factors)
        }
        response = post_form(
            client,
            url(case, f"/sections/{section_id}"),
            {**ratings, "version": "0", "review": "0", "action": "complete"},
        )
        assert response.status_code == 303
        return response.headers["location"]

    # The second domain first: the next is the third, then back round to the first.
    assert complete(domains[1].id) == url(
        case, f"/sections/{domains[2].id}?completed={domains[1].id}"
    )
    page = client.get(url(case, f"/sections/{domains[2].id}?completed={domains[1].id}"))
    banner = soup(page).select_one(".govuk-notification-banner")
    assert banner is not None
    assert f"‘{CURRENT.section_titles[domains[1].id]}’ is marked as complete" in banner.text
    for domain in domains[2:-1]:
        complete(domain.id)
    assert complete(domains[-1].id) == url(
        case, f"/sections/{domains[0].id}?completed={domains[-1].id}"
    )
    # The last domain opens the next task to do: the chronology (no entries yet).
    assert complete(domains[0].id) == url(case, f"/chronology?completed={domains[0].id}")


def ready_for_classification(db: Session, case: Case) -> None:
    """Every section the first classification needs, directly or through others, marked
    complete."""
    shape = journey_shape(CURRENT)
    required = shape.prerequisites["classification-before-plan"]
    mark_done(db, case.practitioner, case.family, tuple(s for s in shape.order if s in required))


def submit(client: CheckingClient, case: Case, **fields: str):  # type: ignore[no-untyped-def]
    return post_form(client, url(case, "/classification/classification-before-plan"), fields)


def test_classification_submit_disagree_resubmit_and_sign_off(
    client: CheckingClient, db: Session, case: Case
) -> None:
    sign_in_as(client, db, case.practitioner)
    page = client.get(url(case, "/classification/classification-before-plan"))
    assert "Complete these sections first" in page.text
    answered = post_form(
        client, url(case, "/sections/identification"), {**IDENTIFICATION, "action": "complete"}
    )
    assert answered.status_code == 303
    ready_for_classification(db, case)
    page = client.get(url(case, "/classification/classification-before-plan"))
    assert "Suggested level" in page.text
    response = submit(client, case, level="very-high", rationale="", latest="")
    assert "Enter why your level differs from the suggested level (Low)" in response.text
    submitted = submit(client, case, level="low", rationale="", latest="")
    waiting = "Submitted for sign-off. It waits for a supervisor's review."
    assert notice(client, submitted) == waiting
    again = submit(client, case, level="low", rationale="", latest="")
    assert "already been submitted" in again.text
    assert db.exec(select(Classification)).all().__len__() == 1
    first = db.exec(select(Classification)).one()

    # A practitioner cannot post a sign-off; the supervisor disagrees once.
    sign_off = url(case, "/classification/classification-before-plan/sign-off")
    review = {"classification": str(first.id), "version": "1"}
    assert post_form(client, sign_off, {**review, "agrees": "yes"}).status_code == 403
    sign_in_as(client, db, case.supervisor)
    # The review's follow-up questions sit in the reveal of the answer they follow.
    form = soup(client.get(url(case, "/classification/classification-before-plan")))
    reveal_no = form.select_one("#conditional-agrees-2")
    assert reveal_no is not None
    assert reveal_no.select_one("input[name=supervisor_level]") is not None
    reveal_yes = form.select_one("#conditional-agrees")
    assert reveal_yes is not None
    assert reveal_yes.select_one("input[name=gate_option]") is not None
    response = post_form(client, sign_off, {**review, "agrees": "no"})
    assert "Enter why you disagree" in response.text
    response = post_form(
        client,
        sign_off,
        {**review, "agrees": "no", "supervisor_level": "medium", "comments": "Weigh the relapse."},
    )
    assert notice(client, response) == "Sent back to the practitioner with your comments."
    stale = post_form(client, sign_off, {**review, "agrees": "yes", "comments": "ok"})
    assert "already been reviewed" in stale.text

    sign_in_as(client, db, case.practitioner)
    response = submit(
        client, case, level="medium", rationale="Relapse last year", latest=str(first.id)
    )
    assert response.status_code == 303
    second = next(row for row in db.exec(select(Classification)) if row.id != first.id)
    sign_in_as(client, db, case.supervisor)
    response = post_form(
        client,
        sign_off,
        {
            "classification": str(second.id),
            "version": "1",
            "agrees": "yes",
            "gate_option": "work-towards-return",
            "comments": "Agreed: work towards a return.",
        },
    )
    assert notice(client, response) == "Signed off."
    db.refresh(second)
    assert (second.suggested_level, second.practitioner_level, second.supervisor_level) == (
        "low",
        "medium",
        "medium",
    )
    decision = db.exec(select(GateDecision)).one()
    assert decision.option_id == "work-towards-return"
    statuses = progress.section_statuses(db, case.family.id)
    assert statuses["classification-before-plan"].value == "signed_off"
    # What was answered is frozen as signed off; a section with nothing saved has nothing to
    # freeze and stays as it was.
    assert statuses["identification"].value == "signed_off"
    assert statuses["capacity-to-change"].value == "completed"
    page = client.get(url(case, "/sections/identification"))
    assert "Signed-off revisions" in page.text


def test_the_allocated_practitioner_cannot_sign_off_even_as_a_supervisor(
    client: CheckingClient, db: Session, case: Case
) -> None:
    both = make_user(db, roles=[Role.PRACTITIONER, Role.SUPERVISOR], team=make_team(db))
    both.team_id = case.family.team_id
    case.family.allocated_practitioner_id = both.id
    db.add_all([both, case.family])
    db.flush()
    ready_for_classification(db, case)
    sign_in_as(client, db, both)
    assert submit(client, case, level="low", latest="").status_code == 303
    row = db.exec(select(Classification)).one()
    response = post_form(
        client,
        url(case, "/classification/classification-before-plan/sign-off"),
        {
            "classification": str(row.id),
            "version": "1",
            "agrees": "yes",
            "gate_option": "work-towards-return",
            "comments": "Fine",
        },
    )
    assert response.status_code == 403
    db.refresh(row)
    assert row.status == "submitted"
    # The refusal is in the audit trail like every other refused access.
    denied = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.action) == "access_denied", col(AuditEvent.user_id) == both.id
        )
    ).one()
    assert denied.family_id == case.family.id
    assert denied.details == {"reason": "supervisor signing off their own classification"}


def test_the_chronology_is_marked_complete_only_once_it_has_entries(
    client: CheckingClient, db: Session, case: Case
) -> None:
    mark_identified(db, case.family)
    sign_in_as(client, db, case.practitioner)
    complete = url(case, "/sections/chronology/complete")
    response = post_form(client, complete)
    assert "history to the chronology before marking it complete" in response.text
    assert "chronology" not in progress.section_statuses(db, case.family.id)
    make_entry(db, case.family, case.practitioner)
    assert post_form(client, complete).status_code == 303
    assert progress.section_statuses(db, case.family.id)["chronology"].value == "completed"
    page = client.get(url(case, "/chronology"))
    assert "Mark the chronology as complete" in page.text


def test_evidence_is_removed_with_its_version_checked(
    client: CheckingClient, db: Session, case: Case
) -> None:
    entry = make_entry(db, case.family, case.practitioner, what="Missed contact")
    sign_in_as(client, db, case.practitioner)
    post_form(client, url(case, "/factors/en-r1/evidence/link"), {"entries": str(entry.id)})
    (evidence,) = db.exec(select(FactorEvidence).where(col(FactorEvidence.factor_id) == "en-r1"))
    remove = url(case, f"/factors/en-r1/evidence/{evidence.id}/remove")
    stale = post_form(client, remove, {"version": str(evidence.version + 1)})
    assert "Someone else saved a change" in stale.text
    assert post_form(client, remove, {"version": str(evidence.version)}).status_code == 303
    db.refresh(evidence)
    assert evidence.deleted_at is not None
    page = client.get(url(case, "/factors/en-r1/evidence"))
    assert "No evidence is linked yet" in page.text


def test_a_gate_opens_its_decision_page_and_others_see_sections_read_only(
    client: CheckingClient, db: Session, case: Case
) -> None:
    sign_in_as(client, db, case.practitioner)
    post_form(client, url(case, "/sections/identification"), {**IDENTIFICATION, "version": "0"})
    sign_in_as(client, db, case.supervisor)
    gate = client.get(url(case, "/classification/decision-work-towards-return"))
    assert gate.status_code == 303
    assert gate.headers["location"].endswith("/decisions/decision-work-towards-return")
    assert client.get(url(case, "/classification/identification")).status_code == 404
    page = soup(client.get(url(case, "/sections/identification")))
    assert page.select_one("form#section-form") is None
    assert "Sam Lee, team manager" in page.get_text()


def test_two_submissions_racing_each_other_cannot_both_get_through(db: Session, case: Case) -> None:
    """The second of two submissions made from the same page, when the first has already
    marked the classification as waiting, is refused before anything is written."""
    ready_for_classification(db, case)
    progress.set_section_status(
        db,
        actor=actor(case.practitioner),
        family=case.family,
        content=CURRENT,
        section_id="classification-before-plan",
        status=SectionStatus.AWAITING_SIGN_OFF,
    )
    with pytest.raises(Conflict):
        classification.submit(
            db,
            actor=actor(case.practitioner),
            family=case.family,
            content=CURRENT,
            section_id="classification-before-plan",
            level="low",
            rationale="",
            latest_id="",
        )
    assert db.exec(select(Classification)).all() == []


def test_each_factor_notes_label_says_which_factor(
    client: CheckingClient, db: Session, case: Case
) -> None:
    sign_in_as(client, db, case.practitioner)
    page = soup(client.get(url(case, "/sections/factors-history-of-harm")))
    factor = CURRENT.factors["hh-r1"].factor
    label = page.select_one("label[for=f-hh-r1-notes]")
    assert label is not None
    # Read aloud in full: the visible "Notes (optional)" with the factor's words hidden in it.
    assert label.get_text(" ", strip=True) == f"Notes on ‘{factor.text}’ (optional)"
    assert "hh-r1" not in page.select_one("#factor-hh-r1").get_text()  # type: ignore[union-attr]
