"""Each app process works on a few requests at once; the others wait, first come, first served
(app.admission). Documents and exports do not wait."""

import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.admission import Queue
from app.db import open_session
from app.main import create_app
from app.models.accounts import Role
from app.services import sessions
from tests.conftest import test_settings
from tests.factories import make_family, make_team, make_user, start_session


def _until(condition: Callable[[], bool], what: str) -> None:
    """Wait for the app's own signal (a request in the queue, a request begun), looking every
    hundredth of a second for up to 30 s."""
    for _ in range(3000):
        if condition():
            return
        time.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


@pytest.fixture
def one_at_a_time(engine: Engine, database_url: str, tmp_path: Path) -> FastAPI:
    app = create_app(test_settings(database_url, tmp_path, requests_at_once=1))
    app.state.engine = engine
    return app


@pytest.fixture
def people(engine: Engine) -> dict[str, str]:
    """Five signed-in practitioners, by name: each request below is one person's. E's family
    is under "family"."""
    with open_session(engine) as session:
        team = make_team(session, f"Queue {uuid.uuid4().hex[:8]}")
        users = {name: make_user(session, roles=[Role.PRACTITIONER], team=team) for name in "ABCDE"}
        tokens = {name: start_session(session, user) for name, user in users.items()}
        tokens["family"] = str(make_family(session, team=team, allocated_to=users["E"]).id)
        session.commit()
    return tokens


class Held:
    """Stands in for the sessions service's `resolve`, which every signed-in request calls
    first: records whose request got there, in order, and holds A's until released."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self.names = {token: name for name, token in tokens.items() if name != "family"}
        self.order: list[str] = []
        self.begun = threading.Event()
        self.release = threading.Event()
        self.resolve = sessions.resolve

    def __call__(self, session: Any, *, token: str, **kwargs: Any) -> Any:
        name = self.names[token]
        self.order.append(f"{name} in")
        if name == "A":
            self.begun.set()
            assert self.release.wait(60), "A was never released"
        self.order.append(f"{name} out")
        return self.resolve(session, token=token, **kwargs)


@pytest.fixture
def held(people: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Held]:
    holding = Held(people)
    monkeypatch.setattr(sessions, "resolve", holding)
    yield holding
    holding.release.set()


def _start(client: TestClient, token: str, path: str, statuses: dict[str, int]) -> threading.Thread:
    def get() -> None:
        response = client.get(
            path, headers={"Cookie": f"homeward_session={token}"}, follow_redirects=False
        )
        statuses[path + token] = response.status_code

    thread = threading.Thread(target=get)
    thread.start()
    return thread


def test_requests_beyond_the_limit_wait_in_the_order_they_came(
    one_at_a_time: FastAPI, people: dict[str, str], held: Held
) -> None:
    queue: Queue = one_at_a_time.state.queue
    statuses: dict[str, int] = {}
    with TestClient(one_at_a_time) as client:
        threads = [_start(client, people["A"], "/families", statuses)]
        _until(held.begun.is_set, "A's request begun")
        for waiting, name in enumerate("BCD", start=1):
            threads.append(_start(client, people[name], "/families", statuses))
            _until(lambda count=waiting: queue.waiting == count, f"{name} waiting")
        assert held.order == ["A in"], "a request began while A's was at work"
        held.release.set()
        for thread in threads:
            thread.join(60)
    assert held.order == ["A in", "A out", "B in", "B out", "C in", "C out", "D in", "D out"]
    assert set(statuses.values()) == {200}
    assert queue.waiting == 0


@pytest.fixture
def served(one_at_a_time: FastAPI) -> Iterator[tuple[int, uvicorn.Server]]:
    """The app served by uvicorn on a loopback port, in a thread of this process (so that
    `held` holds its requests): a browser's leaving is seen only by a real server. Gives the
    port and the server."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(one_at_a_time, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]})
    thread.start()
    try:
        _until(lambda: server.started, "the server started")
        yield listener.getsockname()[1], server
    finally:
        server.should_exit = True
        thread.join(60)
        listener.close()


