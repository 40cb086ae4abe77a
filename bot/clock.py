"""The bot's notion of "now": real UTC time. A different clock enters only as an argument
(create_application(clock=...)): tests, and the sandbox's own entry point."""

from __future__ import annotations

from datetime import UTC, datetime


def real_clock() -> datetime:
    return datetime.now(UTC)
