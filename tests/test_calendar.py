from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.config import Settings
from bot.domain.calendar import WorkCalendar, calendar_from_settings
from bot.timezones import load_zone

ALMATY = load_zone("Asia/Almaty")


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """An Almaty wall-clock time as aware UTC, the form the calendar takes and returns."""
    return datetime(year, month, day, hour, minute, second, tzinfo=ALMATY).astimezone(UTC)


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar(ALMATY)


def test_almaty_is_utc_plus_five_in_current_tzdata() -> None:
    assert datetime(2026, 12, 16, 12, tzinfo=ALMATY).utcoffset() == timedelta(hours=5)


def test_weekdays_work_and_weekends_rest(cal: WorkCalendar) -> None:
    assert cal.is_working_day(date(2026, 6, 5))  # Friday
    assert not cal.is_working_day(date(2026, 6, 6))  # Saturday
    assert not cal.is_working_day(date(2026, 6, 7))  # Sunday
    assert cal.is_working_day(date(2026, 6, 8))  # Monday


@pytest.mark.parametrize(
    "day",
    [
        date(2026, 12, 16),  # Independence Day, a Wednesday
        date(2027, 1, 1),  # New Year, Friday
        date(2027, 1, 4),  # New Year's 2 January fell on Saturday: Monday is off instead
        date(2027, 1, 7),  # Orthodox Christmas
        date(2026, 3, 9),  # 8 March was a Sunday
        date(2026, 3, 23),  # Nauryz
        date(2026, 3, 24),  # Nauryz 21 and 22 March fell on the weekend
        date(2026, 3, 25),
        date(2026, 5, 1),
        date(2026, 5, 7),
        date(2026, 7, 6),
    ],
)
def test_public_holidays_are_days_off(cal: WorkCalendar, day: date) -> None:
    assert day.weekday() < 5
    assert not cal.is_working_day(day)


def test_new_year_days_are_holidays(cal: WorkCalendar) -> None:
    assert date(2027, 1, 2) in cal.public_holidays(2027)
    assert date(2027, 1, 1) in cal.public_holidays(2027)
    assert not cal.is_working_day(date(2027, 1, 2))


def test_next_working_day_skips_holidays_and_weekends(cal: WorkCalendar) -> None:
    assert cal.next_working_day(date(2026, 12, 15)) == date(2026, 12, 17)
    # Thu 31 Dec -> Fri 1 Jan, Sat 2, Sun 3, Mon 4 (observed) are off -> Tue 5 Jan.
    assert cal.next_working_day(date(2026, 12, 31)) == date(2027, 1, 5)
    assert cal.next_working_day(date(2026, 6, 5)) == date(2026, 6, 8)


def test_registration_within_hours_is_unchanged(cal: WorkCalendar) -> None:
    received = local(2026, 6, 2, 10, 0)
    assert cal.registration_time(received) == received
    assert cal.registration_time(received).tzinfo == UTC


def test_registration_before_hours_moves_to_opening_same_day(cal: WorkCalendar) -> None:
    assert cal.registration_time(local(2026, 6, 2, 8, 0)) == local(2026, 6, 2, 9, 0)


def test_registration_after_utc_midnight_uses_local_date(cal: WorkCalendar) -> None:
    # 20:00 UTC on Monday is 01:00 local on Tuesday.
    received = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)
    assert cal.registration_time(received) == local(2026, 6, 2, 9, 0)


def test_registration_on_friday_evening_moves_to_monday(cal: WorkCalendar) -> None:
    assert cal.registration_time(local(2026, 6, 5, 19, 0)) == local(2026, 6, 8, 9, 0)
    # The end of the working day is exclusive.
    assert cal.registration_time(local(2026, 6, 5, 18, 30)) == local(2026, 6, 8, 9, 0)
    assert cal.registration_time(local(2026, 6, 5, 18, 29)) == local(2026, 6, 5, 18, 29)


def test_registration_on_saturday_moves_to_monday(cal: WorkCalendar) -> None:
    assert cal.registration_time(local(2026, 6, 6, 11, 0)) == local(2026, 6, 8, 9, 0)


def test_registration_on_a_holiday_moves_past_it(cal: WorkCalendar) -> None:
    assert cal.registration_time(local(2026, 12, 15, 19, 0)) == local(2026, 12, 17, 9, 0)
    assert cal.registration_time(local(2026, 12, 16, 11, 0)) == local(2026, 12, 17, 9, 0)


def test_registration_requires_aware_datetime(cal: WorkCalendar) -> None:
    with pytest.raises(ValueError):
        cal.registration_time(datetime(2026, 6, 2, 10, 0))


def test_fifteen_working_days_without_holidays_is_monday_three_weeks_later(
    cal: WorkCalendar,
) -> None:
    # Registered Mon 1 June 2026 (no holidays in June): day 1 is Tue 2 June; days 1-5 are
    # 2-5 and 8 June, 6-10 are 9-12 and 15 June, 11-15 are 16-19 and 22 June.
    assert cal.add_working_days(date(2026, 6, 1), 15) == date(2026, 6, 22)
    due = cal.due_at(local(2026, 6, 1, 10, 0), 15)
    assert due == local(2026, 6, 22, 23, 59, 59)


def test_due_date_across_independence_day(cal: WorkCalendar) -> None:
    # Registered Mon 7 Dec 2026. Days 1-4: 8-11 Dec; 5-6: 14-15 Dec; Wed 16 Dec is off;
    # 7-8: 17-18 Dec; 9-13: 21-25 Dec; 14-15: Mon 28 and Tue 29 Dec.
    due = cal.due_at(local(2026, 12, 7, 10, 0), 15)
    assert due == local(2026, 12, 29, 23, 59, 59)


