"""Family records: the family, its children (with earlier returns home), its adults, its
network and the professionals involved. Validation here serves pages and the API alike."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import bindparam, func, or_
from sqlmodel import Session, SQLModel, col, select

from app.content.model import FrameworkContent
from app.content.registry import ContentRegistry
from app.db import read_once
from app.models.accounts import Role, User, UserRole
from app.models.audit import AuditAction
from app.models.chronology import ChronologyEntry
from app.models.family import Adult, CareEpisode, Child, EarlierReturn, Family, FamilyContact
from app.services import audit, people, progress
from app.services.errors import Forbidden, InvalidInput, NotFound
from app.services.paging import clamp_page, page_count
from app.services.records import (
    LIKE_ESCAPE,
    Problems,
    contains_pattern,
    save_changes,
    soft_delete,
)
from app.timeutil import format_date, london_today

Created = TypeVar("Created", bound=SQLModel)
NAME_MAX = 120
LONG_TEXT_MAX = 2000

GENDERS = {
    "girl": "Girl",
    "boy": "Boy",
    "non-binary": "Non-binary",
    "other": "They describe their gender another way",
    "not-known": "Not known",
}
PLACEMENT_TYPES = {
    "foster-care": "Foster care with unrelated carers",
    "kinship-care": "Foster care with family or friends (kinship)",
    "residential": "Children's home (residential care)",
    "placed-with-parents": "Placed with parents",
    "supported-accommodation": "Supported accommodation",
    "secure": "Secure accommodation",
    "other": "Another kind of placement",
}
RELATIONSHIPS = {
    "mother": "Mother",
    "father": "Father",
    "step-parent": "Stepparent",
    "partner-of-parent": "Partner of a parent",
    "grandparent": "Grandparent",
    "other-relative": "Another relative",
    "other-carer": "Another carer",
}
CONTACT_KINDS = {"network": "family network", "professional": "professional"}


def content_for(registry: ContentRegistry, family: Family) -> FrameworkContent:
    """The content version the family's work follows."""
    return registry.get(family.framework_id, family.framework_version)


def vocabulary(content: FrameworkContent, name: str) -> dict[str, str]:
    return {term.id: term.label for term in content.terms(name)}  # type: ignore[arg-type]


# Families ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyDetails:
    reference: str
    display_name: str
    allocated_practitioner_id: uuid.UUID | None


def team_practitioners(session: Session, team_id: uuid.UUID | None) -> Sequence[User]:
    """Active practitioners of a team, by name: whom a family can be allocated to."""
    if team_id is None:
        return []
    return session.exec(
        select(User)
        .where(
            col(User.team_id) == team_id,
            col(User.active).is_(True),
            col(User.id).in_(
                select(UserRole.user_id).where(col(UserRole.role) == Role.PRACTITIONER.value)
            ),
        )
        .order_by(func.lower(col(User.name)))
    ).all()


def _check_family(
    session: Session,
    details: FamilyDetails,
    *,
    team_id: uuid.UUID,
    family_id: uuid.UUID | None,
) -> dict[str, Any]:
    problems = Problems()
    reference = problems.text(
        "reference", details.reference, label="the family's reference", max_length=40
    )
    name = problems.text(
        "display_name",
        details.display_name,
        label="a name for the family",
        max_length=NAME_MAX,
        missing="Enter a name for the family, for example ‘Harper family’",
    )
    if reference:
        clash = session.exec(
            select(Family.id).where(col(Family.reference_key) == reference.upper())
        ).first()
        if clash is not None and clash != family_id:
            problems.add("reference", "Another family already has this reference")
    if details.allocated_practitioner_id is not None:
        allowed = {user.id for user in team_practitioners(session, team_id)}
        if details.allocated_practitioner_id not in allowed:
            problems.add(
                "allocated_practitioner_id", "Select a practitioner from the family's team"
            )
    problems.raise_if_any()
    return {
        "reference": reference,
        "reference_key": (reference or "").upper(),
        "display_name": name,
        "allocated_practitioner_id": details.allocated_practitioner_id,
    }


