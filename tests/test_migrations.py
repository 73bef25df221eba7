"""Alembic migrations build exactly the schema the models describe, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

import app.models  # noqa: F401 - registers the tables
from app.db import current_revisions, migration_heads


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == [], f"Models and migrations differ; write a migration: {differences}"


def test_database_is_at_the_head_revision(engine: Engine) -> None:
    assert current_revisions(engine) == migration_heads()
