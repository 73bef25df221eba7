"""Invented data at a large council's scale, deterministic from a seed, loaded in bulk.

    .venv/bin/python bench/generate.py --database-url postgresql+psycopg://... --reset
    .venv/bin/python bench/generate.py --database-url sqlite:///data/bench.sqlite3 \\
        --families 2000 --entries 100000 --reset

Builds teams of practitioners and supervisors, and families with children (some with earlier
returns home), adults, their network and professionals; a chronology for each family whose
length follows a long-tailed spread (a few families with 5,000 entries); and each family's
progress through the framework: answers, factor ratings with evidence, classifications with
the rules' real suggestion, decisions at the gates, revisions frozen at sign-off, written
analysis, supervisors' comments and reviews, and the audit trail of it all; then, for most
families past the decision to work towards a return, what the reports count: review cycles,
children going home, monitoring visits, children coming back into care and outcomes at
closure.

Rows are written with COPY on PostgreSQL and executemany on SQLite, a few hundred families per
transaction, never through the ORM one row at a time. Only the suggested level of each
classification goes through the app's own service (it reads the family back from the
database), so that what the summary shows is what the rules say.

The same seed, sizes and --as-of date give the same data. Family 1 (GEN-000001) has 5,000
entries and family 2 (GEN-000002) has 300; both are allocated to the first practitioner of
the first team, whose supervisor reviews them. `bench/run.py` finds them by those references.
Every account's password is BENCH_PASSWORD."""

from __future__ import annotations

import argparse
import functools
import json
import math
import multiprocessing
import os
import random
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    Table,
    TypeDecorator,
    Uuid,
    func,
    select,
    text,
)
from sqlmodel import SQLModel

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.config import PROJECT_ROOT
from app.content.journey import shape as journey_shape
from app.content.model import FrameworkContent
from app.content.registry import load_registry
from app.content.rules import evaluate, show_when_holds
from app.content.schema import (
    ClassificationSection,
    FactorsSection,
    GateSection,
    Question,
    QuestionsSection,
    Section,
)
from app.content.snapshot import (
    AnswerValue,
    ChildFacts,
    ChronologyEntryFacts,
    ChronologyStats,
    FactorState,
    FamilySnapshot,
    parent_problems_from_answers,
    parse_answer_key,
)
from app.db import make_engine, migrate
from app.models.accounts import Role
from app.models.assessment import EVIDENCE_KIND_LABELS, EvidenceKind
from app.models.audit import AuditAction
from app.models.chronology import ChronologyEntry
from app.models.family import Family
from app.models.journey import FamilyStatus, Outcome
from app.models.progress import DecisionEffect, GateDecision, SectionStatus
from app.security.passwords import hash_password
from app.services import classification, families, people, progress, questions
from app.services.chronology_analysis import OVERALL
from app.services.chronology_review import COMPARED, _digest
from app.services.classification import (
    ENTRIES_PER_REASON,
    entry_json,
    evidence_json,
    explanation_json,
)
from app.services.evidence import EvidenceItem
from app.timeutil import age_in_years, london_today, months_between, start_of_london_day
from bench import invented

T = TypeVar("T")
BENCH_PASSWORD = "bench-kestrel-harbour-lantern"
EMAIL_DOMAIN = "bench.homeward.test"
REFERENCE = "GEN-{:06d}"
GIANT_ENTRIES = 5_000
MEDIUM_ENTRIES = 300
FAMILIES_PER_GIANT = 2_000  # one family in 2,000 has a 5,000-entry history
FAMILIES_PER_TEAM = 400
PRACTITIONERS_PER_TEAM = 20
SUPERVISORS_PER_TEAM = 2
CHUNK = 250  # families per transaction


# --- bulk writing ------------------------------------------------------------------------------


class BulkWriter:
    """Rows collected per table and written in foreign-key order: COPY on PostgreSQL,
    executemany on SQLite. Every row of a table gets every column (missing ones take the
    model's plain default, such as review cycle 0, or NULL), and a missing value for a NOT NULL
    column without a default is a bug in the generator, so it fails loudly."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.postgres = connection.dialect.name == "postgresql"
        self.rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.written: Counter[str] = Counter()

    def add(self, table: str, **values: Any) -> None:
        self.rows[table].append({**_scalar_defaults(table), **values})

    def flush(self) -> None:
        if not self.connection.in_transaction():
            self.connection.begin()  # raw cursors below would otherwise commit every row
        for table in SQLModel.metadata.sorted_tables:
            rows = self.rows.pop(table.name, None)
            if rows:
                self._write(table, rows)
                self.written[table.name] += len(rows)
        assert not self.rows, f"rows for unknown tables: {sorted(self.rows)}"

    def _columns(self, table: Table, rows: list[dict[str, Any]]) -> list[str]:
        names = []
        for column in table.columns:
            given = any(column.name in row for row in rows[:1])
            if column is table.autoincrement_column and not given:
                continue  # a serial id the database assigns
            if not given and not column.nullable:
                raise ValueError(f"{table.name}.{column.name} needs a value")
            names.append(column.name)
        unknown = set(rows[0]) - {column.name for column in table.columns}
        if unknown:
            raise ValueError(f"{table.name} has no columns {sorted(unknown)}")
        return names

    def _write(self, table: Table, rows: list[dict[str, Any]]) -> None:
        names = self._columns(table, rows)
        if not self.postgres:
            # The columns' own bind processors (so values are stored exactly as the app stores
            # them) applied once per value, then one executemany: SQLAlchemy's per-row
            # statement handling costs more than SQLite's insert.
            dialect = self.connection.dialect
            processors = [
                table.columns[name].type.bind_processor(dialect) or _unchanged for name in names
            ]
            placeholders = ", ".join("?" for _ in names)
            listed = ", ".join(f'"{name}"' for name in names)
            cursor = self.connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            cursor.executemany(
                f'INSERT INTO "{table.name}" ({listed}) VALUES ({placeholders})',  # noqa: S608
                [
                    [
                        process(row.get(name))
                        for process, name in zip(processors, names, strict=True)
                    ]
                    for row in rows
                ],
            )
            return
        # COPY's text format, written by hand per column type: psycopg's write_row adapts each
        # value on its own and costs several times more.
        formats = [_copy_format(table.columns[name].type) for name in names]
        lines = []
        for row in rows:
            fields = []
            for name, format_ in zip(names, formats, strict=True):
                value = row.get(name)
                fields.append("\\N" if value is None else format_(value))
            lines.append("\t".join(fields))
        driver = self.connection.connection.driver_connection
        assert driver is not None
        listed = ", ".join(f'"{name}"' for name in names)
        with (
            driver.cursor() as cursor,
            cursor.copy(f'COPY "{table.name}" ({listed}) FROM STDIN') as copy,
        ):
            copy.write("\n".join(lines) + "\n")


@functools.cache
def _scalar_defaults(table: str) -> dict[str, Any]:
    """The plain default of each column that has one (looked up once: tens of millions of rows)."""
    return {
        column.name: column.default.arg  # type: ignore[attr-defined]
        for column in SQLModel.metadata.tables[table].columns
        if column.default is not None and column.default.is_scalar
    }


def _unchanged(value: Any) -> Any:
    return value


def _copy_text(value: str) -> str:
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _copy_format(column_type: Any) -> Any:
    """How a value of this column type is written in COPY's text format."""
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl
    if isinstance(column_type, JSON):
        return lambda value: _copy_text(json.dumps(value))
    if isinstance(column_type, Boolean):
        return lambda value: "t" if value else "f"
    if isinstance(column_type, DateTime | Date):
        return lambda value: value.isoformat()
    if isinstance(column_type, Uuid):
        return lambda value: format(value.int, "032x")  # PostgreSQL reads UUIDs without dashes
    if isinstance(column_type, Integer | Float):
        return str
    return _copy_text


