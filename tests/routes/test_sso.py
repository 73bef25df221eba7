"""Signing in through the council's identity provider: a real OpenID Connect provider
(tests/oidc/provider.mjs) that the tests start, and Homeward spoken to over real HTTP.

Every way the sign-in can go wrong is refused with a GOV.UK page, recorded in the audit
trail, and leaves no session behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from app.db import get_session
from app.main import create_app
from app.models.accounts import Role, User, UserSession
from app.models.audit import AuditAction, AuditEvent
from app.services import sso
from tests.conftest import test_settings
from tests.factories import make_team, make_user, post_form
from tests.support.client import CheckingClient, soup
from tests.support.oidc import CLIENT_ID, IdentityProvider

APP_URL = "http://testserver"
ACCOUNTS = [
    {
        "sub": "sub-linda",
        "claims": {"email": "linda@council.test", "email_verified": True, "name": "Linda Lee"},
    },
    {
        "sub": "sub-nia",
        "claims": {"email": "nia@council.test", "email_verified": True, "name": "Nia Newcomer"},
    },
    {
        "sub": "sub-omar",
        "claims": {"email": "omar@council.test", "email_verified": False, "name": "Omar Osei"},
    },
    # Signed in with a second factor, as Okta and Entra ID's v1.0 tokens report it.
    {
        "sub": "sub-mia",
        "amr": ["pwd", "mfa"],
        "claims": {"email": "mia@council.test", "email_verified": True, "name": "Mia Two"},
    },
    # A one-time code at a provider that reports its strength as an acr (Keycloak's levels).
    {
        "sub": "sub-kim",
        "amr": ["otp", "pwd"],
        "acr": "gold",
        "claims": {"email": "kim@council.test", "email_verified": True, "name": "Kim Level"},
    },
    # As Entra ID sends it: the lasting id in oid, the sign-in name in preferred_username.
    {
        "sub": "pairwise-sub-ella",
        "claims": {
            "oid": "oid-ella",
            "preferred_username": "ella@council.test",
            "name": "Ella Entra",
        },
    },
    {
        "sub": "sub-gita",
        "claims": {
            "email": "gita@council.test",
            "name": "Gita Group",
            "groups": ["hw-supervisors", "hw-riverside"],
        },
    },
]


@pytest.fixture(scope="session")
def identity_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IdentityProvider]:
    provider = IdentityProvider(
        app_urls=[APP_URL],
        accounts=ACCOUNTS,
        log=tmp_path_factory.mktemp("oidc") / "provider.log",
    )
    yield provider
    provider.stop()


AppFactory = Callable[..., FastAPI]


@pytest.fixture(scope="session")
def make_app(
    identity_provider: IdentityProvider, database_url: str, data_dir: Path, engine: Engine
) -> AppFactory:
    """An app signing in through the test provider, with some settings changed."""

    def make(**overrides: object) -> FastAPI:
        settings = test_settings(
            database_url, data_dir, **identity_provider.settings(APP_URL, **overrides)
        )
        application = create_app(settings)
        application.state.engine = engine
        return application

    return make


@contextmanager
def client_for(application: FastAPI, db: Session) -> Iterator[CheckingClient]:
    application.dependency_overrides[get_session] = lambda: (yield db)
    with CheckingClient(application, base_url=APP_URL) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def sso_app(make_app: AppFactory) -> FastAPI:
    return make_app()


@pytest.fixture
def client(sso_app: FastAPI, db: Session) -> Iterator[CheckingClient]:
    with client_for(sso_app, db) as test_client:
        yield test_client


def start(client: CheckingClient, next_path: str = "") -> str:
    """Press "Sign in with ..."; returns the provider's address Homeward sends the person to."""
    response = client.get(
        "/sign-in/provider" + (f"?{urlencode({'next': next_path})}" if next_path else "")
    )
    assert response.status_code == 303, response.text
    return str(response.headers["location"])


def come_back(client: CheckingClient, address: str):  # type: ignore[no-untyped-def]
    assert address.startswith(f"{APP_URL}/sign-in/provider/callback?"), address
    return client.get(address.removeprefix(APP_URL))


