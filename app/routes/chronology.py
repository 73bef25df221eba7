"""The chronology pages: the filtered table of entries with the analysis beside it, adding
and changing entries (in place with htmx, or as their own pages without JavaScript), and
deleting them."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app.admission import outside_queue
from app.content.model import FrameworkContent
from app.deps import ActorDep, FormValues, SessionDep
from app.forms import FormState, read_form_data
from app.forms.chronology import entry_details, entry_form_state, entry_values
from app.forms.family import ParsedForm
from app.middleware import UploadAllowance
from app.models.accounts import User
from app.models.audit import AuditAction
from app.models.chronology import ChronologyEntry, ChronologyImport
from app.models.family import Family
from app.routes.family_pages import (
    EditPage,
    FamilyPage,
    SupervisePage,
    ViewPage,
    compare_versions,
    confirm_delete,
    delete_page,
)
from app.services import (
    audit,
    breakdowns,
    chronology,
    chronology_analysis,
    chronology_csv,
    chronology_review,
    chronology_timeline,
    evidence,
    prefill,
    questions,
)
from app.services.audit import Actor
from app.services.errors import Conflict, InvalidInput
from app.templating import is_htmx, render
from app.timeutil import format_date

router = APIRouter(prefix="/families", include_in_schema=False)

# The task list links the framework's chronology section to this page.

# The import page, and a preview replacing its file, may receive the largest file allowed, plus
# the form around it.
UPLOAD = UploadAllowance(
    path=re.compile(r"/families/[^/]+/chronology/import(?:/[^/]+/replace)?"),
    max_bytes=chronology_csv.MAX_BYTES + 64 * 1024,
    too_large=chronology_csv.TOO_LARGE,
)
FILTER_KEYS = ("q", "theme", "source", "significance", "child", "from", "to", "sort")


def _base(family: Family) -> str:
    return f"/families/{family.id}/chronology"


def _query(
    request: Request, content: FrameworkContent, children: dict[uuid.UUID, str]
) -> tuple[chronology.EntryQuery, dict[str, str], dict[str, str]]:
    """The list query from the address, the filter values to show, and filter problems.
    Values the page never offers are dropped rather than refused."""
    raw = {key: request.query_params.get(key, "")[:200] for key in FILTER_KEYS}
    errors: dict[str, str] = {}
    dates: dict[str, Any] = {}
    for key, label in (("from", "From"), ("to", "To")):
        if raw[key].strip():
            try:
                dates[key], _precision = chronology.parse_date_text(raw[key])
            except chronology.DateProblem as problem:
                errors[f"filter-{key}"] = f"{label}: {problem}"
    child = None
    try:
        child = uuid.UUID(raw["child"]) if raw["child"] else None
    except ValueError:
        child = None
    try:
        page = max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        page = 1
    query = chronology.EntryQuery(
        text=raw["q"].strip()[:100],
        theme=raw["theme"] if raw["theme"] in chronology.themes(content) else "",
        source=raw["source"] if raw["source"] in chronology.sources(content) else "",
        significance=raw["significance"]
        if raw["significance"] in chronology.grades(content)
        else "",
        child=child if child in children else None,
        date_from=dates.get("from"),
        date_to=dates.get("to"),
        sort=raw["sort"] if raw["sort"] in chronology.SORTS else "newest",
        page=min(page, 100_000),
    )
    return query, raw, errors


def _params(raw: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in raw.items() if value}


def _return_query(request: Request) -> str:
    """The list's filters, carried through an add or edit so the list comes back the same."""
    kept = {key: request.query_params.get(key, "")[:200] for key in (*FILTER_KEYS, "page")}
    kept = {key: value for key, value in kept.items() if value}
    return f"?{urlencode(kept)}" if kept else ""


