"""Every report's figures for a hand-built set of families, taken through the journey by the
same services practitioners and supervisors use, each step on a fixed date, checked against
numbers worked out by hand (on SQLite and PostgreSQL alike).

North team, the Ashby family: four children came into care on 10 January 2023; the manager
agreed the assessment on 1 March, the decision to work towards a return was made on 3 April.
- Amy (born 2010, accommodated under section 20, came into care for neglect) went home as
  planned on 1 November 2023 and came back into care on 15 January 2024 (within 3 months).
- Ben (born 2018, neglect) went home as planned on 1 November 2023 and stayed.
- Cal (born 2016, section 20) went home unplanned on 1 December 2023, back on 1 September
  2024 (within 12 months).
- Dee (born 2012) went to her aunt, who has no parental responsibility, on 1 February 2024,
  back on 1 June 2025 (within 24 months).
South team, the Bell family: two children came into care on 15 January 2025; assessment agreed
1 March, decision 1 April 2025.
- Eve (born 2008, an earlier return broke down) went home as planned on 1 October 2025: 8
  months before the day counted, so not yet followed for 12 or 24.
- Fin (born 2020) went home unplanned on 15 April 2026 and was back on 1 May: already back in
  care, but followed for less than 3 months, so not counted in any rate yet.
The reports are counted on 1 June 2026.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from app.demo.assessment import add_evidence, form_sections
from app.demo.journey import Story
from app.models.accounts import Role, Team
from app.models.assessment import AssessmentAnswer, Classification
from app.models.audit import AuditEvent
from app.models.family import Family
from app.models.journey import ReviewCycle
from app.services import families, questions, reports, returns
from app.services.audit import Actor
from app.services.reports.scope import Scope
from app.services.reports.tables import Column, Kind, Row, Sum, Table, suppressed
from app.timeutil import LONDON, as_of
from tests.factories import CONTENT, make_entry, make_family, make_team, make_user

TODAY = date(2026, 6, 1)
CONTENT_NOW = CONTENT.latest("reunification")


@contextmanager
def on(day: date) -> Iterator[None]:
    with as_of(datetime.combine(day, time(11, 0), tzinfo=LONDON)):
        yield


def _child(story: Story, name: str, born: date, entered: date, legal: str, reason: str) -> None:
    families.add_child(
        story.session,
        actor=story.worker,
        family=story.family,
        content=story.content,
        details=families.ChildDetails(
            name=name,
            date_of_birth=born,
            gender="girl",
            ethnicity=None,
            legal_status=legal,
            legal_status_detail=None,
            date_entered_care=entered,
            entry_reason=reason,
            entry_reason_detail=None,
            placement_type="foster-care",
            placement_moves=1,
        ),
    )


def _story(session: Session, team: Team, started: date) -> Story:
    practitioner = make_user(session, roles=[Role.PRACTITIONER], team=team)
    supervisor = make_user(session, roles=[Role.SUPERVISOR], team=team)
    with on(started):
        family = make_family(session, team=team, allocated_to=practitioner)
        story = Story(
            session=session,
            family=family,
            content=CONTENT.get(family.framework_id, family.framework_version),
            practitioner=practitioner,
            supervisor=supervisor,
        )
        make_entry(
            session,
            family,
            author=practitioner,
            occurred_on=started.replace(day=1) - timedelta(days=400),
        )
        families.add_adult(
            session,
            actor=story.worker,
            family=family,
            details=families.AdultDetails(
                name="Parent",
                relationship="mother",
                relationship_detail=None,
                parental_responsibility=True,
                lives_in_household=True,
            ),
        )
    return story


def _plan(
    story: Story,
    *,
    agreed: date,
    assessed: date,
    decided: date,
    signed: date,
    support: dict[str, Any],
) -> None:
    """Assessment, classification 1 signed off to work towards a return, the agreement (one
    goal about substance misuse) and the support plan."""
    with on(assessed):
        for section_id in form_sections(story.content):
            story.fill(
                section_id,
                {"assessment-agreed-date": agreed} if section_id == "identification" else None,
            )
        questions.complete_chronology_section(
            story.session,
            actor=story.worker,
            family=story.family,
            content=story.content,
            section_id="chronology",
        )
        add_evidence(story.session, story.worker, story.family, story.content)
        story.classify("classification-before-plan")
    with on(decided):
        story.sign_off("classification-before-plan", option="work-towards-return")
    with on(signed):
        story.fill("written-agreement", {"goal-area": "substance-misuse"})
        story.fill("child-view-of-agreement")
        story.decide("agreement-sign-off", "signed-off", "Clear goals.")
        story.fill("support-plan", support)
        story.decide("support-plan-agreed", "agreed", "Services in place.")


def _review(story: Story, day: date, *, rated: bool = False) -> None:
    """The review before the return, held on `day`: the goals rated green (unless `rated`
    already), classification 2 signed off, and the decision to go ahead."""
    with on(day):
        if not rated:
            story.review("green", evidence="Goals met, confirmed by the services.")
        story.classify("classification-before-return")
        story.sign_off("classification-before-return")
        story.decide("review-decision", "proceed-gradual-return", "Go ahead.", held=True)


def _home(story: Story, name: str, day: date, kind: str, *, aunt: bool = False) -> None:
    child = story.child(name)
    with on(day):
        returns.record_return(
            story.session,
            actor=story.worker,
            family=story.family,
            content=story.content,
            details=returns.ReturnDetails(
                child_id=str(child.id),
                returned_on=day,
                return_type=kind,
                carer=returns.SOMEONE_ELSE if aunt else str(story.adult("Parent").id),
                carer_name="Aunt" if aunt else "",
                carer_has_parental_responsibility=False if aunt else None,
                legal_status=child.legal_status,
                notes="",
            ),
        )


def _back(story: Story, name: str, day: date) -> None:
    with on(day):
        returns.record_reentry(
            story.session,
            actor=story.worker,
            family=story.family,
            content=story.content,
            child_id=str(story.child(name).id),
            entered_on=day,
            reason="The return broke down.",
        )


def _family(
    session: Session,
    team: Team,
    started: date,
    entered: date,
    children: list[tuple[str, date, str, str]],
    broke_down: tuple[str, date, date] | None = None,
) -> Story:
    """A family whose work started on `started`, with its children (name, born, legal status,
    reason for care) in care since `entered`, and a child's earlier return that broke down."""
    story = _story(session, team, started)
    with on(started):
        for name, born, legal, reason in children:
            _child(story, name, born, entered, legal, reason)
        if broke_down:
            name, returned, ended = broke_down
            families.add_return(
                session,
                actor=story.worker,
                family=story.family,
                child=story.child(name),
                details=families.ReturnDetails(
                    returned_on=returned,
                    ended_on=ended,
                    broke_down=True,
                    notes="",
                    planned="unplanned",
                ),
            )
    return story