def create_family(
    session: Session,
    *,
    actor: audit.Actor,
    registry: ContentRegistry,
    framework_id: str,
    details: FamilyDetails,
) -> Family:
    """Start work with a family in the actor's team, following the newest version of one of
    the frameworks offered (those with a version that is not retired)."""
    user = actor.user
    if user is None or user.team_id is None:
        raise Forbidden("You need to belong to a team to start work with a family.")
    unknown = {}
    if framework_id not in registry.offered():
        unknown["framework_id"] = "Choose which framework the family's work will follow"
    if not details.display_name.strip():
        # Named after its first child once one is added (add_child); its reference till then.
        details = replace(details, display_name=details.reference)
    try:
        values = _check_family(session, details, team_id=user.team_id, family_id=None)
    except InvalidInput as problem:
        raise InvalidInput({**problem.errors, **unknown}) from None
    if unknown:
        raise InvalidInput(unknown)
    content = registry.latest(framework_id)
    family = Family(
        **values,
        team_id=user.team_id,
        created_by_id=user.id,
        framework_id=content.id,
        framework_version=content.version,
        content_hash=content.content_hash,
        work_started_on=london_today(),
    )
    session.add(family)
    session.flush()
    progress.refresh_family(session, family, content)
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="family",
        entity_id=family.id,
        family_id=family.id,
        details=audit.changes({}, {**values, "framework": f"{content.id} {content.version}"}),
    )
    return family


def update_family(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    details: FamilyDetails,
    expected_version: int,
) -> Family:
    values = _check_family(session, details, team_id=family.team_id, family_id=family.id)
    return save_changes(
        session,
        actor=actor,
        record=family,
        values=values,
        expected_version=expected_version,
        entity_type="family",
        family_id=family.id,
    )


def delete_family(
    session: Session, *, actor: audit.Actor, family: Family, reason: str, expected_version: int
) -> None:
    soft_delete(
        session,
        actor=actor,
        record=family,
        reason=reason,
        expected_version=expected_version,
        entity_type="family",
        family_id=family.id,
    )


# Caseload ------------------------------------------------------------------------------------

CASELOAD_SORTS = {
    "name": (func.lower(col(Family.display_name)),),
    "reference": (col(Family.reference_key),),
    # Families with no review scheduled (still assessing, or closed) after those with one.
    "review": (
        col(Family.next_review_due).is_(None),
        col(Family.next_review_due),
        func.lower(col(Family.display_name)),
    ),
    "updated": (col(Family.updated_at).desc(),),
}


@dataclass(frozen=True)
class CaseloadQuery:
    scope: str = "mine"  # "mine" | "team" | "sign-off"
    search: str = ""
    stage: str = ""
    flag: str = ""  # "" | "overdue" | "sign-off"
    practitioner_id: uuid.UUID | None = None
    sort: str = "review"
    page: int = 1
    page_size: int = 25


@dataclass(frozen=True)
class CaseloadRow:
    family: Family
    practitioner_name: str | None
    children: int


@dataclass(frozen=True)
class CaseloadPage:
    rows: Sequence[CaseloadRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.page_size)


