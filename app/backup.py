"""Backing up the database and restoring it: `python -m app backup` and `python -m app restore`.

SQLite is copied with its online backup API, which reads a consistent snapshot while the app
goes on writing (a plain copy of the file misses what is still in the write-ahead log, with no
sign that it did). PostgreSQL is dumped with `pg_dump` in its custom format and restored with
`pg_restore` through `psql` in ONE transaction: the schema is emptied and rebuilt from the
backup, or, if anything fails, the database is left exactly as it was.

A restore revokes every session in the restored data, so nobody stays signed in on a session
from the past, and it is recorded in the audit trail. A backup made by a newer version of
Homeward (a schema this code does not know) is refused before anything is changed; an older
one is restored and then migrated to the current schema. See docs/operations.md.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util import CommandError
from sqlalchemy import Engine, func
from sqlalchemy.engine import URL, make_url
from sqlmodel import col, select

from app.config import ConfigError, Settings
from app.db import alembic_config, make_engine, migrate, open_session
from app.models.accounts import UserSession
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.services import audit

SQLITE_HEADER = b"SQLite format 3\x00"
PG_DUMP_HEADER = b"PGDMP"
# What `pg_restore --data-only --table=alembic_version -f -` prints around the revision.
_COPY_START = re.compile(r"^COPY \S*alembic_version \(version_num\) FROM stdin;$")


@dataclass(frozen=True)
class BackupMade:
    path: Path
    size: int


@dataclass(frozen=True)
class Restored:
    revision: str
    sessions_revoked: int


def default_backup_path(settings: Settings, now: datetime) -> Path:
    suffix = "sqlite3" if settings.is_sqlite else "dump"
    return settings.data_dir / "backups" / f"homeward-{now:%Y%m%d-%H%M%S}.{suffix}"


def backup(settings: Settings, target: Path) -> BackupMade:
    """Write a backup of the configured database to `target`. The file appears under its name
    only once it is complete and checked, so a failed backup never looks like a good one."""
    if target.exists():
        raise ConfigError(f"{target} already exists; choose a new file name for the backup.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    try:
        if settings.is_sqlite:
            _backup_sqlite(_sqlite_path(settings), partial)
        else:
            _backup_postgres(make_url(settings.sqlalchemy_url), partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupMade(path=target, size=target.stat().st_size)


def restore(settings: Settings, source: Path) -> Restored:
    """Replace everything in the configured database with the backup in `source`, revoke
    every session, bring the schema up to date and audit the restore."""
    if not source.is_file():
        raise ConfigError(f"There is no backup file at {source}.")
    started = utcnow()
    if settings.is_sqlite:
        revision = _restore_sqlite(source, _sqlite_path(settings), revoked_at=started)
    else:
        revision = _restore_postgres(make_url(settings.sqlalchemy_url), source)
    engine = make_engine(settings.sqlalchemy_url)
    try:
        migrate(engine)
        return Restored(revision=revision, sessions_revoked=_record(engine, source, started))
    finally:
        engine.dispose()


def _record(engine: Engine, source: Path, started: datetime) -> int:
    with open_session(engine) as session:
        revoked = session.exec(
            select(func.count())
            .select_from(UserSession)
            .where(col(UserSession.revoked_at) >= started)
        ).one()
        audit.record(
            session,
            audit.Actor(user=None, request_id="cli", path="python -m app restore"),
            AuditAction.RESTORE,
            entity_type="database",
            details={"backup": source.name, "sessions_revoked": revoked},
        )
        session.commit()
    return revoked


def _known_revision(revision: str) -> None:
    """Refuse a backup whose schema this version of Homeward does not know."""
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    try:
        known = script.get_revision(revision) is not None
    except (CommandError, RevisionError):
        known = False
    if not known:
        raise ConfigError(
            f"This backup was made by a newer version of Homeward (schema {revision}); "
            "restore it with that version or a later one. Nothing was changed."
        )


# SQLite ------------------------------------------------------------------------------------


def _sqlite_path(settings: Settings) -> Path:
    database = make_url(settings.sqlalchemy_url).database
    if not database or database == ":memory:":
        raise ConfigError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _backup_sqlite(database: Path, target: Path) -> None:
    if not database.is_file():
        raise ConfigError(f"There is no SQLite database at {database} to back up.")
    source = sqlite3.connect(database)
    copy = sqlite3.connect(target)
    try:
        # All pages in one step: one consistent snapshot, whatever the app writes meanwhile.
        source.backup(copy)
        # A backup is one self-contained file, not a database with a write-ahead log.
        copy.execute("PRAGMA journal_mode=DELETE")
        _check_sqlite(copy, target)
    finally:
        copy.close()
        source.close()


def _check_sqlite(connection: sqlite3.Connection, path: Path) -> str:
    """The schema revision of a sound Homeward SQLite database, or ConfigError."""
    try:
        sound = connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    except sqlite3.DatabaseError:
        sound = False
    if not sound:
        raise ConfigError(f"{path} is damaged (SQLite's integrity check failed).")
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        row = None
    if not row:
        raise ConfigError(f"{path} is not a Homeward database.")
    return str(row[0])


def _restore_sqlite(source: Path, database: Path, *, revoked_at: datetime) -> str:
    with source.open("rb") as file:
        if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise ConfigError(f"{source} is not a SQLite backup. Nothing was changed.")
    database.parent.mkdir(parents=True, exist_ok=True)
    # The backup itself is never changed: a working copy is checked and has its sessions
    # revoked, then replaces the live database's content in one step.
    with tempfile.TemporaryDirectory(dir=database.parent) as folder:
        working = Path(folder) / "restore.sqlite3"
        shutil.copyfile(source, working)
        copy = sqlite3.connect(working)
        live = sqlite3.connect(database, timeout=30)
        try:
            revision = _check_sqlite(copy, source)
            _known_revision(revision)
            with copy:
                copy.execute(
                    "UPDATE user_session SET revoked_at = ? WHERE revoked_at IS NULL",
                    (revoked_at.strftime("%Y-%m-%d %H:%M:%S.%f"),),
                )
            copy.backup(live)
        finally:
            live.close()
            copy.close()
    return revision


# PostgreSQL --------------------------------------------------------------------------------


def _client(program: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise ConfigError(
            f"{program} is not installed: install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client), of the server's major version or newer."
        )
    return path


def _environment(url: URL) -> dict[str, str]:
    """libpq settings for the client tools. The password goes in the environment, never on
    the command line, where other users of the machine could read it."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    values = {
        "PGHOST": url.host,
        "PGPORT": str(url.port) if url.port else None,
        "PGUSER": url.username,
        "PGPASSWORD": url.password,
        "PGDATABASE": url.database,
        "PGSSLMODE": url.query.get("sslmode"),
        "PGCONNECT_TIMEOUT": "10",
    }
    env.update({key: str(value) for key, value in values.items() if value})
    return env


