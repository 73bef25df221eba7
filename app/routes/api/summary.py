"""The family's summary in the JSON API: the same document model the page, the PDF and the
Word file are drawn from, with links to the PDF and the Word file (which take the same
token). Every download is audited as an export, as on the pages."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from app.admission import outside_queue
from app.deps import ActorDep, SessionDep
from app.routes.api.common import ApiRoute
from app.routes.family_pages import ViewPage
from app.routes.summary import DOCX, PDF, summary_file
from app.summary.build import build_summary
from app.summary.document import Block, SummaryDocument

router = APIRouter(prefix="/families/{family_id}", tags=["summary"], route_class=ApiRoute)
Appendix = Annotated[
    bool,
    Query(
        description="With the appendix: the full text of each factor's evidence, and the "
        "rules and sources behind each classification"
    ),
]
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
    sources: list[str] = Field(description="Its sources in full")
    source_numbers: list[int] = Field(
        description="Its sources' numbers in the summary's list of sources (the last section)"
    )
    advice: str | None


class SourceList(BaseModel):
    """The research the summary cites, each source once: number 1 is the first item."""

    type: Literal["sources"] = "sources"
    items: list[str]


SummaryBlock = Annotated[
    Paragraph | Subheading | BulletList | Table | FactList | Suggestion | SourceList,
    Field(discriminator="type"),
]


class SummarySection(BaseModel):
    id: str
    title: str
    part: Literal["main", "appendix", "sources"] = Field(
        description="The decision summary, its appendix (on request) or the list of sources"
    )
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
                    "part": section.part,
                    "blocks": [_block(block) for block in section.blocks],
                }
            )
            for section in doc.sections
        ],
        links=links,
    )


@router.get("/summary", response_model=SummaryPublic)
def summary(
    session: SessionDep,
    page: ViewPage,
    disclosure: Disclosure = False,
    appendix: Appendix = False,
) -> SummaryPublic:
    """The summary as data: the same sections, in the same order, as the page."""
    doc = build_summary(
        session,
        family=page.family,
        content=page.content,
        produced_by=page.user,
        disclosure=disclosure,
        appendix=appendix,
    )
    given = (("disclosure", disclosure), ("appendix", appendix))
    query = "&".join(f"{name}=true" for name, on in given if on)
    query = "?" + query if query else ""
    page_query = "&".join(f"{name}=1" for name, on in given if on)
    base = f"/api/v1/families/{page.family.id}"
    return summary_json(
        doc,
        SummaryLinks(
            page=f"/families/{page.family.id}/summary" + ("?" + page_query if page_query else ""),
            pdf=f"{base}/summary.pdf{query}",
            docx=f"{base}/summary.docx{query}",
        ),
    )


@router.get("/summary.pdf", response_class=Response, responses={200: {"content": {PDF: {}}}})
@outside_queue
def summary_pdf(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: ViewPage,
    disclosure: Disclosure = False,
    appendix: Appendix = False,
) -> Response:
    """The summary as a PDF (tagged, with its provenance on every page)."""
    return summary_file(
        request,
        session,
        actor,
        page,
        disclosure=disclosure,
        appendix=appendix,
        file_format="pdf",
    )


@router.get("/summary.docx", response_class=Response, responses={200: {"content": {DOCX: {}}}})
@outside_queue
def summary_docx(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: ViewPage,
    disclosure: Disclosure = False,
    appendix: Appendix = False,
) -> Response:
    """The summary as a Word file."""
    return summary_file(
        request,
        session,
        actor,
        page,
        disclosure=disclosure,
        appendix=appendix,
        file_format="docx",
    )
