"""Database engine, sessions and the Alembic migrations that build the schema."""

from __future__ import annotations

import fcntl
import functools
import logging
import os
import re
import sqlite3
import tempfile
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Hashable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Request
from sqlalchemy import Connection, Engine, create_engine, event, text, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import attributes
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.pool import NullPool, Pool
from sqlmodel import Session

from app.config import ConfigError, Settings
from app.services.errors import Conflict
from app.timeutil import LONDON

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
MIGRATION_LOCK_KEY = 0x486F6D65  # "Home": any constant shared by every app instance
# A function on every SQLite connection that gives the London date of a stored UTC timestamp
# (reports count by date; SQLite knows no time zones). PostgreSQL uses AT TIME ZONE.
SQLITE_LONDON_DATE = "homeward_london_date"


SQLITE_BUSY_SECONDS = 30
LOCKED = "database is locked"


def make_engine(url: str, **options: Any) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout so it behaves.
    `options` go to SQLAlchemy's create_engine (pool sizes in tests)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_SECONDS},
            **options,
        )
        _listen_sqlite(engine, SQLITE_BUSY_SECONDS)
        return engine
    return create_engine(url, pool_pre_ping=True, **options)


def _listen_sqlite(engine: Engine, busy_seconds: float) -> None:
    database = engine.url.database or ":memory:"
    # A database in memory (or named by a URI) has no file to put the turn's file beside.
    on_disk = database != ":memory:" and not database.startswith("file:")
    turn_file = _TurnFile(f"{database}.write-turn") if on_disk else None
    writers = _WRITERS[engine.pool] = _Writers(busy_seconds, turn_file)
    event.listen(engine, "connect", _configure_sqlite_connection)
    event.listen(engine, "begin", writers.begin)
    event.listen(engine, "before_cursor_execute", writers.before_execute)
    event.listen(engine, "commit", writers.end)
    event.listen(engine, "rollback", writers.end)


# The statements that need SQLite's write lock (SAVEPOINT too: a write inside one could not
# take the lock any more, see _Writers).
_WRITES = re.compile(r"\s*(INSERT|UPDATE|DELETE|REPLACE|SAVEPOINT|CREATE|ALTER|DROP)\b", re.I)


class _Writers:
    """SQLite lets one transaction write at a time, and how long each holds that lock decides
    how long every other waits: a page's audit entry (a few milliseconds) waited seconds behind
    a busy form's whole request. So, per engine:

    - The threads of one process take turns for the write lock on a lock of their own, which
      wakes the next waiter the moment it is free. SQLite's own wait (the busy timeout) polls,
      sleeping up to 100 ms a try, so a short write could wait behind others that came later;
      it is left to waits for other processes.
    - `sqlite_begin="LATE"` (a request that writes: app.db._begin_reads) begins deferred and
      takes the write lock only at its first write, so the request's reads before it (the
      session, the user, the content, the family) do not hold it. A deferred transaction that
      reads and then writes would fail at once if another wrote in between, so at the first
      write the reads' transaction is committed (it wrote nothing) and an IMMEDIATE one takes
      its place, seeing what others have saved since, as every statement does on PostgreSQL
      (read committed); saving over a newer version is refused by the version checks.

    - Between processes (several workers on one database file), the thread whose turn it is
      also takes a lock file beside the database (`_TurnFile`), so that a process's writer
      follows another's within a millisecond rather than after SQLite's sleeps.

    The turn is given up at commit or rollback, which may run in another of the thread pool's
    threads (a plain Lock allows that)."""

    HELD, LATE = "homeward.write_turn", "homeward.write_later"

    def __init__(self, timeout: float, turn_file: _TurnFile | None) -> None:
        self.timeout = timeout
        self.lock = threading.Lock()
        self.turn_file = turn_file

    def begin(self, connection: Connection) -> None:
        """pysqlite begins transactions late and mishandles SAVEPOINT, so (as SQLAlchemy's
        docs advise) its handling is off and we begin ourselves. IMMEDIATE (the default)
        takes the write lock at the start; what only reads (a GET, see READS_FIRST; health
        checks) passes `sqlite_begin="DEFERRED"`, and a request that writes "LATE"."""
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE")
        if mode == "LATE":
            connection.exec_driver_sql("BEGIN DEFERRED")
            connection.info[self.LATE] = True
            return
        if mode == "IMMEDIATE":
            self._take_turn(connection)
        try:
            connection.exec_driver_sql(f"BEGIN {mode}")
        except BaseException:
            self.end(connection)
            raise

    def before_execute(self, connection: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if _WRITES.match(statement):
            self.write_now(connection)

    def write_now(self, connection: Connection) -> None:
        """Take the write lock now, if this transaction began LATE and has not yet."""
        if connection.info.pop(self.LATE, False):
            self._take_turn(connection)
            driver = connection.connection.driver_connection
            try:
                driver.execute("COMMIT")  # type: ignore[union-attr]
                driver.execute("BEGIN IMMEDIATE")  # type: ignore[union-attr]
            except BaseException:
                self.end(connection)
                raise

    def end(self, connection: Connection) -> None:
        connection.info.pop(self.LATE, None)
        if connection.info.pop(self.HELD, False):
            if self.turn_file is not None:
                self.turn_file.give()
            self.lock.release()

    def _take_turn(self, connection: Connection) -> None:
        deadline = time.monotonic() + self.timeout
        if not self.lock.acquire(timeout=self.timeout):
            raise _locked()
        try:
            if self.turn_file is not None and not self.turn_file.take(deadline):
                raise _locked()
        except BaseException:
            self.lock.release()
            raise
        connection.info[self.HELD] = True


def _locked() -> OperationalError:
    """As SQLite says when its own wait runs out (a 503 for the person)."""
    return OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError(LOCKED))


