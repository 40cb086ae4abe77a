"""What the page's "Start here" panel offers a newcomer: valid sample values, the time zone."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from dotenv import dotenv_values

from bot.config import CONFIG_FILE
from bot.domain.calendar import WorkCalendar

# Valid by the check digits (bot/domain/validation.py), the same values the tests use.
SAMPLE_IIN = "900101300017"  # a person born 01.01.1990: an individual entrepreneur's IIN
SAMPLE_BIN = "940140000385"  # a legal entity registered in January 1994
DEFAULT_TIMEZONE = "Asia/Almaty"
# Where the "Next month" clock button lands: mid-morning, after the bot's morning work
# (the digest, the monthly report) of the month's first working day is due.
REPORT_MORNING = time(10, 0)


def bot_timezone(workdir: Path) -> str:
    """The bot's TIMEZONE as the child reads it: the environment, else config.env."""
    value = os.environ.get("TIMEZONE") or dotenv_values(workdir / CONFIG_FILE).get("TIMEZONE")
    return value or DEFAULT_TIMEZONE


def utc_offset(timezone: str, at: float) -> int:
    """Seconds east of UTC in the zone at unix time ``at``, from the tz database the bot uses.

    The page shows times with this offset rather than the browser's own zone data, which may
    predate Kazakhstan's move to one zone (UTC+5 since 1 March 2024).
    """
    offset = datetime.fromtimestamp(at, UTC).astimezone(_zone(timezone)).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def _zone(name: str) -> ZoneInfo:
    try:
        from bot.timezones import load_zone
    except ImportError:  # a tree without it: the standard library's database
        return ZoneInfo(name)
    return load_zone(name)


def guide_json(timezone: str, now: float) -> dict[str, Any]:
    return {
        "iin": SAMPLE_IIN,
        "bin": SAMPLE_BIN,
        "timezone": timezone,
        "utc_offset_seconds": utc_offset(timezone, now),
    }


def next_month_morning(timezone: str, now: float) -> float:
    """Unix time of 10:00 on the first working day of the month after ``now`` (in the zone),
    by the bot's own calendar of weekends and Kazakhstan's public holidays."""
    zone = _zone(timezone)
    today = datetime.fromtimestamp(now, UTC).astimezone(zone).date()
    following = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    day = WorkCalendar(zone).first_working_day(following)
    return datetime.combine(day, REPORT_MORNING, tzinfo=zone).timestamp()
