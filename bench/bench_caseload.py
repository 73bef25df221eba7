"""Caseload page latency with 5,000 families in the database (SQLite, in-process HTTP).

Prints the median and 95th percentile server time of the team view, a search, a filter and
a later page, measured through the real app (session, permissions, audit, templates)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Environment, Settings
from app.db import make_engine, migrate, open_session
from app.main import create_app
from app.models.accounts import Role
from tests.factories import make_child, make_family, make_team, make_user, start_session

FAMILIES = 5_000
ROUNDS = 40
QUERIES = {
    "team view, first page": "/families?scope=team",
    "search by child name": "/families?scope=team&search=child%204321",
    "overdue filter": "/families?scope=team&flag=overdue",
    "page 150, sorted by name": "/families?scope=team&sort=name&page=150",
}


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = make_engine(url)
        migrate(engine)
        started = time.perf_counter()
        with open_session(engine) as session:
            team = make_team(session, "Bench team")
            supervisor = make_user(session, roles=[Role.SUPERVISOR], team=team)
            practitioners = [make_user(session, team=team) for _ in range(20)]
            for number in range(FAMILIES):
                family = make_family(
                    session,
                    team=team,
                    allocated_to=practitioners[number % 20],
                    display_name=f"Family {number}",
                )
                make_child(session, family, name=f"Child {number}")
            token = start_session(session, supervisor)
            session.commit()
        print(f"loaded {FAMILIES} families in {time.perf_counter() - started:.1f} s")
        app = create_app(
            Settings(environment=Environment.TEST, database_url=url, data_dir=Path(folder))
        )
        with TestClient(app) as client:
            client.cookies.set("homeward_session", token)
            for label, path in QUERIES.items():
                assert client.get(path).status_code == 200
                timings = []
                for _ in range(ROUNDS):
                    began = time.perf_counter()
                    client.get(path)
                    timings.append((time.perf_counter() - began) * 1000)
                timings.sort()
                print(
                    f"{label:28} median {statistics.median(timings):6.1f} ms   "
                    f"p95 {timings[int(ROUNDS * 0.95) - 1]:6.1f} ms"
                )


if __name__ == "__main__":
    main()
