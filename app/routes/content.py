"""Trainers' pages for the framework content: frameworks and versions, drafts and their files,
publishing, retiring, and moving versions in and out as zips."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool

from app.content.compare import compare, diff_files, required_bump
from app.content.errors import ContentError
from app.content.model import FrameworkContent
from app.content.registry import ContentRegistry, semver_key
from app.deps import ActorDep, ContentDep, FormValues, SessionDep, requires
from app.forms import FormState
from app.middleware import UploadAllowance
from app.models.accounts import User
from app.models.audit import AuditAction
from app.models.content import ContentFile, ContentStatus, ContentVersion
from app.models.family import Family
from app.preview import PREVIEW, Preview
from app.security.permissions import Permission
from app.services import accounts, audit, content_impact, content_preview, content_studio
from app.services.content_store import version_texts
from app.services.content_zip import MAX_ZIP_BYTES
from app.services.errors import Conflict, InvalidInput, NotFound
from app.templating import is_htmx, render
from app.timeutil import london_today

router = APIRouter(prefix="/content", include_in_schema=False)
Trainer = Annotated[User, requires(Permission.CONTENT_MANAGE)]
UPLOAD = UploadAllowance(
    path=re.compile(r"/content/import"),
    max_bytes=MAX_ZIP_BYTES + 64 * 1024,
    too_large="The zip is larger than the 2 MB allowed. Nothing was imported.",
)
STATUS_TAGS = {
    ContentStatus.PUBLISHED.value: ("Published", "govuk-tag--green"),
    ContentStatus.RETIRED.value: ("Retired", "govuk-tag--grey"),
    ContentStatus.DRAFT.value: ("Draft", "govuk-tag--blue"),
}


# --- views of versions and drafts ---------------------------------------------------------------


@dataclass(frozen=True)
class VersionView:
    """A published or retired version as the trainer's list shows it."""

    row: ContentVersion
    content: FrameworkContent | None
    errors: tuple[ContentError, ...]
    families: int
    published_by: str

    @property
    def tag(self) -> tuple[str, str]:
        if self.content is None:
            return ("Unavailable", "govuk-tag--red")
        return STATUS_TAGS[self.row.status]


@dataclass(frozen=True)
class DraftView:
    row: ContentVersion
    check: content_studio.DraftCheck
    started_from: str
    created_by: str


@dataclass(frozen=True)
class FrameworkView:
    framework_id: str
    title: str
    versions: list[VersionView]
    drafts: list[DraftView]


def _family_counts(session: Session) -> Counter[tuple[str, str]]:
    rows = session.exec(
        select(Family.framework_id, Family.framework_version, func.count())
        .where(col(Family.deleted_at).is_(None))
        .group_by(col(Family.framework_id), col(Family.framework_version))
    ).all()
    return Counter({(framework_id, version): count for framework_id, version, count in rows})


def _version_view(
    registry: ContentRegistry,
    row: ContentVersion,
    families: Counter[tuple[str, str]],
    names: dict[uuid.UUID, str],
) -> VersionView:
    number = row.number or ""
    origin = f"{row.framework_id}/{number}"
    content = None
    if number in registry.versions(row.framework_id):
        content = registry.get(row.framework_id, number)
    published_by = names.get(row.published_by_id, "") if row.published_by_id else ""
    return VersionView(
        row,
        content,
        registry.errors.get(origin, ()),
        families[(row.framework_id, number)],
        published_by or ("Bundled with Homeward" if row.origin == "bundled" else ""),
    )


