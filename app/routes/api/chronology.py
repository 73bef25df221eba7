"""The chronology in the JSON API: entries with the page's filters and paging, read, create,
change and delete; a CSV import in two calls (upload: the preview with every row's problems;
confirm: every row in one transaction); the export. The same services as the pages."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from app.admission import outside_queue
from app.content.model import FrameworkContent
from app.deps import ActorDep, SessionDep
from app.forms import read_form_data
from app.middleware import UploadAllowance
from app.models.audit import AuditAction
from app.models.chronology import ChronologyEntry, ChronologyImport
from app.routes.api.common import ERRORS, ApiRoute, ErrorBody, InvalidBody, conflict, stale
from app.routes.api.models import ApiModel
from app.routes.family_pages import EditPage, ViewPage
from app.services import audit, chronology, chronology_csv
from app.services.errors import Conflict, InvalidInput

router = APIRouter(prefix="/families/{family_id}/chronology", tags=["chronology"])
router.route_class = ApiRoute

UPLOAD = UploadAllowance(
    path=re.compile(r"/api/v1/families/[^/]+/chronology/imports"),
    max_bytes=chronology_csv.MAX_BYTES + 64 * 1024,
    too_large=chronology_csv.TOO_LARGE,
)
Precision = Literal["day", "month", "year", "approximate", "approximate_year"]
CSV_ONLY = "Send the CSV file as text/csv, or as a form upload in the field ‘file’."


class EntryPublic(BaseModel):
    """A chronology entry. Vague dates are stored as the first day of the month or year, with
    `date_precision` saying how exact they are; `date_text` is the date as pages show it."""

    id: uuid.UUID
    family_id: uuid.UUID
    occurred_on: date
    date_precision: Precision
    date_text: str
    source_id: str
    source_detail: str | None
    what_happened: str
    who_was_involved: str | None
    children: list[uuid.UUID]
    impact_on_child: str | None
    response: str | None
    outcome: str | None
    themes: list[str]
    significance: str
    parents_comments: str | None
    third_party: bool
    comments: int = 0
    version: int
    created_at: datetime
    updated_at: datetime


class EntryWrite(ApiModel):
    """An entry as sent: `source_id`, `themes` and `significance` take the ids of the family's
    framework version (GET /api/v1/content/{framework}/{version} lists them), `children` the
    ids of the family's children."""

    occurred_on: date
    date_precision: Precision = "day"
    source_id: str = Field(max_length=100)
    source_detail: str | None = Field(default=None, max_length=1000)
    what_happened: str = Field(max_length=20000)
    who_was_involved: str | None = Field(default=None, max_length=5000)
    children: list[uuid.UUID] = Field(default_factory=list, max_length=100)
    impact_on_child: str | None = Field(default=None, max_length=20000)
    response: str | None = Field(default=None, max_length=20000)
    outcome: str | None = Field(default=None, max_length=20000)
    themes: list[str] = Field(default_factory=list, max_length=100)
    significance: str = Field(max_length=100)
    parents_comments: str | None = Field(default=None, max_length=20000)
    third_party: bool = False


class EntryUpdate(EntryWrite):
    """The whole entry as it should be saved, with the `version` it was read at."""

    version: int = Field(ge=1)


class DeleteRequest(ApiModel):
    version: int = Field(ge=1)
    reason: str = Field(max_length=10000)


class EntryList(BaseModel):
    """One page of the entries that match the filters."""

    entries: list[EntryPublic]
    total: int
    family_total: int
    page: int
    pages: int
    page_size: int


class PreviewRow(BaseModel):
    """A row of the file (numbered as a spreadsheet numbers it) as it will be saved, with what
    is wrong with it and notes (a formula-like cell kept as text, say)."""

    line: int
    values: dict[str, str]
    errors: list[str]
    notes: list[str]


class ImportPreview(BaseModel):
    id: uuid.UUID
    filename: str
    status: Literal["pending", "imported", "discarded"]
    can_import: bool
    ready: int
    with_errors: int
    columns: list[str]
    rows: list[PreviewRow]
    imported_count: int | None = None


class Imported(BaseModel):
    imported: int


