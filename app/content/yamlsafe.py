"""Read YAML safely: plain data plus the line and column of every key and value.

Content comes from trainers, and later from drafts typed into the app, so the reader trusts
nothing: it walks the parser's events itself and refuses anchors and aliases (which can blow up
memory), every explicit tag (`!!python/...` and custom `!tags`), duplicate keys, non-text keys,
more than one document, deep nesting and tabs in indentation. Plain scalars are resolved with
a small, predictable rule set (YAML 1.2 style: `yes` and `no` stay text).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import yaml

from app.content.errors import DocPath

MAX_DEPTH = 40
MAX_NODES = 200_000
MAX_NUMBER_DIGITS = 30

_Parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUES = {"true", "True", "TRUE"}
_FALSES = {"false", "False", "FALSE"}
_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_STANDARD_TAG_PREFIX = "tag:yaml.org,2002:"
# Characters that change the direction text is shown in (embeddings, overrides, isolates):
# they can make a rule or a label display differently from what it says.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Mark:
    """A position in a file, counted from 1 as editors show it."""

    line: int
    column: int


@dataclass
class Document:
    """The data of one YAML file and where each part of it was written."""

    data: Any
    values: dict[DocPath, Mark] = field(default_factory=dict)
    keys: dict[DocPath, Mark] = field(default_factory=dict)

    def value_mark(self, path: DocPath) -> Mark | None:
        """The mark of the value at `path`, or of its nearest written ancestor."""
        for end in range(len(path), -1, -1):
            mark = self.values.get(path[:end])
            if mark is not None:
                return mark
        return None

    def key_mark(self, path: DocPath) -> Mark | None:
        """The mark of the key that introduces `path`, falling back to its value."""
        return self.keys.get(path) or self.value_mark(path)


class YamlProblem(Exception):
    """Why a text is not acceptable YAML, and where."""

    def __init__(self, message: str, mark: Mark | None = None, path: DocPath = ()) -> None:
        super().__init__(message)
        self.message = message
        self.mark = mark
        self.path = path


def _mark(event: Any) -> Mark:
    return Mark(event.start_mark.line + 1, event.start_mark.column + 1)


def _describe_tag(tag: str) -> str:
    if tag.startswith(_STANDARD_TAG_PREFIX):
        return "!!" + tag.removeprefix(_STANDARD_TAG_PREFIX)
    return tag


def _resolve_plain(value: str) -> Any:
    if value in _NULLS:
        return None
    if value in _TRUES:
        return True
    if value in _FALSES:
        return False
    if _INT.fullmatch(value) or _FLOAT.fullmatch(value):
        digits = sum(character.isdigit() for character in value)
        if digits > MAX_NUMBER_DIGITS:
            raise ValueError(
                f"this number has {digits} digits, more than the {MAX_NUMBER_DIGITS} allowed; "
                "shorten it (put it in quotes if it is meant as text)"
            )
        number = int(value) if _INT.fullmatch(value) else float(value)
        if number in (math.inf, -math.inf):
            raise ValueError("this number is too large; write a smaller number")
        return number
    if _DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value} is not a real date; write dates as YYYY-MM-DD") from None
    return value


def check_direction_controls(text: str) -> None:
    """Refuse characters that make text display in a different order from how it reads."""
    found = _BIDI_CONTROLS.search(text)
    if found is not None:
        before = text[: found.start()]
        raise YamlProblem(
            f"the text contains the hidden direction control character "
            f"U+{ord(found.group()):04X}, which can make it show differently from what it "
            "says; remove it",
            Mark(before.count("\n") + 1, found.start() - (before.rfind("\n") + 1) + 1),
        )


def check_indentation(text: str) -> None:
    """Refuse tabs in indentation, which YAML forbids and editors hide."""
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.lstrip(" \t")
        indent = line[: len(line) - len(stripped)]
        if "\t" in indent:
            raise YamlProblem(
                "a tab is used for indentation; YAML needs spaces, so replace the tab with spaces",
                Mark(number, indent.index("\t") + 1),
            )


@dataclass
class _Frame:
    """A mapping or list being built, where it sits, and the key awaiting its value."""

    container: dict[str, Any] | list[Any]
    path: DocPath
    key: str | None = None


class _Builder:
    """Turns the parser's events into plain data, recording marks and refusing unsafe YAML."""

    def __init__(self) -> None:
        self.document = Document(data=None)
        self.stack: list[_Frame] = []
        self.documents = 0
        self.nodes = 0

    def feed(self, event: Any) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise YamlProblem(
                    "the file holds more than one YAML document; remove the `---` line and "
                    "keep one document per file",
                    _mark(event),
                )
        elif isinstance(event, yaml.AliasEvent):
            raise YamlProblem(
                f"the alias *{event.anchor} is not allowed; write the content out in full "
                "instead of using anchors and aliases",
                _mark(event),
                self._next_path(),
            )
        elif isinstance(event, yaml.ScalarEvent):
            self._check_node(event)
            self._scalar(event)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self._check_node(event)
            self._open(event)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            value = self.stack.pop().container
            self._place(tuple(value) if isinstance(value, list) else value)

    def _check_node(self, event: Any) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise YamlProblem(
                f"the file has more than {MAX_NODES} values; split it into smaller files",
                _mark(event),
            )
        if event.anchor is not None:
            raise YamlProblem(
                f"the anchor &{event.anchor} is not allowed; write the content out in full "
                "instead of using anchors and aliases",
                _mark(event),
                self._next_path(),
            )
        tag = event.tag
        if tag is not None and tag != "!":
            raise YamlProblem(
                f'the tag "{_describe_tag(tag)}" is not allowed; remove it (put the value in '
                "quotes if you meant text)",
                _mark(event),
                self._next_path(),
            )

    def _expecting_key(self) -> bool:
        return (
            bool(self.stack)
            and isinstance(self.stack[-1].container, dict)
            and (self.stack[-1].key is None)
        )

    def _next_path(self) -> DocPath:
        if not self.stack:
            return ()
        frame = self.stack[-1]
        if isinstance(frame.container, dict):
            return (*frame.path, frame.key) if frame.key is not None else frame.path
        return (*frame.path, len(frame.container))

    def _scalar(self, event: Any) -> None:
        mark = _mark(event)
        if self._expecting_key():
            self._key(event.value, mark)
            return
        path = self._next_path()
        value = event.value
        if event.implicit[0] and event.tag is None:
            try:
                value = _resolve_plain(value)
            except ValueError as error:
                raise YamlProblem(str(error), mark, path) from None
        self.document.values[path] = mark
        self._place(value)

    def _key(self, key: str, mark: Mark) -> None:
        frame = self.stack[-1]
        assert isinstance(frame.container, dict)
        path = (*frame.path, key)
        if key in frame.container:
            first = self.document.keys[path]
            raise YamlProblem(
                f'the key "{key}" appears twice in this mapping (first at line {first.line}); '
                "keep only one",
                mark,
                path,
            )
        frame.key = key
        self.document.keys[path] = mark

    def _open(self, event: Any) -> None:
        mark = _mark(event)
        if self._expecting_key():
            raise YamlProblem(
                "a key must be plain text, not a list or a mapping; check the indentation",
                mark,
                self.stack[-1].path,
            )
        if len(self.stack) >= MAX_DEPTH:
            raise YamlProblem(
                f"the content is nested more than {MAX_DEPTH} levels deep; simplify it", mark
            )
        path = self._next_path()
        self.document.values[path] = mark
        container: dict[str, Any] | list[Any] = (
            {} if isinstance(event, yaml.MappingStartEvent) else []
        )
        self.stack.append(_Frame(container, path))

    def _place(self, value: Any) -> None:
        if not self.stack:
            self.document.data = value
            return
        frame = self.stack[-1]
        if isinstance(frame.container, dict):
            assert frame.key is not None
            frame.container[frame.key] = value
            frame.key = None
        else:
            frame.container.append(value)


