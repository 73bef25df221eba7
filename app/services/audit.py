"""The audit trail: who did what to which record, when, from where. Append-only."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, insert
from sqlmodel import Session, col, select

from app.content.snapshot import parse_answer_key
from app.db import keep_on_failure, reads_first
from app.models.accounts import Role, Team, User
from app.models.audit import AuditAction, AuditEvent
from app.models.family import Family
from app.security.permissions import can_see_family
from app.services.paging import clamp_page, page_count
from app.timeutil import start_of_london_day

if TYPE_CHECKING:
    from app.content.registry import ContentRegistry


@dataclass(frozen=True)
class Actor:
    """The person behind a request, and where the request came from."""

    user: User | None
    request_id: str = ""
    client_address: str = ""
    path: str = ""

    @property
    def user_id(self) -> uuid.UUID | None:
        return self.user.id if self.user else None


_INSERT = insert(AuditEvent)


def record(
    session: Session,
    actor: Actor,
    action: AuditAction,
    *,
    entity_type: str = "",
    entity_id: object = "",
    family_id: uuid.UUID | None = None,
    details: Mapping[str, Any] | None = None,
    user_id: uuid.UUID | None = None,
    keep: bool = False,
) -> AuditEvent:
    """Add an entry to the session; it is committed with the change it records. With `keep`
    (a refusal, a read) it is written even if the rest of the request fails."""
    values: dict[str, Any] = {
        "user_id": user_id or actor.user_id,
        "action": action.value,
        "entity_type": entity_type,
        "entity_id": str(entity_id or ""),
        "family_id": family_id,
        "request_id": actor.request_id[:64],
        "client_address": actor.client_address[:64],
        "path": actor.path[:300],
        "details": _json_safe(dict(details or {})),
    }
    event = AuditEvent(**values)
    if reads_first(session):
        # A GET on SQLite: written after its reads, in a transaction of its own (app.db).
        keep_on_failure(session, AuditEvent, **values)
        return event
    if keep:
        keep_on_failure(session, AuditEvent, **values)
        # Written now, in the request's own transaction: a savepoint rolled back later in the
        # request (a conflict shown on the page) must not take it with it. A plain INSERT: no
        # object for the session to track (every family page records its read here), half the
        # time of adding one and flushing.
        session.execute(_INSERT, [{**values, "at": event.at}])
        return event
    session.add(event)
    return event


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that differ, each with its value before and after."""
    return {
        field: {"before": _json_safe(before.get(field)), "after": _json_safe(after.get(field))}
        for field in sorted(set(before) | set(after))
        if before.get(field) != after.get(field)
    }


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_json_safe(item) for item in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


@dataclass(frozen=True)
class AuditFilter:
    user_id: uuid.UUID | None = None
    action: AuditAction | None = None
    family_id: uuid.UUID | None = None
    entity_type: str = ""
    on_or_after: date | None = None
    on_or_before: date | None = None


@dataclass(frozen=True)
class AuditRow:
    """An entry as one viewer may see it: the details of a change to a family's record only
    for people who may see that family (administrators see who, what, which and when)."""

    event: AuditEvent
    user: User | None
    details: Mapping[str, Any]
    # The fields whose values are hidden from this viewer.
    hidden: Sequence[str] = ()
    # The family's reference, for an entry about a family's record.
    family_reference: str | None = None
    # Which record, in words (a form's or factor's name), when the record has one.
    which: str | None = None

    @property
    def record(self) -> str:
        return record_words(self.event.entity_type)


@dataclass(frozen=True)
class AuditPage:
    events: Sequence[AuditRow]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.page_size)