# --- determinism -------------------------------------------------------------------------------


_VERSION_4 = (0x4000 << 64) | (0x8000 << 48)
_VERSION_MASK = ~((0xF000 << 64) | (0xC000 << 48))


def uid(rng: random.Random) -> uuid.UUID:
    """A version 4 UUID from `rng`. Built without UUID.__init__'s checks, which cost more than
    everything else about a row: a large run makes tens of millions."""
    made = object.__new__(uuid.UUID)
    object.__setattr__(made, "int", (rng.getrandbits(128) & _VERSION_MASK) | _VERSION_4)
    object.__setattr__(made, "is_safe", uuid.SafeUUID.unknown)
    return made


def at(day: date, rng: random.Random) -> datetime:
    """A moment in the working day of `day` (09:00 to 17:00 London time), in UTC."""
    return _day_start(day) + timedelta(minutes=540 + rng.randrange(480))


_day_start = functools.lru_cache(maxsize=None)(start_of_london_day)
PRECISIONS = ("day", "month", "year", "approximate")
FACTOR_STATUSES = ("present", "absent", "unknown")


def weighted(rng: random.Random, items: Sequence[T], weights: Sequence[int]) -> T:
    """One of `items` by integer weights (random.choices, without its per-call set-up)."""
    point = rng.random() * sum(weights)
    for item, weight in zip(items, weights, strict=False):
        point -= weight
        if point < 0:
            return item
    return items[len(weights) - 1]


def entry_counts(
    rng: random.Random, families: int, entries: int
) -> tuple[list[int], dict[int, int]]:
    """Entries per family: a long-tailed spread summing to about `entries`, with one family
    in FAMILIES_PER_GIANT at GIANT_ENTRIES and the second family at MEDIUM_ENTRIES."""
    fixed: dict[int, int] = {0: GIANT_ENTRIES}
    if families > 1:
        fixed[1] = MEDIUM_ENTRIES
    giants = max(1, round(families / FAMILIES_PER_GIANT))
    for index in rng.sample(range(2, families), min(giants - 1, max(0, families - 2))):
        fixed[index] = GIANT_ENTRIES
    rest = [index for index in range(families) if index not in fixed]
    remaining = max(0, entries - sum(fixed.values()))
    weights = [math.exp(rng.gauss(0, 0.75)) for _ in rest]
    scale = remaining / sum(weights) if weights else 0
    counts = [0] * families
    for index, weight in zip(rest, weights, strict=True):
        counts[index] = max(3, round(weight * scale))
    for index, count in fixed.items():
        counts[index] = count
    return counts, fixed


# --- accounts ----------------------------------------------------------------------------------


@dataclass
class Team:
    id: uuid.UUID
    name: str
    practitioners: list[uuid.UUID] = field(default_factory=list)
    supervisors: list[uuid.UUID] = field(default_factory=list)


def build_accounts(
    writer: BulkWriter, rng: random.Random, families: int, now: datetime
) -> list[Team]:
    team_count = max(1, round(families / FAMILIES_PER_TEAM))
    password_hash = hash_password(BENCH_PASSWORD)
    teams = []
    used_emails: set[str] = set()

    def person(team: Team, roles: Sequence[Role]) -> uuid.UUID:
        user_id = uid(rng)
        first, last = rng.choice(invented.FIRST_NAMES), rng.choice(invented.SURNAMES)
        email = f"{first}.{last}".lower()
        number = 1
        while f"{email}{number}@{EMAIL_DOMAIN}" in used_emails:
            number += 1
        email = f"{email}{number}@{EMAIL_DOMAIN}"
        used_emails.add(email)
        writer.add(
            "user_account",
            id=user_id,
            email=email,
            email_key=email,
            name=f"{first} {last}",
            team_id=team.id,
            password_hash=password_hash,
            must_change_password=False,
            service_account=False,
            active=True,
            created_at=now,
            updated_at=now,
            version=1,
        )
        for role in roles:
            writer.add("user_role", user_id=user_id, role=role.value)
        return user_id

    for number in range(team_count):
        place = invented.TEAM_PLACES[number % len(invented.TEAM_PLACES)]
        name = f"{place} children in care team {number // len(invented.TEAM_PLACES) + 1}"
        team = Team(id=uid(rng), name=name)
        writer.add("team", id=team.id, name=name, name_key=name.lower(), created_at=now)
        team.practitioners = [
            person(team, [Role.PRACTITIONER]) for _ in range(PRACTITIONERS_PER_TEAM)
        ]
        team.supervisors = [person(team, [Role.SUPERVISOR]) for _ in range(SUPERVISORS_PER_TEAM)]
        teams.append(team)
    return teams


# --- one family --------------------------------------------------------------------------------


@dataclass
class Person:
    id: uuid.UUID
    name: str
    # For a child, what the rules may ask about them (see app.services.snapshot).
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass
class Entry:
    id: uuid.UUID
    occurred_on: date
    themes: list[str]
    values: dict[str, Any]
    children: list[uuid.UUID]


@dataclass
class FamilyPlan:
    index: int
    entries: int
    team: Team
    practitioner: uuid.UUID | None
    supervisor: uuid.UUID
    reached: int  # how many sections of the content are done, in the content's order


