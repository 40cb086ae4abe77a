"""The sandbox bot's notion of "now": real time plus the offset the sandbox page writes to a
file (bot/sandbox/web/clock.py writes it). Enters only through the sandbox's own entry point,
``python -m bot.sandbox.web.child --clock-file PATH``, never through a production setting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

MAX_OFFSET = timedelta(days=366)


def file_offset_clock(path: Path) -> Callable[[], datetime]:
    """Read the offset on every call: the sandbox replaces the file atomically at any time."""

    def now() -> datetime:
        try:
            offset = timedelta(seconds=int(path.read_text().strip() or 0))
        except (OSError, ValueError):
            offset = timedelta(0)
        offset = max(-MAX_OFFSET, min(MAX_OFFSET, offset))
        return datetime.now(UTC) + offset

    return now
