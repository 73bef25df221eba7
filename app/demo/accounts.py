"""Demo teams and people, one or more for each role."""

from __future__ import annotations

from dataclasses import dataclass

import pyotp
from sqlmodel import Session

from app.demo.common import DEMO_ACTOR
from app.models.accounts import Role, User
from app.models.base import utcnow
from app.security.passwords import hash_password
from app.security.secretbox import seal
from app.services import accounts, two_factor


@dataclass(frozen=True)
class DemoAccount:
    name: str
    email: str
    password: str
    roles: frozenset[Role]
    team: str | None
    # An authenticator app key, for an account that signs in with a one-time code too.
    two_factor_key: str | None = None


DEMO_ACCOUNTS = [
    DemoAccount(
        "Priya Shah",
        "priya.shah@homeward.test",
        "practitioner-meadow-lantern",
        frozenset({Role.PRACTITIONER}),
        "Riverside Children's Team",
    ),
    DemoAccount(
        "Tom Baker",
        "tom.baker@homeward.test",
        "practitioner-harbour-thistle",
        frozenset({Role.PRACTITIONER}),
        "Riverside Children's Team",
    ),
    DemoAccount(
        "Grace Okafor",
        "grace.okafor@homeward.test",
        "supervisor-copper-heron",
        frozenset({Role.SUPERVISOR}),
        "Riverside Children's Team",
    ),
    DemoAccount(
        "Daniel Evans",
        "daniel.evans@homeward.test",
        "practitioner-juniper-falcon",
        frozenset({Role.PRACTITIONER}),
        "Hillside Children's Team",
    ),
    DemoAccount(
        "Helen Clarke",
        "helen.clarke@homeward.test",
        "supervisor-saffron-kestrel",
        frozenset({Role.SUPERVISOR}),
        "Hillside Children's Team",
    ),
    DemoAccount(
        "Sam Lewis",
        "sam.lewis@homeward.test",
        "supervisor-walnut-harbour",
        frozenset({Role.SUPERVISOR}),
        "Hillside Children's Team",
        two_factor_key="HOMEWARDDEMOTWOFACTORKEY",
    ),
    DemoAccount(
        "Tariq Hussain",
        "tariq.hussain@homeward.test",
        "trainer-orchid-glacier",
        frozenset({Role.TRAINER}),
        None,
    ),
    DemoAccount(
        "Alex Morgan",
        "alex.morgan@homeward.test",
        "admin-pebble-lagoon",
        frozenset({Role.ADMIN}),
        None,
    ),
    DemoAccount(
        "Nadia Ahmed",
        "nadia.ahmed@homeward.test",
        "manager-quartz-meadow",
        frozenset({Role.MANAGER}),
        None,
    ),
]


def load_demo_accounts(session: Session, *, secret_key: str) -> list[DemoAccount]:
    """Create the demo teams and users, or put them back as listed (passwords and two-factor
    keys included)."""
    for account in DEMO_ACCOUNTS:
        team = (
            accounts.get_or_create_team(session, actor=DEMO_ACTOR, name=account.team)
            if account.team
            else None
        )
        details = accounts.UserDetails(
            name=account.name,
            email=account.email,
            team_id=team.id if team else None,
            roles=account.roles,
        )
        existing = accounts.find_user_by_email(session, account.email)
        if existing is None:
            user, _ = accounts.create_user(
                session, actor=DEMO_ACTOR, details=details, password=account.password
            )
            if account.two_factor_key:
                _set_up_two_factor(session, user, account.two_factor_key, secret_key)
            continue
        accounts.update_user(
            session,
            actor=DEMO_ACTOR,
            user_id=existing.id,
            details=details,
            expected_version=existing.version,
        )
        existing.password_hash = hash_password(account.password)
        existing.must_change_password = False
        existing.updated_at = utcnow()
        session.add(existing)
    session.commit()
    return DEMO_ACCOUNTS


def _set_up_two_factor(session: Session, user: User, key: str, secret_key: str) -> None:
    """Set up an authenticator app with a known key, the way a person would (the set-up page
    makes a random one; the demo prints this one to add to an app by hand)."""
    user.totp_pending_secret = seal(secret_key, key)
    two_factor.confirm_set_up(
        session,
        actor=DEMO_ACTOR,
        user=user,
        code=pyotp.TOTP(key).now(),
        secret_key=secret_key,
    )