def frameworks(session: Session, registry: ContentRegistry) -> list[FrameworkView]:
    rows = content_studio.version_rows(session)
    families = _family_counts(session)
    names = accounts.staff_names(
        session, {row.published_by_id for row in rows} | {row.created_by_id for row in rows}
    )
    by_id = {row.id: row for row in rows}
    grouped: dict[str, FrameworkView] = {}
    for row in rows:
        view = grouped.setdefault(row.framework_id, FrameworkView(row.framework_id, "", [], []))
        if row.status == ContentStatus.DRAFT.value:
            source = by_id.get(row.based_on_id) if row.based_on_id else None
            started = f"{source.framework_id} {source.number}" if source and source.number else ""
            view.drafts.append(
                DraftView(
                    row,
                    content_studio.check_draft(session, row),
                    started,
                    names.get(row.created_by_id, "") if row.created_by_id else "",
                )
            )
        else:
            view.versions.append(_version_view(registry, row, families, names))
    result = []
    for view in grouped.values():
        view.versions.sort(key=lambda item: semver_key(item.row.number or "0.0.0"), reverse=True)
        titles = [item.content.framework.title for item in view.versions if item.content]
        title = titles[0] if titles else view.framework_id
        result.append(FrameworkView(view.framework_id, title, view.versions, view.drafts))
    return result


def _refused_bundles(registry: ContentRegistry) -> list[tuple[str, tuple[ContentError, ...]]]:
    return [
        (origin, errors)
        for origin, errors in registry.errors.items()
        if origin.startswith("framework_content/")
    ]


# --- frameworks and versions --------------------------------------------------------------------


@router.get("")
def index(
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    _: Trainer,
    published: str = "",
    retired: str = "",
    imported: str = "",
    discarded: str = "",
) -> Response:
    """Every framework with its versions (status, changelog, families) and its drafts."""
    banner = ""
    for wanted, words in (
        (published, "is published. Every part of Homeward now serves it"),
        (retired, "is retired. No new family will start on it"),
        (imported, "is imported and published"),
    ):
        row = session.get(ContentVersion, _uuid(wanted)) if _uuid(wanted) else None
        if row is not None and row.number:
            banner = f"Version {row.number} of {_title(registry, row)} {words}."
    if discarded:
        banner = "The draft is discarded."
    return render(
        request,
        "views/content/index.html",
        {
            "frameworks": frameworks(session, registry),
            "refused_bundles": _refused_bundles(registry),
            "banner": banner,
        },
    )


def _title(registry: ContentRegistry, row: ContentVersion) -> str:
    if row.number and row.number in registry.versions(row.framework_id):
        return registry.get(row.framework_id, row.number).framework.title
    return row.title


def _row_or_404(session: Session, version_id: uuid.UUID) -> ContentVersion:
    return content_studio.get_version(session, version_id)


@router.get("/versions/{version_id}")
def version_page(
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    _: Trainer,
    version_id: uuid.UUID,
) -> Response:
    """One published version: its changelog, files and what can be done with it."""
    row = _row_or_404(session, version_id)
    if row.status == ContentStatus.DRAFT.value:
        return RedirectResponse(f"/content/drafts/{row.id}", status_code=303)
    return _version_response(request, session, registry, row, FormState())


def _version_response(
    request: Request,
    session: Session,
    registry: ContentRegistry,
    row: ContentVersion,
    form: FormState,
) -> Response:
    rows = content_studio.version_rows(session)
    names = accounts.staff_names(session, {row.published_by_id, row.retired_by_id})
    view = _version_view(registry, row, _family_counts(session), names)
    others = [item for item in rows if item.id != row.id]
    return render(
        request,
        "views/content/version.html",
        {
            "view": view,
            "row": row,
            "files": content_studio.files_of(session, row.id),
            "form": form,
            "errors": form.error_list(),
            "others": others,
            "retired_by": names.get(row.retired_by_id, "") if row.retired_by_id else "",
        },
    )


@router.get("/versions/{version_id}/files/{name:path}")
def version_file(
    request: Request,
    session: SessionDep,
    _: Trainer,
    version_id: uuid.UUID,
    name: str,
) -> Response:
    """One file of a version or draft, read only, with line numbers."""
    row = _row_or_404(session, version_id)
    file = content_studio.get_file(session, row.id, name)
    return render(
        request,
        "views/content/file.html",
        {"row": row, "file": file, "lines": file.text.split("\n")},
    )


