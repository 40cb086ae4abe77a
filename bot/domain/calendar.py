"""Working days and deadlines by the Kazakhstan calendar (Administrative Procedural Code)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import holidays

if TYPE_CHECKING:
    from bot.config import Settings

END_OF_DAY = time(23, 59, 59)
# A guard against a misconfigured calendar with no working day at all, which would loop forever.
MAX_DAYS_SEARCHED = 400


class WorkCalendar:
    def __init__(
        self,
        tz: ZoneInfo,
        *,
        workday_start: time = time(9, 0),
        workday_end: time = time(18, 30),
        holidays_extra: Iterable[date] = (),
        workdays_extra: Iterable[date] = (),
    ) -> None:
        if workday_start >= workday_end:
            raise ValueError("workday_start must be earlier than workday_end")
        self.tz = tz
        self.workday_start = workday_start
        self.workday_end = workday_end
        self.holidays_extra = frozenset(holidays_extra)
        self.workdays_extra = frozenset(workdays_extra)
        self._public_holidays: dict[int, frozenset[date]] = {}

    def public_holidays(self, year: int) -> frozenset[date]:
        cached = self._public_holidays.get(year)
        if cached is None:
            cached = frozenset(holidays.country_holidays("KZ", years=year).keys())
            self._public_holidays[year] = cached
        return cached

    def is_working_day(self, day: date) -> bool:
        if day in self.workdays_extra:
            return True
        if day.weekday() >= 5 or day in self.holidays_extra:
            return False
        return day not in self.public_holidays(day.year)

    def next_working_day(self, day: date) -> date:
        candidate = day
        for _ in range(MAX_DAYS_SEARCHED):
            candidate += timedelta(days=1)
            if self.is_working_day(candidate):
                return candidate
        raise RuntimeError(f"no working day within {MAX_DAYS_SEARCHED} days after {day}")

    def first_working_day(self, month: date) -> date:
        """The first working day of the month `month` falls in."""
        first = month.replace(day=1)
        return first if self.is_working_day(first) else self.next_working_day(first)

    def local(self, moment: datetime) -> datetime:
        _require_aware(moment)
        return moment.astimezone(self.tz)

    def registration_time(self, received: datetime) -> datetime:
        local = self.local(received)
        day = local.date()
        if self.is_working_day(day):
            if self.workday_start <= local.time() < self.workday_end:
                return received.astimezone(UTC)
            if local.time() < self.workday_start:
                return self._at_local(day, self.workday_start)
        return self._at_local(self.next_working_day(day), self.workday_start)

    def add_working_days(self, day: date, n: int) -> date:
        if n < 0:
            raise ValueError("n must not be negative")
        for _ in range(n):
            day = self.next_working_day(day)
        return day

    def due_at(self, registered_at: datetime, working_days: int) -> datetime:
        registered_day = self.local(registered_at).date()
        return self._at_local(self.add_working_days(registered_day, working_days), END_OF_DAY)

    def working_days_between(self, start: date, end: date) -> int:
        count = 0
        day = start + timedelta(days=1)
        while day <= end:
            if self.is_working_day(day):
                count += 1
            day += timedelta(days=1)
        return count

    def _at_local(self, day: date, at: time) -> datetime:
        return datetime.combine(day, at, tzinfo=self.tz).astimezone(UTC)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a time zone aware datetime is required")


def calendar_from_settings(settings: Settings) -> WorkCalendar:
    return WorkCalendar(
        settings.tz,
        workday_start=time.fromisoformat(settings.WORKDAY_START),
        workday_end=time.fromisoformat(settings.WORKDAY_END),
        holidays_extra=settings.HOLIDAYS_EXTRA,
        workdays_extra=settings.WORKDAYS_EXTRA,
    )