def sign_in(client: CheckingClient, provider: IdentityProvider, login: str, next_path: str = ""):  # type: ignore[no-untyped-def]
    return come_back(client, provider.sign_in(start(client, next_path), login))


def sessions_of(db: Session, user: User) -> int:
    return db.exec(
        select(func.count()).select_from(UserSession).where(col(UserSession.user_id) == user.id)
    ).one()


def failures(db: Session) -> list[dict[str, object]]:
    rows = db.exec(
        select(AuditEvent)
        .where(col(AuditEvent.action) == AuditAction.SIGN_IN_FAILED.value)
        .order_by(col(AuditEvent.id))
    ).all()
    return [row.details for row in rows]


def assert_refused(response, db: Session, reason: str, *, status: int = 400) -> None:  # type: ignore[no-untyped-def]
    """A GOV.UK page saying so, no session cookie, and the reason in the audit trail."""
    assert response.status_code == status, response.text
    page = soup(response)
    assert page.h1.get_text(strip=True) == "You have not been signed in"
    assert page.select_one("#problem").get_text(strip=True)
    assert not any(
        header.startswith("homeward_session=") and 'homeward_session=""' not in header
        for header in response.headers.get_list("set-cookie")
    )
    last = failures(db)[-1]
    assert last["method"] == "identity provider"
    assert reason in str(last["reason"]), last


def test_sign_in_through_the_provider_links_the_account_then_matches_the_subject(
    client: CheckingClient, db: Session, identity_provider: IdentityProvider
) -> None:
    team = make_team(db)
    user = make_user(db, email="Linda@Council.test", name="Linda Lee", team=team)
    address = start(client, "/families")
    query = parse_qs(urlsplit(address).query)
    assert address.startswith(identity_provider.issuer)
    # Authorization code flow with PKCE, state and nonce, and the configured scopes.
    assert query["response_type"] == ["code"]
    assert query["client_id"] == [CLIENT_ID]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert len(query["state"][0]) >= 32
    assert len(query["nonce"][0]) >= 32
    assert query["scope"] == ["openid email profile groups"]
    response = come_back(client, identity_provider.sign_in(address, "sub-linda"))
    assert response.status_code == 303
    assert response.headers["location"] == "/families"
    assert client.get("/home").status_code == 200
    db.refresh(user)
    assert user.sso_subject == "sub-linda"
    record = db.exec(select(UserSession).where(col(UserSession.user_id) == user.id)).one()
    assert record.method == "identity provider"
    assert record.id_token
    linked = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.entity_id) == str(user.id), col(AuditEvent.action) == "update"
        )
    ).one()
    assert linked.details == {"identity_provider": "linked at first sign-in"}
    # Once linked, the subject is what counts: a changed email address changes nothing.
    user.email, user.email_key = "linda.lee@elsewhere.test", "linda.lee@elsewhere.test"
    db.add(user)
    db.flush()
    client.cookies.clear()
    assert sign_in(client, identity_provider, "sub-linda").status_code == 303
    assert sessions_of(db, user) == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"claims": {"iss": "http://127.0.0.1:9/not-the-issuer"}}, "iss"),
        ({"claims": {"aud": "another-service"}}, "aud"),
        ({"claims": {"nonce": "a-nonce-from-another-sign-in"}}, "nonce"),
        ({"foreign_key": True}, "signature"),
        (
            {"claims": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200}},
            "expired",
        ),
    ],
    ids=["wrong issuer", "wrong audience", "wrong nonce", "wrong signature", "expired"],
)
def test_a_bad_id_token_is_refused(
    client: CheckingClient,
    db: Session,
    identity_provider: IdentityProvider,
    change: dict[str, object],
    reason: str,
) -> None:
    user = make_user(db, email="linda@council.test")
    address = identity_provider.sign_in(start(client), "sub-linda")
    identity_provider.tamper_next_id_token(**change)  # type: ignore[arg-type]
    assert_refused(come_back(client, address), db, reason)
    assert sessions_of(db, user) == 0
    db.refresh(user)
    assert user.sso_subject is None


