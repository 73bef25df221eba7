"""What the request hardening costs and how fast it refuses (SQLite, in-process HTTP).

Prints the median server time of: a form post at the size a page sends (strict UTF-8 check
included), a form post of nearly the whole 1 MiB allowed, an oversized body refused from its
Content-Length and one refused while it streams in, an over-long query string, a query with
a control character, and the page that an attack on every field re-renders."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Environment, Settings
from app.db import make_engine, migrate, open_session
from app.main import create_app
from app.models.accounts import Role
from tests.factories import csrf_token, make_team, make_user, start_session

ROUNDS = 30
MIB = 1024 * 1024


def chunks(total: int) -> Iterator[bytes]:
    for _ in range(total // (64 * 1024)):
        yield b"a" * (64 * 1024)


def median_ms(action: Callable[[], int], expected: int) -> float:
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        status = action()
        times.append(time.perf_counter() - started)
        assert status == expected, f"expected {expected}, got {status}"
    return statistics.median(times) * 1000


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = make_engine(url)
        migrate(engine)
        with open_session(engine) as session:
            admin = make_user(session, roles=[Role.ADMIN], team=make_team(session, "Bench"))
            token = start_session(session, admin)
            session.commit()
        app = create_app(
            Settings(environment=Environment.TEST, database_url=url, data_dir=Path(folder))
        )
        with TestClient(app) as client:
            client.cookies.set("homeward_session", token)
            csrf = csrf_token(client)  # type: ignore[arg-type]
            form = {"content-type": "application/x-www-form-urlencoded", "X-CSRF-Token": csrf}
            near_limit = b"name=" + b"a" * (MIB - 1024)
            figures = {
                "team form with an error (1 KiB body)": median_ms(
                    lambda: (
                        client.post(
                            "/admin/teams", content=b"name=" + b"x" * 1000, headers=form
                        ).status_code
                    ),
                    200,
                ),
                "form of nearly 1 MiB, read strictly": median_ms(
                    lambda: (
                        client.post("/admin/teams", content=near_limit, headers=form).status_code
                    ),
                    200,
                ),
                "2 MiB refused from Content-Length": median_ms(
                    lambda: (
                        client.post(
                            "/admin/teams", content=b"a" * (2 * MIB), headers=form
                        ).status_code
                    ),
                    413,
                ),
                "2 MiB streamed, refused at 1 MiB": median_ms(
                    lambda: (
                        client.post(
                            "/admin/teams", content=chunks(2 * MIB), headers=form
                        ).status_code
                    ),
                    413,
                ),
                "9 KiB query string refused": median_ms(
                    lambda: client.get("/admin/users?search=" + "a" * 9000).status_code, 414
                ),
                "query with NUL refused": median_ms(
                    lambda: client.get("/admin/users?search=a%00b").status_code, 400
                ),
                "user list (for comparison)": median_ms(
                    lambda: client.get("/admin/users?search=a").status_code, 200
                ),
            }
    width = max(len(label) for label in figures)
    for label, milliseconds in figures.items():
        print(f"{label:<{width}}  median {milliseconds:7.2f} ms over {ROUNDS} requests")


if __name__ == "__main__":
    main()
