"""The sandbox clock: an offset in seconds, kept in a file the bot process reads.

File format: one integer (seconds, may be negative), ASCII, then a newline. A missing, empty
or malformed file means no offset. The file is replaced atomically, so a reader never sees a
half-written number.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

MAX_OFFSET_SECONDS = 366 * 24 * 3600


class ClockFile:
    def __init__(self, path: Path) -> None:
        self.path = path

    def offset(self) -> int:
        try:
            return int(self.path.read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            return 0

    def set(self, seconds: int) -> int:
        if abs(seconds) > MAX_OFFSET_SECONDS:
            raise ValueError(f"the offset must stay within {MAX_OFFSET_SECONDS} seconds")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.path.with_name(f".{self.path.name}.tmp")
        scratch.write_text(f"{seconds}\n", encoding="ascii")
        os.replace(scratch, self.path)
        return seconds

    def advance(self, seconds: int) -> int:
        return self.set(self.offset() + seconds)

    def reset(self) -> None:
        self.path.unlink(missing_ok=True)

    def json(self) -> dict[str, Any]:
        offset = self.offset()
        return {"offset_seconds": offset, "now": time.time() + offset}


class Stamps:
    """The sandbox time of each message: the real time it was sent plus the offset then.

    The emulator stamps messages with real time; a message keeps the sandbox time it was sent
    at even after the clock moves again. A message first seen without a stamp (none should
    be: the feed sees every message as it is stored) gets the offset of now.
    """

    def __init__(self, clock: ClockFile) -> None:
        self.clock = clock
        self._dates: dict[tuple[int, int], int] = {}

    def of(self, chat_id: int, message_id: int, date: int) -> int:
        key = (chat_id, message_id)
        stamp = self._dates.get(key)
        if stamp is None:
            stamp = self._dates[key] = date + self.clock.offset()
        return stamp

    def clear(self) -> None:
        self._dates.clear()