def chronology_page(
    request: Request,
    session: Session,
    page: FamilyPage,
    *,
    adding: FormState | None = None,
    editing: tuple[ChronologyEntry, FormState] | None = None,
    conflict: list[dict[str, str]] | None = None,
    saved: str | None = None,
    completed: str = "",
    link: tuple[dict[str, str], list[str], str] | None = None,
    record_errors: dict[str, str] | None = None,
) -> Response:
    """The chronology page (or its workspace block for htmx). `link` is a refused "Link ticked
    entries": its problems, the ticked entries and the factor chosen; `record_errors` a refused
    entry from the children's records, by its record."""
    family, content = page.family, page.content
    children = chronology.child_names(session, family)
    query, raw, filter_errors = _query(request, content, children)
    results = chronology.list_entries(
        session, family=family, content=content, query=query, children=children
    )
    # An htmx request redraws only the entries, and the patterns beside them after a save.
    whole_page = not is_htmx(request)
    analysis = (
        chronology_analysis.analyse_chronology(session, family=family, content=content)
        if whole_page or saved
        else None
    )
    latest = chronology_review.latest_review(session, family) if whole_page else None
    changed = (
        len(
            chronology_review.changes_since(
                session, family=family, content=content, review=latest[0]
            )
        )
        if latest
        else 0
    )
    form = adding or (editing[1] if editing else None)
    errors = form.error_list() if form else []
    link_errors, link_picked, link_factor = link or ({}, [], "")
    errors += [{"text": text, "href": "#" + key} for key, text in link_errors.items()]
    waiting = chronology.cannot_add(session, family, content) if page.can_edit else None
    can_add = page.can_edit and not waiting
    record_entries = (
        prefill.record_entries(session, family=family, content=content) if can_add else []
    )
    record_errors = record_errors or {}
    offered = {item.key: number for number, item in enumerate(record_entries, start=1)}
    # An event added already (in another tab, say) has left the list: say so above it.
    errors += [
        {
            "text": text,
            "href": f"#record-{offered[key]}-significance"
            if key in offered
            else "#chronology-workspace",
        }
        for key, text in record_errors.items()
    ]
    return render(
        request,
        "views/chronology/chronology.html",
        {
            **_vocabulary(content),
            **page.context,
            "results": results,
            "analysis": analysis,
            "oob_panel": bool(saved) and not whole_page,
            "review": latest,
            "changed_since_review": changed,
            "query": query,
            "filters": raw,
            "filter_errors": filter_errors,
            "params": _params(raw),
            "return_query": _return_query(request),
            "adding": adding,
            "editing_id": editing[0].id if editing else None,
            "editing_entry": editing[0] if editing else None,
            "form": form,
            "errors": errors
            + [{"text": text, "href": "#" + key} for key, text in filter_errors.items()],
            "conflict": conflict,
            "saved": saved,
            "base": _base(family),
            "sorts": chronology.SORTS,
            "is_htmx_request": is_htmx(request),
            "completed": completed,
            "next_is": "task",
            "link_factors": _link_factors(content) if page.can_edit else [],
            "link_errors": link_errors,
            "link_picked": link_picked,
            "link_factor": link_factor,
            "record_entries": record_entries,
            "record_errors": record_errors,
            "cannot_add": waiting if whole_page else None,
        },
        htmx_block="workspace",
    )


def _link_factors(content: FrameworkContent) -> list[tuple[str, list[tuple[str, str]]]]:
    """Each domain's factors, for linking ticked entries as their evidence."""
    return [
        (
            domain.title,
            [
                (factor.id, factor.text)
                for factor in (*domain.risk_factors, *domain.protective_factors)
            ],
        )
        for domain in content.domains
    ]


