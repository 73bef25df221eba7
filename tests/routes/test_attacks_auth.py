"""Attacks on signing in: open redirects through `next`, cookie attributes and prefixes in
production, session fixation, and guessing the current password on an unlocked screen."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, delete
from sqlmodel import Session, col, select

from app import db as app_db
from app.config import Environment
from app.db import open_session
from app.main import create_app
from app.models.accounts import SignInAttempt, User, UserSession
from app.models.audit import AuditAction, AuditEvent
from app.models.base import utcnow
from app.security.passwords import verify_password
from app.services import sessions
from app.services.accounts import PASSWORD_CHECK_THROTTLED
from app.services.sessions import (
    MAX_FAILURES_PER_ACCOUNT,
    SIGN_IN_THROTTLED,
    hash_token,
)
from tests.conftest import SharedSession, test_settings
from tests.factories import (
    DEFAULT_PASSWORD,
    account_digest,
    csrf_token,
    failed_attempt,
    make_team,
    make_user,
    post_form,
    sign_in_as,
    start_session,
)
from tests.support.client import CheckingClient, soup

EVIL_NEXT = [
    "//evil.example/",
    "///evil.example/",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "/\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "/\x00/evil.example",
    "\\\\evil.example",
    "/" + "a" * 5000,
]


def sign_in(client: CheckingClient, email: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return post_form(client, "/sign-in", {"email": email, "password": password, **extra})


def error_messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [item.get_text(strip=True) for item in soup(response).select(".govuk-error-summary a")]


@pytest.mark.parametrize("evil", EVIL_NEXT)
def test_next_never_leads_off_site(client: CheckingClient, db: Session, evil: str) -> None:
    make_user(db, email="next@council.test")
    response = sign_in(client, "next@council.test", DEFAULT_PASSWORD, next=evil)
    assert response.status_code == 303
    assert response.headers["location"] == "/families"


@pytest.mark.parametrize("evil", [value for value in EVIL_NEXT if value.isprintable()])
def test_the_sign_in_page_never_sends_a_signed_in_person_off_site(
    client: CheckingClient, db: Session, evil: str
) -> None:
    sign_in_as(client, db, make_user(db))
    response = client.get("/sign-in", params={"next": evil})
    assert response.status_code == 303
    assert response.headers["location"] == "/families"


def test_next_with_control_characters_in_the_address_is_refused(
    client: CheckingClient,
) -> None:
    response = client.get("/sign-in?next=/%09/evil.example")
    assert response.status_code == 400


def test_a_safe_next_still_works(client: CheckingClient, db: Session) -> None:
    make_user(db, email="back@council.test")
    response = sign_in(client, "back@council.test", DEFAULT_PASSWORD, next="/families?scope=team")
    assert response.headers["location"] == "/families?scope=team"


@pytest.fixture
def production(
    engine: Engine, db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CheckingClient]:
    """The app as production runs it (over HTTPS), on the test's database session."""
    url = engine.url.render_as_string(hide_password=False)
    app: FastAPI = create_app(
        test_settings(url, tmp_path, environment=Environment.PRODUCTION, secret_key="s" * 40)
    )
    app.state.engine = engine

    monkeypatch.setattr(app_db, "open_session", SharedSession(db, engine))
    with CheckingClient(app, base_url="https://testserver") as client:
        yield client


def cookie_header(response, name: str) -> str:  # type: ignore[no-untyped-def]
    return next(
        header
        for header in response.headers.get_list("set-cookie")
        if header.startswith(f"{name}=")
    )


def test_production_cookies_are_host_prefixed_secure_http_only_and_same_site(
    production: CheckingClient, db: Session
) -> None:
    make_user(db, email="prod@council.test")
    page = production.get("/sign-in")
    presession = cookie_header(page, "__Host-homeward_presession")
    for attribute in ("Path=/", "HttpOnly", "SameSite=Lax", "Secure"):
        assert attribute in presession
    assert "Domain" not in presession
    token = soup(page).select_one('input[name="csrf_token"]')["value"]
    signed_in = production.post(
        "/sign-in",
        data={"email": "prod@council.test", "password": DEFAULT_PASSWORD, "csrf_token": token},
    )
    assert signed_in.status_code == 303
    session_cookie = cookie_header(signed_in, "__Host-homeward_session")
    for attribute in ("Path=/", "HttpOnly", "SameSite=lax", "Secure"):
        assert attribute in session_cookie
    assert "Domain" not in session_cookie
    # The pre-sign-in cookie is deleted with the attributes browsers need to accept that.
    cleared = cookie_header(signed_in, "__Host-homeward_presession")
    assert "Max-Age=0" in cleared
    assert "Secure" in cleared
    assert production.get("/home").status_code == 200
    token = soup(production.get("/home")).select_one('form[action="/sign-out"] input')["value"]
    signed_out = production.post("/sign-out", data={"csrf_token": token})
    ended = cookie_header(signed_out, "__Host-homeward_session")
    assert "Max-Age=0" in ended
    assert "Secure" in ended


def test_production_ignores_cookies_without_the_prefix(
    production: CheckingClient, db: Session
) -> None:
    """A cookie a neighbouring subdomain could plant (no __Host- prefix) is never read."""
    user = make_user(db, team=make_team(db))
    production.cookies.set("homeward_session", start_session(db, user))
    assert production.get("/home").status_code == 303


