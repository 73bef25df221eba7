"""The framework content the app serves, kept in the database.

Published versions live in `content_version`/`content_file`, so that every app instance serves
the same content. The bundled `framework_content/` folder is imported at start-up, idempotently
by hash: a bundled version the database already holds with the same hash is left alone, and a
bundled version whose files changed without a new number is refused (the published one keeps
being served). A published version never changes: its hash is recomputed whenever its files are
loaded, and a version whose files no longer match is refused, not served.

Each instance keeps the registry it built and the token (`content_state.generation`) it was
built for; a request that finds another token rebuilds it, so a version published through one
instance reaches every other without a restart. Rebuilding reads and hashes the stored files
again; parsed versions are reused by hash (immutable).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, text, update
from sqlmodel import Session, col, select

from app.content.errors import ContentError
from app.content.loader import (
    LoadResult,
    find_version_dirs,
    load_version,
    load_version_dir,
    read_version_dir,
)
from app.content.model import FrameworkContent
from app.content.registry import ContentRegistry
from app.db import MIGRATION_LOCK_KEY
from app.models.base import new_id, utcnow
from app.models.content import (
    ContentFile,
    ContentOrigin,
    ContentState,
    ContentStatus,
    ContentVersion,
)

logger = logging.getLogger(__name__)

SERVED = (ContentStatus.PUBLISHED.value, ContentStatus.RETIRED.value)
# Distinct from the migration lock, so an import never waits behind a migration's lock key.
IMPORT_LOCK_KEY = MIGRATION_LOCK_KEY + 1


def bundle_origin(framework_id: str, number: str) -> str:
    """How a bundled folder is named in reports, apart from the version it may clash with."""
    return f"framework_content/{framework_id}/{number}"


def changed(session: Session) -> None:
    """Tell every instance that the served content changed (publish, retire, import)."""
    result = session.execute(
        update(ContentState)
        .where(col(ContentState.id) == 1)
        .values(generation=new_id(), changed_at=utcnow())
    )
    if result.rowcount == 0:  # type: ignore[attr-defined]
        session.add(ContentState(id=1))
    session.flush()


def version_texts(session: Session, version_id: uuid.UUID) -> dict[str, str]:
    """A version's files by name."""
    rows = session.exec(
        select(ContentFile.name, ContentFile.text).where(
            col(ContentFile.content_version_id) == version_id
        )
    ).all()
    return dict(rows)


def add_files(
    session: Session, version: ContentVersion, texts: Mapping[str, str], user_id: uuid.UUID | None
) -> None:
    for name in sorted(texts):
        session.add(
            ContentFile(
                content_version_id=version.id, name=name, text=texts[name], updated_by_id=user_id
            )
        )


def load_stored(session: Session, row: ContentVersion) -> LoadResult:
    """Load a published version from its stored files and check them against its hash."""
    assert row.number is not None
    origin = f"{row.framework_id}/{row.number}"
    result = load_version(
        version_texts(session, row.id),
        origin=origin,
        framework_id=row.framework_id,
        version=row.number,
    )
    if result.content is not None and result.content.content_hash != row.content_hash:
        message = (
            "its stored files no longer match the fingerprint recorded when it was published, "
            "so it is not used; restore the published files or publish the changes as a new "
            "version."
        )
        return LoadResult(origin, None, (ContentError(origin, message),))
    return result


@dataclass(frozen=True)
class _Built:
    generation: uuid.UUID | None
    registry: ContentRegistry


# Asked on every request: built once.
_GENERATION = select(ContentState.generation)


class ContentStore:
    """The content an app instance serves, rebuilt from the database when it changes."""

    def __init__(self, content_dir: Path) -> None:
        self.content_dir = content_dir
        # Problems found in the bundled folder at start-up: invalid versions, and versions
        # changed without a new number. Reported beside the database's own refused versions.
        self.bundle_errors: dict[str, tuple[ContentError, ...]] = {}
        self._built = _Built(None, ContentRegistry([]))
        self._lock = threading.Lock()

    def registry(self, session: Session) -> ContentRegistry:
        """The registry for the content the database holds now."""
        generation = session.exec(_GENERATION).first()
        built = self._built
        if generation is not None and generation == built.generation:
            return built.registry
        with self._lock:
            built = self._built
            if generation is None or generation != built.generation:
                registry = build_registry(session, extra_errors=self.bundle_errors)
                self._built = built = _Built(generation, registry)
        return built.registry

    def refused(self, engine: Engine) -> list[str]:
        """The versions refused now (bundled or stored), for health checks; only reads."""
        with (
            engine.connect().execution_options(sqlite_begin="DEFERRED") as connection,
            Session(bind=connection) as session,
        ):
            return sorted(self.registry(session).errors)

    def import_bundled(self, engine: Engine) -> None:
        """Import the bundled folder into the database (see `import_bundled`); idempotent and
        safe when several instances start at once."""
        self.bundle_errors = import_bundled(engine, self.content_dir)
        self._built = _Built(None, self._built.registry)


