"""Chronology entries: adding, changing and deleting them (versioned, audited), and the
filtered, sorted, paginated list, worked out by the database."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Integer,
    String,
    Uuid,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    union_all,
)
from sqlalchemy import select as select_rows
from sqlmodel import Session, col, select

from app.content.journey import shape
from app.content.model import FrameworkContent
from app.models.audit import AuditAction
from app.models.base import utcnow
from app.models.chronology import (
    ChronologyComment,
    ChronologyEntry,
    ChronologyEntryChild,
    ChronologyEntryTheme,
)
from app.models.family import Child, Family
from app.services import audit, families, progress
from app.services.errors import Conflict, NotFound
from app.services.locking import check_version, saving
from app.services.paging import page_count
from app.services.records import (
    CONFLICT_MESSAGE,
    LIKE_ESCAPE,
    Problems,
    contains_pattern,
    soft_delete,
)
from app.timeutil import describe_date, london_today

ENTITY = "chronology_entry"
EARLIEST_YEAR = 1900
LONG_TEXT = 10000
DATE_PRECISIONS: dict[str, str] = {
    "day": "Exact date",
    "month": "Month and year only",
    "year": "Year only",
    "approximate": "Approximate (around the month given)",
    "approximate_year": "Approximate (around the year given)",
}
TEXT_FIELDS: dict[str, tuple[str, int]] = {
    # field: (label used in messages, longest allowed)
    "source_detail": ("the details of the source", 300),
    "who_was_involved": ("who was involved", 2000),
    "impact_on_child": ("the impact on the child", LONG_TEXT),
    "response": ("the response", LONG_TEXT),
    "outcome": ("the outcome", LONG_TEXT),
    "parents_comments": ("the parents' comments", LONG_TEXT),
}
FIELD_LABELS: dict[str, str] = {
    "occurred_on": "Date",
    "date_precision": "How exact the date is",
    "source_id": "Source",
    "source_detail": "Source details",
    "what_happened": "What happened",
    "who_was_involved": "Who was involved",
    "children": "Children",
    "impact_on_child": "Impact on the child",
    "response": "Response",
    "outcome": "Outcome",
    "themes": "Themes",
    "significance": "Significance",
    "parents_comments": "Parents' comments",
    "third_party": "Third-party information",
}


# Dates ---------------------------------------------------------------------------------------


def normalise_date(day: date, precision: str) -> date:
    """The date stored for `precision`: the 1st of the month, or 1 January, when vaguer."""
    if precision in {"month", "approximate"}:
        return day.replace(day=1)
    if precision in {"year", "approximate_year"}:
        return day.replace(month=1, day=1)
    return day


def describe_event_date(day: date, precision: str) -> str:
    """‘3 March 2024’, ‘March 2024’, ‘2024’, ‘About March 2024’ or ‘About 2024’."""
    return describe_date(day, precision)


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_APPROXIMATE = re.compile(r"^(?:about|around|approx\.?|approximately|circa|c\.|c|~)\s*", re.I)
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_MONTH_YEAR = re.compile(r"^(\d{1,2})[/.\-](\d{4})$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_WORDS = re.compile(r"^(?:(\d{1,2})(?:st|nd|rd|th)?\s+)?([a-z]+)\.?,?\s+(\d{4})$", re.I)
_TIME = re.compile(r"[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*[ap]m)?$", re.I)


class DateProblem(ValueError):
    """A date that cannot be read; the message says what to do."""


def parse_date_text(text: str) -> tuple[date, str]:
    """Read a date the way UK case systems and spreadsheets write it (day first), with the
    precision the writing shows: ‘03/04/2024’ (3 April 2024), ‘2024-04-03’, ‘3 Apr 2024’,
    ‘April 2024’, ‘04/2024’, ‘2024’, ‘about 2019’ (about a year, not about its January). A
    time after the date is ignored."""
    raw = " ".join(text.strip().split())
    if not raw:
        raise DateProblem("Enter the date")
    approximate = bool(_APPROXIMATE.match(raw))
    body = _TIME.sub("", _APPROXIMATE.sub("", raw)).strip()
    day, precision = _read_date(body, raw)
    if approximate:
        precision = "approximate_year" if precision == "year" else "approximate"
    return normalise_date(day, precision), precision


def _read_date(body: str, raw: str) -> tuple[date, str]:
    if match := _NUMERIC.match(body):
        first, second, year_text = match.groups()
        year = _full_year(year_text)
        if int(second) > 12 and int(first) <= 12:
            raise DateProblem(
                f"‘{raw}’ has no month {int(second)}: write dates day first, like 03/04/2024 "
                "for 3 April 2024"
            )
        return _make(year, int(second), int(first), raw), "day"
    if match := _ISO.match(body):
        year, month, day = (int(part) for part in match.groups())
        return _make(year, month, day, raw), "day"
    if match := _MONTH_YEAR.match(body):
        month, year = (int(part) for part in match.groups())
        return _make(year, month, 1, raw), "month"
    if match := _ISO_MONTH.match(body):
        year, month = (int(part) for part in match.groups())
        return _make(year, month, 1, raw), "month"
    if re.fullmatch(r"\d{4}", body):
        return _make(int(body), 1, 1, raw), "year"
    if match := _WORDS.match(body):
        day_text, month_name, year_text = match.groups()
        named = _MONTHS.get(month_name.lower())
        if named is None:
            raise DateProblem(f"‘{raw}’ is not a date: ‘{month_name}’ is not a month")
        if day_text:
            return _make(int(year_text), named, int(day_text), raw), "day"
        return _make(int(year_text), named, 1, raw), "month"
    raise DateProblem(
        f"‘{raw}’ is not a date we can read: use day/month/year, like 03/04/2024, or a "
        "month and year, like April 2024"
    )


def _full_year(text: str) -> int:
    if len(text) == 4:
        return int(text)
    # Two-digit years: this century unless that would be in the future.
    year = 2000 + int(text)
    return year if year <= london_today().year else year - 100


def _make(year: int, month: int, day: int, raw: str) -> date:
    try:
        value = date(year, month, day)
    except (ValueError, OverflowError):  # date() overflows on a year like 10**30
        raise DateProblem(f"‘{raw}’ is not a real date") from None
    check_event_date(value, raw=raw)
    return value


def check_event_date(value: date, *, raw: str | None = None) -> None:
    what = f"‘{raw}’" if raw else "The date"
    if value.year < EARLIEST_YEAR:
        raise DateProblem(f"{what} is before {EARLIEST_YEAR}: check the year")
    if value > london_today():
        raise DateProblem(f"{what} is in the future: the chronology records what has happened")


# Entries -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EntryDetails:
    """What a person (or a row of an import) says about an event."""

    occurred_on: date | None
    date_precision: str
    source_id: str
    what_happened: str
    significance: str
    source_detail: str | None = None
    who_was_involved: str | None = None
    impact_on_child: str | None = None
    response: str | None = None
    outcome: str | None = None
    parents_comments: str | None = None
    theme_ids: tuple[str, ...] = ()
    child_ids: tuple[uuid.UUID, ...] = ()
    third_party: bool = False


@dataclass(frozen=True)
class CheckedEntry:
    """An entry's values, validated: the columns, its themes and its children."""

    values: dict[str, Any]
    theme_ids: tuple[str, ...]
    child_ids: tuple[uuid.UUID, ...]