# Kinds of record in words a social worker or an administrator uses; others read as stored
# with spaces ("chronology_entry" is "Chronology entry").
RECORD_WORDS = {
    "assessment_section": "Assessment form",
    "section_progress": "Task status",
    "section_revision": "Signed-off version of a form",
    "factor_evidence": "Evidence for a factor",
    "gate_decision": "Decision",
    "gate_proposal": "Proposed decision",
    "api_token": "Access key for another system",
    "service_account": "Account for another system",
    "content_version": "Framework version",
    "content_draft": "Framework draft",
    "content_file": "Framework file",
    "content_impact": "Effect of a framework change",
    "child_return": "Return home",
    "earlier_return": "Earlier return home",
    "monitoring_visit": "Visit after the return",
    "child_outcome": "Child's outcome",
    "care_reentry": "Return to care",
    "contact": "Network or professional contact",
    "user": "Account",
}
_UUID = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$", re.I)
_CODE = re.compile(r"^[a-z]+(_[a-z]+)+$")


def record_words(entity_type: str) -> str:
    return RECORD_WORDS.get(entity_type, entity_type.replace("_", " ").capitalize())


def entity_type_for(words: str) -> str:
    """The stored kind of record for what a person typed: the words the trail shows ("Return
    home") or the stored name ("child_return")."""
    typed = " ".join(words.lower().replace("_", " ").replace("-", " ").split())
    for stored, shown in RECORD_WORDS.items():
        if typed == shown.lower():
            return stored
    return typed.replace(" ", "_")[:40]


def content_words(registry: ContentRegistry) -> dict[str, str]:
    """Every content id (form, question, domain, factor) of every version, with its words, for
    reading entries that name them by id."""
    words: dict[str, str] = {}
    for framework_id in registry.frameworks():
        for version in registry.versions(framework_id):
            content = registry.get(framework_id, version)
            for question_id, info in content.questions.items():
                words.setdefault(question_id, info.question.label)
            for domain in content.domains:
                words.setdefault(domain.id, domain.title)
                for factor in (*domain.risk_factors, *domain.protective_factors):
                    words.setdefault(factor.id, factor.text)
            words.update(content.section_titles)
    return words


