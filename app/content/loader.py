"""Load content versions from named YAML texts: read safely, validate, cross-check, hash, cache.

The core, `load_version`, takes a mapping of file name to text (or bytes) from any source: a
folder today, drafts stored in the database later. It never raises for any input; every
problem comes back as a `ContentError` naming the file, line, column and path.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from app.content.checks import Files, Problem, check_version
from app.content.errors import ContentError, DocPath, format_path, printable
from app.content.model import FrameworkContent
from app.content.schema import (
    FOLDER_FILES,
    ID_PATTERN,
    SEMVER_PATTERN,
    SINGLE_FILES,
    CadenceFile,
    ChronologyFile,
    FrameworkFile,
    LevelsFile,
    RulesFile,
    SourcesFile,
    VocabularyFile,
)
from app.content.yamlsafe import Document, Mark, YamlProblem, read_yaml
from app.memo import Bounded

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 256 * 1024
MAX_VERSION_BYTES = 4 * 1024 * 1024
MAX_FILES = 200
MAX_ERRORS = 100
CACHE_SIZE = 32
_FOLDER_FILE = re.compile(r"(stages|domains|tools)/([a-z0-9][a-z0-9-]*)\.yaml")
_KNOWN_FILES = ", ".join(
    [*SINGLE_FILES, "stages/<id>.yaml", "domains/<id>.yaml", "tools/<id>.yaml"]
)


@dataclass(frozen=True)
class LoadResult:
    """The outcome of loading one version: its content, or the errors that refused it."""

    origin: str
    content: FrameworkContent | None
    errors: tuple[ContentError, ...]

    @property
    def ok(self) -> bool:
        return self.content is not None


# Parsed versions keyed by content hash: immutable, so safe to share.
_cache: Bounded[str, FrameworkContent] = Bounded(CACHE_SIZE)


def clear_cache() -> None:
    """Forget every parsed version (for benchmarks and tests that measure a cold load)."""
    _cache.clear()


def content_hash(files: Mapping[str, bytes]) -> str:
    """A SHA-256 over every file name and its exact bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        data = files[name]
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def is_semver(text: str) -> bool:
    return SEMVER_PATTERN.fullmatch(text) is not None


# --- the core -------------------------------------------------------------------------------


def load_version(
    texts: Mapping[str, str | bytes],
    *,
    origin: str,
    framework_id: str | None = None,
    version: str | None = None,
) -> LoadResult:
    """Load one version from file name → YAML text; `framework_id`/`version` must then match."""
    try:
        return _Load(origin, framework_id, version).run(texts)
    except Exception:
        # The last line of defence: a bug must refuse the version, never stop the app.
        logger.exception("Unexpected failure while loading content %s", origin)
        error = ContentError(
            origin,
            "the content could not be checked because of an unexpected problem in Homeward; "
            "report this to the Homeward team with a copy of the files.",
        )
        return LoadResult(origin, None, (error,))


