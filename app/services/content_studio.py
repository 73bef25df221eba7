"""Trainers' work on framework content: drafts and their files, checking, publishing with a
version number that fits the change, retiring, and the audit of all of it.

A draft is a copy of any version's files that only trainers see. It may hold invalid YAML or
schema errors (they are shown against their line) but can only be published once it loads
cleanly and its number is free and fits what changed (see app.content.compare). Publishing
freezes the files and records the hash; every app instance then serves the version.
Services flush; the request commits.
"""

from __future__ import annotations

import difflib
import io
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from app.content.compare import Bump, Change, compare, required_bump
from app.content.errors import ContentError
from app.content.loader import MAX_FILE_BYTES, MAX_FILES, LoadResult, is_semver, load_version
from app.content.model import FrameworkContent
from app.content.registry import ContentRegistry, UnknownContentError, semver_key
from app.content.schema import ID_PATTERN, SINGLE_FILES
from app.content.yamlsafe import YamlProblem, read_yaml
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.models.content import (
    ContentFile,
    ContentOrigin,
    ContentStatus,
    ContentVersion,
)
from app.security.input import CONTROL_CHARACTERS
from app.services import audit, locking
from app.services.content_store import add_files, changed, publish_loaded, version_texts
from app.services.content_zip import ZipProblem, export_zip, read_zip
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.records import Problems
from app.timeutil import london_today

DRAFT_ORIGIN = "draft"
TITLE_MAX = 200
CHANGE_MAX = 400
MAX_CHANGES = 30
AUDITED_DIFF_CHARS = 4000
_NEW_FILE = re.compile(r"(stages|domains|tools)/([a-z][a-z0-9]*(?:-[a-z0-9]+)*)\.yaml")
FILE_CONFLICT = (
    "Someone else saved this file after you opened it. Your text has not been saved: it is "
    "below, beside the text saved now. Copy your changes into the saved text, then save again."
)
NUMBER_FORMAT = "Enter the version number as three whole numbers with dots, for example 1.1.0"
DRAFT_CONFLICT = (
    "Someone else changed this draft after you opened it, so nothing was changed. Check the "
    "draft as it is now, then try again."
)


# --- reading ----------------------------------------------------------------------------------


def version_rows(session: Session) -> Sequence[ContentVersion]:
    """Every version and draft, by framework, published ones in order of publication."""
    return session.exec(
        select(ContentVersion).order_by(
            col(ContentVersion.framework_id),
            col(ContentVersion.published_at).is_(None),
            col(ContentVersion.published_at),
            col(ContentVersion.created_at),
        )
    ).all()


def get_version(session: Session, version_id: uuid.UUID) -> ContentVersion:
    row = session.get(ContentVersion, version_id)
    if row is None:
        raise NotFound("There is no such framework version or draft.")
    return row


def get_draft(session: Session, draft_id: uuid.UUID) -> ContentVersion:
    row = get_version(session, draft_id)
    if row.status != ContentStatus.DRAFT.value:
        raise NotFound(
            "This draft has been published or discarded; published versions never change."
        )
    return row


def files_of(session: Session, version_id: uuid.UUID) -> Sequence[ContentFile]:
    """A version's files, the single files first in the guide's order, then stages, domains."""
    rows = session.exec(
        select(ContentFile).where(col(ContentFile.content_version_id) == version_id)
    ).all()
    order = {name: index for index, name in enumerate(SINGLE_FILES)}
    return sorted(rows, key=lambda row: (order.get(row.name, len(order)), row.name))


def get_file(session: Session, version_id: uuid.UUID, name: str) -> ContentFile:
    row = session.exec(
        select(ContentFile).where(
            col(ContentFile.content_version_id) == version_id, col(ContentFile.name) == name
        )
    ).first()
    if row is None:
        raise NotFound("This version has no such file.")
    return row


@dataclass(frozen=True)
class DraftCheck:
    """A draft loaded as the app would load it: its content, or its errors by file."""

    result: LoadResult

    @property
    def ok(self) -> bool:
        return self.result.ok

    @property
    def content(self) -> FrameworkContent | None:
        return self.result.content

    def errors_for(self, name: str) -> list[ContentError]:
        return [error for error in self.result.errors if file_name(error) == name]

    def other_errors(self, names: Sequence[str]) -> list[ContentError]:
        return [error for error in self.result.errors if file_name(error) not in names]


def file_name(error: ContentError) -> str:
    """The file an error of a draft is about, as the draft names it (or "" for the draft)."""
    return error.file.removeprefix(DRAFT_ORIGIN).removeprefix("/")