def caseload(session: Session, *, user: User, query: CaseloadQuery) -> CaseloadPage:
    """A page of the families the user may see, filtered, searched and sorted in SQL."""
    if user.team_id is None:
        return CaseloadPage(rows=[], total=0, page=1, page_size=query.page_size)
    conditions: list[Any] = [
        col(Family.team_id) == user.team_id,
        col(Family.deleted_at).is_(None),
    ]
    if query.scope == "mine":
        conditions.append(col(Family.allocated_practitioner_id) == user.id)
    if query.scope == "sign-off" or query.flag == "sign-off":
        conditions.append(col(Family.awaiting_sign_off).is_(True))
    if query.flag == "overdue":
        conditions.append(col(Family.next_review_due) < london_today())
    if query.stage:
        conditions.append(col(Family.current_stage_id) == query.stage)
    if query.practitioner_id:
        conditions.append(col(Family.allocated_practitioner_id) == query.practitioner_id)
    if query.search.strip():
        pattern = contains_pattern(query.search)
        child_match = select(Child.family_id).where(
            func.lower(col(Child.name)).like(pattern, escape=LIKE_ESCAPE),
            col(Child.deleted_at).is_(None),
        )
        conditions.append(
            or_(
                func.lower(col(Family.display_name)).like(pattern, escape=LIKE_ESCAPE),
                func.lower(col(Family.reference)).like(pattern, escape=LIKE_ESCAPE),
                col(Family.id).in_(child_match),
            )
        )
    total = session.exec(select(func.count()).select_from(Family).where(*conditions)).one()
    children = (
        select(func.count())
        .select_from(Child)
        .where(col(Child.family_id) == col(Family.id), col(Child.deleted_at).is_(None))
        .scalar_subquery()
    )
    page = clamp_page(query.page, total=total, page_size=query.page_size)
    rows = session.exec(
        select(Family, User.name, children)
        .join(User, col(User.id) == col(Family.allocated_practitioner_id), isouter=True)
        .where(*conditions)
        .order_by(*CASELOAD_SORTS.get(query.sort, CASELOAD_SORTS["review"]), col(Family.id))
        .offset((page - 1) * query.page_size)
        .limit(query.page_size)
    ).all()
    return CaseloadPage(
        rows=[CaseloadRow(family, name, count) for family, name, count in rows],
        total=total,
        page=page,
        page_size=query.page_size,
    )


# Children ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChildDetails:
    name: str
    date_of_birth: date | None
    gender: str
    ethnicity: str | None
    legal_status: str
    legal_status_detail: str | None
    date_entered_care: date | None
    entry_reason: str
    entry_reason_detail: str | None
    placement_type: str
    placement_moves: int | None


def _check_child(content: FrameworkContent, details: ChildDetails) -> dict[str, Any]:
    problems = Problems()
    values: dict[str, Any] = {
        "name": problems.text(
            "name", details.name, label="the child's full name", max_length=NAME_MAX
        ),
        "gender": problems.choice(
            "gender", details.gender, GENDERS, missing="Select the child's gender"
        ),
        "ethnicity": problems.text(
            "ethnicity", details.ethnicity, label="ethnicity", max_length=120, required=False
        ),
        "legal_status": problems.choice(
            "legal_status",
            details.legal_status,
            vocabulary(content, "legal_statuses"),
            missing="Select the child's legal status",
        ),
        "legal_status_detail": problems.text(
            "legal_status_detail",
            details.legal_status_detail,
            label="the legal status",
            max_length=200,
            required=details.legal_status == "other",
            missing="Enter the child's legal status",
        ),
        "entry_reason": problems.choice(
            "entry_reason",
            details.entry_reason,
            vocabulary(content, "entry_reasons"),
            missing="Select the main reason the child came into care",
        ),
        "entry_reason_detail": problems.text(
            "entry_reason_detail",
            details.entry_reason_detail,
            label="more about why the child came into care",
            max_length=LONG_TEXT_MAX,
            required=False,
        ),
        "placement_type": problems.choice(
            "placement_type",
            details.placement_type,
            PLACEMENT_TYPES,
            missing="Select where the child lives now",
        ),
    }
    born = details.date_of_birth
    if born is None:
        problems.add("date_of_birth", "Enter the child's date of birth")
    problems.past_date("date_of_birth", born, label="date of birth")
    entered = details.date_entered_care
    if entered is None:
        problems.add("date_entered_care", "Enter the date the child came into care")
    problems.past_date("date_entered_care", entered, label="the date the child came into care")
    if born and entered and entered < born:
        problems.add(
            "date_entered_care",
            "The date the child came into care must be the same as or after their date of birth",
        )
    moves = details.placement_moves
    if moves is None:
        problems.add("placement_moves", "Enter the number of placement moves, or 0 if none")
    elif not 0 <= moves <= 200:
        problems.add("placement_moves", "Placement moves must be a whole number from 0 to 200")
    problems.raise_if_any()
    return {
        **values,
        "date_of_birth": born,
        "date_entered_care": entered,
        "placement_moves": moves,
    }


