"""Build a family's summary document from its record and its pinned content version."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session

from app.content.model import FrameworkContent
from app.models.accounts import User
from app.models.base import utcnow
from app.models.family import Family
from app.summary.context import SummaryContext
from app.summary.document import Provenance, Section, SummaryDocument
from app.summary.sections import SUMMARY_SECTIONS
from app.timeutil import LONDON


def build_summary(
    session: Session,
    *,
    family: Family,
    content: FrameworkContent,
    produced_by: User,
    disclosure: bool = False,
    now: datetime | None = None,
    only: Collection[str] | None = None,
    title: str | None = None,
) -> SummaryDocument:
    """The summary of `family` as its record stands `now` (default: this moment); `only`
    these sections (by id) for a page that shows part of it, such as the agreement."""
    now = now or utcnow()
    ctx = SummaryContext(
        session=session,
        family=family,
        content=content,
        as_of=now.astimezone(LONDON).date(),
        now=now,
        produced_by=produced_by,
        disclosure=disclosure,
    )
    sections = tuple(
        Section(spec.id, spec.title, tuple(spec.build(ctx)))
        for spec in SUMMARY_SECTIONS
        if spec.applies(content) and (only is None or spec.id in only)
    )
    return SummaryDocument(
        family_name=family.display_name,
        reference=family.reference,
        title=title or ("Summary for disclosure" if disclosure else "Summary"),
        as_of=ctx.as_of,
        provenance=Provenance.of(content, now, produced_by, disclosure),
        sections=sections,
    )
