"""Reporting periods: this month, quarter or year, or two dates, in the office's local days.

/stats, /export, the monthly report and /results all speak of a Period; its bounds are the
UTC instants of its first local midnight and of the one after its last day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# The words staff may type after /stats or /export, in either language (or English).
MONTH = frozenset({"month", "месяц", "ай"})
QUARTER = frozenset({"quarter", "квартал", "тоқсан"})
YEAR = frozenset({"year", "год", "жыл"})
DATES = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|—|–|-|\s)\s*(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Period:
    start: date  # first day, local
    end: date  # last day, local, inclusive

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[from, to) in UTC."""
        first = datetime.combine(self.start, time(), tzinfo=tz).astimezone(UTC)
        after = datetime.combine(self.end + timedelta(days=1), time(), tzinfo=tz)
        return first, after.astimezone(UTC)

    def label(self) -> str:
        return f"{self.start:%d.%m.%Y} – {self.end:%d.%m.%Y}"

    def months(self) -> list[date]:
        """The first day of every month the period touches, in order."""
        first = self.start.replace(day=1)
        out = []
        while first <= self.end:
            out.append(first)
            first = next_month(first)
        return out


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    return Period(first, next_month(first) - timedelta(days=1))


def quarter_of(day: date) -> Period:
    first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
    last_month = date(first.year, first.month + 2, 1)
    return Period(first, next_month(last_month) - timedelta(days=1))


def year_of(day: date) -> Period:
    return Period(date(day.year, 1, 1), date(day.year, 12, 31))


def previous_month(today: date) -> Period:
    return month_of(today.replace(day=1) - timedelta(days=1))


def parse_period(text: str, today: date) -> Period | None:
    """'' or a word for month / quarter / year (the current one), or 'YYYY-MM-DD YYYY-MM-DD'.
    None when it is none of these or the dates are reversed."""
    words = text.strip().casefold()
    if not words or words in MONTH:
        return month_of(today)
    if words in QUARTER:
        return quarter_of(today)
    if words in YEAR:
        return year_of(today)
    match = DATES.match(words)
    if match is None:
        return None
    try:
        start, end = (date.fromisoformat(value) for value in match.groups())
    except ValueError:
        return None
    return Period(start, end) if start <= end else None
