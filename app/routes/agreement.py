"""The written agreements and the support plan of a family, and each parent's own copy of their
agreement in plain English (a page to print, a PDF and a Word file, each also in large print).
Every download is audited as an export."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from app.admission import outside_queue
from app.deps import ActorDep, SessionDep
from app.routes.family_pages import FamilyPage, ViewPage, section_url
from app.routes.summary import DOCX, PDF, download, file_name
from app.services import agreement as agreements
from app.services import audit
from app.services.access import record_export
from app.summary.build import build_summary
from app.summary.document import SummaryDocument
from app.summary.family_copy import build_family_copy
from app.summary.pdf import render_pdf
from app.summary.word import render_docx
from app.templating import render

router = APIRouter(prefix="/families", include_in_schema=False)

NAV = "Agreement and support"
COPY = "family's copy of the agreement"


def _sections(page: FamilyPage, *question_ids: str) -> list[tuple[str, str]]:
    """(title, address) of the sections that ask these questions, to change them."""
    found = []
    for question_id in question_ids:
        info = page.content.questions.get(question_id)
        if info is not None:
            section = page.content.sections[info.section_id].section
            found.append((section.title, section_url(page.family, section)))
    return found


def _part_page(
    request: Request, session: Session, page: FamilyPage, *, section_id: str, title: str
) -> Response:
    doc = build_summary(
        session,
        family=page.family,
        content=page.content,
        produced_by=page.user,
        only={section_id},
        title=title,
    )
    found = agreements.read(session, family=page.family, content=page.content)
    return render(
        request,
        "views/families/agreement.html",
        {
            **page.context,
            "doc": doc,
            "title": title,
            "nav": NAV,
            "showing": section_id,
            "parents": found.parents,
            "change": _sections(
                page,
                *(
                    (agreements.AGREEMENT, agreements.CHILD_VIEWS)
                    if section_id == "agreement"
                    else (agreements.SERVICES,)
                ),
            ),
            "can_edit": page.can_edit,
        },
    )


@router.get("/{family_id}/agreement")
def agreement_page(request: Request, session: SessionDep, page: ViewPage) -> Response:
    """Each parent's written agreement and the children's views of it."""
    return _part_page(request, session, page, section_id="agreement", title="Written agreements")


@router.get("/{family_id}/support-plan")
def support_plan_page(request: Request, session: SessionDep, page: ViewPage) -> Response:
    """The support plan, with the goals it leaves without a service."""
    return _part_page(request, session, page, section_id="support", title="Support plan")


def _copy(session: Session, page: FamilyPage, adult_id: str, large: str) -> SummaryDocument:
    return build_family_copy(
        session,
        family=page.family,
        content=page.content,
        parent_id=adult_id,
        produced_by=page.user,
        large_print=large == "1",
    )


@router.get("/{family_id}/agreement/{adult_id}/copy")
def family_copy_page(
    request: Request, session: SessionDep, page: ViewPage, adult_id: str
) -> Response:
    """A parent's own copy of their agreement, in plain English, to print or download."""
    doc = _copy(session, page, adult_id, "")
    return render(
        request,
        "views/families/family-copy.html",
        {
            **page.context,
            "doc": doc,
            "nav": NAV,
            "base": f"/families/{page.family.id}/agreement/{adult_id}/copy",
        },
    )


def _copy_file(
    request: Request,
    session: Session,
    actor: audit.Actor,
    page: FamilyPage,
    adult_id: str,
    large: str,
    file_format: str,
) -> Response:
    doc = _copy(session, page, adult_id, large)
    if file_format == "pdf":
        body, media_type = render_pdf(doc), PDF
    else:
        body, media_type = render_docx(doc), DOCX
    record_export(
        session,
        actor=actor,
        family=page.family,
        document=COPY + (" (large print)" if doc.large_print else ""),
        file_format=file_format,
    )
    stem = "agreement-large-print" if doc.large_print else "agreement"
    return download(body, media_type, file_name(page.family, stem, file_format))


@router.get("/{family_id}/agreement/{adult_id}/copy.pdf")
@outside_queue
def family_copy_pdf(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: ViewPage,
    adult_id: str,
    large: str = "",
) -> Response:
    """A parent's copy of their agreement as a PDF (`large=1` for large print)."""
    return _copy_file(request, session, actor, page, adult_id, large, "pdf")


@router.get("/{family_id}/agreement/{adult_id}/copy.docx")
@outside_queue
def family_copy_docx(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: ViewPage,
    adult_id: str,
    large: str = "",
) -> Response:
    """A parent's copy of their agreement as a Word document (`large=1` for large print)."""
    return _copy_file(request, session, actor, page, adult_id, large, "docx")
