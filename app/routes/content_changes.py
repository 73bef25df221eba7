"""Forms for the common changes to a draft, beside the file editor: a factor's wording, a
question's wording, hint and options, guidance, a new factor, a new question."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlmodel import Session

from app.content.model import FrameworkContent
from app.deps import ActorDep, FormValues, SessionDep, requires
from app.forms import FormState
from app.models.accounts import User
from app.models.content import ContentFile, ContentVersion
from app.security.permissions import Permission
from app.services import audit, content_forms, content_studio
from app.services.errors import Conflict, InvalidInput, NotFound
from app.templating import render

router = APIRouter(prefix="/content/drafts/{draft_id}/changes", include_in_schema=False)
Trainer = Annotated[User, requires(Permission.CONTENT_MANAGE)]
TITLES = {
    "factor": "Change a factor's wording or guidance",
    "question": "Change a question's wording, hint or options",
    "guidance": "Change the guidance of a stage, section or domain",
    "new-factor": "Add a factor",
    "new-question": "Add a question",
}


BROKEN_DRAFT = (
    "The forms for common changes open once the draft has no problems; fix them in the "
    "draft's files first."
)


def _draft(session: Session, draft_id: uuid.UUID) -> tuple[ContentVersion, FrameworkContent]:
    draft = content_studio.get_draft(session, draft_id)
    content = content_studio.check_draft(session, draft).content
    if content is None:
        raise NotFound(BROKEN_DRAFT)
    return draft, content


def _not_saved(
    request: Request, session: Session, draft_id: uuid.UUID, form_data: dict[str, Any]
) -> Response | None:
    """A change sent while the draft has problems (someone saved a file with a mistake after
    the form was opened) is not saved, and what the trainer typed is shown to copy."""
    draft = content_studio.get_draft(session, draft_id)
    if content_studio.check_draft(session, draft).ok:
        return None
    typed = [
        (_field_label(key), value)
        for key, value in _strings(form_data).items()
        if key not in ("csrf_token", "file_version") and value.strip()
    ]
    return render(
        request,
        "views/content/change-not-saved.html",
        {"draft": draft, "typed": typed},
        status_code=409,
    )


def _strings(form_data: dict[str, Any]) -> dict[str, str]:
    return {key: value for key, value in form_data.items() if isinstance(value, str)}


def _file_version(form_data: dict[str, Any]) -> int:
    try:
        return int(str(form_data.get("file_version", "0")))
    except ValueError:
        return 0


# --- choosing what to change --------------------------------------------------------------------


@router.get("/{change}")
def choose(
    request: Request, session: SessionDep, _: Trainer, draft_id: uuid.UUID, change: str
) -> Response:
    """What can be changed (factors, questions, guidance), or the form for a new item."""
    kind = change
    if kind not in TITLES:
        raise NotFound("There is no such change.")
    draft, content = _draft(session, draft_id)
    if kind in ("new-factor", "new-question"):
        values = {"kind": "risk"} if kind == "new-factor" else {"type": "short_text"}
        return _form(request, session, draft, content, kind, "", FormState(values=values))
    return render(
        request,
        "views/content/change-list.html",
        {"draft": draft, "kind": kind, "title": TITLES[kind], "groups": _groups(content, kind)},
    )


def _groups(content: FrameworkContent, kind: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Headings with (link path, text) items for the choice list."""
    if kind == "factor":
        return [
            (
                domain.title,
                [(f"factor/{f.id}", f"{f.text} (risk)") for f in domain.risk_factors]
                + [(f"factor/{f.id}", f"{f.text} (protective)") for f in domain.protective_factors],
            )
            for domain in content.domains
        ]
    if kind == "question":
        groups: dict[str, list[tuple[str, str]]] = {}
        for question_id, info in content.questions.items():
            if info.question.type in ("per_parent", "per_child", "repeating", "per_item"):
                continue
            title = content.sections[info.section_id].section.title
            groups.setdefault(title, []).append((f"question/{question_id}", info.question.label))
        return list(groups.items())
    return [
        ("Stages", [(f"guidance/stage/{stage.id}", stage.title) for stage in content.stages]),
        (
            "Sections",
            [
                (f"guidance/section/{section.id}", f"{stage.title}: {section.title}")
                for stage in content.stages
                for section in stage.sections
            ],
        ),
        ("Domains", [(f"guidance/domain/{domain.id}", domain.title) for domain in content.domains]),
    ]


