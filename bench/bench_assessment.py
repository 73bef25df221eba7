"""Assessment page latency and the time to compute the suggested level, for a family with
5,000 chronology entries and a completed assessment (SQLite, in-process HTTP).

Prints the median and 95th percentile server time of each kind of assessment page (a
questions section, a per-parent section, a factors section, the evidence picker, the
classification page, the version page) and of `classification.suggest` on its own."""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Environment, Settings
from app.db import make_engine, migrate, open_session
from app.demo.assessment import add_evidence, fill_section, form_sections
from app.main import create_app
from app.models.accounts import Role
from app.models.chronology import ChronologyEntry, ChronologyEntryTheme
from app.models.family import Family
from app.services import classification
from app.services.audit import Actor
from tests.factories import (
    CONTENT,
    make_adult,
    make_child,
    make_family,
    make_team,
    make_user,
    start_session,
)

ENTRIES = 5_000
ROUNDS = 30
THEMES = ("domestic-abuse-incident", "substance-use-incident", "service-progress", "good-contact")
GRADES = ("red", "amber", "green")


def timed(label: str, call: Callable[[], object]) -> None:
    call()  # warm caches and templates
    timings = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        call()
        timings.append((time.perf_counter() - began) * 1000)
    timings.sort()
    print(
        f"{label:34} median {statistics.median(timings):7.1f} ms   "
        f"p95 {timings[int(ROUNDS * 0.95) - 1]:7.1f} ms"
    )


def main() -> None:
    content = CONTENT.latest("reunification")
    randomiser = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = make_engine(url)
        migrate(engine)
        started = time.perf_counter()
        with open_session(engine) as session:
            team = make_team(session, "Bench team")
            practitioner = make_user(session, roles=[Role.PRACTITIONER], team=team)
            family = make_family(session, team=team, allocated_to=practitioner)
            make_adult(session, family, name="Kim Bench")
            make_adult(session, family, name="Lee Bench")
            make_child(session, family, name="Amy Bench")
            make_child(session, family, name="Ben Bench", born=date(2019, 2, 1))
            for number in range(ENTRIES):
                entry = ChronologyEntry(
                    family_id=family.id,
                    occurred_on=date.today() - timedelta(days=randomiser.randrange(3650)),
                    date_precision="day",
                    source_id="police",
                    what_happened=f"Bench event {number}: police called after a report",
                    significance=randomiser.choice(GRADES),
                    author_id=practitioner.id,
                )
                session.add(entry)
                session.flush()
                session.add(
                    ChronologyEntryTheme(entry_id=entry.id, theme_id=randomiser.choice(THEMES))
                )
            session.commit()
            actor = Actor(user=practitioner, request_id="bench", path="bench")
            for section_id in form_sections(content):
                fill_section(session, actor, family, content, section_id, complete=True)
            add_evidence(session, actor, family, content)
            token = start_session(session, practitioner)
            session.commit()
            family_id = family.id
        print(
            f"loaded a family with {ENTRIES} chronology entries in "
            f"{time.perf_counter() - started:.1f} s"
        )

        with open_session(engine) as session:
            loaded = session.get(Family, family_id)
            assert loaded is not None
            timed(
                "suggestion (rules + explanation)",
                lambda: classification.suggest(session, family=loaded, content=content),
            )

        app = create_app(
            Settings(environment=Environment.TEST, database_url=url, data_dir=Path(folder))
        )
        base = f"/families/{family_id}"
        pages = {
            "questions section (identification)": f"{base}/sections/identification",
            "per-parent section (capacity)": f"{base}/sections/capacity-to-change",
            "per-child section (wishes)": f"{base}/sections/wishes-and-feelings",
            "factors section (substance misuse)": f"{base}/sections/factors-substance-misuse",
            "evidence picker (search)": f"{base}/factors/sm-r3/evidence?search=police",
            "classification page": f"{base}/classification/classification-before-plan",
            "framework version page": f"{base}/version",
        }
        with TestClient(app) as client:
            client.cookies.set("homeward_session", token)
            for label, path in pages.items():
                assert client.get(path).status_code == 200, path
                timed(label, lambda path=path: client.get(path))  # type: ignore[misc]


if __name__ == "__main__":
    main()
