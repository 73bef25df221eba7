"""Scratch PostgreSQL databases for tests that must own a whole database: restoring a backup
replaces every table, and the fault tests cut every connection. They are made beside the test
database (its name plus a suffix, and the xdist worker, so parallel runs never share one) and
dropped afterwards. The test database's role needs CREATEDB (.ci/run grants it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from psycopg import sql
from sqlalchemy.engine import make_url

from tests.conftest import REQUIRE_POSTGRES, TEST_DATABASE_URL


def admin_connection() -> psycopg.Connection:
    """An autocommit connection to the test database, from which scratch ones are managed."""
    url = make_url(TEST_DATABASE_URL)
    return psycopg.connect(
        host=url.host,
        port=url.port,
        user=url.username,
        password=url.password,
        dbname=url.database,
        autocommit=True,
    )


def scratch_name(suffix: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    base = make_url(TEST_DATABASE_URL).database or "homeward_test"
    return "_".join(part for part in (base, suffix, worker) if part)[:63]


def drop_database(name: str) -> None:
    """Drop the database, ending the app's connections to it. FORCE refuses to end a backend
    of no role, such as an autovacuum worker on a database just filled (a role without
    pg_signal_backend): a plain DROP then stops the worker itself and waits for it."""
    statement = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
    with admin_connection() as connection:
        try:
            connection.execute(statement + sql.SQL(" WITH (FORCE)"))
        except psycopg.errors.InsufficientPrivilege:
            connection.execute(statement)


@contextmanager
def scratch_database(suffix: str) -> Iterator[str]:
    """A new empty database; yields its SQLAlchemy URL."""
    if not TEST_DATABASE_URL:
        message = "TEST_DATABASE_URL is not set"
        if REQUIRE_POSTGRES:
            pytest.fail(message)
        pytest.skip(message)
    name = scratch_name(suffix)
    drop_database(name)
    with admin_connection() as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(TEST_DATABASE_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(name)