@router.post("/versions/{version_id}/drafts")
def start_draft(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    actor: ActorDep,
    _: Trainer,
    version_id: uuid.UUID,
) -> Response:
    """Start a draft from any version or draft (optionally as a new framework)."""
    source = _row_or_404(session, version_id)
    form = FormState(values=dict(form_data))
    try:
        draft = content_studio.start_draft(
            session,
            actor=actor,
            source=source,
            title=str(form_data.get("title", "")),
            new_framework_id=str(form_data.get("new_framework_id", ""))
            if form_data.get("kind") == "new"
            else "",
            new_framework_title=str(form_data.get("new_framework_title", ""))
            if form_data.get("kind") == "new"
            else "",
        )
    except InvalidInput as problem:
        form.add(problem.errors)
        if source.status == ContentStatus.DRAFT.value:
            return _draft_response(request, session, registry, source, form)
        return _version_response(request, session, registry, source, form)
    return RedirectResponse(f"/content/drafts/{draft.id}?started=1", status_code=303)


def _version_number(form_data: dict[str, Any]) -> int:
    try:
        return int(str(form_data.get("version", "0")))
    except ValueError:
        return 0


@router.post("/versions/{version_id}/retire")
def retire_version(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    actor: ActorDep,
    _: Trainer,
    version_id: uuid.UUID,
) -> Response:
    """Retire a version: families on it carry on; no new family starts on it."""
    return _set_retired(form_data, request, session, registry, actor, version_id, retired=True)


@router.post("/versions/{version_id}/restore")
def restore_version(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    actor: ActorDep,
    _: Trainer,
    version_id: uuid.UUID,
) -> Response:
    """Bring a retired version back into use."""
    return _set_retired(form_data, request, session, registry, actor, version_id, retired=False)


def _set_retired(
    form_data: dict[str, Any],
    request: Request,
    session: Session,
    registry: ContentRegistry,
    actor: audit.Actor,
    version_id: uuid.UUID,
    *,
    retired: bool,
) -> Response:
    row = _row_or_404(session, version_id)
    try:
        content_studio.retire(
            session,
            actor=actor,
            registry=registry,
            row=row,
            expected_version=_version_number(form_data),
            retired=retired,
        )
    except (InvalidInput, Conflict) as problem:
        errors = problem.errors if isinstance(problem, InvalidInput) else {"version": str(problem)}
        session.refresh(row)
        return _version_response(request, session, registry, row, FormState(errors=errors))
    if retired:
        return RedirectResponse(f"/content?retired={row.id}", status_code=303)
    return RedirectResponse(f"/content/versions/{row.id}", status_code=303)


@router.get("/versions/{version_id}/export")
def export_version(
    session: SessionDep,
    actor: ActorDep,
    _: Trainer,
    version_id: uuid.UUID,
) -> Response:
    """The version as a zip of its YAML files, ready to unzip into framework_content/."""
    row = _row_or_404(session, version_id)
    filename, data = content_studio.export_version(session, row)
    audit.record(
        session,
        actor,
        AuditAction.EXPORT,
        entity_type="content_version",
        entity_id=row.id,
        details={"framework": row.framework_id, "version": row.number, "format": "zip"},
    )
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/import")
def import_page(request: Request, _: Trainer) -> Response:
    """The form to upload a version as a zip."""
    return render(request, "views/content/import.html", {"form": FormState(), "problems": []})


@router.post("/import")
async def import_version(
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    actor: ActorDep,
    _: Trainer,
) -> Response:
    """Publish the version in an uploaded zip; nothing changes if anything is wrong with it."""
    form = await request.form()
    upload = form.get("file")
    data = b""
    if upload is not None and not isinstance(upload, str):
        data = await upload.read(MAX_ZIP_BYTES + 1)
    state = FormState()
    problems: Sequence[ContentError] = ()
    if not data:
        state.add({"file": "Choose a zip file of a framework version to upload"})
    else:
        try:
            row = content_studio.import_zip(session, actor=actor, registry=registry, data=data)
        except content_studio.ContentRefused as refused:
            state.add(refused.errors)
            problems = refused.problems
        except InvalidInput as problem:
            state.add(problem.errors)
        else:
            return RedirectResponse(f"/content?imported={row.id}", status_code=303)
    return render(
        request,
        "views/content/import.html",
        {"form": state, "errors": state.error_list(), "problems": problems},
    )


