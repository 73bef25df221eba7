"""Bursts of writes of every kind through two app processes while one after the other is
killed (SIGKILL, mid-request) and started again. Afterwards every write the app acknowledged
is in the database with its audit entry, and no import is half-saved: a killed request either
committed all of its work or none of it."""

from __future__ import annotations

import itertools
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx2 as httpx
from bs4 import BeautifulSoup
from sqlalchemy import Engine, text

from tests.faults.conftest import Seed, Visitor
from tests.support.processes import AppProcess

KILLS = 4
IMPORT_ROWS = 3


@dataclass
class Write:
    kind: str
    marker: str
    family_id: uuid.UUID
    acknowledged: bool = False


@dataclass
class Log:
    writes: list[Write] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, write: Write) -> None:
        with self.lock:
            self.writes.append(write)

    def acknowledged(self) -> int:
        with self.lock:
            return sum(write.acknowledged for write in self.writes)


# Each write posts something carrying its marker and says whether the app acknowledged it.
WriteFunction = Callable[[Visitor, AppProcess, uuid.UUID, str], bool]


def api_child(visitor: Visitor, server: AppProcess, family_id: uuid.UUID, marker: str) -> bool:
    response = visitor.request(
        "POST",
        f"/api/v1/families/{family_id}/children",
        server,
        json={
            "name": marker,
            "date_of_birth": "2015-04-01",
            "gender": "girl",
            "legal_status": "interim-care-order",
            "date_entered_care": "2025-09-01",
            "entry_reason": "neglect",
            "placement_type": "foster-care",
            "placement_moves": 1,
        },
    )
    return response.status_code == 201


def api_adult(visitor: Visitor, server: AppProcess, family_id: uuid.UUID, marker: str) -> bool:
    response = visitor.request(
        "POST",
        f"/api/v1/families/{family_id}/adults",
        server,
        json={
            "name": marker,
            "relationship": "mother",
            "parental_responsibility": True,
            "lives_in_household": True,
        },
    )
    return response.status_code == 201


def api_family(visitor: Visitor, server: AppProcess, family_id: uuid.UUID, marker: str) -> bool:
    response = visitor.request(
        "POST", "/api/v1/families", server, json={"reference": marker, "display_name": marker}
    )
    return response.status_code == 201


def chronology_entry(
    visitor: Visitor, server: AppProcess, family_id: uuid.UUID, marker: str
) -> bool:
    response = visitor.request(
        "POST",
        f"/families/{family_id}/chronology/new",
        server,
        data={
            "occurred_on-day": "14",
            "occurred_on-month": "2",
            "occurred_on-year": "2024",
            "date_precision": "day",
            "source_id": "police",
            "what_happened": marker,
            "significance": "red",
        },
    )
    return response.status_code == 303


def chronology_import(
    visitor: Visitor, server: AppProcess, family_id: uuid.UUID, marker: str
) -> bool:
    rows = "".join(f"14/02/2024,Police,{marker}-row{n},Red\r\n" for n in range(IMPORT_ROWS))
    upload = visitor.request(
        "POST",
        f"/families/{family_id}/chronology/import",
        server,
        files={"file": (f"{marker}.csv", f"Date,Source,What happened,Significance\r\n{rows}")},
    )
    if upload.status_code != 303:
        return False
    confirm = visitor.request("POST", upload.headers["location"], server, data={"action": "import"})
    return confirm.status_code == 303


def section_save(visitor: Visitor, server: AppProcess, family_id: uuid.UUID, marker: str) -> bool:
    url = f"/families/{family_id}/sections/identification"
    page = visitor.request("GET", url, server)
    if page.status_code != 200:
        return False
    form = BeautifulSoup(page.text, "html.parser").find("form", id="section-form")
    assert form is not None
    hidden = {
        str(field["name"]): str(field.get("value", ""))
        for field in form.find_all("input", type="hidden")
    }
    response = visitor.request(
        "POST",
        url,
        server,
        data={**hidden, "a.return-considered-reason": marker, "action": "save"},
    )
    return response.status_code == 303


WRITES: dict[str, WriteFunction] = {
    "child": api_child,
    "adult": api_adult,
    "family": api_family,
    "chronology entry": chronology_entry,
    "chronology import": chronology_import,
    "assessment answer": section_save,
}


def writer(
    number: int,
    seed: Seed,
    servers: list[AppProcess],
    log: Log,
    stop: threading.Event,
) -> None:
    """One person saving one thing after another on their own family, through whichever
    process answers; a write whose response never came is simply not acknowledged."""
    family_id = seed.family_ids[number]
    kinds = itertools.cycle(WRITES)
    counter = itertools.count()
    visitor = Visitor(servers[0].url)
    try:
        # A process may be killed before this writer has signed in: then through the other.
        for server in itertools.islice(itertools.cycle(servers), 10):
            try:
                visitor.sign_in(seed.email, server)
                break
            except httpx.TransportError:
                continue
        else:
            raise AssertionError("no process let the writer sign in")
        while not stop.is_set():
            kind = next(kinds)
            write = Write(kind, f"burst-{number}-{next(counter):05d}", family_id)
            log.add(write)
            server = random.choice(servers)
            try:
                write.acknowledged = WRITES[kind](visitor, server, family_id, write.marker)
            except httpx.TransportError:
                write.acknowledged = False
    finally:
        visitor.close()