def children(session: Session, family: Family, *, include_deleted: bool = False) -> Sequence[Child]:
    """Youngest last; read once per transaction (a family's pages list them in several parts)."""
    return _people_of_family(session, Child, family, include_deleted)


def get_child(session: Session, family: Family, child_id: uuid.UUID) -> Child:
    child = session.get(Child, child_id)
    if child is None or child.family_id != family.id or child.deleted_at is not None:
        raise NotFound("There is no child at this address in this family.")
    return child


def add_child(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    details: ChildDetails,
) -> Child:
    values = _check_child(content, details)
    unnamed = family.display_name == family.reference and not children(session, family)
    child = Child(family_id=family.id, **values)
    child = _create(session, actor=actor, record=child, entity_type="child", family=family)
    surname = child.name.split()[-1] if len(child.name.split()) > 1 else ""
    if unnamed and surname:
        # A family started without a name takes its first child's surname: typed once.
        save_changes(
            session,
            actor=actor,
            record=family,
            values={"display_name": f"{surname} family"},
            expected_version=family.version,
            entity_type="family",
            family_id=family.id,
        )
    return child


def update_child(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    child: Child,
    details: ChildDetails,
    expected_version: int,
) -> Child:
    return save_changes(
        session,
        actor=actor,
        record=child,
        values=_check_child(content, details),
        expected_version=expected_version,
        entity_type="child",
        family_id=family.id,
    )


# Earlier returns home ------------------------------------------------------------------------


PLANNED = {
    "planned": "Planned",
    "unplanned": "Unplanned",
    "not-known": "Not known",
}


@dataclass(frozen=True)
class ReturnDetails:
    returned_on: date | None
    ended_on: date | None
    broke_down: bool | None
    notes: str | None
    planned: str | None = None
    returned_to: str | None = None
    breakdown_cause: str | None = None


def breakdown_causes(content: FrameworkContent | None) -> dict[str, str]:
    """The causes of breakdown the content offers (none before content 1.3.0)."""
    if content is None:
        return {}
    return {term.id: term.label for term in content.vocabulary.breakdown_causes}


def _check_return(
    child: Child, details: ReturnDetails, content: FrameworkContent | None
) -> dict[str, Any]:
    problems = Problems()
    notes = problems.text(
        "notes", details.notes, label="notes", max_length=LONG_TEXT_MAX, required=False
    )
    returned_to = problems.text(
        "returned_to",
        details.returned_to,
        label="whom the child went home to",
        max_length=200,
        required=False,
    )
    planned = problems.choice(
        "planned",
        details.planned,
        PLANNED,
        missing="Select whether the return was planned, unplanned or not known",
    )
    if details.returned_on is None:
        problems.add("returned_on", "Enter the date the child went home")
    problems.past_date("returned_on", details.returned_on, label="the date the child went home")
    problems.past_date("ended_on", details.ended_on, label="the date the return ended")
    if details.returned_on and details.returned_on < child.date_of_birth:
        problems.add("returned_on", "The date the child went home must be after their birth")
    if details.returned_on and details.ended_on and details.ended_on < details.returned_on:
        problems.add("ended_on", "The date the return ended must be the same as or after it began")
    causes = breakdown_causes(content)
    cause = None
    if details.broke_down is None:
        problems.add("broke_down", "Select whether the return broke down")
    elif details.broke_down:
        if details.ended_on is None:
            problems.add("ended_on", "Enter the date the return broke down")
        if causes:
            cause = problems.choice(
                "breakdown_cause",
                details.breakdown_cause,
                causes,
                missing="Select the main reason the return broke down, or ‘Not known’",
            )
    if details.breakdown_cause and not (details.broke_down and causes):
        problems.add(
            "breakdown_cause",
            "Leave the reason for the breakdown empty: this return did not break down"
            if causes
            else "This family's framework version has no list of reasons for a breakdown: "
            "say what happened in the notes",
        )
    problems.raise_if_any()
    return {
        "returned_on": details.returned_on,
        "ended_on": details.ended_on,
        "broke_down": details.broke_down,
        "notes": notes,
        "planned": planned,
        "returned_to": returned_to,
        "breakdown_cause": cause,
    }


