"""Invented chronologies for the demo families: a hand-written history for the Harper family
(with the written analysis, a supervisor's comments and a review), and histories built from a
pool of invented events for the others. Dates are relative to today. Loading is idempotent: a
family that already has entries is left alone."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.registry import ContentRegistry
from app.demo.assessment import fill_section
from app.demo.families import DEMO_FAMILIES
from app.models.accounts import User
from app.models.chronology import ChronologyEntry
from app.models.family import Family
from app.services import chronology, chronology_analysis, chronology_review, families
from app.services.audit import Actor
from app.timeutil import LONDON, as_of, london_today


@dataclass(frozen=True)
class DemoEvent:
    days_ago: int
    precision: str
    source: str
    what: str
    themes: tuple[str, ...]
    grade: str
    impact: str | None = None
    response: str | None = None
    outcome: str | None = None
    parents: str | None = None
    children: tuple[str, ...] = ()  # first names; empty means every child
    third_party: bool = False


Y = 365
HARPER = (
    DemoEvent(
        9 * Y,
        "year",
        "case-file",
        "Health visitor referral: Kim finding it hard to cope after Amy's birth; low mood.",
        ("mental-health-crisis",),
        "amber",
        response="Early help assessment offered",
        outcome="Kim took up a parenting group",
        children=("Amy",),
    ),
    DemoEvent(
        8 * Y + 40,
        "month",
        "health",
        "Kim started antidepressants; GP notes an improvement within three months.",
        ("mental-health-stable",),
        "green",
        children=("Amy",),
    ),
    DemoEvent(
        7 * Y,
        "approximate",
        "family",
        "Dean Walsh moved into the household.",
        ("new-adult",),
        "amber",
        parents="Kim says Dean was a great help at first.",
    ),
    DemoEvent(
        7 * Y - 120,
        "day",
        "police",
        "Police called by a neighbour to shouting; Dean "
        "arrested for assaulting Kim. Amy (5) was in the flat.",
        ("domestic-abuse-incident", "parent-offending"),
        "red",
        impact="Amy told the officer she hid under her bed.",
        response="Referral to children's services; MARAC",
        outcome="Strategy discussion; child in need plan",
        third_party=True,
    ),
    DemoEvent(
        6 * Y + 200,
        "day",
        "earlier-assessment",
        "Child in need plan: Kim agreed Dean would not live at the flat.",
        ("child-protection-action",),
        "amber",
    ),
    DemoEvent(
        6 * Y,
        "day",
        "police",
        "Second police call-out; Dean back at the flat.",
        ("domestic-abuse-incident",),
        "red",
        third_party=True,
    ),
    DemoEvent(
        6 * Y - 60,
        "day",
        "education",
        "School reports Amy often late, hungry and in the same clothes.",
        ("neglect-of-care", "missed-health-or-education"),
        "amber",
        children=("Amy",),
    ),
    DemoEvent(
        5 * Y + 100,
        "day",
        "case-file",
        "Child protection conference: plan under neglect.",
        ("child-protection-action",),
        "red",
    ),
    DemoEvent(
        5 * Y,
        "day",
        "substance-misuse-service",
        "Kim referred for alcohol use; attended two of six sessions.",
        ("substance-use-incident", "service-disengagement"),
        "amber",
    ),
    DemoEvent(
        4 * Y + 200,
        "day",
        "court-bundle",
        "Interim care order; Amy and Leo placed in foster care.",
        ("child-protection-action", "placement-move"),
        "red",
        impact="Leo (2) unsettled for weeks; Amy worried about her mother.",
    ),
    DemoEvent(
        4 * Y + 100,
        "month",
        "carers",
        "Contact: Kim attended every session, warm and well prepared.",
        ("good-contact",),
        "green",
    ),
    DemoEvent(
        4 * Y,
        "day",
        "substance-misuse-service",
        "Kim completed a detox and a 12-week programme; negative tests.",
        ("abstinence-confirmed", "service-progress"),
        "green",
    ),
    DemoEvent(
        3 * Y + 10,
        "day",
        "case-file",
        "Amy went home on a care order at home.",
        ("unplanned-return",),
        "amber",
        children=("Amy",),
    ),
    DemoEvent(
        3 * Y - 60,
        "day",
        "education",
        "Amy's attendance fell to 78%.",
        ("missed-health-or-education",),
        "amber",
        children=("Amy",),
    ),
    DemoEvent(
        3 * Y - 100,
        "approximate",
        "family",
        "Dean moved back in; not told to social worker.",
        ("new-adult",),
        "red",
        parents="Kim says Dean was only visiting.",
    ),
    DemoEvent(
        3 * Y - 150,
        "day",
        "police",
        "Police called to the flat; Kim intoxicated, Amy caring for Leo during contact.",
        ("domestic-abuse-incident", "substance-use-incident"),
        "red",
        third_party=True,
    ),
    DemoEvent(
        3 * Y - 200,
        "day",
        "case-file",
        "Return broke down: Amy back into foster care.",
        ("return-breakdown",),
        "red",
        children=("Amy",),
        impact="Amy said she felt it was her fault.",
    ),
    DemoEvent(
        2 * Y,
        "day",
        "housing",
        "Rent arrears; notice seeking possession.",
        ("housing-or-money-crisis",),
        "amber",
    ),
    DemoEvent(
        Y + 200,
        "day",
        "carers",
        "Kim missed three contacts in a row.",
        ("contact-missed",),
        "amber",
    ),
    DemoEvent(
        Y,
        "day",
        "domestic-abuse-service",
        "Kim began the Freedom Programme and attended every session.",
        ("service-progress",),
        "green",
    ),
    DemoEvent(
        300,
        "day",
        "case-file",
        "Amy and Leo came back into care after a home visit found no food or heating.",
        ("neglect-of-care", "child-protection-action"),
        "red",
    ),
    DemoEvent(
        200,
        "day",
        "housing",
        "Kim moved to a two-bedroom housing association flat.",
        ("home-secured",),
        "green",
    ),
    DemoEvent(
        120,
        "day",
        "substance-misuse-service",
        "Six months of negative hair-strand tests.",
        ("abstinence-confirmed",),
        "green",
    ),
    DemoEvent(
        60,
        "day",
        "child",
        "Amy said she would like to go home 'if Dean isn't there'.",
        ("child-distress",),
        "amber",
        children=("Amy",),
    ),
    DemoEvent(
        20,
        "day",
        "family",
        "Aunt Jo Clarke offered weekend respite and daily check-ins.",
        ("network-help",),
        "green",
    ),
)

HARPER_ANALYSIS = (
    "Over nine years the same pattern repeats: when Dean Walsh is in the household, police "
    "call-outs and Kim's drinking follow, and the children's care falls away. Kim has shown "
    "she can stop drinking and engage with help (detox, the Freedom Programme), but the "
    "change has not lasted when Dean returned. Amy's earlier return broke down within months "
    "for this reason.\n\nWhat would show change: Kim's abstinence sustained for at least six "
    "more months, no contact with Dean that puts the children at risk, and Jo Clarke's support "
    "in place before any return."
)

POOL = (
    (
        "police",
        "Police attended after a report of a disturbance at the home.",
        ("domestic-abuse-incident",),
        "red",
    ),
    (
        "health",
        "Missed the child's health review; second reminder sent.",
        ("missed-health-or-education",),
        "amber",
    ),
    (
        "education",
        "School raised concerns about the child's hygiene and hunger.",
        ("neglect-of-care",),
        "amber",
    ),
    (
        "mental-health-service",
        "Parent admitted to hospital in a mental health crisis.",
        ("mental-health-crisis",),
        "red",
    ),
    (
        "mental-health-service",
        "Community mental health team: parent stable on medication.",
        ("mental-health-stable",),
        "green",
    ),
    (
        "substance-misuse-service",
        "Positive test for cocaine; parent did not attend the review.",
        ("substance-use-incident", "service-disengagement"),
        "red",
    ),
    (
        "substance-misuse-service",
        "Three months of negative tests confirmed.",
        ("abstinence-confirmed",),
        "green",
    ),
    (
        "carers",
        "Contact went well: parent played with the children and brought a meal.",
        ("good-contact",),
        "green",
    ),
    (
        "carers",
        "Parent did not arrive for contact; the child was upset.",
        ("contact-missed", "child-distress"),
        "amber",
    ),
    (
        "housing",
        "Family moved to temporary accommodation after eviction.",
        ("housing-or-money-crisis",),
        "amber",
    ),
    (
        "case-file",
        "Child protection plan reviewed; progress too slow.",
        ("child-protection-action",),
        "amber",
    ),
    ("family", "Grandmother agreed to help with school runs.", ("network-help",), "green"),
    (
        "education",
        "The child is settled at school and attendance is good.",
        ("child-progress",),
        "green",
    ),
    (
        "earlier-assessment",
        "Parenting assessment: warm but inconsistent routines.",
        ("parenting-improved",),
        "amber",
    ),
    (
        "police",
        "Parent's partner arrested for possession of drugs.",
        ("parent-offending", "new-adult"),
        "red",
    ),
    (
        "other-agency",
        "Family support worker reports the home clean and organised.",
        ("parenting-improved",),
        "green",
    ),
)


def _actor(session: Session, email: str) -> Actor | None:
    user = session.exec(select(User).where(col(User.email_key) == email)).first()
    return Actor(user=user, request_id="demo-data", path="python -m app demo") if user else None


def _add(
    session: Session,
    actor: Actor,
    family: Family,
    registry: ContentRegistry,
    event: DemoEvent,
    today: date,
) -> None:
    content = families.content_for(registry, family)
    names = chronology.child_names(session, family)
    wanted = [
        child_id
        for child_id, name in names.items()
        if not event.children or name.split()[0] in event.children
    ]
    chronology.add_entry(
        session,
        actor=actor,
        family=family,
        content=content,
        details=chronology.EntryDetails(
            occurred_on=today - timedelta(days=event.days_ago),
            date_precision=event.precision,
            source_id=event.source,
            what_happened=event.what,
            significance=event.grade,
            impact_on_child=event.impact,
            response=event.response,
            outcome=event.outcome,
            parents_comments=event.parents,
            theme_ids=event.themes,
            child_ids=tuple(wanted),
            third_party=event.third_party,
        ),
    )


def load_demo_chronologies(session: Session, registry: ContentRegistry) -> None:
    """Give each demo family a chronology, unless it has one already."""
    today = london_today()
    references = [demo.reference.upper() for demo in DEMO_FAMILIES]
    for family in session.exec(
        select(Family)
        .where(col(Family.reference_key).in_(references), col(Family.deleted_at).is_(None))
        .order_by(col(Family.reference))
    ).all():
        has_entries = session.exec(
            select(func.count())
            .select_from(ChronologyEntry)
            .where(col(ChronologyEntry.family_id) == family.id)
        ).one()
        practitioner = (
            session.get(User, family.allocated_practitioner_id)
            if family.allocated_practitioner_id
            else None
        )
        if has_entries or practitioner is None:
            continue
        actor = Actor(user=practitioner, request_id="demo-data", path="python -m app demo")
        _open_chronology(session, actor, family, families.content_for(registry, family), today)
        if family.reference == "RIV-2026-014":
            _load_harper(session, actor, family, registry, today)
            continue
        rng = random.Random(family.reference)  # noqa: S311 - the same invented history each time
        for number in range(rng.randint(30, 60)):
            source, what, themes, grade = rng.choice(POOL)
            _add(
                session,
                actor,
                family,
                registry,
                DemoEvent(
                    days_ago=rng.randint(20, 6 * Y),
                    precision=rng.choice(("day", "day", "day", "month", "approximate")),
                    source=source,
                    what=what,
                    themes=themes,
                    grade=grade,
                    third_party=source == "police" and number % 2 == 0,
                ),
                today,
            )


def _open_chronology(
    session: Session, actor: Actor, family: Family, content: FrameworkContent, today: date
) -> None:
    """A chronology can be added to once what it waits for (identification) is complete: the
    practitioner completed it when the family's work started."""
    weeks = next(
        (demo.started_weeks_ago for demo in DEMO_FAMILIES if demo.reference == family.reference),
        0,
    )
    started = datetime.combine(today - timedelta(weeks=weeks), time(10, 0), tzinfo=LONDON)
    with as_of(started):
        for section_id in chronology.prerequisite_forms(content):
            fill_section(session, actor, family, content, section_id, complete=True)