PRESENT = {
    "child": "SELECT count(*) = 1 FROM child WHERE name = :m",
    "adult": "SELECT count(*) = 1 FROM adult WHERE name = :m",
    "family": "SELECT count(*) = 1 FROM family WHERE display_name = :m",
    "chronology entry": "SELECT count(*) = 1 FROM chronology_entry WHERE what_happened = :m",
    "chronology import": (
        "SELECT count(*) = :rows FROM chronology_entry WHERE what_happened LIKE :m"
    ),
}


def present(engine: Engine, write: Write) -> bool:
    pattern = f"{write.marker}-row%" if write.kind == "chronology import" else write.marker
    with engine.connect() as connection:
        found = connection.execute(text(PRESENT[write.kind]), {"m": pattern, "rows": IMPORT_ROWS})
        return bool(found.scalar_one())


def lost_answers(engine: Engine, writes: list[Write]) -> list[str]:
    """Each save of the section replaces the answer, so only the last acknowledged save of
    each family must show: the saved answer is that save's or a later one's, never an
    earlier one's. And each acknowledged save left an audit entry."""
    problems = []
    with engine.connect() as connection:
        for family_id in {write.family_id for write in writes}:
            saves = [
                write
                for write in writes
                if write.kind == "assessment answer" and write.family_id == family_id
            ]
            acknowledged = [i for i, save in enumerate(saves) if save.acknowledged]
            if not acknowledged:
                continue
            stored = connection.execute(
                text(
                    "SELECT value_text FROM assessment_answer WHERE family_id = :f "
                    "AND answer_key = 'return-considered-reason'"
                ),
                {"f": family_id},
            ).scalar_one_or_none()
            allowed = {save.marker for save in saves[acknowledged[-1] :]}
            if stored not in allowed:
                problems.append(f"{family_id}: answer {stored!r}, expected one of {allowed}")
            audited = connection.execute(
                text(
                    "SELECT count(*) FROM audit_event WHERE family_id = :f "
                    "AND entity_type = 'assessment_section' AND action = 'update'"
                ),
                {"f": family_id},
            ).scalar_one()
            if audited < len(acknowledged):
                problems.append(f"{family_id}: {len(acknowledged)} saves, {audited} audited")
    return problems


def test_no_acknowledged_write_is_lost_when_processes_are_killed(
    seed: Seed, apps: list[AppProcess]
) -> None:
    log = Log()
    stop = threading.Event()
    threads = [
        threading.Thread(target=writer, args=(number, seed, apps, log, stop))
        for number in range(len(seed.family_ids))
    ]
    for thread in threads:
        thread.start()
    try:
        for kill in range(KILLS):
            # Kill in the middle of a burst: once some writes have gone through since the
            # last restart, without waiting a fixed time.
            target = log.acknowledged() + 10
            while log.acknowledged() < target:
                if not any(thread.is_alive() for thread in threads):
                    raise AssertionError("every writer stopped")
                time.sleep(0.05)
            victim = apps[kill % 2]
            victim.kill()
            victim.start()
            victim.wait_until_healthy()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=300)

    writes = log.writes
    acknowledged = [write for write in writes if write.acknowledged]
    lost = [
        write
        for write in acknowledged
        if write.kind != "assessment answer" and not present(seed.engine, write)
    ]
    lost_sections = lost_answers(seed.engine, writes)
    kinds = {write.kind for write in acknowledged}
    print(
        f"\nFAULTS kills={KILLS} writes={len(writes)} acknowledged={len(acknowledged)} "
        f"lost={len(lost) + len(lost_sections)} kinds={sorted(kinds)}"
    )
    assert kinds == set(WRITES), f"not every kind of write was acknowledged: {kinds}"
    assert not lost, f"{len(lost)} acknowledged writes are missing: {lost[:10]}"
    assert not lost_sections, lost_sections

    with seed.engine.connect() as connection:
        # No import is half-saved, acknowledged or not.
        partial = connection.execute(
            text(
                "SELECT split_part(what_happened, '-row', 1) AS marker, count(*) "
                "FROM chronology_entry WHERE what_happened LIKE 'burst-%-row%' "
                "GROUP BY 1 HAVING count(*) <> :rows"
            ),
            {"rows": IMPORT_ROWS},
        ).all()
        assert partial == []
        # Every record that was saved, acknowledged or not, has its audit entry.
        unaudited = connection.execute(
            text(
                "SELECT kind, id FROM ("
                " SELECT 'child' AS kind, id::text AS id FROM child WHERE name LIKE 'burst-%'"
                " UNION ALL SELECT 'adult', id::text FROM adult WHERE name LIKE 'burst-%'"
                " UNION ALL SELECT 'family', id::text FROM family"
                "   WHERE display_name LIKE 'burst-%'"
                " UNION ALL SELECT 'entry', id::text FROM chronology_entry"
                "   WHERE what_happened LIKE 'burst-%' AND what_happened NOT LIKE '%-row%'"
                ") AS saved WHERE NOT EXISTS ("
                " SELECT 1 FROM audit_event WHERE audit_event.entity_id = saved.id"
                " AND audit_event.action = 'create')"
            )
        ).all()
        assert unaudited == []
        imports = connection.execute(
            text(
                "SELECT count(*) FROM chronology_import WHERE status = 'imported' AND NOT EXISTS ("
                " SELECT 1 FROM audit_event"
                " WHERE audit_event.entity_id = chronology_import.id::text"
                " AND audit_event.action = 'create'"
                " AND CAST(audit_event.details AS TEXT) LIKE '%entries_imported%')"
            )
        ).scalar_one()
        assert imports == 0
