"""Build records for tests through the real models, and sign people in."""

from __future__ import annotations

import itertools
import json
import uuid
import weakref
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import httpx2 as httpx
import lxml.html
from sqlmodel import Session

from app.config import PLACEHOLDER_SECRET_KEY, PROJECT_ROOT
from app.content.registry import load_registry
from app.models.accounts import Role, SignInAttempt, Team, User, UserRole, UserSession
from app.models.assessment import FactorEvidence
from app.models.base import utcnow
from app.models.chronology import (
    ChronologyEntry,
    ChronologyEntryChild,
    ChronologyEntryTheme,
    ChronologyImport,
)
from app.models.family import Adult, CareEpisode, Child, EarlierReturn, Family, FamilyContact
from app.models.journey import ChildReturn
from app.models.progress import SectionProgress, SectionStatus
from app.security.passwords import hash_password, use_test_parameters
from app.security.secretbox import keyed_digest
from app.services.chronology import prerequisite_forms
from app.services.progress import refresh_family
from app.services.sessions import hash_token
from app.timeutil import london_today
from tests.support.client import CheckingClient

DEFAULT_PASSWORD = "correct-horse-battery-staple"
CONTENT = load_registry(PROJECT_ROOT / "framework_content")
_counter = itertools.count(1)
# Hashing is deliberately slow: the test environment's parameters, as the apps the tests start
# use, and one hash of the default password shared by the tests.
use_test_parameters()
_DEFAULT_HASH = hash_password(DEFAULT_PASSWORD)


def make_team(session: Session, name: str | None = None) -> Team:
    name = name or f"Team {next(_counter)}"
    team = Team(name=name, name_key=name.lower())
    session.add(team)
    session.flush()
    return team


def make_user(
    session: Session,
    *,
    roles: Iterable[Role] = (Role.PRACTITIONER,),
    team: Team | None = None,
    name: str | None = None,
    email: str | None = None,
    password: str | None = None,
    active: bool = True,
    must_change_password: bool = False,
) -> User:
    number = next(_counter)
    email = email or f"person{number}@council.test"
    user = User(
        name=name or f"Person {number}",
        email=email,
        email_key=email.lower(),
        team_id=team.id if team else None,
        password_hash=hash_password(password) if password else _DEFAULT_HASH,
        active=active,
        must_change_password=must_change_password,
    )
    user.role_rows = [UserRole(user_id=user.id, role=role.value) for role in roles]
    session.add(user)
    session.flush()
    return user


def account_digest(email: str) -> str:
    """What sign-in attempts keep for a typed email address, under the tests' secret key."""
    return keyed_digest(PLACEHOLDER_SECRET_KEY, email.strip().lower())


def failed_attempt(email: str, client_address: str = "", **values: Any) -> SignInAttempt:
    return SignInAttempt(
        account_digest=account_digest(email),
        client_address=client_address,
        succeeded=False,
        **values,
    )


def make_family(
    session: Session,
    *,
    team: Team,
    allocated_to: User | None = None,
    reference: str | None = None,
    display_name: str | None = None,
    identified: bool = False,
) -> Family:
    """A family on the newest content; `identified` completes what its chronology waits for
    (identification), so that entries can be added."""
    number = next(_counter)
    content = CONTENT.latest("reunification")
    reference = reference or f"FAM-{number:05d}"
    family = Family(
        reference=reference,
        reference_key=reference.upper(),
        display_name=display_name or f"Family {number}",
        team_id=team.id,
        allocated_practitioner_id=allocated_to.id if allocated_to else None,
        framework_id=content.id,
        framework_version=content.version,
        content_hash=content.content_hash,
        work_started_on=london_today(),
    )
    session.add(family)
    session.flush()
    if identified:
        mark_identified(session, family)
    refresh_family(session, family, content)
    session.flush()
    return family


def mark_identified(session: Session, family: Family) -> None:
    """Record what the chronology and the assessment's forms wait for (identification) as
    complete, without its answers, so that tests can go on from there."""
    for section_id in prerequisite_forms(
        CONTENT.get(family.framework_id, family.framework_version)
    ):
        session.add(
            SectionProgress(
                family_id=family.id,
                section_id=section_id,
                cycle=0,
                status=SectionStatus.COMPLETED.value,
            )
        )
    session.flush()


def start_session(session: Session, user: User, *, idle_for: timedelta = timedelta(0)) -> str:
    """A live session for `user`, made directly (signing in itself is tested on its own)."""
    token = uuid.uuid4().hex + uuid.uuid4().hex
    now = utcnow()
    session.add(
        UserSession(
            id=hash_token(token),
            user_id=user.id,
            created_at=now - idle_for,
            last_seen_at=now - idle_for,
            expires_at=now + timedelta(hours=12),
        )
    )
    session.flush()
    return token


def sign_in_as(client: CheckingClient, session: Session, user: User | None) -> CheckingClient:
    """Put a session cookie for `user` on the client (or none, for an anonymous visitor)."""
    client.cookies.clear()
    if user is not None:
        client.cookies.set("homeward_session", start_session(session, user))
    return client


# Tokens read from pages, by client and cookies: the app binds a token to the session (or the
# pre-sign-in cookie), so while the cookies are the same the page would give the same token.
_TOKENS: weakref.WeakKeyDictionary[CheckingClient, dict[tuple[tuple[str, str], ...], str]] = (
    weakref.WeakKeyDictionary()
)