# --- drafts -------------------------------------------------------------------------------------


def _draft_response(
    request: Request,
    session: Session,
    registry: ContentRegistry,
    draft: ContentVersion,
    form: FormState,
    *,
    banner: str = "",
) -> Response:
    files = content_studio.files_of(session, draft.id)
    check = content_studio.check_draft(session, draft)
    names = [file.name for file in files]
    source = session.get(ContentVersion, draft.based_on_id) if draft.based_on_id else None
    return render(
        request,
        "views/content/draft.html",
        {
            "draft": draft,
            "files": files,
            "check": check,
            "problems_by_file": {name: len(check.errors_for(name)) for name in names},
            "other_problems": check.other_errors(names),
            "source": source,
            "form": form,
            "errors": form.error_list(),
            "banner": banner,
            "can_preview": check.ok,
        },
    )


@router.get("/drafts/{draft_id}")
def draft_page(
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    _: Trainer,
    draft_id: uuid.UUID,
    started: str = "",
) -> Response:
    """A draft: its files and their problems, and what can be done next."""
    draft = content_studio.get_draft(session, draft_id)
    banner = (
        "The draft is ready. Change its files, then check, compare and publish it."
        if started
        else ""
    )
    return _draft_response(request, session, registry, draft, FormState(), banner=banner)


@router.post("/drafts/{draft_id}/files")
def add_file(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    actor: ActorDep,
    _: Trainer,
    draft_id: uuid.UUID,
) -> Response:
    """Add a stage, domain or scored tool file to a draft, from a short template."""
    draft = content_studio.get_draft(session, draft_id)
    name = str(form_data.get("name", ""))
    try:
        row = content_studio.add_file(session, actor=actor, draft=draft, name=name)
    except InvalidInput as problem:
        form = FormState(values=dict(form_data)).add(problem.errors)
        return _draft_response(request, session, registry, draft, form)
    return RedirectResponse(f"/content/drafts/{draft.id}/files/{row.name}", status_code=303)


@router.post("/drafts/{draft_id}/discard")
def discard_draft(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    actor: ActorDep,
    _: Trainer,
    draft_id: uuid.UUID,
) -> Response:
    """Delete a draft and its files."""
    draft = content_studio.get_draft(session, draft_id)
    try:
        content_studio.discard_draft(
            session, actor=actor, draft=draft, expected_version=_version_number(form_data)
        )
    except Conflict as problem:
        form = FormState(errors={"discard": str(problem)})
        return _draft_response(request, session, registry, draft, form)
    return RedirectResponse("/content?discarded=1", status_code=303)


# --- the file editor ----------------------------------------------------------------------------


@dataclass(frozen=True)
class AnnotatedLine:
    """A line of the file with the problems found on it."""

    number: int
    text: str
    problems: tuple[ContentError, ...]


def annotated(
    text: str, problems: Sequence[ContentError], context: int = 2
) -> list[list[AnnotatedLine]]:
    """The lines around each problem, in runs, each problem under its line."""
    lines = text.split("\n")
    by_line: dict[int, list[ContentError]] = {}
    for problem in problems:
        line = min(max(problem.line or 1, 1), max(len(lines), 1))
        by_line.setdefault(line, []).append(problem)
    shown = sorted(
        {
            number
            for line in by_line
            for number in range(max(1, line - context), min(len(lines), line + context) + 1)
        }
    )
    runs: list[list[AnnotatedLine]] = []
    for number in shown:
        item = AnnotatedLine(
            number,
            lines[number - 1] if number <= len(lines) else "",
            tuple(by_line.get(number, ())),
        )
        if runs and runs[-1][-1].number == number - 1:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def _editor_response(
    request: Request,
    session: Session,
    draft: ContentVersion,
    file: ContentFile,
    *,
    text: str,
    version: int,
    form: FormState,
    conflict: ContentFile | None = None,
    saved: bool = False,
    block: str | None = None,
) -> Response:
    texts = version_texts(session, draft.id)
    texts[file.name] = text
    check = content_studio.check_texts(texts, draft.framework_id)
    problems = check.errors_for(file.name)
    conflict_diff = None
    conflict_by = ""
    if conflict is not None:
        conflict_diff = diff_files({file.name: conflict.text}, {file.name: text})
        if conflict.updated_by_id:
            conflict_by = accounts.staff_names(session, {conflict.updated_by_id}).get(
                conflict.updated_by_id, ""
            )
    return render(
        request,
        "views/content/editor.html",
        {
            "draft": draft,
            "file": file,
            "text": text,
            "version": version,
            "form": form,
            "errors": form.error_list(),
            "problems": problems,
            "runs": annotated(text, problems),
            "elsewhere": len(check.result.errors) - len(problems),
            "valid": check.ok,
            "conflict": conflict,
            "conflict_diff": conflict_diff[0] if conflict_diff else None,
            "conflict_by": conflict_by,
            "saved": saved,
        },
        htmx_block=block,
    )