def _ashby(session: Session, team: Team) -> Story:
    story = _family(
        session,
        team,
        date(2023, 2, 1),
        date(2023, 1, 10),
        [
            ("Amy", date(2010, 1, 1), "s20", "neglect"),
            ("Ben", date(2018, 6, 1), "interim-care-order", "neglect"),
            ("Cal", date(2016, 1, 1), "s20", "physical-abuse"),
            ("Dee", date(2012, 3, 1), "care-order", "emotional-abuse"),
        ],
    )
    _plan(
        story,
        agreed=date(2023, 3, 1),
        assessed=date(2023, 3, 20),
        decided=date(2023, 4, 3),
        signed=date(2023, 4, 20),
        support={
            "service-type": "parenting-programme",
            "service-areas": ("parenting-capacity", "child-needs"),
            "service-timing": "both",
            "service-start": date(2023, 10, 1),
            "service-end": date(2024, 4, 1),
            "support-after-return-months": 9,
            "support-before-return": True,
        },
    )
    _review(story, date(2023, 10, 15))
    _home(story, "Amy", date(2023, 11, 1), "planned-gradual")
    _home(story, "Ben", date(2023, 11, 1), "planned-direct")
    _home(story, "Cal", date(2023, 12, 1), "unplanned")
    _back(story, "Amy", date(2024, 1, 15))
    _home(story, "Dee", date(2024, 2, 1), "planned-gradual", aunt=True)
    _back(story, "Cal", date(2024, 9, 1))
    _back(story, "Dee", date(2025, 6, 1))
    return story


