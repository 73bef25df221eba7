"""Publishing test content into the database, as a trainer's import would."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from app.content.loader import load_version_dir, read_version_dir
from app.content.model import FrameworkContent
from app.models.content import ContentOrigin, ContentVersion
from app.models.family import Family
from app.services.content_store import changed, publish_loaded
from tests.content.broken_cases import EXTRA_TOOL, materialise, tiny_texts


def publish_folder(db: Session, folder: Path) -> ContentVersion:
    """Publish a version folder (it must be valid) in the test's database session."""
    result = load_version_dir(folder)
    assert result.content is not None, [str(error) for error in result.errors]
    texts = {name: data.decode("utf-8") for name, data in read_version_dir(folder).items()}
    row = publish_loaded(db, result.content, texts, origin=ContentOrigin.IMPORT, user_id=None)
    changed(db)
    return row


def publish_tiny_with_tools(db: Session, folder: Path, discretion: int = 1) -> FrameworkContent:
    """The tiny framework with a second scored tool in tools/extra.yaml, written to `folder`
    (named tiny/1.0.0) and published; its example tool lets the practitioner move the level
    `discretion` levels."""
    texts = tiny_texts()
    rules = texts["rules.yaml"].replace(
        b"discretionary_levels: 1", f"discretionary_levels: {discretion}".encode()
    )
    materialise({**texts, "rules.yaml": rules, "tools/extra.yaml": EXTRA_TOOL.encode()}, folder)
    publish_folder(db, folder)
    result = load_version_dir(folder)
    assert result.content is not None
    return result.content


def move_to(db: Session, family: Family, content: FrameworkContent) -> None:
    """Put a new family on `content` (as if it had started there)."""
    family.framework_id, family.framework_version = content.id, content.version
    family.content_hash = content.content_hash
    db.add(family)
    db.flush()
