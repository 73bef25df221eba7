"""Chronology entries to and from CSV: the columns documented in docs/chronology-import.md.

An import is read twice: once when the file is uploaded (a file that cannot be a chronology is
refused in one sentence and not kept) and again, from the text kept in the database, each time
its preview is shown and when it is confirmed, so that the preview always matches what will be
saved. Confirming saves every row in one transaction, or none.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from app.content.model import FrameworkContent
from app.content.synonyms import SOURCE_SYNONYMS, THEME_SYNONYMS
from app.db import atomic
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.models.chronology import ChronologyEntry, ChronologyImport
from app.models.family import Family
from app.security.spreadsheet import neutralise_joined, restore, starts_like_formula
from app.services import audit, chronology
from app.services.chronology import (
    CheckedEntry,
    DateProblem,
    EntryDetails,
    check_entry,
    describe_event_date,
    parse_date_text,
)
from app.services.errors import Conflict, InvalidInput, NotFound
from app.summary import turns

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
TOO_LARGE = (
    "The file is larger than 2 MB: split it into smaller files and import each one. "
    "Nothing was saved."
)
LIST_SEPARATOR = re.compile(r"\s*[;|\n]\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("date", "Date", True, ("event date", "date of event", "occurred on")),
    Column("date_precision", "Date precision", False, ("precision", "how exact")),
    Column("source", "Source", True, ("information source", "source of information")),
    Column("source_detail", "Source details", False, ("source detail", "reference")),
    Column(
        "what_happened",
        "What happened",
        True,
        ("event", "description", "details", "summary", "what happened?"),
    ),
    Column("who_was_involved", "Who was involved", False, ("who", "people involved")),
    Column("children", "Children", False, ("child", "children concerned", "which children")),
    Column("impact_on_child", "Impact on the child", False, ("impact", "impact on child")),
    Column("response", "Response", False, ("action", "action taken")),
    Column("outcome", "Outcome", False, ()),
    Column("themes", "Themes", False, ("theme",)),
    Column("significance", "Significance", True, ("rag", "rating", "rag rating")),
    Column("parents_comments", "Parents' comments", False, ("parents comments", "parent comments")),
    Column(
        "third_party", "Third-party information", False, ("third party", "third-party", "3rd party")
    ),
)
HEADERS = [column.header for column in COLUMNS]
# Keyed as _key compares them.
PRECISION_WORDS = {
    "day": "day",
    "exact": "day",
    "exact date": "day",
    "month": "month",
    "year": "year",
    "approximate": "approximate",
    "approx": "approximate",
    "about": "approximate",
    "approximate year": "approximate_year",
    "about a year": "approximate_year",
}
REQUIRED_MESSAGES = {
    "date": "Date: Enter the date",
    "source": "Source: Enter where the information came from",
    "what_happened": "What happened: Enter what happened",
    "significance": "Significance: Enter how significant the event is",
}
# The column a validation problem of the entry belongs to.
FIELD_COLUMNS = {
    "occurred_on": "Date",
    "date_precision": "Date precision",
    "source_id": "Source",
    "source_detail": "Source details",
}
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0", ""}


class FileRefused(Exception):
    """A file that cannot be a chronology at all; the message is one sentence."""


def _key(text: str) -> str:
    """A name compared loosely: any case, accents and apostrophes dropped, punctuation as spaces,
    "&" as "and", in any script."""
    plain = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    plain = plain.replace("’", "").replace("'", "").replace("&", " and ")
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


_FILLER = frozenset({"a", "an", "and", "the", "of", "or"})


def _loose(text: str) -> str:
    """A name compared more loosely still: small words dropped and plurals made singular, so
    "Drug & alcohol service" finds "Drug and alcohol services"."""
    words = [word for word in _key(text).split() if word not in _FILLER]
    return " ".join(
        word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word
        for word in words
    )


_HEADER_KEYS: dict[str, str] = {
    _key(name): column.key
    for column in COLUMNS
    for name in (column.header, column.key, *column.aliases)
}


# Reading an upload ---------------------------------------------------------------------------


def decode(data: bytes) -> str:
    """The text of an uploaded file, or FileRefused."""
    if not data.strip():
        raise FileRefused("The file is empty: choose the CSV file with your chronology in it.")
    if len(data) > MAX_BYTES:
        raise FileRefused(TOO_LARGE)
    binary = (
        "The file is not a CSV text file (it contains binary data): save it from your "
        "spreadsheet as ‘CSV UTF-8’ and try again."
    )
    if b"\x00" in data:
        raise FileRefused(binary)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            # Excel's plain "CSV" in the UK is Windows-1252.
            text = data.decode("cp1252")
        except UnicodeDecodeError:
            raise FileRefused(binary) from None
    if _CONTROL.search(text):
        raise FileRefused(binary)
    return text


@dataclass
class PreviewRow:
    """A row of the file as it will be saved, with what is wrong with it."""

    line: int
    shown: dict[str, str]
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    checked: CheckedEntry | None = None


@dataclass
class Preview:
    rows: list[PreviewRow]
    columns: list[str]

    @property
    def ready(self) -> int:
        return sum(1 for row in self.rows if not row.errors)

    @property
    def with_errors(self) -> int:
        return sum(1 for row in self.rows if row.errors)

    @property
    def can_import(self) -> bool:
        return bool(self.rows) and not self.with_errors


class _Lookup:
    """Names a file may use for content items: ids, labels and the usual other names (see
    app.content.synonyms), compared loosely; for a name it does not know, the closest one."""

    def __init__(
        self,
        items: Mapping[str, str],
        synonyms: Mapping[str, tuple[str, ...]] | None = None,
        extra: Mapping[str, str] | None = None,
    ) -> None:
        self.labels = dict(items)
        self.by_name: dict[str, str] = {}
        self.by_loose: dict[str, str] = {}
        names = [(name, item_id) for item_id, label in items.items() for name in (item_id, label)]
        names += [
            (name, item_id)
            for item_id, others in (synonyms or {}).items()
            if item_id in items
            for name in others
        ]
        names += list((extra or {}).items())
        for name, item_id in names:
            self.by_name.setdefault(_key(name), item_id)
            self.by_loose.setdefault(_loose(name), item_id)

    def find(self, name: str) -> str | None:
        return self.by_name.get(_key(name)) or self.by_loose.get(_loose(name))

    def suggest(self, name: str) -> str | None:
        """The label of the item whose name is closest to `name`, if one is close."""
        close = difflib.get_close_matches(_loose(name), list(self.by_loose), n=1, cutoff=0.75)
        return self.labels[self.by_loose[close[0]]] if close else None

    def unknown(self, column: str, name: str, what: str) -> str:
        """The problem with a name this does not know, with a "did you mean" if one is close."""
        close = self.suggest(name)
        if close:
            return f"{column}: ‘{name}’ is not {what} we know: did you mean ‘{close}’?"
        return f"{column}: ‘{name}’ is not {what} we know (see the guide)"


class _Children:
    """The family's children by full name, or by first name when no other child has it."""

    def __init__(self, children: Mapping[uuid.UUID, str]) -> None:
        self.names = dict(children)
        self.by_key: dict[str, list[uuid.UUID]] = {}
        self.by_first: dict[str, list[uuid.UUID]] = {}
        for child_id, name in children.items():
            key = _key(name)
            self.by_key.setdefault(key, []).append(child_id)
            if key:
                self.by_first.setdefault(key.split()[0], []).append(child_id)

    def find(self, name: str) -> tuple[uuid.UUID | None, str | None]:
        """The child `name` means, or the problem when it could be more than one."""
        exact = [child_id for child_id, known in self.names.items() if known == name]
        key = _key(name)
        loose = (self.by_key.get(key, []), self.by_first.get(key, [])) if key else ()
        for found in (exact, *loose):
            if len(found) == 1:
                return found[0], None
            if len(found) > 1:
                names = [self.names[child_id] for child_id in found]
                if len(set(names)) < len(names):
                    return None, (
                        f"Children: two children in this family are called ‘{name}’: change "
                        "one of their names in the family's details, or leave this cell empty"
                    )
                return None, (
                    f"Children: more than one child in this family is called ‘{name}’: write "
                    f"the full name ({_quoted(names, 'or')})"
                )
        return None, None

    def suggest(self, name: str) -> str | None:
        """A child whose full or first name is close to `name`."""
        candidates = {_key(known): known for known in self.names.values()}
        candidates.update({key.split()[0]: known for key, known in list(candidates.items()) if key})
        close = difflib.get_close_matches(_key(name), list(candidates), n=1, cutoff=0.75)
        return candidates[close[0]] if close else None