EXAMPLE_ENTRY = {
    "occurred_on": "2025-03-14",
    "date_precision": "day",
    "source_id": "police",
    "what_happened": "Police called to the family home after a neighbour heard shouting.",
    "themes": ["domestic-abuse"],
    "significance": "red",
    "children": [],
}


def _public(session: Session, entry: ChronologyEntry) -> EntryPublic:
    links = chronology.entry_links(session, [entry.id])
    return _entry(entry, links.themes[entry.id], links.children[entry.id], 0)


def _entry(
    entry: ChronologyEntry, themes: list[str], children: list[uuid.UUID], comments: int
) -> EntryPublic:
    return EntryPublic(
        **{name: getattr(entry, name) for name in _COLUMNS},
        date_text=chronology.describe_event_date(entry.occurred_on, entry.date_precision),
        themes=themes,
        children=children,
        comments=comments,
    )


_COLUMNS = (
    "id",
    "family_id",
    "occurred_on",
    "date_precision",
    "source_id",
    "source_detail",
    "what_happened",
    "who_was_involved",
    "impact_on_child",
    "response",
    "outcome",
    "significance",
    "parents_comments",
    "third_party",
    "version",
    "created_at",
    "updated_at",
)


def _details(body: EntryWrite) -> chronology.EntryDetails:
    return chronology.EntryDetails(
        occurred_on=body.occurred_on,
        date_precision=body.date_precision,
        source_id=body.source_id,
        source_detail=body.source_detail,
        what_happened=body.what_happened,
        who_was_involved=body.who_was_involved,
        impact_on_child=body.impact_on_child,
        response=body.response,
        outcome=body.outcome,
        parents_comments=body.parents_comments,
        significance=body.significance,
        theme_ids=tuple(body.themes),
        child_ids=tuple(body.children),
        third_party=body.third_party,
    )


def _query(
    session: Session,
    page: Any,
    *,
    theme: str,
    source: str,
    significance: str,
    child: uuid.UUID | None,
    date_from: date | None,
    date_to: date | None,
    text: str,
    sort: str,
    number: int,
    size: int,
) -> chronology.EntryQuery:
    """The page's filters, checked against the family's content and children: a value the
    family's version does not have is refused, not ignored."""
    content: FrameworkContent = page.content
    problems: dict[str, str] = {}
    for name, value, known in (
        ("theme", theme, chronology.themes(content)),
        ("source", source, chronology.sources(content)),
        ("significance", significance, chronology.grades(content)),
    ):
        if value and value not in known:
            problems[f"query.{name}"] = f"Use one of the family's {name} ids: {', '.join(known)}"
    if child is not None and child not in chronology.child_names(session, page.family):
        problems["query.child"] = "Use the id of one of this family's children"
    if date_from and date_to and date_from > date_to:
        problems["query.to"] = "The ‘to’ date must be the same as or after the ‘from’ date"
    if problems:
        raise InvalidInput(problems)
    return chronology.EntryQuery(
        theme=theme,
        source=source,
        significance=significance,
        child=child,
        date_from=date_from,
        date_to=date_to,
        text=text.strip(),
        sort=sort,
        page=number,
        page_size=size,
    )


@router.get("", response_model=EntryList)
def list_entries(
    session: SessionDep,
    page: ViewPage,
    q: Annotated[str, Query(max_length=100, description="Words in any text field")] = "",
    theme: Annotated[str, Query(max_length=100)] = "",
    source: Annotated[str, Query(max_length=100)] = "",
    significance: Annotated[str, Query(max_length=100)] = "",
    child: uuid.UUID | None = None,
    date_from: Annotated[date | None, Query(alias="from")] = None,
    date_to: Annotated[date | None, Query(alias="to")] = None,
    sort: Literal["newest", "oldest", "significance", "source", "changed"] = "newest",
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = chronology.PAGE_SIZE,
) -> EntryList:
    """The family's entries with the chronology page's filters, sorting and paging."""
    query = _query(
        session,
        page,
        theme=theme,
        source=source,
        significance=significance,
        child=child,
        date_from=date_from,
        date_to=date_to,
        text=q,
        sort=sort,
        number=page_number,
        size=page_size,
    )
    results = chronology.list_entries(
        session, family=page.family, content=page.content, query=query
    )
    return EntryList(
        entries=[
            _entry(row.entry, row.theme_ids, row.child_ids, row.comments) for row in results.rows
        ],
        total=results.total,
        family_total=results.family_total,
        page=results.page,
        pages=results.pages,
        page_size=results.page_size,
    )