def _of_children(model: type[EarlierReturn] | type[CareEpisode], on: Any) -> Any:
    """The children's records of one kind (not deleted), oldest first."""
    return (
        select(model)
        .where(
            col(model.child_id).in_(bindparam("child_ids", expanding=True)),
            col(model.deleted_at).is_(None),
        )
        .order_by(col(on))
    )


# Built once: the chronology page and the summary list them.
_EARLIER_RETURNS = _of_children(EarlierReturn, EarlierReturn.returned_on)
_CARE_EPISODES = _of_children(CareEpisode, CareEpisode.started_on)


def earlier_returns(session: Session, child_ids: Sequence[uuid.UUID]) -> list[EarlierReturn]:
    """The children's earlier returns home, oldest first; read once per transaction (a summary
    shows them and gives them to the rules)."""
    if not child_ids:
        return []
    key = ("earlier_returns", frozenset(child_ids))
    return list(
        read_once(
            session,
            key,
            ["earlier_return"],
            lambda: session.scalars(_EARLIER_RETURNS, {"child_ids": list(child_ids)}).all(),
        )
    )


def get_return(session: Session, child: Child, return_id: uuid.UUID) -> EarlierReturn:
    record = session.get(EarlierReturn, return_id)
    if record is None or record.child_id != child.id or record.deleted_at is not None:
        raise NotFound("There is no earlier return at this address.")
    return record


def add_return(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    child: Child,
    details: ReturnDetails,
    content: FrameworkContent | None = None,
) -> EarlierReturn:
    """Record an earlier return home; `content` (the family's version) offers the causes of
    breakdown to choose from."""
    record = EarlierReturn(child_id=child.id, **_check_return(child, details, content))
    return _create(session, actor=actor, record=record, entity_type="earlier_return", family=family)


def update_return(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    child: Child,
    record: EarlierReturn,
    details: ReturnDetails,
    expected_version: int,
    content: FrameworkContent | None = None,
) -> EarlierReturn:
    return save_changes(
        session,
        actor=actor,
        record=record,
        values=_check_return(child, details, content),
        expected_version=expected_version,
        entity_type="earlier_return",
        family_id=family.id,
    )


# Earlier times in care ------------------------------------------------------------------------


@dataclass(frozen=True)
class EpisodeDetails:
    started_on: date | None
    ended_on: date | None
    legal_status: str | None
    placements: int | None
    notes: str | None = None


