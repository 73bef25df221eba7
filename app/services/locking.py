"""Optimistic locking, the one way every editable record is saved.

A form carries the version of the record it was made from. The service compares it with the
version it loaded (`check_version`), then changes the record inside `saving(...)`: the UPDATE
itself checks the version again (SQLAlchemy's version_id_col, see app.models.base.Locked), so
of two people saving at once only one succeeds, on SQLite or PostgreSQL. The loser gets a
Conflict holding the record as it is saved now; nothing of theirs is written, and the rest of
the request's work (its audit entries) stays.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from app.services.errors import Conflict

CONFLICT_MESSAGE = (
    "Someone else changed this record after you opened it. Your changes have not been saved: "
    "check the record as it is now, then make your changes again."
)


def check_version(record: Any, expected_version: int, message: str = CONFLICT_MESSAGE) -> None:
    """Refuse a form made from an older version of the record than the one loaded."""
    if record.version != expected_version:
        raise Conflict(message, current=record)


@contextmanager
def saving(session: Session, record: Any, message: str = CONFLICT_MESSAGE) -> Iterator[None]:
    """Change `record` (and anything else) in the block; the changes are flushed in a savepoint
    whose UPDATEs check each row's version. If someone else saved the record since it was
    loaded, the block's changes are undone and Conflict carries the record as saved now."""
    session.flush()  # the request's earlier work is not part of this attempt
    try:
        with session.begin_nested():
            yield
            session.add(record)
            session.flush()
    except StaleDataError:
        session.refresh(record)
        raise Conflict(message, current=record) from None