class _TurnFile:
    """The write turn between processes: an exclusive `flock` on a file beside the database.
    Only the thread holding its process's turn takes it, so it holds one descriptor at a time,
    opened for the turn and closed (which gives the lock back) at its end. The wait polls every
    millisecond until the writer's deadline: `flock` itself either waits without a limit or
    does not wait."""

    POLL_SECONDS = 0.001

    def __init__(self, path: str) -> None:
        self.path = path
        self._held: int | None = None

    def take(self, deadline: float) -> bool:
        descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() < deadline:
                    time.sleep(self.POLL_SECONDS)
                    continue
                os.close(descriptor)
                return False
            self._held = descriptor
            return True

    def give(self) -> None:
        descriptor, self._held = self._held, None
        if descriptor is not None:
            os.close(descriptor)


# By pool, which an engine's copies with other options share.
_WRITERS: weakref.WeakKeyDictionary[Pool, _Writers] = weakref.WeakKeyDictionary()


def write_lock(session: Session) -> None:
    """On SQLite, take the write lock now, for a read that decides a write and must not run
    beside another's (counting failed sign-ins, freezing a form): a request's transaction takes
    it only at its first write (_Writers). PostgreSQL locks rows (FOR UPDATE) or keys
    (advisory locks) instead."""
    connection = session.connection()
    writers = _WRITERS.get(connection.engine.pool)
    if writers is not None:
        writers.write_now(connection)


# Connections each app process may hold: one per thread of the pool FastAPI runs routes in
# (AnyIO's default of 40), so a request never waits for a connection while a thread is free
# (on SQLite too: SQLAlchemy's default of 15 kept readers waiting behind one another).
POOL_SIZE, POOL_OVERFLOW = 10, 30