def csrf_token(client: CheckingClient) -> str:
    """The CSRF token the app gives this client's pages (read from the layout's hx-headers)."""
    cookies = tuple(sorted((cookie.name, cookie.value or "") for cookie in client.cookies.jar))
    known = _TOKENS.setdefault(client, {})
    if cookies not in known:
        body = lxml.html.document_fromstring(client.get("/accessibility").text).body
        token = str(json.loads(body.get("hx-headers") or "{}")["X-CSRF-Token"])
        # The page may have set the pre-sign-in cookie the token is bound to.
        cookies = tuple(sorted((cookie.name, cookie.value or "") for cookie in client.cookies.jar))
        known[cookies] = token
    return known[cookies]


def post_form(
    client: CheckingClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any
) -> httpx.Response:
    """POST a form the way a browser would, with the page's CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)


def make_child(
    session: Session,
    family: Family,
    *,
    name: str | None = None,
    born: date = date(2014, 5, 1),
    entered_care: date = date(2025, 9, 1),
    legal_status: str = "interim-care-order",
    entry_reason: str = "neglect",
    placement_moves: int = 1,
) -> Child:
    child = Child(
        family_id=family.id,
        name=name or f"Child {next(_counter)}",
        date_of_birth=born,
        gender="girl",
        legal_status=legal_status,
        date_entered_care=entered_care,
        entry_reason=entry_reason,
        placement_type="foster-care",
        placement_moves=placement_moves,
    )
    session.add(child)
    session.flush()
    return child


def make_adult(session: Session, family: Family, *, name: str | None = None) -> Adult:
    adult = Adult(
        family_id=family.id,
        name=name or f"Parent {next(_counter)}",
        relationship="mother",
        parental_responsibility=True,
        lives_in_household=True,
    )
    session.add(adult)
    session.flush()
    return adult


def make_contact(session: Session, family: Family, *, kind: str = "professional") -> FamilyContact:
    contact = FamilyContact(
        family_id=family.id,
        kind=kind,
        name=f"Contact {next(_counter)}",
        role="Health visitor",
        organisation="Riverside Health",
    )
    session.add(contact)
    session.flush()
    return contact


def make_return(
    session: Session, child: Child, *, returned_on: date = date(2022, 3, 1), broke_down: bool = True
) -> EarlierReturn:
    record = EarlierReturn(
        child_id=child.id,
        returned_on=returned_on,
        ended_on=date(2022, 9, 1) if broke_down else None,
        broke_down=broke_down,
        planned="planned",
        breakdown_cause="not-known" if broke_down else None,
    )
    session.add(record)
    session.flush()
    return record


def make_child_return(
    session: Session, child: Child, *, returned_on: date = date(2025, 10, 1)
) -> ChildReturn:
    """A child going home during the plan, as a planned return to a parent (a row for the
    task state and the reports to count; the journey's own services are tested on their own)."""
    family = session.get(Family, child.family_id)
    assert family is not None
    record = ChildReturn(
        family_id=family.id,
        child_id=child.id,
        returned_on=returned_on,
        return_type="planned-gradual",
        planned=True,
        carer_name="A parent",
        carer_has_parental_responsibility=True,
        legal_status="care-order",
        monitor_until=returned_on + timedelta(days=365),
        content_version=family.framework_version,
    )
    session.add(record)
    session.flush()
    return record


def make_episode(
    session: Session,
    child: Child,
    *,
    started_on: date = date(2021, 1, 1),
    ended_on: date = date(2022, 3, 1),
) -> CareEpisode:
    record = CareEpisode(
        child_id=child.id, started_on=started_on, ended_on=ended_on, legal_status="s20"
    )
    session.add(record)
    session.flush()
    return record


def make_report_evidence(
    session: Session, family: Family, factor_id: str, *, description: str = "Attendance report"
) -> FactorEvidence:
    """A school's report backing a factor: evidence that is not a chronology entry."""
    record = FactorEvidence(
        family_id=family.id,
        factor_id=factor_id,
        kind="report",
        evidence_date=date(2026, 1, 5),
        source="School",
        description=description,
    )
    session.add(record)
    session.flush()
    return record


def make_entry(
    session: Session,
    family: Family,
    *,
    author: User,
    occurred_on: date = date(2024, 3, 27),
    precision: str = "day",
    source: str = "police",
    what: str = "Police called to the home after a neighbour heard shouting",
    significance: str = "red",
    themes: Iterable[str] = ("domestic-abuse-incident",),
    children: Iterable[Child] = (),
) -> ChronologyEntry:
    entry = ChronologyEntry(
        family_id=family.id,
        occurred_on=occurred_on,
        date_precision=precision,
        source_id=source,
        what_happened=what,
        significance=significance,
        author_id=author.id,
    )
    session.add(entry)
    session.flush()
    for theme in themes:
        session.add(ChronologyEntryTheme(entry_id=entry.id, theme_id=theme))
    for child in children:
        session.add(ChronologyEntryChild(entry_id=entry.id, child_id=child.id))
    session.flush()
    return entry


def make_import(session: Session, family: Family, *, uploader: User) -> ChronologyImport:
    """A pending chronology import of one good row, as if `uploader` had just uploaded it."""
    record = ChronologyImport(
        family_id=family.id,
        uploaded_by_id=uploader.id,
        filename="chronology.csv",
        csv_text="Date,Source,What happened,Significance\r\n03/04/2024,Police,Call-out,Red\r\n",
    )
    session.add(record)
    session.flush()
    return record
