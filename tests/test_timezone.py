from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfoNotFoundError

import pytest

from bot.config import Settings
from bot.timezones import load_zone


@pytest.mark.parametrize("day", [datetime(2026, 3, 1, 12), datetime(2026, 7, 1, 12)])
def test_almaty_is_utc_plus_five_in_winter_and_summer(day: datetime) -> None:
    # Kazakhstan has had one zone, UTC+5, since 1 March 2024; tzdata before 2024b says +6.
    assert day.replace(tzinfo=load_zone("Asia/Almaty")).utcoffset() == timedelta(hours=5)


def test_zone_comes_from_the_tzdata_package() -> None:
    import tzdata

    zone = load_zone("Asia/Almaty")
    assert zone.key == "Asia/Almaty"
    assert tzdata.IANA_VERSION >= "2024b"


def test_settings_use_the_same_zone() -> None:
    settings = Settings(
        _env_file=None,
        BOT_TOKEN="123456:TEST-token-for-the-local-emulator",
        OPERATOR_CHAT_ID=-1001234567890,
    )
    assert settings.tz is load_zone("Asia/Almaty")


@pytest.mark.parametrize(
    "name", ["Mars/Olympus", "../etc/passwd", "/etc/localtime", "Asia", "zone1970.tab", ""]
)
def test_unknown_names_fail_as_zoneinfo_does(name: str) -> None:
    with pytest.raises((ZoneInfoNotFoundError, ValueError)):
        load_zone(name)
