"""The database drops every connection, again and again, then refuses connections altogether
and is let back: through it all, every request through either app process gets its answer or
a clean 503 page (never a 500, never a dropped connection), the health check says 503 quickly,
and once the database is back both processes serve again without being restarted."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx2 as httpx
from psycopg import sql
from sqlalchemy.engine import make_url

from tests.faults.conftest import Seed, Visitor
from tests.support.postgres import admin_connection
from tests.support.processes import AppProcess

# How long each outage lasts, as a number of probe rounds seen by both processes.
ROUNDS_DURING = 20
CHILD = {
    "date_of_birth": "2015-04-01",
    "gender": "girl",
    "legal_status": "interim-care-order",
    "date_entered_care": "2025-09-01",
    "entry_reason": "neglect",
    "placement_type": "foster-care",
    "placement_moves": 1,
}


@dataclass
class Answer:
    at: float
    server: str
    what: str
    status: int
    clean: bool
    seconds: float


@dataclass
class Probe:
    """Requests to both processes in turn, all the time: a page that reads the database, a
    write, and the health check."""

    seed: Seed
    servers: list[AppProcess]
    answers: list[Answer] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    rounds: int = 0

    def run(self) -> None:
        visitor = Visitor(self.servers[0].url)
        visitor.sign_in(self.seed.email)
        family = self.seed.family_ids[0]
        number = 0
        try:
            while not self.stop.is_set():
                for server in self.servers:
                    self._ask(server, "page", lambda s=server: visitor.request("GET", "/home", s))
                    number += 1
                    name = f"outage-{number:05d}"
                    answer = self._ask(
                        server,
                        "write",
                        lambda s=server, n=name: visitor.request(
                            "POST",
                            f"/api/v1/families/{family}/children",
                            s,
                            json={"name": n, **CHILD},
                        ),
                    )
                    if answer.status == 201:
                        self.written.append(name)
                    self._ask(
                        server, "health", lambda s=server: httpx.get(s.url + "/healthz", timeout=60)
                    )
                self.rounds += 1
        finally:
            visitor.close()

    def _ask(self, server: AppProcess, what: str, send) -> Answer:  # type: ignore[no-untyped-def]
        started = time.monotonic()
        try:
            response = send()
            status, clean = response.status_code, is_clean(response, what)
        except httpx.TransportError:
            status, clean = 0, False
        answer = Answer(started, server.name, what, status, clean, time.monotonic() - started)
        self.answers.append(answer)
        return answer

    def wait_rounds(self, count: int) -> None:
        target = self.rounds + count
        while self.rounds < target:
            time.sleep(0.05)


def is_clean(response: httpx.Response, what: str) -> bool:
    """An answer, or a 503 that is the service's own: a page (or JSON) with its headers and
    nothing about the database in it."""
    if response.status_code in (200, 201):
        return True
    if response.status_code != 503:
        return False
    body = response.text
    if "secret" in body or "postgresql" in body.lower() or "127.0.0.1" in body:
        return False
    if what == "health":
        return response.json()["status"] == "unavailable"
    if what == "write":
        return "unavailable" in response.json()["message"]
    return (
        "Sorry, the service is unavailable" in body
        and "content-security-policy" in response.headers
        and response.headers.get("retry-after") == "30"
    )


@contextmanager
def probing(seed: Seed, servers: list[AppProcess]) -> Iterator[Probe]:
    probe = Probe(seed, servers)
    thread = threading.Thread(target=probe.run)
    thread.start()
    try:
        probe.wait_rounds(3)
        yield probe
    finally:
        probe.stop.set()
        thread.join(timeout=300)


def database_name(seed: Seed) -> str:
    return str(make_url(seed.url).database)


def cut_connections(seed: Seed) -> None:
    """End the apps' connections. Only the apps' own role: an autovacuum worker on the
    database has no role, and ending it needs a superuser."""
    with admin_connection() as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND usename = current_user AND pid <> pg_backend_pid()",
            (database_name(seed),),
        )


def allow_connections(seed: Seed, allowed: bool) -> None:
    with admin_connection() as connection:
        connection.execute(
            sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS {}").format(
                sql.Identifier(database_name(seed)), sql.Literal(allowed)
            )
        )


def recovery_seconds(probe: Probe, since: float) -> dict[str, float]:
    """For each process, how long after `since` its first good page came back."""
    return {
        server.name: round(
            min(
                (
                    answer.at + answer.seconds - since
                    for answer in probe.answers
                    if answer.server == server.name
                    and answer.at >= since
                    and answer.what == "page"
                    and answer.status == 200
                ),
                default=float("inf"),
            ),
            2,
        )
        for server in probe.servers
    }


def test_requests_fail_cleanly_and_recover_without_a_restart(
    seed: Seed, apps: list[AppProcess]
) -> None:
    pids = [app.pid for app in apps]
    with probing(seed, apps) as probe:
        # Every connection the apps hold is cut, again and again.
        cut_from = time.monotonic()
        target = probe.rounds + ROUNDS_DURING
        while probe.rounds < target:
            cut_connections(seed)
            time.sleep(0.2)
        cut_until = time.monotonic()
        probe.wait_rounds(3)
        after_cuts = recovery_seconds(probe, cut_until)

        # The database refuses every connection, then lets them in again.
        allow_connections(seed, False)
        cut_connections(seed)
        refused_from = time.monotonic()
        probe.wait_rounds(ROUNDS_DURING)
        allow_connections(seed, True)
        restored = time.monotonic()
        probe.wait_rounds(3)
        after_refusal = recovery_seconds(probe, restored)

    answers = probe.answers
    unclean = [answer for answer in answers if not answer.clean]
    during_refusal = [a for a in answers if refused_from <= a.at and a.at + a.seconds <= restored]
    refused = [a for a in during_refusal if a.status == 503]
    health = [a for a in during_refusal if a.what == "health"]
    print(
        f"\nOUTAGES requests={len(answers)} during_cuts="
        f"{sum(cut_from <= a.at <= cut_until for a in answers)} "
        f"refused_503={len(refused)} recovery_after_cuts={after_cuts} "
        f"recovery_after_refusal={after_refusal} "
        f"slowest_health_503={max((a.seconds for a in health), default=0):.2f}s"
    )
    assert max(after_cuts.values()) < float("inf"), "a process never served again"
    assert max(after_refusal.values()) < float("inf"), "a process never served again"
    assert not unclean, [(a.server, a.what, a.status, round(a.seconds, 2)) for a in unclean[:20]]
    assert refused, "no request saw the database refusing connections"
    assert health
    assert all(a.status == 503 for a in health)
    assert [app.pid for app in apps] == pids, "a process was restarted"
    assert all(app.alive() for app in apps)

    # Every write acknowledged through the outages is there.
    with seed.engine.connect() as connection:
        saved = {
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT name FROM child WHERE name LIKE 'outage-%%'"
            )
        }
    assert set(probe.written) <= saved
