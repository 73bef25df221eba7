"""A family's summary (page, PDF, Word, and the disclosure copy of each) and the export of its
whole record for a subject access request. Every download is audited as an export."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from app.admission import outside_queue
from app.deps import ActorDep, SessionDep
from app.models.base import utcnow
from app.models.family import Family
from app.routes.family_pages import FamilyPage, RecordExportPage, ViewPage
from app.security.permissions import FamilyAction
from app.services import audit, data_export
from app.services.access import record_export
from app.summary import turns
from app.summary.build import build_summary
from app.summary.document import SummaryDocument
from app.summary.pdf import render_pdf
from app.summary.word import render_docx
from app.templating import render

router = APIRouter(prefix="/families", include_in_schema=False)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _summary(
    session: Session, page: FamilyPage, *, disclosure: bool, appendix: bool
) -> SummaryDocument:
    return build_summary(
        session,
        family=page.family,
        content=page.content,
        produced_by=page.user,
        disclosure=disclosure,
        appendix=appendix,
    )


def _query(disclosure: bool, appendix: bool) -> str:
    query = "&".join(
        name for name, given in (("disclosure=1", disclosure), ("appendix=1", appendix)) if given
    )
    return "?" + query if query else ""


def file_name(family: Family, stem: str, suffix: str) -> str:
    # The reference is typed by people: keep only characters safe in any file system.
    reference = re.sub(r"[^A-Za-z0-9_-]+", "-", family.reference).strip("-")[:40] or "family"
    return f"{stem}-{reference}-{utcnow():%Y%m%d}.{suffix}"


def download(body: bytes, media_type: str, name: str) -> Response:
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/{family_id}/summary")
def summary_page(
    request: Request,
    session: SessionDep,
    page: ViewPage,
    disclosure: str = "",
    appendix: str = "",
) -> Response:
    """The decision-support summary: the evidence together, and why the tool suggests what it
    does; its appendix (evidence in full, the rules behind each classification) on request."""
    family = page.family
    for_disclosure, with_appendix = disclosure == "1", appendix == "1"
    doc = _summary(session, page, disclosure=for_disclosure, appendix=with_appendix)
    base = f"/families/{family.id}/summary"
    return render(
        request,
        "views/families/summary.html",
        {
            "family": family,
            "doc": doc,
            "base": base,
            "query": _query(for_disclosure, with_appendix),
            "appendix_link": base + _query(for_disclosure, not with_appendix),
            "can_export": FamilyAction.EXPORT in page.may,
        },
    )


def document_file(
    request: Request,
    session: Session,
    actor: audit.Actor,
    page: FamilyPage,
    doc: SummaryDocument,
    *,
    document: str,
    stem: str,
    file_format: str,
) -> Response:
    """A document of the summary's model as a PDF or a Word file, audited as an export."""
    if file_format == "pdf":
        body, media_type = render_pdf(doc), PDF
    else:
        body, media_type = render_docx(doc), DOCX
    record_export(
        session,
        actor=actor,
        family=page.family,
        document=document,
        file_format=file_format,
        disclosure=doc.provenance.disclosure,
    )
    return download(body, media_type, file_name(page.family, stem, file_format))


def summary_file(
    request: Request,
    session: Session,
    actor: audit.Actor,
    page: FamilyPage,
    *,
    disclosure: bool,
    appendix: bool,
    file_format: str,
) -> Response:
    """The summary as a PDF or a Word file, with its appendix when asked for, audited as an
    export (the pages and the API)."""
    stem = "disclosure-summary" if disclosure else "summary"
    document = "summary"
    if appendix:
        stem += "-with-appendix"
        document += " with appendix"
    # The document's model is built in its turn too: models built while others are drawn
    # would only wait, holding their memory.
    with turns.turn():
        doc = _summary(session, page, disclosure=disclosure, appendix=appendix)
        return document_file(
            request,
            session,
            actor,
            page,
            doc,
            document=document,
            stem=stem,
            file_format=file_format,
        )


@router.get("/{family_id}/summary.pdf")
@outside_queue
def summary_pdf(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: ViewPage,
    disclosure: str = "",
    appendix: str = "",
) -> Response:
    """The summary as a PDF."""
    return summary_file(
        request,
        session,
        actor,
        page,
        disclosure=disclosure == "1",
        appendix=appendix == "1",
        file_format="pdf",
    )


@router.get("/{family_id}/summary.docx")
@outside_queue
def summary_docx(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: ViewPage,
    disclosure: str = "",
    appendix: str = "",
) -> Response:
    """The summary as a Word document."""
    return summary_file(
        request,
        session,
        actor,
        page,
        disclosure=disclosure == "1",
        appendix=appendix == "1",
        file_format="docx",
    )


def _record(
    session: Session, actor: audit.Actor, page: FamilyPage, fmt: str
) -> data_export.FamilyRecord:
    record = data_export.family_record(
        session, family=page.family, exported_by=page.user, now=utcnow()
    )
    record_export(
        session, actor=actor, family=page.family, document="whole record", file_format=fmt
    )
    return record


@router.get("/{family_id}/export.json")
@outside_queue
def export_json(session: SessionDep, actor: ActorDep, page: RecordExportPage) -> Response:
    """The family's whole record as JSON, for a subject access request (supervisors)."""
    with turns.turn():
        record = _record(session, actor, page, "json")
        body = data_export.as_json(record)
    return download(body, "application/json", file_name(page.family, "record", "json"))


@router.get("/{family_id}/export.csv")
@outside_queue
def export_csv(session: SessionDep, actor: ActorDep, page: RecordExportPage) -> Response:
    """The family's whole record as CSV files in a zip, for a subject access request
    (supervisors)."""
    with turns.turn():
        record = _record(session, actor, page, "csv")
        body = data_export.as_csv_zip(record)
    return download(body, "application/zip", file_name(page.family, "record", "zip"))