class _Load:
    def __init__(self, origin: str, framework_id: str | None, version: str | None) -> None:
        self.origin = origin.rstrip("/")
        self.framework_id = framework_id
        self.version = version
        self.errors: list[ContentError] = []
        self.documents: dict[str, Document] = {}

    def _add(
        self,
        name: str,
        message: str,
        mark: Mark | None = None,
        path: DocPath = (),
        *,
        knock_on: bool = False,
    ) -> None:
        text = printable(" ".join(message.split()))
        if not text.endswith("."):
            text += "."
        file = printable(f"{self.origin}/{name}" if name else self.origin)
        line, column = (mark.line, mark.column) if mark else (None, None)
        self.errors.append(ContentError(file, text, line, column, format_path(path), knock_on))

    def result(self, content: FrameworkContent | None = None) -> LoadResult:
        errors = sorted(self.errors, key=lambda error: error.sort_key)
        if len(errors) > MAX_ERRORS:
            more = len(errors) - MAX_ERRORS
            errors = [
                *errors[:MAX_ERRORS],
                ContentError(self.origin, f"{more} more problems were found; fix these first."),
            ]
        return LoadResult(self.origin, content if not errors else None, tuple(errors))

    def run(self, texts: Mapping[str, str | bytes]) -> LoadResult:
        files = self._encode(texts)
        if self.errors:
            return self.result()
        digest = content_hash(files)
        cached = _cache.get(digest)
        if cached is not None and self._expected(cached.id, cached.version):
            return self.result(cached)
        models = self._parse_and_validate(files)
        if models is None:
            return self.result()
        self._check_identity(models.framework.id, models.framework.version)
        content, problems = check_version(models, self._where, digest)
        for problem in problems:
            self._report(problem)
        if content is None or self.errors:
            return self.result()
        _cache.put(digest, content)
        return self.result(content)

    # --- reading the texts ----------------------------------------------------------------

    def _encode(self, texts: Mapping[str, str | bytes]) -> dict[str, bytes]:
        if len(texts) > MAX_FILES:
            self._add("", f"the version has more than {MAX_FILES} files; remove some")
            return {}
        files: dict[str, bytes] = {}
        total = 0
        for name, text in texts.items():
            if not self._known_name(name):
                continue
            data = text if isinstance(text, bytes) else self._utf8(name, text)
            if data is None:
                continue
            if len(data) > MAX_FILE_BYTES:
                # Folders are read only one byte past the limit, so the true size is unknown.
                self._add(
                    name,
                    f"the file is larger than the {MAX_FILE_BYTES // 1024} KB allowed; split it "
                    "or shorten it",
                )
                continue
            total += len(data)
            files[name] = data
        if total > MAX_VERSION_BYTES:
            self._add(
                "",
                f"the version's files add up to more than {MAX_VERSION_BYTES // (1024 * 1024)} MB; "
                "shorten them",
            )
        for name in SINGLE_FILES:
            if name not in texts:
                self._add(name, "this file is missing; every version needs it")
        return files

    def _known_name(self, name: object) -> bool:
        if not isinstance(name, str):
            self._add("", "a file name is not text; name files like levels.yaml")
            return False
        if name in SINGLE_FILES or _FOLDER_FILE.fullmatch(name):
            return True
        shown = name[:80]
        if name.endswith(".yml"):
            message = "content files end in .yaml, not .yml; rename the file"
        else:
            message = (
                f"this is not a recognised content file; the files of a version are {_KNOWN_FILES}"
            )
        self._add(shown, message)
        return False

    def _utf8(self, name: str, text: str) -> bytes | None:
        try:
            return text.encode("utf-8")
        except UnicodeEncodeError as error:
            mark = _mark_at(text, error.start)
            self._add(name, "the text contains characters that are not valid Unicode", mark)
            return None

    def _decode(self, name: str, data: bytes) -> str | None:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            mark = _mark_at(data[: error.start].decode("utf-8", "replace"))
            self._add(name, "the file is not UTF-8 text; save it with UTF-8 encoding", mark)
            return None
        return text.removeprefix("\ufeff")

    def _parse_and_validate(self, files: dict[str, bytes]) -> Files | None:
        single: dict[str, BaseModel] = {}
        folders: dict[str, dict[str, Any]] = {"stages": {}, "domains": {}, "tools": {}}
        for name in sorted(files):
            text = self._decode(name, files[name])
            if text is None:
                continue
            try:
                document = read_yaml(text)
            except YamlProblem as problem:
                self._add(name, problem.message, problem.mark, problem.path)
                continue
            self.documents[name] = document
            folder = _FOLDER_FILE.fullmatch(name)
            model_type = FOLDER_FILES[folder.group(1)] if folder else SINGLE_FILES[name]
            model = self._validate(name, document, model_type)
            if model is None:
                continue
            if folder:
                folders[folder.group(1)][name] = model
            else:
                single[name] = model
        if self.errors:
            return None
        return Files(
            framework=_typed(single["framework.yaml"], FrameworkFile),
            levels=_typed(single["levels.yaml"], LevelsFile),
            vocabulary=_typed(single["vocabulary.yaml"], VocabularyFile),
            chronology=_typed(single["chronology.yaml"], ChronologyFile),
            rules=_typed(single["rules.yaml"], RulesFile),
            cadence=_typed(single["cadence.yaml"], CadenceFile),
            sources=_typed(single["sources.yaml"], SourcesFile),
            stages=folders["stages"],
            domains=folders["domains"],
            tools=folders["tools"],
        )

    def _validate(self, name: str, document: Document, model_type: type[BaseModel]) -> Any:
        if document.data is None:
            self._add(name, "the file is empty; write its content as key: value lines", Mark(1, 1))
            return None
        try:
            return model_type.model_validate(document.data)
        except ValidationError as error:
            errors = error.errors(include_url=False)
            for details in errors:
                # A list whose items failed is also reported as too short: say it once.
                loc = details["loc"]
                inner = any(other["loc"][: len(loc)] == loc != other["loc"] for other in errors)
                if details["type"] == "too_short" and inner:
                    continue
                self._schema_error(name, document, details)
            return None

    def _schema_error(self, name: str, document: Document, details: ErrorDetails) -> None:
        path, value = _document_path(document.data, details["loc"])
        if details["type"] == "extra_forbidden":
            mark = document.key_mark(path)
        else:
            mark = document.value_mark(path)
        self._add(name, schema_message(details, value), mark, path)

    # --- identity and cross references ----------------------------------------------------

    def _expected(self, found_id: str, found_version: str) -> bool:
        return self.framework_id in (None, found_id) and self.version in (None, found_version)

    def _check_identity(self, found_id: str, found_version: str) -> None:
        if self.framework_id is not None and found_id != self.framework_id:
            self._add(
                "framework.yaml",
                f'the framework id is "{found_id}" but its folder is named '
                f'"{self.framework_id}"; make them match',
                self._mark("framework.yaml", ("id",)),
                ("id",),
            )
        if self.version is not None and found_version != self.version:
            self._add(
                "framework.yaml",
                f'the version is "{found_version}" but its folder is named "{self.version}"; '
                "make them match",
                self._mark("framework.yaml", ("version",)),
                ("version",),
            )

    def _where(self, file: str, path: DocPath, from_file: str) -> str:
        mark = self._mark(file, path)
        place = "" if file == from_file else f"in {file} "
        return f"{place}at line {mark.line}" if mark else f"in {file}"

    def _report(self, problem: Problem) -> None:
        self._add(
            problem.file,
            problem.message,
            self._mark(problem.file, problem.path, problem.at_key),
            problem.path,
            knock_on=problem.knock_on,
        )

    def _mark(self, file: str, path: DocPath, at_key: bool = False) -> Mark | None:
        document = self.documents.get(file)
        if document is None:
            return None
        return document.key_mark(path) if at_key else document.value_mark(path)