@router.post("/{family_id}/chronology/evidence")
def link_ticked_entries(
    form_data: FormValues, request: Request, session: SessionDep, actor: ActorDep, page: EditPage
) -> Response:
    """Link the entries ticked in the table to the factor chosen under it (a plain form: the
    same without JavaScript)."""
    family, content = page.family, page.content
    ticked = [str(value) for value in questions.posted_list(form_data, "entries")]
    factor_id = str(form_data.get("factor") or "")
    known = {factor for _title, factors in _link_factors(content) for factor, _ in factors}
    problems: dict[str, str] = {}
    if factor_id not in known:
        problems["link-factor"] = "Choose the factor the ticked entries show"
    if not ticked:
        problems["link-entries"] = "Tick at least one entry in the table to link"
    added = 0
    if not problems:
        try:
            added = evidence.link_entries(
                session,
                actor=actor,
                family=family,
                content=content,
                factor_id=factor_id,
                entry_ids=ticked,
            )
        except InvalidInput as problem:
            problems = {"link-entries": "; ".join(problem.errors.values())}
    if problems:
        return chronology_page(request, session, page, link=(problems, ticked, factor_id))
    done = urlencode({"linked": added, "factor": factor_id})
    return RedirectResponse(f"{_base(family)}?{done}", status_code=303)


def _vocabulary(content: FrameworkContent) -> dict[str, Any]:
    return {
        "source_labels": chronology.sources(content),
        "theme_labels": chronology.themes(content),
        "theme_polarity": {theme.id: theme.polarity for theme in content.chronology.themes},
        "grade_labels": chronology.grades(content),
        "grade_colours": {grade.id: grade.colour for grade in content.chronology.significance},
        "grade_rank": {
            grade.id: position for position, grade in enumerate(content.chronology.significance)
        },
        "precisions": chronology.DATE_PRECISIONS,
        "describe_date": chronology.describe_event_date,
    }


def _entry_form_page(
    request: Request,
    session: Session,
    family: Family,
    content: FrameworkContent,
    form: FormState,
    *,
    entry: ChronologyEntry | None = None,
    conflict: list[dict[str, str]] | None = None,
) -> Response:
    return render(
        request,
        "views/chronology/entry-form.html",
        {
            **_vocabulary(content),
            "family": family,
            "content": content,
            "entry": entry,
            "form": form,
            "errors": form.error_list(),
            "conflict": conflict,
            "children": chronology.child_names(session, family),
            "action": request.url.path,
            "return_query": _return_query(request),
            "base": _base(family),
        },
    )


def _entry_row(session: Session, entry: ChronologyEntry) -> chronology.EntryRow:
    links = chronology.entry_links(session, [entry.id])
    return chronology.EntryRow(
        entry=entry,
        theme_ids=links.themes[entry.id],
        child_ids=links.children[entry.id],
        comments=0,
    )


# The page ------------------------------------------------------------------------------------


@router.get("/{family_id}/chronology")
def chronology_view(request: Request, session: SessionDep, page: ViewPage) -> Response:
    """The family's chronology: entries with filters, sorting and pages, and the analysis."""
    imported = request.query_params.get("imported", "")
    saved = None
    if imported.isdigit():
        saved = f"{int(imported)} {'entry' if imported == '1' else 'entries'} imported"
    linked, factor = request.query_params.get("linked", ""), request.query_params.get("factor")
    texts = {f: text for _title, factors in _link_factors(page.content) for f, text in factors}
    if linked.isdigit() and factor in texts:
        # Made from a number and the content's own words: nothing typed reaches the page.
        count = int(linked)
        entries = "entry" if count == 1 else "entries"
        saved = f"{count} {entries} linked as evidence of ‘{texts[factor]}’"
    completed = page.content.section_titles.get(request.query_params.get("completed", ""), "")
    adding = None
    if (
        completed
        and page.can_edit
        and chronology.family_total(session, page.family) == 0
        and not chronology.cannot_add(session, page.family, page.content)
    ):
        # Opened as the next task with nothing in it yet: the first entry's form is open.
        adding = FormState(values={"date_precision": "day"})
    return chronology_page(request, session, page, saved=saved, completed=completed, adding=adding)


# Import and export ---------------------------------------------------------------------------


async def read_upload(request: Request) -> tuple[str, bytes | None]:
    """The uploaded file's name and (at most one byte more than allowed of) its bytes."""
    form = await read_form_data(request)
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        return "", None
    data = await upload.read(chronology_csv.MAX_BYTES + 1)
    return upload.filename or "", data