def _run(command: list[str], url: URL) -> str:
    result = subprocess.run(  # noqa: S603 - fixed programs, arguments are ours
        command,
        env=_environment(url),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        check=False,
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(
            f"{Path(command[0]).name} failed: {message[-1] if message else 'no message'}."
        )
    return result.stdout.decode("utf-8", "replace")


def _backup_postgres(url: URL, target: Path) -> None:
    _run([_client("pg_dump"), "--format=custom", "--file", str(target)], url)
    _dump_revision(url, target)


def _dump_revision(url: URL, dump: Path) -> str:
    """The schema revision inside a custom-format dump, or ConfigError if it is not one."""
    with dump.open("rb") as file:
        if file.read(len(PG_DUMP_HEADER)) != PG_DUMP_HEADER:
            raise ConfigError(f"{dump} is not a PostgreSQL backup made by pg_dump.")
    script = _run(
        [_client("pg_restore"), "--data-only", "--table=alembic_version", "--file=-", str(dump)],
        url,
    )
    lines = script.splitlines()
    for index, line in enumerate(lines):
        if _COPY_START.match(line) and index + 1 < len(lines) and lines[index + 1] != "\\.":
            return lines[index + 1].strip()
    raise ConfigError(f"{dump} is not a backup of a Homeward database.")


def _restore_postgres(url: URL, dump: Path) -> str:
    revision = _dump_revision(url, dump)
    _known_revision(revision)
    # The backup as SQL, in full, before anything is changed: a truncated or damaged backup
    # makes pg_restore fail here, never half-way through a restore psql would then commit.
    # The file holds the records in plain text: it is readable only by this user (mkstemp)
    # and removed at once.
    handle, name = tempfile.mkstemp(prefix="homeward-restore-", suffix=".sql")
    os.close(handle)
    script = Path(name)
    try:
        _run(
            [
                _client("pg_restore"),
                "--no-owner",
                "--no-privileges",
                f"--file={script}",
                str(dump),
            ],
            url,
        )
        # One transaction: empty the schema, rebuild it from the backup, revoke every
        # session. If any statement fails, psql stops and PostgreSQL undoes all of it.
        _run(
            [
                _client("psql"),
                "--no-psqlrc",
                "--quiet",
                "--single-transaction",
                "--set=ON_ERROR_STOP=1",
                "--command=DROP SCHEMA public CASCADE",
                "--command=CREATE SCHEMA public",
                f"--file={script}",
                "--command=UPDATE public.user_session SET revoked_at = now() "
                "WHERE revoked_at IS NULL",
            ],
            url,
        )
    finally:
        script.unlink(missing_ok=True)
    return revision