def build_registry(
    session: Session,
    *,
    extra_errors: Mapping[str, tuple[ContentError, ...]] | None = None,
) -> ContentRegistry:
    """Every published and retired version in the database; refused ones with their errors.

    Each version's stored files are read and hashed again (a version whose files no longer
    match is refused); parsing is skipped for a hash already parsed (the loader's cache)."""
    rows = session.exec(
        select(ContentVersion)
        .where(col(ContentVersion.status).in_(SERVED))
        .order_by(col(ContentVersion.framework_id), col(ContentVersion.published_at))
    ).all()
    results = [load_stored(session, row) for row in rows]
    retired = {
        (row.framework_id, row.number or "")
        for row in rows
        if row.status == ContentStatus.RETIRED.value
    }
    registry = ContentRegistry(results, retired=retired, extra_errors=extra_errors)
    for origin, errors in registry.errors.items():
        if origin not in (extra_errors or {}):
            logger.warning("Content %s is refused: %s", origin, errors[0] if errors else "")
    return registry


# --- importing the bundled folder -------------------------------------------------------------


@dataclass(frozen=True)
class _Bundled:
    path: Path
    result: LoadResult


def _bundled_versions(content_dir: Path) -> list[_Bundled]:
    if not content_dir.is_dir():
        logger.error("The content folder %s does not exist; nothing is imported.", content_dir)
        return []
    return [_Bundled(path, load_version_dir(path)) for path in find_version_dirs(content_dir)]


def _stored_hashes(session: Session) -> dict[tuple[str, str], str | None]:
    rows = session.exec(
        select(
            ContentVersion.framework_id, ContentVersion.number, ContentVersion.content_hash
        ).where(col(ContentVersion.number).is_not(None))
    ).all()
    return {(framework_id, number or ""): digest for framework_id, number, digest in rows}


def _plan(
    bundled: Iterable[_Bundled], stored: Mapping[tuple[str, str], str | None]
) -> tuple[list[_Bundled], dict[str, tuple[ContentError, ...]]]:
    """What to insert, and the bundled versions refused (invalid, or changed in place)."""
    to_insert: list[_Bundled] = []
    errors: dict[str, tuple[ContentError, ...]] = {}
    for item in bundled:
        content = item.result.content
        if content is None:
            errors[f"framework_content/{item.result.origin}"] = item.result.errors
            continue
        origin = bundle_origin(content.id, content.version)
        digest = stored.get((content.id, content.version), "")
        if digest == "":
            to_insert.append(item)
        elif digest != content.content_hash:
            message = (
                f"the bundled files of {content.id} {content.version} differ from the version "
                "already published with that number, so they are not used (the published "
                "version is still served); publish changed content under a new version number."
            )
            errors[origin] = (ContentError(origin, message),)
    return to_insert, errors


def inspect_bundled(
    engine: Engine, content_dir: Path
) -> tuple[list[str], dict[str, tuple[ContentError, ...]]]:
    """What importing the bundled folder would do, without writing: the versions it would add
    and the bundled versions it would refuse."""
    bundled = _bundled_versions(content_dir)
    with (
        engine.connect().execution_options(sqlite_begin="DEFERRED") as connection,
        Session(bind=connection) as session,
    ):
        to_insert, errors = _plan(bundled, _stored_hashes(session))
    return [item.result.origin for item in to_insert], errors


def import_bundled(engine: Engine, content_dir: Path) -> dict[str, tuple[ContentError, ...]]:
    """Publish every valid bundled version the database does not hold yet; return the
    bundled versions that were refused. Reads first and writes only when there is something
    new, so an instance starting beside a busy one takes no lock for nothing."""
    bundled = _bundled_versions(content_dir)
    with (
        engine.connect().execution_options(sqlite_begin="DEFERRED") as connection,
        Session(bind=connection) as session,
    ):
        to_insert, errors = _plan(bundled, _stored_hashes(session))
        has_state = session.exec(select(ContentState.id)).first() is not None
    if not to_insert and has_state:
        _log_refused(errors)
        return errors
    with Session(engine) as session:
        if engine.dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": IMPORT_LOCK_KEY})
        # Again under the lock: another instance may have imported meanwhile.
        to_insert, errors = _plan(bundled, _stored_hashes(session))
        for item in to_insert:
            content = item.result.content
            assert content is not None
            texts = {
                name: data.decode("utf-8") for name, data in read_version_dir(item.path).items()
            }
            publish_loaded(session, content, texts, origin=ContentOrigin.BUNDLED, user_id=None)
            logger.info("Imported framework content %s %s", content.id, content.version)
        changed(session)
        session.commit()
    _log_refused(errors)
    return errors


def publish_loaded(
    session: Session,
    content: FrameworkContent,
    texts: Mapping[str, str],
    *,
    origin: ContentOrigin,
    user_id: uuid.UUID | None,
    based_on_id: uuid.UUID | None = None,
) -> ContentVersion:
    """Store a validated version as published (the caller says `changed`)."""
    now = utcnow()
    row = ContentVersion(
        framework_id=content.id,
        number=content.version,
        status=ContentStatus.PUBLISHED.value,
        origin=origin.value,
        title=content.framework.title,
        content_hash=content.content_hash,
        based_on_id=based_on_id,
        created_by_id=user_id,
        published_at=now,
        published_by_id=user_id,
    )
    session.add(row)
    session.flush()
    add_files(session, row, texts, user_id)
    session.flush()
    return row


def _log_refused(errors: Mapping[str, tuple[ContentError, ...]]) -> None:
    for origin, found in errors.items():
        logger.warning(
            "Content %s was refused (%d error%s); the first: %s",
            origin,
            len(found),
            "" if len(found) == 1 else "s",
            found[0] if found else "",
        )
