"""SQL the reports need that SQLite and PostgreSQL spell differently: days between two dates,
the London date of a timestamp, whole months between dates, the items of a JSON list, and a
median. Each is one expression that compiles for both, so every figure is computed in the
database on either."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Date, Integer, case, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import FunctionElement, Subquery

from app.db import SQLITE_LONDON_DATE


class days_between(FunctionElement[int]):
    """Whole days from the first date to the second (negative when the second is earlier)."""

    type = Integer()
    inherit_cache = True


@compiles(days_between, "postgresql")
def _days_between_postgresql(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = list(element.clauses)
    end_sql, start_sql = compiler.process(end, **kw), compiler.process(start, **kw)
    return f"(CAST({end_sql} AS DATE) - CAST({start_sql} AS DATE))"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = list(element.clauses)
    return (
        f"CAST(ROUND(julianday({compiler.process(end, **kw)}) - "
        f"julianday({compiler.process(start, **kw)})) AS INTEGER)"
    )


class london_date(FunctionElement[date]):
    """The Europe/London calendar date of a stored (UTC) timestamp."""

    type = Date()
    inherit_cache = True


@compiles(london_date, "postgresql")
def _london_date_postgresql(element: london_date, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = list(element.clauses)
    return f"CAST(({compiler.process(moment, **kw)} AT TIME ZONE 'Europe/London') AS DATE)"


@compiles(london_date, "sqlite")
def _london_date_sqlite(element: london_date, compiler: SQLCompiler, **kw: Any) -> str:
    (moment,) = list(element.clauses)
    return f"{SQLITE_LONDON_DATE}({compiler.process(moment, **kw)})"


def _part(name: str, value: Any) -> ColumnElement[int]:
    return cast(func.extract(name, value), Integer)


def months_between(start: Any, end: Any) -> ColumnElement[int]:
    """Whole calendar months from `start` to `end`, as app.timeutil.months_between counts
    them: 15 January to 14 April is 2, to 15 April is 3."""
    return (
        (_part("year", end) - _part("year", start)) * 12
        + _part("month", end)
        - _part("month", start)
        - case((_part("day", end) < _part("day", start), 1), else_=0)
    )


def financial_year(day: Any) -> ColumnElement[int]:
    """The year an April-to-March financial year starts in (2025 for 2025-26)."""
    return _part("year", day) - case((_part("month", day) < 4, 1), else_=0)


def quarter_index(day: Any) -> ColumnElement[int]:
    """Calendar quarters counted from year 0 (year * 4 + quarter - 1), so they sort and group."""
    return _part("year", day) * 4 + (_part("month", day) - 1) // 3


class json_list_items(FunctionElement[str]):
    """The text items of a JSON list column (or of the list under `key` of a JSON object
    column), as a table with one column, `value` (nothing when there is no list). Join it to
    the row that holds it."""

    inherit_cache = True


@compiles(json_list_items, "postgresql")
def _json_items_postgresql(element: json_list_items, compiler: SQLCompiler, **kw: Any) -> str:
    column, *key = [compiler.process(clause, **kw) for clause in element.clauses]
    inside = f"CAST({column} AS JSON)" + (f" -> {key[0]}" if key else "")
    return f"json_array_elements_text({inside})"


@compiles(json_list_items, "sqlite")
def _json_items_sqlite(element: json_list_items, compiler: SQLCompiler, **kw: Any) -> str:
    column, *key = [compiler.process(clause, **kw) for clause in element.clauses]
    return f"json_each({column}" + (f", '$.' || {key[0]})" if key else ")")


def json_items(column: Any, key: str | None, dialect: str, name: str = "items") -> Any:
    """`json_list_items` as a table-valued expression with a `value` column: SQLite's
    json_each has one of its own; PostgreSQL names it in the alias (SQLite refuses that)."""
    items = (json_list_items(column, key) if key else json_list_items(column)).table_valued("value")
    if dialect == "postgresql":
        return items.render_derived(name=name)
    return items.alias(name)


def medians(values: Subquery, *, group: str, value: str) -> Any:
    """A select of (group, median of value) over a subquery, with window functions that both
    databases have (PostgreSQL's percentile_cont is not in SQLite): the middle row, or the mean
    of the two middle rows."""
    key, number = values.c[group], values.c[value]
    ranked = select(
        key.label("key"),
        number.label("value"),
        func.row_number().over(partition_by=key, order_by=number).label("position"),
        func.count().over(partition_by=key).label("size"),
    ).subquery("ranked")
    return (
        select(ranked.c.key, func.avg(ranked.c.value))
        .where(ranked.c.position.in_([(ranked.c.size + 1) // 2, (ranked.c.size + 2) // 2]))
        .group_by(ranked.c.key)
    )