def check_texts(texts: Mapping[str, str], framework_id: str) -> DraftCheck:
    return DraftCheck(load_version(texts, origin=DRAFT_ORIGIN, framework_id=framework_id))


def check_draft(session: Session, draft: ContentVersion) -> DraftCheck:
    """Load a draft's files exactly as a published version would be loaded."""
    return check_texts(version_texts(session, draft.id), draft.framework_id)


def base_content(
    session: Session, registry: ContentRegistry, draft: ContentVersion
) -> FrameworkContent | None:
    """The published version a draft was started from, when it is of the same framework."""
    if draft.based_on_id is None:
        return None
    base = session.get(ContentVersion, draft.based_on_id)
    if base is None or base.number is None or base.framework_id != draft.framework_id:
        return None
    try:
        return registry.get(base.framework_id, base.number)
    except UnknownContentError:
        return None


# --- drafts -----------------------------------------------------------------------------------


def _title(problems: Problems, title: str) -> str | None:
    return problems.text(
        "title",
        title,
        label="what the draft is for",
        max_length=TITLE_MAX,
        missing="Enter what the draft is for, for example ‘Reword the substance misuse factors’",
    )


def start_draft(
    session: Session,
    *,
    actor: audit.Actor,
    source: ContentVersion,
    title: str,
    new_framework_id: str = "",
    new_framework_title: str = "",
) -> ContentVersion:
    """A draft copying every file of `source`; with a new id and title, the first draft of a
    new framework (a council's own)."""
    problems = Problems()
    cleaned = _title(problems, title)
    framework_id = source.framework_id
    framework_title = ""
    if new_framework_id or new_framework_title:
        framework_id = new_framework_id.strip()
        if not ID_PATTERN.fullmatch(framework_id) or len(framework_id) > 64:
            problems.add(
                "new_framework_id",
                "Enter a short name for the framework in lower-case letters, digits and hyphens, "
                "for example ‘short-break-return’",
            )
        elif session.exec(
            select(ContentVersion.id).where(col(ContentVersion.framework_id) == framework_id)
        ).first():
            problems.add("new_framework_id", "A framework with this short name already exists")
        framework_title = (
            problems.text(
                "new_framework_title",
                new_framework_title,
                label="the framework's title",
                max_length=200,
            )
            or ""
        )
    problems.raise_if_any()
    texts = version_texts(session, source.id)
    if framework_title:
        texts["framework.yaml"] = edit_yaml(
            texts["framework.yaml"], lambda data: _rename(data, framework_id, framework_title)
        )
    draft = ContentVersion(
        framework_id=framework_id,
        status=ContentStatus.DRAFT.value,
        origin=ContentOrigin.STUDIO.value,
        title=cleaned or "",
        based_on_id=source.id,
        created_by_id=actor.user_id,
    )
    session.add(draft)
    session.flush()
    add_files(session, draft, texts, actor.user_id)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="content_draft",
        entity_id=draft.id,
        details={
            "title": draft.title,
            "framework": framework_id,
            "started_from": f"{source.framework_id} {source.number or 'draft'}",
        },
    )
    return draft


def _rename(data: CommentedMap, framework_id: str, title: str) -> None:
    data["id"] = framework_id
    data["title"] = title


def _touch(session: Session, draft: ContentVersion) -> None:
    draft.updated_at = utcnow()
    session.add(draft)


def file_text_problem(text: str) -> str | None:
    """Why a file's text cannot even be stored as a draft (the rest is for the loader)."""
    if CONTROL_CHARACTERS.search(
        text.replace("\ufeff", "", 1) if text.startswith("\ufeff") else text
    ):
        return "Remove the hidden control characters from the file; they cannot be saved"
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // 1024
        return f"The file is larger than the {limit} KB allowed; shorten it or split it"
    return None