def sources(content: FrameworkContent) -> dict[str, str]:
    return {item.id: item.label for item in content.chronology.information_sources}


def themes(content: FrameworkContent) -> dict[str, str]:
    return {item.id: item.label for item in content.chronology.themes}


def grades(content: FrameworkContent) -> dict[str, str]:
    return {item.id: item.label for item in content.chronology.significance}


def check_entry(
    content: FrameworkContent, family_children: Iterable[uuid.UUID], details: EntryDetails
) -> CheckedEntry:
    """Validate an entry against the family's content and children; raise InvalidInput with
    every problem at once."""
    problems = Problems()
    occurred_on = details.occurred_on
    precision = details.date_precision
    if precision not in DATE_PRECISIONS:
        problems.add("date_precision", "Select how exact the date is")
    if occurred_on is None:
        problems.add("occurred_on", "Enter the date of the event")
    else:
        try:
            check_event_date(occurred_on)
        except DateProblem as problem:
            problems.add("occurred_on", str(problem))
        if precision in DATE_PRECISIONS:
            occurred_on = normalise_date(occurred_on, precision)
    problems.choice(
        "source_id",
        details.source_id,
        sources(content),
        missing="Select where the information came from",
    )
    what = problems.text(
        "what_happened",
        details.what_happened,
        label="what happened",
        max_length=LONG_TEXT,
        missing="Enter what happened",
    )
    texts = {
        name: problems.text(
            name, getattr(details, name), label=label, max_length=limit, required=False
        )
        for name, (label, limit) in TEXT_FIELDS.items()
    }
    problems.choice(
        "significance",
        details.significance,
        grades(content),
        missing="Select how significant the event is",
    )
    known_themes = themes(content)
    unknown = [theme for theme in details.theme_ids if theme not in known_themes]
    if unknown:
        problems.add("themes", "Select themes from the list")
    allowed = set(family_children)
    if any(child not in allowed for child in details.child_ids):
        problems.add("children", "Select children from this family")
    problems.raise_if_any()
    return CheckedEntry(
        values={
            "occurred_on": occurred_on,
            "date_precision": precision,
            "source_id": details.source_id,
            "what_happened": what,
            "significance": details.significance,
            "third_party": details.third_party,
            **texts,
        },
        # Content order, no repeats, so that comparisons and displays are stable.
        theme_ids=tuple(theme for theme in known_themes if theme in set(details.theme_ids)),
        child_ids=tuple(sorted(set(details.child_ids), key=str)),
    )


