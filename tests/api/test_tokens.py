"""API tokens for service accounts, on SQLite and PostgreSQL: an administrator makes an account
and a token on the pages, the token is shown once and kept only as its hash, every call made
with it is audited under the account, and an expired, revoked or unknown token, a token of a
deactivated account or a role without the permission is refused (and the refusal audited)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, col, select

from app.models.accounts import Role, User
from app.models.audit import AuditAction, AuditEvent
from app.models.base import utcnow
from app.models.tokens import ApiToken
from app.services import api_tokens
from tests.factories import make_family, make_team, make_user, post_form, sign_in_as
from tests.support.api import Api, bearer, service_account
from tests.support.client import CheckingClient, soup


def _events(db: Session, action: AuditAction, user: User | None = None) -> list[AuditEvent]:
    query = select(AuditEvent).where(col(AuditEvent.action) == action.value)
    if user is not None:
        query = query.where(col(AuditEvent.user_id) == user.id)
    return list(db.exec(query).all())


def test_an_administrator_makes_a_token_that_is_shown_once_and_kept_hashed(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db, "Riverside")
    family = make_family(db, team=team)
    admin = make_user(db, roles=[Role.ADMIN])
    sign_in_as(client, db, admin)
    made = post_form(
        client,
        "/admin/service-accounts/new",
        {"name": "Mosaic link", "role": "supervisor", "team_id": str(team.id), "active": "yes"},
    )
    assert made.status_code == 303
    account_page = made.headers["location"]
    issued = post_form(
        client, f"{account_page}/tokens", {"token_name": "Nightly import", "lifetime": "30"}
    )
    assert issued.status_code == 200
    assert issued.headers["cache-control"] == "no-store"
    secret = soup(issued).select_one("#api-token").get_text(strip=True)
    assert re.fullmatch(r"hwt_[A-Za-z0-9_-]{40,}", secret)
    # The account's page lists the token by its first characters, never the whole of it.
    listing = client.get(account_page)
    assert secret[:10] in listing.text
    assert secret not in listing.text
    token = db.exec(select(ApiToken)).one()
    assert token.token_hash == api_tokens.digest(secret)
    assert secret not in {token.token_hash, token.prefix, token.name}
    assert token.expires_at is not None
    assert timedelta(days=29) < token.expires_at - utcnow() <= timedelta(days=30)

    # The token signs in as the account: no cookie, no CSRF token, for reads and writes.
    client.cookies.clear()
    api = Api(client, secret)
    assert len(api.check("GET", "/families")) == 1
    api.check("GET", f"/families/{family.id}")
    account = db.exec(select(User).where(col(User.name) == "Mosaic link")).one()
    assert account.service_account
    calls = _events(db, AuditAction.API_CALL, account)
    assert [event.details["method"] for event in calls] == ["GET", "GET"]
    viewed = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.family_id) == family.id, col(AuditEvent.user_id) == account.id
        )
    ).all()
    assert {event.action for event in viewed} == {AuditAction.VIEW.value}

    # Revoked on the account's page: the next call is refused, and the refusal audited.
    sign_in_as(client, db, admin)
    revoked = post_form(client, f"{account_page}/tokens/{token.id}/revoke")
    assert revoked.status_code == 303
    client.cookies.clear()
    refused = api.call("GET", f"/families/{family.id}")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert refused.json()["message"]
    denied = _events(db, AuditAction.ACCESS_DENIED, account)
    assert [event.details["reason"] for event in denied] == ["revoked API token"]


def test_expired_unknown_and_malformed_tokens_are_refused(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db)
    account, secret = service_account(db, role=Role.PRACTITIONER, team=team)
    token = db.exec(select(ApiToken).where(col(ApiToken.user_id) == account.id)).one()
    token.expires_at = utcnow() - timedelta(minutes=1)
    db.add(token)
    db.commit()
    assert Api(client, secret).call("GET", "/families").status_code == 401
    assert _events(db, AuditAction.ACCESS_DENIED, account)[0].details == {
        "reason": "expired API token"
    }
    for header in (
        "Bearer hwt_" + "x" * 43,
        "Bearer not-a-token",
        "Basic dXNlcjpwYXNz",
        "Bearer",
    ):
        response = client.get("/api/v1/families", headers={"Authorization": header})
        assert response.status_code == 401, header
        assert set(response.json()) == {"message"}
    assert _events(db, AuditAction.API_CALL) == []


def test_a_deactivated_account_and_a_role_without_the_permission_are_refused(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db)
    family = make_family(db, team=team)
    trainer_account, trainer = service_account(db, role=Role.TRAINER, team=None)
    supervisor_account, supervisor = service_account(db, role=Role.SUPERVISOR, team=team)
    db.commit()
    # A trainer's account reads the content, not families.
    assert Api(client, trainer).call("GET", "/content").status_code == 200
    refused = Api(client, trainer).call("GET", f"/families/{family.id}")
    assert refused.status_code == 403
    assert refused.json()["message"]
    denied = _events(db, AuditAction.ACCESS_DENIED, trainer_account)
    assert denied, "the refusal is audited under the service account"
    # A supervisor's account may not change a family only its practitioner changes.
    changed = Api(client, supervisor).call(
        "PATCH", f"/families/{family.id}", {"display_name": "Changed", "version": family.version}
    )
    assert changed.status_code == 403
    db.refresh(family)
    assert family.display_name != "Changed"
    # Deactivated, its tokens stop working at once.
    supervisor_account.active = False
    db.add(supervisor_account)
    db.commit()
    assert Api(client, supervisor).call("GET", "/families").status_code == 401


def test_a_browser_session_still_uses_the_api_and_a_token_is_not_a_page_sign_in(
    client: CheckingClient, db: Session
) -> None:
    team = make_team(db)
    practitioner = make_user(db, roles=[Role.PRACTITIONER], team=team)
    make_family(db, team=team, allocated_to=practitioner)
    _account, secret = service_account(db, role=Role.PRACTITIONER, team=team)
    db.commit()
    sign_in_as(client, db, practitioner)
    assert len(client.get("/api/v1/families").json()) == 1
    # A change from a browser session still needs its CSRF token.
    assert client.post("/api/v1/families", json={}).status_code == 403
    client.cookies.clear()
    # The token opens the API only: the pages ask it to sign in.
    page = client.get("/families", headers=bearer(secret))
    assert page.status_code in {302, 303}
    assert page.headers["location"].startswith("/sign-in")