def _check_episode(
    session: Session,
    content: FrameworkContent,
    child: Child,
    details: EpisodeDetails,
    episode_id: uuid.UUID | None,
) -> dict[str, Any]:
    problems = Problems()
    notes = problems.text(
        "notes", details.notes, label="notes", max_length=LONG_TEXT_MAX, required=False
    )
    legal_status = problems.choice(
        "legal_status",
        details.legal_status,
        vocabulary(content, "legal_statuses"),
        missing="Select the child's legal status during this time in care",
    )
    start, end = details.started_on, details.ended_on
    if start is None:
        problems.add("started_on", "Enter the date the child came into care this time")
    if end is None:
        problems.add("ended_on", "Enter the date this time in care ended")
    problems.past_date("started_on", start, label="the date the child came into care")
    if start and start < child.date_of_birth:
        problems.add("started_on", "The date the child came into care must be after their birth")
    if start and end and end < start:
        problems.add("ended_on", "The date this time in care ended must be on or after it began")
    if end and end > child.date_entered_care:
        problems.add(
            "ended_on",
            "An earlier time in care must end before the present one began "
            f"({format_date(child.date_entered_care)})",
        )
    if details.placements is None:
        problems.add("placements", "Enter how many placements the child had, like 2")
    elif not 1 <= details.placements <= 100:
        problems.add("placements", "The number of placements must be between 1 and 100")
    if start and end and not problems.errors:
        for other in care_episodes(session, [child.id]):
            if other.id != episode_id and other.started_on <= end and start <= other.ended_on:
                problems.add(
                    "started_on",
                    "This overlaps another time in care, from "
                    f"{format_date(other.started_on)} to {format_date(other.ended_on)}",
                )
    problems.raise_if_any()
    return {
        "started_on": start,
        "ended_on": end,
        "legal_status": legal_status,
        "placements": details.placements,
        "notes": notes,
    }


def care_episodes(session: Session, child_ids: Sequence[uuid.UUID]) -> Sequence[CareEpisode]:
    """The children's earlier times in care, oldest first."""
    if not child_ids:
        return []
    return session.scalars(_CARE_EPISODES, {"child_ids": list(child_ids)}).all()


def get_episode(session: Session, child: Child, episode_id: uuid.UUID) -> CareEpisode:
    record = session.get(CareEpisode, episode_id)
    if record is None or record.child_id != child.id or record.deleted_at is not None:
        raise NotFound("There is no earlier time in care at this address.")
    return record


def add_episode(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    child: Child,
    details: EpisodeDetails,
) -> CareEpisode:
    record = CareEpisode(
        child_id=child.id, **_check_episode(session, content, child, details, None)
    )
    return _create(session, actor=actor, record=record, entity_type="care_episode", family=family)


def update_episode(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    child: Child,
    record: CareEpisode,
    details: EpisodeDetails,
    expected_version: int,
) -> CareEpisode:
    return save_changes(
        session,
        actor=actor,
        record=record,
        values=_check_episode(session, content, child, details, record.id),
        expected_version=expected_version,
        entity_type="care_episode",
        family_id=family.id,
    )


# Adults --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdultDetails:
    name: str
    relationship: str
    relationship_detail: str | None
    parental_responsibility: bool | None
    lives_in_household: bool | None
    # Role toward each child, by child id as text, over those recorded (see _check_roles).
    child_roles: Mapping[str, str] | None = None


def role_field(child_id: uuid.UUID | str) -> str:
    """The form field (and error key) of an adult's role toward one child."""
    return f"role-{child_id}"


def _check_roles(
    problems: Problems,
    details: AdultDetails,
    kids: Sequence[Child],
    recorded: Mapping[str, str],
) -> dict[str, str]:
    """The adult's role toward each child: those given over those recorded; a child with
    neither (added since) takes the role the relationship and household suggest. An empty
    role is a problem."""
    known = {str(child.id): child for child in kids}
    given = dict(details.child_roles or {})
    for child_id in given:
        if child_id not in known:
            problems.add(role_field(child_id), "Choose roles only for this family's children")
    chosen = {**recorded, **given}
    roles: dict[str, str] = {}
    for child_id, child in known.items():
        role = chosen.get(child_id)
        if role is None and details.relationship:
            role = people.default_role(details.relationship, bool(details.lives_in_household))
        if role not in people.ROLES:
            problems.add(role_field(child_id), f"Select their role in {child.name}'s life")
            continue
        if role == "household-carer" and details.lives_in_household is False:
            problems.add(
                role_field(child_id),
                f"They do not live in the household, so choose another role in "
                f"{child.name}'s life, or say that they live in the household",
            )
        roles[child_id] = role
    return roles


