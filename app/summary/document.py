"""The summary as plain data: sections of headings, paragraphs, tables, lists and suggestions.

Section builders produce these values; the page, the PDF and the Word file are three
renderings of the same `SummaryDocument`, so they always hold the same content in the same
order. Every string here is plain text as entered (never markup): each renderer escapes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from string import ascii_uppercase
from typing import TYPE_CHECKING, ClassVar, Literal

from app.summary.text import one_line
from app.timeutil import format_date, format_datetime

if TYPE_CHECKING:
    from app.content.model import FrameworkContent
    from app.models.accounts import User

ParagraphStyle = Literal["body", "hint", "missing", "notice"]
# Where a section belongs: the numbered main document, the appendix (only on request), or
# the list of sources that ends the document.
SectionPart = Literal["main", "appendix", "sources"]
THIRD_PARTY_LEFT_OUT = (
    "This is a disclosure copy: chronology entries and notes marked as third-party "
    "information have been left out."
)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph. `missing` says what has not been recorded yet; `notice` stands out."""

    block: ClassVar[str] = "paragraph"
    text: str
    style: ParagraphStyle = "body"


@dataclass(frozen=True)
class Subheading:
    block: ClassVar[str] = "subheading"
    text: str


@dataclass(frozen=True)
class BulletList:
    block: ClassVar[str] = "list"
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    block: ClassVar[str] = "table"
    caption: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    # Column widths in per cent, in steps of 5 (the page's stylesheet has a class for each),
    # adding up to 100. Fixed widths keep long words from squeezing the other columns, and a
    # browser lays out fixed tables faster than tables sized to their content.
    widths: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if self.widths and (
            len(self.widths) != len(self.headers)
            or sum(self.widths) != 100
            or any(width % 5 for width in self.widths)
        ):
            raise ValueError(f"table {self.caption!r}: widths must be one per column, in fives")


@dataclass(frozen=True)
class FactList:
    """Key–value pairs (a summary list on the page)."""

    block: ClassVar[str] = "facts"
    rows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Suggestion:
    """Something the tool suggests, with everything behind it: the rule that made it, the
    family's facts that made the rule fire, and the research it rests on. In a document,
    `source_numbers` refer to its list of sources (each cited once, at the end); alone (the
    classification page) it shows its `sources` in full."""

    block: ClassVar[str] = "suggestion"
    title: str
    text: str
    rule: str
    inputs: tuple[str, ...]
    sources: tuple[str, ...]
    advice: str | None = None
    label: str = "Caution"
    source_numbers: tuple[int, ...] = ()


@dataclass(frozen=True)
class SourceList:
    """The research the document cites, numbered from 1 in the order first cited."""

    block: ClassVar[str] = "sources"
    items: tuple[str, ...]


Block = Paragraph | Subheading | BulletList | Table | FactList | Suggestion | SourceList


def references(numbers: Sequence[int]) -> str:
    """Numbers in a document's list of sources as its text cites them: "[1, 4]"."""
    return "[" + ", ".join(str(number) for number in numbers) + "]"


class Citations:
    """Numbers the sources a document cites, each once, in the order first cited; a source is
    the same source wherever its full citation (with its address) is the same."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}

    def number(self, citation: str) -> int:
        return self._numbers.setdefault(citation, len(self._numbers) + 1)

    def numbers(self, citations: Iterable[str]) -> tuple[int, ...]:
        return tuple(self.number(citation) for citation in citations)

    def listed(self) -> tuple[str, ...]:
        return tuple(self._numbers)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    blocks: tuple[Block, ...]
    part: SectionPart = "main"


@dataclass(frozen=True)
class Provenance:
    """Where the summary came from: the content version, the data's time, who made it."""

    framework_id: str
    framework_title: str
    framework_version: str
    content_hash: str
    data_as_at: datetime
    produced_by: str
    disclosure: bool

    @classmethod
    def of(
        cls, content: FrameworkContent, now: datetime, produced_by: User, disclosure: bool
    ) -> Provenance:
        """The provenance of a document made now from `content` by `produced_by`."""
        return cls(
            framework_id=content.id,
            framework_title=content.framework.title,
            framework_version=content.version,
            content_hash=content.content_hash,
            data_as_at=now,
            produced_by=produced_by.name,
            disclosure=disclosure,
        )

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]


@dataclass(frozen=True)
class SummaryDocument:
    family_name: str
    reference: str
    title: str
    as_of: date
    provenance: Provenance
    sections: tuple[Section, ...] = field(default=())
    # A copy for the family itself (the plain-English agreement): no staff provenance on it.
    family_copy: bool = False
    large_print: bool = False

    def section(self, section_id: str) -> Section:
        for section in self.sections:
            if section.id == section_id:
                return section
        raise KeyError(section_id)

    @property
    def has_appendix(self) -> bool:
        return any(section.part == "appendix" for section in self.sections)

    def headings(self) -> list[tuple[Section, str]]:
        """Each section with its heading, as every format shows it: the main sections
        numbered ("3. Risk and protective factors by domain"), the appendix's lettered
        ("Appendix A: ..."), the sources last as they are."""
        headings = []
        numbered = lettered = 0
        for section in self.sections:
            if section.part == "main":
                numbered += 1
                headings.append((section, f"{numbered}. {section.title}"))
            elif section.part == "appendix":
                headings.append((section, f"Appendix {ascii_uppercase[lettered]}: {section.title}"))
                lettered += 1
            else:
                headings.append((section, section.title))
        return headings


def provenance_text(p: Provenance) -> str:
    """The provenance under the title of the PDF and the Word file."""
    text = (
        f"Made with {p.framework_title} ({p.framework_id}) version {p.framework_version}, "
        f"content hash {p.short_hash}. Data as at {format_datetime(p.data_as_at)}. "
        f"Produced by {one_line(p.produced_by)}."
    )
    if p.disclosure:
        text += " Disclosure copy: information marked as third-party is left out."
    return text


def footer_text(doc: SummaryDocument) -> str:
    """The footer of every page of the PDF and the Word file: the family's own copy gives their
    name and the date, none of the staff's provenance."""
    name = one_line(doc.family_name)
    if doc.family_copy:
        return f"{doc.title} · {name} · {format_date(doc.as_of)}"
    p = doc.provenance
    text = (
        f"{name} ({one_line(doc.reference)}) · {p.framework_id} {p.framework_version} "
        f"({p.short_hash}) · data as at {format_datetime(p.data_as_at)} · produced by "
        f"{one_line(p.produced_by)}"
    )
    return text + " · disclosure copy" if p.disclosure else text