@router.get("/drafts/{draft_id}/files/{name:path}")
def edit_file(
    request: Request,
    session: SessionDep,
    _: Trainer,
    draft_id: uuid.UUID,
    name: str,
    saved: str = "",
) -> Response:
    """A draft's file in a text area, with its problems against their lines."""
    draft = content_studio.get_draft(session, draft_id)
    file = content_studio.get_file(session, draft.id, name)
    return _editor_response(
        request,
        session,
        draft,
        file,
        text=file.text,
        version=file.version,
        form=FormState(),
        saved=bool(saved),
    )


@router.post("/drafts/{draft_id}/files/{name:path}")
def save_file(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    _: Trainer,
    draft_id: uuid.UUID,
    name: str,
) -> Response:
    """Save a file (with htmx in place, or as a plain form), even if it has problems."""
    draft = content_studio.get_draft(session, draft_id)
    file = content_studio.get_file(session, draft.id, name)
    text = content_studio.normalise(str(form_data.get("text", "")))
    expected = _version_number(form_data)
    try:
        saved = content_studio.save_file(
            session, actor=actor, draft=draft, name=name, text=text, expected_version=expected
        )
    except InvalidInput as problem:
        form = FormState(values={"text": text}).add(problem.errors)
        response = _editor_response(
            request, session, draft, file, text=text, version=expected, form=form
        )
        return _retarget(request, response)
    except Conflict as problem:
        current = problem.current
        assert isinstance(current, ContentFile)
        response = _editor_response(
            request,
            session,
            draft,
            file,
            text=text,
            version=current.version,
            form=FormState(),
            conflict=current,
        )
        return _retarget(request, response)
    if is_htmx(request):
        return _editor_response(
            request,
            session,
            draft,
            saved,
            text=saved.text,
            version=saved.version,
            form=FormState(),
            saved=True,
            block="status",
        )
    return RedirectResponse(f"/content/drafts/{draft.id}/files/{name}?saved=1", status_code=303)


def _retarget(request: Request, response: Response) -> Response:
    """An htmx save that cannot go ahead redraws the whole page (the conflict, the errors)."""
    if is_htmx(request):
        response.headers["HX-Retarget"] = "body"
        response.headers["HX-Reswap"] = "outerHTML"
        response.headers["HX-Reselect"] = "body"
    return response


@router.post("/drafts/{draft_id}/delete-file/{name:path}")
def delete_file(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    actor: ActorDep,
    _: Trainer,
    draft_id: uuid.UUID,
    name: str,
) -> Response:
    """Remove a stage or domain file from a draft."""
    draft = content_studio.get_draft(session, draft_id)
    try:
        content_studio.delete_file(
            session,
            actor=actor,
            draft=draft,
            name=name,
            expected_version=_version_number(form_data),
        )
    except (InvalidInput, Conflict) as problem:
        errors = problem.errors if isinstance(problem, InvalidInput) else {"name": str(problem)}
        return _draft_response(request, session, registry, draft, FormState(errors=errors))
    return RedirectResponse(f"/content/drafts/{draft.id}", status_code=303)


