"""People's roles toward each child and whom the per-parent questions ask about; earlier returns
(planned or not, to whom, why they broke down) and earlier times in care; breakdown causes
compared with the last 12 months; factors the record already answers offered as suggestions.
Invented families on both databases, through the pages, the API and the services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from app.content.schema import FactorSuggestion
from app.demo.journey import Story
from app.models.accounts import Role, Team, User
from app.models.assessment import FactorStatus
from app.models.family import Adult, Child, EarlierReturn, Family
from app.services import breakdowns, families, questions, record_suggestions
from app.services.errors import InvalidInput
from app.services.snapshot import build_family_snapshot
from app.timeutil import london_today
from tests.factories import (
    CONTENT,
    csrf_token,
    make_child,
    make_entry,
    make_family,
    make_team,
    make_user,
    post_form,
    sign_in_as,
)
from tests.support.client import CheckingClient, soup

TODAY = london_today()


@pytest.fixture
def team(db: Session) -> Team:
    return make_team(db, "Eastfield")


@pytest.fixture
def worker(client: CheckingClient, db: Session, team: Team) -> User:
    user = make_user(db, roles=[Role.PRACTITIONER], team=team, name="Tomasz Lis")
    sign_in_as(client, db, user)
    return user


@pytest.fixture
def okafor(db: Session, team: Team, worker: User) -> Family:
    """Ruby (9) and Tom (15) Okafor; no adults yet."""
    family = make_family(db, team=team, allocated_to=worker, display_name="Okafor family")
    make_child(db, family, name="Ruby Okafor", born=date(TODAY.year - 9, 1, 15))
    make_child(db, family, name="Tom Okafor", born=date(TODAY.year - 15, 2, 1))
    return family


def _kids(db: Session, family: Family) -> dict[str, Child]:
    return {child.name: child for child in families.children(db, family)}


def _errors(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {
        link["href"]: link.get_text(strip=True)
        for link in soup(response).select(".govuk-error-summary a")
    }


def _api(client: CheckingClient, method: str, url: str, body: object):  # type: ignore[no-untyped-def]
    return client.request(method, url, json=body, headers={"X-CSRF-Token": csrf_token(client)})


def _adult_form(**values: str) -> dict[str, str]:
    return {
        "name": "Femi Okafor",
        "relationship": "father",
        "parental_responsibility": "yes",
        "lives_in_household": "no",
        **values,
    }


def test_each_adult_has_a_role_toward_each_child(
    client: CheckingClient, db: Session, okafor: Family
) -> None:
    kids = _kids(db, okafor)
    ruby, tom = kids["Ruby Okafor"], kids["Tom Okafor"]
    url = f"/families/{okafor.id}/adults/new"
    page = client.get(url)
    assert "What is their role in Ruby Okafor’s life?" in page.text
    assert "Person who poses a risk to the child" in page.text

    # A household role for someone outside it: refused, typing kept.
    clash = post_form(
        client,
        url,
        _adult_form(**{f"role-{ruby.id}": "household-carer", f"role-{tom.id}": "parent-outside"}),
    )
    assert list(_errors(clash).values()) == [
        "They do not live in the household, so choose another role in Ruby Okafor's life, "
        "or say that they live in the household"
    ]
    assert soup(clash).select_one(f"#role-{tom.id}-2").has_attr("checked")
    assert soup(clash).select_one("#name")["value"] == "Femi Okafor"

    # Roles left unanswered follow from the relationship and household.
    saved = post_form(client, url, _adult_form())
    assert saved.status_code == 303, _errors(saved)
    partner = post_form(
        client,
        url,
        _adult_form(
            name="Jason Pike",
            relationship="partner-of-parent",
            parental_responsibility="no",
            lives_in_household="yes",
            **{f"role-{ruby.id}": "partner", f"role-{tom.id}": "risk"},
        ),
    )
    assert partner.status_code == 303
    femi = db.exec(select(Adult).where(col(Adult.name) == "Femi Okafor")).one()
    assert femi.child_roles == {str(ruby.id): "parent-outside", str(tom.id): "parent-outside"}

    details = soup(client.get(f"/families/{okafor.id}/details"))
    cards = {
        card.select_one(".govuk-summary-card__title").get_text(strip=True): card.get_text(" ")
        for card in details.select(".govuk-summary-card")
    }
    assert "Parent living outside the household" in cards["Femi Okafor"]
    assert "Partner of a parent, for Ruby Okafor" in cards["Jason Pike"]
    assert "Person who poses a risk to the child, for Tom Okafor" in cards["Jason Pike"]

    # A child added later takes the role the relationship suggests until it is recorded.
    baby = make_child(db, okafor, name="Zara Okafor", born=date(TODAY.year - 1, 3, 1))
    form = soup(client.get(f"/families/{okafor.id}/adults/{femi.id}"))
    assert form.select_one(f"input[name='role-{baby.id}'][value='parent-outside']").has_attr(
        "checked"
    )


def test_roles_in_the_api_change_only_the_children_named(
    client: CheckingClient, db: Session, okafor: Family
) -> None:
    kids = _kids(db, okafor)
    ruby, tom = kids["Ruby Okafor"], kids["Tom Okafor"]
    base = f"/api/v1/families/{okafor.id}/adults"
    created = _api(
        client,
        "POST",
        base,
        {
            "name": "Grace Okafor",
            "relationship": "mother",
            "parental_responsibility": True,
            "lives_in_household": True,
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["child_roles"] == {str(ruby.id): "household-carer", str(tom.id): "household-carer"}
    changed = _api(
        client,
        "PATCH",
        f"{base}/{body['id']}",
        {"version": body["version"], "child_roles": {str(tom.id): "other"}},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["child_roles"] == {
        str(ruby.id): "household-carer",
        str(tom.id): "other",
    }
    wrong = _api(
        client,
        "PATCH",
        f"{base}/{body['id']}",
        {"version": changed.json()["version"], "child_roles": {str(tom.id): "uncle"}},
    )
    assert wrong.status_code == 422
    assert "Select their role in Tom Okafor's life" in wrong.text


def _household(story: Story) -> tuple[Adult, Adult, Adult]:
    """The story's Cara (mother at home), Dev as a father elsewhere, and a new partner."""
    db, family = story.session, story.family
    cara, dev = families.adults(db, family)
    kids = {str(child.id) for child in families.children(db, family)}
    dev.lives_in_household = False
    dev.child_roles = dict.fromkeys(kids, "parent-outside")
    partner = Adult(
        family_id=family.id,
        name="Lee Marsh",
        relationship="partner-of-parent",
        parental_responsibility=False,
        lives_in_household=True,
        child_roles=dict.fromkeys(kids, "partner"),
    )
    db.add_all([dev, partner])
    db.commit()
    return cara, dev, partner