def preview(text: str, *, content: FrameworkContent, children: Mapping[uuid.UUID, str]) -> Preview:
    """Read the file's rows as they would be saved, each with its problems; FileRefused when
    the file as a whole cannot be read as a chronology."""
    reader = _reader(text)
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise FileRefused("The file is empty: its first row must be the column headings.")
        keys = _header_keys(header)
        raw_rows: list[tuple[int, list[str]]] = []
        # Numbered as a spreadsheet numbers its rows (the headings are row 1), so that a
        # problem can be found in the file; a cell with line breaks is still one row.
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue
            if len(raw_rows) == MAX_ROWS:
                raise FileRefused(
                    f"The file has more than {MAX_ROWS:,} rows: split it into smaller files "
                    "and import each one. Nothing was saved."
                )
            raw_rows.append((number, cells))
    except csv.Error as error:
        raise FileRefused(
            f"The file could not be read as CSV ({error}, near line {reader.line_num}): "
            "save it from your spreadsheet as ‘CSV UTF-8’ and try again."
        ) from None
    sources = _Lookup(chronology.sources(content), SOURCE_SYNONYMS)
    themes = _Lookup(chronology.themes(content), THEME_SYNONYMS)
    # A grade's first word works too ("Red" for "Red, serious"), as do its colour names.
    grades = _Lookup(
        chronology.grades(content),
        extra={
            word: grade.id
            for grade in content.chronology.significance
            for word in (grade.label.split(",")[0], grade.colour)
        },
    )
    names = _Names(content, sources, themes, grades, _Children(children))
    rows = [_read_row(line, cells, keys, names) for line, cells in raw_rows]
    return Preview(rows=rows, columns=[column.header for column in COLUMNS if column.key in keys])


