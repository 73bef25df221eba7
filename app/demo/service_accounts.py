"""A demo service account: the council's case management system, which reads the Riverside
team's families through the JSON API, with one token in use.

The token's secret is made at random and thrown away, never printed or stored: only its hash
is kept, as for every token. A demo database copied to a server, or a screenshot of the demo's
output, gives nobody a way in. To try the API, an administrator makes a token of their own on
the account's page, where it is shown once (docs/api.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session

from app.demo.common import DEMO_ACTOR
from app.models.accounts import Role, User
from app.services import accounts, api_tokens


@dataclass(frozen=True)
class DemoServiceAccount:
    name: str
    role: Role
    team: str
    # What its token is for, and how long it works (a lifetime the administrator's page offers).
    token_name: str
    lifetime: str


DEMO_SERVICE_ACCOUNT = DemoServiceAccount(
    name="Mosaic case management",
    # Reads its team's families; changes none, as none is allocated to it.
    role=Role.PRACTITIONER,
    team="Riverside Children's Team",
    token_name="Nightly copy of case records",
    lifetime="90",
)


def load_demo_service_accounts(session: Session) -> DemoServiceAccount:
    """Create the demo service account with one token in use, or put it back as listed (a new
    token only when it has none in use, so that loading twice adds nothing)."""
    listed = DEMO_SERVICE_ACCOUNT
    team = accounts.get_or_create_team(session, actor=DEMO_ACTOR, name=listed.team)
    details = api_tokens.AccountDetails(name=listed.name, role=listed.role.value, team_id=team.id)
    wanted = (listed.name, frozenset({listed.role}), team.id, True)
    account = _find(session, listed.name)
    if account is None:
        account = api_tokens.create_account(session, actor=DEMO_ACTOR, details=details)
    elif (account.name, account.roles, account.team_id, account.active) != wanted:
        api_tokens.update_account(
            session,
            actor=DEMO_ACTOR,
            account=account,
            details=details,
            expected_version=account.version,
        )
    in_use = any(
        api_tokens.state_of(token) is api_tokens.TokenState.ACTIVE
        for token in api_tokens.tokens_of(session, account)
    )
    if not in_use:
        # The secret is not kept: see the module's docstring.
        api_tokens.issue_token(
            session,
            actor=DEMO_ACTOR,
            account=account,
            name=listed.token_name,
            lifetime=listed.lifetime,
        )
    session.commit()
    return listed


def _find(session: Session, name: str) -> User | None:
    return next(
        (item for item in api_tokens.list_accounts(session) if item.name.lower() == name.lower()),
        None,
    )
