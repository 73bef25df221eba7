"""The one error type the content loader reports: where the problem is and what to do."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

DocPath = tuple[str | int, ...]
_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]+")


def printable(text: str) -> str:
    """Text with control characters escaped, so a message stays on one visible line."""
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def format_path(path: DocPath) -> str:
    """Write a path inside a document the way trainers read it: `risk_factors[2].id`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _PLAIN_KEY.fullmatch(part):
            text += f"[{printable(json.dumps(part, ensure_ascii=False))}]"
        else:
            text += f".{part}" if text else part
    return text


@dataclass(frozen=True)
class ContentError:
    """One problem in a content version, told in one sentence a trainer can act on."""

    file: str
    message: str
    line: int | None = None
    column: int | None = None
    path: str = ""
    # Possibly caused by another error (see checks.Problem): sorted after the root causes.
    knock_on: bool = False

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
        if self.path:
            where += f", at {self.path}"
        return f"{where}: {self.message}"

    @property
    def sort_key(self) -> tuple[bool, str, int, int, str]:
        return (self.knock_on, self.file, self.line or 0, self.column or 0, self.message)
