"""Time of each report on a generated database (bench/generate.py), all teams and one team,
over the three financial years before the data's date: the report built in the database
(every query), and its page served over in-process HTTP to a manager.

    .venv/bin/python bench/generate.py --database-url postgresql+psycopg://... \\
        --families 2000 --entries 100000 --reset
    .venv/bin/python bench/bench_reports.py --database-url postgresql+psycopg://...

Without --database-url it generates a small SQLite database (200 families) in a temporary
folder first, so that `make bench` runs it anywhere. Prints the median and 95th percentile of
each, the number of families, returns home, reviews and classifications counted, and the
machine's load average before and after.

--read-only times the reports only, in one transaction that is rolled back, and leaves out the
pages (they add a manager, a session and audit entries): for a database someone else filled
and is measuring. --rounds sets the rounds of each (7)."""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Environment, Settings
from app.db import make_engine, migrate
from app.forms.family import date_parts
from app.main import create_app
from app.models.accounts import Role, Team, User
from app.models.assessment import Classification
from app.models.family import Family
from app.models.journey import ChildReturn, ReviewCycle
from app.services import reports
from app.services.reports.scope import ALL_TEAMS, Scope
from bench import generate
from tests.factories import CONTENT, make_user, start_session

ROUNDS = 7
MANAGER = "bench.manager@bench.homeward.test"


def load() -> str:
    return "load average " + " / ".join(f"{value:.1f}" for value in os.getloadavg())


def timed(label: str, call: Callable[[], object], rounds: int = ROUNDS) -> None:
    call()  # warm caches and the database's own
    timings = []
    for _ in range(rounds):
        began = time.perf_counter()
        call()
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    p95 = timings[max(0, round(rounds * 0.95) - 1)]
    print(f"{label:52} median {statistics.median(timings):8.1f} ms   p95 {p95:8.1f} ms")


def bench(url: str, data_dir: str, *, rounds: int = ROUNDS, read_only: bool = False) -> None:
    engine = make_engine(url)
    if not read_only:
        migrate(engine)  # as the app does when it starts: the data may predate a migration
    content = CONTENT.latest("reunification")
    print(f"{os.cpu_count()} CPUs, {load()} at the start")
    with Session(engine) as session:
        # The data's own today: its latest return home, review held or family started.
        today = max(
            day
            for day in (
                session.scalar(select(func.max(ChildReturn.returned_on))),
                session.scalar(select(func.max(ReviewCycle.held_on))),
                session.scalar(select(func.max(Family.work_started_on))),
            )
            if day is not None
        )
        year = today.year if today.month >= 4 else today.year - 1
        start = date(year - 2, 4, 1)
        team = session.scalars(select(Team).order_by(Team.name)).first()
        assert team is not None, "generate a database first (bench/generate.py)"
        counts = {
            "families": session.scalar(select(func.count()).select_from(Family)),
            "returns home": session.scalar(select(func.count()).select_from(ChildReturn)),
            "reviews": session.scalar(select(func.count()).select_from(ReviewCycle)),
            "classifications": session.scalar(select(func.count()).select_from(Classification)),
        }
        print(
            f"{engine.dialect.name}, counted on {today}, from {start}: "
            + ", ".join(f"{value:,} {name}" for name, value in counts.items())
        )
        for teams, name in ((None, ALL_TEAMS), ((team.id,), team.name)):
            scope = Scope("reunification", teams, name, start, today, today)
            for module in reports.REPORTS:
                timed(
                    f"{module.TITLE} ({'all teams' if teams is None else 'one team'})",
                    lambda module=module, scope=scope: module.build(session, scope, content),  # type: ignore[misc]
                    rounds,
                )
        if read_only:
            session.rollback()
            print(f"{load()} at the end")
            engine.dispose()
            return
        manager = session.scalars(select(User).where(User.email_key == MANAGER)).first()
        if manager is None:
            manager = make_user(session, roles=[Role.MANAGER], name="Bench Manager", email=MANAGER)
        token = start_session(session, manager)
        session.commit()
        app = create_app(
            Settings(environment=Environment.TEST, database_url=url, data_dir=Path(data_dir))
        )
        query = {**date_parts("date_from", start), **date_parts("date_to", today)}
        with TestClient(app) as client:
            client.cookies.set("homeward_session", token)
            for module in reports.REPORTS:
                path = f"/reports/{module.SLUG}"
                response = client.get(path, params=query)
                assert response.status_code == 200, (path, response.status_code)
                timed(
                    f"page: {module.TITLE} (all teams)",
                    lambda path=path: client.get(path, params=query),  # type: ignore[misc]
                    rounds,
                )
    print(f"{load()} at the end")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a database bench/generate.py filled")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="rounds of each (7)")
    parser.add_argument(
        "--read-only", action="store_true", help="the reports only, rolled back; no pages"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if args.database_url:
            bench(args.database_url, folder, rounds=args.rounds, read_only=args.read_only)
            return
        url = f"sqlite:///{Path(folder) / 'reports.sqlite3'}"
        generate.main(["--database-url", url, "--families", "200", "--entries", "20000"])
        bench(url, folder)


if __name__ == "__main__":
    main()
