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
from app.summary.document import Paragraph, Provenance, Section, SourceList, SummaryDocument
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
    appendix: bool = False,
) -> SummaryDocument:
    """The summary of `family` as its record stands `now` (default: this moment); `only`
    these sections (by id) for a page that shows part of it, such as the agreement. The
    appendix (evidence in full, the rules behind each classification) only when asked for.
    Each research source is cited once, in a numbered list of sources that ends it."""
    now = now or utcnow()
    ctx = SummaryContext(
        session=session,
        family=family,
        content=content,
        as_of=now.astimezone(LONDON).date(),
        now=now,
        produced_by=produced_by,
        disclosure=disclosure,
        appendix=appendix,
    )
    # Built in order, so that sources are numbered in the order the document first cites them.
    sections = [
        Section(spec.id, spec.title, tuple(spec.build(ctx)), spec.part)
        for spec in SUMMARY_SECTIONS
        if spec.applies(content)
        and (only is None or spec.id in only)
        and (appendix or spec.part == "main")
    ]
    cited = ctx.citations.listed()
    if cited:
        intro = Paragraph("The numbers in square brackets in this summary refer to this list.")
        sections.append(Section("sources", "Sources", (intro, SourceList(cited)), "sources"))
    return SummaryDocument(
        family_name=family.display_name,
        reference=family.reference,
        title=title or ("Summary for disclosure" if disclosure else "Summary"),
        as_of=ctx.as_of,
        provenance=Provenance.of(content, now, produced_by, disclosure),
        sections=tuple(sections),
    )
