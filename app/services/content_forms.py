"""Forms for the common changes to a draft: a factor's wording, a question's wording, hint and
options, guidance, a new factor, a new question. Each edits the YAML file in place (keeping the
trainer's comments and layout elsewhere) and saves it like the file editor does, so the audit
trail and the conflict check are the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import LiteralScalarString
from sqlmodel import Session

from app.content.markdown import markdown_problem
from app.content.model import FrameworkContent
from app.content.schema import ID_PATTERN, MAX_ID_LENGTH, MAX_LABEL_LENGTH, MAX_MARKDOWN_LENGTH
from app.models.content import ContentFile, ContentVersion
from app.security.input import CONTROL_CHARACTERS
from app.services import audit
from app.services.content_studio import (
    YamlEditError,
    edit_yaml,
    get_file,
    normalise,
    save_file,
)
from app.services.errors import InvalidInput, NotFound

QUESTION_TYPES = {
    "short_text": "Short text (one line)",
    "long_text": "Long text (paragraphs)",
    "yes_no": "Yes or no",
    "single_choice": "One option from a list",
    "multiple_choice": "Any options from a list",
    "date": "A date",
    "number": "A number",
}
CHOICE_TYPES = ("single_choice", "multiple_choice")
MAX_OPTIONS = 30


@dataclass(frozen=True)
class Target:
    """Where an item lives: its file, and the path to it in the file's data."""

    file: str
    path: tuple[str | int, ...]


# --- finding items in the files -----------------------------------------------------------------


def factor_target(content: FrameworkContent, factor_id: str) -> Target:
    info = content.factors.get(factor_id)
    if info is None:
        raise NotFound("The draft has no such factor.")
    key = f"{info.kind}_factors"
    factors = info.domain.risk_factors if info.kind == "risk" else info.domain.protective_factors
    index = next(i for i, factor in enumerate(factors) if factor.id == factor_id)
    return Target(f"domains/{info.domain.id}.yaml", (key, index))


def question_target(content: FrameworkContent, question_id: str) -> Target:
    info = content.questions.get(question_id)
    if info is None:
        raise NotFound("The draft has no such question.")
    stage = content.stage(info.stage_id)
    for index, section in enumerate(stage.sections):
        if section.id == info.section_id:
            path = _find_question(getattr(section, "questions", ()), question_id)
            assert path is not None
            return Target(f"stages/{stage.id}.yaml", ("sections", index, *path))
    raise NotFound("The draft has no such question.")


def _find_question(questions: Sequence[Any], question_id: str) -> tuple[str | int, ...] | None:
    for index, question in enumerate(questions):
        if question.id == question_id:
            return ("questions", index)
        inner = getattr(question, "questions", None)
        if inner:
            found = _find_question(inner, question_id)
            if found is not None:
                return ("questions", index, *found)
    return None


def guidance_target(content: FrameworkContent, kind: str, item_id: str) -> Target:
    """A stage, a section of a stage, or a domain: the owners of guidance and a summary."""
    if kind == "stage" and any(stage.id == item_id for stage in content.stages):
        return Target(f"stages/{item_id}.yaml", ())
    if kind == "domain" and any(domain.id == item_id for domain in content.domains):
        return Target(f"domains/{item_id}.yaml", ())
    if kind == "section" and item_id in content.sections:
        info = content.sections[item_id]
        stage = content.stage(info.stage_id)
        index = next(i for i, section in enumerate(stage.sections) if section.id == item_id)
        return Target(f"stages/{stage.id}.yaml", ("sections", index))
    raise NotFound("The draft has no such stage, section or domain.")


def _node(data: Any, path: Sequence[str | int]) -> Any:
    for part in path:
        data = data[part]
    return data


# --- checking what was typed --------------------------------------------------------------------


class _Checks:
    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def label(self, field: str, value: str, what: str, *, required: bool = True) -> str | None:
        text = " ".join(normalise(value).split())
        if not text:
            if required:
                self.errors[field] = f"Enter {what}"
            return None
        if CONTROL_CHARACTERS.search(text):
            self.errors[field] = f"Remove the hidden control characters from {what}"
        elif len(text) > MAX_LABEL_LENGTH:
            self.errors[field] = (
                f"{what[:1].upper()}{what[1:]} must be {MAX_LABEL_LENGTH} characters or fewer"
            )
        return text

    def markdown(self, field: str, value: str, what: str, *, required: bool = False) -> str | None:
        text = normalise(value).strip()
        if not text:
            if required:
                self.errors[field] = f"Enter {what}"
            return None
        problem = markdown_problem(text)
        if CONTROL_CHARACTERS.search(text):
            self.errors[field] = f"Remove the hidden control characters from {what}"
        elif len(text) > MAX_MARKDOWN_LENGTH:
            self.errors[field] = f"{what[:1].upper()}{what[1:]} is too long; shorten it"
        elif problem:
            self.errors[field] = f"{problem[:1].upper()}{problem[1:]}"
        return text

    def new_id(self, field: str, value: str, taken: Mapping[str, Any], what: str) -> str:
        item_id = value.strip()
        if not item_id or len(item_id) > MAX_ID_LENGTH or not ID_PATTERN.fullmatch(item_id):
            self.errors[field] = (
                f"Enter an id for the {what} in lower-case letters, digits and single hyphens, "
                "starting with a letter"
            )
        elif item_id in taken:
            self.errors[field] = f"The draft already has a {what} with this id; choose another"
        return item_id

    def raise_if_any(self) -> None:
        if self.errors:
            raise InvalidInput(self.errors)