def test_per_parent_questions_ask_only_the_roles_the_content_names(story: Story) -> None:
    cara, dev, _partner = _household(story)
    db, family = story.session, story.family
    people = questions.people_of(db, family)
    names = lambda pairs: [name for _id, name in pairs]  # noqa: E731
    assert names(people.group_parents(story.content, "capacity")) == ["Cara"]
    assert names(people.group_parents(story.content, "parent-views")) == ["Cara", "Dev"]
    older = CONTENT.get("reunification", "1.2.0")
    assert names(people.group_parents(older, "capacity")) == ["Cara", "Dev", "Lee Marsh"]

    state = questions.section_state(db, family, story.content, "capacity-to-change", 0)
    shown = [instance.label for node in state.nodes for instance in node.instances]
    assert shown == ["Cara"]

    # Dev answered while he lived at home; once he is a parent elsewhere the rules no longer
    # read his answers, and every reason that names a parent names them by name.
    dev.child_roles = dict.fromkeys(dev.child_roles, "household-carer")
    dev.lives_in_household = True
    db.add(dev)
    db.commit()
    story.fill("identification")  # what the task waits for, as a practitioner would
    story.fill("capacity-to-change")
    snapshot = build_family_snapshot(db, family=family, content=story.content, as_of=TODAY)
    assert {p.parent_label for p in snapshot.parents} == {"Cara", "Dev"}
    dev.child_roles = dict.fromkeys(dev.child_roles, "parent-outside")
    dev.lives_in_household = False
    db.add(dev)
    db.commit()
    snapshot = build_family_snapshot(db, family=family, content=story.content, as_of=TODAY)
    assert {p.parent_label for p in snapshot.parents} == {"Cara"}
    # An adult deleted from the family is not read either (nor named by an id).
    families.delete_record(
        db,
        actor=story.worker,
        family=family,
        record=cara,
        entity_type="adult",
        reason="Recorded twice",
        expected_version=cara.version,
    )
    db.commit()
    snapshot = build_family_snapshot(db, family=family, content=story.content, as_of=TODAY)
    assert snapshot.parents == ()


def _return(**values: object) -> families.ReturnDetails:
    fields: dict[str, object] = {
        "returned_on": date(2021, 5, 3),
        "ended_on": date(2021, 11, 20),
        "broke_down": True,
        "notes": None,
        "planned": "unplanned",
        "returned_to": "Grace, his mother",
        "breakdown_cause": "substance-misuse",
        **values,
    }
    return families.ReturnDetails(**fields)  # type: ignore[arg-type]