# --- the forms ----------------------------------------------------------------------------------


def _values(content: FrameworkContent, kind: str, item: str) -> dict[str, Any]:
    """The current wording of the item, to fill the form."""
    if kind == "factor":
        factor = content.factors[item].factor
        return {
            "text": factor.text,
            "guidance": factor.guidance,
            "not_read_because": factor.not_read_because or "",
        }
    if kind == "question":
        question = content.questions[item].question
        values: dict[str, Any] = {
            "label": question.label,
            "hint": question.hint or "",
            "guidance": question.guidance or "",
        }
        for option in getattr(question, "options", None) or ():
            values[f"option-{option.id}"] = option.label
        return values
    owner = _guidance_owner(content, item)
    return {"summary": owner.summary or "", "guidance": owner.guidance or ""}


def _guidance_owner(content: FrameworkContent, item: str) -> Any:
    kind, _, item_id = item.partition("/")
    if kind == "stage":
        return content.stage(item_id)
    if kind == "domain":
        return content.domain(item_id)
    return content.sections[item_id].section


def _target(content: FrameworkContent, kind: str, item: str) -> content_forms.Target:
    if kind == "factor":
        return content_forms.factor_target(content, item)
    if kind == "question":
        return content_forms.question_target(content, item)
    if kind == "guidance":
        owner_kind, _, item_id = item.partition("/")
        return content_forms.guidance_target(content, owner_kind, item_id)
    return content_forms.Target("", ())


def _form(
    request: Request,
    session: Session,
    draft: ContentVersion,
    content: FrameworkContent,
    kind: str,
    item: str,
    form: FormState,
    *,
    file: ContentFile | None = None,
    conflict: bool = False,
    saved_now: list[tuple[str, str]] | None = None,
) -> Response:
    target = _target(content, kind, item)
    if file is None and target.file:
        file = content_studio.get_file(session, draft.id, target.file)
    question = content.questions[item].question if kind == "question" else None
    return render(
        request,
        "views/content/change-form.html",
        {
            "draft": draft,
            "content": content,
            "kind": kind,
            "item": item,
            "title": TITLES[kind],
            "form": form,
            "errors": form.error_list(),
            "file": file,
            "file_version": form.values.get("file_version") or (file.version if file else ""),
            "question": question,
            "options": getattr(question, "options", None) or (),
            "owner": _guidance_owner(content, item) if kind == "guidance" else None,
            "factor": content.factors[item] if kind == "factor" else None,
            "question_types": list(content_forms.QUESTION_TYPES.items()),
            "domain_options": [(domain.id, domain.title) for domain in content.domains],
            "conflict": conflict,
            "saved_now": saved_now or [],
        },
    )


FIELD_LABELS = {
    "text": "Wording",
    "label": "The question",
    "hint": "Hint",
    "summary": "Summary",
    "guidance": "Guidance",
    "not_read_because": "Why no rule reads it",
    "domain": "Domain",
    "kind": "Kind of factor",
    "factor_id": "Id",
    "question_id": "Id",
    "section": "Section",
    "type": "Kind of answer",
    "new_options": "New options",
    "required": "An answer is required",
}


def _field_label(key: str) -> str:
    return FIELD_LABELS.get(key) or f"Option ({key.removeprefix('option-')})"


def _saved_now(
    session: Session, draft: ContentVersion, kind: str, item: str
) -> list[tuple[str, str]]:
    """The item as saved now (after someone else's save), beside the trainer's own change."""
    content = content_studio.check_draft(session, draft).content
    if content is None or kind.startswith("new-"):
        return []
    try:
        _item(content, kind, item)
    except NotFound:
        return [("The item", "No longer in the draft")]
    return [
        (_field_label(key), str(value or "")) for key, value in _values(content, kind, item).items()
    ]


def _item(content: FrameworkContent, kind: str, item: str) -> None:
    known = {
        "factor": item in content.factors,
        "question": item in content.questions,
        "guidance": _known_owner(content, item),
    }
    if not known.get(kind, False):
        raise NotFound("The draft has no such item.")


def _known_owner(content: FrameworkContent, item: str) -> bool:
    kind, _, item_id = item.partition("/")
    return (
        (kind == "stage" and any(stage.id == item_id for stage in content.stages))
        or (kind == "domain" and any(domain.id == item_id for domain in content.domains))
        or (kind == "section" and item_id in content.sections)
    )