def test_a_state_that_does_not_match_is_refused(
    client: CheckingClient, db: Session, identity_provider: IdentityProvider
) -> None:
    user = make_user(db, email="linda@council.test")
    address = identity_provider.sign_in(start(client), "sub-linda")
    forged = address.replace("state=", "state=forged")
    assert_refused(come_back(client, forged), db, "state")
    assert sessions_of(db, user) == 0


def test_a_return_without_a_sign_in_started_in_this_browser_is_refused(
    client: CheckingClient, db: Session, identity_provider: IdentityProvider, sso_app: FastAPI
) -> None:
    """Someone else's return address (a login forced on a victim) finds no sign-in here."""
    make_user(db, email="linda@council.test")
    address = identity_provider.sign_in(start(client), "sub-linda")
    with client_for(sso_app, db) as victim:
        assert_refused(come_back(victim, address), db, "no sign-in in progress")


def test_a_replayed_code_is_refused(
    client: CheckingClient, db: Session, identity_provider: IdentityProvider
) -> None:
    user = make_user(db, email="linda@council.test")
    address = identity_provider.sign_in(start(client), "sub-linda")
    assert come_back(client, address).status_code == 303
    # The same return again: the half-done sign-in it belonged to is used up.
    assert_refused(come_back(client, address), db, "no sign-in in progress")
    # The code with a fresh sign-in's state: the provider itself refuses a code used before.
    fresh = parse_qs(urlsplit(start(client)).query)["state"][0]
    code = parse_qs(urlsplit(address).query)["code"][0]
    replay = f"{APP_URL}/sign-in/provider/callback?{urlencode({'code': code, 'state': fresh})}"
    assert_refused(come_back(client, replay), db, "refused the code")
    assert sessions_of(db, user) == 1


def test_the_providers_own_refusal_is_explained(client: CheckingClient, db: Session) -> None:
    state = parse_qs(urlsplit(start(client)).query)["state"][0]
    params = urlencode({"error": "access_denied", "state": state})
    answer = f"{APP_URL}/sign-in/provider/callback?{params}"
    assert_refused(come_back(client, answer), db, "access_denied")


def test_an_unknown_person_is_refused_by_default(
    client: CheckingClient, db: Session, identity_provider: IdentityProvider
) -> None:
    response = sign_in(client, identity_provider, "sub-nia")
    assert_refused(response, db, "no Homeward account", status=403)
    assert "Ask your Homeward administrator to add you" in response.text
    assert db.exec(select(User).where(col(User.email_key) == "nia@council.test")).first() is None


def test_an_unknown_person_gets_an_account_with_no_role_where_the_setting_says_so(
    make_app: AppFactory, db: Session, identity_provider: IdentityProvider
) -> None:
    with client_for(make_app(oidc_unknown_users="create"), db) as client:
        assert sign_in(client, identity_provider, "sub-nia").status_code == 303
        home = client.get("/home")
    assert "Your account has no tasks in Homeward yet" in home.text
    user = db.exec(select(User).where(col(User.email_key) == "nia@council.test")).one()
    assert (user.name, user.sso_subject, user.roles, user.password_hash) == (
        "Nia Newcomer",
        "sub-nia",
        frozenset(),
        "",
    )


def test_an_email_address_the_provider_has_not_checked_does_not_open_an_account(
    client: CheckingClient, db: Session, identity_provider: IdentityProvider
) -> None:
    user = make_user(db, email="omar@council.test")
    assert_refused(
        sign_in(client, identity_provider, "sub-omar"), db, "linked to someone", status=403
    )
    db.refresh(user)
    assert user.sso_subject is None


def test_an_account_linked_to_someone_else_is_not_taken_over(
    client: CheckingClient, db: Session, identity_provider: IdentityProvider
) -> None:
    user = make_user(db, email="linda@council.test")
    user.sso_subject = "someone-else-at-the-provider"
    db.add(user)
    db.flush()
    assert_refused(
        sign_in(client, identity_provider, "sub-linda"), db, "linked to someone", status=403
    )
    assert sessions_of(db, user) == 0


