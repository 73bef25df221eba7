"""Demo families at different points of the journey, with children, parents and carers,
their network and the professionals involved. Dates are relative to today, so the demo
stays realistic whenever it is loaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, col, select

from app.content.registry import ContentRegistry
from app.models.accounts import User
from app.models.family import Family
from app.services import families
from app.services.audit import Actor
from app.timeutil import london_today


@dataclass(frozen=True)
class DemoChild:
    name: str
    age_years: int
    gender: str
    legal_status: str
    months_in_care: int
    entry_reason: str
    entry_reason_detail: str
    placement_type: str
    placement_moves: int
    ethnicity: str | None = None
    # (years ago it began, months it lasted, broke down, what happened, planned, to whom,
    # cause of breakdown from the content's breakdown_causes)
    earlier_returns: tuple[tuple[int, int, bool, str, str, str, str], ...] = ()
    # (years ago it began, months it lasted, legal status, placements): earlier times in care
    earlier_care: tuple[tuple[int, int, str, int], ...] = ()


@dataclass(frozen=True)
class DemoFamily:
    reference: str
    name: str
    practitioner_email: str
    started_weeks_ago: int
    children: tuple[DemoChild, ...]
    # (name, relationship, parental responsibility, lives in the household)
    adults: tuple[tuple[str, str, bool, bool], ...]
    # (kind, name, role, organisation, notes)
    contacts: tuple[tuple[str, str, str, str | None, str | None], ...]


DEMO_FAMILIES = (
    DemoFamily(
        reference="RIV-2026-014",
        name="Harper family",
        practitioner_email="priya.shah@homeward.test",
        started_weeks_ago=3,
        children=(
            DemoChild(
                "Amy Harper",
                12,
                "girl",
                "interim-care-order",
                9,
                "neglect",
                "Repeated neglect: the home without food or heating, Amy missing school to "
                "look after Leo, and Kim drinking heavily.",
                "foster-care",
                3,
                "White British",
                earlier_returns=(
                    (
                        3,
                        7,
                        True,
                        "Went home after a year in care; came back "
                        "into care when Kim's drinking returned after her partner "
                        "moved back in.",
                        "planned",
                        "Kim Harper",
                        "substance-misuse",
                    ),
                ),
                earlier_care=((4, 12, "s20", 2),),
            ),
            DemoChild(
                "Leo Harper",
                7,
                "boy",
                "interim-care-order",
                9,
                "neglect",
                "",
                "foster-care",
                1,
                "White British",
            ),
        ),
        adults=(
            ("Kim Harper", "mother", True, True),
            ("Dean Walsh", "partner-of-parent", False, True),
            ("Martin Harper", "father", True, False),
        ),
        contacts=(
            ("network", "Jo Clarke", "Maternal aunt", None, "Has offered weekend respite."),
            (
                "professional",
                "Ms R. Ahmed",
                "Designated safeguarding lead",
                "Riverside Primary School",
                None,
            ),
            (
                "professional",
                "Sam Leary",
                "Recovery worker",
                "Riverside Alcohol Service",
                "Kim has attended 6 of 8 sessions.",
            ),
            (
                "professional",
                "Ann Peters",
                "Independent reviewing officer",
                "Riverside Council",
                None,
            ),
        ),
    ),
    DemoFamily(
        reference="RIV-2025-102",
        name="Okoro family",
        practitioner_email="priya.shah@homeward.test",
        started_weeks_ago=5,
        children=(
            DemoChild(
                "Tomi Okoro",
                15,
                "boy",
                "s20",
                14,
                "family-acute-stress",
                "Accommodated by agreement after conflict at home escalated; Tomi says he "
                "wants to go home.",
                "residential",
                5,
                "Black British (Nigerian)",
            ),
        ),
        adults=(("Grace Okoro", "mother", True, True),),
        contacts=(
            (
                "network",
                "Pastor Femi Adeyemi",
                "Family friend and church leader",
                None,
                "Mentors Tomi and supports Grace.",
            ),
            (
                "professional",
                "Dr L. Chen",
                "Child and adolescent mental health clinician",
                "Riverside CAMHS",
                None,
            ),
        ),
    ),
    DemoFamily(
        reference="RIV-2025-088",
        name="Nowak family",
        practitioner_email="tom.baker@homeward.test",
        started_weeks_ago=16,
        children=(
            DemoChild(
                "Zofia Nowak",
                4,
                "girl",
                "care-order",
                20,
                "physical-abuse",
                "Unexplained bruising at 2 years old; father later convicted.",
                "kinship-care",
                0,
                "White Polish",
            ),
        ),
        adults=(("Ewa Nowak", "mother", True, True),),
        contacts=(
            (
                "network",
                "Halina Nowak",
                "Maternal grandmother",
                None,
                "Zofia's kinship carer; supports a return to Ewa.",
            ),
            ("professional", "Priya Natt", "Health visitor", "Riverside Health", None),
        ),
    ),
    DemoFamily(
        reference="RIV-2024-051",
        name="Begum family",
        practitioner_email="tom.baker@homeward.test",
        started_weeks_ago=40,
        children=(
            DemoChild(
                "Sara Begum",
                11,
                "girl",
                "care-order",
                26,
                "emotional-abuse",
                "",
                "foster-care",
                2,
                "British Bangladeshi",
            ),
            DemoChild(
                "Ayaan Begum",
                9,
                "boy",
                "care-order",
                26,
                "emotional-abuse",
                "",
                "foster-care",
                2,
                "British Bangladeshi",
            ),
        ),
        adults=(
            ("Nadia Begum", "mother", True, True),
            ("Rafiq Begum", "father", True, True),
        ),
        contacts=(
            ("professional", "Tessa Hall", "Family support worker", "Riverside Family Hub", None),
        ),
    ),
    DemoFamily(
        reference="HIL-2026-003",
        name="Clarke family",
        practitioner_email="daniel.evans@homeward.test",
        started_weeks_ago=2,
        children=(
            DemoChild(
                "Mia Clarke",
                14,
                "girl",
                "s20",
                6,
                "parental-illness-or-disability",
                "Mother admitted to hospital; no other carer available.",
                "foster-care",
                1,
                "Mixed White and Black Caribbean",
            ),
        ),
        adults=(("Louise Clarke", "mother", True, True),),
        contacts=(),
    ),
    DemoFamily(
        reference="RIV-2026-020",
        name="Murphy family",
        practitioner_email="priya.shah@homeward.test",
        started_weeks_ago=0,
        children=(
            DemoChild(
                "Connor Murphy",
                2,
                "boy",
                "interim-care-order",
                2,
                "neglect",
                "",
                "foster-care",
                0,
                "White Irish",
            ),
        ),
        adults=(("Shannon Murphy", "mother", True, True),),
        contacts=(),
    ),
    DemoFamily(
        reference="RIV-2024-077",
        name="Walsh family",
        practitioner_email="priya.shah@homeward.test",
        started_weeks_ago=44,
        children=(
            DemoChild(
                "Ella Walsh",
                8,
                "girl",
                "care-order",
                22,
                "neglect",
                "Left alone for long periods while Sinead was drinking.",
                "foster-care",
                1,
                "White Irish",
            ),
            DemoChild(
                "Jack Walsh",
                5,
                "boy",
                "care-order",
                22,
                "neglect",
                "",
                "foster-care",
                1,
                "White Irish",
            ),
        ),
        adults=(("Sinead Walsh", "mother", True, True),),
        contacts=(
            ("network", "Maureen Walsh", "Maternal grandmother", None, "Helps with school runs."),
            ("professional", "Ade Bello", "Recovery worker", "Riverside Recovery Service", None),
        ),
    ),
    DemoFamily(
        reference="RIV-2023-019",
        name="Hughes family",
        practitioner_email="tom.baker@homeward.test",
        started_weeks_ago=94,
        children=(
            DemoChild(
                "Ruby Hughes",
                13,
                "girl",
                "s20",
                30,
                "family-acute-stress",
                "Accommodated by agreement when Dean was admitted to hospital.",
                "foster-care",
                2,
                "White British",
            ),
            DemoChild(
                "Leah Hughes",
                10,
                "girl",
                "s20",
                30,
                "family-acute-stress",
                "",
                "foster-care",
                2,
                "White British",
            ),
        ),
        adults=(("Dean Hughes", "father", True, True),),
        contacts=(),
    ),
    DemoFamily(
        reference="RIV-2025-131",
        name="Patel family",
        practitioner_email="tom.baker@homeward.test",
        started_weeks_ago=14,
        children=(
            DemoChild(
                "Arjun Patel",
                6,
                "boy",
                "care-order",
                30,
                "physical-abuse",
                "Serious injuries at 3 years old; the explanation given did not fit them.",
                "foster-care",
                1,
                "British Indian",
            ),
        ),
        adults=(
            ("Meera Patel", "mother", True, True),
            ("Vikram Patel", "father", True, True),
        ),
        contacts=(),
    ),
    DemoFamily(
        reference="RIV-2023-064",
        name="Reid family",
        practitioner_email="priya.shah@homeward.test",
        started_weeks_ago=84,
        children=(
            DemoChild(
                "Kyle Reid",
                15,
                "boy",
                "s20",
                26,
                "family-dysfunction",
                "Repeated conflict at home and Donna's alcohol use.",
                "residential",
                4,
                "White Scottish",
                earlier_returns=(
                    (
                        4,
                        5,
                        True,
                        "Went home at 11; back in care five months later.",
                        "unplanned",
                        "Donna Reid",
                        "child-behaviour",
                    ),
                ),
                earlier_care=((5, 12, "s20", 3),),
            ),
        ),
        adults=(("Donna Reid", "mother", True, True),),
        contacts=(),
    ),
)


def _years_ago(years: int, today: date) -> date:
    return (
        today.replace(year=today.year - years)
        if (today.month, today.day) != (2, 29)
        else (today - timedelta(days=365 * years))
    )


def load_demo_families(session: Session, registry: ContentRegistry) -> None:
    """Create the demo families that do not exist yet."""
    for demo in DEMO_FAMILIES:
        exists = session.exec(
            select(Family.id).where(col(Family.reference_key) == demo.reference.upper())
        ).first()
        if exists:
            continue
        practitioner = session.exec(
            select(User).where(col(User.email_key) == demo.practitioner_email)
        ).one()
        add_demo_family(session, registry, demo, practitioner)


def add_demo_family(
    session: Session, registry: ContentRegistry, demo: DemoFamily, practitioner: User
) -> Family:
    """One demo family, allocated to `practitioner` in their team, recorded through the
    services (browser tests start from a copy of one under another reference)."""
    today = london_today()
    actor = Actor(user=practitioner, request_id="demo-data", path="python -m app demo")
    family = families.create_family(
        session,
        actor=actor,
        registry=registry,
        framework_id="reunification",
        details=families.FamilyDetails(
            reference=demo.reference,
            display_name=demo.name,
            allocated_practitioner_id=practitioner.id,
        ),
    )
    family.work_started_on = today - timedelta(weeks=demo.started_weeks_ago)
    content = families.content_for(registry, family)
    for child in demo.children:
        born = _years_ago(child.age_years, today) - timedelta(days=40)
        record = families.add_child(
            session,
            actor=actor,
            family=family,
            content=content,
            details=families.ChildDetails(
                name=child.name,
                date_of_birth=born,
                gender=child.gender,
                ethnicity=child.ethnicity,
                legal_status=child.legal_status,
                legal_status_detail=None,
                date_entered_care=today - timedelta(days=30 * child.months_in_care),
                entry_reason=child.entry_reason,
                entry_reason_detail=child.entry_reason_detail or None,
                placement_type=child.placement_type,
                placement_moves=child.placement_moves,
            ),
        )
        causes = families.breakdown_causes(content)
        for years_ago, months, broke_down, notes, planned, to, cause in child.earlier_returns:
            began = _years_ago(years_ago, today)
            families.add_return(
                session,
                actor=actor,
                family=family,
                child=record,
                content=content,
                details=families.ReturnDetails(
                    returned_on=began,
                    ended_on=began + timedelta(days=30 * months),
                    broke_down=broke_down,
                    notes=notes,
                    planned=planned,
                    returned_to=to,
                    # Versions before 1.3.0 have no list of causes.
                    breakdown_cause=cause if cause in causes else None,
                ),
            )
        for years_ago, months, legal_status, placements in child.earlier_care:
            began = _years_ago(years_ago, today)
            families.add_episode(
                session,
                actor=actor,
                family=family,
                content=content,
                child=record,
                details=families.EpisodeDetails(
                    started_on=began,
                    ended_on=began + timedelta(days=30 * months),
                    legal_status=legal_status,
                    placements=placements,
                ),
            )
    for name, relationship, responsibility, household in demo.adults:
        families.add_adult(
            session,
            actor=actor,
            family=family,
            details=families.AdultDetails(
                name=name,
                relationship=relationship,
                relationship_detail=None,
                parental_responsibility=responsibility,
                lives_in_household=household,
            ),
        )
    for kind, contact_name, role, organisation, contact_notes in demo.contacts:
        families.add_contact(
            session,
            actor=actor,
            family=family,
            details=families.ContactDetails(
                kind=kind,
                name=contact_name,
                role=role,
                organisation=organisation,
                contact_details=None,
                notes=contact_notes,
            ),
        )
    return family
