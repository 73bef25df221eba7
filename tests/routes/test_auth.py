"""Signing in and out, sessions, timeouts and throttling, through real HTTP."""

from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from app.models.accounts import Role, UserSession
from app.models.audit import AuditAction, AuditEvent
from app.models.base import utcnow
from app.services.sessions import SIGN_IN_REFUSED, SIGN_IN_THROTTLED, hash_token
from tests.factories import (
    DEFAULT_PASSWORD,
    csrf_token,
    failed_attempt,
    make_team,
    make_user,
    post_form,
    sign_in_as,
    start_session,
)
from tests.support.client import CheckingClient, soup


def sign_in(client: CheckingClient, email: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    return post_form(client, "/sign-in", {"email": email, "password": password, **extra})


def error_messages(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [item.get_text(strip=True) for item in soup(response).select(".govuk-error-summary a")]


def audit_actions(db: Session) -> list[str]:
    return list(db.exec(select(AuditEvent.action).order_by(col(AuditEvent.id))).all())


def test_sign_in_starts_a_session_with_safe_cookie_flags(
    client: CheckingClient, db: Session
) -> None:
    user = make_user(db, email="Priya@Council.test", team=make_team(db))
    response = sign_in(client, "priya@council.TEST", DEFAULT_PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/families"
    cookie = next(
        header
        for header in response.headers.get_list("set-cookie")
        if header.startswith("homeward_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Max-Age" not in cookie  # ends with the browser
    token = cookie.split(";")[0].split("=", 1)[1]
    stored = db.get(UserSession, hash_token(token))
    assert stored is not None
    assert stored.user_id == user.id
    assert token not in {row.id for row in db.exec(select(UserSession)).all()}  # only the hash
    home = client.get("/home")
    assert home.status_code == 200
    assert user.name in home.text
    assert AuditAction.SIGN_IN in audit_actions(db)


def test_wrong_password_and_unknown_account_get_the_same_message(
    client: CheckingClient, db: Session
) -> None:
    make_user(db, email="known@council.test")
    wrong = sign_in(client, "known@council.test", "not the password at all")
    unknown = sign_in(client, "nobody@council.test", "not the password at all")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert error_messages(response) == [SIGN_IN_REFUSED]
        assert soup(response).title.get_text().startswith("Error: ")
        assert "not the password" not in response.text  # the password is never sent back
    assert soup(wrong).select_one("#email")["value"] == "known@council.test"
    assert audit_actions(db).count(AuditAction.SIGN_IN_FAILED) == 2


def test_empty_fields_are_explained(client: CheckingClient) -> None:
    response = sign_in(client, "", "")
    assert error_messages(response) == ["Enter your email address", "Enter your password"]
    assert soup(response).select_one(".govuk-error-summary a")["href"] == "#email"


def test_deactivated_user_cannot_sign_in(client: CheckingClient, db: Session) -> None:
    make_user(db, email="gone@council.test", active=False)
    response = sign_in(client, "gone@council.test", DEFAULT_PASSWORD)
    assert error_messages(response) == [SIGN_IN_REFUSED]


def test_sign_in_is_throttled_per_account_without_revealing_it_exists(
    client: CheckingClient, db: Session
) -> None:
    make_user(db, email="target@council.test")
    for _ in range(5):
        sign_in(client, "target@council.test", "wrong password here")
        sign_in(client, "ghost@council.test", "wrong password here")
    # Now even the right password is refused for a while, with the same words for both.
    assert error_messages(sign_in(client, "target@council.test", DEFAULT_PASSWORD)) == [
        SIGN_IN_THROTTLED
    ]
    assert error_messages(sign_in(client, "ghost@council.test", DEFAULT_PASSWORD)) == [
        SIGN_IN_THROTTLED
    ]


def test_sign_in_is_throttled_per_address(client: CheckingClient, db: Session) -> None:
    make_user(db, email="victim@council.test")
    for number in range(20):
        db.add(failed_attempt(f"guess{number}@council.test", client_address="testclient"))
    db.flush()
    assert error_messages(sign_in(client, "victim@council.test", DEFAULT_PASSWORD)) == [
        SIGN_IN_THROTTLED
    ]


def test_old_failures_no_longer_count(client: CheckingClient, db: Session) -> None:
    make_user(db, email="patient@council.test")
    long_ago = utcnow() - timedelta(hours=1)
    for _ in range(10):
        db.add(failed_attempt("patient@council.test", client_address="x", at=long_ago))
    db.flush()
    assert sign_in(client, "patient@council.test", DEFAULT_PASSWORD).status_code == 303


def test_signing_in_again_rotates_the_session(client: CheckingClient, db: Session) -> None:
    make_user(db, email="rotate@council.test")
    sign_in(client, "rotate@council.test", DEFAULT_PASSWORD)
    first = client.cookies.get("homeward_session")
    sign_in(client, "rotate@council.test", DEFAULT_PASSWORD)
    second = client.cookies.get("homeward_session")
    assert first
    assert second
    assert first != second
    old = db.get(UserSession, hash_token(first))
    assert old is not None
    assert old.revoked_at is not None


def test_next_takes_you_back_but_never_off_site(client: CheckingClient, db: Session) -> None:
    make_user(db, email="next@council.test")
    assert client.get("/home").headers["location"] == "/sign-in?next=%2Fhome"
    back = sign_in(client, "next@council.test", DEFAULT_PASSWORD, next="/admin/users")
    assert back.headers["location"] == "/admin/users"
    for evil in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        client.cookies.clear()
        response = sign_in(client, "next@council.test", DEFAULT_PASSWORD, next=evil)
        assert response.headers["location"] == "/families", evil


def test_sign_out_ends_the_session_in_the_database(client: CheckingClient, db: Session) -> None:
    user = make_user(db, team=make_team(db))
    sign_in_as(client, db, user)
    token = client.cookies.get("homeward_session")
    response = post_form(client, "/sign-out")
    assert response.headers["location"] == "/signed-out"
    record = db.get(UserSession, hash_token(token))
    assert record is not None
    assert record.revoked_at is not None
    # The old cookie is worthless now, even if someone kept a copy of it.
    client.cookies.set("homeward_session", token)
    assert client.get("/home").status_code == 303
    assert AuditAction.SIGN_OUT in audit_actions(db)


def test_idle_sessions_time_out(client: CheckingClient, db: Session) -> None:
    user = make_user(db)
    client.cookies.set("homeward_session", start_session(db, user, idle_for=timedelta(minutes=31)))
    response = client.get("/home")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=%2Fhome&expired=1"
    page = client.get(response.headers["location"])
    assert "You were signed out because you had not used Homeward" in page.text


def test_sessions_have_an_absolute_lifetime(client: CheckingClient, db: Session) -> None:
    user = make_user(db)
    token = start_session(db, user)
    record = db.get(UserSession, hash_token(token))
    assert record is not None
    record.expires_at = utcnow() - timedelta(seconds=1)
    db.add(record)
    db.flush()
    client.cookies.set("homeward_session", token)
    assert client.get("/home").status_code == 303


def test_deactivating_a_user_ends_their_sessions_at_once(
    client: CheckingClient, db: Session
) -> None:
    user = make_user(db)
    token = start_session(db, user)
    client.cookies.set("homeward_session", token)
    assert client.get("/home").status_code == 200
    user.active = False
    db.add(user)
    db.flush()
    assert client.get("/home").status_code == 303


def test_htmx_request_after_expiry_is_sent_to_sign_in_not_swapped(
    client: CheckingClient, db: Session
) -> None:
    user = make_user(db)
    client.cookies.set("homeward_session", start_session(db, user, idle_for=timedelta(hours=1)))
    response = client.get(
        "/home",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/admin/users?x=1"},
    )
    assert response.status_code == 200
    assert response.text == ""
    assert response.headers["HX-Redirect"] == "/sign-in?next=%2Fadmin%2Fusers&expired=1"


def test_api_without_a_session_gets_json_401(client: CheckingClient) -> None:
    response = client.get("/api/v1/families/00000000-0000-0000-0000-000000000000")
    assert response.status_code == 401
    assert response.json() == {"message": "Sign in, or send an API token, to continue."}


def test_stay_signed_in_extends_the_session(client: CheckingClient, db: Session) -> None:
    user = make_user(db)
    token = start_session(db, user, idle_for=timedelta(minutes=29))
    client.cookies.set("homeward_session", token)
    response = client.post(
        "/session/extend",
        headers={"X-CSRF-Token": csrf_token(client), "Accept": "application/json"},
    )
    assert response.status_code == 200
    assert response.json()["seconds_left"] > 29 * 60


def test_layout_tells_the_browser_when_the_session_will_time_out(
    client: CheckingClient, db: Session
) -> None:
    sign_in_as(client, db, make_user(db))
    body = soup(client.get("/home")).body
    assert 1790 <= int(body["data-session-seconds-left"]) <= 1800
    assert soup(client.get("/home")).select_one("dialog#timeout-warning") is not None


@pytest.mark.parametrize(
    ("roles", "landing"),
    [
        ([Role.PRACTITIONER], "/families"),
        ([Role.SUPERVISOR], "/families"),
        ([Role.TRAINER], "/content"),
        ([Role.MANAGER], "/reports"),
        ([Role.ADMIN], "/home"),
        ([Role.ADMIN, Role.SUPERVISOR], "/families"),
    ],
)
def test_signing_in_lands_on_the_persons_own_work(
    client: CheckingClient, db: Session, roles: list[Role], landing: str
) -> None:
    make_user(db, email="lands@council.test", roles=roles, name="Lena Marsh")
    response = sign_in(client, "lands@council.test", DEFAULT_PASSWORD)
    assert response.headers["location"] == landing
    assert client.get("/sign-in").headers["location"] == landing
    page = soup(client.get(landing))
    # The header says who is signed in, on every page.
    account = page.select_one(".govuk-service-navigation a[href='/account']")
    assert account is not None
    assert "Lena Marsh" in account.get_text()


def test_temporary_password_must_be_changed_first(client: CheckingClient, db: Session) -> None:
    user = make_user(
        db,
        name="Robin Ashdown",
        email="new@council.test",
        must_change_password=True,
        roles=[Role.ADMIN],
    )
    signed_in = sign_in(client, "new@council.test", DEFAULT_PASSWORD, next="/admin/audit")
    assert signed_in.headers["location"] == "/account/password"
    # Nothing else opens first, the home page and one's own account pages included.
    for path in ("/admin/users", "/home", "/account", "/account/two-factor"):
        assert client.get(path).headers["location"] == "/account/password", path
    weak = post_form(
        client,
        "/account/password",
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password": "password1234",
            "confirm_password": "password1234",
        },
    )
    assert "too common" in " ".join(error_messages(weak))
    mismatch = post_form(
        client,
        "/account/password",
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password": "lantern orchid glacier",
            "confirm_password": "lantern orchid",
        },
    )
    assert error_messages(mismatch) == ["Enter the same new password twice"]
    done = post_form(
        client,
        "/account/password",
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password": "lantern orchid glacier",
            "confirm_password": "lantern orchid glacier",
        },
    )
    assert done.headers["location"] == "/home?notice=password-changed"
    banner = soup(client.get(done.headers["location"])).select_one(".govuk-notification-banner")
    assert banner is not None
    assert "Your password has been changed." in banner.get_text()
    db.refresh(user)
    assert not user.must_change_password
    assert client.get("/admin/users").status_code == 200


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "12 characters or more"),
        ("password123456", "too common"),
        ("qwertyuiopasdf", "too common"),
        ("priya-wants-a-password", "must not contain your name"),
    ],
)
def test_password_policy(password: str, problem: str) -> None:
    from app.security.passwords import password_problem

    message = password_problem(password, email="priya@council.test", name="Priya Shah")
    assert message is not None
    assert problem in message


def test_a_good_password_passes() -> None:
    from app.security.passwords import hash_password, password_problem, verify_password

    assert password_problem("marble harbour lantern", email="x@y.test", name="Sam") is None
    hashed = hash_password("marble harbour lantern")
    assert hashed.startswith("$argon2id$")
    assert verify_password(hashed, "marble harbour lantern")
    assert not verify_password(hashed, "marble harbour lanterns")
    assert not verify_password(None, "anything")
