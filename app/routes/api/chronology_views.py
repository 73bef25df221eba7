"""The chronology's read-only views in the JSON API, as the pages show them: each child's care
episodes (in care now, earlier returns home), the timeline's counts per theme and period, and
the analysis (patterns in the entries and the written analysis). The same services, permission
rule and audit trail as the timeline and analysis pages; nothing is worked out twice."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal, cast

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.deps import SessionDep
from app.routes.api.common import ApiRoute
from app.routes.family_pages import ViewPage
from app.services import chronology_analysis, chronology_timeline
from app.services.chronology import grades

router = APIRouter(prefix="/families/{family_id}", tags=["chronology"], route_class=ApiRoute)
Polarity = Literal["risk", "protective"]
Period = Literal["month", "quarter", "year"]
EpisodeKind = Literal["care", "home"]


class Grade(BaseModel):
    """A grade of the family's significance scale, the most serious first."""

    id: str
    label: str


class CareEpisode(BaseModel):
    """A stretch of a child's life, each child's in the order they happened: `care`, a time in
    care (no end: the one under way, since they last came into care; with an end: an earlier
    one, GET …/children/{child_id}/earlier-care), or `home`, an earlier return home, and
    whether it broke down."""

    child_id: uuid.UUID
    child_name: str
    kind: EpisodeKind
    description: str = Field(examples=["Earlier return home (broke down)"])
    started_on: date
    ended_on: date | None
    broke_down: bool
    earlier_return_id: uuid.UUID | None = Field(
        description="The earlier return home (GET …/children/{child_id}/earlier-returns/{id})"
    )


class PeriodCount(BaseModel):
    """The entries of a theme in one period (a month, quarter or year), per grade."""

    starts_on: date = Field(description="The first day of the period")
    label: str = Field(examples=["March 2025", "Jan–Mar 2025", "2025"])
    counts: dict[str, int] = Field(description="Entries per grade id, for every grade")
    total: int


class TimelineTheme(BaseModel):
    """A lane of the timeline: a theme (`theme_id` null: entries with no theme)."""

    theme_id: str | None
    label: str
    polarity: Polarity | None
    periods: list[PeriodCount]


class TimelinePublic(BaseModel):
    """The timeline as data: entries counted per theme and period, in the content's order of
    themes, as the timeline page's table has them. A few years are counted per month, longer
    histories per quarter or per year (`period`). `starts_on` and `ends_on` are the years the
    page's axis spans (null when there are no entries). Each child's care and earlier
    returns home are at GET …/care-episodes."""

    period: Period
    starts_on: date | None
    ends_on: date | None
    grades: list[Grade]
    themes: list[TimelineTheme]


class EntryBrief(BaseModel):
    """An entry as the analysis lists it: `what_happened` is cut at 300 characters (GET
    …/chronology/{id} has the whole entry)."""

    id: uuid.UUID
    occurred_on: date
    date_precision: str
    date_text: str
    significance: str
    source_id: str
    what_happened: str
    themes: list[str]


class YearCount(BaseModel):
    year: int
    count: int


class ThemePattern(BaseModel):
    """A theme's entries: how many, the first and last, and how many each year. `repeated`:
    seen more than once."""

    theme_id: str
    label: str
    polarity: Polarity
    count: int
    first: date
    last: date
    per_year: list[YearCount]
    repeated: bool


class HighSignificance(BaseModel):
    """Entries of the scale's most serious grade: how many, and the most recent (at most
    50), newest first."""

    grade: str
    total: int
    entries: list[EntryBrief]


class ThemeCount(BaseModel):
    theme_id: str
    count: int


class ReturnPattern(BaseModel):
    """An earlier return home and the entries dated during it (to its end, or to today): how
    many, their themes (most frequent first), and the first 30, oldest first."""

    earlier_return_id: uuid.UUID
    child_id: uuid.UUID
    child_name: str
    returned_on: date
    ended_on: date | None
    broke_down: bool
    notes: str | None
    entries_during: int
    themes: list[ThemeCount]
    entries: list[EntryBrief]


class Gap(BaseModel):
    starts_on: date
    ends_on: date
    days: int


class Gaps(BaseModel):
    """Stretches of more than `longer_than_days` days with no entry, oldest first."""

    longer_than_days: int
    gaps: list[Gap]


class YearBalance(BaseModel):
    """Entries with risk themes and with protective themes in a year."""

    year: int
    risk: int
    protective: int


class WrittenAnalysis(BaseModel):
    """The practitioner's written analysis of the chronology as a whole (`scope` "overall")
    or of one theme (`scope` is its id)."""

    scope: str
    about: str = Field(examples=["the chronology as a whole"])
    text: str
    version: int
    updated_at: datetime