@router.get("/{change}/{item:path}")
def change_form(
    request: Request,
    session: SessionDep,
    _: Trainer,
    draft_id: uuid.UUID,
    change: str,
    item: str,
) -> Response:
    """The form for one factor, question, or owner of guidance, filled with its wording."""
    kind = change
    draft, content = _draft(session, draft_id)
    _item(content, kind, item)
    return _form(
        request, session, draft, content, kind, item, FormState(values=_values(content, kind, item))
    )


def _save(
    request: Request,
    session: Session,
    draft: ContentVersion,
    content: FrameworkContent,
    kind: str,
    item: str,
    form_data: dict[str, Any],
    apply: Callable[[int], ContentFile],
) -> Response:
    form = FormState(values=dict(form_data))
    try:
        saved = apply(_file_version(form_data))
    except InvalidInput as problem:
        form.add(problem.errors)
        return _form(request, session, draft, content, kind, item, form)
    except Conflict as problem:
        current = problem.current if isinstance(problem.current, ContentFile) else None
        form.values["file_version"] = current.version if current else ""
        return _form(
            request,
            session,
            draft,
            content,
            kind,
            item,
            form,
            file=current,
            conflict=True,
            saved_now=_saved_now(session, draft, kind, item),
        )
    return RedirectResponse(
        f"/content/drafts/{draft.id}/files/{saved.name}?saved=1", status_code=303
    )


@router.post("/{change}/{item:path}")
def save_change(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    _: Trainer,
    draft_id: uuid.UUID,
    change: str,
    item: str,
) -> Response:
    """Apply the change to the draft's file (kept if the draft then has other problems)."""
    kind = change
    refused = _not_saved(request, session, draft_id, form_data)
    if refused is not None:
        return refused
    draft, content = _draft(session, draft_id)
    _item(content, kind, item)
    values = _strings(form_data)

    def apply(expected: int) -> ContentFile:
        if kind == "factor":
            return content_forms.change_factor(
                session,
                actor=actor,
                draft=draft,
                content=content,
                factor_id=item,
                values=values,
                expected_version=expected,
            )
        if kind == "question":
            return content_forms.change_question(
                session,
                actor=actor,
                draft=draft,
                content=content,
                question_id=item,
                values=values,
                expected_version=expected,
            )
        owner_kind, _, item_id = item.partition("/")
        return content_forms.change_guidance(
            session,
            actor=actor,
            draft=draft,
            content=content,
            kind=owner_kind,
            item_id=item_id,
            values=values,
            expected_version=expected,
        )

    return _save(request, session, draft, content, kind, item, form_data, apply)


@router.post("/new-factor")
def save_new_factor(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    _: Trainer,
    draft_id: uuid.UUID,
) -> Response:
    """Add the new factor to the draft."""
    return _save_new(form_data, request, session, actor, draft_id, "new-factor")


@router.post("/new-question")
def save_new_question(
    form_data: FormValues,
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    _: Trainer,
    draft_id: uuid.UUID,
) -> Response:
    """Add the new question to the draft."""
    return _save_new(form_data, request, session, actor, draft_id, "new-question")


def _save_new(
    form_data: dict[str, Any],
    request: Request,
    session: Session,
    actor: audit.Actor,
    draft_id: uuid.UUID,
    kind: str,
) -> Response:
    refused = _not_saved(request, session, draft_id, form_data)
    if refused is not None:
        return refused
    draft, content = _draft(session, draft_id)
    values = _strings(form_data)
    add = content_forms.add_factor if kind == "new-factor" else content_forms.add_question

    def apply(_: int) -> ContentFile:
        # The new item goes into a file chosen on the form, as that file is now: adding never
        # overwrites anything, so there is no older version of it to check against.
        target = _new_target(content, kind, values)
        expected = content_studio.get_file(session, draft.id, target).version if target else 0
        return add(
            session,
            actor=actor,
            draft=draft,
            content=content,
            values=values,
            expected_version=expected,
        )

    return _save(request, session, draft, content, kind, "", form_data, apply)


def _new_target(content: FrameworkContent, kind: str, values: dict[str, str]) -> str | None:
    if kind == "new-factor":
        domain = values.get("domain", "")
        return f"domains/{domain}.yaml" if any(d.id == domain for d in content.domains) else None
    section = content.sections.get(values.get("section", ""))
    return f"stages/{section.stage_id}.yaml" if section else None