def _reader(text: str) -> Any:
    first_line = text.split("\n", 1)[0]
    delimiter = ","
    if "," not in first_line:
        for candidate in (";", "\t"):
            if candidate in first_line:
                delimiter = candidate
                break
    return csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)


def _header_keys(header: list[str]) -> list[str]:
    keys: list[str] = []
    unknown: list[str] = []
    for cell in header:
        name = cell.strip()
        key = _HEADER_KEYS.get(_key(name))
        if key is None:
            if name:
                unknown.append(name)
            keys.append("")
            continue
        if key in keys:
            raise FileRefused(f"The column ‘{name}’ appears twice in the first row: keep one.")
        keys.append(key)
    if not any(keys):
        shown = ", ".join(cell.strip() for cell in header if cell.strip())[:120]
        raise FileRefused(
            "The first row must be the column headings (Date, Source, What happened, "
            f"Significance and any others from the guide), but it is ‘{shown}’."
        )
    if unknown:
        raise FileRefused(
            f"The column {_quoted(unknown)} is not one we know: rename or remove it (the "
            "guide lists the columns)."
        )
    missing = [column.header for column in COLUMNS if column.required and column.key not in keys]
    if missing:
        raise FileRefused(
            f"The file has no {_quoted(missing)} column: add it and try again (the guide lists "
            "the columns)."
        )
    return keys