def _check_adult(
    details: AdultDetails, kids: Sequence[Child], recorded: Mapping[str, str]
) -> dict[str, Any]:
    problems = Problems()
    values: dict[str, Any] = {
        "name": problems.text("name", details.name, label="their full name", max_length=NAME_MAX),
        "relationship": problems.choice(
            "relationship",
            details.relationship,
            RELATIONSHIPS,
            missing="Select their relationship to the children",
        ),
        "relationship_detail": problems.text(
            "relationship_detail",
            details.relationship_detail,
            label="the relationship",
            max_length=120,
            required=details.relationship in {"other-relative", "other-carer"},
            missing="Enter their relationship to the children",
        ),
    }
    if details.parental_responsibility is None:
        problems.add("parental_responsibility", "Select whether they have parental responsibility")
    if details.lives_in_household is None:
        problems.add("lives_in_household", "Select whether they live in the household")
    roles = _check_roles(problems, details, kids, recorded)
    problems.raise_if_any()
    return {
        **values,
        "parental_responsibility": details.parental_responsibility,
        "lives_in_household": details.lives_in_household,
        "child_roles": roles,
    }


def adults(session: Session, family: Family, *, include_deleted: bool = False) -> Sequence[Adult]:
    """In the order they were added; read once per transaction, as `children`."""
    return _people_of_family(session, Adult, family, include_deleted)


Person = TypeVar("Person", Child, Adult)
# The order a family's pages list its people in: children youngest last, adults as added.
_ORDER: dict[type[SQLModel], tuple[Any, ...]] = {
    Child: (col(Child.date_of_birth), col(Child.name)),
    Adult: (col(Adult.created_at), col(Adult.name)),
}


@functools.cache
def _people_statement(model: type[Person], include_deleted: bool) -> Any:
    """Built once for each kind: every family page lists its people."""
    query = select(model).where(col(model.family_id) == bindparam("family_id"))
    if not include_deleted:
        query = query.where(col(model.deleted_at).is_(None))
    return query.order_by(*_ORDER[model])


def _people_of_family(
    session: Session, model: type[Person], family: Family, include_deleted: bool
) -> Sequence[Person]:
    """The family's children or adults, in their order, read once per transaction."""
    table = str(model.__tablename__)
    return read_once(
        session,
        (table, family.id, include_deleted),
        [table],
        lambda: tuple(
            session.scalars(
                _people_statement(model, include_deleted), {"family_id": family.id}
            ).all()
        ),
    )


def people_by_family(
    session: Session, model: type[Person], families: Sequence[Family]
) -> dict[uuid.UUID, list[Person]]:
    """Each family's children or adults (deleted ones left out), in their order: one family's
    through the read its pages share, many families' (reports) in one statement."""
    if len(families) == 1:
        return {families[0].id: list(_people_of_family(session, model, families[0], False))}
    rows = session.exec(
        select(model)
        .where(
            col(model.family_id).in_([family.id for family in families]),
            col(model.deleted_at).is_(None),
        )
        .order_by(*_ORDER[model])
    ).all()
    found: dict[uuid.UUID, list[Person]] = {}
    for person in rows:
        found.setdefault(person.family_id, []).append(person)
    return found


def get_adult(session: Session, family: Family, adult_id: uuid.UUID) -> Adult:
    adult = session.get(Adult, adult_id)
    if adult is None or adult.family_id != family.id or adult.deleted_at is not None:
        raise NotFound("There is no parent or carer at this address in this family.")
    return adult


def add_adult(
    session: Session, *, actor: audit.Actor, family: Family, details: AdultDetails
) -> Adult:
    adult = Adult(family_id=family.id, **_check_adult(details, children(session, family), {}))
    return _create(session, actor=actor, record=adult, entity_type="adult", family=family)


def update_adult(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    adult: Adult,
    details: AdultDetails,
    expected_version: int,
) -> Adult:
    return save_changes(
        session,
        actor=actor,
        record=adult,
        values=_check_adult(details, children(session, family), adult.child_roles),
        expected_version=expected_version,
        entity_type="adult",
        family_id=family.id,
    )