def app_engine(settings: Settings) -> Engine:
    """The engine requests use. On PostgreSQL every wait is bounded by the settings: a statement
    is cancelled after `database_statement_timeout_seconds` (lock waits included), a request
    gives up waiting for a pooled connection after `database_pool_timeout_seconds`, and a new
    connection after `database_connect_timeout_seconds`; each is a 503 for the person. The
    command line's engines (migrations, backups) have no statement timeout."""
    if settings.is_sqlite:
        return make_engine(settings.sqlalchemy_url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    return make_engine(
        settings.sqlalchemy_url,
        pool_size=POOL_SIZE,
        max_overflow=POOL_OVERFLOW,
        pool_timeout=settings.database_pool_timeout_seconds,
        connect_args={
            "connect_timeout": settings.database_connect_timeout_seconds,
            "options": f"-c statement_timeout={settings.database_statement_timeout_seconds}s",
        },
    )


def make_probe_engine(url: str, *, timeout: float) -> Engine:
    """An engine for health checks: no pool, so a check never waits behind requests for a
    connection, and connecting gives up after `timeout` seconds."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            poolclass=NullPool,
            connect_args={"check_same_thread": False, "timeout": timeout},
        )
        _listen_sqlite(engine, timeout)
        return engine
    # libpq counts whole seconds and treats anything under 2 as 2.
    return create_engine(
        url, poolclass=NullPool, connect_args={"connect_timeout": max(2, round(timeout))}
    )


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
    dbapi_connection.create_function(SQLITE_LONDON_DATE, 1, _london_date, deterministic=True)


def _london_date(stored: str | None) -> str | None:
    """A timestamp as SQLAlchemy stores it in SQLite (UTC, no offset) to its London date."""
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON).date().isoformat()


def open_session(engine: Engine) -> Session:
    """A session whose objects stay readable after commit (pages render after saving)."""
    return Session(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request, on the engine the app was created with. Async, as opening and
    closing it wait for nothing (the request's transaction has ended by then: see
    request_transaction): FastAPI runs a plain function's dependency in its thread pool, and
    each trip there and back cost about 0.25 ms of the event loop's time."""
    with open_session(request.app.state.engine) as session:
        yield session


P = ParamSpec("P")
R = TypeVar("R")

# On SQLite a GET or HEAD reads in a deferred transaction, so it never waits for a writer (WAL
# lets readers work beside one writer); what it writes (its audit entries, the session's touch)
# follows the reads, in a short transaction of its own. A deferred transaction that reads and
# then writes would fail at once if someone wrote in between. PostgreSQL needs none of this.
READS_FIRST = "homeward.reads_first"
AFTER_READS = "homeward.after_reads"
IN_REQUEST = "homeward.in_request"
# Values read once per request (read_once), by key; dropped when the request or transaction ends.
_READ_ONCE = "homeward.read_once"
SAFE_METHODS = frozenset({"GET", "HEAD"})


def writes_on_get(endpoint: Callable[P, R]) -> Callable[P, R]:
    """Mark a GET route that writes more than audit entries (a sign-in callback, a new
    authenticator secret): it takes SQLite's write lock at the start, like a POST."""
    endpoint.writes_on_get = True  # type: ignore[attr-defined]
    return endpoint


def reads_first(session: Session) -> bool:
    """True while a GET's reads are under way on SQLite (see READS_FIRST)."""
    return bool(session.info.get(READS_FIRST))


def change_after_reads(session: Session, row: Any, **values: Any) -> None:
    """Change plain columns of `row`: during a GET's reads on SQLite, after them (see
    READS_FIRST); in any other request, just before it commits. So the row (a session's "last
    seen", which each request of that person may touch) stays locked for the commit only, not
    while the request works: on PostgreSQL a PDF's seconds kept every other request of the
    same person waiting, past the statement timeout. The row shows the new values at once."""
    if not reads_first(session) and not session.info.get(IN_REQUEST):
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)
        return
    for name, value in values.items():
        attributes.set_committed_value(row, name, value)
    model = type(row)
    keys = {column.key: getattr(row, column.key) for column in model.__mapper__.primary_key}
    statement = update(model).filter_by(**keys).values(**values)
    session.info.setdefault(AFTER_READS, []).append(statement)


def _begin_reads(request: Request, session: Session) -> None:
    if session.get_bind().dialect.name != "sqlite" or session.in_transaction():
        return
    endpoint = request.scope.get("endpoint")
    if request.method in SAFE_METHODS and not getattr(endpoint, "writes_on_get", False):
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})
        session.info[READS_FIRST] = True
    else:
        # Its reads (the session, the user, the family) do not hold the write lock (_Writers).
        session.connection(execution_options={"sqlite_begin": "LATE"})


