"""A family with something in every part of its record, for the summary tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlmodel import Session

from app.models.accounts import Role, User
from app.models.base import utcnow
from app.models.chronology import ChronologyEntry, ChronologyEntryChild, ChronologyEntryTheme
from app.models.family import Child, Family
from app.models.progress import GateDecision
from tests.factories import make_adult, make_child, make_family, make_return, make_team, make_user


def make_entry(
    session: Session,
    family: Family,
    author: User,
    *,
    what: str,
    occurred_on: date = date(2025, 6, 1),
    significance: str = "amber",
    themes: tuple[str, ...] = (),
    children: tuple[Child, ...] = (),
    third_party: bool = False,
    impact: str | None = None,
    precision: str = "day",
    created_days_ago: int = 0,
) -> ChronologyEntry:
    entry = ChronologyEntry(
        family_id=family.id,
        occurred_on=occurred_on,
        date_precision=precision,
        source_id="police",
        what_happened=what,
        impact_on_child=impact,
        significance=significance,
        third_party=third_party,
        author_id=author.id,
        created_at=utcnow() - timedelta(days=created_days_ago),
    )
    session.add(entry)
    session.flush()
    for theme in themes:
        session.add(ChronologyEntryTheme(entry_id=entry.id, theme_id=theme))
    for child in children:
        session.add(ChronologyEntryChild(entry_id=entry.id, child_id=child.id))
    session.flush()
    return entry


@dataclass
class Rich:
    family: Family
    practitioner: User
    colleague: User
    supervisor: User
    older: Child
    younger: Child


@pytest.fixture
def rich(db: Session) -> Rich:
    team = make_team(db)
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team, name="Priya Practitioner")
    colleague = make_user(db, roles=[Role.PRACTITIONER], team=team, name="Colin Colleague")
    supervisor = make_user(db, roles=[Role.SUPERVISOR], team=team, name="Sam Supervisor")
    family = make_family(
        db, team=team, allocated_to=practitioner, reference="SUM-0001", display_name="Okafor family"
    )
    older = make_child(db, family, name="Ada Okafor", born=date(2013, 2, 3))
    younger = make_child(db, family, name="Ben Okafor", born=date(2019, 7, 8))
    make_return(db, older, returned_on=date(2022, 3, 1), broke_down=True)
    make_adult(db, family, name="Grace Okafor")
    make_entry(
        db,
        family,
        practitioner,
        what="Police called to a fight at home; Ada hid in her room.",
        occurred_on=date(2025, 9, 14),
        significance="red",
        themes=("domestic-abuse-incident",),
        children=(older,),
        impact="Ada frightened and missed school the next day.",
        created_days_ago=60,
    )
    make_entry(
        db,
        family,
        practitioner,
        what="Neighbour reported shouting late at night.",
        occurred_on=date(2025, 10, 2),
        significance="amber",
        themes=("domestic-abuse-incident",),
        third_party=True,
        created_days_ago=60,
    )
    make_entry(
        db,
        family,
        practitioner,
        what="Contact went well; Ben asked to stay longer.",
        occurred_on=date(2025, 11, 20),
        significance="green",
        themes=("good-contact",),
        children=(younger,),
        created_days_ago=60,
    )
    db.add(
        GateDecision(
            family_id=family.id,
            gate_id="decision-work-towards-return",
            option_id="extend-assessment",
            rationale="More time to test the safety plan.",
            decided_by_id=supervisor.id,
            decided_at=utcnow() - timedelta(days=30),
            framework_version=family.framework_version,
        )
    )
    db.flush()
    return Rich(family, practitioner, colleague, supervisor, older, younger)