def test_earlier_returns_record_planning_whom_and_why_they_broke_down(story: Story) -> None:
    db, family, content = story.session, story.family, story.content
    ann = _kids(db, family)["Ann"]

    def add(**values: object) -> EarlierReturn:
        return families.add_return(
            db,
            actor=story.worker,
            family=family,
            child=ann,
            details=_return(**values),
            content=content,
        )

    with pytest.raises(InvalidInput) as refused:
        add(planned=None, breakdown_cause=None)
    assert refused.value.errors == {
        "planned": "Select whether the return was planned, unplanned or not known",
        "breakdown_cause": "Select the main reason the return broke down, or ‘Not known’",
    }
    with pytest.raises(InvalidInput) as refused:
        add(broke_down=False, ended_on=None)
    assert refused.value.errors == {
        "breakdown_cause": "Leave the reason for the breakdown empty: this return did not "
        "break down"
    }
    saved = add()
    assert (saved.planned, saved.returned_to, saved.breakdown_cause) == (
        "unplanned",
        "Grace, his mother",
        "substance-misuse",
    )
    # A version without a list of causes (before 1.3.0) keeps the cause in the notes.
    older = CONTENT.get("reunification", "1.2.0")
    with pytest.raises(InvalidInput) as refused:
        families.add_return(
            db, actor=story.worker, family=family, child=ann, details=_return(), content=older
        )
    assert "no list of reasons for a breakdown" in refused.value.errors["breakdown_cause"]


def test_earlier_times_in_care_are_kept_per_child_and_shown_in_order(
    client: CheckingClient, db: Session, okafor: Family
) -> None:
    tom = _kids(db, okafor)["Tom Okafor"]
    base = f"/families/{okafor.id}/children/{tom.id}"
    first = {
        "started_on-day": "4",
        "started_on-month": "2",
        "started_on-year": str(TODAY.year - 8),
        "ended_on-day": "1",
        "ended_on-month": "9",
        "ended_on-year": str(TODAY.year - 7),
        "legal_status": "s20",
        "placements": "2",
    }
    assert post_form(client, f"{base}/care-episodes/new", first).status_code == 303
    overlapping = post_form(
        client,
        f"{base}/care-episodes/new",
        {**first, "started_on-year": str(TODAY.year - 7), "ended_on-year": str(TODAY.year - 6)},
    )
    assert list(_errors(overlapping)) == ["#started_on-day"]
    assert "This overlaps another time in care" in overlapping.text
    too_late = post_form(
        client,
        f"{base}/care-episodes/new",
        {**first, "started_on-year": str(TODAY.year - 3), "ended_on-year": str(TODAY.year)},
    )
    assert "must end before the present one began" in too_late.text
    assert soup(too_late).select_one("#placements")["value"] == "2"
    second = {
        **first,
        "started_on-year": str(TODAY.year - 5),
        "ended_on-year": str(TODAY.year - 4),
        "legal_status": "care-order",
        "placements": "3",
    }
    assert post_form(client, f"{base}/care-episodes/new", second).status_code == 303
    for years_ago, until in ((7, 5), (4, 2)):
        home = {
            "returned_on-day": "1",
            "returned_on-month": "9",
            "returned_on-year": str(TODAY.year - years_ago),
            "planned": "planned" if years_ago == 7 else "unplanned",
            "returned_to": "His mother",
            "broke_down": "yes",
            "ended_on-day": "3",
            "ended_on-month": "2",
            "ended_on-year": str(TODAY.year - until),
            "breakdown_cause": "domestic-abuse",
        }
        assert post_form(client, f"{base}/returns/new", home).status_code == 303

    details = client.get(f"/families/{okafor.id}/details").text
    assert "Care order (section 31), 3 placements" in details
    assert "planned, broke down (Domestic abuse in the household)" in details
    api = client.get(f"/api/v1/families/{okafor.id}/care-episodes").json()
    toms = [(row["kind"], row["started_on"]) for row in api if row["child_name"] == "Tom Okafor"]
    assert [kind for kind, _ in toms] == ["care", "home", "care", "home", "care"]
    assert [day for _, day in toms] == sorted(day for _, day in toms)
    listed = client.get(f"/api/v1/families/{okafor.id}/children/{tom.id}/earlier-care").json()
    assert [row["placements"] for row in listed] == [2, 3]
    # Names in the summary are wrapped in bidirectional isolates (app.summary.text.isolate).
    summary = soup(client.get(f"/families/{okafor.id}/summary")).get_text(" ")
    summary = summary.translate(dict.fromkeys(range(0x2066, 0x206A)))
    assert "Tom Okafor's times in care" in summary
    assert "In care now" in summary
    assert "Unplanned" in summary


