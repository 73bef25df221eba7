"""Fault tests: two app processes on one PostgreSQL database of their own, driven over real
HTTP while processes are killed and the database cuts connections or refuses them.

They take a minute or two and need PostgreSQL, so they run only when RUN_FAULT_TESTS=1
(`.ci/run` sets it); `make test` skips them otherwise.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import Engine

from app.db import make_engine, migrate, open_session
from app.models.accounts import Role
from tests.factories import DEFAULT_PASSWORD, make_child, make_family, make_team, make_user
from tests.support.postgres import scratch_database
from tests.support.processes import AppProcess

RUN_FAULT_TESTS = os.environ.get("RUN_FAULT_TESTS") == "1"
WRITERS = 4
SECRET = "fault-tests-share-one-secret-key-across-both-processes"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/faults/" in str(item.path):
            item.add_marker(pytest.mark.faults)
            if not RUN_FAULT_TESTS:
                item.add_marker(pytest.mark.skip(reason="fault tests run with RUN_FAULT_TESTS=1"))


@dataclass(frozen=True)
class Seed:
    url: str
    engine: Engine
    email: str
    family_ids: list[uuid.UUID]


@pytest.fixture
def seed() -> Iterator[Seed]:
    """A scratch database, migrated, with a practitioner and one family per writer."""
    with scratch_database("faults") as url:
        engine = make_engine(url)
        migrate(engine)
        with open_session(engine) as session:
            team = make_team(session, "Fault team")
            user = make_user(
                session, roles=[Role.PRACTITIONER], team=team, email="faults@council.test"
            )
            families = []
            for number in range(WRITERS):
                family = make_family(session, team=team, allocated_to=user, identified=True)
                make_child(session, family, name=f"Child {number}")
                families.append(family.id)
            session.commit()
        yield Seed(url=url, engine=engine, email=user.email, family_ids=families)
        engine.dispose()


@pytest.fixture
def apps(seed: Seed, tmp_path: Path) -> Iterator[list[AppProcess]]:
    """Two app processes on the seeded database, started and answering."""
    environment = {
        "HOMEWARD_ENVIRONMENT": "test",
        "HOMEWARD_DATABASE_URL": seed.url,
        "HOMEWARD_DATA_DIR": str(tmp_path),
        "HOMEWARD_SECRET_KEY": SECRET,
    }
    processes = [AppProcess(name, tmp_path, environment) for name in ("app-a", "app-b")]
    for process in processes:
        process.start()
    for process in processes:
        process.wait_until_healthy()
    yield processes
    for process in processes:
        process.stop()


class Visitor:
    """A signed-in practitioner's HTTP client: one session cookie, valid on every process
    (sessions live in the database), and the CSRF token that goes with it."""

    def __init__(self, base_url: str) -> None:
        self.client = httpx.Client(base_url=base_url, timeout=60, follow_redirects=False)
        self.token = ""

    def sign_in(self, email: str, server: AppProcess | None = None) -> None:
        base = server.url if server else ""
        page = self.client.get(base + "/sign-in")
        response = self.client.post(
            base + "/sign-in",
            data={"email": email, "password": DEFAULT_PASSWORD, "csrf_token": csrf_of(page)},
        )
        assert response.status_code == 303, response.text[:500]
        self.token = csrf_of(self.client.get(base + "/home"))

    def request(self, method: str, url: str, server: AppProcess, **kwargs: Any) -> httpx.Response:
        headers = {"X-CSRF-Token": self.token, **kwargs.pop("headers", {})}
        return self.client.request(method, server.url + url, headers=headers, **kwargs)

    def close(self) -> None:
        self.client.close()


def csrf_of(page: httpx.Response) -> str:
    body = BeautifulSoup(page.text, "html.parser").body
    assert body is not None, page.text[:500]
    return str(json.loads(str(body["hx-headers"]))["X-CSRF-Token"])
