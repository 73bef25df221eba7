"""Shared fixtures: a migrated database per backend, a rolled-back session per test, an app
and a checking client on that session.

Every test that uses the database runs once on SQLite and, when TEST_DATABASE_URL is set (or
REQUIRE_POSTGRES=1, which then fails if PostgreSQL cannot be reached), once on PostgreSQL.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.config import Environment, Settings
from app.db import get_session, make_engine, migrate
from app.main import create_app
from tests.support.client import CheckingClient

REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if TEST_DATABASE_URL or REQUIRE_POSTGRES else [])


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
    return TEST_DATABASE_URL


@pytest.fixture(scope="session")
def engine(backend: str, database_url: str) -> Iterator[Engine]:
    """A database migrated with Alembic, exactly as production builds it."""
    engine = reset_postgres(database_url) if backend == "postgresql" else make_engine(database_url)
    migrate(engine)
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


def sharing(db: Session) -> Callable[[], Iterator[Session]]:
    """A get_session override that serves the test's session to each request. What the test
    set up is committed first (as an earlier request's work would be), so a request that
    fails and rolls back undoes only its own work."""

    def session_override() -> Iterator[Session]:
        db.commit()
        yield db

    return session_override


@pytest.fixture
def client(app: FastAPI, db: Session) -> Iterator[CheckingClient]:
    """A client whose requests share the test's rolled-back session."""
    app.dependency_overrides[get_session] = sharing(db)
    with CheckingClient(app, base_url="http://testserver") as test_client:
        yield test_client
    app.dependency_overrides.clear()