def family_child_ids(session: Session, family: Family) -> list[uuid.UUID]:
    return list(
        session.exec(
            select(col(Child.id)).where(
                col(Child.family_id) == family.id, col(Child.deleted_at).is_(None)
            )
        ).all()
    )


def get_entry(session: Session, family: Family, entry_id: uuid.UUID) -> ChronologyEntry:
    entry = session.get(ChronologyEntry, entry_id)
    if entry is None or entry.family_id != family.id or entry.deleted_at is not None:
        raise NotFound("There is no such chronology entry in this family's record.")
    return entry


class EntryLinks(NamedTuple):
    """Each entry's themes and children, and (when asked for) how many comments it has."""

    themes: dict[uuid.UUID, list[str]]
    children: dict[uuid.UUID, list[uuid.UUID]]
    comments: dict[uuid.UUID, int]


# The links' statements, built once (as the task state's are): one round trip for an entry's
# themes, children and comments instead of three. Rows: (kind, entry, theme, child, count).
_ENTRY_IDS: BindParameter[uuid.UUID] = bindparam("entry_ids", expanding=True)
_THEMES_AND_CHILDREN = (
    select_rows(
        literal("theme"),
        col(ChronologyEntryTheme.entry_id),
        col(ChronologyEntryTheme.theme_id),
        cast(null(), Uuid),
        cast(null(), Integer),
    ).where(col(ChronologyEntryTheme.entry_id).in_(_ENTRY_IDS)),
    select_rows(
        literal("child"),
        col(ChronologyEntryChild.entry_id),
        cast(null(), String),
        col(ChronologyEntryChild.child_id),
        cast(null(), Integer),
    ).where(col(ChronologyEntryChild.entry_id).in_(_ENTRY_IDS)),
)
_LINKS = union_all(*_THEMES_AND_CHILDREN)
_LINKS_AND_COMMENTS = union_all(
    *_THEMES_AND_CHILDREN,
    select_rows(
        literal("comments"),
        col(ChronologyComment.entry_id),
        cast(null(), String),
        cast(null(), Uuid),
        func.count(),
    )
    .where(col(ChronologyComment.entry_id).in_(_ENTRY_IDS))
    .group_by(col(ChronologyComment.entry_id)),
)


