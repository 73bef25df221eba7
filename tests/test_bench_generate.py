"""The scale-data generator (bench/generate.py) on a small run: deterministic from its seed,
its families open in the app, and its classifications carry the rules' own suggestion."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, col, select

from app.db import make_engine
from app.models.assessment import Classification
from app.models.chronology import ChronologyEntry
from app.models.family import Family
from app.services import classification
from bench import generate
from tests.factories import CONTENT

AS_OF = date(2026, 11, 2)


def generated(folder: Path, name: str) -> str:
    return generated_into(f"sqlite:///{folder / name}")


def generated_into(url: str) -> str:
    generate.main(
        [
            "--database-url",
            url,
            "--families",
            "40",
            "--entries",
            "7000",
            "--seed",
            "3",
            "--as-of",
            AS_OF.isoformat(),
        ]
    )
    return url


@pytest.fixture(scope="module")
def urls(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    folder = tmp_path_factory.mktemp("generated")
    return generated(folder, "one.sqlite3"), generated(folder, "two.sqlite3")


def dump(url: str) -> list[tuple[object, ...]]:
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = [
            tuple(row)
            for table in (
                "family",
                "chronology_entry",
                "assessment_answer",
                "classification",
                "review_cycle",
                "child_return",
                "monitoring_visit",
            )
            for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))  # noqa: S608
        ]
    engine.dispose()
    return rows


def test_the_same_seed_gives_the_same_data(urls: tuple[str, str]) -> None:
    assert dump(urls[0]) == dump(urls[1])


def test_the_benchmark_families_have_their_sizes(urls: tuple[str, str]) -> None:
    engine = make_engine(urls[0])
    with Session(engine) as session:
        counts = dict(
            session.exec(
                select(Family.reference, func.count())
                .join(ChronologyEntry, col(ChronologyEntry.family_id) == col(Family.id))
                .where(col(ChronologyEntry.deleted_at).is_(None))
                .group_by(col(Family.reference))
            ).all()
        )
    engine.dispose()
    assert len(counts) == 40
    # A few entries of each family are soft-deleted, as in real use.
    assert 4_900 <= counts["GEN-000001"] <= 5_000
    assert 280 <= counts["GEN-000002"] <= 300


def test_a_classification_holds_what_the_rules_suggest(urls: tuple[str, str]) -> None:
    """The generator works the suggestion out in memory; the app's service, reading the
    family back from the database, must agree."""
    engine = make_engine(urls[0])
    content = CONTENT.latest("reunification")
    with Session(engine) as session:
        # A submission waiting for sign-off is the family's latest step, so the service,
        # which reads the family as it is now, sees what the generator saw.
        rows = session.exec(
            select(Classification).where(col(Classification.status) == "submitted")
        ).all()
        assert rows
        for row in rows:
            family = session.get(Family, row.family_id)
            assert family is not None
            as_of = date.fromisoformat(row.explanation["as_of"])
            suggestion = classification.suggest(
                session, family=family, content=content, as_of=as_of
            )
            assert row.suggested_level == suggestion.level_id
            assert row.explanation["lines"] == suggestion.explanation["lines"]
    engine.dispose()


def test_the_journey_after_the_decision_follows_it(urls: tuple[str, str]) -> None:
    """Reviews, returns home and returns to care come after the decision that allowed them,
    in that order, so that the reports count them as the app would."""
    engine = make_engine(urls[0])
    with engine.connect() as connection:
        reviews, returns, early, back_before_home = connection.execute(
            text(
                """
                SELECT
                  (SELECT count(*) FROM review_cycle),
                  (SELECT count(*) FROM child_return),
                  (SELECT count(*) FROM child_return r WHERE r.returned_on < (
                     SELECT min(date(d.decided_at)) FROM gate_decision d
                     WHERE d.family_id = r.family_id AND d.effect = 'next_stage')),
                  (SELECT count(*) FROM care_reentry e JOIN child_return r
                     ON r.child_id = e.child_id AND e.entered_on < r.returned_on)
                """
            )
        ).one()
    engine.dispose()
    assert reviews > 0
    assert returns > 0
    assert (early, back_before_home) == (0, 0)


def typed_dump(url: str) -> list[tuple[object, ...]]:
    """The tables above read through the models' column types, so values compare across
    databases (SQLite keeps a moment as text, PostgreSQL as a timestamp)."""
    engine = make_engine(url)
    with engine.connect() as connection:
        rows = [
            tuple(row)
            for name in ("family", "chronology_entry", "assessment_answer", "classification")
            for row in connection.execute(
                SQLModel.metadata.tables[name].select().order_by(text("id"))
            )
        ]
    engine.dispose()
    return rows


def test_postgresql_gets_the_same_data_by_copy(
    backend: str, database_url: str, urls: tuple[str, str]
) -> None:
    """COPY on PostgreSQL writes what executemany writes on SQLite, value for value (in a
    schema of its own, beside the test database's)."""
    if backend != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    engine = make_engine(database_url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS bench_generate CASCADE"))
        connection.execute(text("CREATE SCHEMA bench_generate"))
    engine.dispose()
    url = make_url(database_url).update_query_dict({"options": "-csearch_path=bench_generate"})
    try:
        generated_url = generated_into(url.render_as_string(hide_password=False))
        assert typed_dump(generated_url) == typed_dump(urls[0])
    finally:
        engine = make_engine(database_url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA bench_generate CASCADE"))
        engine.dispose()