def test_a_deactivated_account_is_refused(
    client: CheckingClient, db: Session, identity_provider: IdentityProvider
) -> None:
    user = make_user(db, email="linda@council.test", active=False)
    assert_refused(sign_in(client, identity_provider, "sub-linda"), db, "deactivated", status=403)
    assert sessions_of(db, user) == 0


def test_a_provider_that_is_down_is_explained(make_app: AppFactory, db: Session) -> None:
    with client_for(make_app(oidc_issuer="http://127.0.0.1:9"), db) as client:
        response = client.get("/sign-in/provider")
    assert_refused(response, db, "unreachable", status=503)
    assert "could not reach the test identity provider" in response.text


def test_a_discovery_document_for_another_issuer_is_refused(
    make_app: AppFactory, db: Session, identity_provider: IdentityProvider
) -> None:
    """The provider answers at the configured address but names another issuer in its
    discovery document (here: localhost for 127.0.0.1): nothing it says is trusted."""
    issuer = identity_provider.issuer.replace("127.0.0.1", "localhost")
    with client_for(make_app(oidc_issuer=issuer), db) as client:
        response = client.get("/sign-in/provider")
    assert_refused(response, db, "discovery names issuer", status=503)


def test_the_claims_that_identify_the_person_are_settings(
    make_app: AppFactory, db: Session, identity_provider: IdentityProvider
) -> None:
    user = make_user(db, email="ella@council.test")
    application = make_app(oidc_subject_claim="oid", oidc_email_claim="preferred_username")
    with client_for(application, db) as client:
        assert sign_in(client, identity_provider, "pairwise-sub-ella").status_code == 303
    db.refresh(user)
    assert user.sso_subject == "oid-ella"
    # The default subject claim (sub) with the same person: a different id, so no account.
    with client_for(make_app(oidc_email_claim="preferred_username"), db) as client:
        response = sign_in(client, identity_provider, "pairwise-sub-ella")
    assert_refused(response, db, "linked to someone else", status=403)


def test_roles_and_team_come_from_the_group_claim_where_configured(
    make_app: AppFactory, db: Session, identity_provider: IdentityProvider
) -> None:
    application = make_app(
        oidc_unknown_users="create",
        oidc_groups_claim="groups",
        oidc_role_groups={"supervisor": ["hw-supervisors"], "practitioner": ["hw-practitioners"]},
        oidc_team_groups={"hw-riverside": "Riverside Provider Team"},
    )
    with client_for(application, db) as client:
        assert sign_in(client, identity_provider, "sub-gita").status_code == 303
    user = db.exec(select(User).where(col(User.email_key) == "gita@council.test")).one()
    assert user.roles == {Role.SUPERVISOR}
    assert user.team is not None
    assert user.team.name == "Riverside Provider Team"
    change = db.exec(
        select(AuditEvent).where(
            col(AuditEvent.action) == "role_change", col(AuditEvent.entity_id) == str(user.id)
        )
    ).one()
    assert change.details["changed_by"] == "the identity provider's groups"
    assert change.details["casework_granted"] is True


def test_the_group_claim_takes_a_role_away_and_refuses_two_teams(
    make_app: AppFactory, db: Session, identity_provider: IdentityProvider
) -> None:
    """Roles follow the groups at every sign-in, so someone taken out of a group at the
    provider loses the role the next time. (The test changes which group gives the role,
    since the provider's accounts are fixed while it runs.)"""
    groups = {"oidc_unknown_users": "create", "oidc_groups_claim": "groups"}
    teams = {"hw-riverside": "Riverside Provider Team"}
    with client_for(
        make_app(
            **groups, oidc_role_groups={"supervisor": ["hw-supervisors"]}, oidc_team_groups=teams
        ),
        db,
    ) as client:
        assert sign_in(client, identity_provider, "sub-gita").status_code == 303
    user = db.exec(select(User).where(col(User.email_key) == "gita@council.test")).one()
    assert user.roles == {Role.SUPERVISOR}
    with client_for(
        make_app(
            **groups, oidc_role_groups={"supervisor": ["hw-elsewhere"]}, oidc_team_groups=teams
        ),
        db,
    ) as client:
        assert sign_in(client, identity_provider, "sub-gita").status_code == 303
    db.refresh(user)
    assert user.roles == frozenset()
    taken_away = db.exec(
        select(AuditEvent)
        .where(col(AuditEvent.action) == "role_change", col(AuditEvent.entity_id) == str(user.id))
        .order_by(col(AuditEvent.id).desc())
    ).first()
    assert taken_away is not None
    assert taken_away.details["roles"] == {"before": ["supervisor"], "after": []}
    # In two groups that each name a team: Homeward cannot tell which families are theirs.
    two_teams = {**teams, "hw-supervisors": "Hillside Provider Team"}
    with client_for(
        make_app(
            **groups,
            oidc_role_groups={"supervisor": ["hw-supervisors"]},
            oidc_team_groups=two_teams,
        ),
        db,
    ) as client:
        response = sign_in(client, identity_provider, "sub-gita")
    assert_refused(response, db, "in more than one team group", status=403)
    assert "leave you in one team group" in response.text
    db.refresh(user)
    assert (user.roles, user.team.name if user.team else None) == (
        frozenset(),
        "Riverside Provider Team",
    )


