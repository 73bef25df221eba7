"""Previewing a draft exactly as a practitioner would see it: the family pages are drawn by the
app itself, for an invented family that follows the draft, inside a savepoint that is rolled
back afterwards, so nothing of the preview is ever kept.

The family, its people, a few chronology entries and answers are made through the same
services practitioners use, so every page (stages, domains, classification, summary) shows
the draft as it would be.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Connection
from sqlmodel import Session, col, select

from app.content.loader import LoadResult
from app.content.model import FrameworkContent
from app.content.registry import ContentRegistry
from app.content.schema import FactorsSection, QuestionsSection
from app.demo.assessment import fill_section
from app.models.accounts import Role, Team, User, UserRole
from app.models.chronology import ChronologyEntry
from app.models.family import Adult, Child, Family
from app.services import chronology, families
from app.services.audit import Actor
from app.services.errors import InvalidInput
from app.timeutil import london_today

PREVIEW_NAME = "Preview practitioner"
# Not a password hash, so the preview's practitioner can never sign in (it never outlives
# the preview anyway: the savepoint it lives in is rolled back).
NO_PASSWORD = "!preview"


@dataclass(frozen=True)
class Sandbox:
    """The invented family a preview is drawn on, in a session that is never committed."""

    session: Session
    family: Family
    user: User
    registry: ContentRegistry
    # The invented records' ids by a name that stays the same from one preview to the next
    # (`child-1`), so that a link to a child's page in one preview opens it in the next.
    aliases: dict[str, str]


def registry_for(content: FrameworkContent) -> ContentRegistry:
    """A registry holding only the draft, for the preview's family."""
    return ContentRegistry([LoadResult("preview", content, ())])


def open_sandbox(connection: Connection) -> Session:
    """A session on the request's connection whose commits only release savepoints: the
    caller rolls back the savepoint it opened around it."""
    return Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )


def build(session: Session, content: FrameworkContent) -> Sandbox:
    """An invented family following `content`: two children, two parents, a few chronology
    entries and the first stage's forms filled in, with some factors present."""
    key = uuid.uuid4().hex
    team = Team(name=f"Preview {key[:8]}", name_key=f"preview-{key}")
    session.add(team)
    session.flush()
    user = User(
        name=PREVIEW_NAME,
        email=f"preview-{key}@preview.invalid",
        email_key=f"preview-{key}@preview.invalid",
        team_id=team.id,
        password_hash=NO_PASSWORD,
    )
    user.role_rows = [UserRole(user_id=user.id, role=Role.PRACTITIONER.value)]
    session.add(user)
    session.flush()
    actor = Actor(user=user, request_id="preview", path="preview")
    registry = registry_for(content)
    family = families.create_family(
        session,
        actor=actor,
        registry=registry,
        framework_id=content.id,
        details=families.FamilyDetails("PREVIEW-1", "Example family (preview)", user.id),
    )
    today = london_today()
    children = [
        _child(session, actor, family, content, "Sam Example", today.replace(year=today.year - 12)),
        _child(session, actor, family, content, "Alex Example", today.replace(year=today.year - 7)),
    ]
    for name, relationship in (("Jordan Example", "mother"), ("Casey Example", "father")):
        families.add_adult(
            session,
            actor=actor,
            family=family,
            details=families.AdultDetails(
                name=name,
                relationship=relationship,
                relationship_detail=None,
                parental_responsibility=True,
                lives_in_household=relationship == "mother",
            ),
        )
    # The first stage's forms come first: the chronology waits for identification.
    _answers(session, actor, family, content)
    if not chronology.cannot_add(session, family, content):
        _entries(session, actor, family, content, [child.id for child in children], today)
    return Sandbox(session, family, user, registry, _aliases(session, family))


def _aliases(session: Session, family: Family) -> dict[str, str]:
    """Each record's alias by its order among the invented ones (names and dates differ)."""
    kinds = (
        ("child", Child.id, Child.family_id, Child.name),
        ("person", Adult.id, Adult.family_id, Adult.name),
        ("entry", ChronologyEntry.id, ChronologyEntry.family_id, ChronologyEntry.occurred_on),
    )
    aliases: dict[str, str] = {}
    for kind, record_id, family_id, order in kinds:
        rows = session.exec(
            select(record_id).where(col(family_id) == family.id).order_by(col(order))
        ).all()
        for number, found in enumerate(rows, start=1):
            aliases[str(found)] = f"{kind}-{number}"
    return aliases


def _child(
    session: Session,
    actor: Actor,
    family: Family,
    content: FrameworkContent,
    name: str,
    born: date,
) -> Child:
    vocabulary = content.vocabulary
    return families.add_child(
        session,
        actor=actor,
        family=family,
        content=content,
        details=families.ChildDetails(
            name=name,
            date_of_birth=born,
            gender="not-known",
            ethnicity=None,
            legal_status=vocabulary.legal_statuses[0].id,
            legal_status_detail="Recorded in the case file"
            if vocabulary.legal_statuses[0].id == "other"
            else None,
            date_entered_care=london_today() - timedelta(days=200),
            entry_reason=vocabulary.entry_reasons[0].id,
            entry_reason_detail=None,
            placement_type="foster-care",
            placement_moves=1,
        ),
    )


def _entries(
    session: Session,
    actor: Actor,
    family: Family,
    content: FrameworkContent,
    child_ids: list[uuid.UUID],
    today: date,
) -> None:
    themes = content.chronology.themes
    grades = content.chronology.significance
    sources = content.chronology.information_sources
    for number, theme in enumerate(themes[:4]):
        chronology.add_entry(
            session,
            actor=actor,
            family=family,
            content=content,
            details=chronology.EntryDetails(
                occurred_on=today - timedelta(days=60 * (number + 1)),
                date_precision="day",
                source_id=sources[number % len(sources)].id,
                what_happened=f"An invented event showing the theme ‘{theme.label}’.",
                significance=grades[number % len(grades)].id,
                theme_ids=(theme.id,),
                child_ids=tuple(child_ids[:1]),
            ),
        )


def _answers(session: Session, actor: Actor, family: Family, content: FrameworkContent) -> None:
    """The first stage's forms answered (and marked complete, so that every task after them
    opens), the first risk and protective factor of each domain recorded as present, so that
    the classification and summary have something to show."""
    present = {
        factor.id
        for domain in content.domains
        for factor in (domain.risk_factors[:1] + domain.protective_factors[:1])
    }
    for section in content.stages[0].sections:
        if not isinstance(section, QuestionsSection | FactorsSection):
            continue
        try:
            fill_section(
                session, actor, family, content, section.id, complete=True, present=present
            )
        except InvalidInput:
            # A section whose invented answers do not fit (a limit the draft sets, say) is
            # shown empty rather than stopping the preview.
            continue
