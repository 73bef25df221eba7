"""CSRF protection and HTTP security headers."""

from sqlmodel import Session, col, select

from app.config import Environment
from app.main import create_app
from app.middleware import govuk_template_script_hash
from app.models.accounts import Role, Team
from app.models.audit import AuditAction, AuditEvent
from tests.conftest import test_settings
from tests.factories import csrf_token, make_user, post_form, sign_in_as
from tests.support.client import CheckingClient, soup


def team_names(db: Session) -> list[str]:
    return list(db.exec(select(Team.name)).all())


def test_a_form_post_without_a_token_is_refused_and_changes_nothing(
    client: CheckingClient, db: Session
) -> None:
    sign_in_as(client, db, make_user(db, roles=[Role.ADMIN]))
    response = client.post("/admin/teams", data={"name": "Forged team"})
    assert response.status_code == 403
    assert "This form has expired or did not come from Homeward" in response.text
    assert "Forged team" not in team_names(db)
    denied = db.exec(
        select(AuditEvent).where(col(AuditEvent.action) == AuditAction.ACCESS_DENIED.value)
    ).all()
    assert denied
    assert denied[-1].details["reason"] == "missing or wrong CSRF token"


def test_a_wrong_token_is_refused(client: CheckingClient, db: Session) -> None:
    sign_in_as(client, db, make_user(db, roles=[Role.ADMIN]))
    response = client.post("/admin/teams", data={"name": "Forged", "csrf_token": "0" * 64})
    assert response.status_code == 403
    assert "Forged" not in team_names(db)


def test_a_token_from_another_session_is_refused(client: CheckingClient, db: Session) -> None:
    admin = make_user(db, roles=[Role.ADMIN])
    sign_in_as(client, db, admin)
    stolen = csrf_token(client)
    sign_in_as(client, db, admin)  # a new session: the old page's token is no good
    response = client.post("/admin/teams", data={"name": "Replayed", "csrf_token": stolen})
    assert response.status_code == 403


def test_htmx_and_api_send_the_token_in_a_header(client: CheckingClient, db: Session) -> None:
    sign_in_as(client, db, make_user(db, roles=[Role.ADMIN]))
    response = client.post(
        "/admin/teams", data={"name": "Header team"}, headers={"X-CSRF-Token": csrf_token(client)}
    )
    assert response.status_code == 303
    assert "Header team" in team_names(db)


def test_the_token_reaches_htmx_through_the_layout_not_a_script(
    client: CheckingClient, db: Session
) -> None:
    sign_in_as(client, db, make_user(db))
    page = soup(client.get("/home"))
    assert "X-CSRF-Token" in page.body["hx-headers"]
    assert page.select_one('form[action="/sign-out"] input[name="csrf_token"]') is not None


def test_sign_in_itself_needs_the_token(client: CheckingClient, db: Session) -> None:
    make_user(db, email="login@council.test")
    response = client.post(
        "/sign-in", data={"email": "login@council.test", "password": "whatever it is"}
    )
    assert response.status_code == 403
    assert post_form(client, "/sign-in", {"email": "a@b.test", "password": "x"}).status_code == 200


def test_security_headers(client: CheckingClient) -> None:
    response = client.get("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' '" + govuk_template_script_hash() + "'" in policy
    assert "style-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["strict-transport-security"].startswith("max-age=")
    static = client.get("/static/css/homeward.css")
    assert "no-store" not in static.headers.get("cache-control", "")


def test_development_sends_no_hsts_and_production_secures_cookies(
    engine, db: Session, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    url = engine.url.render_as_string(hide_password=False)
    development = create_app(test_settings(url, tmp_path, environment=Environment.DEVELOPMENT))
    with CheckingClient(development) as plain:
        assert "strict-transport-security" not in plain.get("/").headers
    production = create_app(
        test_settings(url, tmp_path, environment=Environment.PRODUCTION, secret_key="s" * 40)
    )
    with CheckingClient(production, base_url="https://testserver") as secure:
        cookie = secure.get("/sign-in").headers["set-cookie"]
        assert "Secure" in cookie
        assert "HttpOnly" in cookie


def test_pages_escape_what_users_typed(client: CheckingClient, db: Session) -> None:
    sign_in_as(client, db, make_user(db, roles=[Role.ADMIN]))
    post_form(client, "/admin/teams", {"name": "<script>alert(1)</script>"})
    page = client.get("/admin/teams")
    assert "<script>alert(1)</script>" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