def _bell(session: Session, team: Team) -> Story:
    story = _family(
        session,
        team,
        date(2025, 2, 1),
        date(2025, 1, 15),
        [
            ("Eve", date(2008, 5, 1), "care-order", "physical-abuse"),
            ("Fin", date(2020, 2, 1), "care-order", "physical-abuse"),
        ],
        broke_down=("Eve", date(2019, 3, 1), date(2019, 9, 1)),
    )
    _plan(
        story,
        agreed=date(2025, 3, 1),
        assessed=date(2025, 3, 10),
        decided=date(2025, 4, 1),
        signed=date(2025, 4, 15),
        support={
            "service-type": "substance-misuse-treatment",
            "service-areas": ("substance-misuse",),
            "service-timing": "before-return",
            "service-start": date(2025, 6, 1),
            "service-end": date(2025, 9, 1),
            "support-after-return-months": 0,
            "support-before-return": True,
        },
    )
    # The practitioner puts the level above the suggestion; the supervisor disagrees and sends
    # it back with a lower level; the second classification follows the suggestion.
    with on(date(2025, 9, 10)):
        story.review("green", evidence="Goals met, confirmed by the services.")
        story.classify("classification-before-return", "very-high", "Worried about relapse.")
        story.sign_off("classification-before-return", agrees=False, level="medium")
    _review(story, date(2025, 9, 15), rated=True)
    _home(story, "Eve", date(2025, 10, 1), "planned-gradual")
    _home(story, "Fin", date(2026, 4, 15), "unplanned")
    _back(story, "Fin", date(2026, 5, 1))
    return story


class World:
    def __init__(self, session: Session, north: Team, south: Team) -> None:
        self.session, self.north, self.south = session, north, south

    def scope(
        self,
        *,
        teams: tuple[Team, ...] | None = None,
        start: date = date(2023, 4, 1),
        end: date = date(2026, 5, 31),
        window: int = 12,
    ) -> Scope:
        return Scope(
            framework_id="reunification",
            team_ids=tuple(team.id for team in teams) if teams else None,
            team_name="these teams",
            start=start,
            end=end,
            today=TODAY,
            window=window,
        )

    def report(self, slug: str, **scope: Any) -> reports.Report:
        return reports.find(slug).build(self.session, self.scope(**scope), CONTENT_NOW)


