"""Build records for tests through the real models, and sign people in."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import httpx2 as httpx
from bs4 import BeautifulSoup
from sqlmodel import Session

from app.models.accounts import Role, Team, User, UserRole, UserSession
from app.models.base import utcnow
from app.models.family import Family
from app.security.passwords import hash_password
from app.services.sessions import hash_token
from tests.support.client import CheckingClient

DEFAULT_PASSWORD = "correct-horse-battery-staple"
_counter = itertools.count(1)
# Hashing is deliberately slow; tests share one hash of the default password.
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


def make_family(
    session: Session,
    *,
    team: Team,
    allocated_to: User | None = None,
    reference: str | None = None,
    display_name: str | None = None,
) -> Family:
    number = next(_counter)
    family = Family(
        reference=reference or f"FAM-{number:05d}",
        display_name=display_name or f"Family {number}",
        team_id=team.id,
        allocated_practitioner_id=allocated_to.id if allocated_to else None,
    )
    session.add(family)
    session.flush()
    return family


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


def csrf_token(client: CheckingClient) -> str:
    """The CSRF token the app gives this client's pages (read from the layout's hx-headers)."""
    page = BeautifulSoup(client.get("/accessibility").text, "html.parser")
    assert page.body is not None
    return str(json.loads(str(page.body["hx-headers"]))["X-CSRF-Token"])


def post_form(
    client: CheckingClient, url: str, data: dict[str, Any] | None = None, **kwargs: Any
) -> httpx.Response:
    """POST a form the way a browser would, with the page's CSRF token."""
    return client.post(url, data={"csrf_token": csrf_token(client), **(data or {})}, **kwargs)