UploadDep = Annotated[tuple[str, bytes | None], Depends(read_upload)]


def _import_page(
    request: Request,
    session: Session,
    family: Family,
    content: FrameworkContent,
    form: FormState,
) -> Response:
    return render(
        request,
        "views/chronology/import.html",
        {
            **_vocabulary(content),
            "cannot_add": chronology.cannot_add(session, family, content),
            "family": family,
            "content": content,
            "form": form,
            "errors": form.error_list(),
            "columns": chronology_csv.COLUMNS,
            "max_rows": chronology_csv.MAX_ROWS,
            "base": _base(family),
        },
    )


@router.get("/{family_id}/chronology/import")
def import_page(request: Request, session: SessionDep, page: EditPage) -> Response:
    """Upload a CSV file of entries."""
    family, content = page.family, page.content
    return _import_page(request, session, family, content, FormState())


@router.post("/{family_id}/chronology/import")
def upload_import(
    upload: UploadDep, request: Request, session: SessionDep, actor: ActorDep, page: EditPage
) -> Response:
    """Keep the file and show its preview, or refuse it in one sentence."""
    family, content = page.family, page.content
    try:
        record = _start_import(session, actor, family, content, upload)
    except chronology_csv.FileRefused as refusal:
        refused = FormState(errors={"file": str(refusal)})
        return _import_page(request, session, family, content, refused)
    return RedirectResponse(f"{_base(family)}/import/{record.id}", status_code=303)


def _start_import(
    session: Session,
    actor: Actor,
    family: Family,
    content: FrameworkContent,
    upload: tuple[str, bytes | None],
) -> ChronologyImport:
    filename, data = upload
    if data is None or not (data or filename):
        raise chronology_csv.FileRefused("Choose a CSV file to import")
    return chronology_csv.start_import(
        session, actor=actor, family=family, content=content, filename=filename, data=data
    )


@router.post("/{family_id}/chronology/import/{import_id}/replace")
def replace_import(
    upload: UploadDep,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    import_id: uuid.UUID,
) -> Response:
    """Upload a corrected file from the preview: it replaces this one, which is discarded; a
    file that is refused leaves this preview as it was."""
    family, content = page.family, page.content
    record = chronology_csv.get_import(session, actor=actor, family=family, import_id=import_id)
    try:
        replacement = _start_import(session, actor, family, content, upload)
    except chronology_csv.FileRefused as refusal:
        return _preview_page(
            request, session, family, content, record, FormState(errors={"file": str(refusal)})
        )
    chronology_csv.discard_import(session, actor=actor, family=family, record=record)
    return RedirectResponse(f"{_base(family)}/import/{replacement.id}", status_code=303)


def _preview_page(
    request: Request,
    session: Session,
    family: Family,
    content: FrameworkContent,
    record: ChronologyImport,
    form: FormState | None = None,
) -> Response:
    form = form or FormState()
    result = None
    refused = None
    blocked = (
        chronology.cannot_add(session, family, content) if record.status == "pending" else None
    )
    if blocked:
        refused = blocked
    elif record.status == "pending":
        try:
            result = chronology_csv.preview(
                record.csv_text, content=content, children=chronology.child_names(session, family)
            )
        except chronology_csv.FileRefused as refusal:
            # Content or children may have changed since the upload.
            refused = str(refusal)
    return render(
        request,
        "views/chronology/import-preview.html",
        {
            "family": family,
            "record": record,
            "preview": result,
            "refused": refused,
            "form": form,
            "errors": form.error_list(),
            "base": _base(family),
        },
    )


@router.get("/{family_id}/chronology/import/{import_id}")
def import_preview(
    request: Request, session: SessionDep, actor: ActorDep, page: EditPage, import_id: uuid.UUID
) -> Response:
    """Each row of the file as it will be saved, with its problems (its uploader only)."""
    family, content = page.family, page.content
    record = chronology_csv.get_import(session, actor=actor, family=family, import_id=import_id)
    return _preview_page(request, session, family, content, record)