def search(
    session: Session,
    *,
    filters: AuditFilter,
    viewer: User,
    page: int = 1,
    page_size: int = 50,
    words: Mapping[str, str] | None = None,
) -> AuditPage:
    """Entries matching the filter, newest first, one page at a time, as `viewer` may see
    them."""
    conditions = []
    if filters.user_id:
        conditions.append(col(AuditEvent.user_id) == filters.user_id)
    if filters.action:
        conditions.append(col(AuditEvent.action) == filters.action.value)
    if filters.family_id:
        conditions.append(col(AuditEvent.family_id) == filters.family_id)
    if filters.entity_type:
        conditions.append(col(AuditEvent.entity_type) == filters.entity_type)
    if filters.on_or_after:
        conditions.append(col(AuditEvent.at) >= start_of_london_day(filters.on_or_after))
    if filters.on_or_before:
        conditions.append(
            col(AuditEvent.at) < start_of_london_day(filters.on_or_before, days_after=1)
        )
    total = session.exec(select(func.count()).select_from(AuditEvent).where(*conditions)).one()
    page = clamp_page(page, total=total, page_size=page_size)
    rows = session.exec(
        select(AuditEvent, User)
        .join(User, col(User.id) == col(AuditEvent.user_id), isouter=True)
        .where(*conditions)
        .order_by(col(AuditEvent.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    family_ids = {event.family_id for event, _ in rows if event.family_id}
    families = (
        session.exec(select(Family).where(col(Family.id).in_(family_ids))).all()
        if family_ids
        else []
    )
    visible = {family.id for family in families if can_see_family(viewer, family)}
    references = {family.id: family.reference for family in families}
    team_names = _team_names(session, [event for event, _ in rows])
    return AuditPage(
        events=[
            _as_seen(event, user, visible, references, team_names, words or {})
            for event, user in rows
        ],
        total=total,
        page=page,
        page_size=page_size,
    )


def find_family(session: Session, text: str) -> Family | None:
    """The family with this reference (any case) or id, deleted families included: their
    history stays in the trail."""
    clean = text.strip()
    try:
        return session.get(Family, uuid.UUID(clean))
    except ValueError:
        return session.exec(
            select(Family).where(col(Family.reference_key) == clean.upper())
        ).first()


def _team_names(session: Session, events: Sequence[AuditEvent]) -> dict[str, str]:
    """The names of the teams the entries' details mention by id."""
    ids: set[uuid.UUID] = set()
    for event in events:
        change = (event.details or {}).get("team_id")
        values = (
            [change.get("before"), change.get("after")] if isinstance(change, dict) else [change]
        )
        for value in values:
            try:
                ids.add(uuid.UUID(str(value)))
            except ValueError:
                continue
    if not ids:
        return {}
    return {
        str(team_id): name
        for team_id, name in session.exec(
            select(col(Team.id), col(Team.name)).where(col(Team.id).in_(ids))
        ).all()
    }


def _readable(
    details: Mapping[str, Any], team_names: Mapping[str, str], words: Mapping[str, str]
) -> dict[str, Any]:
    """Details as people read them: teams by name and roles by label, not ids and codes;
    "casework granted: yes" rather than "casework_granted: True"; questions, forms and factors
    by their words ("changed: Why is a return home being considered now?"), statuses as
    "In progress"; record ids left out."""

    def team(value: Any) -> str:
        return "No team" if value is None else team_names.get(str(value), "A team since removed")

    def roles(value: Any) -> str:
        labels = {role.value: role.label for role in Role}
        return ", ".join(labels.get(role, str(role)) for role in value or []) or "None"

    def word(value: Any) -> Any:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if not isinstance(value, str):
            return value
        if value in words:
            return words[value]
        parsed = parse_answer_key(value) if "." in value or "[" in value else None
        if parsed and parsed[1] in words:
            return words[parsed[1]]
        factor = value.split(".")
        if len(factor) == 3 and factor[0] == "f" and factor[1] in words:
            return words[factor[1]]
        if _UUID.match(value):
            return None
        if _CODE.match(value):
            return value.replace("_", " ").capitalize()
        return value

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            inner = {key.replace("_", " "): word(item) for key, item in value.items()}
            return {key: item for key, item in inner.items() if item is not None}
        if isinstance(value, list | tuple):
            said = [word(item) for item in value]
            return list(dict.fromkeys(item for item in said if item is not None))
        return word(value)

    named = {"team_id": ("team", team), "roles": ("roles", roles)}
    shown: dict[str, Any] = {}
    for key, value in details.items():
        label, name = named.get(key, (key.removesuffix("_id").replace("_", " "), plain))
        if isinstance(value, dict) and "before" in value:
            before, after = name(value.get("before")), name(value.get("after"))
            if before is None and after is None and key not in named:
                continue
            shown[label] = {"before": before, "after": after}
        else:
            said = name(value)
            if said is None or said == []:
                continue
            shown[label] = said
    return shown


def _as_seen(
    event: AuditEvent,
    user: User | None,
    visible: set[uuid.UUID],
    references: Mapping[uuid.UUID, str],
    team_names: Mapping[str, str],
    words: Mapping[str, str],
) -> AuditRow:
    reference = references.get(event.family_id) if event.family_id else None
    which = words.get(event.entity_id or "")
    if event.family_id is None or event.family_id in visible or not event.details:
        return AuditRow(
            event=event,
            user=user,
            details=_readable(event.details or {}, team_names, words),
            family_reference=reference,
            which=which,
        )
    return AuditRow(
        event=event,
        user=user,
        details={},
        hidden=sorted(key.removesuffix("_id").replace("_", " ") for key in event.details),
        family_reference=reference,
        which=which,
    )


def record_reading(session: Session, actor: Actor, filters: AuditFilter, *, page: int) -> None:
    """Reading the audit trail is itself audited, with what was looked for."""
    record(
        session,
        actor,
        AuditAction.VIEW,
        entity_type="audit_trail",
        family_id=filters.family_id,
        details={
            "filters": {
                key: value
                for key, value in {
                    "person": filters.user_id,
                    "action": filters.action,
                    "family": filters.family_id,
                    "kind of record": filters.entity_type,
                    "from": filters.on_or_after,
                    "to": filters.on_or_before,
                }.items()
                if value
            },
            "page": page,
        },
    )
