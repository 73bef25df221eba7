"""Time: stored in UTC, shown and entered in Europe/London."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

# The time the service takes as "now": the real time, except where the demo data builds a
# family's history through the services as of dates in the past (`as_of`).
_now: ContextVar[datetime | None] = ContextVar("homeward_now", default=None)


def now_utc() -> datetime:
    return _now.get() or datetime.now(UTC)


@contextmanager
def as_of(moment: datetime) -> Iterator[None]:
    """Run what the block does as if it were `moment` (timezone-aware)."""
    if moment.tzinfo is None:
        raise ValueError("as_of needs a timezone-aware moment")
    token = _now.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _now.reset(token)


def start_of_london_day(day: date, *, days_after: int = 0) -> datetime:
    """The UTC instant a London calendar day begins (clocks change, so not always midnight UTC)."""
    local = datetime.combine(day + timedelta(days=days_after), time.min, tzinfo=LONDON)
    return local.astimezone(UTC)


def london_today() -> date:
    return now_utc().astimezone(LONDON).date()


def format_datetime(value: datetime | None) -> str:
    """‘23 November 2026 at 6:05pm’ in London time."""
    if value is None:
        return ""
    local = value.astimezone(LONDON)
    hour = local.strftime("%I").lstrip("0") or "12"
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{local:%p}".replace("AM", "am").replace(
        "PM", "pm"
    )


def format_date(value: date | None) -> str:
    """‘23 November 2026’, the GOV.UK style."""
    if value is None:
        return ""
    return f"{value.day} {value:%B %Y}"


def days_in_words(days: int) -> str:
    """A span as people say it: ‘6 months’ for 183 days, ‘2 weeks’ for 14, ‘10 days’."""
    months = round(days / 30.44)
    if days >= 28 and abs(days - months * 30.44) <= 3:
        return "1 month" if months == 1 else f"{months} months"
    if days % 7 == 0:
        return "1 week" if days == 7 else f"{days // 7} weeks"
    return "1 day" if days == 1 else f"{days} days"


def describe_date(day: date, precision: str, *, sentence: bool = True) -> str:
    """A date at the precision it was recorded: '3 March 2024', 'March 2024', '2024',
    'About March 2024' or 'About 2024' ('about' inside a sentence). Precisions are those of
    chronology entries: day, month, year, approximate (the month) and approximate_year."""
    about = "About" if sentence else "about"
    if precision == "month":
        return f"{day:%B %Y}"
    if precision == "year":
        return str(day.year)
    if precision == "approximate":
        return f"{about} {day:%B %Y}"
    if precision == "approximate_year":
        return f"{about} {day.year}"
    return f"{day.day} {day:%B %Y}"


def age_in_years(born: date, on: date | None = None) -> int:
    on = on or london_today()
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def months_between(start: date, end: date | None = None) -> int:
    """Whole months from `start` to `end` (today by default)."""
    end = end or london_today()
    return (end.year - start.year) * 12 + end.month - start.month - (end.day < start.day)


def add_months(day: date, months: int) -> date:
    """The same day `months` calendar months later (the month's last day when it is shorter)."""
    total = day.year * 12 + day.month - 1 + months
    year, month = divmod(total, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))