def normalise(text: str) -> str:
    """Browsers send text areas with CRLF line ends: store the LF the bundled files use."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def save_file(
    session: Session,
    *,
    actor: audit.Actor,
    draft: ContentVersion,
    name: str,
    text: str,
    expected_version: int,
) -> ContentFile:
    """Save one file of a draft, unless someone saved it since `expected_version` (Conflict,
    with the saved file as `current`). Invalid YAML is saved too: a draft may be broken."""
    row = get_file(session, draft.id, name)
    text = normalise(text)
    problem = file_text_problem(text)
    if problem:
        raise InvalidInput({"text": problem})
    if row.text == text:
        # Already saved as sent (a second click, or the same change made twice): nothing to lose.
        return row
    locking.check_version(row, expected_version, FILE_CONFLICT)
    before = row.text
    with locking.saving(session, row, FILE_CONFLICT):
        row.text = text
        row.updated_at = utcnow()
        row.updated_by_id = actor.user_id
    _touch(session, draft)
    _audit_file(session, actor, draft, name, before, text)
    return row


def _audit_file(
    session: Session, actor: audit.Actor, draft: ContentVersion, name: str, before: str, after: str
) -> None:
    diff = "".join(
        difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True), n=1)
    )
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        entity_type="content_file",
        entity_id=draft.id,
        details={
            "draft": draft.title,
            "file": name,
            "change": diff[:AUDITED_DIFF_CHARS] + ("…" if len(diff) > AUDITED_DIFF_CHARS else ""),
        },
    )


STAGE_TEMPLATE = """\
id: {id}
title: {title}
summary: What happens in this stage, in a sentence or two.
sections:
  - id: {id}-questions
    kind: questions
    title: {title}
    questions:
      - id: {id}-notes
        type: long_text
        label: Notes
"""
DOMAIN_TEMPLATE = """\
id: {id}
title: {title}
summary: What this domain covers, in a sentence or two.
guidance: |
  What evidence to look for.
risk_factors:
  - id: {id}-r1
    text: The first risk factor
    guidance: What evidence shows this factor.
protective_factors:
  - id: {id}-p1
    text: The first protective factor
    guidance: What evidence shows this factor.
"""
TOOL_TEMPLATE = """\
id: {id}
title: {title}
summary: What the tool is, where it comes from and who validated it.
items:
  - id: older-child
    label: A child aged 12 or over
    points: 1
    when:
      child:
        age: {{at_least: 12}}
# Bands cover every score, lowest first; use the ids of this version's levels.
bands:
  - max: 0
    level: low
    label: Low 0
  - min: 1
    level: high
    label: High 1 or more
