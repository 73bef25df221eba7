"""Publishing test content into the database, as a trainer's import would."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from app.content.loader import load_version_dir, read_version_dir
from app.models.content import ContentOrigin, ContentVersion
from app.services.content_store import changed, publish_loaded


def publish_folder(db: Session, folder: Path) -> ContentVersion:
    """Publish a version folder (it must be valid) in the test's database session."""
    result = load_version_dir(folder)
    assert result.content is not None, [str(error) for error in result.errors]
    texts = {name: data.decode("utf-8") for name, data in read_version_dir(folder).items()}
    row = publish_loaded(db, result.content, texts, origin=ContentOrigin.IMPORT, user_id=None)
    changed(db)
    return row