_M = TypeVar("_M", bound=BaseModel)


def _typed(model: BaseModel, kind: type[_M]) -> _M:
    assert isinstance(model, kind)
    return model


def _mark_at(text: str, position: int | None = None) -> Mark:
    """The line and column of a position in a text (its end when no position is given)."""
    before = text if position is None else text[:position]
    return Mark(before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1)


def _document_path(data: Any, loc: tuple[int | str, ...]) -> tuple[DocPath, Any]:
    """Follow a pydantic error location through the data, skipping union tags it adds."""
    path: list[str | int] = []
    node = data
    tag_expected = False
    for part in loc:
        if tag_expected and isinstance(node, dict) and part in (node.get("kind"), node.get("type")):
            # The tag of a discriminated union (a section's kind, a question's type) comes
            # first: `kind: questions` must not be read as the section's `questions` key.
            tag_expected = False
            continue
        tag_expected = isinstance(part, int)
        in_mapping = isinstance(node, dict) and isinstance(part, str) and part in node
        in_list = isinstance(node, tuple) and isinstance(part, int) and 0 <= part < len(node)
        if in_mapping or in_list:
            node = node[part]
            path.append(part)
    return tuple(path), node


# --- turning pydantic's messages into sentences for trainers --------------------------------


def _all_keys() -> set[str]:
    from app.content import schema

    keys: set[str] = set()
    for item in vars(schema).values():
        if isinstance(item, type) and issubclass(item, BaseModel):
            for field_name, field in item.model_fields.items():
                keys.add(field.alias or field_name)
    return keys


_KNOWN_KEYS = _all_keys()


def describe_value(value: Any) -> str:
    """How a YAML value reads back to a trainer: `the number 1.0`, `a list`, `nothing`."""
    if value is None:
        return "nothing (an empty value)"
    if isinstance(value, bool):
        return f"the true/false value {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping of keys and values"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'the text "{shown}"'
    return f"the date {value}"


_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "tuple_type": 'a list (lines starting with "- ")',
    "list_type": 'a list (lines starting with "- ")',
    "dict_type": "a mapping of keys and values",
    "model_type": "a mapping of keys and values",
    "model_attributes_type": "a mapping of keys and values",
    "date_type": "a date written YYYY-MM-DD",
    "date_from_datetime_parsing": "a date written YYYY-MM-DD",
}


