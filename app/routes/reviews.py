"""Each review's pack for the meeting (a page, a PDF and a Word file, and the disclosure copy
of each, made from the summary's document model) and the trends across the reviews. Every
download is audited as an export."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from app.admission import outside_queue
from app.deps import ActorDep, SessionDep
from app.routes.family_pages import FamilyPage, ViewPage
from app.routes.summary import document_file
from app.services import audit
from app.services.review_pack import review_history
from app.services.trends import HEIGHT, WIDTH, trends
from app.summary.document import SummaryDocument
from app.summary.reviews import build_review_pack
from app.templating import render
from app.timeutil import london_today

router = APIRouter(prefix="/families", include_in_schema=False)


def _pack(session: Session, page: FamilyPage, number: int, disclosure: str) -> SummaryDocument:
    return build_review_pack(
        session,
        family=page.family,
        content=page.content,
        produced_by=page.user,
        number=number,
        disclosure=disclosure == "1",
    )


def _pack_file(
    request: Request,
    session: Session,
    actor: audit.Actor,
    page: FamilyPage,
    number: int,
    disclosure: str,
    file_format: str,
) -> Response:
    doc = _pack(session, page, number, disclosure)
    stem = f"review-{number}-pack" + ("-disclosure" if doc.provenance.disclosure else "")
    return document_file(
        request,
        session,
        actor,
        page,
        doc,
        document=f"review {number} pack",
        stem=stem,
        file_format=file_format,
    )


# The files come before the page: /reviews/{number} would also match "2.pdf".
@router.get("/{family_id}/reviews/{number}.pdf")
@outside_queue
def review_pack_pdf(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: ViewPage,
    number: int,
    disclosure: str = "",
) -> Response:
    """A review's pack as a PDF."""
    return _pack_file(request, session, actor, page, number, disclosure, "pdf")


@router.get("/{family_id}/reviews/{number}.docx")
@outside_queue
def review_pack_docx(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: ViewPage,
    number: int,
    disclosure: str = "",
) -> Response:
    """A review's pack as a Word document."""
    return _pack_file(request, session, actor, page, number, disclosure, "docx")


@router.get("/{family_id}/reviews/trends")
def trends_page(request: Request, session: SessionDep, page: ViewPage) -> Response:
    """How each goal, each domain's goals and the risk level changed across the reviews."""
    history = review_history(
        session, family=page.family, content=page.content, today=london_today()
    )
    return render(
        request,
        "views/journey/trends.html",
        {
            **page.context,
            "trends": trends(history, page.content),
            "width": WIDTH,
            "height": HEIGHT,
        },
    )


@router.get("/{family_id}/reviews/{number}")
def review_pack_page(
    request: Request, session: SessionDep, page: ViewPage, number: int, disclosure: str = ""
) -> Response:
    """The pack for one review meeting."""
    doc = _pack(session, page, number, disclosure)
    base = f"/families/{page.family.id}/reviews/{number}"
    return render(
        request,
        "views/journey/review-pack.html",
        {
            **page.context,
            "doc": doc,
            "number": number,
            "base": base,
            "query": "?disclosure=1" if doc.provenance.disclosure else "",
        },
    )
