"""The content store: bundled content imported idempotently by hash, published versions checked
against their hash whenever they are loaded, retired versions, and new versions reaching every
app instance without a restart."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, update
from sqlmodel import Session, col, select

from app.content.registry import UnknownContentError
from app.db import open_session
from app.models.content import ContentFile, ContentState, ContentStatus, ContentVersion
from app.services.content_store import ContentStore, build_registry, changed, import_bundled
from tests.content.broken_cases import TINY_DIR, materialise, tiny_texts
from tests.support.content import publish_folder


@pytest.fixture
def tiny_bundle(tmp_path: Path, engine: Engine) -> Iterator[Path]:
    """A content folder holding the tiny framework; its rows are removed after the test."""
    folder = tmp_path / "content"
    materialise(tiny_texts(), folder / "tiny" / "1.0.0")
    yield folder
    with open_session(engine) as session:
        ids = select(ContentVersion.id).where(col(ContentVersion.framework_id) == "tiny")
        session.execute(delete(ContentFile).where(col(ContentFile.content_version_id).in_(ids)))
        session.execute(delete(ContentVersion).where(col(ContentVersion.framework_id) == "tiny"))
        changed(session)
        session.commit()


def tiny_rows(engine: Engine) -> list[ContentVersion]:
    with open_session(engine) as session:
        return list(
            session.exec(select(ContentVersion).where(col(ContentVersion.framework_id) == "tiny"))
        )


def generation(engine: Engine) -> object:
    with open_session(engine) as session:
        return session.exec(select(ContentState.generation)).one()


def test_the_bundled_content_is_imported_once_by_hash(engine: Engine, tiny_bundle: Path) -> None:
    assert import_bundled(engine, tiny_bundle) == {}
    (row,) = tiny_rows(engine)
    assert row.status == ContentStatus.PUBLISHED.value
    assert row.origin == "bundled"
    assert row.number == "1.0.0"
    before = generation(engine)

    assert import_bundled(engine, tiny_bundle) == {}

    assert [item.id for item in tiny_rows(engine)] == [row.id]
    assert generation(engine) == before


def test_instances_starting_together_import_each_version_once(
    engine: Engine, tiny_bundle: Path
) -> None:
    failures: list[BaseException] = []

    def start() -> None:
        try:
            import_bundled(engine, tiny_bundle)
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert len(tiny_rows(engine)) == 1


def test_a_bundle_changed_without_a_new_number_is_refused_and_the_published_one_served(
    engine: Engine, tiny_bundle: Path
) -> None:
    import_bundled(engine, tiny_bundle)
    (row,) = tiny_rows(engine)
    levels = tiny_bundle / "tiny" / "1.0.0" / "levels.yaml"
    levels.write_text(levels.read_text().replace("label: Low", "label: Lowest"))

    errors = import_bundled(engine, tiny_bundle)

    (error,) = errors["framework_content/tiny/1.0.0"]
    assert "differ from the version already published with that number" in error.message
    assert [item.content_hash for item in tiny_rows(engine)] == [row.content_hash]
    with open_session(engine) as session:
        registry = build_registry(session, extra_errors=errors)
    assert registry.get("tiny", "1.0.0").content_hash == row.content_hash
    assert registry.get("tiny", "1.0.0").level("low").label == "Low"
    assert "framework_content/tiny/1.0.0" in registry.errors


def test_an_invalid_bundle_is_reported_and_not_imported(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "content"
    materialise({"framework.yaml": b"id: [\n"}, folder / "tiny" / "1.0.1")

    errors = import_bundled(engine, folder)

    assert "framework_content/tiny/1.0.1" in errors
    assert tiny_rows(engine) == []


def test_a_published_version_whose_files_changed_is_refused(db: Session) -> None:
    row = publish_folder(db, TINY_DIR)
    db.execute(
        update(ContentFile)
        .where(
            col(ContentFile.content_version_id) == row.id, col(ContentFile.name) == "levels.yaml"
        )
        .values(text=ContentFile.text + "\n# changed in the database\n")
    )

    registry = build_registry(db)

    (error,) = registry.errors["tiny/1.0.0"]
    assert "no longer match the fingerprint recorded when it was published" in error.message
    with pytest.raises(UnknownContentError) as refused:
        registry.get("tiny", "1.0.0")
    assert refused.value.framework_id == "tiny"
    assert registry.get("reunification", "1.0.0").version == "1.0.0"


def test_a_retired_version_is_served_but_never_the_latest(db: Session) -> None:
    row = publish_folder(db, TINY_DIR)
    row.status = ContentStatus.RETIRED.value
    db.add(row)
    db.flush()

    registry = build_registry(db)

    assert registry.get("tiny", "1.0.0").version == "1.0.0"
    assert registry.is_retired("tiny", "1.0.0")
    assert "tiny" not in registry.offered()
    assert "reunification" in registry.offered()
    with pytest.raises(UnknownContentError):
        registry.latest("tiny")


def test_a_version_published_through_one_instance_reaches_another_without_a_restart(
    db: Session, tmp_path: Path
) -> None:
    first, second = ContentStore(tmp_path), ContentStore(tmp_path)
    assert first.registry(db).frameworks() == second.registry(db).frameworks()
    assert "tiny" not in second.registry(db).frameworks()
    unchanged = second.registry(db)
    assert second.registry(db) is unchanged  # built once per change, not per request

    publish_folder(db, TINY_DIR)

    assert "tiny" in second.registry(db).frameworks()
    assert second.registry(db).get("tiny", "1.0.0") is first.registry(db).get("tiny", "1.0.0")