NOT_YET = "The chronology cannot be added to yet: the message says what its task waits for"


@router.post(
    "", response_model=EntryPublic, status_code=201, responses=conflict(description=NOT_YET)
)
def create_entry(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    body: Annotated[EntryWrite, Body(openapi_examples={"event": {"value": EXAMPLE_ENTRY}})],
) -> EntryPublic:
    """Add an entry, checked as the page checks it."""
    entry = chronology.add_entry(
        session, actor=actor, family=page.family, content=page.content, details=_details(body)
    )
    return _public(session, entry)


@router.get("/export", response_class=Response, responses={200: {"content": {"text/csv": {}}}})
@outside_queue
def export_entries(session: SessionDep, actor: ActorDep, page: ViewPage) -> Response:
    """Every entry as CSV, oldest first, in the columns the import reads (the page's export)."""
    text = chronology_csv.export_csv(session, family=page.family, content=page.content)
    audit.record(
        session,
        actor,
        AuditAction.EXPORT,
        entity_type="chronology",
        entity_id=page.family.id,
        family_id=page.family.id,
        details={"format": "csv"},
    )
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", page.family.reference).strip("-") or "family"
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="chronology-{name}.csv"'},
    )


@router.get("/{entry_id}", response_model=EntryPublic)
def get_entry(session: SessionDep, page: ViewPage, entry_id: uuid.UUID) -> EntryPublic:
    """One entry."""
    return _public(session, chronology.get_entry(session, page.family, entry_id))