def test_a_page_whose_browser_has_gone_is_not_drawn(
    one_at_a_time: FastAPI,
    people: dict[str, str],
    held: Held,
    served: tuple[int, uvicorn.Server],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """B asks for a page while A's holds the only place, then closes the connection (a tab
    closed, a page asked for again): when B's turn comes nothing of it is done, and C, who
    came after B and is still waiting, is served."""
    port, server = served
    queue: Queue = one_at_a_time.state.queue
    statuses: dict[str, int] = {}

    def get(name: str) -> threading.Thread:
        def run() -> None:
            cookies = {"homeward_session": people[name]}
            url = f"http://127.0.0.1:{port}/families"
            statuses[name] = httpx.get(url, cookies=cookies, timeout=60).status_code

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    first = get("A")
    _until(held.begun.is_set, "A's request begun")
    with socket.create_connection(("127.0.0.1", port)) as browser:
        browser.sendall(
            b"GET /families HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Cookie: homeward_session={people['B']}\r\n\r\n".encode()
        )
        _until(lambda: queue.waiting == 1, "B waiting")
    # The server has seen B's connection close when only A's is left.
    _until(lambda: len(server.server_state.connections) == 1, "B's connection closed")
    last = get("C")
    _until(lambda: queue.waiting == 2, "C waiting behind B")
    with caplog.at_level(logging.INFO, logger="app.errors"):
        held.release.set()
        first.join(60)
        last.join(60)
    assert held.order == ["A in", "A out", "C in", "C out"]
    assert statuses == {"A": 200, "C": 200}
    assert queue.waiting == 0
    assert "Not served, the browser had gone while it waited: GET /families" in caplog.text


def test_an_export_does_not_wait_behind_pages(
    one_at_a_time: FastAPI, people: dict[str, str], held: Held
) -> None:
    """Exports take turns among themselves, so they neither wait in the queue nor hold a
    place: E's chronology export is answered while A's page holds the only place."""
    queue: Queue = one_at_a_time.state.queue
    statuses: dict[str, int] = {}
    export = f"/families/{people['family']}/chronology/export.csv"
    with TestClient(one_at_a_time) as client:
        page = _start(client, people["A"], "/families", statuses)
        _until(held.begun.is_set, "A's request begun")
        _start(client, people["E"], export, statuses).join(60)
        assert held.order == ["A in", "E in", "E out"]
        assert statuses[export + people["E"]] == 200
        assert queue.waiting == 0
        held.release.set()
        page.join(60)
    assert statuses["/families" + people["A"]] == 200


def test_every_document_and_export_is_outside_the_queue(app: FastAPI) -> None:
    """Documents and exports take turns among themselves (app.summary.turns), and a PDF waits
    seconds for its drawing process: in the queue, they would hold every page back."""
    downloads = [
        route
        for route in iter_route_contexts(app.routes)
        if route.path.endswith((".pdf", ".docx", "export.csv", "export.json", "/export"))
        and not route.path.startswith("/content/")
    ]
    assert len(downloads) >= 12
    assert [
        route.path for route in downloads if not getattr(route.endpoint, "outside_queue", 0)
    ] == []


def test_sign_in_through_the_identity_provider_is_outside_the_queue(
    database_url: str, tmp_path: Path
) -> None:
    """It waits for the provider, not for this process."""
    settings = test_settings(
        database_url,
        tmp_path,
        oidc_issuer="https://login.council.test",
        oidc_client_id="homeward",
        oidc_client_secret="a secret",
        public_url="https://homeward.council.test",
    )
    routes = {
        route.path: route.endpoint for route in iter_route_contexts(create_app(settings).routes)
    }
    assert getattr(routes["/sign-in/provider"], "outside_queue", False)
    assert getattr(routes["/sign-in/provider/callback"], "outside_queue", False)
