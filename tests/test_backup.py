"""Backup and restore, on SQLite and PostgreSQL: a round trip of the demo data compares every
table row by row; a restore signs everyone out and is audited; an online SQLite backup holds
writes still in the write-ahead log; bad, damaged and newer backups are refused with nothing
changed."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, MetaData, select, text, update

from app.backup import backup, restore
from app.config import ConfigError, Settings
from app.content.registry import load_registry
from app.db import make_engine, migrate, open_session
from app.demo import load_demo
from app.main import create_app
from app.models.accounts import Role
from app.models.family import Child
from tests.conftest import test_settings
from tests.factories import make_team, make_user, start_session
from tests.support.postgres import scratch_database
from tests.test_cli import run_cli

Snapshot = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def live_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own (a restore replaces all of it), migrated and empty."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'live.sqlite3'}"
    else:
        with scratch_database("restore") as url:
            yield url


@pytest.fixture
def live(live_url: str) -> Iterator[Engine]:
    engine = make_engine(live_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def settings_for(live_url: str, tmp_path: Path) -> Settings:
    return test_settings(live_url, tmp_path)


def snapshot(engine: Engine) -> Snapshot:
    """Every row of every table in the database (reflected, so nothing is left out)."""
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        return {
            name: sorted(
                (tuple(row) for row in connection.execute(select(table))),
                key=repr,
            )
            for name, table in metadata.tables.items()
        }


def test_a_round_trip_restores_every_table_exactly(
    live: Engine, settings_for: Settings, tmp_path: Path
) -> None:
    with open_session(live) as session:
        load_demo(
            session,
            load_registry(settings_for.content_dir),
            secret_key=settings_for.secret_key,
        )
        user = make_user(session, roles=[Role.PRACTITIONER], name="Sam Signed-In")
        cookie = start_session(session, user)
        session.commit()
    before = snapshot(live)
    made = backup(settings_for, tmp_path / "homeward.backup")
    assert made.size > 0

    # Work after the backup: it must all be gone after the restore.
    with open_session(live) as session:
        make_team(session, "Made after the backup")
        session.execute(update(Child).values(name="Changed after the backup"))
        later = start_session(session, user)
        session.commit()

    restored = restore(settings_for, made.path)
    after = snapshot(live)

    assert set(after) == set(before)
    filled = [name for name in before if before[name]]
    assert len(filled) >= 20, filled  # demo data fills nearly every table
    print(
        f"\nROUND TRIP tables={len(before)} with_rows={len(filled)} "
        f"rows={sum(len(rows) for rows in before.values())}"
    )
    sessions = after.pop("user_session")
    audit = after.pop("audit_event")
    assert {name: rows for name, rows in before.items() if name in after} == after
    # Every session is revoked, and otherwise as it was.
    revoked_at = _column(live, "user_session", "revoked_at")
    assert all(row[revoked_at] is not None for row in sessions)
    assert _without(sessions, revoked_at) == _without(before["user_session"], revoked_at)
    assert restored.sessions_revoked == len(before["user_session"])
    # The audit trail is the backup's, and one entry more: the restore.
    added = [row for row in audit if row not in before["audit_event"]]
    assert len(audit) == len(before["audit_event"]) + 1
    action = _column(live, "audit_event", "action")
    assert [row[action] for row in added] == ["restore"]

    client = TestClient(create_app(settings_for))
    for token in (cookie, later):
        client.cookies.set("homeward_session", token)
        response = client.get("/home", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/sign-in")


def _column(engine: Engine, table: str, column: str) -> int:
    metadata = MetaData()
    metadata.reflect(engine, only=[table])
    return [c.name for c in metadata.tables[table].columns].index(column)


def _without(rows: list[tuple[Any, ...]], index: int) -> list[tuple[Any, ...]]:
    return sorted((row[:index] + row[index + 1 :] for row in rows), key=repr)


def test_an_online_sqlite_backup_holds_writes_still_in_the_log(tmp_path: Path) -> None:
    """The app keeps writing while the backup runs: the backup holds every write committed
    before it started, including those only in the write-ahead log, and is sound."""
    url = f"sqlite:///{tmp_path / 'live.sqlite3'}"
    engine = make_engine(url)
    migrate(engine)
    settings = test_settings(url, tmp_path)
    # A reader that started earlier stops SQLite moving the new writes from its write-ahead
    # log into the database file, as readers of a busy app do.
    keeper = engine.connect().execution_options(sqlite_begin="DEFERRED")
    keeper.execute(text("SELECT count(*) FROM team"))
    with open_session(engine) as session:
        for number in range(200):
            make_team(session, f"Before {number}")
        session.commit()
    # So a plain copy of the file misses them: the case the backup must get right.
    plain = tmp_path / "plain-copy.sqlite3"
    shutil.copyfile(tmp_path / "live.sqlite3", plain)
    with sqlite3.connect(plain) as copied:
        tables = {row[0] for row in copied.execute("SELECT name FROM sqlite_master")}
        assert "team" not in tables or copied.execute("SELECT count(*) FROM team").fetchone() == (
            0,
        )

    stop = threading.Event()

    def keep_writing() -> None:
        with open_session(engine) as session:
            while not stop.is_set():
                make_team(session, f"During {uuid.uuid4().hex}")
                session.commit()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        made = backup(settings, tmp_path / "online.sqlite3")
    finally:
        stop.set()
        writer.join()
        keeper.close()
        engine.dispose()
    copy = sqlite3.connect(made.path)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        names = {row[0] for row in copy.execute("SELECT name FROM team")}
    finally:
        copy.close()
    assert {f"Before {number}" for number in range(200)} <= names
    assert not Path(f"{made.path}-wal").exists()


def test_a_backup_never_overwrites_a_file(live: Engine, settings_for: Settings) -> None:
    target = settings_for.data_dir / "existing.backup"
    target.write_bytes(b"keep me")
    with pytest.raises(ConfigError, match="already exists"):
        backup(settings_for, target)
    assert target.read_bytes() == b"keep me"


def test_bad_backups_are_refused_and_nothing_changes(
    live: Engine, settings_for: Settings, tmp_path: Path, backend: str
) -> None:
    with open_session(live) as session:
        make_team(session, "Still here")
        session.commit()
    made = backup(settings_for, tmp_path / "good.backup")
    with open_session(live) as session:
        make_team(session, "Added after")
        session.commit()
    before = snapshot(live)

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("Meeting notes, not a backup")
    damaged = tmp_path / "damaged.backup"
    damaged.write_bytes(made.path.read_bytes()[: made.size // 2])
    cases = [(not_a_backup, "not a"), (damaged, "damaged|failed|not a")]
    if backend == "sqlite":
        newer = tmp_path / "newer.backup"
        newer.write_bytes(made.path.read_bytes())
        with sqlite3.connect(newer) as connection:
            connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
        cases.append((newer, "newer version of Homeward"))
    for path, message in cases:
        with pytest.raises(ConfigError, match=message):
            restore(settings_for, path)
        assert snapshot(live) == before, path.name


def test_restore_asks_before_it_replaces_anything(tmp_path: Path) -> None:
    migrated = run_cli("migrate", HOMEWARD_DATA_DIR=str(tmp_path))
    assert migrated.returncode == 0, migrated.stderr
    made = run_cli("backup", str(tmp_path / "b.sqlite3"), HOMEWARD_DATA_DIR=str(tmp_path))
    assert made.returncode == 0, made.stderr
    assert "Backed up" in made.stdout
    refused = run_cli("restore", str(tmp_path / "b.sqlite3"), HOMEWARD_DATA_DIR=str(tmp_path))
    assert refused.returncode == 1
    assert "--yes" in refused.stderr
    done = run_cli("restore", "--yes", str(tmp_path / "b.sqlite3"), HOMEWARD_DATA_DIR=str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "signed out" in done.stdout