def entry_links(
    session: Session, entry_ids: Sequence[uuid.UUID], *, comments: bool = False
) -> EntryLinks:
    """The themes and children of each entry, and with `comments` how many comments each has,
    in one statement."""
    links = EntryLinks(
        {entry_id: [] for entry_id in entry_ids}, {entry_id: [] for entry_id in entry_ids}, {}
    )
    if not entry_ids:
        return links
    statement = _LINKS_AND_COMMENTS if comments else _LINKS
    for kind, entry_id, theme_id, child_id, count in session.execute(
        statement, {"entry_ids": list(entry_ids)}
    ):
        if kind == "theme":
            links.themes[entry_id].append(theme_id)
        elif kind == "child":
            links.children[entry_id].append(child_id)
        else:
            links.comments[entry_id] = count
    return links


def section_id(content: FrameworkContent) -> str | None:
    """The chronology's task in the content's task list, if it has one."""
    return next(
        (
            section.id
            for stage in content.stages
            for section in stage.sections
            if section.kind == "chronology"
        ),
        None,
    )


def prerequisite_forms(content: FrameworkContent) -> list[str]:
    """The forms the chronology waits for (identification), in the task list's order."""
    task = section_id(content)
    journey = shape(content)
    waits = journey.prerequisites.get(task, frozenset()) if task else frozenset()
    return [
        sid for sid in journey.order if sid in waits and journey.section(sid).kind == "questions"
    ]


def family_total(session: Session, family: Family) -> int:
    """How many entries the family's chronology holds (deleted ones aside)."""
    return session.exec(
        select(func.count())
        .select_from(ChronologyEntry)
        .where(
            col(ChronologyEntry.family_id) == family.id,
            col(ChronologyEntry.deleted_at).is_(None),
        )
    ).one()


def cannot_add(session: Session, family: Family, content: FrameworkContent) -> str | None:
    """Why nothing can be added to the chronology yet (its task says "Cannot start yet"),
    or None when entries can be added."""
    task = section_id(content)
    if task is None:
        return None
    return progress.cannot_start(session, family, content, task, 0, doing="added to")


def check_can_add(session: Session, family: Family, content: FrameworkContent) -> None:
    """Refuse (Conflict) to add to a chronology whose task cannot start yet: pages, imports
    and the API all add through here."""
    reason = cannot_add(session, family, content)
    if reason:
        raise Conflict(reason)


def add_entry(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    details: EntryDetails,
) -> ChronologyEntry:
    """Add an entry to the family's chronology."""
    assert actor.user_id is not None
    check_can_add(session, family, content)
    checked = check_entry(content, family_child_ids(session, family), details)
    entry = ChronologyEntry(family_id=family.id, author_id=actor.user_id, **checked.values)
    session.add(entry)
    session.flush()
    _write_links(session, entry.id, checked)
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        entity_type=ENTITY,
        entity_id=entry.id,
        family_id=family.id,
        details=audit.changes({}, _comparable(checked)),
    )
    return entry


def insert_entries(
    session: Session, *, family: Family, author_id: uuid.UUID, entries: Sequence[CheckedEntry]
) -> int:
    """Add many checked entries in the caller's transaction (an import); nothing commits."""
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "family_id": family.id,
            "author_id": author_id,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            **checked.values,
        }
        for checked in entries
    ]
    if not rows:
        return 0
    session.execute(insert(ChronologyEntry), rows)
    themes_rows = [
        {"entry_id": row["id"], "theme_id": theme}
        for row, checked in zip(rows, entries, strict=True)
        for theme in checked.theme_ids
    ]
    child_rows = [
        {"entry_id": row["id"], "child_id": child}
        for row, checked in zip(rows, entries, strict=True)
        for child in checked.child_ids
    ]
    if themes_rows:
        session.execute(insert(ChronologyEntryTheme), themes_rows)
    if child_rows:
        session.execute(insert(ChronologyEntryChild), child_rows)
    return len(rows)


