"""Family summary with 5,000 chronology entries and a completed assessment (SQLite).

Prints the median and slowest time, over a few rounds, to build the summary document alone,
and to serve the summary page, the PDF and the Word file through the real app (session,
permissions, audit, templates, Typst, python-docx)."""

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
from app.main import create_app
from app.models.accounts import Role
from app.models.assessment import Classification, FactorEvidence
from app.models.base import utcnow
from app.models.chronology import ChronologyEntry, ChronologyEntryTheme
from app.models.progress import GateDecision
from app.summary.build import build_summary
from tests.factories import (
    make_adult,
    make_child,
    make_family,
    make_return,
    make_team,
    make_user,
    start_session,
)
from tests.support.assessment import V1, rate, save

ENTRIES = 5_000
ROUNDS = 5


def load(session, seed: int = 7):  # type: ignore[no-untyped-def]
    """A family with children, parents, 5,000 entries and every assessment section done."""
    rng = random.Random(seed)
    team = make_team(session, "Bench team")
    practitioner = make_user(session, roles=[Role.PRACTITIONER], team=team, name="Bench Worker")
    supervisor = make_user(session, roles=[Role.SUPERVISOR], team=team, name="Bench Supervisor")
    family = make_family(session, team=team, allocated_to=practitioner)
    children = [make_child(session, family, name=f"Child {n}") for n in range(3)]
    make_return(session, children[0])
    parents = [make_adult(session, family, name=f"Parent {n}") for n in range(2)]
    themes = [theme.id for theme in V1.chronology.themes]
    grades = [grade.id for grade in V1.chronology.significance]
    sources = [source.id for source in V1.chronology.information_sources]
    entries = []
    for number in range(ENTRIES):
        entry = ChronologyEntry(
            family_id=family.id,
            occurred_on=date(2012, 1, 1) + timedelta(days=rng.randrange(5000)),
            date_precision="day",
            source_id=rng.choice(sources),
            what_happened=f"Event {number}: " + "what happened, in the practitioner's words. " * 4,
            impact_on_child="How it affected the child. " * 3,
            significance=rng.choice(grades),
            third_party=rng.random() < 0.1,
            author_id=practitioner.id,
        )
        entries.append(entry)
    session.add_all(entries)
    session.flush()
    session.add_all(
        ChronologyEntryTheme(entry_id=entry.id, theme_id=theme)
        for entry in entries
        for theme in rng.sample(themes, 2)
    )
    for domain in V1.domains:
        factors = [*domain.risk_factors, *domain.protective_factors]
        statuses = {f.id: rng.choice(["present", "absent", "unknown"]) for f in factors}
        rate(session, practitioner, family, f"factors-{domain.id}", statuses)
        for factor in factors:
            for entry in rng.sample(entries, 3):
                session.add(
                    FactorEvidence(
                        family_id=family.id,
                        factor_id=factor.id,
                        kind="chronology",
                        chronology_entry_id=entry.id,
                        added_by_id=practitioner.id,
                    )
                )
    for parent in parents:
        prefix = f"a.capacity[{parent.id}]"
        save(
            session,
            practitioner,
            family,
            "capacity-to-change",
            {
                f"{prefix}.accepts-concerns": "partly",
                f"items.capacity[{parent.id}].problem-areas": "one",
                f"{prefix}.problem-areas[one].problem-area": "substance-misuse",
                f"{prefix}.problem-areas[one].readiness-stage": "contemplation",
            },
        )
    for child in children:
        save(
            session,
            practitioner,
            family,
            "wishes-and-feelings",
            {f"a.child-views[{child.id}].seen-alone": "yes"},
        )
    session.add(
        Classification(
            family_id=family.id,
            section_id="classification-before-plan",
            timepoint_id="before-plan",
            content_version=V1.version,
            suggested_level="high",
            practitioner_level="high",
            rationale="Agreed with the rules.",
            submitted_by_id=practitioner.id,
            status="agreed",
            supervisor_agrees=True,
            reviewed_by_id=supervisor.id,
            reviewed_at=utcnow(),
        )
    )
    session.add(
        GateDecision(
            family_id=family.id,
            gate_id="decision-work-towards-return",
            option_id="work-towards-return",
            rationale="Work towards a return with a written agreement.",
            decided_by_id=supervisor.id,
            framework_version=V1.version,
        )
    )
    token = start_session(session, supervisor)
    session.commit()
    return family, supervisor, token


def timed(label: str, action: Callable[[], object]) -> None:
    action()  # warm caches (templates, fonts) before measuring
    timings = []
    for _ in range(ROUNDS):
        began = time.perf_counter()
        action()
        timings.append((time.perf_counter() - began) * 1000)
    print(f"{label:32} median {statistics.median(timings):7.0f} ms   max {max(timings):7.0f} ms")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = make_engine(url)
        migrate(engine)
        started = time.perf_counter()
        with open_session(engine) as session:
            family, supervisor, token = load(session)
        print(
            f"loaded a family with {ENTRIES} chronology entries and a completed assessment "
            f"in {time.perf_counter() - started:.1f} s"
        )
        with open_session(engine) as session:
            timed(
                "build the summary document",
                lambda: build_summary(session, family=family, content=V1, produced_by=supervisor),
            )
        app = create_app(
            Settings(environment=Environment.TEST, database_url=url, data_dir=Path(folder))
        )
        base = f"/families/{family.id}/summary"
        with TestClient(app) as client:
            client.cookies.set("homeward_session", token)
            sizes = {}
            for label, path in (("page", base), ("PDF", base + ".pdf"), ("Word", base + ".docx")):
                response = client.get(path)
                assert response.status_code == 200, response.text[:300]
                sizes[label] = len(response.content)
                timed(f"serve the summary {label}", lambda path=path: client.get(path))
            print(
                "sizes: "
                + ", ".join(f"{label} {size / 1024:.0f} KiB" for label, size in sizes.items())
            )


if __name__ == "__main__":
    main()