@router.post("/{family_id}/chronology/import/{import_id}")
def finish_import(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    import_id: uuid.UUID,
) -> Response:
    """Import every row (one transaction), or discard the file."""
    family, content = page.family, page.content
    record = chronology_csv.get_import(session, actor=actor, family=family, import_id=import_id)
    if form_data.get("action") == "discard":
        chronology_csv.discard_import(session, actor=actor, family=family, record=record)
        return RedirectResponse(f"{_base(family)}/import", status_code=303)
    if form_data.get("action") != "import":
        return _preview_page(request, session, family, content, record)
    try:
        count = chronology_csv.confirm_import(
            session, actor=actor, family=family, content=content, record=record
        )
    except InvalidInput:
        # The preview shows each row's problems (the file or the family changed).
        return _preview_page(request, session, family, content, record)
    except Conflict:
        session.refresh(record)
        return _preview_page(request, session, family, content, record)
    return RedirectResponse(f"{_base(family)}?imported={count}", status_code=303)


@router.get("/{family_id}/chronology/export.csv")
@outside_queue
def export_entries(session: SessionDep, actor: ActorDep, page: ViewPage) -> Response:
    """The chronology as a CSV file, in the columns the import reads."""
    family, content = page.family, page.content
    text = chronology_csv.export_csv(session, family=family, content=content)
    audit.record(
        session,
        actor,
        AuditAction.EXPORT,
        entity_type="chronology",
        entity_id=family.id,
        family_id=family.id,
        details={"format": "csv"},
    )
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", family.reference).strip("-") or "family"
    return Response(
        text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="chronology-{name}.csv"'},
    )


# Analysis ------------------------------------------------------------------------------------


@router.get("/{family_id}/chronology/analysis")
def analysis_page(request: Request, session: SessionDep, page: ViewPage) -> Response:
    """The whole analysis: the patterns in the entries and the written analysis."""
    family, content = page.family, page.content
    analysis = chronology_analysis.analyse_chronology(session, family=family, content=content)
    return render(
        request,
        "views/chronology/analysis.html",
        {
            **_vocabulary(content),
            **page.context,
            "analysis": analysis,
            "causes_again": breakdowns.causes_again(session, family_id=family.id, content=content),
            "scopes": chronology_analysis.theme_scopes(analysis, content),
            "base": _base(family),
        },
    )


def _written_page(
    request: Request,
    session: Session,
    family: Family,
    content: FrameworkContent,
    scope: str,
    form: FormState,
    conflict: str | None = None,
) -> Response:
    summary = None
    if scope != chronology_analysis.OVERALL:
        analysis = chronology_analysis.analyse_chronology(session, family=family, content=content)
        found = next((item for item in analysis.themes if item.theme_id == scope), None)
        if found:
            summary = (
                f"{found.count} {'entry has' if found.count == 1 else 'entries have'} this "
                f"theme, from {format_date(found.first)} to {format_date(found.last)}."
            )
    return render(
        request,
        "views/chronology/written-analysis.html",
        {
            "family": family,
            "subject": chronology_analysis.scope_label(content, scope),
            "summary": summary,
            "form": form,
            "errors": form.error_list(),
            "conflict": conflict,
            "base": _base(family),
        },
    )


@router.get("/{family_id}/chronology/analysis/{scope}")
def edit_written_analysis(
    request: Request, session: SessionDep, page: EditPage, scope: str
) -> Response:
    """Write or change the analysis of a theme, or of the chronology as a whole."""
    family, content = page.family, page.content
    chronology_analysis.check_scope(content, scope)
    saved = chronology_analysis.written_analyses(session, family).get(scope)
    values = {"text": saved.text, "version": saved.version} if saved else {"version": 0}
    return _written_page(request, session, family, content, scope, FormState(values=values))