class FamilyBuilder:
    """Builds every row of one family from its own random stream (seed and family number), so
    a family is the same whatever the size of the run."""

    def __init__(
        self,
        writer: BulkWriter,
        content: FrameworkContent,
        plan: FamilyPlan,
        *,
        seed: int,
        as_of: date,
    ) -> None:
        self.writer = writer
        self.content = content
        self.plan = plan
        self.as_of = as_of
        self.seed = seed
        self.rng = random.Random(f"{seed}:family:{plan.index}")
        self.id = uid(self.rng)
        self.author = plan.practitioner or plan.team.practitioners[0]
        # What the rules read, kept as it is built: answers of every section, factor
        # ratings with their evidence, and the levels signed off so far.
        self.answers: dict[str, AnswerValue] = {}
        self.ratings: dict[str, str] = {}
        self.evidence: dict[str, list[EvidenceItem]] = defaultdict(list)
        self.signed_levels: list[str] = []
        self.entries: list[Entry] = []
        # By section id: a sign-off changes rows written earlier for the same family.
        self.section_rows: dict[str, dict[str, Any]] = {}
        # Each adult's roles toward the children: the content asks some questions of some roles.
        self.adult_roles: dict[str, frozenset[str]] = {}
        self.progress_rows: dict[str, dict[str, Any]] = {}

    def build(self) -> None:
        rng = self.rng
        surname = rng.choice(invented.SURNAMES)
        started = self.as_of - timedelta(days=rng.randrange(20, 900))
        self.started = started
        # Children first: each adult's row holds their role toward each child.
        self.children = self._children(surname, started)
        self.adults = self._adults(surname)
        entries = self.entries = self._chronology(started)
        statuses, decisions = self._progress(entries, started)
        for row in self.section_rows.values():
            self.writer.add("assessment_section", **row)
        for row in self.progress_rows.values():
            self.writer.add("section_progress", **row)
        # Families here stop at the first decision: no reviews, returns or visits yet.
        state = progress.State(
            statuses={(section_id, 0): status for section_id, status in statuses.items()},
            decisions={(gate_id, 0): decision for gate_id, decision in decisions.items()},
            proposals={},
            cycles=[],
            children=len(self.children),
            children_home=0,
            returns=0,
            visits=0,
            first_home_on=None,
        )
        journey = progress.journey(self.content, Family(status=FamilyStatus.ACTIVE), state)
        stage = journey.current_stage
        after = JourneyBuilder(self, decisions).build() if self.plan.index >= 2 else None
        created = at(started, rng)
        family_row = dict(
            id=self.id,
            reference=REFERENCE.format(self.plan.index + 1),
            reference_key=REFERENCE.format(self.plan.index + 1),
            display_name=f"{surname} family",
            team_id=self.plan.team.id,
            allocated_practitioner_id=self.plan.practitioner,
            created_by_id=self.author,
            framework_id=self.content.id,
            framework_version=self.content.version,
            content_hash=self.content.content_hash,
            work_started_on=started,
            current_stage_id=stage.stage_id if stage else None,
            next_action=journey.next_action[:200],
            awaiting_sign_off=journey.awaiting_sign_off,
            status=after.status if after else FamilyStatus.ACTIVE.value,
            status_changed_on=after.closed_on if after else None,
            current_cycle=after.cycles if after else 0,
            **self._versioned(created),
        )
        # Reviews start once the plan is agreed.
        family_row["next_review_due"] = after.next_review if after else None
        # The family goes first in the writer's table order whatever order rows are added in.
        self.writer.add("family", **family_row)
        self._audit(created, AuditAction.CREATE, "family", self.id, {"reference": "created"})
        for _ in range(rng.randrange(3, 12)):
            day = started + timedelta(days=rng.randrange(max(1, (self.as_of - started).days)))
            self._audit(at(day, rng), AuditAction.VIEW, "family", self.id, {})

    # people ----------------------------------------------------------------------------------

    def _versioned(self, moment: datetime) -> dict[str, Any]:
        return {"version": 1, "created_at": moment, "updated_at": moment}

    def _adults(self, surname: str) -> list[Person]:
        rng = self.rng
        relationships = ["mother"]
        if rng.random() < 0.55:
            relationships.append("father")
        if rng.random() < 0.2:
            relationships.append(rng.choice(["partner-of-parent", "grandparent", "step-parent"]))
        adults = []
        for relationship in relationships:
            person = Person(uid(rng), f"{rng.choice(invented.FIRST_NAMES)} {surname}")
            at_home = relationship != "father" or rng.random() < 0.4
            role = people.default_role(relationship, at_home)
            self.adult_roles[str(person.id)] = frozenset({role})
            self.writer.add(
                "adult",
                id=person.id,
                family_id=self.id,
                name=person.name,
                relationship=relationship,
                parental_responsibility=relationship in {"mother", "father"},
                lives_in_household=at_home,
                child_roles={str(child.id): role for child in self.children},
                **self._versioned(at(self.as_of - timedelta(days=900), rng)),
            )
            adults.append(person)
        for kind, roles, count in (
            ("professional", invented.PROFESSIONAL_ROLES, rng.randrange(1, 5)),
            ("network", invented.NETWORK_ROLES, rng.randrange(0, 3)),
        ):
            for _ in range(count):
                self.writer.add(
                    "family_contact",
                    id=uid(rng),
                    family_id=self.id,
                    kind=kind,
                    name=invented.name(rng),
                    role=rng.choice(roles),
                    organisation=rng.choice(invented.ORGANISATIONS)
                    if kind == "professional"
                    else None,
                    contact_details=f"0{rng.randrange(1000000000, 1999999999)}",
                    **self._versioned(at(self.as_of - timedelta(days=800), rng)),
                )
        return adults

    def _children(self, surname: str, started: date) -> list[Person]:
        rng = self.rng
        count = weighted(rng, (1, 2, 3, 4), (45, 30, 17, 8))
        legal = [term.id for term in self.content.vocabulary.legal_statuses]
        reasons = [term.id for term in self.content.vocabulary.entry_reasons]
        children = []
        for _ in range(count):
            person = Person(uid(rng), f"{rng.choice(invented.FIRST_NAMES)} {surname}")
            born = self.as_of - timedelta(days=rng.randrange(200, 17 * 365))
            entered = max(born + timedelta(days=30), started - timedelta(days=rng.randrange(700)))
            entered = min(entered, self.as_of - timedelta(days=7))
            self.writer.add(
                "child",
                id=person.id,
                family_id=self.id,
                name=person.name,
                date_of_birth=born,
                gender=rng.choice(["girl", "boy", "boy", "girl", "non-binary", "not-known"]),
                ethnicity=rng.choice([None, "White British", "Black British", "Mixed", "Asian"]),
                legal_status=rng.choice(legal),
                date_entered_care=entered,
                entry_reason=rng.choice(reasons),
                placement_type=rng.choice(list(families.PLACEMENT_TYPES)),
                placement_moves=weighted(rng, (0, 1, 2, 3, 5), (40, 30, 15, 10, 5)),
                **self._versioned(at(started, rng)),
            )
            person.facts = {
                "born": born,
                "legal_status": self.writer.rows["child"][-1]["legal_status"],
                "entry_reason": self.writer.rows["child"][-1]["entry_reason"],
                "entered": entered,
                "placement_moves": self.writer.rows["child"][-1]["placement_moves"],
                "returns": 0,
                "breakdowns": 0,
            }
            if rng.random() < 0.18 and (entered - born).days > 400:
                person.facts["returns"] = 1
                went_home = born + timedelta(days=rng.randrange(100, (entered - born).days - 60))
                broke_down = rng.random() < 0.6
                person.facts["breakdowns"] = int(broke_down)
                self.writer.add(
                    "earlier_return",
                    id=uid(rng),
                    child_id=person.id,
                    returned_on=went_home,
                    ended_on=went_home + timedelta(days=rng.randrange(30, 400))
                    if broke_down
                    else None,
                    broke_down=broke_down,
                    notes=rng.choice(invented.NOTES),
                    **self._versioned(at(started, rng)),
                )
            children.append(person)
        return children

    # chronology ------------------------------------------------------------------------------

    def _chronology(self, started: date) -> list[Entry]:
        rng = self.rng
        content = self.content
        themes = [theme.id for theme in content.chronology.themes]
        risk = [t.id for t in content.chronology.themes if t.polarity == "risk"]
        protective = [t.id for t in content.chronology.themes if t.polarity == "protective"]
        sources = [source.id for source in content.chronology.information_sources]
        grades = [grade.id for grade in content.chronology.significance]
        years = 15 if self.plan.entries >= GIANT_ENTRIES else rng.randrange(2, 12)
        first = self.as_of - timedelta(days=365 * years)
        span = (self.as_of - first).days
        entries = []
        for _ in range(self.plan.entries):
            occurred = first + timedelta(days=int(span * rng.random() ** 0.7))
            pool = risk if rng.random() < 0.65 else protective
            chosen = rng.sample(pool, weighted(rng, (1, 2, 3), (60, 30, 10)))
            if rng.random() < 0.05:
                chosen.append(rng.choice([t for t in themes if t not in chosen]))
            adult = rng.choice(self.adults).name.split()[0]
            child = rng.choice(self.children).name.split()[0]
            precision = weighted(rng, PRECISIONS, (90, 6, 2, 2))
            if precision == "month":
                occurred = occurred.replace(day=1)
            elif precision == "year":
                occurred = occurred.replace(month=1, day=1)
            linked = (
                [person.id for person in self.children]
                if rng.random() < 0.6
                else [rng.choice(self.children).id]
            )
            values = {
                "occurred_on": occurred,
                "date_precision": precision,
                "source_id": rng.choice(sources),
                "source_detail": rng.choice([None, None, rng.choice(invented.ORGANISATIONS)]),
                "what_happened": invented.what_happened(rng, chosen, adult=adult, child=child),
                "who_was_involved": f"{adult}, {child}" if rng.random() < 0.5 else None,
                "impact_on_child": invented.sentence(
                    rng, invented.IMPACTS, adult=adult, child=child
                )
                if rng.random() < 0.6
                else None,
                "response": invented.sentence(rng, invented.RESPONSES, adult=adult, child=child)
                if rng.random() < 0.5
                else None,
                "outcome": invented.sentence(rng, invented.OUTCOMES, adult=adult, child=child)
                if rng.random() < 0.4
                else None,
                "significance": weighted(rng, grades, (20, 45, 35)[: len(grades)]),
                "parents_comments": invented.sentence(
                    rng, invented.PARENT_COMMENTS, adult=adult, child=child
                )
                if rng.random() < 0.08
                else None,
                "third_party": rng.random() < 0.1,
            }
            entry = Entry(uid(rng), occurred, chosen, values, linked)
            recorded = at(min(self.as_of, max(occurred, started)), rng)
            deleted = rng.random() < 0.01
            self.writer.add(
                "chronology_entry",
                id=entry.id,
                family_id=self.id,
                author_id=self.author,
                **values,
                **self._versioned(recorded),
                deleted_at=recorded + timedelta(days=1) if deleted else None,
                deleted_reason="Recorded against the wrong family" if deleted else None,
                deleted_by_id=self.author if deleted else None,
            )
            for theme in chosen:
                self.writer.add("chronology_entry_theme", entry_id=entry.id, theme_id=theme)
            for child_id in linked:
                self.writer.add("chronology_entry_child", entry_id=entry.id, child_id=child_id)
            if not deleted:
                entries.append(entry)
        entries.sort(key=lambda item: item.occurred_on)
        self._chronology_work(entries, themes)
        return entries

    def _chronology_work(self, entries: list[Entry], themes: list[str]) -> None:
        """Written analysis, supervisors' comments and reviews, for some families."""
        rng = self.rng
        supervisor = self.plan.supervisor
        written: dict[str, dict[str, Any]] = {}
        if entries and rng.random() < 0.35:
            for scope in [OVERALL, *rng.sample(themes, rng.randrange(0, 3))]:
                text_ = invented.paragraph(rng, 3)
                moment = at(self.as_of - timedelta(days=rng.randrange(1, 60)), rng)
                self.writer.add(
                    "chronology_written_analysis",
                    id=uid(rng),
                    family_id=self.id,
                    scope=scope,
                    text=text_,
                    updated_by_id=self.author,
                    **self._versioned(moment),
                )
                written[scope] = {"version": 1, "text": _digest(text_)}
        for _ in range(rng.randrange(0, 4) if entries else 0):
            entry = rng.choice(entries)
            self.writer.add(
                "chronology_comment",
                id=uid(rng),
                family_id=self.id,
                entry_id=entry.id if rng.random() < 0.7 else None,
                author_id=supervisor,
                body=rng.choice(invented.NOTES),
                created_at=at(self.as_of - timedelta(days=rng.randrange(1, 90)), rng),
            )
        if entries and rng.random() < 0.25:
            # Reviewed before the latest few entries were added, as reviews usually are.
            reviewed = entries[: max(1, len(entries) - rng.randrange(0, 6))]
            snapshot = {
                "entries": {
                    str(entry.id): {
                        "version": 1,
                        "fields": {
                            **{name: _digest(entry.values[name]) for name in COMPARED},
                            "themes": _digest(sorted(entry.themes)),
                            "children": _digest(sorted(str(child) for child in entry.children)),
                        },
                    }
                    for entry in reviewed
                },
                "analysis": written,
            }
            self.writer.add(
                "chronology_review",
                id=uid(rng),
                family_id=self.id,
                reviewed_by_id=supervisor,
                reviewed_at=at(max(reviewed[-1].occurred_on, self.started), rng),
                note=rng.choice([None, "Clear and well evidenced."]),
                snapshot=snapshot,
            )

    # the framework ---------------------------------------------------------------------------

    def _progress(
        self, entries: list[Entry], started: date
    ) -> tuple[dict[str, SectionStatus], dict[str, GateDecision]]:
        """Sections done in the content's order up to the family's point, one in progress."""
        rng = self.rng
        # Review sections are answered in review cycles, never in the first assessment (cycle
        # 0, where this walk writes): the app reads them only in their own cycle.
        recurring = journey_shape(self.content).recurring
        order = [
            section
            for stage in self.content.stages
            for section in stage.sections
            if section.id not in recurring
        ]
        reached = min(self.plan.reached, len(order))
        days = max(1, (self.as_of - started).days)
        statuses: dict[str, SectionStatus] = {}
        decisions: dict[str, GateDecision] = {}
        answers: dict[str, dict[str, AnswerValue]] = {}
        ratings: dict[str, dict[str, tuple[str, str | None, int]]] = {}
        signed_off_by: dict[str, uuid.UUID] = {}
        for position, section in enumerate(order[: reached + 1]):
            done = position < reached
            day = started + timedelta(days=days * (position + 1) // (reached + 2))
            moment = at(day, rng)
            if isinstance(section, QuestionsSection | FactorsSection):
                answers[section.id] = self._answers(section, complete=done, moment=moment)
                self.answers.update(answers[section.id])
                if isinstance(section, FactorsSection):
                    ratings[section.id] = self._ratings(section, entries, complete=done)
                status = SectionStatus.COMPLETED if done else SectionStatus.IN_PROGRESS
                self._section_rows(section, status, moment)
                statuses[section.id] = status
            elif section.kind == "chronology":
                if done or entries:
                    statuses[section.id] = (
                        SectionStatus.COMPLETED if done else SectionStatus.IN_PROGRESS
                    )
                    self._progress_row(section.id, statuses[section.id], moment)
            elif isinstance(section, ClassificationSection):
                gate = classification.gate_after(self.content, section.id)
                following = order[position + 1] if position + 1 < len(order) else None
                if done or rng.random() < 0.6:
                    decision = None
                    agreed = done
                    if done and gate is not None and following is gate:
                        decision = self._decision(gate, moment)
                        decisions[gate.id] = decision
                    classification_id = self._classification(section, day, moment, agreed, decision)
                    if agreed:
                        self._freeze(section, statuses, answers, ratings, classification_id, moment)
                        signed_off_by[section.id] = self.plan.supervisor
                    statuses[section.id] = (
                        SectionStatus.SIGNED_OFF if agreed else SectionStatus.AWAITING_SIGN_OFF
                    )
                    self._progress_row(section.id, statuses[section.id], moment)
            elif isinstance(section, GateSection) and done and section.id not in decisions:
                decisions[section.id] = self._decision(section, moment)
        return statuses, decisions

    def _question_value(self, question: Question, moment: datetime) -> AnswerValue | None:
        rng = self.rng
        kind = question.type
        if kind == "short_text":
            return invented.name(rng)
        if kind == "long_text":
            return invented.paragraph(rng, rng.randrange(1, 4))
        if kind == "yes_no":
            return rng.random() < 0.6
        if kind in {"single_choice", "scale"}:
            options = questions.option_ids(self.content, question)
            choice = rng.choice(options)
            return int(choice) if kind == "scale" else choice
        if kind in {"multiple_choice", "factor_checklist"}:
            options = questions.option_ids(self.content, question)
            return tuple(rng.sample(options, min(len(options), rng.randrange(1, 4))))
        if kind == "date":
            return moment.date() - timedelta(days=rng.randrange(0, 200))
        if kind == "number":
            low = getattr(question, "min", None)
            high = getattr(question, "max", None)
            low = 0 if low is None else int(low)
            high = low + 24 if high is None else int(high)
            return rng.randint(low, high)
        return None

    def _fill(
        self,
        asked: Sequence[Question],
        scopes: tuple[tuple[str, str], ...],
        scoped: dict[str, AnswerValue],
        items: dict[str, list[str]],
        values: dict[str, AnswerValue],
        moment: datetime,
    ) -> None:
        """Draw answers in the order a practitioner meets the questions; a question whose
        show_when fails (on the answers around it) is left unanswered, as saving drops it."""
        rng = self.rng
        prefix = "".join(f"{group}[{instance}]." for group, instance in scopes)
        for question in asked:
            if question.show_when is not None and not show_when_holds(question.show_when, scoped):
                continue
            if question.type in questions.GROUP_TYPES:
                if question.type == "per_parent":
                    instances = [str(person.id) for person in self.adults]
                elif question.type == "per_child":
                    instances = [str(person.id) for person in self.children]
                elif question.type == "repeating":
                    instances = [uid(rng).hex[:12] for _ in range(rng.randrange(1, 3))]
                    items[prefix + question.id] = instances
                else:
                    instances = items.get(prefix + getattr(question, "of", ""), [])
                for instance in instances:
                    inner = (*scopes, (question.id, instance))
                    children = question.questions  # type: ignore[union-attr]
                    self._fill(children, inner, dict(scoped), items, values, moment)
                continue
            value = self._question_value(question, moment)
            if value is not None:
                values[prefix + question.id] = value
                scoped[question.id] = value

    def _answers(
        self, section: QuestionsSection | FactorsSection, *, complete: bool, moment: datetime
    ) -> dict[str, AnswerValue]:
        """Answers to the section's questions that show_when shows, for each parent, child
        and item; a section in progress has its first part answered."""
        rng = self.rng
        values: dict[str, AnswerValue] = {}
        self._fill(section.questions, (), {}, {}, values, moment)
        visible = list(values)
        if not complete:
            visible = visible[: max(1, len(visible) * rng.randrange(20, 80) // 100)]
        kept = {key: values[key] for key in visible}
        for key, value in kept.items():
            parsed = parse_answer_key(key)
            assert parsed is not None
            question = self.content.questions[parsed[1]].question
            self.writer.add(
                "assessment_answer",
                id=uid(rng),
                family_id=self.id,
                section_id=section.id,
                answer_key=key,
                question_id=question.id,
                content_version=self.content.version,
                **questions.columns_for(question, value),
                version=1,
                created_at=moment,
                updated_at=moment,
                updated_by_id=self.author,
            )
        return kept

    def _ratings(
        self, section: FactorsSection, entries: list[Entry], *, complete: bool
    ) -> dict[str, tuple[str, str | None, int]]:
        rng = self.rng
        factors = factors_of(self.content, section.domain)
        if not complete:
            factors = factors[: max(1, len(factors) // 2)]
        rated: dict[str, tuple[str, str | None, int]] = {}
        for info in factors:
            status = weighted(rng, FACTOR_STATUSES, (35, 45, 20))
            notes = rng.choice(invented.NOTES) if rng.random() < 0.25 else None
            evidence = 0
            if status == "present" and entries:
                for entry in rng.sample(entries, min(len(entries), rng.randrange(0, 4))):
                    self._evidence(info.factor.id, chronology_entry=entry)
                    evidence += 1
                if rng.random() < 0.15:
                    self._evidence(info.factor.id, chronology_entry=None)
                    evidence += 1
            self.ratings[info.factor.id] = status
            self.writer.add(
                "factor_rating",
                id=uid(rng),
                family_id=self.id,
                section_id=section.id,
                factor_id=info.factor.id,
                content_version=self.content.version,
                status=status,
                notes=notes,
                version=1,
                created_at=at(self.started, rng),
                updated_at=at(self.started, rng),
                updated_by_id=self.author,
            )
            rated[info.factor.id] = (status, notes, evidence)
        return rated

    def _evidence(self, factor_id: str, *, chronology_entry: Entry | None) -> None:
        rng = self.rng
        report = chronology_entry is None
        evidence_id = uid(rng)
        if chronology_entry is None:
            item = EvidenceItem(
                id=evidence_id,
                factor_id=factor_id,
                kind="report",
                kind_label=EVIDENCE_KIND_LABELS[EvidenceKind.REPORT],
                on=self.started,
                source=rng.choice(invented.ORGANISATIONS),
                description=rng.choice(invented.NOTES),
                chronology_entry_id=None,
                version=1,
            )
        else:
            values = chronology_entry.values
            item = EvidenceItem(
                id=evidence_id,
                factor_id=factor_id,
                kind="chronology",
                kind_label=EVIDENCE_KIND_LABELS[EvidenceKind.CHRONOLOGY],
                on=chronology_entry.occurred_on,
                source=values["source_detail"] or values["source_id"],
                description=values["what_happened"],
                chronology_entry_id=chronology_entry.id,
                version=1,
            )
        self.evidence[factor_id].append(item)
        self.writer.add(
            "factor_evidence",
            id=evidence_id,
            family_id=self.id,
            factor_id=factor_id,
            kind="chronology" if not report else "report",
            chronology_entry_id=chronology_entry.id if chronology_entry else None,
            evidence_date=item.on if report else None,
            source=item.source if report else None,
            description=item.description if report else None,
            added_by_id=self.author,
            **self._versioned(at(self.started, rng)),
        )

    def _section_rows(self, section: Section, status: SectionStatus, moment: datetime) -> None:
        self.section_rows[section.id] = dict(
            id=uid(self.rng),
            family_id=self.id,
            section_id=section.id,
            status=status.value,
            revision=1,
            version=self.rng.randrange(1, 6),
            updated_at=moment,
            updated_by_id=self.author,
            completed_at=moment if status is SectionStatus.COMPLETED else None,
            completed_by_id=self.author if status is SectionStatus.COMPLETED else None,
        )
        self._progress_row(section.id, status, moment)

    def _progress_row(self, section_id: str, status: SectionStatus, moment: datetime) -> None:
        before = self.progress_rows.get(section_id, {}).get("status")
        self.progress_rows[section_id] = dict(
            id=uid(self.rng),
            family_id=self.id,
            section_id=section_id,
            status=status.value,
            updated_at=moment,
            updated_by_id=self.author,
        )
        self._audit(
            moment,
            AuditAction.UPDATE,
            "section_progress",
            section_id,
            {"status": {"before": before, "after": status.value}},
        )

    def _decision(self, gate: GateSection, moment: datetime) -> GateDecision:
        onward = [option for option in gate.options if option.next_stage]
        option = onward[0] if onward else next(o for o in gate.options if not o.ends_plan)
        decision = GateDecision(
            id=uid(self.rng),
            family_id=self.id,
            gate_id=gate.id,
            option_id=option.id,
            rationale=invented.paragraph(self.rng, 2),
            decided_by_id=self.plan.supervisor,
            decided_at=moment,
            framework_version=self.content.version,
            effect=journey_shape(self.content).effect(gate.id, option.id).effect.value,
        )
        self.writer.add("gate_decision", **decision.model_dump())
        return decision

    def _classification(
        self,
        section: ClassificationSection,
        day: date,
        moment: datetime,
        agreed: bool,
        decision: GateDecision | None,
    ) -> uuid.UUID:
        rng = self.rng
        classification_id = uid(rng)
        result = evaluate(self.content, self._snapshot(day))
        suggested = result.suggested_level.id
        chosen = suggested
        if rng.random() < 0.15:  # the practitioner asks for the next level up
            ranks = sorted(self.content.levels, key=lambda level: level.rank)
            chosen = next(
                (level.id for level in ranks if level.rank > result.suggested_level.rank), suggested
            )
        self.writer.add(
            "classification",
            id=classification_id,
            family_id=self.id,
            section_id=section.id,
            timepoint_id=section.timepoint,
            content_version=self.content.version,
            suggested_level=suggested,
            explanation=explanation_json(
                result, evidence=self._evidence_json(), entries=self._recent_entries
            ),
            level_set_by=list(result.level_set_by),
            practitioner_level=chosen,
            rationale=invented.paragraph(rng, 2),
            submitted_by_id=self.author,
            submitted_at=moment,
            status="agreed" if agreed else "submitted",
            supervisor_agrees=True if agreed else None,
            supervisor_comments=invented.paragraph(rng, 1) if agreed else None,
            supervisor_level=None,
            reviewed_by_id=self.plan.supervisor if agreed else None,
            reviewed_at=moment + timedelta(hours=2) if agreed else None,
            gate_id=decision.gate_id if decision else None,
            gate_option_id=decision.option_id if decision else None,
            gate_decision_id=decision.id if decision else None,
            version=2 if agreed else 1,
        )
        if agreed:
            self.signed_levels.append(chosen)
        return classification_id

    def _snapshot(self, as_of: date) -> FamilySnapshot:
        """What app.services.snapshot reads from the database, from what was built."""
        children = sorted(self.children, key=lambda child: (child.facts["born"], child.name))
        labels = {str(person.id): person.name for person in (*self.adults, *self.children)}
        return FamilySnapshot(
            as_of=as_of,
            answers=dict(self.answers),
            factors={
                factor_id: FactorState(status, len(self.evidence.get(factor_id, ())))  # type: ignore[arg-type]
                for factor_id, status in self.ratings.items()
            },
            children=tuple(
                ChildFacts(
                    id=str(child.id),
                    label=child.name,
                    age_years=age_in_years(child.facts["born"], as_of),
                    legal_status=child.facts["legal_status"],
                    entry_reasons=frozenset({child.facts["entry_reason"]}),
                    months_in_care=months_between(child.facts["entered"], as_of),
                    placement_moves=child.facts["placement_moves"],
                    earlier_returns=child.facts["returns"],
                    earlier_breakdowns=child.facts["breakdowns"],
                )
                for child in children
            ),
            parents=parent_problems_from_answers(
                self.content, self.answers, labels, as_of, self.adult_roles
            ),
            chronology=ChronologyStats.from_entries(
                (
                    ChronologyEntryFacts(
                        date=entry.occurred_on,
                        themes=frozenset(entry.themes),
                        significance=entry.values["significance"],
                    )
                    for entry in self.entries
                ),
                as_of=as_of,
                windows=self.content.chronology_windows,
            ),
            earlier_levels=tuple(self.signed_levels),
        )

    def _evidence_json(self) -> dict[str, list[dict[str, Any]]]:
        return {
            factor_id: [
                evidence_json(item)
                for item in sorted(items, key=lambda item: (item.on or date.max, item.description))
            ]
            for factor_id, items in self.evidence.items()
        }

    def _recent_entries(self, ref: str) -> list[dict[str, Any]]:
        """The newest few entries of a theme or significance grade, as the service finds them."""
        matching = [
            entry
            for entry in self.entries
            if ref in entry.themes or entry.values["significance"] == ref
        ]
        matching.sort(key=lambda entry: entry.occurred_on, reverse=True)
        return [
            entry_json(ChronologyEntry(id=entry.id, **entry.values))
            for entry in matching[:ENTRIES_PER_REASON]
        ]

    def _freeze(
        self,
        section: ClassificationSection,
        statuses: dict[str, SectionStatus],
        answers: dict[str, dict[str, AnswerValue]],
        ratings: dict[str, dict[str, tuple[str, str | None, int]]],
        classification_id: uuid.UUID,
        moment: datetime,
    ) -> None:
        """As a sign-off does: every started form section of the stage before the
        classification becomes a frozen revision and is signed off."""
        stage = self.content.stage(self.content.sections[section.id].stage_id)
        for item in stage.sections:
            if item.id == section.id:
                break
            if item.kind not in questions.FORM_SECTION_KINDS or statuses.get(item.id) in (
                None,
                SectionStatus.SIGNED_OFF,
            ):
                continue  # not started, or frozen already by an earlier sign-off
            snapshot = {
                "answers": {
                    key: questions.json_value(value)
                    for key, value in answers.get(item.id, {}).items()
                },
                "factors": {
                    factor_id: {"status": status, "notes": notes, "evidence": evidence}
                    for factor_id, (status, notes, evidence) in ratings.get(item.id, {}).items()
                },
            }
            self.writer.add(
                "section_revision",
                id=uid(self.rng),
                family_id=self.id,
                section_id=item.id,
                number=1,
                content_version=self.content.version,
                snapshot=snapshot,
                frozen_at=moment,
                frozen_by_id=self.plan.supervisor,
                classification_id=classification_id,
            )
            if item.id in self.section_rows:
                self.section_rows[item.id]["status"] = SectionStatus.SIGNED_OFF.value
            statuses[item.id] = SectionStatus.SIGNED_OFF
            self._progress_row(item.id, SectionStatus.SIGNED_OFF, moment)

    def _audit(
        self,
        moment: datetime,
        action: AuditAction,
        entity_type: str,
        entity_id: object,
        details: dict[str, Any],
    ) -> None:
        self.writer.add(
            "audit_event",
            at=moment,
            user_id=self.author,
            action=action.value,
            entity_type=entity_type,
            entity_id=str(entity_id),
            family_id=self.id,
            request_id="generated",
            client_address="",
            path=f"/families/{self.id}",
            details=details,
        )


@functools.cache
@dataclass
class AfterDecision:
    """What the journey after the first decision changed in the family's own row."""

    status: str
    closed_on: date | None
    cycles: int
    next_review: date | None


class JourneyBuilder:
    """The journey after the decision to work towards a return, for the reports: review
    cycles (held on time, late, or not yet), children going home (planned, unplanned, to
    someone without parental responsibility), monitoring visits, children coming back into
    care, and outcomes when the case closed. Rows only: the family's sections and task list
    stay at the first decision (bench/run.py's families, GEN-000001 and GEN-000002, have no
    journey rows). Its own random stream, so the rows before it do not change."""

    def __init__(self, family: FamilyBuilder, decisions: dict[str, GateDecision]) -> None:
        self.family = family
        self.writer = family.writer
        self.as_of = family.as_of
        self.rng = random.Random(f"{family.seed}:journey:{family.plan.index}")
        onward = [
            decision.decided_at.date()
            for decision in decisions.values()
            if decision.effect == DecisionEffect.NEXT_STAGE.value
        ]
        self.decided = min(onward) if onward else None

    def build(self) -> AfterDecision | None:
        rng = self.rng
        if self.decided is None or (self.as_of - self.decided).days < 45 or rng.random() < 0.15:
            return None
        cycles, next_review, home_from = self._reviews()
        went_home = self._returns(home_from) if home_from else {}
        closed_on = None
        if went_home:
            self._visits(min(went_home.values()), list(went_home))
            back = self._reentries(went_home)
            last = max(went_home.values())
            if (self.as_of - last).days > 400 and rng.random() < 0.6:
                closed_on = last + timedelta(days=rng.randrange(300, 400))
                self._outcomes(went_home, back, closed_on)
        return AfterDecision(
            status=FamilyStatus.CLOSED.value if closed_on else FamilyStatus.ACTIVE.value,
            closed_on=closed_on,
            cycles=cycles,
            next_review=None if closed_on else next_review,
        )

    def _reviews(self) -> tuple[int, date | None, date | None]:
        """Reviews every 12 weeks from six weeks after the plan; a return may follow one.
        Returns the number of cycles, the next review due, and the day children may go home."""
        rng = self.rng
        assert self.decided is not None
        due = self.decided + timedelta(weeks=6 + rng.randrange(0, 4))
        number, home_from = 0, None
        while due <= self.as_of + timedelta(weeks=12):
            number += 1
            held = due + timedelta(days=weighted(rng, (-3, 0, 7, 21, 60), (20, 30, 25, 15, 10)))
            held_on = held if held <= self.as_of and rng.random() < 0.9 else None
            phase = "after_return" if home_from else "before_return"
            self.writer.add(
                "review_cycle",
                id=uid(rng),
                family_id=self.family.id,
                number=number,
                phase=phase,
                due_on=due,
                held_on=held_on,
                opened_at=at(due - timedelta(weeks=12), rng),
                closed_at=at(held_on, rng) if held_on else None,
                version=1,
            )
            if held_on is None:
                return number, due, home_from
            if home_from is None and rng.random() < 0.75:
                home_from = held_on + timedelta(days=rng.randrange(7, 90))
            due = held_on + timedelta(weeks=6 if home_from else 12)
        return number, due, home_from

    def _returns(self, home_from: date) -> dict[uuid.UUID, date]:
        rng = self.rng
        went_home: dict[uuid.UUID, date] = {}
        for child in self.family.children:
            day = home_from + timedelta(days=rng.randrange(0, 60))
            if day > self.as_of or rng.random() < 0.15:
                continue
            kind = weighted(rng, ("planned-gradual", "planned-direct", "unplanned"), (55, 25, 20))
            with_pr = rng.random() < 0.86
            self.writer.add(
                "child_return",
                id=uid(rng),
                family_id=self.family.id,
                child_id=child.id,
                returned_on=day,
                return_type=kind,
                planned=kind != "unplanned",
                carer_adult_id=self.family.adults[0].id if with_pr else None,
                carer_name=self.family.adults[0].name if with_pr else "A relative",
                carer_has_parental_responsibility=with_pr,
                legal_status=child.facts["legal_status"],
                notes=None,
                monitor_until=day + timedelta(days=365),
                content_version=self.family.content.version,
                recorded_by_id=self.family.author,
                **self.family._versioned(at(day, rng)),
            )
            went_home[child.id] = day
        return went_home

    def _visits(self, first: date, children: list[uuid.UUID]) -> None:
        rng = self.rng
        day = first + timedelta(days=rng.randrange(5, 21))
        end = min(self.as_of, first + timedelta(days=365))
        while day <= end:
            visit = uid(rng)
            self.writer.add(
                "monitoring_visit",
                id=visit,
                family_id=self.family.id,
                visited_on=day,
                concerns=rng.choice([None, None, rng.choice(invented.NOTES)]),
                actions=None,
                support_in_place=rng.random() < 0.85,
                recorded_by_id=self.family.author,
                **self.family._versioned(at(day, rng)),
            )
            for child in children:
                self.writer.add(
                    "monitoring_visit_child",
                    visit_id=visit,
                    child_id=child,
                    seen_alone=rng.random() < 0.6,
                )
            day += timedelta(days=rng.randrange(14, 50))

    def _reentries(self, went_home: dict[uuid.UUID, date]) -> dict[uuid.UUID, date]:
        """About one in five children back in care, most of them within the first year."""
        rng = self.rng
        back: dict[uuid.UUID, date] = {}
        for child, home in went_home.items():
            if rng.random() >= 0.22:
                continue
            day = home + timedelta(days=min(int(rng.expovariate(1 / 240)) + 7, 1500))
            if day > self.as_of:
                continue
            self.writer.add(
                "care_reentry",
                id=uid(rng),
                family_id=self.family.id,
                child_id=child,
                entered_on=day,
                reason=rng.choice(invented.NOTES),
                recorded_by_id=self.family.author,
                **self.family._versioned(at(day, rng)),
            )
            back[child] = day
        return back

    def _outcomes(
        self, went_home: dict[uuid.UUID, date], back: dict[uuid.UUID, date], closed_on: date
    ) -> None:
        rng = self.rng
        for child in self.family.children:
            returned = back.get(child.id)
            if child.id not in went_home:
                outcome, on = Outcome.OTHER.value, None
            elif returned and returned <= closed_on:
                outcome, on = Outcome.RETURNED_TO_CARE.value, returned
            else:
                outcome, on = Outcome.STAYED_HOME.value, None
            self.writer.add(
                "child_outcome",
                id=uid(rng),
                family_id=self.family.id,
                child_id=child.id,
                outcome=outcome,
                returned_to_care_on=on,
                details=None,
                recorded_by_id=self.family.author,
                **self.family._versioned(at(closed_on, rng)),
            )


def latest_content(framework: str) -> FrameworkContent:
    return load_registry(PROJECT_ROOT / "framework_content").latest(framework)


@functools.cache
def factors_of(content: FrameworkContent, domain_id: str) -> list[Any]:
    return [info for info in content.factors.values() if info.domain.id == domain_id]


# --- the run -----------------------------------------------------------------------------------


def plans(
    rng: random.Random, teams: list[Team], counts: list[int], content: FrameworkContent
) -> Iterator[FamilyPlan]:
    """Who each family is allocated to, and how far through the framework it is: most
    families are in the assessment, fewer have been through the first classification."""
    order = [section for stage in content.stages for section in stage.sections]
    first_classification = next(
        (n for n, s in enumerate(order) if isinstance(s, ClassificationSection)), len(order) - 1
    )
    practitioners = [(team, person) for team in teams for person in team.practitioners]
    per_practitioner = math.ceil(len(counts) / len(practitioners))
    for index, entries in enumerate(counts):
        team, practitioner = practitioners[index // per_practitioner]
        if index < 2:  # the benchmark's families: signed off once, into the next stage
            reached = first_classification + 3
        elif rng.random() < 0.7:
            reached = int((first_classification + 1) * rng.random() ** 0.8)
        else:
            reached = rng.randrange(first_classification, len(order))
        yield FamilyPlan(
            index=index,
            entries=entries,
            team=team,
            practitioner=None if index >= 2 and rng.random() < 0.04 else practitioner,
            supervisor=team.supervisors[index % len(team.supervisors)],
            reached=reached,
        )


@functools.cache
def process_engine(url: str) -> Engine:
    return make_engine(url)


def _load_families(job: tuple[str, str, int, date, list[FamilyPlan]]) -> Counter[str]:
    """Build and write a chunk of families in one transaction (in a worker process)."""
    url, framework, seed, as_of, chunk = job
    content = latest_content(framework)
    with process_engine(url).connect() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SET synchronous_commit = off"))
        writer = BulkWriter(connection)
        for plan in chunk:
            FamilyBuilder(writer, content, plan, seed=seed, as_of=as_of).build()
        writer.flush()
        connection.commit()
    return writer.written


def reset_database(engine: Engine, url: str) -> None:
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        return
    path = engine.url.database
    engine.dispose()
    if path:
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)


def analyse(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("ANALYZE"))
        connection.commit()


def run(args: argparse.Namespace) -> None:
    engine = make_engine(args.database_url)
    if args.reset:
        reset_database(engine, args.database_url)
        engine = make_engine(args.database_url)
    migrate(engine)
    with engine.connect() as connection:
        existing = connection.execute(select(func.count()).select_from(Family)).scalar_one()  # type: ignore[arg-type]
    if existing:
        raise SystemExit(
            f"The database already holds {existing} families; pass --reset to replace them."
        )
    content = latest_content(args.framework)
    rng = random.Random(f"{args.seed}:plan")
    counts, _ = entry_counts(rng, args.families, args.entries)
    now = datetime.combine(args.as_of, datetime.min.time(), tzinfo=UTC)
    began = time.perf_counter()
    with engine.connect() as connection:
        writer = BulkWriter(connection)
        teams = build_accounts(writer, random.Random(f"{args.seed}:accounts"), args.families, now)
        writer.flush()
        connection.commit()
    engine.dispose()
    written = writer.written
    every = list(plans(rng, teams, counts, content))
    jobs = [
        (args.database_url, args.framework, args.seed, args.as_of, every[start : start + CHUNK])
        for start in range(0, len(every), CHUNK)
    ]
    done = 0
    # A process per core builds rows while the database writes another's: every family comes
    # from its own random stream, so the data does not depend on which process built it.
    with ProcessPoolExecutor(
        os.cpu_count() or 1, mp_context=multiprocessing.get_context("fork")
    ) as pool:
        for chunk_written in pool.map(_load_families, jobs):
            written.update(chunk_written)
            done += CHUNK
            if done % (CHUNK * 8) == 0 or done >= args.families:
                rate = written["chronology_entry"] / (time.perf_counter() - began)
                print(
                    f"  {min(done, args.families):>7,} families, "
                    f"{written['chronology_entry']:>9,} entries ({rate:,.0f} entries/s)",
                    flush=True,
                )
    loaded = time.perf_counter() - began
    analyse(engine)
    print(
        f"Loaded {args.families:,} families and {written['chronology_entry']:,} entries in "
        f"{loaded:.0f} s (statistics gathered in {time.perf_counter() - began - loaded:.0f} s)."
    )
    for table, count in sorted(written.items()):
        print(f"  {table:32} {count:>10,}")
    print(
        f"Every account's password is {BENCH_PASSWORD!r}; the families for bench/run.py are "
        f"{REFERENCE.format(1)} ({GIANT_ENTRIES:,} entries) and {REFERENCE.format(2)} "
        f"({MEDIUM_ENTRIES} entries)."
    )


def main(argv: Iterable[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        default=f"sqlite:///{PROJECT_ROOT / 'data' / 'bench.sqlite3'}",
        help="SQLAlchemy URL (default: data/bench.sqlite3)",
    )
    parser.add_argument("--families", type=int, default=20_000)
    parser.add_argument("--entries", type=int, default=1_000_000, help="chronology entries in all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--as-of", type=date.fromisoformat, default=london_today(), help="today, for the data"
    )
    parser.add_argument("--framework", default="reunification")
    parser.add_argument("--reset", action="store_true", help="empty the database first")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.families < 1:
        parser.error("--families must be at least 1")
    if args.database_url.startswith("sqlite:///"):
        Path(args.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    run(args)


if __name__ == "__main__":
    main()
