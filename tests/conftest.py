"""Shared fixtures: a migrated database per backend, a rolled-back session per test, an app
and a checking client on that session.

Every test that uses the database runs once on SQLite and, when TEST_DATABASE_URL is set (or
REQUIRE_POSTGRES=1, which then fails if PostgreSQL cannot be reached), once on PostgreSQL.
`make test` runs the suite in one process per core (pytest-xdist): each worker has its own
temporary folders (so its own SQLite files and browser servers) and its own PostgreSQL
database beside TEST_DATABASE_URL's (see worker_database_url).

With SQLITE_TESTS=backend (as CI runs, to stay under 20 minutes on 2 cores) the SQLite leg
runs only for the modules about what differs between the backends (BACKEND_MODULES) and the
walks done on SQLite only; every other test runs on PostgreSQL, production's database. The
browser tests' servers use SQLite throughout, and `make test` without TEST_DATABASE_URL (a
fresh machine) runs every test on SQLite.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from psycopg import sql
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app import db as app_db
from app.config import PROJECT_ROOT, Environment, Settings
from app.db import make_engine, migrate, open_session
from app.main import create_app
from app.preview import PREVIEW
from app.services.content_store import import_bundled
from tests.support.client import CheckingClient
from tests.support.journey import story  # noqa: F401  (a fixture for the journey's tests)

REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL or REQUIRE_POSTGRES else [])
SQLITE_TESTS = os.environ.get("SQLITE_TESTS", "all")
# Modules whose subject differs between SQLite and PostgreSQL (transactions and locks,
# migrations and triggers, backups, the reports' SQL, the chronology's date arithmetic,
# sessions' and content's dialect branches): both legs run in every mode.
BACKEND_MODULES = (
    "tests/test_",
    "tests/services/test_retention.py",
    "tests/services/test_reports.py",
    "tests/services/test_content_store.py",
    "tests/routes/test_deleted_families.py",
    "tests/routes/test_reports.py",
    "tests/routes/test_auth.py",
    "tests/routes/test_clean_failures.py",
    "tests/unit/test_chronology_analysis.py",
    "tests/unit/test_read_once.py",
)


# The longest modules first: pytest-xdist hands whole modules to the workers in collection
# order, so the last ones handed out, which decide when the run ends, are then short. (Only
# with --no-loadscope-reorder, as `make test` runs it: by default pytest-xdist puts the modules
# with the most tests first, which left single long browser and fault tests to the end.)
LONGEST_FIRST = (
    "tests/faults/",
    "tests/browser/",
    "tests/routes/test_access_control.py",
    "tests/routes/test_attacks_",
    "tests/test_backup.py",
    "tests/test_cli.py",
    "tests/services/test_demo.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.path.relative_to(PROJECT_ROOT).as_posix()
        return next(
            (number for number, start in enumerate(LONGEST_FIRST) if path.startswith(start)),
            len(LONGEST_FIRST),
        )

    items.sort(key=rank)  # stable: each module's tests keep their order

    kept, deselected = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec else None
        once = item.get_closest_marker("on_sqlite_only")
        if once and backend == "postgresql":
            item.add_marker(pytest.mark.skip(reason=once.args[0]))
        path = item.path.relative_to(PROJECT_ROOT).as_posix()
        if (
            backend == "sqlite"
            and SQLITE_TESTS == "backend"
            and not once
            and not path.startswith(BACKEND_MODULES)
        ):
            deselected.append(item)
        else:
            kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


def worker_database_url(url: str) -> str:
    """The PostgreSQL database of this pytest-xdist worker: TEST_DATABASE_URL's database with
    the worker's id appended (homeward_test_gw0, ...), created beside it when missing, so that
    parallel workers never reset each other's schema. Without xdist, TEST_DATABASE_URL itself."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker:
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"[:63]
    try:
        with psycopg.connect(
            host=parsed.host,
            port=parsed.port,
            user=parsed.username,
            password=parsed.password,
            dbname=parsed.database,
            autocommit=True,
        ) as connection:
            exists = connection.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
            ).fetchone()
            if exists is None:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.errors.DuplicateDatabase:
        pass  # made meanwhile by an earlier run of the same worker id
    except psycopg.Error as error:
        message = (
            f"Cannot make the database {name} for xdist worker {worker} (its role needs "
            f"CREATEDB, which .ci/run grants): {error}"
        )
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    return parsed.set(database=name).render_as_string(hide_password=False)


def reset_postgres(url: str) -> Engine:
    """An engine on an empty public schema of the PostgreSQL test database."""
    if not TEST_DATABASE_URL:
        pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    except Exception as error:
        message = f"PostgreSQL at TEST_DATABASE_URL is unreachable: {error}"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    return engine


def test_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "environment": Environment.TEST,
        "database_url": database_url,
        "data_dir": data_dir,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


test_settings.__test__ = False  # type: ignore[attr-defined]  # a helper, not a test


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory, backend: str) -> Path:
    return tmp_path_factory.mktemp(f"data-{backend}")


@pytest.fixture(scope="session")
def database_url(backend: str, data_dir: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{data_dir / 'test.sqlite3'}"
    if not TEST_DATABASE_URL:
        pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
    return worker_database_url(TEST_DATABASE_URL)


@pytest.fixture(scope="session")
def engine(backend: str, database_url: str) -> Iterator[Engine]:
    """A database migrated with Alembic, exactly as production builds it."""
    engine = reset_postgres(database_url) if backend == "postgresql" else make_engine(database_url)
    migrate(engine)
    # As an app instance does when it starts; before any test opens its rolled-back
    # transaction, so that the apps' own start-up imports then only read.
    import_bundled(engine, PROJECT_ROOT / "framework_content")
    yield engine
    engine.dispose()


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back after the test, even what it commits."""
    connection = engine.connect()
    transaction = connection.begin()
    session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    yield session
    session.close()
    transaction.rollback()
    connection.close()


@pytest.fixture(scope="session")
def settings(database_url: str, data_dir: Path) -> Settings:
    return test_settings(database_url, data_dir)


@pytest.fixture(scope="session")
def app(settings: Settings, engine: Engine) -> FastAPI:
    application = create_app(settings)
    application.state.engine = engine
    return application


class SharedSession:
    """Stands in for `open_session(engine)` in `get_session`: serves the test's session to
    each request. What the test set up is committed first (as an earlier request's work would
    be), so a request that fails and rolls back undoes only its own work. (Not inside a draft's
    preview: its page is drawn within the trainer's request, in savepoints that must stay
    open.) The session stays open for the test after the request. Only requests to the app
    on `engine` share it: any other app in the process opens its own session as usual."""

    def __init__(self, db: Session, engine: Engine) -> None:
        self.db = db
        self.engine = engine

    def __call__(self, engine: Engine) -> SharedSession | Session:
        return self if engine is self.engine else open_session(engine)

    def __enter__(self) -> Session:
        if PREVIEW.get() is None:
            self.db.commit()
        return self.db

    def __exit__(self, *exc: object) -> None:
        return None


@pytest.fixture
def client(app: FastAPI, db: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[CheckingClient]:
    """A client whose requests share the test's rolled-back session. (Patched where
    `get_session` opens its session rather than set in `app.dependency_overrides`: with any
    override there, FastAPI rebuilds every route's dependencies on every request, which cost
    the suite a tenth of each request.)"""
    monkeypatch.setattr(app_db, "open_session", SharedSession(db, app.state.engine))
    with CheckingClient(app, base_url="http://testserver") as test_client:
        yield test_client