@router.post("/{family_id}/chronology/analysis/{scope}")
def save_written_analysis(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    scope: str,
) -> Response:
    """Save the written analysis."""
    family, content = page.family, page.content
    chronology_analysis.check_scope(content, scope)
    form = ParsedForm(form_data)
    try:
        chronology_analysis.save_written_analysis(
            session,
            actor=actor,
            family=family,
            content=content,
            scope=scope,
            text=form.text("text"),
            expected_version=form.whole_number("version", "Version") or 0,
        )
    except InvalidInput as problem:
        state = FormState(values=dict(form.values), errors=problem.errors)
        return _written_page(request, session, family, content, scope, state)
    except Conflict:
        saved = chronology_analysis.written_analyses(session, family).get(scope)
        # The user's text stays; the saved version lets them save it over the top.
        state = FormState(values={**form.values, "version": saved.version if saved else 0})
        return _written_page(
            request, session, family, content, scope, state, conflict=saved.text if saved else ""
        )
    return RedirectResponse(f"{_base(family)}/analysis", status_code=303)


# Adding --------------------------------------------------------------------------------------


@router.get("/{family_id}/chronology/new")
def new_entry(request: Request, session: SessionDep, page: EditPage) -> Response:
    """The form to add an entry: in place above the table (htmx), or a page of its own."""
    family, content = page.family, page.content
    chronology.check_can_add(session, family, content)
    form = FormState(values={"date_precision": "day"})
    if is_htmx(request):
        return chronology_page(request, session, page, adding=form)
    return _entry_form_page(request, session, family, content, form)


@router.post("/{family_id}/chronology/new")
def create_entry(
    form_data: FormValues, request: Request, session: SessionDep, actor: ActorDep, page: EditPage
) -> Response:
    """Add an entry to the chronology."""
    family, content = page.family, page.content
    form = ParsedForm(form_data)
    try:
        entry = chronology.add_entry(
            session, actor=actor, family=family, content=content, details=entry_details(form)
        )
    except InvalidInput as problem:
        state = entry_form_state(form.values, form.errors, problem.errors)
        if is_htmx(request):
            return chronology_page(request, session, page, adding=state)
        return _entry_form_page(request, session, family, content, state)
    another = form_data.get("then") == "another"
    if is_htmx(request):
        # "Save and add another" keeps an empty form open for the next entry.
        fresh = FormState(values={"date_precision": "day"}) if another else None
        return chronology_page(request, session, page, adding=fresh, saved="Entry added")
    if another:
        return RedirectResponse(f"{_base(family)}/new{_return_query(request)}", status_code=303)
    return RedirectResponse(
        f"{_base(family)}{_return_query(request)}#entry-{entry.id}", status_code=303
    )


@router.post("/{family_id}/chronology/from-record")
def add_from_record(
    form_data: FormValues, request: Request, session: SessionDep, actor: ActorDep, page: EditPage
) -> Response:
    """Add an event the children's records hold (coming into care, an earlier return) as an
    entry, with the significance chosen: nothing is typed again."""
    family = page.family
    key = str(form_data.get("record") or "")
    significance = str(form_data.get("significance") or "")
    another = form_data.get("then") == "another"
    try:
        entry = prefill.add_record_entry(
            session,
            actor=actor,
            family=family,
            content=page.content,
            key=key,
            significance=significance,
        )
    except InvalidInput as problem:
        message = problem.errors.get("significance") or "; ".join(problem.errors.values())
        adding = FormState(values={"date_precision": "day"}) if another else None
        return chronology_page(request, session, page, adding=adding, record_errors={key: message})
    if is_htmx(request):
        fresh = FormState(values={"date_precision": "day"}) if another else None
        return chronology_page(request, session, page, adding=fresh, saved="Entry added")
    return RedirectResponse(
        f"{_base(family)}{_return_query(request)}#entry-{entry.id}", status_code=303
    )


# Changing ------------------------------------------------------------------------------------