class AnalysisPublic(BaseModel):
    """The chronology's analysis, as its page shows it: the patterns in the entries (deleted
    entries left out) and the written analysis, the whole chronology's first."""

    entries: int
    first: date | None
    last: date | None
    years: list[int]
    themes: list[ThemePattern]
    repeated_risk_themes: list[str] = Field(
        description="Ids of the risk themes seen more than once, the most frequent first"
    )
    significance_counts: dict[str, int] = Field(description="Entries per grade id")
    high_significance: HighSignificance
    earlier_returns: list[ReturnPattern]
    gaps: Gaps
    balance: list[YearBalance]
    written: list[WrittenAnalysis]


@router.get("/care-episodes", response_model=list[CareEpisode])
def care_episodes(session: SessionDep, page: ViewPage) -> list[CareEpisode]:
    """Each child's time in care and earlier returns home, children oldest first, as the
    chronology timeline marks them."""
    return [
        CareEpisode(
            child_id=episode.child_id,
            child_name=episode.child_name,
            kind=cast(EpisodeKind, episode.kind),
            description=episode.what,
            started_on=episode.started_on,
            ended_on=episode.ended_on,
            broke_down=episode.broke_down,
            earlier_return_id=episode.return_id,
        )
        for episode in chronology_timeline.care_episodes(session, family=page.family)
    ]


@router.get("/chronology/timeline", response_model=TimelinePublic)
def timeline(session: SessionDep, page: ViewPage) -> TimelinePublic:
    """The chronology's entries counted per theme and period, as the timeline page shows
    them."""
    content = page.content
    built = chronology_timeline.build_timeline(session, family=page.family, content=content)
    scale = [Grade(id=grade_id, label=label) for grade_id, label in grades(content).items()]
    lanes: dict[str, TimelineTheme] = {
        lane.theme_id: TimelineTheme(
            theme_id=lane.theme_id or None,
            label=lane.label,
            polarity=None if lane.kind == "none" else cast(Polarity, lane.kind),
            periods=[],
        )
        for lane in built.lanes
    }
    for row in built.table:
        lanes[row.theme_id].periods.append(
            PeriodCount(
                starts_on=row.starts_on,
                label=row.month,
                counts={grade.id: count for grade, count in zip(scale, row.counts, strict=True)},
                total=sum(row.counts),
            )
        )
    return TimelinePublic(
        period=cast(Period, built.period_name),
        starts_on=built.start,
        ends_on=built.end,
        grades=scale,
        themes=list(lanes.values()),
    )


def _brief(entry: chronology_analysis.EntrySummary) -> EntryBrief:
    return EntryBrief(
        id=entry.id,
        occurred_on=entry.occurred_on,
        date_precision=entry.date_precision,
        date_text=entry.when,
        significance=entry.significance,
        source_id=entry.source_id,
        what_happened=entry.what_happened,
        themes=list(entry.theme_ids),
    )


@router.get("/chronology/analysis", response_model=AnalysisPublic)
def analysis(session: SessionDep, page: ViewPage) -> AnalysisPublic:
    """The patterns in the chronology and the written analysis, as the analysis page shows
    them."""
    content = page.content
    found = chronology_analysis.analyse_chronology(session, family=page.family, content=content)
    scopes = [chronology_analysis.OVERALL, *chronology_analysis.theme_scopes(found, content)]
    return AnalysisPublic(
        entries=found.entries,
        first=found.first,
        last=found.last,
        years=found.years,
        themes=[
            ThemePattern(
                theme_id=item.theme_id,
                label=item.label,
                polarity=cast(Polarity, item.polarity),
                count=item.count,
                first=item.first,
                last=item.last,
                per_year=[YearCount(year=year, count=n) for year, n in item.per_year.items()],
                repeated=item.repeated,
            )
            for item in found.themes
        ],
        repeated_risk_themes=[item.theme_id for item in found.repeated],
        significance_counts=found.significance_counts,
        high_significance=HighSignificance(
            grade=found.high_grade,
            total=found.high_total,
            entries=[_brief(entry) for entry in found.high],
        ),
        earlier_returns=[
            ReturnPattern(
                earlier_return_id=item.id,
                child_id=item.child_id,
                child_name=item.child_name,
                returned_on=item.returned_on,
                ended_on=item.ended_on,
                broke_down=item.broke_down,
                notes=item.notes,
                entries_during=item.preceding_total,
                themes=[
                    ThemeCount(theme_id=theme_id, count=count)
                    for theme_id, count in item.theme_counts.items()
                ],
                entries=[_brief(entry) for entry in item.preceding],
            )
            for item in found.returns
        ],
        gaps=Gaps(
            longer_than_days=found.gap_days,
            gaps=[Gap(starts_on=gap.start, ends_on=gap.end, days=gap.days) for gap in found.gaps],
        ),
        balance=[
            YearBalance(year=row.year, risk=row.risk, protective=row.protective)
            for row in found.balance
        ],
        written=[
            WrittenAnalysis(
                scope=scope,
                about=chronology_analysis.scope_label(content, scope),
                text=saved.text,
                version=saved.version,
                updated_at=saved.updated_at,
            )
            for scope in scopes
            if (saved := found.written.get(scope)) is not None
        ],
    )