"""
NEW_FILE_TEMPLATES = {"stages": STAGE_TEMPLATE, "domains": DOMAIN_TEMPLATE, "tools": TOOL_TEMPLATE}


def add_file(
    session: Session, *, actor: audit.Actor, draft: ContentVersion, name: str
) -> ContentFile:
    """A new stage, domain or scored tool file, started from a short template the trainer
    then fills in."""
    name = name.strip()
    match = _NEW_FILE.fullmatch(name)
    if not match or len(name) > 200:
        raise InvalidInput(
            {
                "name": "Enter a file name like stages/monitoring.yaml, domains/housing.yaml or "
                "tools/checklist.yaml, in lower-case letters, digits and hyphens"
            }
        )
    existing = {row.name for row in files_of(session, draft.id)}
    if name in existing:
        raise InvalidInput({"name": "The draft already has a file with this name"})
    if len(existing) >= MAX_FILES:
        raise InvalidInput({"name": f"A version can have at most {MAX_FILES} files"})
    item_id = match.group(2)
    template = NEW_FILE_TEMPLATES[match.group(1)]
    text = template.format(id=item_id, title=item_id.replace("-", " ").capitalize())
    row = ContentFile(
        content_version_id=draft.id, name=name, text=text, updated_by_id=actor.user_id
    )
    session.add(row)
    _touch(session, draft)
    session.flush()
    _audit_file(session, actor, draft, name, "", text)
    return row


def delete_file(
    session: Session, *, actor: audit.Actor, draft: ContentVersion, name: str, expected_version: int
) -> None:
    """Remove a stage or domain file (the single files every version needs cannot go)."""
    if name in SINGLE_FILES:
        raise InvalidInput({"name": "Every version needs this file, so it cannot be removed"})
    row = get_file(session, draft.id, name)
    locking.check_version(row, expected_version, FILE_CONFLICT)
    # The DELETE checks the version itself (an ORM delete inside `locking.saving` would be
    # undone by its add).
    result = session.execute(
        delete(ContentFile).where(
            col(ContentFile.id) == row.id, col(ContentFile.version) == expected_version
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(FILE_CONFLICT, current=row)
    session.expunge(row)
    _touch(session, draft)
    _audit_file(session, actor, draft, name, row.text, "")


def discard_draft(
    session: Session, *, actor: audit.Actor, draft: ContentVersion, expected_version: int
) -> None:
    """Delete a draft and its files (published versions are never deleted)."""
    if draft.version != expected_version:
        raise Conflict(DRAFT_CONFLICT, current=draft)
    session.execute(delete(ContentFile).where(col(ContentFile.content_version_id) == draft.id))
    result = session.execute(
        delete(ContentVersion).where(
            col(ContentVersion.id) == draft.id,
            col(ContentVersion.version) == expected_version,
            col(ContentVersion.status) == ContentStatus.DRAFT.value,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(DRAFT_CONFLICT, current=draft)
    session.expunge(draft)
    audit.record(
        session,
        actor,
        AuditAction.DELETE,
        entity_type="content_draft",
        entity_id=draft.id,
        details={"title": draft.title, "framework": draft.framework_id},
    )


# --- editing YAML while keeping the trainer's layout --------------------------------------------


def _yaml() -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a trainer's long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


class YamlEditError(Exception):
    """The file must be valid YAML before a form can change it."""


def edit_yaml(text: str, change: object) -> str:
    """Apply `change(data)` to a YAML text, keeping comments, order and quoting elsewhere.

    The text is first read with the app's own safe reader (no anchors, aliases or tags), so the
    round-trip parser only ever sees plain YAML."""
    try:
        read_yaml(text)
    except YamlProblem as problem:
        where = f" (line {problem.mark.line})" if problem.mark else ""
        raise YamlEditError(f"The file is not valid YAML{where}: {problem.message}") from None
    yaml = _yaml()
    data = yaml.load(text)
    assert callable(change)
    change(data)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


# --- publishing -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublishPlan:
    """What publishing a draft would do: against which version, the changes, the number needed."""

    base: FrameworkContent | None
    changes: tuple[Change, ...]
    needed: Bump | None

    def suggested(self, existing: Sequence[str]) -> str:
        """The next free number that fits the change."""
        if self.base is None:
            candidate = (1, 0, 0)
        else:
            major, minor, patch = (int(part) for part in _core(self.base.version))
            if self.needed is Bump.MAJOR:
                candidate = (major + 1, 0, 0)
            elif self.needed is Bump.MINOR:
                candidate = (major, minor + 1, 0)
            else:
                candidate = (major, minor, patch + 1)
        taken = {_core(number) for number in existing}
        while tuple(str(part) for part in candidate) in taken:
            major, minor, patch = candidate
            candidate = (major, minor, patch + 1)
        return ".".join(str(part) for part in candidate)


def _core(number: str) -> tuple[str, str, str]:
    major, minor, patch = number.partition("+")[0].partition("-")[0].split(".")
    return (major, minor, patch)


def numbers_of(session: Session, framework_id: str) -> list[str]:
    rows = session.exec(
        select(ContentVersion.number).where(
            col(ContentVersion.framework_id) == framework_id,
            col(ContentVersion.number).is_not(None),
        )
    ).all()
    return sorted((number for number in rows if number), key=semver_key)


def plan_publish(
    session: Session, registry: ContentRegistry, draft: ContentVersion, content: FrameworkContent
) -> PublishPlan:
    base = base_content(session, registry, draft)
    if base is None:
        # A draft of a new framework, or one whose starting version is not served: compare with
        # the newest served version of the framework, if there is one.
        versions = registry.versions(draft.framework_id)
        base = registry.get(draft.framework_id, versions[-1]) if versions else None
    changes = tuple(compare(base, content)) if base is not None else ()
    return PublishPlan(base, changes, required_bump(changes) if base is not None else None)


def number_problem(number: str, plan: PublishPlan, existing: Sequence[str]) -> str | None:
    """Why `number` does not fit, or None."""
    if not is_semver(number) or len(number) > 64:
        return NUMBER_FORMAT
    if number in existing:
        return f"Version {number} of this framework already exists; choose another number"
    base = plan.base
    if base is None:
        return None
    if plan.needed is None:
        return (
            f"The draft makes no change to version {base.version} that a practitioner would see; "
            "there is nothing to publish"
        )
    if semver_key(number) <= semver_key(base.version):
        return f"The number must be higher than {base.version}, the version the draft changes"
    old = [int(part) for part in _core(base.version)]
    new = [int(part) for part in _core(number)]
    suggestion = plan.suggested(existing)
    if plan.needed is Bump.MAJOR and new[0] <= old[0]:
        return (
            "The draft removes or retypes something records refer to (see the list of "
            f"changes), which needs a new major version: publish it as {suggestion} or higher"
        )
    if plan.needed is Bump.MINOR and new[:2] <= old[:2]:
        return (
            "The draft adds or changes what the tool asks or suggests, which needs a new minor "
            f"version: publish it as {suggestion} or higher"
        )
    return None


def _changes_list(problems: Problems, changes: str) -> list[str]:
    lines = [line.strip().lstrip("-•* ").strip() for line in normalise(changes).split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        problems.add("changes", "Enter what changed, one change a line")
    elif len(lines) > MAX_CHANGES:
        problems.add("changes", f"List at most {MAX_CHANGES} changes; summarise the smaller ones")
    elif any(len(line) > CHANGE_MAX for line in lines):
        problems.add("changes", f"Each change must be {CHANGE_MAX} characters or fewer")
    elif any(CONTROL_CHARACTERS.search(line) for line in lines):
        problems.add("changes", "Remove the hidden control characters from the changes")
    return lines


def with_release(text: str, number: str, changes: Sequence[str], on: date, fresh: bool) -> str:
    """framework.yaml with the new version number and its changelog entry first (for the
    first version of a new framework, the only entry)."""

    def release(data: CommentedMap) -> None:
        data["version"] = number
        entry = CommentedMap()
        entry["version"] = number
        entry["date"] = on
        entry["changes"] = CommentedSeq(changes)
        log = data.get("changelog")
        if fresh or not isinstance(log, list):
            data["changelog"] = CommentedSeq([entry])
            return
        for index in reversed(range(len(log))):
            if isinstance(log[index], dict) and str(log[index].get("version")) == number:
                del log[index]
        log.insert(0, entry)

    return edit_yaml(text, release)


def publish(
    session: Session,
    *,
    actor: audit.Actor,
    registry: ContentRegistry,
    draft: ContentVersion,
    number: str,
    changes: str,
    expected_version: int,
) -> ContentVersion:
    """Publish a draft as `number`: refused unless it loads cleanly and the number is free and
    fits the change. Its files are then frozen and every instance serves it."""
    if draft.version != expected_version:
        raise Conflict(DRAFT_CONFLICT, current=draft)
    problems = Problems()
    number = number.strip()
    lines = _changes_list(problems, changes)
    texts = version_texts(session, draft.id)
    existing = numbers_of(session, draft.framework_id)
    if not is_semver(number) or len(number) > 64:
        problems.add("number", NUMBER_FORMAT)
    else:
        try:
            texts["framework.yaml"] = with_release(
                texts["framework.yaml"], number, lines, london_today(), fresh=not existing
            )
        except (YamlEditError, KeyError):
            problems.add("draft", "Fix the problems in framework.yaml before publishing")
    checked = check_texts(texts, draft.framework_id) if not problems.errors else None
    if checked is not None and not checked.ok:
        count = len(checked.result.errors)
        problems.add(
            "draft",
            f"The draft has {count} problem{'s' if count != 1 else ''}; fix "
            f"{'them' if count != 1 else 'it'} before publishing",
        )
    if checked is not None and checked.content is not None:
        plan = plan_publish(session, registry, draft, checked.content)
        problem = number_problem(number, plan, existing)
        if problem:
            problems.add("number", problem)
    problems.raise_if_any()
    assert checked is not None
    assert checked.content is not None
    content = checked.content
    try:
        # The number is unique per framework: of two trainers publishing it at once, one wins.
        with session.begin_nested():
            result = session.execute(
                update(ContentVersion)
                .where(
                    col(ContentVersion.id) == draft.id,
                    col(ContentVersion.version) == expected_version,
                    col(ContentVersion.status) == ContentStatus.DRAFT.value,
                )
                .values(
                    number=number,
                    status=ContentStatus.PUBLISHED.value,
                    content_hash=content.content_hash,
                    published_at=utcnow(),
                    published_by_id=actor.user_id,
                    updated_at=utcnow(),
                    version=expected_version + 1,
                )
            )
    except IntegrityError:
        taken = f"Version {number} of this framework has just been published by someone else"
        raise InvalidInput({"number": taken}) from None
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(DRAFT_CONFLICT, current=draft)
    session.execute(
        update(ContentFile)
        .where(
            col(ContentFile.content_version_id) == draft.id,
            col(ContentFile.name) == "framework.yaml",
        )
        .values(text=texts["framework.yaml"], version=ContentFile.version + 1, updated_at=utcnow())
    )
    session.refresh(draft)
    changed(session)
    audit.record(
        session,
        actor,
        AuditAction.PUBLISH,
        entity_type="content_version",
        entity_id=draft.id,
        details={
            "framework": draft.framework_id,
            "version": number,
            "hash": content.content_hash,
            "changes": lines,
        },
    )
    return draft


def retire(
    session: Session,
    *,
    actor: audit.Actor,
    registry: ContentRegistry,
    row: ContentVersion,
    expected_version: int,
    retired: bool = True,
) -> ContentVersion:
    """Retire a published version (no new family starts on it; families on it carry on), or
    bring a retired one back into use."""
    wanted = ContentStatus.RETIRED if retired else ContentStatus.PUBLISHED
    current = ContentStatus.PUBLISHED if retired else ContentStatus.RETIRED
    if row.version != expected_version or row.status != current.value:
        raise Conflict(DRAFT_CONFLICT, current=row)
    if retired:
        others = [
            (framework_id, version)
            for framework_id in registry.offered()
            for version in registry.versions(framework_id)
            if not registry.is_retired(framework_id, version)
            and (framework_id, version) != (row.framework_id, row.number)
        ]
        if not others:
            raise InvalidInput(
                {
                    "version": "This is the only version new families can start on; publish "
                    "another before retiring it"
                }
            )
    now = utcnow()
    result = session.execute(
        update(ContentVersion)
        .where(col(ContentVersion.id) == row.id, col(ContentVersion.version) == expected_version)
        .values(
            status=wanted.value,
            retired_at=now if retired else None,
            retired_by_id=actor.user_id if retired else None,
            updated_at=now,
            version=expected_version + 1,
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(DRAFT_CONFLICT, current=row)
    session.refresh(row)
    changed(session)
    audit.record(
        session,
        actor,
        AuditAction.RETIRE if retired else AuditAction.UPDATE,
        entity_type="content_version",
        entity_id=row.id,
        details={
            "framework": row.framework_id,
            "version": row.number,
            "status": {"before": current.value, "after": wanted.value},
        },
    )
    return row


def publish_imported(
    session: Session,
    *,
    actor: audit.Actor,
    registry: ContentRegistry,
    texts: Mapping[str, str],
    content: FrameworkContent,
) -> ContentVersion:
    """Publish a version uploaded as a zip: its number must be free and fit the change from
    the newest version below it."""
    existing = numbers_of(session, content.id)
    lower = [
        number
        for number in registry.versions(content.id)
        if semver_key(number) < semver_key(content.version)
    ]
    base = registry.get(content.id, lower[-1]) if lower else None
    changes = tuple(compare(base, content)) if base is not None else ()
    plan = PublishPlan(base, changes, required_bump(changes) if base is not None else None)
    problem = number_problem(content.version, plan, existing)
    if problem:
        raise InvalidInput({"file": f"{content.id} {content.version}: {problem}"})
    row = publish_loaded(
        session, content, texts, origin=ContentOrigin.IMPORT, user_id=actor.user_id
    )
    changed(session)
    audit.record(
        session,
        actor,
        AuditAction.IMPORT,
        entity_type="content_version",
        entity_id=row.id,
        details={"framework": content.id, "version": content.version, "hash": content.content_hash},
    )
    return row


class ContentRefused(InvalidInput):
    """Uploaded content that does not load: every problem, as the loader words it."""

    def __init__(self, problems: Sequence[ContentError]) -> None:
        count = len(problems)
        super().__init__(
            {
                "file": f"The version in the zip has {count} problem{'s' if count != 1 else ''}, "
                "listed below; nothing was imported"
            }
        )
        self.problems = tuple(problems)


def import_zip(
    session: Session, *, actor: audit.Actor, registry: ContentRegistry, data: bytes
) -> ContentVersion:
    """Publish the version in an uploaded zip, refused whole if anything about it is wrong."""
    try:
        files = read_zip(data)
    except ZipProblem as problem:
        raise InvalidInput({"file": str(problem)}) from None
    result = load_version(files, origin="zip")
    if result.content is None:
        raise ContentRefused(result.errors)
    texts = {name: content.decode("utf-8") for name, content in files.items()}
    return publish_imported(
        session, actor=actor, registry=registry, texts=texts, content=result.content
    )


def export_version(session: Session, row: ContentVersion) -> tuple[str, bytes]:
    """A published version as a zip: its file name and bytes."""
    if row.number is None:
        raise NotFound("Only published versions can be exported; publish the draft first.")
    data = export_zip(row.framework_id, row.number, version_texts(session, row.id))
    return f"{row.framework_id}-{row.number}.zip", data
