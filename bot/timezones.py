"""Time zones from the pinned `tzdata` package, not from the host's database.

Kazakhstan moved to one zone, UTC+5, on 1 March 2024 (IANA tzdata 2024b). `zoneinfo.ZoneInfo`
reads the system database first, and a host older than that would show every date and deadline
in Almaty an hour late (+6). The package is a dependency, so its version is ours to choose.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@cache
def load_zone(name: str) -> ZoneInfo:
    """The zone `name` ("Asia/Almaty") from the tzdata package, one object per name.

    An unknown name raises ZoneInfoNotFoundError (or ValueError for a file that is not a
    zone). Only without the package does this fall back to `ZoneInfo(name)`."""
    try:
        root = resources.files("tzdata.zoneinfo")
    except ModuleNotFoundError:
        return ZoneInfo(name)
    parts = name.split("/")
    if not all(part and part not in {".", ".."} for part in parts):
        raise ZoneInfoNotFoundError(f"No time zone found with key {name}")
    resource = root.joinpath(*parts)
    if not resource.is_file():
        raise ZoneInfoNotFoundError(f"No time zone found with key {name}")
    with resource.open("rb") as file:
        return ZoneInfo.from_file(file, key=name)