@pytest.fixture(scope="module")
def world(engine: Engine) -> Iterator[World]:
    """The families above, built once per database and rolled back at the end."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint")
    north, south = make_team(session, "North"), make_team(session, "South")
    _ashby(session, north)
    _bell(session, south)
    session.flush()
    yield World(session, north, south)
    session.close()
    transaction.rollback()
    connection.close()


def values(table: Table | None) -> dict[str, dict[str, Any]]:
    assert table is not None
    return {row.key: dict(row.values) for row in table.rows}


def shown(table: Table | None) -> dict[str, list[str]]:
    assert table is not None
    return {row.label: [table.shown(row, column) for column in table.columns] for row in table.rows}


def test_returns_home_by_type_and_team(world: World) -> None:
    report = world.report("returns-home")
    assert values(report.table("by-kind")) == {
        "planned": {"children": 3},
        "unplanned": {"children": 2},
        "without-pr": {"children": 1},
        "total": {"children": 6},
    }
    teams = values(report.table("by-team"))
    assert teams[str(world.north.id)] == {
        "planned": 2,
        "unplanned": 1,
        "without-pr": 1,
        "children": 4,
    }
    assert teams[str(world.south.id)] == {
        "planned": 1,
        "unplanned": 1,
        "without-pr": 0,
        "children": 2,
    }
    assert values(report.table("by-return-type"))["planned-gradual"] == {
        "with_pr": 2,
        "without_pr": 1,
        "children": 3,
    }
    assert report.headline.startswith("6 children went home in the period: 50% planned")
    # One team only, and a period that ends before Fin went home.
    south = world.report("returns-home", teams=(world.south,))
    assert values(south.table("by-kind"))["total"] == {"children": 2}
    assert south.table("by-team") is None
    earlier = world.report("returns-home", end=date(2026, 3, 31))
    assert values(earlier.table("by-kind"))["total"] == {"children": 5}


def test_stability_counts_only_children_followed_for_the_whole_window(world: World) -> None:
    report = world.report("stability")
    within = {months: values(report.table(f"within-{months}-months")) for months in (3, 12, 24)}
    # Cohorts by financial year: 2023-24 (Amy, Ben, Cal, Dee), 2025-26 (Eve), 2026-27 (Fin).
    assert within[3]["2023"] == {
        "children": 4,
        "back": 1,
        "stayed": 3,
        "followed": 4,
        "observing": 0,
        "observing_back": 0,
    }
    assert within[3]["2026"] == {
        "children": 1,
        "back": 0,
        "stayed": 0,
        "followed": 0,
        "observing": 1,
        "observing_back": 1,
    }
    assert within[12]["2023"]["back"] == 2
    assert within[12]["2025"] == {
        "children": 1,
        "back": 0,
        "stayed": 0,
        "followed": 0,
        "observing": 1,
        "observing_back": 0,
    }
    assert within[24]["2023"]["back"] == 3
    totals = {months: within[months]["total"] for months in (3, 12, 24)}
    assert [(t["back"], t["followed"], t["observing"]) for t in totals.values()] == [
        (1, 5, 1),
        (2, 4, 2),
        (3, 4, 2),
    ]
    # The rate is over the children followed for the whole window: 1 of 5, 2 of 4, 3 of 4.
    rates = shown(report.table("within-12-months"))["All returns home"]
    assert rates[4] == "50%"
    by_type = values(report.table("by-type"))
    assert (by_type["unplanned"]["back_12"], by_type["unplanned"]["followed_12"]) == (1, 1)
    assert (by_type["without-pr"]["back_24"], by_type["without-pr"]["followed_24"]) == (1, 1)
    assert report.headline == (
        "Of 4 children followed for 12 months after going home, 2 (50%) came back into care "
        "within that time; 2 more are still under observation."
    )


def test_stability_by_quarter_names_each_quarter(world: World) -> None:
    scope = world.scope()
    by_quarter = reports.find("stability").build(
        world.session,
        Scope(**{**scope.__dict__, "cohort": "quarter"}),
        CONTENT_NOW,
    )
    labels = [row.label for row in by_quarter.tables[0].rows]
    assert labels == [
        "October to December 2023",
        "January to March 2024",
        "October to December 2025",
        "April to June 2026",
        "All returns home",
    ]


def test_support_before_and_after_the_return(world: World) -> None:
    report = world.report("support")
    services = values(report.table("services"))
    assert services["parenting-programme"] == {
        "services": 1,
        "families": 1,
        "before": 1,
        "after": 1,
        "dated": 1,
        "median": 183,
    }
    assert services["substance-misuse-treatment"]["median"] == 92
    assert services["total"] == {
        "services": 2,
        "families": 2,
        "before": 2,
        "after": 1,
        "dated": 2,
        "median": round(statistics.median([92, 183])),
    }
    after = values(report.table("after-the-return"))
    assert after["none"]["families"] == 1
    assert after["under_12"]["families"] == 1
    assert after["total"] == {"yes": 2, "no": 0, "unknown": 0, "families": 2}
    # The Ashbys' substance misuse goal has only a parenting programme, which supports other
    # areas: no matching service. The Bells' treatment service supports it.
    assert values(report.table("goals")) == {
        "substance-misuse": {"goals": 2, "with": 1, "without": 1, "not_recorded": 0},
        "total": {"goals": 2, "with": 1, "without": 1, "not_recorded": 0},
    }
    assert report.headline == (
        "2 families had a child go home in the period; 1 of them planned less than 6 months of "
        "support after the return, and 1 of their 2 goals had no service that supports their "
        "area."
    )


def test_support_counts_goals_apart_where_services_do_not_say_their_areas(world: World) -> None:
    """A service planned before content 1.2.0 has no areas: its family's goals are 'not
    recorded' rather than 'without a service'."""
    savepoint = world.session.begin_nested()
    try:
        world.session.execute(
            delete(AssessmentAnswer).where(
                col(AssessmentAnswer.question_id) == "service-areas",
                col(AssessmentAnswer.family_id).in_(
                    select(Family.id).where(col(Family.team_id) == world.north.id)
                ),
            )
        )
        goals = values(world.report("support").table("goals"))
    finally:
        savepoint.rollback()
    assert goals["total"] == {"goals": 2, "with": 1, "without": 0, "not_recorded": 1}


