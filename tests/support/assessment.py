"""Building assessment records for tests: chronology entries, answers through the real
service, factor ratings, and families ready for classification."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from sqlmodel import Session

from app.content.model import FrameworkContent
from app.models.accounts import User
from app.models.chronology import ChronologyEntry, ChronologyEntryTheme
from app.models.family import Family
from app.models.progress import SectionStatus
from app.services import progress, questions
from app.services.audit import Actor
from tests.factories import CONTENT

_counter = itertools.count(1)
V1 = CONTENT.get("reunification", "1.0.0")
# The version new families follow (tests.factories.make_family).
CURRENT = CONTENT.latest("reunification")


def actor(user: User | None) -> Actor:
    return Actor(user=user, request_id="test", client_address="", path="/test")


def make_entry(
    session: Session,
    family: Family,
    author: User,
    *,
    on: date = date(2026, 3, 1),
    themes: tuple[str, ...] = (),
    significance: str = "red",
    what: str | None = None,
) -> ChronologyEntry:
    entry = ChronologyEntry(
        family_id=family.id,
        occurred_on=on,
        date_precision="day",
        source_id="police",
        what_happened=what or f"Event {next(_counter)}",
        significance=significance,
        author_id=author.id,
    )
    session.add(entry)
    session.flush()
    for theme in themes:
        session.add(ChronologyEntryTheme(entry_id=entry.id, theme_id=theme))
    session.flush()
    return entry


def save(
    session: Session,
    user: User,
    family: Family,
    section_id: str,
    form: dict[str, Any],
    *,
    complete: bool = False,
    content: FrameworkContent = CURRENT,
) -> questions.SaveResult:
    """Save a section through the service, at whatever version it is now."""
    return questions.save_at_stored_version(
        session,
        actor=actor(user),
        family=family,
        content=content,
        section_id=section_id,
        form=form,
        complete=complete,
    )


def rate(
    session: Session,
    user: User,
    family: Family,
    section_id: str,
    statuses: dict[str, str],
    content: FrameworkContent = CURRENT,
) -> None:
    """Rate factors of one factors section; the rest are left as they are."""
    state = questions.section_state(session, family, content, section_id)
    form = {
        name: value for name, value in state.values.items() if name.startswith(questions.FACTOR)
    }
    form.update({f"f.{factor}.status": status for factor, status in statuses.items()})
    save(session, user, family, section_id, form, content=content)


def mark_done(
    session: Session,
    user: User,
    family: Family,
    section_ids: tuple[str, ...],
    content: FrameworkContent = CURRENT,
) -> None:
    for section_id in section_ids:
        progress.set_section_status(
            session,
            actor=actor(user),
            family=family,
            content=content,
            section_id=section_id,
            status=SectionStatus.COMPLETED,
        )
