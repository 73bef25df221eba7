"""The family's summary in the JSON API: the same document model the page, the PDF and the
Word file are drawn from, with links to the PDF and the Word file (which take the same
token). Every download is audited as an export, as on the pages."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from app.deps import ActorDep, SessionDep
from app.routes.api.common import ApiRoute
from app.routes.family_pages import ViewPage
from app.routes.summary import DOCX, PDF, summary_file
from app.summary.build import build_summary
from app.summary.document import Block, SummaryDocument

router = APIRouter(prefix="/families/{family_id}", tags=["summary"], route_class=ApiRoute)
Disclosure = Annotated[
    bool,
    Query(
        description="The copy for disclosure: third-party information and evidence drawn "
        "from it left out, and said so"
    ),
]


class Paragraph(BaseModel):
    type: Literal["paragraph"] = "paragraph"
    text: str
    style: Literal["body", "hint", "missing", "notice"]


class Subheading(BaseModel):
    type: Literal["subheading"] = "subheading"
    text: str


class BulletList(BaseModel):
    type: Literal["list"] = "list"
    items: list[str]


class Table(BaseModel):
    type: Literal["table"] = "table"
    caption: str
    headers: list[str]
    rows: list[list[str]]


class FactList(BaseModel):
    type: Literal["facts"] = "facts"
    rows: list[tuple[str, str]]


class Suggestion(BaseModel):
    """Something the tool suggests, with the rule, the family's facts behind it and the
    research it rests on."""

    type: Literal["suggestion"] = "suggestion"
    label: str
    title: str
    text: str
    rule: str
    inputs: list[str]
    sources: list[str]
    advice: str | None


SummaryBlock = Annotated[
    Paragraph | Subheading | BulletList | Table | FactList | Suggestion,
    Field(discriminator="type"),
]


class SummarySection(BaseModel):
    id: str
    title: str
    blocks: list[SummaryBlock]


class Provenance(BaseModel):
    framework_id: str
    framework_title: str
    framework_version: str
    content_hash: str
    data_as_at: datetime
    produced_by: str
    disclosure: bool


class SummaryLinks(BaseModel):
    page: str = Field(description="The summary page, for people signed in to Homeward")
    pdf: str = Field(description="The summary as a PDF, through the API")
    docx: str = Field(description="The summary as a Word file, through the API")


class SummaryPublic(BaseModel):
    """The decision-support summary, section by section, as the page shows it. Every string
    is plain text as entered: escape it wherever you show it."""

    family_name: str
    reference: str
    title: str
    as_of: date
    provenance: Provenance
    sections: list[SummarySection]
    links: SummaryLinks


def _block(block: Block) -> dict[str, object]:
    values = dataclasses.asdict(block)
    values.pop("widths", None)
    return {"type": block.block, **values}


def summary_json(doc: SummaryDocument, links: SummaryLinks) -> SummaryPublic:
    return SummaryPublic(
        family_name=doc.family_name,
        reference=doc.reference,
        title=doc.title,
        as_of=doc.as_of,
        provenance=Provenance(**dataclasses.asdict(doc.provenance)),
        sections=[
            SummarySection.model_validate(
                {
                    "id": section.id,
                    "title": section.title,
                    "blocks": [_block(block) for block in section.blocks],
                }
            )
            for section in doc.sections
        ],
        links=links,
    )


@router.get("/summary", response_model=SummaryPublic)
def summary(session: SessionDep, page: ViewPage, disclosure: Disclosure = False) -> SummaryPublic:
    """The summary as data: the same sections, in the same order, as the page."""
    doc = build_summary(
        session,
        family=page.family,
        content=page.content,
        produced_by=page.user,
        disclosure=disclosure,
    )
    query = "?disclosure=true" if disclosure else ""
    base = f"/api/v1/families/{page.family.id}"
    return summary_json(
        doc,
        SummaryLinks(
            page=f"/families/{page.family.id}/summary" + ("?disclosure=1" if disclosure else ""),
            pdf=f"{base}/summary.pdf{query}",
            docx=f"{base}/summary.docx{query}",
        ),
    )


@router.get("/summary.pdf", response_class=Response, responses={200: {"content": {PDF: {}}}})
def summary_pdf(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: ViewPage,
    disclosure: Disclosure = False,
) -> Response:
    """The summary as a PDF (tagged, with its provenance on every page)."""
    return summary_file(request, session, actor, page, disclosure=disclosure, file_format="pdf")


@router.get("/summary.docx", response_class=Response, responses={200: {"content": {DOCX: {}}}})
def summary_docx(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: ViewPage,
    disclosure: Disclosure = False,
) -> Response:
    """The summary as a Word file."""
    return summary_file(request, session, actor, page, disclosure=disclosure, file_format="docx")