# --- publishing ---------------------------------------------------------------------------------


def _publish_response(
    request: Request,
    session: Session,
    registry: ContentRegistry,
    draft: ContentVersion,
    form: FormState,
) -> Response:
    check = content_studio.check_draft(session, draft)
    plan = None
    existing = content_studio.numbers_of(session, draft.framework_id)
    if check.content is not None:
        plan = content_studio.plan_publish(session, registry, draft, check.content)
        form.values.setdefault("number", plan.suggested(existing))
    return render(
        request,
        "views/content/publish.html",
        {
            "draft": draft,
            "check": check,
            "plan": plan,
            "existing": existing,
            "form": form,
            "errors": form.error_list(),
        },
    )


@router.get("/drafts/{draft_id}/publish")
def publish_page(
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    _: Trainer,
    draft_id: uuid.UUID,
) -> Response:
    """What publishing would do, the number it needs, and the changelog to write."""
    draft = content_studio.get_draft(session, draft_id)
    return _publish_response(request, session, registry, draft, FormState())


@router.post("/drafts/{draft_id}/publish")
def publish(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    actor: ActorDep,
    _: Trainer,
    draft_id: uuid.UUID,
) -> Response:
    """Publish the draft, refused with the reason if it has problems or the number is wrong."""
    draft = content_studio.get_draft(session, draft_id)
    form = FormState(values=dict(form_data))
    try:
        row = content_studio.publish(
            session,
            actor=actor,
            registry=registry,
            draft=draft,
            number=str(form_data.get("number", "")),
            changes=str(form_data.get("changes", "")),
            expected_version=_version_number(form_data),
        )
    except InvalidInput as problem:
        form.add(problem.errors)
        return _publish_response(request, session, registry, draft, form)
    except Conflict as problem:
        form.add({"number": str(problem)})
        session.refresh(draft)
        return _publish_response(request, session, registry, draft, form)
    return RedirectResponse(f"/content?published={row.id}", status_code=303)


# --- comparing two versions ---------------------------------------------------------------------


def _loaded(
    session: Session, registry: ContentRegistry, row: ContentVersion
) -> FrameworkContent | None:
    if row.status == ContentStatus.DRAFT.value:
        return content_studio.check_draft(session, row).content
    if row.number in registry.versions(row.framework_id):
        return registry.get(row.framework_id, row.number or "")
    return None


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None


def describe(row: ContentVersion) -> str:
    if row.number:
        return f"{row.framework_id} version {row.number}"
    return f"the draft ‘{row.title}’"


@router.get("/compare")
def compare_page(
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    _: Trainer,
    from_: Annotated[str, Query(alias="from")] = "",
    to: str = "",
) -> Response:
    """What changed between any two versions or drafts: item by item, and line by line."""
    rows = content_studio.version_rows(session)
    by_id = {row.id: row for row in rows}
    old = by_id.get(_uuid(from_)) if _uuid(from_) else None  # type: ignore[arg-type]
    new = by_id.get(_uuid(to)) if _uuid(to) else None  # type: ignore[arg-type]
    context: dict[str, Any] = {
        "rows": rows,
        "old": old,
        "new": new,
        "selected": {"from": str(old.id) if old else "", "to": str(new.id) if new else ""},
        "describe": describe,
    }
    if old is not None and new is not None:
        old_content, new_content = _loaded(session, registry, old), _loaded(session, registry, new)
        context["changes"] = (
            compare(old_content, new_content) if old_content and new_content else None
        )
        context["needed"] = required_bump(context["changes"] or [])
        context["diffs"] = diff_files(
            version_texts(session, old.id), version_texts(session, new.id)
        )
    return render(request, "views/content/compare.html", context)


