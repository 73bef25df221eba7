"""Server time of the journey's pages, and of working out a family's task list, for the demo
families at each point of the journey (SQLite, in-process HTTP).

Prints the median and 95th percentile of: the overview of a family being monitored after two
returns home, its reviews, going-home and visits pages; a review decision waiting for a
supervisor; the outcomes of a closed case; the team's caseload; and `progress.refresh_family`
(the review cycles brought up to date and the caseload columns recomputed) on its own."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient
from sqlmodel import col, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import PLACEHOLDER_SECRET_KEY, Environment, Settings
from app.db import make_engine, migrate, open_session
from app.demo import load_demo
from app.main import create_app
from app.models.accounts import User
from app.models.family import Family
from app.services import progress
from tests.factories import CONTENT, start_session

ROUNDS = 30


def timed(label: str, call: Callable[[], object]) -> None:
    call()  # warm caches and templates
    timings = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        call()
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    print(
        f"{label:40} median {statistics.median(timings):7.1f} ms   "
        f"p95 {timings[int(ROUNDS * 0.95) - 1]:7.1f} ms"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = make_engine(url)
        migrate(engine)
        began = time.perf_counter()
        with open_session(engine) as session:
            load_demo(session, CONTENT, secret_key=PLACEHOLDER_SECRET_KEY)
            session.commit()
            print(f"loaded the demo in {time.perf_counter() - began:.1f} s")
            ids = {
                family.reference: family.id
                for family in session.exec(
                    select(Family).where(
                        col(Family.reference).in_(["RIV-2024-077", "RIV-2024-051", "RIV-2023-019"])
                    )
                )
            }
            supervisor = session.exec(
                select(User).where(col(User.email_key) == "grace.okafor@homeward.test")
            ).one()
            token = start_session(session, supervisor)
            session.commit()

            monitored = session.get(Family, ids["RIV-2024-077"])
            assert monitored is not None
            content = CONTENT.get(monitored.framework_id, monitored.framework_version)
            timed(
                "task list and cycles (refresh_family)",
                lambda: progress.refresh_family(session, monitored, content),
            )
            session.rollback()

        app = create_app(
            Settings(environment=Environment.TEST, database_url=url, data_dir=Path(folder))
        )
        walsh = f"/families/{ids['RIV-2024-077']}"
        pages = {
            "overview (two children home)": walsh,
            "reviews": f"{walsh}/reviews",
            "going home": f"{walsh}/going-home",
            "visits": f"{walsh}/visits",
            "review decision awaiting a supervisor": (
                f"/families/{ids['RIV-2024-051']}/decisions/review-decision"
            ),
            "outcomes of a closed case": f"/families/{ids['RIV-2023-019']}/outcomes",
            "team caseload": "/families?scope=team",
        }
        with TestClient(app) as client:
            client.cookies.set("homeward_session", token)
            for label, path in pages.items():
                response = client.get(path)
                assert response.status_code == 200, (path, response.status_code)
                timed(label, lambda path=path: client.get(path))  # type: ignore[misc]


if __name__ == "__main__":
    main()