def _block(text: str) -> str | LiteralScalarString:
    """Multi-line text as a YAML block (`|`), one line as a plain value."""
    return LiteralScalarString(text + "\n") if "\n" in text else text


def _set(node: CommentedMap, key: str, value: Any, *, after: str | None = None) -> None:
    if value is None:
        node.pop(key, None)
    elif key in node or after is None or after not in node:
        node[key] = value
    else:
        node.insert(list(node).index(after) + 1, key, value)


def slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    item = "-".join(words)[:40].strip("-")
    return item if item and item[0].isalpha() else f"option-{item}".strip("-")


# --- applying a change --------------------------------------------------------------------------


def _apply(
    session: Session,
    *,
    actor: audit.Actor,
    draft: ContentVersion,
    target: Target,
    change: Callable[[Any], None],
    expected_version: int,
) -> ContentFile:
    row = get_file(session, draft.id, target.file)
    try:
        text = edit_yaml(row.text, lambda data: change(_node(data, target.path)))
    except YamlEditError as problem:
        raise InvalidInput({"form": f"{problem} Fix the file first."}) from None
    return save_file(
        session,
        actor=actor,
        draft=draft,
        name=target.file,
        text=text,
        expected_version=expected_version,
    )


def change_factor(
    session: Session,
    *,
    actor: audit.Actor,
    draft: ContentVersion,
    content: FrameworkContent,
    factor_id: str,
    values: Mapping[str, str],
    expected_version: int,
) -> ContentFile:
    """A factor's wording, guidance, and why no rule reads it (empty removes the reason)."""
    checks = _Checks()
    text = checks.label("text", values.get("text", ""), "the factor's wording")
    guidance = checks.markdown(
        "guidance", values.get("guidance", ""), "the guidance", required=True
    )
    unread = _unread_reason(checks, values)
    checks.raise_if_any()

    def change(node: CommentedMap) -> None:
        node["text"] = text
        node["guidance"] = _block(guidance or "")
        if unread:
            node["not_read_because"] = unread
        else:
            node.pop("not_read_because", None)

    return _apply(
        session,
        actor=actor,
        draft=draft,
        target=factor_target(content, factor_id),
        change=change,
        expected_version=expected_version,
    )


def add_factor(
    session: Session,
    *,
    actor: audit.Actor,
    draft: ContentVersion,
    content: FrameworkContent,
    values: Mapping[str, str],
    expected_version: int,
) -> ContentFile:
    """A new risk or protective factor at the end of its domain's list."""
    checks = _Checks()
    domain_id = values.get("domain", "")
    kind = values.get("kind", "")
    if not any(domain.id == domain_id for domain in content.domains):
        checks.errors["domain"] = "Choose the domain the factor belongs to"
    if kind not in ("risk", "protective"):
        checks.errors["kind"] = "Choose whether it is a risk or a protective factor"
    factor_id = checks.new_id("factor_id", values.get("factor_id", ""), content.factors, "factor")
    text = checks.label("text", values.get("text", ""), "the factor's wording")
    guidance = checks.markdown(
        "guidance", values.get("guidance", ""), "the guidance", required=True
    )
    unread = _unread_reason(checks, values)
    checks.raise_if_any()

    def change(node: CommentedMap) -> None:
        factor = CommentedMap()
        factor["id"] = factor_id
        factor["text"] = text
        factor["guidance"] = _block(guidance or "")
        if unread:
            factor["not_read_because"] = unread
        node.setdefault(f"{kind}_factors", CommentedSeq()).append(factor)

    return _apply(
        session,
        actor=actor,
        draft=draft,
        target=Target(f"domains/{domain_id}.yaml", ()),
        change=change,
        expected_version=expected_version,
    )


def _unread_reason(checks: _Checks, values: Mapping[str, str]) -> str | None:
    """Why no rule reads the factor (optional; a version with factor_coverage asks for it on
    every factor its rules do not name)."""
    return checks.label(
        "not_read_because",
        values.get("not_read_because", ""),
        "why no rule reads this factor",
        required=False,
    )


def _options(checks: _Checks, values: Mapping[str, str], existing: Sequence[Any]) -> list[Any]:
    """Options from the form: the existing ones by id (re-worded or removed), then new lines."""
    options: list[Any] = []
    for option in existing:
        label = checks.label(
            f"option-{option.id}",
            values.get(f"option-{option.id}", ""),
            "the option",
            required=False,
        )
        if label:
            options.append((option.id, label))
    used = {option_id for option_id, _ in options} | {option.id for option in existing}
    for line in normalise(values.get("new_options", "")).split("\n"):
        label = checks.label("new_options", line, "each new option", required=False)
        if not label:
            continue
        option_id = slug(label)
        while option_id in used:
            option_id = f"{option_id}-{len(used)}"
        used.add(option_id)
        options.append((option_id, label))
    if len(options) < 2:
        checks.errors.setdefault("new_options", "A choice question needs at least two options")
    if len(options) > MAX_OPTIONS:
        checks.errors.setdefault(
            "new_options", f"A question can have at most {MAX_OPTIONS} options"
        )
    return options


