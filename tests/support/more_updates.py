"""More builders of incoming updates (on top of tests.support.updates)."""

from __future__ import annotations

from aiogram.types import Location, Update

from tests.support.updates import message


def location(user_id: int, latitude: float = 49.948, longitude: float = 82.628) -> Update:
    """A shared map point (Ust-Kamenogorsk by default)."""
    return message(user_id, location=Location(latitude=latitude, longitude=longitude))