def test_breakdown_causes_are_compared_with_the_last_twelve_months(story: Story) -> None:
    db, family, content = story.session, story.family, story.content
    kids = _kids(db, family)
    ann, ben = kids["Ann"], kids["Ben"]
    families.add_return(
        db,
        actor=story.worker,
        family=family,
        child=ann,
        details=_return(),
        content=content,
    )
    families.add_return(
        db,
        actor=story.worker,
        family=family,
        child=ben,
        details=_return(breakdown_cause="new-adult"),
        content=content,
    )
    author = story.practitioner
    recent = TODAY - timedelta(days=90)
    make_entry(
        db,
        family,
        author=author,
        occurred_on=recent,
        themes=["substance-use-incident"],
        children=[ann],
        what="Cara drunk at contact",
    )
    make_entry(  # about the whole family: counts for Ann
        db, family, author=author, occurred_on=recent, themes=["substance-use-incident"]
    )
    make_entry(  # about Ben only: not Ann's
        db,
        family,
        author=author,
        occurred_on=recent,
        themes=["substance-use-incident"],
        children=[ben],
    )
    make_entry(  # too long ago
        db,
        family,
        author=author,
        occurred_on=TODAY - timedelta(days=500),
        themes=["substance-use-incident"],
        children=[ann],
    )
    db.commit()
    found = breakdowns.causes_again(db, family_id=family.id, content=content)
    by_child = {item.child_name: item for item in found}
    assert by_child["Ann"].recent_total == 2
    assert (
        by_child["Ann"]
        .sentence()
        .startswith(
            "Ann's return home on 3 May 2021 broke down because of a parent's alcohol or drug use; "
            "the chronology shows it again 2 times since"
        )
    )
    assert not by_child["Ben"].seen_again
    assert "shows nothing like it since" in by_child["Ben"].sentence()
    older = CONTENT.get("reunification", "1.2.0")
    assert breakdowns.causes_again(db, family_id=family.id, content=older) == []


def test_factors_the_record_answers_are_suggested_never_saved(
    client: CheckingClient, db: Session, okafor: Family, worker: User
) -> None:
    content = CONTENT.get(okafor.framework_id, okafor.framework_version)
    kids = _kids(db, okafor)
    tom = kids["Tom Okafor"]
    db.add(
        EarlierReturn(
            child_id=tom.id,
            returned_on=date(2022, 4, 1),
            ended_on=date(2022, 10, 1),
            broke_down=True,
            planned="planned",
        )
    )
    make_entry(
        db,
        okafor,
        author=worker,
        occurred_on=date(2019, 6, 1),
        precision="month",
        themes=["sibling-removed"],
    )
    db.flush()
    found = record_suggestions.factor_suggestions(
        db, family=okafor, content=content, factor_ids=["pr-r1", "pr-r3", "hh-r2", "pr-r2"]
    )
    assert found["pr-r1"].status == FactorStatus.PRESENT
    assert found["pr-r1"].source == (
        "Family details: Tom Okafor's earlier return home on 1 April 2022 broke down."
    )
    assert "pr-r3" not in found  # one earlier return: not "more than once"
    assert found["hh-r2"].source == (
        "Chronology: 1 entry shows ‘A brother or sister removed or harmed’, the latest June 2019."
    )

    def rule(**values: object) -> record_suggestions.Suggestion | None:
        return record_suggestions.suggestion_for(
            db, family=okafor, content=content, rule=FactorSuggestion(**values)
        )

    older = rule(record="child-age", at_least=11)
    assert older is not None
    assert older.status == FactorStatus.PRESENT
    assert older.source == "Family details: Tom Okafor is 15."
    none_older = rule(record="child-age", at_least=16)
    assert none_older is not None
    assert none_older.status == FactorStatus.ABSENT
    s20 = rule(record="legal-status", one_of=("s20",))
    assert s20 is not None
    assert s20.status == FactorStatus.ABSENT
    assert "Ruby Okafor: Interim care order (section 38)" in s20.source
    moves = rule(record="placement-moves", at_least=1)
    assert moves is not None
    assert "Ruby Okafor has moved placement 1 time" in moves.source

    db.commit()
    page = client.get(f"/families/{okafor.id}/sections/factors-previous-returns")
    factor = soup(page).select_one("#factor-pr-r1")
    assert "Suggested from the record: Family details: Tom Okafor's earlier return" in (
        factor.get_text(" ")
    )
    present = factor.select_one("input[value='present']")
    assert not present.has_attr("checked")
    assert "Present (suggested)" in factor.get_text(" ")