def update_entry(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    content: FrameworkContent,
    entry: ChronologyEntry,
    details: EntryDetails,
    expected_version: int,
) -> ChronologyEntry:
    """Save changes to an entry if nobody saved since `expected_version`; else Conflict."""
    checked = check_entry(content, family_child_ids(session, family), details)
    links = entry_links(session, [entry.id])
    before = _comparable(
        CheckedEntry(
            values={name: getattr(entry, name) for name in checked.values},
            theme_ids=tuple(links.themes[entry.id]),
            child_ids=tuple(links.children[entry.id]),
        )
    )
    difference = audit.changes(before, _comparable(checked))
    check_version(entry, expected_version, CONFLICT_MESSAGE)
    if not difference:
        return entry
    with saving(session, entry, CONFLICT_MESSAGE):
        for name, value in checked.values.items():
            setattr(entry, name, value)
        entry.updated_at = utcnow()
        session.flush()
        session.execute(
            delete(ChronologyEntryTheme).where(col(ChronologyEntryTheme.entry_id) == entry.id)
        )
        session.execute(
            delete(ChronologyEntryChild).where(col(ChronologyEntryChild.entry_id) == entry.id)
        )
        _write_links(session, entry.id, checked)
        audit.record(
            session,
            actor,
            AuditAction.UPDATE,
            entity_type=ENTITY,
            entity_id=entry.id,
            family_id=family.id,
            details=difference,
        )
    return entry


def delete_entry(
    session: Session,
    *,
    actor: audit.Actor,
    family: Family,
    entry: ChronologyEntry,
    reason: str,
    expected_version: int,
) -> None:
    """Delete an entry softly: it leaves the chronology and its analysis, with who and why."""
    soft_delete(
        session,
        actor=actor,
        record=entry,
        reason=reason,
        expected_version=expected_version,
        entity_type=ENTITY,
        family_id=family.id,
    )


def _write_links(session: Session, entry_id: uuid.UUID, checked: CheckedEntry) -> None:
    for theme in checked.theme_ids:
        session.add(ChronologyEntryTheme(entry_id=entry_id, theme_id=theme))
    for child in checked.child_ids:
        session.add(ChronologyEntryChild(entry_id=entry_id, child_id=child))
    session.flush()


def _comparable(checked: CheckedEntry) -> dict[str, Any]:
    return {
        **checked.values,
        "themes": sorted(checked.theme_ids),
        "children": sorted(str(child) for child in checked.child_ids),
    }


# The list ------------------------------------------------------------------------------------

SORTS: dict[str, str] = {
    "newest": "Newest first",
    "oldest": "Oldest first",
    "significance": "Most significant first",
    "source": "Source",
    "changed": "Recently changed",
}
PAGE_SIZE = 25


@dataclass(frozen=True)
class EntryQuery:
    theme: str = ""
    source: str = ""
    significance: str = ""
    child: uuid.UUID | None = None
    date_from: date | None = None
    date_to: date | None = None
    text: str = ""
    sort: str = "newest"
    page: int = 1
    page_size: int = PAGE_SIZE

    @property
    def filtered(self) -> bool:
        return bool(
            self.theme
            or self.source
            or self.significance
            or self.child
            or self.date_from
            or self.date_to
            or self.text
        )


@dataclass(frozen=True)
class EntryRow:
    entry: ChronologyEntry
    theme_ids: list[str]
    child_ids: list[uuid.UUID]
    comments: int


@dataclass(frozen=True)
class EntryPage:
    rows: list[EntryRow]
    total: int
    page: int
    page_size: int
    family_total: int = 0
    children: Mapping[uuid.UUID, str] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return page_count(self.total, self.page_size)


def _filters(family: Family, query: EntryQuery) -> list[ColumnElement[bool]]:
    entry = ChronologyEntry
    conditions: list[ColumnElement[bool]] = [
        col(entry.family_id) == family.id,
        col(entry.deleted_at).is_(None),
    ]
    if query.theme:
        conditions.append(
            exists().where(
                col(ChronologyEntryTheme.entry_id) == col(entry.id),
                col(ChronologyEntryTheme.theme_id) == query.theme,
            )
        )
    if query.child:
        conditions.append(
            exists().where(
                col(ChronologyEntryChild.entry_id) == col(entry.id),
                col(ChronologyEntryChild.child_id) == query.child,
            )
        )
    if query.source:
        conditions.append(col(entry.source_id) == query.source)
    if query.significance:
        conditions.append(col(entry.significance) == query.significance)
    if query.date_from:
        conditions.append(col(entry.occurred_on) >= query.date_from)
    if query.date_to:
        conditions.append(col(entry.occurred_on) <= query.date_to)
    if query.text:
        pattern = contains_pattern(query.text)
        searched = [
            entry.what_happened,
            entry.who_was_involved,
            entry.impact_on_child,
            entry.response,
            entry.outcome,
            entry.source_detail,
            entry.parents_comments,
        ]
        conditions.append(
            or_(*(func.lower(col(column)).like(pattern, escape=LIKE_ESCAPE) for column in searched))
        )
    return conditions


