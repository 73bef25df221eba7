"""Two-factor sign-in for local accounts: codes from an authenticator app, recovery codes,
set-up at sign-in where a role requires it, and the person's own account page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from app.config import PLACEHOLDER_SECRET_KEY
from app.db import get_session
from app.main import create_app
from app.models.accounts import PendingSignIn, RecoveryCode, Role, User, UserSession
from app.models.audit import AuditAction, AuditEvent
from app.models.base import utcnow
from app.security.secretbox import seal
from app.services import two_factor
from app.services.audit import Actor
from app.services.sessions import hash_token
from tests.conftest import test_settings
from tests.factories import DEFAULT_PASSWORD, make_team, make_user, post_form, sign_in_as
from tests.support.client import CheckingClient, soup

KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def with_app(user: User, db: Session, key: str = KEY) -> User:
    """Switch two-factor sign-in on for `user` with a known key, as set-up would."""
    user.totp_secret = seal(PLACEHOLDER_SECRET_KEY, key)
    user.totp_enabled_at = utcnow()
    db.add(user)
    db.flush()
    return user


def code_now(key: str = KEY, steps_ago: int = 0) -> str:
    totp = pyotp.TOTP(key)
    return totp.generate_otp(totp.timecode(utcnow()) - steps_ago)


def password_step(client: CheckingClient, email: str, **extra: str):  # type: ignore[no-untyped-def]
    return post_form(client, "/sign-in", {"email": email, "password": DEFAULT_PASSWORD, **extra})


def session_cookie(response) -> str | None:  # type: ignore[no-untyped-def]
    for header in response.headers.get_list("set-cookie"):
        if header.startswith("homeward_session=") and not header.startswith('homeward_session=""'):
            return header.split(";")[0].split("=", 1)[1]
    return None


def errors(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [a.get_text(strip=True) for a in soup(response).select(".govuk-error-summary a")]


def last_failure(db: Session) -> dict[str, object]:
    event = db.exec(
        select(AuditEvent)
        .where(col(AuditEvent.action) == AuditAction.SIGN_IN_FAILED.value)
        .order_by(col(AuditEvent.id).desc())
    ).first()
    assert event is not None
    return event.details


def sessions_count(db: Session, user: User) -> int:
    return db.exec(
        select(func.count()).select_from(UserSession).where(col(UserSession.user_id) == user.id)
    ).one()


def test_a_password_then_a_code_signs_in(client: CheckingClient, db: Session) -> None:
    user = with_app(make_user(db, email="two@council.test", team=make_team(db)), db)
    response = password_step(client, "two@council.test", next="/families")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in/code"
    assert session_cookie(response) is None
    assert sessions_count(db, user) == 0
    page = client.get("/sign-in/code")
    assert page.status_code == 200
    assert soup(page).select_one("#code")["autocomplete"] == "one-time-code"
    done = post_form(client, "/sign-in/code", {"code": code_now()})
    assert done.status_code == 303
    assert done.headers["location"] == "/families"
    token = session_cookie(done)
    assert token is not None
    record = db.get(UserSession, hash_token(token))
    assert record is not None
    assert record.method == "password and code"
    # The half-done sign-in is used up.
    assert db.exec(select(func.count()).select_from(PendingSignIn)).one() == 0


def test_a_wrong_code_is_refused_and_audited(client: CheckingClient, db: Session) -> None:
    user = with_app(make_user(db, email="two@council.test"), db)
    password_step(client, "two@council.test")
    response = post_form(client, "/sign-in/code", {"code": "000000"})
    assert response.status_code == 200
    assert errors(response) == [two_factor.WRONG_CODE]
    assert soup(response).select_one("#code").get("value", "") == ""
    assert last_failure(db) == {"method": "password and code", "reason": "wrong one-time code"}
    assert sessions_count(db, user) == 0
    assert errors(post_form(client, "/sign-in/code", {"code": ""})) == [
        "Enter the code from your authenticator app"
    ]


def test_a_code_works_once(client: CheckingClient, db: Session) -> None:
    user = with_app(make_user(db, email="two@council.test"), db)
    code = code_now()
    password_step(client, "two@council.test")
    assert post_form(client, "/sign-in/code", {"code": code}).status_code == 303
    client.cookies.clear()
    password_step(client, "two@council.test")
    response = post_form(client, "/sign-in/code", {"code": code})
    assert errors(response) == [two_factor.CODE_USED]
    assert last_failure(db)["reason"] == "one-time code used before"
    assert sessions_count(db, user) == 1
    # An older code than the last one used is refused too.
    client.cookies.clear()
    password_step(client, "two@council.test")
    assert errors(post_form(client, "/sign-in/code", {"code": code_now(steps_ago=1)})) in (
        [two_factor.CODE_USED],
        [two_factor.WRONG_CODE],
    )


def test_a_recovery_code_works_once(client: CheckingClient, db: Session) -> None:
    user = with_app(make_user(db, email="two@council.test"), db)
    actor = Actor(user=user)
    codes = two_factor.new_recovery_codes(db, actor=actor, user=user)
    stored = db.exec(select(RecoveryCode.code_hash).where(col(RecoveryCode.user_id) == user.id))
    assert not set(codes) & set(stored.all())  # only hashes are kept
    password_step(client, "two@council.test")
    # Typed in lower case with a space instead of the hyphen: still the same code.
    typed = codes[0].lower().replace("-", " ")
    assert post_form(client, "/sign-in/code", {"code": typed}).status_code == 303
    client.cookies.clear()
    password_step(client, "two@council.test")
    assert errors(post_form(client, "/sign-in/code", {"code": codes[0]})) == [two_factor.WRONG_CODE]
    assert two_factor.unused_recovery_codes(db, user=user) == 9


def test_wrong_codes_are_throttled_like_passwords(client: CheckingClient, db: Session) -> None:
    user = with_app(make_user(db, email="two@council.test"), db)
    password_step(client, "two@council.test")
    for _ in range(5):
        post_form(client, "/sign-in/code", {"code": "123456"})
    response = post_form(client, "/sign-in/code", {"code": code_now()})
    assert errors(response) == [two_factor.THROTTLED]
    assert last_failure(db)["reason"] == "throttled"
    assert sessions_count(db, user) == 0
    # The password step counts the same failures.
    client.cookies.clear()
    again = password_step(client, "two@council.test")
    assert "too many attempts" in again.text


def test_the_code_step_needs_a_password_step_first(client: CheckingClient, db: Session) -> None:
    for response in (
        client.get("/sign-in/code"),
        post_form(client, "/sign-in/code", {"code": "123456"}),
        client.get("/sign-in/set-up-code"),
    ):
        assert response.status_code == 200
        assert soup(response).h1.get_text(strip=True) == "Sign in again"
        assert "took longer than 10 minutes" in response.text


def test_a_half_done_sign_in_expires(client: CheckingClient, db: Session) -> None:
    with_app(make_user(db, email="two@council.test"), db)
    password_step(client, "two@council.test")
    pending = db.exec(select(PendingSignIn)).one()
    pending.expires_at = utcnow() - timedelta(seconds=1)
    db.add(pending)
    db.flush()
    response = post_form(client, "/sign-in/code", {"code": code_now()})
    assert soup(response).h1.get_text(strip=True) == "Sign in again"
    assert session_cookie(response) is None


@pytest.fixture(scope="session")
def strict_app(database_url: str, data_dir: Path, engine: Engine) -> FastAPI:
    """An app whose supervisors must use two-factor sign-in."""
    application = create_app(test_settings(database_url, data_dir, two_factor_roles="supervisor"))
    application.state.engine = engine
    return application


@pytest.fixture
def strict_client(strict_app: FastAPI, db: Session) -> Iterator[CheckingClient]:
    strict_app.dependency_overrides[get_session] = lambda: (yield db)
    with CheckingClient(strict_app, base_url="http://testserver") as test_client:
        yield test_client


def test_a_role_that_requires_it_sets_up_an_app_at_sign_in(
    strict_client: CheckingClient, db: Session
) -> None:
    user = make_user(db, email="sup@council.test", roles=[Role.SUPERVISOR], team=make_team(db))
    response = password_step(strict_client, "sup@council.test")
    assert response.headers["location"] == "/sign-in/set-up-code"
    page = soup(strict_client.get("/sign-in/set-up-code"))
    qr = page.select_one("#qr-code")
    assert qr["src"].startswith("data:image/svg+xml")
    assert "QR code" in qr["alt"]
    key = page.select_one("#set-up-key").get_text(strip=True).replace(" ", "")
    # Reloading keeps the same key, so an app that already scanned it still works.
    again = soup(strict_client.get("/sign-in/set-up-code")).select_one("#set-up-key")
    assert again.get_text(strip=True).replace(" ", "") == key
    wrong = post_form(strict_client, "/sign-in/set-up-code", {"code": "000000"})
    assert errors(wrong) == [two_factor.SETUP_WRONG_CODE]
    assert sessions_count(db, user) == 0
    done = post_form(strict_client, "/sign-in/set-up-code", {"code": code_now(key)})
    assert done.status_code == 200
    codes = [li.get_text(strip=True) for li in soup(done).select("#recovery-codes li")]
    assert len(codes) == 10
    assert all(re.fullmatch(r"[2-9A-HJ-KM-NP-Z]{5}-[2-9A-HJ-KM-NP-Z]{5}", c) for c in codes)
    assert session_cookie(done) is not None
    db.refresh(user)
    assert user.has_two_factor
    assert key not in (user.totp_secret or "")  # kept sealed
    # Next time: password, then a code.
    strict_client.cookies.clear()
    assert password_step(strict_client, "sup@council.test").headers["location"] == "/sign-in/code"


def test_a_required_app_cannot_be_switched_off(strict_client: CheckingClient, db: Session) -> None:
    user = with_app(make_user(db, roles=[Role.SUPERVISOR], team=make_team(db)), db)
    sign_in_as(strict_client, db, user)
    page = strict_client.get("/account")
    assert "Your role needs two-factor sign-in" in page.text
    assert soup(page).select_one('[formaction="/account/two-factor/off"]') is None
    response = post_form(strict_client, "/account/two-factor/off", {"code": code_now()})
    assert response.headers["location"] == "/account"
    db.refresh(user)
    assert user.has_two_factor


def test_anyone_with_a_password_can_switch_it_on_and_off(
    client: CheckingClient, db: Session
) -> None:
    user = make_user(db, email="keen@council.test")
    sign_in_as(client, db, user)
    assert "Off" in client.get("/account").text
    key = soup(client.get("/account/two-factor")).select_one("#set-up-key").get_text(strip=True)
    key = key.replace(" ", "")
    done = post_form(client, "/account/two-factor", {"code": code_now(key)})
    assert len(soup(done).select("#recovery-codes li")) == 10
    db.refresh(user)
    assert user.has_two_factor
    account = client.get("/account")
    assert "10 of 10" in account.text
    # Switching off needs a current code, so someone at an unlocked screen cannot.
    refused = post_form(client, "/account/two-factor/off", {"code": "999999"})
    assert refused.status_code == 200
    assert errors(refused)
    db.refresh(user)
    assert user.has_two_factor
    # The set-up used this moment's code; the app's next one (accepted for a clock a little
    # ahead) is new.
    off = post_form(client, "/account/two-factor/off", {"code": code_now(key, steps_ago=-1)})
    assert off.headers["location"] == "/account?done=off"
    db.refresh(user)
    assert not user.has_two_factor
    assert db.exec(select(func.count()).select_from(RecoveryCode)).one() == 0


def test_an_administrator_resets_a_lost_app(client: CheckingClient, db: Session) -> None:
    admin = make_user(db, roles=[Role.ADMIN])
    user = with_app(make_user(db), db)
    sign_in_as(client, db, admin)
    page = client.get(f"/admin/users/{user.id}")
    assert "Reset two-factor sign-in" in page.text
    response = post_form(client, f"/admin/users/{user.id}/reset-two-factor")
    assert response.headers["location"] == f"/admin/users/{user.id}?done=two-factor"
    db.refresh(user)
    assert not user.has_two_factor
    entry = db.exec(select(AuditEvent).where(col(AuditEvent.entity_id) == str(user.id))).all()[-1]
    assert entry.details == {"two_factor": "reset by an administrator"}
    # Not their own: another administrator must do it.
    with_app(admin, db)
    refused = post_form(client, f"/admin/users/{admin.id}/reset-two-factor")
    assert "Ask another administrator" in refused.text
    db.refresh(admin)
    assert admin.has_two_factor


def test_the_demo_has_an_account_with_two_factor_sign_in(
    client: CheckingClient, db: Session
) -> None:
    from app.demo.accounts import DEMO_ACCOUNTS, load_demo_accounts

    load_demo_accounts(db, secret_key=PLACEHOLDER_SECRET_KEY)
    demo = next(account for account in DEMO_ACCOUNTS if account.two_factor_key)
    response = post_form(client, "/sign-in", {"email": demo.email, "password": demo.password})
    assert response.headers["location"] == "/sign-in/code"
    # The demo set-up used this moment's code; the app's next one is accepted.
    code = code_now(demo.two_factor_key or "", steps_ago=-1)
    assert post_form(client, "/sign-in/code", {"code": code}).status_code == 303