def test_with_local_passwords_off_only_the_provider_signs_people_in(
    make_app: AppFactory, db: Session
) -> None:
    user = make_user(db, email="local@council.test")
    with client_for(make_app(local_passwords=False), db) as client:
        page = soup(client.get("/sign-in"))
        assert page.select_one("#password") is None
        assert page.select_one("#sign-in-with-provider") is not None
        response = post_form(
            client,
            "/sign-in",
            {"email": "local@council.test", "password": "correct-horse-battery-staple"},
        )
    assert response.status_code == 403
    assert "Homeward passwords are switched off" in response.text
    assert failures(db)[-1]["reason"] == "passwords switched off"
    assert sessions_of(db, user) == 0


def test_signing_out_also_signs_out_at_the_provider(
    client: CheckingClient, db: Session, identity_provider: IdentityProvider
) -> None:
    user = make_user(db, email="linda@council.test")
    assert sign_in(client, identity_provider, "sub-linda").status_code == 303
    record = db.exec(select(UserSession).where(col(UserSession.user_id) == user.id)).one()
    response = post_form(client, "/sign-out")
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}" == identity_provider.issuer
    query = parse_qs(location.query)
    assert query["id_token_hint"] == [record.id_token]
    assert query["post_logout_redirect_uri"] == [f"{APP_URL}/signed-out"]
    db.refresh(record)
    assert record.revoked_at is not None
    # The provider accepts the request (its ID token hint and return address), rather than
    # showing its error page.
    confirm = httpx.get(response.headers["location"], timeout=5)
    assert confirm.status_code == 200
    assert "Identity provider error" not in confirm.text


def test_a_refusal_message_names_no_internal_detail(
    client: CheckingClient, db: Session, identity_provider: IdentityProvider
) -> None:
    make_user(db, email="linda@council.test")
    address = identity_provider.sign_in(start(client), "sub-linda")
    identity_provider.tamper_next_id_token(claims={"aud": "another-service"})
    response = come_back(client, address)
    assert "aud" not in soup(response).select_one("#problem").get_text()
    assert sso.START_AGAIN not in response.text


def test_a_temporary_password_stops_working_once_the_provider_is_used(
    client: CheckingClient, db: Session, identity_provider: IdentityProvider
) -> None:
    """An account given a temporary password before the provider was switched on: signing
    in through the provider drops it, and nothing asks for a password change."""
    user = make_user(db, email="linda@council.test", must_change_password=True)
    assert sign_in(client, identity_provider, "sub-linda").status_code == 303
    assert client.get("/home").status_code == 200
    db.refresh(user)
    assert (user.password_hash, user.must_change_password) == ("", False)
    assert "you have no Homeward password" in client.get("/account/password").text