def _order(content: FrameworkContent, sort: str) -> list[Any]:
    entry = ChronologyEntry
    newest = [col(entry.occurred_on).desc(), col(entry.created_at).desc(), col(entry.id)]
    if sort == "oldest":
        return [col(entry.occurred_on), col(entry.created_at), col(entry.id)]
    if sort == "significance":
        rank = case(
            {grade.id: position for position, grade in enumerate(content.chronology.significance)},
            value=col(entry.significance),
            else_=len(content.chronology.significance),
        )
        return [rank, *newest]
    if sort == "source":
        label = case(
            {source_id: label.lower() for source_id, label in sources(content).items()},
            value=col(entry.source_id),
            else_=col(entry.source_id),
        )
        return [label, *newest]
    if sort == "changed":
        return [col(entry.updated_at).desc(), col(entry.id)]
    return newest


def list_entries(
    session: Session,
    *,
    family: Family,
    content: FrameworkContent,
    query: EntryQuery,
    children: Mapping[uuid.UUID, str] | None = None,
) -> EntryPage:
    """One page of the family's entries matching `query`: filtering, counting, sorting and
    paging are done by the database; only the page's rows are loaded. `children`: the
    family's `child_names`, when the caller has read them already."""
    conditions = _filters(family, query)

    def count(where: Iterable[ColumnElement[bool]]) -> Any:
        # Not correlated with the page's own chronology_entry: a count of its own.
        return (
            select(func.count())
            .select_from(ChronologyEntry)
            .where(*where)
            .correlate(None)
            .scalar_subquery()
        )

    # The counts ride along with the page's rows: one round trip, not two or three.
    counts = [count(conditions)]
    if query.filtered:
        counts.append(count(_filters(family, EntryQuery())))

    def rows_of(page: int) -> Sequence[Any]:
        return session.execute(
            select_rows(ChronologyEntry, *counts)
            .where(*conditions)
            .order_by(*_order(content, query.sort))
            .offset((page - 1) * query.page_size)
            .limit(query.page_size)
        ).all()

    page = max(1, query.page)
    found = rows_of(page)
    # No rows: nothing matches, or the page is past the last (a link from before a deletion).
    matching, *in_family = found[0][1:] if found else session.execute(select_rows(*counts)).one()
    last_page = page_count(matching, query.page_size)
    if not found and page > last_page:
        page = last_page
        found = rows_of(page)
    entries = [row[0] for row in found]
    links = entry_links(session, [entry.id for entry in entries], comments=True)
    if children is None:
        children = child_names(session, family)
    return EntryPage(
        rows=[
            EntryRow(
                entry=entry,
                theme_ids=in_content_order(links.themes[entry.id], themes(content)),
                child_ids=in_family_order(links.children[entry.id], children),
                comments=links.comments.get(entry.id, 0),
            )
            for entry in entries
        ],
        total=matching,
        page=page,
        page_size=query.page_size,
        family_total=in_family[0] if in_family else matching,
        children=children,
    )


def in_family_order(
    child_ids: Iterable[uuid.UUID], children: Mapping[uuid.UUID, str]
) -> list[uuid.UUID]:
    """Children in the order `children` (the family's `child_names`) lists them; a former
    child of the family last."""
    order = {child_id: position for position, child_id in enumerate(children)}
    return sorted(child_ids, key=lambda child_id: (order.get(child_id, len(order)), str(child_id)))


def child_names(session: Session, family: Family) -> dict[uuid.UUID, str]:
    """The family's children (not deleted), oldest first: id → name (from the read the page's
    children's records share)."""
    return {child.id: child.name for child in families.children(session, family)}


def in_content_order(ids: Iterable[str], known: Mapping[str, str]) -> list[str]:
    """Ids in the order content lists them; ids content no longer knows go last."""
    order = {item: position for position, item in enumerate(known)}
    return sorted(ids, key=lambda item: (order.get(item, len(order)), item))