def test_time_from_care_to_going_home(world: World) -> None:
    steps = values(world.report("time-to-return").table("steps"))
    assert {key: row["median"] for key, row in steps.items()} == {
        # 50 days (the Ashbys, 4 children) and 45 (the Bells, 2): the middle two are 50.
        "entry-assessment": 50,
        # 33 days (Ashby) and 31 (Bell).
        "assessment-decision": 33,
        # 212, 212, 242, 304 (Ashby) and 183, 379 (Bell): the middle two are 212 and 242.
        "decision-return": 227,
        # 295, 295, 325, 387 and 259, 455.
        "entry-return": 310,
    }
    assert steps["entry-return"]["recorded"] == 6
    assert steps["entry-return"]["over_12"] == 2  # Dee (12 months 22 days) and Fin (15)
    assert steps["decision-return"] == {
        "children": 6,
        "recorded": 6,
        "not_recorded": 0,
        "median": 227,
        "before": 0,
        "under_3": 0,
        "under_6": 0,
        # All but Fin (12 months 14 days); Eve's 6 months to the day count as 6 to 12.
        "under_12": 5,
        "over_12": 1,
    }


def test_risk_levels_and_overrides(world: World) -> None:
    report = world.report("risk-levels", start=date(2023, 1, 1))
    practitioners = values(report.table("practitioners"))["total"]
    supervisors = values(report.table("supervisors"))["total"]
    rows = world.session.exec(select(Classification)).all()
    # Classification 1 and 2 of each family, and the Bells' second go at classification 2.
    assert practitioners["submitted"] == len(rows) == 5
    assert (practitioners["higher"], practitioners["lower"], practitioners["differed"]) == (1, 0, 1)
    assert supervisors["reviewed"] == 5
    assert (supervisors["disagreed"], supervisors["disagreed-lower"]) == (1, 1)
    agreed = values(report.table("agreed-levels"))
    assert agreed["before-plan"]["classifications"] == 2
    assert agreed["before-return"]["classifications"] == 2
    # Each submission counts once for each rule that set its suggestion (or once as no rule).
    by_rule = values(report.table("by-rule"))
    assert [row.level_set_by for row in rows] == [row.explanation["set_by"] for row in rows]
    assert sum(row["submitted"] for row in by_rule.values()) == sum(
        max(1, len(row.explanation.get("set_by", []))) for row in rows
    )
    assert sum(row["differed"] for row in by_rule.values()) >= 1
    # The Ashbys' classification 1 was submitted on 20 March 2023, before the default period.
    later = values(world.report("risk-levels").table("practitioners"))["total"]
    assert later["submitted"] == 4


def test_reviews_on_time_and_overdue(world: World) -> None:
    report = world.report("reviews")
    cycles = world.session.exec(select(ReviewCycle)).all()
    due = [cycle for cycle in cycles if date(2023, 4, 1) <= cycle.due_on <= date(2026, 5, 31)]
    held = [cycle for cycle in due if cycle.held_on]
    total = values(report.table("by-period"))["total"]
    assert total["reviews"] == len(due)
    assert total["on_time"] == sum(1 for c in held if c.held_on and c.held_on <= c.due_on)
    assert total["late"] == sum(1 for c in held if c.held_on and c.held_on > c.due_on)
    not_held = [c for c in due if c.held_on is None]
    assert total["overdue"] + total["upcoming"] + total["not_held"] == len(not_held)
    # Each family's first review was due six weeks after the agreement was signed and was
    # held months later: the Ashbys' 20 April 2023 + 6 weeks = 1 June, held 15 October.
    first = min(held, key=lambda cycle: cycle.due_on)
    assert (first.due_on, first.held_on) == (date(2023, 6, 1), date(2023, 10, 15))
    # The Bells' first was due 27 May 2025 and held 15 September: 111 days late, and the
    # Ashbys' 136. Each family's second review came due 4 weeks after its first child went
    # home (29 November 2023, 29 October 2025) and has not been held.
    assert total == {
        "reviews": 4,
        "on_time": 0,
        "late": 2,
        "overdue": 2,
        "upcoming": 0,
        "not_held": 0,
        "median_late": 124,
    }
    phases = values(report.table("by-phase"))
    assert (phases["before_return"]["late"], phases["after_return"]["overdue"]) == (2, 2)
    assert values(report.table("by-team"))[str(world.north.id)]["reviews"] == 2