def test_due_date_across_new_year(cal: WorkCalendar) -> None:
    # Registered Mon 21 Dec 2026. Days 1-4: 22-25 Dec; 5-8: 28-31 Dec; Fri 1 Jan, the weekend
    # and Mon 4 Jan (observed 2 Jan) are off; 9-10: 5-6 Jan; Thu 7 Jan is off;
    # 11: Fri 8 Jan; 12-15: 11-14 Jan.
    due = cal.due_at(local(2026, 12, 21, 15, 0), 15)
    assert due == local(2027, 1, 14, 23, 59, 59)


def test_due_at_is_end_of_local_day_returned_as_utc(cal: WorkCalendar) -> None:
    due = cal.due_at(local(2026, 6, 1, 10, 0), 1)
    assert due.tzinfo == UTC
    as_local = cal.local(due)
    assert as_local.date() == date(2026, 6, 2)
    assert as_local.time() == time(23, 59, 59)
    assert as_local.utcoffset() == ALMATY.utcoffset(datetime(2026, 6, 2))


def test_due_at_counts_from_local_registration_date(cal: WorkCalendar) -> None:
    # 20:00 UTC on Mon 1 June is Tue 2 June locally, so day 1 is Wed 3 June.
    due = cal.due_at(datetime(2026, 6, 1, 20, 0, tzinfo=UTC), 1)
    assert due == local(2026, 6, 3, 23, 59, 59)


def test_add_working_days_zero_and_negative(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2026, 6, 6), 0) == date(2026, 6, 6)
    with pytest.raises(ValueError):
        cal.add_working_days(date(2026, 6, 1), -1)


def test_working_days_between(cal: WorkCalendar) -> None:
    # Tue 15, Thu 17, Fri 18 Dec; Wed 16 is off; the start day is not counted.
    assert cal.working_days_between(date(2026, 12, 14), date(2026, 12, 18)) == 3
    assert cal.working_days_between(date(2026, 12, 18), date(2026, 12, 18)) == 0
    assert cal.working_days_between(date(2026, 12, 18), date(2026, 12, 1)) == 0


@pytest.mark.parametrize("start", [date(2026, 12, 7), date(2026, 12, 21), date(2026, 3, 6)])
def test_working_days_between_inverts_add_working_days(cal: WorkCalendar, start: date) -> None:
    for n in (1, 3, 15, 20):
        assert cal.working_days_between(start, cal.add_working_days(start, n)) == n


def test_holidays_extra_and_workdays_extra() -> None:
    cal = WorkCalendar(
        ALMATY,
        holidays_extra=[date(2026, 6, 3)],
        workdays_extra=[date(2026, 6, 6), date(2026, 12, 16)],
    )
    assert not cal.is_working_day(date(2026, 6, 3))  # a Wednesday made a day off
    assert cal.is_working_day(date(2026, 6, 6))  # a working Saturday
    assert cal.is_working_day(date(2026, 12, 16))  # working even on a public holiday
    assert cal.next_working_day(date(2026, 6, 2)) == date(2026, 6, 4)
    assert cal.registration_time(local(2026, 6, 6, 10, 0)) == local(2026, 6, 6, 10, 0)
    assert cal.registration_time(local(2026, 6, 5, 19, 0)) == local(2026, 6, 6, 9, 0)
    # From Mon 1 June: Tue 2 (1), Wed 3 off, Thu 4 (2), Fri 5 (3), Sat 6 (4).
    assert cal.add_working_days(date(2026, 6, 1), 4) == date(2026, 6, 6)


def test_custom_working_hours() -> None:
    cal = WorkCalendar(ALMATY, workday_start=time(8, 0), workday_end=time(17, 0))
    assert cal.registration_time(local(2026, 6, 2, 8, 0)) == local(2026, 6, 2, 8, 0)
    assert cal.registration_time(local(2026, 6, 2, 17, 0)) == local(2026, 6, 3, 8, 0)
    with pytest.raises(ValueError):
        WorkCalendar(ALMATY, workday_start=time(18, 0), workday_end=time(9, 0))


def test_calendar_from_settings() -> None:
    settings = Settings(
        _env_file=None,
        BOT_TOKEN="123456:TEST-token-for-the-local-emulator",
        OPERATOR_CHAT_ID=-1001234567890,
        WORKDAY_START="08:30",
        WORKDAY_END="17:45",
        HOLIDAYS_EXTRA="2026-06-03",
        WORKDAYS_EXTRA="2026-06-06, 2026-06-13",
    )
    cal = calendar_from_settings(settings)
    assert cal.tz == ALMATY
    assert cal.workday_start == time(8, 30)
    assert cal.workday_end == time(17, 45)
    assert not cal.is_working_day(date(2026, 6, 3))
    assert cal.is_working_day(date(2026, 6, 6))
    assert cal.is_working_day(date(2026, 6, 13))


def test_first_working_day_of_a_month_skips_weekends_and_holidays() -> None:
    calendar = WorkCalendar(ALMATY)
    assert calendar.first_working_day(date(2026, 11, 20)) == date(2026, 11, 2)  # 1st: Sunday
    assert calendar.first_working_day(date(2027, 1, 31)) == date(2027, 1, 5)  # 1-2 Jan holidays
    assert calendar.first_working_day(date(2026, 12, 9)) == date(2026, 12, 1)
