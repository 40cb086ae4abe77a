from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.domain.periods import Period, parse_period, previous_month

TODAY = date(2026, 11, 17)


def test_words_in_each_language_name_the_current_period() -> None:
    assert parse_period("", TODAY) == Period(date(2026, 11, 1), date(2026, 11, 30))
    assert parse_period("ай", TODAY) == parse_period("месяц", TODAY)
    assert parse_period("тоқсан", TODAY) == Period(date(2026, 10, 1), date(2026, 12, 31))
    assert parse_period("Год", TODAY) == Period(date(2026, 1, 1), date(2026, 12, 31))
    assert parse_period("2026-02-01 2026-03-15", TODAY) == Period(
        date(2026, 2, 1), date(2026, 3, 15)
    )


def test_nonsense_and_reversed_dates_are_refused() -> None:
    assert parse_period("вчера", TODAY) is None
    assert parse_period("2026-03-15 2026-02-01", TODAY) is None
    assert parse_period("2026-02-30 2026-03-01", TODAY) is None


def test_bounds_are_local_midnights_and_months_are_listed() -> None:
    period = Period(date(2026, 11, 30), date(2027, 1, 2))
    start, end = period.bounds(ZoneInfo("Asia/Almaty"))
    assert start == datetime(2026, 11, 29, 19, tzinfo=UTC)
    assert end == datetime(2027, 1, 2, 19, tzinfo=UTC)
    assert period.months() == [date(2026, 11, 1), date(2026, 12, 1), date(2027, 1, 1)]
    assert previous_month(date(2027, 1, 4)) == Period(date(2026, 12, 1), date(2026, 12, 31))
