"""Failing cleanly: the health check when the database is down or hung, the 503 page when a
request cannot reach the database, a 500 page that never fails itself, and a connection that
is still usable after a 500. Real HTTP through the app, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.exc import SQLAlchemyError

from app.config import Settings
from app.db import make_engine, open_session
from app.deps import SessionDep
from app.main import create_app
from app.models.accounts import Role
from tests.factories import make_team, make_user, start_session
from tests.support.client import soup
from tests.support.html import check_html

# Anything the answers must never show: where the database is.
UNREACHABLE_URL = "postgresql+psycopg://homeward:secret-pw@127.0.0.1:1/secret_db_name"


def assert_clean_page(response, status: int, heading: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    check_html(response.text, url=str(response.url))
    page = soup(response)
    assert page.h1 is not None
    assert page.h1.get_text(strip=True) == heading
    for header in ("content-security-policy", "x-content-type-options", "x-frame-options"):
        assert header in response.headers, header
    assert response.headers["x-request-id"] in response.text
    for secret in ("secret-pw", "secret_db_name", "127.0.0.1", "Traceback"):
        assert secret not in response.text


def app_on(settings: Settings, url: str) -> FastAPI:
    return create_app(settings.model_copy(update={"database_url": url}))


@pytest.fixture
def hung_database() -> Iterator[str]:
    """A server that accepts connections and never answers, like a database that hangs."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    yield f"postgresql+psycopg://homeward:secret-pw@127.0.0.1:{port}/secret_db_name"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_healthz_answers_ok_when_the_database_does(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "content-security-policy" in response.headers


def test_healthz_says_unavailable_and_names_no_database(settings: Settings, tmp_path: Path) -> None:
    for url in (UNREACHABLE_URL, f"sqlite:///{tmp_path / 'missing' / 'secret_db_name.db'}"):
        response = TestClient(app_on(settings, url)).get("/healthz")
        assert response.status_code == 503
        assert response.json() == {
            "status": "unavailable",
            "message": "The database is not answering.",
        }
        assert "secret_db_name" not in response.text
        assert "127.0.0.1" not in response.text


def test_healthz_ignores_a_session_cookie(settings: Settings) -> None:
    """It never resolves the cookie, so a database that is down cannot make it a 500."""
    client = TestClient(app_on(settings, UNREACHABLE_URL))
    client.cookies.set("homeward_session", "a" * 64)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_healthz_answers_quickly_while_the_database_hangs(
    settings: Settings, hung_database: str
) -> None:
    """Not after the pool's 30-second wait: within its own timeout, and several checks at
    once wait for one probe rather than each opening a connection to the hung server."""
    client = TestClient(app_on(settings, hung_database))
    started = time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: client.get("/healthz").status_code, range(4)))
    assert statuses == [503] * 4
    assert time.monotonic() - started < 15
    probes = [thread for thread in threading.enumerate() if thread.name == "homeward-healthz"]
    assert len(probes) <= 1


def test_a_page_answers_503_when_the_database_is_down(settings: Settings) -> None:
    client = TestClient(app_on(settings, UNREACHABLE_URL))
    client.cookies.set("homeward_session", "a" * 64)
    assert_clean_page(client.get("/families"), 503, "Sorry, the service is unavailable")
    assert client.get("/families").headers["retry-after"] == "30"
    api = client.get("/api/v1/families")
    assert api.status_code == 503
    assert api.json() == {
        "message": "Sorry, the service is unavailable. Try again in a few minutes."
    }


@pytest.fixture
def signed_in(engine: Engine) -> str:
    """A session cookie for a user committed to the database (the apps below use their own
    connections, not the test's rolled-back one)."""
    with open_session(engine) as session:
        team = make_team(session, f"Failures {uuid.uuid4().hex[:8]}")
        user = make_user(session, roles=[Role.PRACTITIONER], team=team, name="Fay Failure")
        token = start_session(session, user)
        session.commit()
    return token


def test_the_500_page_never_needs_the_database(
    settings: Settings, engine: Engine, signed_in: str
) -> None:
    """The signed-in person's details have to be reloaded and the connection is gone: the
    error page is still the service's own page, with its security headers."""
    application = app_on(settings, engine.url.render_as_string(hide_password=False))

    @application.get("/test-only/broken")
    def broken(request: Request, session: SessionDep) -> Response:
        session.expire(request.state.user)
        session.connection().invalidate()
        raise RuntimeError("after the connection was lost")

    client = TestClient(application, raise_server_exceptions=False)
    client.cookies.set("homeward_session", signed_in)
    response = client.get("/test-only/broken")
    assert_clean_page(response, 500, "Sorry, there is a problem with the service")


def test_a_500_page_that_cannot_be_drawn_is_still_a_page(
    settings: Settings, engine: Engine, signed_in: str
) -> None:
    application = app_on(settings, engine.url.render_as_string(hide_password=False))

    class BrokenTemplates:
        def TemplateResponse(self, *args: object, **kwargs: object) -> Response:
            raise RuntimeError("the templates are broken too")

    @application.get("/test-only/crash")
    def crash(request: Request) -> Response:
        request.app.state.templates = BrokenTemplates()
        raise RuntimeError("first failure")

    client = TestClient(application, raise_server_exceptions=False)
    client.cookies.set("homeward_session", signed_in)
    assert_clean_page(
        client.get("/test-only/crash"), 500, "Sorry, there is a problem with the service"
    )


def test_the_connection_is_usable_after_a_500(settings: Settings, engine: Engine) -> None:
    """One pooled connection: a request that broke its transaction and failed hands it back
    clean, so the next request can use it."""
    url = engine.url.render_as_string(hide_password=False)
    application = app_on(settings, url)
    application.state.engine = make_engine(url, pool_size=1, max_overflow=0, pool_timeout=5)

    @application.get("/test-only/abort")
    def abort(session: SessionDep) -> Response:
        # On PostgreSQL the transaction is aborted after this.
        with contextlib.suppress(SQLAlchemyError):
            session.execute(text("SELECT * FROM no_such_table"))
        raise RuntimeError("a failure after a failed statement")

    @application.get("/test-only/count")
    def count(session: SessionDep) -> Response:
        users = session.execute(text("SELECT count(*) FROM user_account")).scalar_one()
        return PlainTextResponse(str(users))

    client = TestClient(application, raise_server_exceptions=False)
    for _ in range(3):
        assert client.get("/test-only/abort").status_code == 500
        answer = client.get("/test-only/count")
        assert answer.status_code == 200, answer.text
        assert int(answer.text) >= 0
    application.state.engine.dispose()