def test_a_planted_session_cookie_is_replaced_at_sign_in(
    client: CheckingClient, db: Session
) -> None:
    victim = make_user(db, email="victim@council.test")
    planted = "attacker-chosen-token-" + "x" * 30
    client.cookies.set("homeward_session", planted)
    response = sign_in(client, "victim@council.test", DEFAULT_PASSWORD)
    assert response.status_code == 303
    issued = cookie_header(response, "homeward_session").split(";")[0].split("=", 1)[1]
    assert issued != planted
    assert db.get(UserSession, hash_token(planted)) is None
    stored = db.get(UserSession, hash_token(issued))
    assert stored is not None
    assert stored.user_id == victim.id


def test_an_attackers_live_session_planted_before_sign_in_is_ended(
    client: CheckingClient, db: Session
) -> None:
    attacker = make_user(db, email="attacker@council.test")
    make_user(db, email="victim2@council.test")
    attackers_token = start_session(db, attacker)
    client.cookies.set("homeward_session", attackers_token)
    response = sign_in(client, "victim2@council.test", DEFAULT_PASSWORD)
    assert response.status_code == 303
    old = db.get(UserSession, hash_token(attackers_token))
    assert old is not None
    assert old.revoked_at is not None


def change_password(client: CheckingClient, current: str, new: str):  # type: ignore[no-untyped-def]
    return post_form(
        client,
        "/account/password",
        {"current_password": current, "new_password": new, "confirm_password": new},
    )


def test_guessing_the_current_password_is_throttled(client: CheckingClient, db: Session) -> None:
    user = make_user(db, email="guess@council.test", team=make_team(db))
    sign_in_as(client, db, user)
    new_password = "a long and unusual passphrase for tests 42"
    for attempt in range(MAX_FAILURES_PER_ACCOUNT):
        wrong = change_password(client, f"wrong guess {attempt}", new_password)
        assert error_messages(wrong) == ["Enter your current password correctly"]
    refused = change_password(client, DEFAULT_PASSWORD, new_password)
    assert refused.status_code == 200
    assert error_messages(refused) == [PASSWORD_CHECK_THROTTLED]
    db.refresh(user)
    assert verify_password(user.password_hash, DEFAULT_PASSWORD)
    failures = db.exec(
        select(AuditEvent).where(col(AuditEvent.action) == AuditAction.SIGN_IN_FAILED.value)
    ).all()
    assert len(failures) == MAX_FAILURES_PER_ACCOUNT
    assert {event.details["reason"] for event in failures} == {
        "wrong current password when changing password"
    }
    # The guesses count against the account's sign-in too.
    client.cookies.clear()
    assert error_messages(sign_in(client, "guess@council.test", DEFAULT_PASSWORD)) == [
        SIGN_IN_THROTTLED
    ]


def test_a_correct_password_change_still_works_after_a_typo(
    client: CheckingClient, db: Session
) -> None:
    user = make_user(db, email="typo@council.test", team=make_team(db))
    sign_in_as(client, db, user)
    new_password = "a long and unusual passphrase for tests 43"
    assert change_password(client, "typo", new_password).status_code == 200
    done = change_password(client, DEFAULT_PASSWORD, new_password)
    assert done.status_code == 303
    refreshed = db.get(User, user.id)
    assert refreshed is not None
    assert verify_password(refreshed.password_hash, new_password)
    assert csrf_token(client)


def test_a_huge_password_is_refused_like_any_wrong_one(client: CheckingClient, db: Session) -> None:
    make_user(db, email="long@council.test")
    for password in ("x" * 500_000, DEFAULT_PASSWORD + "x" * 1000):
        response = sign_in(client, "long@council.test", password)
        assert response.status_code == 200
        assert error_messages(response) == ["Enter a correct email address and password"]
    assert sign_in(client, "long@council.test", DEFAULT_PASSWORD).status_code == 303


def test_parallel_guesses_cannot_pass_the_limit(engine: Engine) -> None:
    """Eight guesses at once, on separate connections, at an account one failure short of
    the limit, each doing what sign-in does (check the count, take time to verify, record
    the failure): only one may be judged. Done on the throttle itself, since a real sign-in
    writes audit entries that no test may delete."""
    email = f"race-{uuid.uuid4().hex[:8]}@council.test"
    with open_session(engine) as session:
        for _ in range(MAX_FAILURES_PER_ACCOUNT - 1):
            session.add(failed_attempt(email))
        session.commit()
    barrier = threading.Barrier(8)
    judged: list[bool] = []

    def guess(number: int) -> None:
        with open_session(engine) as session:
            barrier.wait()
            throttled = sessions.is_throttled(
                session,
                digest=account_digest(email),
                client_address=f"10.0.0.{number}",
                now=utcnow(),
            )
            if not throttled:
                time.sleep(0.05)  # checking the password takes a while
                session.add(failed_attempt(email))
            session.commit()
            judged.append(not throttled)

    try:
        threads = [threading.Thread(target=guess, args=(number,)) for number in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert judged.count(True) == 1
        assert len(judged) == 8
    finally:
        with open_session(engine) as session:
            session.execute(
                delete(SignInAttempt).where(
                    col(SignInAttempt.account_digest) == account_digest(email)
                )
            )
            session.commit()