@router.get("/drafts/{draft_id}/impact")
def impact_page(
    request: Request,
    session: SessionDep,
    registry: ContentDep,
    actor: ActorDep,
    _: Trainer,
    draft_id: uuid.UUID,
) -> Response:
    """How many families on the framework would see a different suggested level or different
    cautions if they moved to the draft: counts only."""
    draft = content_studio.get_draft(session, draft_id)
    check = content_studio.check_draft(session, draft)
    result = None
    if check.content is not None:
        result = content_impact.impact(
            session, registry=registry, new=check.content, as_of=london_today()
        )
        audit.record(
            session,
            actor,
            AuditAction.VIEW,
            entity_type="content_impact",
            entity_id=draft.id,
            details={"families": result.families, "changed": result.changed},
        )
    return render(
        request, "views/content/impact.html", {"draft": draft, "check": check, "impact": result}
    )


# --- previewing a draft -------------------------------------------------------------------------


def _preview_content(
    session: Session, draft_id: uuid.UUID
) -> tuple[ContentVersion, FrameworkContent]:
    draft = content_studio.get_draft(session, draft_id)
    content = content_studio.check_draft(session, draft).content
    if content is None:
        raise NotFound("The draft has problems, so it cannot be previewed; fix them first.")
    return draft, content


async def _draw(request: Request, path: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Send a GET for `path` through the whole app, as a browser would, and collect the answer."""
    headers = [
        (name.encode("latin-1"), value.encode("latin-1"))
        for name, value in request.headers.items()
        if name.lower() in ("host", "hx-request", "hx-target", "hx-current-url", "accept")
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": request.url.scheme,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": request.url.query.encode(),
        "headers": headers,
        "client": request.scope.get("client"),
        "server": request.scope.get("server"),
    }
    status = 500
    response_headers: list[tuple[bytes, bytes]] = []
    body = bytearray()

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status, response_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            response_headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await request.app(scope, receive, send)
    return status, response_headers, bytes(body)


@router.api_route("/drafts/{draft_id}/preview{path:path}", methods=["GET", "POST"])
async def preview(
    request: Request,
    session: SessionDep,
    trainer: Trainer,
    draft_id: uuid.UUID,
    path: str,
) -> Response:
    """A family page (the overview, a stage's section, a domain, a classification, the summary)
    drawn under the draft for an invented family, as a practitioner would see it. Nothing in
    it is kept: it lives in a savepoint rolled back once the page is drawn."""
    if path and not path.startswith("/"):
        raise NotFound("There is no such page in the preview.")
    base = f"/content/drafts/{draft_id}/preview"
    if request.method == "POST":
        # Forms in a preview are shown, not saved: go back to the page.
        if is_htmx(request):
            return Response(status_code=204)
        return RedirectResponse(f"{base}{path}", status_code=303)
    draft, content = await run_in_threadpool(_preview_content, session, draft_id)
    connection = await run_in_threadpool(session.connection)
    savepoint = await run_in_threadpool(connection.begin_nested)
    sandbox = content_preview.open_sandbox(connection)
    try:
        built = await run_in_threadpool(content_preview.build, sandbox, content)
        token = PREVIEW.set(
            Preview(
                session=sandbox,
                user=built.user,
                registry=built.registry,
                draft_id=str(draft.id),
                draft_title=draft.title,
                session_id=getattr(request.state, "session_id", None),
            )
        )
        for record_id, alias in built.aliases.items():
            path = path.replace(f"/{alias}", f"/{record_id}")
        try:
            status, headers, body = await _draw(request, f"/families/{built.family.id}{path}")
        finally:
            PREVIEW.reset(token)
    finally:
        await run_in_threadpool(_discard, savepoint, sandbox)
    family_path = f"/families/{built.family.id}".encode()
    kept = {b"content-type", b"vary", b"location", b"content-disposition"}
    # The practitioner's list of families (in the navigation) is, in a preview, the one family.
    body = body.replace(family_path, base.encode()).replace(
        b'href="/families"', f'href="{base}"'.encode()
    )
    for record_id, alias in built.aliases.items():
        body = body.replace(record_id.encode(), alias.encode())
    response = Response(
        body,
        status_code=status,
        headers={
            name.decode("latin-1"): value.replace(family_path, base.encode()).decode("latin-1")
            for name, value in headers
            if name.lower() in kept
        },
    )
    return response


def _discard(savepoint: Any, sandbox: Session) -> None:
    sandbox.close()
    savepoint.rollback()
