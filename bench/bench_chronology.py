"""Chronology latency for a family with 5,000 entries (SQLite, in-process HTTP).

The server time of a page includes the test client's small share; the CPU column is the
process's CPU time per request, the better figure on a machine busy with other work.

Prints the median and 95th percentile server time of pages of entries (first page, a later
page, filtered, searched, sorted by significance), of the analysis on its own (the service
call), of the analysis page, the timeline and the CSV export, and how many SQL statements
the analysis runs (it never loads the whole history)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import event, insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import Environment, Settings
from app.db import make_engine, migrate, open_session
from app.main import create_app
from app.models.accounts import Role
from app.models.base import new_id, utcnow
from app.models.chronology import ChronologyEntry, ChronologyEntryChild, ChronologyEntryTheme
from app.services.chronology_analysis import analyse_chronology
from tests.factories import (
    CONTENT,
    make_child,
    make_family,
    make_return,
    make_team,
    make_user,
    start_session,
)

ENTRIES = 5_000
ROUNDS = 30
CONTENT_V1 = CONTENT.latest("reunification")


def timed(label: str, action: Callable[[], object]) -> None:
    """Wall-clock time, and the CPU time of this process (app and client alike), which a
    busy machine inflates far less."""
    action()
    timings, cpu = [], []
    for _ in range(ROUNDS):
        began, began_cpu = time.perf_counter(), time.process_time()
        action()
        timings.append((time.perf_counter() - began) * 1000)
        cpu.append((time.process_time() - began_cpu) * 1000)
    timings.sort()
    print(
        f"{label:36} median {statistics.median(timings):6.1f} ms   "
        f"p95 {timings[int(ROUNDS * 0.95) - 1]:6.1f} ms   "
        f"CPU median {statistics.median(cpu):6.1f} ms"
    )


def main() -> None:
    themes = [theme.id for theme in CONTENT_V1.chronology.themes]
    sources = [source.id for source in CONTENT_V1.chronology.information_sources]
    grades = [grade.id for grade in CONTENT_V1.chronology.significance]
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = make_engine(url)
        migrate(engine)
        started = time.perf_counter()
        with open_session(engine) as session:
            team = make_team(session, "Bench team")
            practitioner = make_user(session, roles=[Role.PRACTITIONER], team=team)
            family = make_family(session, team=team, allocated_to=practitioner)
            children = [make_child(session, family, name=f"Child {n}") for n in range(3)]
            make_return(session, children[0], returned_on=date(2016, 3, 1), broke_down=True)
            make_return(session, children[1], returned_on=date(2021, 5, 1), broke_down=True)
            first_day = date(2008, 1, 1)
            now = utcnow()
            rows, theme_rows, child_rows = [], [], []
            for number in range(ENTRIES):
                entry_id = new_id()
                rows.append(
                    {
                        "id": entry_id,
                        "family_id": family.id,
                        "occurred_on": first_day + timedelta(days=(number * 13) % 6500),
                        "date_precision": "day",
                        "source_id": sources[number % len(sources)],
                        "what_happened": f"Event {number}: a home visit found the flat cold "
                        "and the children hungry; the mother said money had run out.",
                        "significance": grades[number % len(grades)],
                        "third_party": number % 7 == 0,
                        "author_id": practitioner.id,
                        "version": 1,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                theme_rows += [
                    {"entry_id": entry_id, "theme_id": themes[(number + k) % len(themes)]}
                    for k in range(number % 3)
                ]
                child_rows.append({"entry_id": entry_id, "child_id": children[number % 3].id})
            session.execute(insert(ChronologyEntry), rows)
            session.execute(insert(ChronologyEntryTheme), theme_rows)
            session.execute(insert(ChronologyEntryChild), child_rows)
            token = start_session(session, practitioner)
            session.commit()
            family_id = family.id
        print(f"loaded {ENTRIES} entries in {time.perf_counter() - started:.1f} s")

        with open_session(engine) as session:
            family = session.get(type(family), family_id)
            assert family is not None
            statements: list[str] = []
            listener = lambda *args: statements.append(args[2])  # noqa: E731
            event.listen(engine, "before_cursor_execute", listener)
            analysis = analyse_chronology(session, family=family, content=CONTENT_V1)
            event.remove(engine, "before_cursor_execute", listener)
            print(
                f"analysis: {analysis.entries} entries, {len(analysis.themes)} themes, "
                f"{len(analysis.gaps)} gaps, {len(analysis.returns)} returns; "
                f"{len(statements)} SQL statements"
            )
            timed(
                "analyse_chronology (service)",
                lambda: analyse_chronology(session, family=family, content=CONTENT_V1),
            )

        app = create_app(
            Settings(environment=Environment.TEST, database_url=url, data_dir=Path(folder))
        )
        base = f"/families/{family_id}/chronology"
        pages = {
            "page 1 of entries (with analysis)": base,
            "page 150 of entries": f"{base}?page=150",
            "filtered by theme and significance": f"{base}?theme={themes[0]}&significance=red",
            "searched for words": f"{base}?q=event%204321",
            "sorted by significance, page 40": f"{base}?sort=significance&page=40",
            "htmx fragment, filtered by source": f"{base}?source={sources[3]}",
            "analysis page": f"{base}/analysis",
            "timeline": f"{base}/timeline",
            "CSV export (all 5,000)": f"{base}/export.csv",
        }
        with TestClient(app) as client:
            client.cookies.set("homeward_session", token)
            for label, path in pages.items():
                headers = {"HX-Request": "true"} if label.startswith("htmx") else {}
                assert client.get(path, headers=headers).status_code == 200, path
                timed(label, lambda path=path, headers=headers: client.get(path, headers=headers))


if __name__ == "__main__":
    main()