def _load_harper(
    session: Session, actor: Actor, family: Family, registry: ContentRegistry, today: date
) -> None:
    for event in HARPER:
        _add(session, actor, family, registry, event, today)
    content = families.content_for(registry, family)
    chronology_analysis.save_written_analysis(
        session,
        actor=actor,
        family=family,
        content=content,
        scope=chronology_analysis.OVERALL,
        text=HARPER_ANALYSIS,
        expected_version=0,
    )
    chronology_analysis.save_written_analysis(
        session,
        actor=actor,
        family=family,
        content=content,
        scope="domestic-abuse-incident",
        text="Three police call-outs, each while Dean Walsh lived at the flat.",
        expected_version=0,
    )
    supervisor = _actor(session, "grace.okafor@homeward.test")
    if supervisor is None:
        return
    chronology_review.add_comment(
        session,
        actor=supervisor,
        family=family,
        entry=None,
        body="A clear analysis. Please add the school's records for the last two years.",
    )
    chronology_review.mark_reviewed(
        session, actor=supervisor, family=family, note="Reviewed at supervision."
    )
    # A change after the review, so the demo shows "changed since review".
    _add(
        session,
        actor,
        family,
        registry,
        DemoEvent(
            7,
            "day",
            "education",
            "School: Amy's attendance 96% this term.",
            ("child-progress",),
            "green",
            children=("Amy",),
        ),
        today,
    )