# Network and professionals -------------------------------------------------------------------


@dataclass(frozen=True)
class ContactDetails:
    kind: str
    name: str
    role: str
    organisation: str | None
    contact_details: str | None
    notes: str | None


def _check_contact(details: ContactDetails) -> dict[str, Any]:
    problems = Problems()
    professional = details.kind == "professional"
    values = {
        "name": problems.text("name", details.name, label="their name", max_length=NAME_MAX),
        "role": problems.text(
            "role",
            details.role,
            label="their role" if professional else "their relationship to the family",
            max_length=120,
        ),
        "organisation": problems.text(
            "organisation",
            details.organisation,
            label="the organisation",
            max_length=120,
            required=professional,
            missing="Enter the organisation they work for",
        ),
        "contact_details": problems.text(
            "contact_details",
            details.contact_details,
            label="contact details",
            max_length=300,
            required=False,
        ),
        "notes": problems.text(
            "notes", details.notes, label="notes", max_length=LONG_TEXT_MAX, required=False
        ),
    }
    problems.raise_if_any()
    return values


def contacts(session: Session, family: Family, kind: str) -> Sequence[FamilyContact]:
    return session.exec(
        select(FamilyContact)
        .where(
            col(FamilyContact.family_id) == family.id,
            col(FamilyContact.kind) == kind,
            col(FamilyContact.deleted_at).is_(None),
        )
        .order_by(col(FamilyContact.created_at))
    ).all()


def get_contact(session: Session, family: Family, contact_id: uuid.UUID) -> FamilyContact:
    contact = session.get(FamilyContact, contact_id)
    if contact is None or contact.family_id != family.id or contact.deleted_at is not None:
        raise NotFound("There is no contact at this address in this family.")
    return contact


def add_contact(
    session: Session, *, actor: audit.Actor, family: Family, details: ContactDetails
) -> FamilyContact:
    if details.kind not in CONTACT_KINDS:
        raise NotFound("There is no such list of contacts.")
    contact = FamilyContact(family_id=family.id, kind=details.kind, **_check_contact(details))
    return _create(session, actor=actor, record=contact, entity_type="contact", family=family)


def update_contact(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    contact: FamilyContact,
    details: ContactDetails,
    expected_version: int,
) -> FamilyContact:
    return save_changes(
        session,
        actor=actor,
        record=contact,
        values=_check_contact(details),
        expected_version=expected_version,
        entity_type="contact",
        family_id=family.id,
    )


# Shared --------------------------------------------------------------------------------------


def _create(
    session: Session, *, actor: audit.Actor, record: Created, entity_type: str, family: Family
) -> Created:
    session.add(record)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type=entity_type,
        entity_id=record.id,  # type: ignore[attr-defined]
        family_id=family.id,
        details=audit.changes({}, record.model_dump(exclude={"id", "created_at", "updated_at"})),
    )
    return record


def delete_record(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    record: Any,
    entity_type: str,
    reason: str,
    expected_version: int,
) -> None:
    soft_delete(
        session,
        actor=actor,
        record=record,
        reason=reason,
        expected_version=expected_version,
        entity_type=entity_type,
        family_id=family.id,
    )


def deleted_records(session: Session, family: Family) -> list[tuple[str, Any]]:
    """Soft-deleted children, adults, contacts and chronology entries of a family, for
    supervisors to see."""
    found: list[tuple[str, Any]] = []
    kinds: tuple[tuple[str, Any], ...] = (
        ("Child", Child),
        ("Parent or carer", Adult),
        ("Contact", FamilyContact),
        ("Chronology entry", ChronologyEntry),
    )
    for label, model in kinds:
        rows = session.exec(
            select(model).where(
                col(model.family_id) == family.id, col(model.deleted_at).is_not(None)
            )
        ).all()
        found.extend((label, row) for row in rows)
    return sorted(found, key=lambda item: item[1].deleted_at)