def _quoted(names: list[str], joiner: str = "and") -> str:
    quoted = [f"‘{name}’" for name in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + f" {joiner} " + quoted[-1]


@dataclass(frozen=True)
class _Names:
    """What a row's names are looked up in."""

    content: FrameworkContent
    sources: _Lookup
    themes: _Lookup
    grades: _Lookup
    children: _Children


def _read_row(line: int, cells: list[str], keys: list[str], names: _Names) -> PreviewRow:
    row = PreviewRow(line=line, shown={})
    extra = [cell for cell in cells[len(keys) :] if cell.strip()]
    if extra:
        row.errors.append(
            f"This row has {len(cells)} cells but there are {len(keys)} column headings: "
            "check for a stray comma or an unquoted cell"
        )
    values = {key: restore(cell.strip()) for key, cell in zip(keys, cells, strict=False) if key}
    labels = {column.key: column.header for column in COLUMNS}
    for key, value in values.items():
        if starts_like_formula(value):
            row.notes.append(
                f"{labels[key]} starts with ‘{value[0]}’: it is saved as text, never run as a "
                "formula"
            )
    occurred_on, precision = _row_date(values, row)
    source_id = names.sources.find(values.get("source", "")) or ""
    if values.get("source") and not source_id:
        row.errors.append(names.sources.unknown("Source", values["source"], "a source"))
    grade = names.grades.find(values.get("significance", "")) or ""
    if values.get("significance") and not grade:
        row.errors.append(
            f"Significance: ‘{values['significance']}’ is not one of "
            + ", ".join(names.grades.labels.values())
        )
    theme_ids: list[str] = []
    for name in _split(values.get("themes", "")):
        found = names.themes.find(name)
        if found:
            theme_ids.append(found)
        else:
            row.errors.append(names.themes.unknown("Themes", name, "a theme"))
    child_list, others = _row_children(values.get("children", ""), names.children, row)
    who = values.get("who_was_involved", "")
    if others:
        who = "; ".join([who, *others] if who else others)
    third = values.get("third_party", "").strip().lower()
    if third not in YES | NO:
        row.errors.append(f"Third-party information: ‘{values['third_party']}’ is not yes or no")

    details = EntryDetails(
        occurred_on=occurred_on,
        date_precision=precision,
        source_id=source_id,
        source_detail=values.get("source_detail") or None,
        what_happened=values.get("what_happened", ""),
        who_was_involved=who or None,
        impact_on_child=values.get("impact_on_child") or None,
        response=values.get("response") or None,
        outcome=values.get("outcome") or None,
        theme_ids=tuple(theme_ids),
        significance=grade,
        parents_comments=values.get("parents_comments") or None,
        third_party=third in YES,
        child_ids=tuple(child_list),
    )
    _check(row, values, details, names)
    row.shown = {
        "Date": describe_event_date(occurred_on, precision)
        if occurred_on and precision in chronology.DATE_PRECISIONS
        else values.get("date", ""),
        "Source": names.sources.labels.get(source_id, values.get("source", "")),
        "Source details": values.get("source_detail", ""),
        "What happened": values.get("what_happened", ""),
        "Who was involved": who,
        "Children": ", ".join(names.children.names[child] for child in child_list),
        "Impact on the child": values.get("impact_on_child", ""),
        "Response": values.get("response", ""),
        "Outcome": values.get("outcome", ""),
        "Themes": "; ".join(names.themes.labels[theme] for theme in theme_ids),
        "Significance": names.grades.labels.get(grade, values.get("significance", "")),
        "Parents' comments": values.get("parents_comments", ""),
        "Third-party information": "Yes" if third in YES else "No",
    }
    return row


def _row_date(values: Mapping[str, str], row: PreviewRow) -> tuple[date | None, str]:
    """The row's date and how exact it is: as written, unless the precision column says."""
    occurred_on = None
    written = ""
    try:
        occurred_on, written = parse_date_text(values.get("date", ""))
    except DateProblem as problem:
        row.errors.append(f"Date: {problem}")
    precision = written
    precision_text = values.get("date_precision", "")
    if precision_text.strip():
        said = PRECISION_WORDS.get(_key(precision_text))
        if said is None:
            row.errors.append(
                f"Date precision: ‘{precision_text}’ is not one of day, month, year or approximate"
            )
        elif said == "approximate" and written in {"year", "approximate_year"}:
            # "2022" said to be approximate is about the year, not about its January.
            precision = "approximate_year"
        else:
            precision = said
    return occurred_on, precision


def _row_children(
    cell: str, children: _Children, row: PreviewRow
) -> tuple[list[uuid.UUID], list[str]]:
    """The family's children a Children cell names, and the other children it names (a
    brother or sister outside the family, kept under who was involved)."""
    found: list[uuid.UUID] = []
    others: list[str] = []
    for name in _split(cell):
        child_id, problem = children.find(name)
        if problem:
            row.errors.append(problem)
            continue
        if child_id is not None:
            if child_id not in found:
                found.append(child_id)
            continue
        close = children.suggest(name)
        # "Name (half-sister)" says the person is someone else, however close the name.
        if close and "(" not in name:
            row.errors.append(
                f"Children: ‘{name}’ is not a child in this family: did you mean ‘{close}’? "
                "(Write a child outside the family as, for example, ‘Tom (half-brother)’.)"
            )
            continue
        others.append(name)
        row.notes.append(
            f"Children: ‘{name}’ is not a child in this family's record, so is kept under "
            "‘Who was involved’"
        )
    return found, others


def _check(
    row: PreviewRow, values: Mapping[str, str], details: EntryDetails, names: _Names
) -> None:
    """Every problem the entry itself has, beside those already found reading the row."""
    for key, message in REQUIRED_MESSAGES.items():
        if not values.get(key, "").strip() and key != "date":
            row.errors.append(message)
    try:
        row.checked = check_entry(names.content, names.children.names, details)
    except InvalidInput as problem:
        reported = {message.split(":")[0] for message in row.errors}
        for name, message in problem.errors.items():
            column = FIELD_COLUMNS.get(name, chronology.FIELD_LABELS.get(name, name))
            if column == "Date precision" and "Date" in reported:
                continue
            if column not in reported:
                row.errors.append(f"{column}: {message}")
    if row.errors:
        row.checked = None


def _split(cell: str) -> list[str]:
    """The values of a list cell, each neutralised on its own by the export."""
    return [restore(part) for part in LIST_SEPARATOR.split(cell.strip()) if part]


# Imports kept until confirmed ----------------------------------------------------------------


def start_import(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    filename: str,
    data: bytes,
) -> ChronologyImport:
    """Keep an uploaded file for its preview, or refuse it (FileRefused) keeping nothing."""
    assert actor.user_id is not None
    chronology.check_can_add(session, family, content)
    text = decode(data)
    preview(text, content=content, children=chronology.child_names(session, family))
    record = ChronologyImport(
        family_id=family.id,
        uploaded_by_id=actor.user_id,
        filename=_CONTROL.sub("", filename.replace("\\", "/").rsplit("/", 1)[-1])[:255]
        or "chronology.csv",
        csv_text=text,
    )
    session.add(record)
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="chronology_import",
        entity_id=record.id,
        family_id=family.id,
        details={"filename": record.filename, "bytes": len(data)},
    )
    return record