def _option_seq(options: Sequence[tuple[str, str]], node: Any) -> CommentedSeq:
    """The options as YAML, keeping any hint an existing option had."""
    hints = {
        str(item.get("id")): item.get("hint")
        for item in (node or [])
        if isinstance(item, dict) and item.get("hint")
    }
    seq = CommentedSeq()
    for option_id, label in options:
        item = CommentedMap()
        item["id"] = option_id
        item["label"] = label
        if hints.get(option_id):
            item["hint"] = hints[option_id]
        seq.append(item)
    return seq


def change_question(
    session: Session,
    *,
    actor: audit.Actor,
    draft: ContentVersion,
    content: FrameworkContent,
    question_id: str,
    values: Mapping[str, str],
    expected_version: int,
) -> ContentFile:
    """A question's wording, hint, guidance and (for a choice listed in the question) options."""
    question = content.questions[question_id].question if question_id in content.questions else None
    if question is None:
        raise NotFound("The draft has no such question.")
    checks = _Checks()
    label = checks.label("label", values.get("label", ""), "the question")
    hint = checks.label("hint", values.get("hint", ""), "the hint", required=False)
    guidance = checks.markdown("guidance", values.get("guidance", ""), "the guidance")
    listed: Sequence[Any] = getattr(question, "options", None) or ()
    options = _options(checks, values, listed) if listed else None
    checks.raise_if_any()

    def change(node: CommentedMap) -> None:
        node["label"] = label
        _set(node, "hint", hint, after="label")
        _set(
            node,
            "guidance",
            _block(guidance) if guidance else None,
            after="hint" if hint else "label",
        )
        if options is not None:
            node["options"] = _option_seq(options, node.get("options"))

    return _apply(
        session,
        actor=actor,
        draft=draft,
        target=question_target(content, question_id),
        change=change,
        expected_version=expected_version,
    )


def add_question(
    session: Session,
    *,
    actor: audit.Actor,
    draft: ContentVersion,
    content: FrameworkContent,
    values: Mapping[str, str],
    expected_version: int,
) -> ContentFile:
    """A new question at the end of a section (of kind questions or factors)."""
    checks = _Checks()
    section_id = values.get("section", "")
    info = content.sections.get(section_id)
    if info is None or info.section.kind not in ("questions", "factors"):
        checks.errors["section"] = "Choose the section the question goes in"
    question_type = values.get("type", "")
    if question_type not in QUESTION_TYPES:
        checks.errors["type"] = "Choose the kind of answer the question takes"
    question_id = checks.new_id(
        "question_id", values.get("question_id", ""), content.questions, "question"
    )
    label = checks.label("label", values.get("label", ""), "the question")
    hint = checks.label("hint", values.get("hint", ""), "the hint", required=False)
    required = values.get("required") == "yes"
    options = _options(checks, values, ()) if question_type in CHOICE_TYPES else None
    checks.raise_if_any()
    assert info is not None

    def change(node: CommentedMap) -> None:
        question = CommentedMap()
        question["id"] = question_id
        question["type"] = question_type
        question["label"] = label
        if hint:
            question["hint"] = hint
        if required:
            question["required"] = True
        if options is not None:
            question["options"] = _option_seq(options, None)
        node.setdefault("questions", CommentedSeq()).append(question)

    return _apply(
        session,
        actor=actor,
        draft=draft,
        target=guidance_target(content, "section", section_id),
        change=change,
        expected_version=expected_version,
    )


def change_guidance(
    session: Session,
    *,
    actor: audit.Actor,
    draft: ContentVersion,
    content: FrameworkContent,
    kind: str,
    item_id: str,
    values: Mapping[str, str],
    expected_version: int,
) -> ContentFile:
    """The summary and guidance of a stage, a section or a domain."""
    target = guidance_target(content, kind, item_id)
    checks = _Checks()
    required_summary = kind in ("stage", "domain")
    if kind == "section":
        summary = checks.label("summary", values.get("summary", ""), "the summary", required=False)
        summary_value: Any = summary
    else:
        summary = checks.markdown(
            "summary", values.get("summary", ""), "the summary", required=required_summary
        )
        summary_value = _block(summary) if summary else None
    guidance = checks.markdown(
        "guidance", values.get("guidance", ""), "the guidance", required=kind == "domain"
    )
    checks.raise_if_any()

    def change(node: CommentedMap) -> None:
        _set(node, "summary", summary_value, after="title")
        _set(
            node,
            "guidance",
            _block(guidance) if guidance else None,
            after="summary" if summary_value else "title",
        )

    return _apply(
        session,
        actor=actor,
        draft=draft,
        target=target,
        change=change,
        expected_version=expected_version,
    )