@router.put("/{entry_id}", response_model=EntryPublic, responses=conflict(EntryPublic))
def update_entry(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    entry_id: uuid.UUID,
    body: Annotated[
        EntryUpdate,
        Body(openapi_examples={"event": {"value": {**EXAMPLE_ENTRY, "version": 1}}}),
    ],
) -> Any:
    """Save the entry as sent, if nobody saved it since `version`."""
    entry = chronology.get_entry(session, page.family, entry_id)
    try:
        saved = chronology.update_entry(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            entry=entry,
            details=_details(body),
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(EntryPublic, problem, lambda row: _public(session, row))
    return _public(session, saved)


@router.delete("/{entry_id}", status_code=204, responses=conflict(EntryPublic))
def delete_entry(
    session: SessionDep, actor: ActorDep, page: EditPage, entry_id: uuid.UUID, body: DeleteRequest
) -> Response:
    """Delete an entry softly, with the reason (it stays on the deleted-records page)."""
    entry = chronology.get_entry(session, page.family, entry_id)
    try:
        chronology.delete_entry(
            session,
            actor=actor,
            family=page.family,
            entry=entry,
            reason=body.reason,
            expected_version=body.version,
        )
    except Conflict as problem:
        return stale(EntryPublic, problem, lambda row: _public(session, row))
    return Response(status_code=204)


# Import ------------------------------------------------------------------------------------------


def _preview(session: Session, page: Any, record: ChronologyImport) -> ImportPreview:
    rows: list[PreviewRow] = []
    columns: list[str] = []
    can_import = False
    if record.status == "pending":
        try:
            result = chronology_csv.preview(
                record.csv_text,
                content=page.content,
                children=chronology.child_names(session, page.family),
            )
        except chronology_csv.FileRefused as refusal:
            # The family's children or content changed since the upload.
            raise InvalidInput({"file": str(refusal)}) from None
        rows = [
            PreviewRow(line=row.line, values=row.shown, errors=row.errors, notes=row.notes)
            for row in result.rows
        ]
        columns = result.columns
        can_import = result.can_import
    return ImportPreview(
        id=record.id,
        filename=record.filename,
        status=record.status,
        can_import=can_import,
        ready=sum(1 for row in rows if not row.errors),
        with_errors=sum(1 for row in rows if row.errors),
        columns=columns,
        rows=rows,
        imported_count=record.imported_count,
    )


CSV_BODY = {
    "requestBody": {
        "required": True,
        "description": (
            "The CSV file: the body itself (`text/csv`), or a form upload whose field `file` "
            "holds it. UTF-8 or Windows-1252, at most 2 MB and 5,000 rows."
        ),
        "content": {
            "text/csv": {
                "schema": {"type": "string"},
                "example": "Date,Source,What happened,Significance\r\n"
                "14/03/2025,Police,Police called to the home,Red\r\n",
            },
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@dataclass(frozen=True)
class CsvUpload:
    """The file sent, or None when the body was neither CSV nor a form upload."""

    filename: str
    data: bytes | None


async def read_csv_upload(request: Request) -> CsvUpload:
    """The file's name and (at most one byte more than allowed of) its bytes."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media == "multipart/form-data":
        form = await read_form_data(request)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise InvalidInput({"file": "Send the CSV file in the form field ‘file’"})
        data = await upload.read(chronology_csv.MAX_BYTES + 1)
        return CsvUpload(upload.filename or "", data)
    if media in ("text/csv", "application/csv", "text/plain"):
        return CsvUpload("", (await request.body())[: chronology_csv.MAX_BYTES + 1])
    return CsvUpload("", None)


@router.post(
    "/imports",
    response_model=ImportPreview,
    status_code=201,
    openapi_extra=CSV_BODY,
    responses={
        **conflict(description=NOT_YET),
        413: ERRORS[413],
        415: {"model": ErrorBody, "description": "The body is not a CSV file or a form upload"},
    },
)
def upload_import(
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    upload: Annotated[CsvUpload, Depends(read_csv_upload)],
) -> Any:
    """Keep a CSV file of entries and answer with every row as it will be saved and its
    problems; nothing is saved in the chronology until the import is confirmed."""
    if upload.data is None:
        return JSONResponse({"message": CSV_ONLY}, status_code=415)
    if not upload.data:
        raise InvalidInput({"file": "The file is empty: send a CSV file of entries"})
    if len(upload.data) > chronology_csv.MAX_BYTES:
        raise InvalidInput({"file": chronology_csv.TOO_LARGE})
    try:
        record = chronology_csv.start_import(
            session,
            actor=actor,
            family=page.family,
            content=page.content,
            filename=upload.filename or "chronology.csv",
            data=upload.data,
        )
    except chronology_csv.FileRefused as refusal:
        raise InvalidInput({"file": str(refusal)}) from None
    session.flush()
    return _preview(session, page, record)


def _import(
    session: Session, actor: audit.Actor, page: Any, import_id: uuid.UUID
) -> ChronologyImport:
    return chronology_csv.get_import(session, actor=actor, family=page.family, import_id=import_id)


@router.get("/imports/{import_id}", response_model=ImportPreview)
def get_import(
    session: SessionDep, actor: ActorDep, page: EditPage, import_id: uuid.UUID
) -> ImportPreview:
    """An upload's preview (for the account that uploaded it only)."""
    record = chronology_csv.get_import(
        session, actor=actor, family=page.family, import_id=import_id
    )
    return _preview(session, page, record)


@router.post(
    "/imports/{import_id}/confirm",
    response_model=Imported,
    responses={
        **conflict(
            description="The import was already confirmed or discarded, or the chronology "
            "cannot be added to yet"
        ),
        422: {
            "model": InvalidBody,
            "description": "Some rows have problems (see the preview): nothing was imported",
        },
    },
)
def confirm_import(
    session: SessionDep, actor: ActorDep, page: EditPage, import_id: uuid.UUID
) -> Imported:
    """Import every row of the upload in one transaction: all of them, or none if any row has
    a problem."""
    record = chronology_csv.get_import(
        session, actor=actor, family=page.family, import_id=import_id
    )
    count = chronology_csv.confirm_import(
        session, actor=actor, family=page.family, content=page.content, record=record
    )
    return Imported(imported=count)


@router.delete("/imports/{import_id}", status_code=204)
def discard_import(
    session: SessionDep, actor: ActorDep, page: EditPage, import_id: uuid.UUID
) -> Response:
    """Throw an unconfirmed upload away, with the file's text."""
    record = chronology_csv.get_import(
        session, actor=actor, family=page.family, import_id=import_id
    )
    chronology_csv.discard_import(session, actor=actor, family=page.family, record=record)
    return Response(status_code=204)