@router.get("/{family_id}/chronology/{entry_id}/edit")
def edit_entry(
    request: Request, session: SessionDep, page: EditPage, entry_id: uuid.UUID
) -> Response:
    """The form to change an entry: in place in its row (htmx), or a page of its own."""
    family, content = page.family, page.content
    entry = chronology.get_entry(session, family, entry_id)
    form = FormState(values=entry_values(_entry_row(session, entry)))
    if is_htmx(request):
        return chronology_page(request, session, page, editing=(entry, form))
    return _entry_form_page(request, session, family, content, form, entry=entry)


@router.post("/{family_id}/chronology/{entry_id}/edit")
def update_entry(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    entry_id: uuid.UUID,
) -> Response:
    """Save changes to an entry."""
    family, content = page.family, page.content
    entry = chronology.get_entry(session, family, entry_id)
    form = ParsedForm(form_data)
    version = form.whole_number("version", "Version") or 0
    conflict = None
    try:
        chronology.update_entry(
            session,
            actor=actor,
            family=family,
            content=content,
            entry=entry,
            details=entry_details(form),
            expected_version=version,
        )
    except InvalidInput as problem:
        state = entry_form_state(form.values, form.errors, problem.errors)
    except Conflict:
        saved = entry_values(_entry_row(session, entry))
        conflict = compare_versions(
            saved,
            form.values,
            chronology.FIELD_LABELS,
            [name for name in chronology.FIELD_LABELS if name not in {"themes", "children"}],
        )
        # The user's text stays in the form; the new version lets them save it over the top.
        state = FormState(values={**form.values, "version": saved["version"]})
    else:
        if is_htmx(request):
            return chronology_page(request, session, page, saved="Entry saved")
        return RedirectResponse(
            f"{_base(family)}{_return_query(request)}#entry-{entry.id}", status_code=303
        )
    if is_htmx(request):
        return chronology_page(request, session, page, editing=(entry, state), conflict=conflict)
    return _entry_form_page(
        request, session, family, content, state, entry=entry, conflict=conflict
    )


# Deleting ------------------------------------------------------------------------------------


def _describe(entry: ChronologyEntry) -> str:
    return f"the entry of {chronology.describe_event_date(entry.occurred_on, entry.date_precision)}"


@router.get("/{family_id}/chronology/{entry_id}/delete")
def delete_entry_page(
    request: Request, session: SessionDep, page: EditPage, entry_id: uuid.UUID
) -> Response:
    """Confirm deleting an entry, with a reason."""
    family = page.family
    entry = chronology.get_entry(session, family, entry_id)
    return delete_page(request, family, _describe(entry), _base(family), entry.version)


@router.post("/{family_id}/chronology/{entry_id}/delete")
def delete_entry(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: EditPage,
    entry_id: uuid.UUID,
) -> Response:
    """Delete an entry (supervisors can still see it)."""
    family = page.family
    entry = chronology.get_entry(session, family, entry_id)

    def remove(reason: str, expected_version: int) -> None:
        chronology.delete_entry(
            session,
            actor=actor,
            family=family,
            entry=entry,
            reason=reason,
            expected_version=expected_version,
        )

    return confirm_delete(
        request,
        form_data,
        family,
        remove,
        what=_describe(entry),
        back=_base(family),
        version=entry.version,
    )


# Timeline ------------------------------------------------------------------------------------


@router.get("/{family_id}/chronology/timeline")
def timeline_page(request: Request, session: SessionDep, page: ViewPage) -> Response:
    """Events over time by theme, with care and earlier returns home, and the same as tables."""
    family, content = page.family, page.content
    return render(
        request,
        "views/chronology/timeline.html",
        {
            "family": family,
            "timeline": chronology_timeline.build_timeline(session, family=family, content=content),
            "base": _base(family),
        },
    )


# Supervisor review ---------------------------------------------------------------------------


