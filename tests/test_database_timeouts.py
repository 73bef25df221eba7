"""Bounded waits on PostgreSQL: the app's engine cancels a statement that runs too long and
gives up waiting for a pooled connection, each as the error the 503 page handles."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.db import POOL_OVERFLOW, POOL_SIZE, app_engine
from app.errors import DATABASE_UNAVAILABLE
from tests.conftest import test_settings


@pytest.fixture
def postgres_url(backend: str, database_url: str) -> str:
    if backend != "postgresql":
        pytest.skip("the timeouts are PostgreSQL's")
    return database_url


def test_a_statement_that_runs_too_long_is_cancelled(postgres_url: str, tmp_path: Path) -> None:
    engine = app_engine(test_settings(postgres_url, tmp_path, database_statement_timeout_seconds=1))
    try:
        with engine.connect() as connection, pytest.raises(OperationalError) as raised:
            connection.execute(text("SELECT pg_sleep(30)"))
        assert isinstance(raised.value.orig, psycopg.errors.QueryCanceled)
        assert isinstance(raised.value, DATABASE_UNAVAILABLE)
        # The pool's connection is usable again afterwards.
        with engine.connect() as connection:
            assert connection.execute(text("SELECT 1")).scalar_one() == 1
    finally:
        engine.dispose()


def test_waiting_for_a_pooled_connection_gives_up(postgres_url: str, tmp_path: Path) -> None:
    engine = app_engine(test_settings(postgres_url, tmp_path, database_pool_timeout_seconds=1))
    held = []
    try:
        for _ in range(POOL_SIZE + POOL_OVERFLOW):
            held.append(engine.connect())
        with pytest.raises(PoolTimeout) as raised:
            engine.connect()
        assert isinstance(raised.value, DATABASE_UNAVAILABLE)
    finally:
        for connection in held:
            connection.close()
        engine.dispose()