@event.listens_for(Session, "before_flush")
def _warn_of_writes_during_reads(session: Session, _context: Any, _instances: Any) -> None:
    rows = [*session.new, *session.dirty, *session.deleted]
    if rows and reads_first(session):
        # It still works while nobody else writes; mark the route with writes_on_get.
        logger.warning(
            "A GET request wrote during its reads: %s", sorted({type(row).__name__ for row in rows})
        )


# Objects a failed request must still write (refused access, reads of a family's record):
# constructors and their arguments, kept in the session's info until the request ends.
KEPT_ON_FAILURE = "homeward.kept_on_failure"
STALE = (
    "Someone else saved this after you opened it, so nothing was changed. What you entered is "
    "below: check it against what is saved now, then save again."
)


def keep_on_failure(session: Session, factory: Callable[..., Any], **values: Any) -> None:
    """Write `factory(**values)` even if the request fails and its work is rolled back."""
    session.info.setdefault(KEPT_ON_FAILURE, []).append((factory, values))


def request_transaction(
    request: Request,
    session: Session,
    first: Callable[[Request, Session], None] | None = None,
) -> Iterator[Session]:
    """The one place a request's work is committed: after the route returns and before the
    response is sent, so a failed commit is never acknowledged. When the route (or a
    dependency, or `first`, run once the transaction is open) raises, everything is rolled
    back and only what must outlive the failure (the audit of a refusal or a read) is
    written, in a transaction of its own."""
    request.state.db = session
    for key in (KEPT_ON_FAILURE, READS_FIRST, AFTER_READS, _READ_ONCE):
        session.info.pop(key, None)
    session.info[IN_REQUEST] = True
    _begin_reads(request, session)
    try:
        if first is not None:
            first(request, session)
        yield session
    except BaseException:
        _fail(request, session)
        raise
    finally:
        session.info.pop(IN_REQUEST, None)
    try:
        if not reads_first(session):
            for statement in session.info.pop(AFTER_READS, []):
                session.execute(statement)
        session.commit()
        kept = session.info.pop(KEPT_ON_FAILURE, [])
        if session.info.pop(READS_FIRST, False):
            _write_after_reads(session, kept, session.info.pop(AFTER_READS, []))
    except StaleDataError as error:
        _fail(request, session)
        raise Conflict(STALE) from error
    except BaseException:
        _fail(request, session)
        raise


def _write_after_reads(session: Session, kept: list[Any], statements: list[Any]) -> None:
    if not kept and not statements:
        return
    session.add_all(factory(**values) for factory, values in kept)
    for statement in statements:
        session.execute(statement)
    session.commit()


def _fail(request: Request, session: Session) -> None:
    session.rollback()
    session.info.pop(READS_FIRST, None)
    session.info.pop(AFTER_READS, None)
    kept = session.info.pop(KEPT_ON_FAILURE, [])
    try:
        if kept:
            session.add_all(factory(**values) for factory, values in kept)
            session.commit()
        # The error page shows who is signed in: reload what the rollback expired.
        for name in ("user", "session_record"):
            item = getattr(request.state, name, None)
            if item is not None and item in session:
                session.refresh(item)
    except SQLAlchemyError:
        # The database is failing too (the likely cause of the first error): the error
        # response matters more; the entries are logged instead.
        logger.exception("Could not record %d audit entries of a failed request", len(kept))
        session.rollback()


def atomic(
    service: Callable[Concatenate[Session, P], R],
) -> Callable[Concatenate[Session, P], R]:
    """Run a service in a savepoint: if it raises (a conflict found after some writes, bad
    input found late), none of its writes stay, while the rest of the request's work does.
    A row changed by someone else since it was read (its version no longer matches) is a
    Conflict."""

    @functools.wraps(service)
    def run(session: Session, /, *args: P.args, **kwargs: P.kwargs) -> R:
        try:
            with session.begin_nested():
                return service(session, *args, **kwargs)
        except StaleDataError as error:
            raise Conflict(STALE) from error

    return run


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # ConfigParser treats % as interpolation; URLs may contain encoded characters.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(engine: Engine) -> None:
    """Apply every migration up to head on the given engine."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Several app containers may start at once: only one migrates, the others wait.
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def migration_heads() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return set(script.get_heads())


def current_revisions(engine: Engine) -> set[str]:
    with engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def describe_database(url: str) -> str:
    """A safe description of a database URL for messages: no password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"the SQLite file {parsed.database}"
    return f"PostgreSQL at {parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database}"