def test_a_provider_that_goes_down_during_the_sign_in_is_explained(
    make_app: AppFactory, db: Session, tmp_path: Path
) -> None:
    """The person signed in at the provider, which then stopped before Homeward could trade
    the code for tokens."""
    provider = IdentityProvider(
        app_urls=[APP_URL], accounts=ACCOUNTS[:1], log=tmp_path / "provider.log"
    )
    try:
        user = make_user(db, email="linda@council.test")
        application = make_app(oidc_issuer=provider.issuer)
        with client_for(application, db) as client:
            address = provider.sign_in(start(client), "sub-linda")
            provider.stop()
            response = come_back(client, address)
    finally:
        if provider.process.poll() is None:
            provider.stop()
    assert_refused(response, db, "unreachable", status=503)
    assert sessions_of(db, user) == 0


def test_forms_may_lead_to_the_provider_and_nowhere_else(client: CheckingClient) -> None:
    """Signing out is a form whose answer redirects to the provider: the Content Security
    Policy's form-action must allow exactly that origin besides Homeward's own."""
    policy = client.get("/sign-in").headers["content-security-policy"]
    directive = next(part.strip() for part in policy.split(";") if "form-action" in part)
    provider = urlsplit(client.app.state.settings.oidc_issuer)  # type: ignore[attr-defined]
    assert directive == f"form-action 'self' {provider.scheme}://{provider.netloc}"


def test_where_the_council_requires_it_a_sign_in_without_a_second_factor_is_refused(
    make_app: AppFactory, db: Session, identity_provider: IdentityProvider
) -> None:
    linda = make_user(db, email="linda@council.test")
    kim = make_user(db, email="kim@council.test")
    kim.sso_subject = "sub-kim"
    mia = make_user(db, email="mia@council.test")
    db.add(kim)
    db.flush()
    with client_for(make_app(oidc_require_mfa=True), db) as client:
        # A provider that says nothing about how the person signed in.
        response = sign_in(client, identity_provider, "sub-linda")
        assert_refused(
            response,
            db,
            "did not confirm multi-factor sign-in (amr: none; acr: none)",
            status=403,
        )
        assert "use a second step" in response.text
        # A one-time code is not what this council counts (only "mfa"): refused, and the
        # refusal names the account it was for.
        client.cookies.clear()
        response = sign_in(client, identity_provider, "sub-kim")
        assert_refused(response, db, "(amr: otp, pwd; acr: gold)", status=403)
        refused_for = db.exec(
            select(AuditEvent.user_id).where(col(AuditEvent.action) == "sign_in_failed")
        ).all()
        assert refused_for[-1] == kim.id
        client.cookies.clear()
        assert sign_in(client, identity_provider, "sub-mia").status_code == 303
    assert (sessions_of(db, linda), sessions_of(db, kim), sessions_of(db, mia)) == (0, 0, 1)
    db.refresh(linda)
    # Refused before the account was linked to the person at the provider.
    assert linda.sso_subject is None


def test_a_level_of_sign_in_the_council_names_counts_as_multi_factor(
    make_app: AppFactory, db: Session, identity_provider: IdentityProvider
) -> None:
    kim = make_user(db, email="kim@council.test")
    mia = make_user(db, email="mia@council.test")
    application = make_app(
        oidc_require_mfa=True, oidc_mfa_amr_values="", oidc_mfa_acr_values="gold"
    )
    with client_for(application, db) as client:
        # The level is asked for, so that a provider like Keycloak steps up to it.
        assert parse_qs(urlsplit(start(client)).query)["acr_values"] == ["gold"]
        assert sign_in(client, identity_provider, "sub-kim").status_code == 303
        client.cookies.clear()
        assert_refused(
            sign_in(client, identity_provider, "sub-mia"),
            db,
            "(amr: mfa, pwd; acr: none)",
            status=403,
        )
        # Claims of the wrong shape count for nothing: an amr that is not a list fails the
        # token's checks; an acr that is not a string is no level.
        for tampered, reason, status in (
            ({"amr": "mfa"}, "the ID token's amr is wrong", 400),
            ({"acr": ["gold"]}, "(amr: mfa, pwd; acr: none)", 403),
        ):
            client.cookies.clear()
            address = identity_provider.sign_in(start(client), "sub-mia")
            identity_provider.tamper_next_id_token(claims=tampered)
            assert_refused(come_back(client, address), db, reason, status=status)
    assert (sessions_of(db, kim), sessions_of(db, mia)) == (1, 0)