def _review_page(
    request: Request,
    session: Session,
    page: FamilyPage,
    *,
    form: FormState | None = None,
    comment_form: FormState | None = None,
) -> Response:
    family, content = page.family, page.content
    latest = chronology_review.latest_review(session, family)
    form = form or FormState()
    comment_form = comment_form or FormState()
    return render(
        request,
        "views/chronology/review.html",
        {
            **page.context,
            "review": latest[0] if latest else None,
            "reviewer": latest[1] if latest else None,
            "changes": chronology_review.changes_since(
                session, family=family, content=content, review=latest[0]
            )
            if latest
            else [],
            "comments": chronology_review.comments(session, family, entry=None),
            "form": form,
            "comment_form": comment_form,
            "errors": form.error_list() + comment_form.error_list(),
            "base": _base(family),
        },
    )


@router.get("/{family_id}/chronology/review")
def review_page(request: Request, session: SessionDep, page: ViewPage) -> Response:
    """The last review, what changed since, and comments on the whole chronology."""
    return _review_page(request, session, page)


@router.post("/{family_id}/chronology/review")
def mark_reviewed(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: SupervisePage,
) -> Response:
    """Record that the supervisor reviewed the chronology as it stands."""
    family = page.family
    form = ParsedForm(form_data)
    try:
        chronology_review.mark_reviewed(
            session, actor=actor, family=family, note=form.optional_text("note")
        )
    except InvalidInput as problem:
        state = FormState(values=dict(form.values), errors=problem.errors)
        return _review_page(request, session, page, form=state)
    return RedirectResponse(f"{_base(family)}/review", status_code=303)


@router.post("/{family_id}/chronology/comments")
def comment_on_chronology(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: SupervisePage,
) -> Response:
    """Add a supervisor's comment on the whole chronology."""
    family = page.family
    form = ParsedForm(form_data)
    try:
        chronology_review.add_comment(
            session, actor=actor, family=family, entry=None, body=form.text("body")
        )
    except InvalidInput as problem:
        state = FormState(values=dict(form.values), errors=problem.errors)
        return _review_page(request, session, page, comment_form=state)
    return RedirectResponse(f"{_base(family)}/review", status_code=303)


# One entry (last: its address would otherwise catch /chronology/review and the like) -------


def _entry_page(
    request: Request,
    session: Session,
    page: FamilyPage,
    entry: ChronologyEntry,
    form: FormState | None = None,
) -> Response:
    family, content = page.family, page.content
    form = form or FormState()
    author = session.get(User, entry.author_id)
    children = chronology.child_names(session, family)
    row = _entry_row(session, entry)
    return render(
        request,
        "views/chronology/entry.html",
        {
            **_vocabulary(content),
            **page.context,
            "entry": entry,
            "row": replace(row, child_ids=chronology.in_family_order(row.child_ids, children)),
            "author_name": author.name if author else "",
            "children": children,
            "comments": chronology_review.comments(session, family, entry=entry),
            "form": form,
            "errors": form.error_list(),
            "base": _base(family),
        },
    )


@router.get("/{family_id}/chronology/{entry_id}")
def entry_page(
    request: Request, session: SessionDep, page: ViewPage, entry_id: uuid.UUID
) -> Response:
    """One entry in full, with the supervisor's comments on it."""
    family = page.family
    entry = chronology.get_entry(session, family, entry_id)
    return _entry_page(request, session, page, entry)


@router.post("/{family_id}/chronology/{entry_id}/comments")
def comment_on_entry(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: SupervisePage,
    entry_id: uuid.UUID,
) -> Response:
    """Add a supervisor's comment on an entry."""
    family = page.family
    entry = chronology.get_entry(session, family, entry_id)
    form = ParsedForm(form_data)
    try:
        chronology_review.add_comment(
            session, actor=actor, family=family, entry=entry, body=form.text("body")
        )
    except InvalidInput as problem:
        state = FormState(values=dict(form.values), errors=problem.errors)
        return _entry_page(request, session, page, entry, state)
    return RedirectResponse(f"{_base(family)}/{entry.id}", status_code=303)