def ensure_data_dir(settings: Settings) -> None:
    """Create the data directory and prove it is writable, or say why not."""
    data_dir = settings.data_dir
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=data_dir, prefix=".write-check-"):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ConfigError(
            f"The data directory {data_dir} cannot be written to ({reason}); "
            "set HOMEWARD_DATA_DIR to a writable folder."
        ) from error
    if not os.access(data_dir, os.W_OK):  # pragma: no cover - covered by the write above
        raise ConfigError(f"The data directory {data_dir} cannot be written to.")


def check_database(engine: Engine) -> None:
    """Prove the database answers, or raise one sentence saying it does not."""
    try:
        with engine.connect().execution_options(sqlite_begin="DEFERRED") as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        url = engine.url.render_as_string(hide_password=False)
        cause = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise ConfigError(
            f"Cannot reach the database ({describe_database(url)}): {cause}."
        ) from error


def check_migrations_current(engine: Engine) -> None:
    if current_revisions(engine) != migration_heads():
        raise ConfigError(
            "The database schema is not up to date; run `python -m app migrate` first."
        )


# The tables a session's transaction has written: values cached by the state of rows
# (app.memo) are neither read nor kept by a transaction that wrote the rows they come from, as
# it may yet roll back. (A GET writes its audit entries and the session's touch: other tables.)
_WROTE = "homeward.wrote"


def _pending_tables(session: Session) -> set[str]:
    """The tables of the rows the session holds new, changed or deleted."""
    rows = (*session.new, *session.dirty, *session.deleted)
    return {table.name for row in rows for table in sa_inspect(row).mapper.tables}


def _wrote(session: Session, tables: set[str]) -> None:
    session.info.setdefault(_WROTE, set()).update(tables)
    memo: dict[Hashable, tuple[frozenset[str], Any]] | None = session.info.get(_READ_ONCE)
    if memo:
        for key in [key for key, (read, _value) in memo.items() if not read.isdisjoint(tables)]:
            del memo[key]


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _context: Any) -> None:
    _wrote(session, _pending_tables(session))


@event.listens_for(Session, "do_orm_execute")
def _executed(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _wrote(state.session, {getattr(table, "name", "")})


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)
        session.info.pop(_READ_ONCE, None)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, _transaction: Any) -> None:
    # A savepoint rolled back may take with it rows a value was read from.
    session.info.pop(_READ_ONCE, None)


def has_written(session: Session, *tables: str) -> bool:
    """Whether the session's current transaction has written any of these tables."""
    return not session.info.get(_WROTE, set()).isdisjoint(tables)


V = TypeVar("V")


def read_once(
    session: Session,
    key: Hashable,
    tables: Iterable[str],
    read: Callable[[], V],
    *,
    fresh: bool = False,
) -> V:
    """`read()` the first time a transaction asks for `key`, the same value after that: several
    parts of one page read the same records (a family's summary read its answers five times).
    A write to any of `tables` (flushed, or waiting in the session) makes the next call read
    afresh; `fresh` reads afresh and keeps that (after taking a lock, say, to see what others
    stored since)."""
    read_from = frozenset(tables)
    memo: dict[Hashable, tuple[frozenset[str], Any]] = session.info.setdefault(_READ_ONCE, {})
    if fresh or key not in memo or not read_from.isdisjoint(_pending_tables(session)):
        # Reading flushes what waits in the session (dropping values it makes stale) first.
        value = read()
        memo[key] = (read_from, value)
        return value
    return memo[key][1]  # type: ignore[no-any-return]