def get_import(
    session: Session, *, actor: audit.Actor, family: Family, import_id: uuid.UUID
) -> ChronologyImport:
    """An import of this family's, seen only by the person who uploaded it."""
    record = session.get(ChronologyImport, import_id)
    if record is None or record.family_id != family.id or record.uploaded_by_id != actor.user_id:
        raise NotFound("There is no import of yours at this address.")
    return record


@atomic
def confirm_import(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    record: ChronologyImport,
) -> int:
    """Save every row of the import in one transaction; refuse if any row has a problem or
    the import was already finished (Conflict)."""
    assert actor.user_id is not None
    if record.status != "pending":
        raise Conflict("This import has already been finished.")
    chronology.check_can_add(session, family, content)
    result = preview(
        record.csv_text, content=content, children=chronology.child_names(session, family)
    )
    if not result.can_import:
        raise InvalidInput(
            {"file": "Fix the rows with problems in your file, then upload it again"}
        )
    # Claiming the import in the same transaction as the rows: two confirmations racing
    # each other cannot both save them.
    claimed = session.execute(
        update(ChronologyImport)
        .where(col(ChronologyImport.id) == record.id, col(ChronologyImport.status) == "pending")
        .values(status="imported", finished_at=utcnow(), imported_count=len(result.rows))
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("This import has already been finished.")
    count = chronology.insert_entries(
        session,
        family=family,
        author_id=actor.user_id,
        entries=[row.checked for row in result.rows if row.checked is not None],
    )
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type="chronology_import",
        entity_id=record.id,
        family_id=family.id,
        details={"entries_imported": count, "filename": record.filename},
    )
    session.refresh(record)
    return count