def read_yaml(text: str) -> Document:
    """Parse one YAML document safely; raise YamlProblem with a mark when it is not acceptable."""
    check_direction_controls(text)
    check_indentation(text)
    builder = _Builder()
    try:
        for event in yaml.parse(text, Loader=_Parser):
            builder.feed(event)
    except yaml.MarkedYAMLError as error:
        raise YamlProblem(_syntax_message(error), _syntax_mark(error)) from None
    except yaml.YAMLError as error:
        raise YamlProblem(_reader_message(error), _reader_mark(text, error)) from None
    return builder.document


# The parser's names for what it was reading, in the words the content guide uses.
_CONTEXTS = {
    "flow sequence": "list in square brackets",
    "flow mapping": "mapping in curly brackets",
    "block mapping": "mapping",
    "block collection": "list",
    "quoted scalar": "quoted text",
    "block scalar": "block of text",
}


def _syntax_mark(error: yaml.MarkedYAMLError) -> Mark | None:
    mark = error.problem_mark or error.context_mark
    return Mark(mark.line + 1, mark.column + 1) if mark is not None else None


def _syntax_message(error: yaml.MarkedYAMLError) -> str:
    problem = (error.problem or "unexpected content").strip()
    context = (error.context or "").strip()
    for parser_name, words in _CONTEXTS.items():
        if parser_name in context and error.context_mark is not None:
            if error.problem_mark is None or error.context_mark.line != error.problem_mark.line:
                problem += f", in the {words} that starts on line {error.context_mark.line + 1}"
            break
    return (
        f"this is not valid YAML ({problem}); check the indentation, colons, brackets and "
        "quotes around here"
    )


def _reader_message(error: yaml.YAMLError) -> str:
    character = getattr(error, "character", None)
    if isinstance(character, int):
        return (
            f"the file contains the control character #x{character:04x}, which YAML does not "
            "allow; remove it"
        )
    return "this is not valid YAML; check the file is plain text"


def _reader_mark(text: str, error: yaml.YAMLError) -> Mark | None:
    position = getattr(error, "position", None)
    if not isinstance(position, int):
        return None
    before = text[:position]
    return Mark(before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1)
