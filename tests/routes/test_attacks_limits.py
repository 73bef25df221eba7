"""Attacks on the shape of requests: oversized bodies and addresses, control characters in
addresses, trailing slashes, request ids, and the headers of error responses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from app.db import get_session
from app.main import create_app
from app.models.accounts import Role, Team
from tests.conftest import test_settings
from tests.factories import csrf_token, make_team, make_user, post_form, sign_in_as
from tests.support.client import CheckingClient

MIB = 1024 * 1024
SECURITY_HEADERS = (
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "cache-control",
    "x-request-id",
)


def assert_secured(response_headers: dict[str, str] | object) -> None:
    for name in SECURITY_HEADERS:
        assert name in response_headers, name  # type: ignore[operator]


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    """A body sent in pieces, with no Content-Length (chunked transfer encoding)."""
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b"a" * piece


def test_a_body_over_the_limit_is_refused_with_a_page(client: CheckingClient, db: Session) -> None:
    sign_in_as(client, db, make_user(db, roles=[Role.ADMIN]))
    response = post_form(client, "/admin/teams", {"name": "x" * (MIB + 10)})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert "What you sent is too large" in response.text
    assert_secured(response.headers)
    assert "x" * 100 not in str(db.exec(select(Team.name)).all())


def test_a_body_over_the_limit_is_refused_with_json_under_the_api(
    client: CheckingClient, db: Session
) -> None:
    sign_in_as(client, db, make_user(db))
    response = client.post(
        "/api/v1/families",
        json={"reference": "R" * (2 * MIB), "display_name": "Big"},
        headers={"X-CSRF-Token": csrf_token(client)},
    )
    assert response.status_code == 413
    assert response.json() == {"message": "What you sent is too large. Nothing was changed."}


def test_a_streamed_body_without_a_length_is_counted_and_refused(
    client: CheckingClient, db: Session
) -> None:
    sign_in_as(client, db, make_user(db, roles=[Role.ADMIN]))
    token = csrf_token(client)
    form = client.post(
        "/admin/teams",
        content=chunks(2 * MIB),
        headers={
            "X-CSRF-Token": token,
            "content-type": "application/x-www-form-urlencoded",
        },
    )
    assert "content-length" not in form.request.headers
    assert form.status_code == 413
    assert "What you sent is too large" in form.text
    api = client.post(
        "/api/v1/families",
        content=chunks(2 * MIB),
        headers={"X-CSRF-Token": token, "content-type": "application/json"},
    )
    assert api.status_code == 413
    assert api.json()["message"].startswith("What you sent is too large")


def test_a_streamed_body_within_the_limit_is_accepted(client: CheckingClient, db: Session) -> None:
    sign_in_as(client, db, make_user(db, roles=[Role.ADMIN]))
    body = f"name=Streamed+team&csrf_token={csrf_token(client)}".encode()
    response = client.post(
        "/admin/teams",
        content=iter([body[:10], body[10:]]),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 303
    assert "Streamed team" in db.exec(select(Team.name)).all()


def test_the_body_limit_is_a_setting(engine: Engine, tmp_path: Path) -> None:
    url = engine.url.render_as_string(hide_password=False)
    small = create_app(test_settings(url, tmp_path, max_request_bytes=16 * 1024))
    with CheckingClient(small) as client:
        assert client.post("/sign-in", content=b"a" * (16 * 1024 + 1)).status_code == 413
        # Within the limit the request goes on (to the CSRF check, here).
        assert client.post("/sign-in", content=b"a" * 1000).status_code == 403


def test_a_long_query_string_is_refused(client: CheckingClient, db: Session) -> None:
    sign_in_as(client, db, make_user(db))
    page = client.get("/families", params={"search": "a" * 9000})
    assert page.status_code == 414
    assert "The address of this page is too long" in page.text
    assert_secured(page.headers)
    api = client.get("/api/v1/families", params={"search": "a" * 9000})
    assert api.status_code == 414
    assert api.json() == {"message": "The address of this page is too long."}
    # A long but reasonable query is fine.
    assert client.get("/families", params={"search": "a" * 100}).status_code == 200


@pytest.mark.parametrize(
    "query",
    ["search=a%00b", "search=%01", "stage=%1b[2J", "search=%7f", "search=%ff%fe", "search=%c3"],
)
def test_control_characters_and_bad_utf8_in_the_query_are_refused(
    client: CheckingClient, db: Session, query: str
) -> None:
    sign_in_as(client, db, make_user(db, roles=[Role.PRACTITIONER, Role.ADMIN]))
    for path in ("/families", "/admin/users", "/admin/audit"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400
        assert "contains characters that are not allowed" in response.text
    api = client.get(f"/api/v1/families?{query}")
    assert api.status_code == 400
    assert api.json()["message"].startswith("The address of this page contains characters")


def test_control_characters_in_the_path_are_refused(client: CheckingClient, db: Session) -> None:
    sign_in_as(client, db, make_user(db))
    assert client.get("/families/%00").status_code == 400
    assert client.get("/api/v1/families/a%0ab").status_code == 400


def test_ordinary_search_text_still_works(client: CheckingClient, db: Session) -> None:
    sign_in_as(client, db, make_user(db, team=make_team(db)))
    response = client.get("/families", params={"search": "O'Brien & Søn + 50%"})
    assert response.status_code == 200


def test_a_trailing_slash_is_not_found_not_redirected(client: CheckingClient, db: Session) -> None:
    sign_in_as(client, db, make_user(db, roles=[Role.ADMIN, Role.PRACTITIONER]))
    for path in ("/families/", "/admin/teams/", "/api/v1/families/"):
        response = client.get(path, headers={"host": "evil.example"})
        assert response.status_code == 404
        assert "location" not in response.headers
    assert post_form(client, "/admin/teams/", {"name": "Slash"}).status_code == 404


def test_a_plain_request_id_is_echoed_and_anything_else_replaced(client: CheckingClient) -> None:
    assert client.get("/", headers={"X-Request-ID": "abc-123.XYZ_9"}).headers["x-request-id"] == (
        "abc-123.XYZ_9"
    )
    for supplied in ("short", "a" * 65, "abcdefgh\x01", "abcdefgh ij", "<script>x</script>"):
        echoed = client.get("/", headers={"X-Request-ID": supplied}).headers["x-request-id"]
        assert echoed != supplied
        assert len(echoed) == 32
        assert echoed.isalnum()


@pytest.fixture
def failing_app(engine: Engine, db: Session, tmp_path: Path) -> Iterator[CheckingClient]:
    """An app with two routes that fail: one with an unexpected error, one with a value the
    database refuses (an OFFSET beyond 64 bits)."""
    url = engine.url.render_as_string(hide_password=False)
    app: FastAPI = create_app(test_settings(url, tmp_path))
    app.state.engine = engine

    def session_override() -> Iterator[Session]:
        yield db

    app.dependency_overrides[get_session] = session_override

    def boom() -> None:
        raise RuntimeError("secret detail")

    def unstorable(session: Session = Depends(get_session)) -> None:
        session.connection().execute(text("SELECT 1 LIMIT 1 OFFSET :n"), {"n": 10**30})

    for path in ("/boom", "/api/boom"):
        app.add_api_route(path, boom)
    for path in ("/unstorable", "/api/unstorable"):
        app.add_api_route(path, unstorable)
    with CheckingClient(app, raise_server_exceptions=False) as client:
        yield client


def test_an_unexpected_error_page_has_the_security_headers(failing_app: CheckingClient) -> None:
    page = failing_app.get("/boom")
    assert page.status_code == 500
    assert_secured(page.headers)
    assert "secret detail" not in page.text
    api = failing_app.get("/api/boom")
    assert api.status_code == 500
    assert_secured(api.headers)
    assert api.json() == {"message": "Sorry, there is a problem with the service."}


def test_a_value_the_database_refuses_is_a_clear_error_not_a_500(
    failing_app: CheckingClient, db: Session
) -> None:
    page = failing_app.get("/unstorable")
    assert page.status_code == 400
    assert "cannot be stored" in page.text
    assert_secured(page.headers)
    api = failing_app.get("/api/unstorable")
    assert api.status_code == 422
    assert "cannot be stored" in api.json()["message"]
    # The failed statement was rolled back: the session works again.
    assert db.exec(select(Team)).all() is not None
