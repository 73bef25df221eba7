"""Service accounts, tokens and calls to the JSON API for tests, through the real services."""

from __future__ import annotations

from typing import Any

import httpx2 as httpx
from sqlmodel import Session

from app.models.accounts import Role, Team, User
from app.services import api_tokens
from app.services.audit import Actor
from tests.factories import make_user


def administrator(session: Session) -> User:
    return make_user(session, roles=[Role.ADMIN])


def service_account(
    session: Session,
    *,
    role: Role,
    team: Team | None,
    name: str | None = None,
    lifetime: str = "90",
    admin: User | None = None,
) -> tuple[User, str]:
    """A service account made as an administrator makes one, and a token for it."""
    actor = Actor(user=admin or administrator(session), request_id="test", path="/test")
    account = api_tokens.create_account(
        session,
        actor=actor,
        details=api_tokens.AccountDetails(
            name=name or f"{role.label} integration {id(actor)}",
            role=role.value,
            team_id=team.id if team else None,
        ),
    )
    _token, secret = api_tokens.issue_token(
        session, actor=actor, account=account, name="Tests", lifetime=lifetime
    )
    session.flush()
    return account, secret


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class Api:
    """Calls to the JSON API with one token; `check` asserts the status."""

    def __init__(self, client: Any, token: str) -> None:
        self.client = client
        self.token = token

    def call(self, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {**bearer(self.token), **kwargs.pop("headers", {})}
        if body is not None:
            kwargs["json"] = body
        return self.client.request(method, "/api/v1" + path, headers=headers, **kwargs)

    def check(self, method: str, path: str, body: Any = None, status: int = 200, **kw: Any) -> Any:
        response = self.call(method, path, body, **kw)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        return (
            response.json()
            if response.content and "json" in response.headers.get("content-type", "")
            else response
        )