def schema_message(details: ErrorDetails, value: Any) -> str:
    """One sentence for one pydantic error, in the words of the content guide."""
    kind = details["type"]
    context: dict[str, Any] = dict(details.get("ctx") or {})
    loc = details["loc"]
    last = loc[-1] if loc else ""
    if kind == "missing":
        return f'the required key "{last}" is missing; add it'
    if kind == "extra_forbidden":
        # A duration's key names its unit: `within: 6` is `within_months: 6`.
        units = sorted(
            key
            for key in _KNOWN_KEYS
            if key.startswith(f"{last}_") and key.endswith(("_months", "_weeks"))
        )
        if units:
            unit = units[0].rsplit("_", 1)[1]
            return (
                f'"{last}" is a duration without a unit; write {units[0]} with the number of {unit}'
            )
        close = difflib.get_close_matches(str(last), sorted(_KNOWN_KEYS - {last}), n=1, cutoff=0.75)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        return f'"{last}" is not a recognised key here{hint}; check the spelling or remove it'
    if kind in _EXPECTED:
        if kind == "string_type" and isinstance(value, int | float | bool):
            return (
                f"this should be text, but it reads as {describe_value(value)}; put it in "
                "quotes if it is meant as text"
            )
        return f"this should be {_EXPECTED[kind]}, not {describe_value(value)}"
    if kind == "literal_error":
        expected = str(context.get("expected", "")).replace("'", "")
        return f"{describe_value(value)} is not allowed here; use {expected}"
    if kind == "union_tag_invalid":
        key = str(context.get("discriminator", "")).strip("'")
        tags = str(context.get("expected_tags", "")).replace("'", "")
        return f'"{context.get("tag")}" is not a known {key}; use one of: {tags}'
    if kind == "union_tag_not_found":
        key = str(context.get("discriminator", "")).strip("'")
        return f'the required key "{key}" is missing; add it'
    if kind == "too_short":
        count = context.get("min_length", 1)
        # Only a scored tool has `items` or `bands` (in rules.yaml, or at the top of its file).
        if last in ("items", "bands") and ("scored_tools" in loc or len(loc) == 1):
            what = "item to score" if last == "items" else "band"
            return f"a scored tool needs at least one {what}; add it under {last}"
        return f"this list needs at least {count} item{'s' if count != 1 else ''}"
    if kind == "too_long":
        return f"this list has more than {context.get('max_length')} items; shorten it"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = {
            "greater_than_equal": f"at least {context.get('ge')}",
            "greater_than": f"more than {context.get('gt')}",
            "less_than_equal": f"at most {context.get('le')}",
            "less_than": f"less than {context.get('lt')}",
        }[kind]
        return f"this must be {bound}, not {describe_value(value)}"
    message = str(details["msg"]).removeprefix("Value error, ")
    if message[1:2].islower():
        message = message[:1].lower() + message[1:]
    return message


# --- folders --------------------------------------------------------------------------------


class LinkedFile(OSError):
    """A version folder holds a symbolic link: never followed, since it may point anywhere."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def read_version_dir(path: Path) -> dict[str, bytes]:
    """The YAML files of a version folder (hidden files skipped); large files are cut short.

    Raises LinkedFile for a symbolic link inside the folder (or the folder itself being one):
    following it could read, and echo in error messages, a file from anywhere."""
    if path.is_symlink():
        raise LinkedFile(".")
    files: dict[str, bytes] = {}
    for folder, dirs, names in os.walk(path):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in [*dirs, *names]:
            if (Path(folder) / name).is_symlink():
                raise LinkedFile((Path(folder) / name).relative_to(path).as_posix())
        for name in sorted(names):
            if name.startswith(".") or not name.endswith((".yaml", ".yml")):
                continue
            file = Path(folder) / name
            if not file.is_file():
                continue
            # Read one byte past the limit: enough to know the file is too large.
            with file.open("rb") as handle:
                files[file.relative_to(path).as_posix()] = handle.read(MAX_FILE_BYTES + 1)
            if len(files) > MAX_FILES:
                return files
    return files


def load_version_dir(path: Path) -> LoadResult:
    """Load `<framework-id>/<version>/`; the folder names must be an id and a semantic version."""
    framework_id, version = path.parent.name, path.name
    origin = f"{framework_id}/{version}"
    if not ID_PATTERN.fullmatch(framework_id):
        message = (
            f'the folder name "{framework_id}" is not a valid framework id; use lower-case '
            "letters, digits and hyphens"
        )
        return LoadResult(origin, None, (ContentError(framework_id, message + "."),))
    if not is_semver(version):
        message = (
            f'the folder name "{version}" is not a semantic version; name version folders '
            "MAJOR.MINOR.PATCH, for example 1.0.0"
        )
        return LoadResult(origin, None, (ContentError(origin, message + "."),))
    try:
        texts = read_version_dir(path)
    except LinkedFile as link:
        where = origin if link.name == "." else f"{origin}/{link.name}"
        message = (
            "this is a link to another place, which Homeward does not follow; put the real file "
            "in the version folder instead of a link."
        )
        return LoadResult(origin, None, (ContentError(printable(where), message),))
    except OSError as error:
        reason = error.strerror or type(error).__name__
        return LoadResult(
            origin, None, (ContentError(origin, f"the folder cannot be read ({reason})."),)
        )
    return load_version(texts, origin=origin, framework_id=framework_id, version=version)


def _subfolders(path: Path) -> list[Path]:
    return sorted(
        child for child in path.iterdir() if child.is_dir() and not child.name.startswith(".")
    )


def find_version_dirs(path: Path) -> list[Path]:
    """The version folders under a content folder, a framework folder or one version folder."""
    if (path / "framework.yaml").is_file():
        return [path]
    children = _subfolders(path)
    if any((child / "framework.yaml").is_file() or is_semver(child.name) for child in children):
        return children
    return [version for child in children for version in _subfolders(child)]
