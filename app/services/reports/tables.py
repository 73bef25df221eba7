"""A report's figures as plain tables, and the hiding of small numbers in copies meant to
leave the team.

A table holds counts, and medians of days with the count they were taken over; percentages
are worked out from two count columns of the same row, so hiding a count hides every
percentage made from it. Tables say which counts add up to which (a row's parts to its total
column, a column's rows to a total row), so that a hidden count cannot be worked out by
subtraction: where only one part of a sum is hidden, the next smallest is hidden too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

Value = int | float | str | None
TOTAL = "total"  # the key of a table's total row


class Kind(StrEnum):
    COUNT = "count"
    PERCENT = "percent"  # part / whole of two count columns of the row
    DAYS = "days"  # a median number of days, over the row's `count` column
    TEXT = "text"


@dataclass(frozen=True)
class Column:
    key: str
    heading: str
    kind: Kind = Kind.COUNT
    # For a percentage: the count columns of its part and its whole, the whole taken from
    # the row `whole_row` when given (a share of the total row), else from the same row.
    of: tuple[str, str] | None = None
    whole_row: str | None = None
    # For a median: the count column it was taken over.
    count: str | None = None


@dataclass(frozen=True)
class Row:
    key: str
    label: str
    values: Mapping[str, Value]
    total: bool = False  # a row that adds up the rows above it


@dataclass(frozen=True)
class Sum:
    """Cells that add up: `total` is the sum of `parts` (cells are (row key, column key))."""

    total: tuple[str, str]
    parts: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Table:
    key: str
    caption: str
    row_heading: str
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    sums: tuple[Sum, ...] = ()
    # Cells hidden in a copy for sharing; empty for the team's own copy.
    hidden: frozenset[tuple[str, str]] = frozenset()

    def value(self, row: Row, column: Column) -> Value:
        """The cell's value: a count, a percentage (None when its whole is 0), a median of
        days (None when it was taken over nobody), or text."""
        if column.kind is Kind.PERCENT:
            assert column.of is not None
            part = row.values.get(column.of[0])
            whole = self._whole_row(row, column).values.get(column.of[1])
            if not isinstance(part, int) or not isinstance(whole, int) or whole == 0:
                return None
            return 100 * part / whole
        return row.values.get(column.key)

    def shown(self, row: Row, column: Column) -> str:
        """The cell as a reader sees it: '12', '34%', '56' days, 'no figure' where there is
        none (a share of nobody), 'hidden' in a copy for sharing."""
        if self.is_hidden(row, column):
            return "hidden"
        value = self.value(row, column)
        if value is None:
            return "no figure"
        if column.kind is Kind.PERCENT:
            return f"{round(float(value))}%"
        return str(value)

    def _whole_row(self, row: Row, column: Column) -> Row:
        if column.whole_row is None:
            return row
        return next((item for item in self.rows if item.key == column.whole_row), row)

    def is_hidden(self, row: Row, column: Column) -> bool:
        if column.kind is Kind.PERCENT:
            assert column.of is not None
            whole_row = self._whole_row(row, column)
            return (row.key, column.of[0]) in self.hidden or (
                whole_row.key,
                column.of[1],
            ) in self.hidden
        if column.kind is Kind.DAYS:
            return column.count is not None and (row.key, column.count) in self.hidden
        return (row.key, column.key) in self.hidden

    @property
    def count_columns(self) -> tuple[Column, ...]:
        return tuple(column for column in self.columns if column.kind is Kind.COUNT)


def total_row(rows: Sequence[Row], label: str, keys: Iterable[str], **given: Value) -> Row:
    """The total row under `rows`: each of `keys` added up over them, and the values `given`
    (those that do not add up, such as a median over every row's items)."""
    added: dict[str, Value] = {
        key: sum(int(row.values.get(key) or 0) for row in rows if not row.total) for key in keys
    }
    return Row(TOTAL, label, {**added, **given}, total=True)


def row_sums(rows: Iterable[Row], total: str, parts: Sequence[str]) -> tuple[Sum, ...]:
    """In each row, the `parts` columns add up to the `total` column."""
    return tuple(Sum((row.key, total), tuple((row.key, part) for part in parts)) for row in rows)


def column_sums(rows: Sequence[Row], columns: Iterable[str]) -> tuple[Sum, ...]:
    """In each of `columns`, the rows that are not totals add up to the total row."""
    totals = [row for row in rows if row.total]
    if len(totals) != 1:
        return ()
    parts = [row.key for row in rows if not row.total]
    return tuple(
        Sum((totals[0].key, column), tuple((key, column) for key in parts)) for column in columns
    )


@dataclass
class _Suppressor:
    table: Table
    below: int
    counts: dict[tuple[str, str], int] = field(default_factory=dict)
    hidden: set[tuple[str, str]] = field(default_factory=set)

    def run(self) -> frozenset[tuple[str, str]]:
        for row in self.table.rows:
            for column in self.table.count_columns:
                value = row.values.get(column.key)
                if isinstance(value, int):
                    self.counts[(row.key, column.key)] = value
                    if 0 < value < self.below:
                        self.hidden.add((row.key, column.key))
        # Each pass only hides more, so this ends; it ends soon, as each sum is small.
        while any([self._protect(total) for total in self.table.sums]):
            pass
        return frozenset(self.hidden)

    def _protect(self, total: Sum) -> bool:
        """Where a sum is shown with exactly one of its parts hidden, hide one more (the
        smallest shown non-zero part, or else the total)."""
        if total.total in self.hidden:
            return False
        hidden = [cell for cell in total.parts if cell in self.hidden]
        if len(hidden) != 1:
            return False
        shown = [
            cell for cell in total.parts if cell not in self.hidden and self.counts.get(cell, 0) > 0
        ]
        if shown:
            self.hidden.add(min(shown, key=lambda cell: (self.counts[cell], cell)))
        else:
            self.hidden.add(total.total)
        return True


def suppressed(table: Table, *, below: int) -> Table:
    """A copy of `table` for sharing outside the team: every count from 1 to `below` - 1
    hidden, then enough other counts that none of them can be worked out from the sums."""
    return Table(
        key=table.key,
        caption=table.caption,
        row_heading=table.row_heading,
        columns=table.columns,
        rows=table.rows,
        sums=table.sums,
        hidden=_Suppressor(table, below).run(),
    )