def discard_import(
    session: Session, *, actor: audit.Actor, family: Family, record: ChronologyImport
) -> None:
    """Throw an unconfirmed import away, with the file's text."""
    if record.status != "pending":
        return
    session.execute(
        update(ChronologyImport)
        .where(col(ChronologyImport.id) == record.id, col(ChronologyImport.status) == "pending")
        .values(status="discarded", finished_at=utcnow(), csv_text="")
    )
    audit.record(
        session,
        actor,
        AuditAction.DELETE,
        entity_type="chronology_import",
        entity_id=record.id,
        family_id=family.id,
    )
    session.refresh(record)


# Export --------------------------------------------------------------------------------------


EXPORTED = (
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
)


def _date_cell(day: date, precision: str) -> str:
    if precision == "year":
        return f"{day.year}"
    if precision == "month":
        return f"{day:%m/%Y}"
    if precision == "approximate":
        return f"about {day:%m/%Y}"
    if precision == "approximate_year":
        return f"about {day.year}"
    return f"{day:%d/%m/%Y}"


# In the process's turn for exports, from the page and the API alike: 16 exports of 5,000
# entries at once held 450 MiB.
@turns.turn()
def export_csv(session: Session, *, family: Family, content: FrameworkContent) -> str:
    """The family's entries, oldest first, in the import's columns, safe to open in a
    spreadsheet (a BOM so that Excel reads UTF-8; formula-like cells neutralised)."""
    # Plain rows rather than ORM objects: an export reads every entry.
    columns = [col(getattr(ChronologyEntry, name)) for name in EXPORTED]
    rows: Sequence[Any] = session.exec(
        select(col(ChronologyEntry.id), *columns)
        .where(
            col(ChronologyEntry.family_id) == family.id,
            col(ChronologyEntry.deleted_at).is_(None),
        )
        .order_by(col(ChronologyEntry.occurred_on), col(ChronologyEntry.created_at))
    ).all()
    links = chronology.entry_links(session, [row[0] for row in rows])
    names = chronology.child_names(session, family)
    source_labels = chronology.sources(content)
    theme_labels = chronology.themes(content)
    grade_labels = chronology.grades(content)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADERS)
    for entry_id, *values in rows:
        entry = dict(zip(EXPORTED, values, strict=True))
        # Each cell as its values: the children and themes cells join several, and each value
        # is neutralised on its own.
        cells: list[list[str]] = [
            [_date_cell(entry["occurred_on"], entry["date_precision"])],
            [entry["date_precision"]],
            [source_labels.get(entry["source_id"], entry["source_id"])],
            [entry["source_detail"] or ""],
            [entry["what_happened"]],
            [entry["who_was_involved"] or ""],
            [name for child, name in names.items() if child in links.children[entry_id]],
            [entry["impact_on_child"] or ""],
            [entry["response"] or ""],
            [entry["outcome"] or ""],
            [
                theme_labels.get(theme, theme)
                for theme in chronology.in_content_order(links.themes[entry_id], theme_labels)
            ],
            [grade_labels.get(entry["significance"], entry["significance"])],
            [entry["parents_comments"] or ""],
            ["yes" if entry["third_party"] else "no"],
        ]
        writer.writerow([neutralise_joined(values) for values in cells])
    return "\ufeff" + out.getvalue()