def test_characteristics_against_coming_back_into_care(world: World) -> None:
    report = world.report("characteristics", window=24)
    rows = values(report.table("by-characteristic"))
    # Over 10 on going home: Amy (13), Dee (11), Eve (17). Within 2 years, of those followed:
    # Amy and Dee back; Eve not followed yet.
    assert rows["older-yes"] == {
        "children": 3,
        "followed": 2,
        "back": 2,
        "stayed": 0,
        "observing": 1,
    }
    assert rows["earlier-yes"] == {
        "children": 1,
        "followed": 0,
        "back": 0,
        "stayed": 0,
        "observing": 1,
    }
    assert rows["s20-yes"] == {"children": 2, "followed": 2, "back": 2, "stayed": 0, "observing": 0}
    assert rows["neglect-yes"] == {
        "children": 2,
        "followed": 2,
        "back": 1,
        "stayed": 1,
        "observing": 0,
    }
    how_many = values(report.table("by-number"))
    # None: Fin. One: Ben (neglect), Cal (section 20), Dee (age). Two or more: Amy (age,
    # section 20, neglect) and Eve (age, an earlier return that broke down).
    assert how_many["count-0"]["children"] == 1
    assert how_many["count-1"]["children"] == 3
    assert how_many["count-2"]["children"] == 2


def test_copies_for_sharing_hide_small_counts(world: World) -> None:
    report = world.report("returns-home").for_sharing(below=5)
    assert shown(report.table("by-kind")) == {
        "Planned, to a parent with parental responsibility": ["hidden", "hidden"],
        "Unplanned, to a parent with parental responsibility": ["hidden", "hidden"],
        "To someone without parental responsibility": ["hidden", "hidden"],
        "All returns home": ["6", "100%"],
    }
    text = reports.csv_text(report, "by-kind")
    assert text.splitlines()[1] == (
        '"Planned, to a parent with parental responsibility",hidden,hidden'
    )
    # Below 2 hides only the 1, and then the next smallest part, so it cannot be worked out.
    hidden = report_with_below(world, 2)
    assert shown(hidden.table("by-kind"))["To someone without parental responsibility"] == [
        "hidden",
        "hidden",
    ]
    assert (
        shown(hidden.table("by-kind"))["Unplanned, to a parent with parental responsibility"][0]
        == "hidden"
    )
    assert (
        shown(hidden.table("by-kind"))["Planned, to a parent with parental responsibility"][0]
        == "3"
    )


def report_with_below(world: World, below: int) -> reports.Report:
    return world.report("returns-home").for_sharing(below=below)


def test_every_report_builds_for_an_empty_team(world: World) -> None:
    empty = make_team(world.session, "Empty")
    for module in reports.REPORTS:
        report = module.build(world.session, world.scope(teams=(empty,)), CONTENT_NOW)
        assert report.tables
        assert report.headline


def test_suppression_protects_totals_across_rows_and_columns() -> None:
    rows = (
        Row("a", "A", {"x": 7, "y": 2, "n": 9}),
        Row("b", "B", {"x": 6, "y": 8, "n": 14}),
        Row("t", "All", {"x": 13, "y": 10, "n": 23}, total=True),
    )
    table = Table(
        key="t",
        caption="t",
        row_heading="r",
        columns=(
            Column("x", "x"),
            Column("y", "y"),
            Column("n", "n"),
            Column("p", "p", Kind.PERCENT, of=("y", "n")),
        ),
        rows=rows,
        sums=(
            Sum(("a", "n"), (("a", "x"), ("a", "y"))),
            Sum(("b", "n"), (("b", "x"), ("b", "y"))),
            Sum(("t", "y"), (("a", "y"), ("b", "y"))),
        ),
    )
    hidden = suppressed(table, below=5).hidden
    # The 2 is hidden; then A's x (else 9 - 7) and B's y (else 10 - 8); then B's x (14 - 8).
    assert hidden == {("a", "y"), ("a", "x"), ("b", "y"), ("b", "x")}
    assert table.shown(rows[0], table.columns[3]) == "22%"
    assert suppressed(table, below=5).shown(rows[0], table.columns[3]) == "hidden"
    assert suppressed(table, below=0).hidden == frozenset()


def test_reading_a_report_is_audited(world: World) -> None:
    user = make_user(world.session, roles=[Role.MANAGER])
    report = reports.build(
        world.session,
        actor=Actor(user=user),
        slug="stability",
        scope=world.scope(),
        content=CONTENT_NOW,
    )
    assert report.slug == "stability"
    event = world.session.exec(
        select(AuditEvent).where(
            col(AuditEvent.entity_type) == "report", col(AuditEvent.user_id) == user.id
        )
    ).one()
    assert (event.entity_id, event.family_id) == ("stability", None)
    assert event.details["from"] == "2023-04-01"
