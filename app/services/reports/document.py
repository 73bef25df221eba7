"""A report as plain data: shown as a page (chart and tables) and exported as CSV files, one
per table, from the same document."""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.content.model import FrameworkContent
from app.services.reports.charts import Chart
from app.services.reports.scope import Scope
from app.services.reports.tables import Table, suppressed


@dataclass(frozen=True)
class Research:
    """A published figure to compare the council's own with, in Homeward's words."""

    text: str
    source: str  # the short citation from the content's sources


@dataclass(frozen=True)
class Report:
    slug: str
    title: str
    scope: Scope
    headline: str  # one sentence with the main figure
    chart: Chart | None
    tables: tuple[Table, ...]
    # How the figures are counted, in words a manager uses.
    notes: tuple[str, ...]
    research: tuple[Research, ...]

    def table(self, key: str) -> Table | None:
        return next((table for table in self.tables if table.key == key), None)

    def for_sharing(self, *, below: int) -> Report:
        """The report with small numbers hidden in every table."""
        return replace(self, tables=tuple(suppressed(table, below=below) for table in self.tables))


def research(content: FrameworkContent, *figures: tuple[str, str]) -> tuple[Research, ...]:
    """(text, source id) pairs as Research, citing the content's own sources; a figure whose
    source the content does not list is left out."""
    cited = {source.id: source.short for source in content.sources}
    return tuple(Research(text, cited[source]) for text, source in figures if source in cited)


def percent(part: int, whole: int) -> str:
    """'21%' (or 'none' of nothing)."""
    return f"{round(100 * part / whole)}%" if whole else "none"


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"
