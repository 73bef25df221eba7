"""The preview of a draft: while one is being drawn, the request it is drawn with sees an
invented family's session, a practitioner of its own and the draft as the family's content.

Set only by app.services.content_preview for the length of one internal request; the session,
authentication and content dependencies read it (see app.deps and app.db).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session

    from app.content.registry import ContentRegistry
    from app.models.accounts import User


@dataclass(frozen=True)
class Preview:
    session: Session
    user: User
    registry: ContentRegistry
    draft_id: str
    draft_title: str
    # The trainer's own session, so that the pages' forms carry the trainer's CSRF token.
    session_id: object = None


PREVIEW: ContextVar[Preview | None] = ContextVar("homeward_preview", default=None)
